//! The built-in kinds: which apiVersions they take, their spec fields, which
//! fields are required, and which fields become relations. One table serves
//! validation and relation building, so the two can't drift apart.

use crate::relations::RelationType;

/// The JSON type a spec field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A string; `min_len_one` forbids `""`.
    String {
        /// Whether an empty string is refused (JSON Schema `minLength: 1`).
        min_len_one: bool,
    },
    /// An array of strings.
    StringList,
    /// A mapping.
    Object,
    /// An array of mappings, each with a required string field (Template `steps[].action`).
    ObjectList {
        /// The field each item must have.
        required_key: Option<&'static str>,
    },
    /// An object or an array (Template `parameters`).
    ObjectOrList,
    /// One of a fixed set of strings.
    OneOf(&'static [&'static str]),
}

/// How a spec field turns into relations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelationRule {
    /// Relation from the entity to the target.
    pub relation: RelationType,
    /// Kind a reference without one means; `None`: the kind must be written.
    pub default_kind: Option<&'static str>,
}

/// A field of a kind's spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecField {
    /// Field name under `spec`.
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// Whether it must be present.
    pub required: bool,
    /// The relation it makes, if any.
    pub relation: Option<RelationRule>,
}

/// A built-in kind's schema.
#[derive(Debug, Clone, Copy)]
pub struct KindSchema {
    /// Kind name as Backstage writes it.
    pub kind: &'static str,
    /// apiVersions accepted for it.
    pub api_versions: &'static [&'static str],
    /// Its spec fields (others are allowed and kept).
    pub fields: &'static [SpecField],
}

const CORE: &[&str] = &["backstage.io/v1alpha1", "backstage.io/v1beta1"];
const SCAFFOLDER: &[&str] = &["scaffolder.backstage.io/v1beta3"];

const fn string(name: &'static str, required: bool) -> SpecField {
    SpecField { name, ty: FieldType::String { min_len_one: required }, required, relation: None }
}

const fn typed(name: &'static str, ty: FieldType, required: bool) -> SpecField {
    SpecField { name, ty, required, relation: None }
}

const fn one_ref(name: &'static str, required: bool, relation: RelationType, default_kind: &'static str) -> SpecField {
    SpecField {
        name,
        ty: FieldType::String { min_len_one: true },
        required,
        relation: Some(RelationRule { relation, default_kind: Some(default_kind) }),
    }
}

const fn ref_list(name: &'static str, required: bool, relation: RelationType, default_kind: Option<&'static str>) -> SpecField {
    SpecField { name, ty: FieldType::StringList, required, relation: Some(RelationRule { relation, default_kind }) }
}

use RelationType as R;

const OWNER: SpecField = one_ref("owner", true, R::OwnedBy, "Group");
const SYSTEM: SpecField = one_ref("system", false, R::PartOf, "System");
const DEPENDS_ON: SpecField = ref_list("dependsOn", false, R::DependsOn, None);
const DEPENDENCY_OF: SpecField = ref_list("dependencyOf", false, R::DependencyOf, None);

/// Every built-in kind.
pub const BUILT_IN_KINDS: &[KindSchema] = &[
    KindSchema {
        kind: "Component",
        api_versions: CORE,
        fields: &[
            string("type", true),
            string("lifecycle", true),
            OWNER,
            SYSTEM,
            one_ref("subcomponentOf", false, R::PartOf, "Component"),
            ref_list("providesApis", false, R::ProvidesApi, Some("API")),
            ref_list("consumesApis", false, R::ConsumesApi, Some("API")),
            DEPENDS_ON,
            DEPENDENCY_OF,
        ],
    },
    KindSchema {
        kind: "API",
        api_versions: CORE,
        fields: &[string("type", true), string("lifecycle", true), OWNER, string("definition", true), SYSTEM],
    },
    KindSchema {
        kind: "Resource",
        api_versions: CORE,
        fields: &[string("type", true), OWNER, SYSTEM, DEPENDS_ON, DEPENDENCY_OF],
    },
    KindSchema {
        kind: "System",
        api_versions: CORE,
        fields: &[OWNER, one_ref("domain", false, R::PartOf, "Domain"), string("type", false)],
    },
    KindSchema {
        kind: "Domain",
        api_versions: CORE,
        fields: &[OWNER, one_ref("subdomainOf", false, R::PartOf, "Domain"), string("type", false)],
    },
    KindSchema {
        kind: "Group",
        api_versions: CORE,
        fields: &[
            string("type", true),
            typed("profile", FieldType::Object, false),
            one_ref("parent", false, R::ChildOf, "Group"),
            ref_list("children", true, R::ParentOf, Some("Group")),
            ref_list("members", false, R::HasMember, Some("User")),
        ],
    },
    KindSchema {
        kind: "User",
        api_versions: CORE,
        fields: &[typed("profile", FieldType::Object, false), ref_list("memberOf", true, R::MemberOf, Some("Group"))],
    },
    KindSchema {
        kind: "Location",
        api_versions: CORE,
        fields: &[
            string("type", false),
            string("target", false),
            typed("targets", FieldType::StringList, false),
            typed("presence", FieldType::OneOf(&["required", "optional"]), false),
        ],
    },
    KindSchema {
        kind: "Template",
        api_versions: SCAFFOLDER,
        fields: &[
            string("type", true),
            typed("steps", FieldType::ObjectList { required_key: Some("action") }, true),
            typed("parameters", FieldType::ObjectOrList, false),
            typed("output", FieldType::Object, false),
            SpecField { required: false, ..OWNER },
            string("lifecycle", false),
        ],
    },
];

/// The schema of a built-in kind, matched case-sensitively as Backstage does.
pub fn schema_for(kind: &str) -> Option<&'static KindSchema> {
    BUILT_IN_KINDS.iter().find(|k| k.kind == kind)
}

/// Whether an apiVersion is one of Backstage's own (entities with others are foreign).
pub fn is_standard_api_version(api_version: &str) -> bool {
    CORE.contains(&api_version) || SCAFFOLDER.contains(&api_version)
}
