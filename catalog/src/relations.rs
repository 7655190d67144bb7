//! Relations between entities, both directions (`well-known-relations.md`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::entity_ref::EntityRef;

macro_rules! relation_types {
    ($($variant:ident = $name:literal <-> $inverse:ident),* $(,)?) => {
        /// The relation types Backstage's built-in processor emits.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum RelationType {
            $(
                #[doc = concat!("`", $name, "`")]
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl RelationType {
            /// Every relation type.
            pub const ALL: &'static [RelationType] = &[$(RelationType::$variant),*];

            /// The name used on the API, e.g. `ownedBy`.
            pub fn as_str(self) -> &'static str {
                match self { $(RelationType::$variant => $name),* }
            }

            /// The relation seen from the other end: `ownedBy` ↔ `ownerOf`.
            pub fn inverse(self) -> RelationType {
                match self { $(RelationType::$variant => RelationType::$inverse),* }
            }

            /// Parses an API name, case-insensitively as Backstage filters do.
            pub fn from_name(name: &str) -> Option<RelationType> {
                Self::ALL.iter().copied().find(|t| t.as_str().eq_ignore_ascii_case(name))
            }
        }
    };
}

relation_types! {
    OwnedBy = "ownedBy" <-> OwnerOf,
    OwnerOf = "ownerOf" <-> OwnedBy,
    PartOf = "partOf" <-> HasPart,
    HasPart = "hasPart" <-> PartOf,
    ProvidesApi = "providesApi" <-> ApiProvidedBy,
    ApiProvidedBy = "apiProvidedBy" <-> ProvidesApi,
    ConsumesApi = "consumesApi" <-> ApiConsumedBy,
    ApiConsumedBy = "apiConsumedBy" <-> ConsumesApi,
    DependsOn = "dependsOn" <-> DependencyOf,
    DependencyOf = "dependencyOf" <-> DependsOn,
    ChildOf = "childOf" <-> ParentOf,
    ParentOf = "parentOf" <-> ChildOf,
    MemberOf = "memberOf" <-> HasMember,
    HasMember = "hasMember" <-> MemberOf,
}

impl fmt::Display for RelationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Its name, so that code taking relation types as text (the search rows'
/// `relations.<type>` keys) takes them as they are, without a copy.
impl AsRef<str> for RelationType {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// A relation from an entity to `target_ref`, as on the API: `{type, targetRef}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relation {
    /// The relation's type.
    #[serde(rename = "type")]
    pub relation_type: RelationType,
    /// The other end.
    pub target_ref: EntityRef,
}

/// A relation with both ends, as the catalog stores it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Edge {
    /// The entity whose spec named the target.
    pub source: EntityRef,
    /// The relation's type, seen from the source.
    pub relation_type: RelationType,
    /// The entity named.
    pub target: EntityRef,
}

impl Edge {
    /// The same edge seen from the target.
    pub fn inverse(&self) -> Edge {
        Edge { source: self.target.clone(), relation_type: self.relation_type.inverse(), target: self.source.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverses_pair_up() {
        for t in RelationType::ALL {
            assert_eq!(t.inverse().inverse(), *t);
            assert_ne!(t.inverse(), *t);
        }
        assert_eq!(RelationType::from_name("memberof"), Some(RelationType::MemberOf));
    }
}
