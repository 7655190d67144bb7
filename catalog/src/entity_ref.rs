//! Entity references: `[<kind>:][<namespace>/]<name>`, parsed once into a
//! canonical, lower-cased triple (Backstage's `parseEntityRef` and
//! `stringifyEntityRef`).

use std::fmt::{self, Write as _};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The namespace an entity is in when it names none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// A reference to an entity, in canonical (lower-cased) form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntityRef {
    kind: String,
    namespace: String,
    name: String,
}

/// Why a reference could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    /// An empty kind, namespace or name, or a stray separator.
    #[error("entity reference \"{0}\" was not on the form [<kind>:][<namespace>/]<name>")]
    Malformed(String),
    /// No kind in the reference and none to default to.
    #[error("entity reference \"{0}\" had missing or empty kind (e.g. did not start with \"component:\" or similar)")]
    MissingKind(String),
}

/// What a reference means when it leaves out its kind or namespace.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefDefaults<'a> {
    /// Kind to use when the reference has none; `None` makes a kind required.
    pub kind: Option<&'a str>,
    /// Namespace to use when the reference has none; `default` if `None`.
    pub namespace: Option<&'a str>,
}

impl EntityRef {
    /// A reference from its parts, lower-cased.
    pub fn new(kind: &str, namespace: &str, name: &str) -> Self {
        Self {
            kind: kind.to_ascii_lowercase(),
            namespace: namespace.to_ascii_lowercase(),
            name: name.to_ascii_lowercase(),
        }
    }

    /// Parses `[<kind>:][<namespace>/]<name>` with the given defaults.
    pub fn parse(text: &str, defaults: RefDefaults<'_>) -> Result<Self, RefError> {
        let malformed = || RefError::Malformed(text.to_owned());
        let colon = text.find(':');
        let slash = text.find('/');
        let (kind, rest) = match (colon, slash) {
            (Some(c), Some(s)) if s < c => (None, text),
            (Some(c), _) => (Some(&text[..c]), &text[c + 1..]),
            (None, _) => (None, text),
        };
        let (namespace, name) = match rest.find('/') {
            Some(s) => (Some(&rest[..s]), &rest[s + 1..]),
            None => (None, rest),
        };
        if kind == Some("") || namespace == Some("") || name.is_empty() {
            return Err(malformed());
        }
        let kind = match kind.or(defaults.kind) {
            Some(k) => k,
            None => return Err(RefError::MissingKind(text.to_owned())),
        };
        let namespace = namespace.or(defaults.namespace).unwrap_or(DEFAULT_NAMESPACE);
        Ok(Self::new(kind, namespace, name))
    }

    /// The kind, lower-cased.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The namespace, lower-cased.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The name, lower-cased.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Piece by piece rather than through `write!`: references are
        // written out for every entity and relation an ingest stores.
        f.write_str(&self.kind)?;
        f.write_char(':')?;
        f.write_str(&self.namespace)?;
        f.write_char('/')?;
        f.write_str(&self.name)
    }
}

impl FromStr for EntityRef {
    type Err = RefError;

    /// Parses a full reference; the kind is required, the namespace defaults to `default`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s, RefDefaults::default())
    }
}

impl Serialize for EntityRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EntityRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group_in(ns: &str) -> RefDefaults<'_> {
        RefDefaults { kind: Some("Group"), namespace: Some(ns) }
    }

    #[test]
    fn parses_all_forms() {
        assert_eq!(EntityRef::parse("team-a", group_in("ops")).unwrap().to_string(), "group:ops/team-a");
        assert_eq!(EntityRef::parse("user:jdoe", group_in("ops")).unwrap().to_string(), "user:ops/jdoe");
        assert_eq!(EntityRef::parse("Other/Team", group_in("ops")).unwrap().to_string(), "group:other/team");
        assert_eq!(
            EntityRef::parse("Component:NS/My.Service", RefDefaults::default()).unwrap().to_string(),
            "component:ns/my.service"
        );
    }

    #[test]
    fn slash_before_colon_means_no_kind() {
        let r = EntityRef::parse("ns/a:b", group_in("x")).unwrap();
        assert_eq!((r.kind(), r.namespace(), r.name()), ("group", "ns", "a:b"));
    }

    #[test]
    fn rejects_empty_parts() {
        for bad in ["", ":a", "a:", "/a", "k:/a", "k:ns/"] {
            assert!(matches!(EntityRef::parse(bad, group_in("x")), Err(RefError::Malformed(_))), "{bad}");
        }
        assert!(matches!("name".parse::<EntityRef>(), Err(RefError::MissingKind(_))));
    }
}
