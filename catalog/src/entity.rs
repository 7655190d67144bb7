//! The entity envelope as Backstage's API and storage see it (JSON).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::entity_ref::{DEFAULT_NAMESPACE, EntityRef};
use crate::relations::Relation;

/// A catalog entity: `apiVersion`, `kind`, `metadata`, `spec`, plus the
/// `relations` and `status` the catalog adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    /// e.g. `backstage.io/v1alpha1`.
    pub api_version: String,
    /// e.g. `Component`, as written.
    pub kind: String,
    /// Name, namespace, labels, annotations and the rest.
    pub metadata: Metadata,
    /// The kind's own fields, kept as JSON so unknown fields survive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Map<String, Value>>,
    /// Outgoing relations derived from the spec (inverse ones are added when stored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<Relation>,
    /// Processing status items, filled by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
}

/// `metadata` of an entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Unique within kind and namespace, case-insensitively.
    pub name: String,
    /// `default` unless given.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Assigned by the catalog when stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Changes with each stored update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Display title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// One-paragraph description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Identifying key/value pairs.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    /// Non-identifying key/value pairs (source location, Kubernetes id, ...).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub annotations: IndexMap<String, String>,
    /// Lower-case tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// External links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Any other metadata fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn default_namespace() -> String {
    DEFAULT_NAMESPACE.to_owned()
}

/// An entry of `metadata.links`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Where the link goes.
    pub url: String,
    /// Text shown for the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Icon name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Free-form link type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub link_type: Option<String>,
}

impl Entity {
    /// The entity's own canonical reference, `kind:namespace/name`.
    pub fn entity_ref(&self) -> EntityRef {
        EntityRef::new(&self.kind, &self.metadata.namespace, &self.metadata.name)
    }

    /// A string field of the spec, e.g. `spec.type`.
    pub fn spec_str(&self, field: &str) -> Option<&str> {
        self.spec.as_ref()?.get(field)?.as_str()
    }

    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata.annotations.get(key).map(String::as_str)
    }

    /// The entity as a JSON object, the same as `serde_json::to_value`
    /// gives (same keys, same order, so the same text once serialized) but
    /// moving every string and the spec instead of copying them: what an
    /// ingest does with each of its entities.
    pub fn into_json(self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("apiVersion".into(), Value::String(self.api_version));
        out.insert("kind".into(), Value::String(self.kind));
        out.insert("metadata".into(), Value::Object(self.metadata.into_json()));
        if let Some(spec) = self.spec {
            out.insert("spec".into(), Value::Object(spec));
        }
        if !self.relations.is_empty() {
            let relations = self.relations.into_iter().map(|r| {
                let mut relation = Map::new();
                relation.insert("type".into(), Value::String(r.relation_type.as_str().to_owned()));
                relation.insert("targetRef".into(), Value::String(r.target_ref.to_string()));
                Value::Object(relation)
            });
            out.insert("relations".into(), Value::Array(relations.collect()));
        }
        if let Some(status) = self.status {
            out.insert("status".into(), status);
        }
        out
    }
}

impl Metadata {
    /// See [`Entity::into_json`].
    fn into_json(self) -> Map<String, Value> {
        let mut out = Map::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                out.insert(key.to_owned(), Value::String(value));
            }
        };
        put("name", Some(self.name));
        put("namespace", Some(self.namespace));
        put("uid", self.uid);
        put("etag", self.etag);
        put("title", self.title);
        put("description", self.description);
        let strings = |map: IndexMap<String, String>| Value::Object(map.into_iter().map(|(k, v)| (k, Value::String(v))).collect());
        if !self.labels.is_empty() {
            out.insert("labels".into(), strings(self.labels));
        }
        if !self.annotations.is_empty() {
            out.insert("annotations".into(), strings(self.annotations));
        }
        if !self.tags.is_empty() {
            out.insert("tags".into(), Value::Array(self.tags.into_iter().map(Value::String).collect()));
        }
        if !self.links.is_empty() {
            out.insert("links".into(), Value::Array(self.links.into_iter().map(Link::into_json).collect()));
        }
        out.extend(self.extra);
        out
    }
}

impl Link {
    fn into_json(self) -> Value {
        let mut out = Map::new();
        out.insert("url".into(), Value::String(self.url));
        for (key, value) in [("title", self.title), ("icon", self.icon), ("type", self.link_type)] {
            if let Some(value) = value {
                out.insert(key.into(), Value::String(value));
            }
        }
        Value::Object(out)
    }
}
