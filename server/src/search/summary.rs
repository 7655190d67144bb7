//! An entity's list fields (what the explorer shows and filters on), read
//! from its JSON. One mapping serves the index, entity pages and previews.

use portolan_catalog::EntityRef;
use portolan_frontend::EntitySummary;
use serde::Deserialize;
use serde_json::Value;

/// `text` as a canonical reference with Backstage's defaults for the field
/// (kind, the entity's namespace); kept as written when it is not a reference.
fn canonical_ref(text: &str, kind: &str, namespace: &str) -> String {
    let defaults = portolan_catalog::RefDefaults { kind: Some(kind), namespace: Some(namespace) };
    EntityRef::parse(text, defaults).map_or_else(|_| text.to_owned(), |r| r.to_string())
}

/// Just the fields a summary needs, read without building the rest.
#[derive(Deserialize)]
struct ListFields {
    kind: String,
    metadata: ListMetadata,
    #[serde(default)]
    spec: ListSpec,
}

#[derive(Deserialize)]
struct ListMetadata {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    title: Option<Value>,
    #[serde(default)]
    description: Option<Value>,
    #[serde(default)]
    tags: Vec<Value>,
}

#[derive(Deserialize, Default)]
struct ListSpec {
    #[serde(default)]
    owner: Option<Value>,
    #[serde(default, rename = "type")]
    spec_type: Option<Value>,
    #[serde(default)]
    lifecycle: Option<Value>,
    #[serde(default)]
    system: Option<Value>,
}

/// The list fields of an entity's JSON. Owner and system are canonical
/// references (`group:default/team-a`), so facets group `team-a` and
/// `group:team-a` together. `None` when it has no kind or name.
pub fn summary_of(entity: &Value) -> Option<EntitySummary> {
    let fields = ListFields::deserialize(entity).ok()?;
    let text = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_owned));
    let namespace = fields.metadata.namespace.unwrap_or_else(|| portolan_catalog::entity_ref::DEFAULT_NAMESPACE.to_owned());
    let canonical = |v: Option<Value>, kind: &str| text(v).map(|t| canonical_ref(&t, kind, &namespace));
    Some(EntitySummary {
        owner: canonical(fields.spec.owner, "group"),
        system: canonical(fields.spec.system, "system"),
        spec_type: text(fields.spec.spec_type),
        lifecycle: text(fields.spec.lifecycle),
        kind: fields.kind,
        name: fields.metadata.name,
        title: text(fields.metadata.title),
        description: text(fields.metadata.description),
        tags: fields.metadata.tags.into_iter().filter_map(|t| t.as_str().map(str::to_owned)).collect(),
        namespace,
    })
}
