//! Turns one parsed YAML document into an [`Entity`], checking it the way
//! Backstage's policies and kind schemas do, and reporting every problem with
//! its position and field path.

use indexmap::IndexMap;
use serde_json::Map;

use crate::diagnostics::{Diagnostic, FieldPath};
use crate::entity::{Entity, Link, Metadata};
use crate::entity_ref::{DEFAULT_NAMESPACE, EntityRef, RefDefaults};
use crate::kinds::{FieldType, KindSchema, SpecField, schema_for};
use crate::relations::Relation;
use crate::rules::{self, expected};
use crate::substitution::is_placeholder;
use crate::yaml::{Key, Node, Pos, Value};

const ROOT_FIELDS: &[&str] = &["apiVersion", "kind", "metadata", "spec", "relations", "status"];
const LOCATION_ANNOTATIONS: &[&str] = &[
    "backstage.io/source-location",
    "backstage.io/managed-by-location",
    "backstage.io/managed-by-origin-location",
];

/// A field that points at another entity or at a location, and where it is
/// written, so later checks (dangling targets, missing files) can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Field path, e.g. `spec.providesApis[0]`.
    pub field: String,
    /// Where the value is written.
    pub pos: Pos,
    /// What it points at.
    pub target: ReferenceTarget,
}

/// What a [`Reference`] points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceTarget {
    /// Another entity, through a relation.
    Entity(Relation),
    /// A Location's target, as written.
    Location(String),
}

/// What checking a document found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Checked {
    /// The entity, when the document has no errors.
    pub entity: Option<Entity>,
    /// Every reference the document makes, with its position.
    pub references: Vec<Reference>,
}

/// Checks one document's root node and builds the entity if it has no errors.
/// Findings are appended to `diagnostics`.
pub fn check_entity(root: &Node, document: usize, diagnostics: &mut Vec<Diagnostic>) -> Checked {
    let mut c = Checker::new(document, diagnostics, true);
    let mut entity = c.entity(root);
    if let Some(entity) = entity.as_mut() {
        entity.spec = object(root.get("spec").map(Node::to_json));
    }
    Checked { entity, references: c.references.unwrap_or_default() }
}

/// [`check_entity`] of a root node whose spec is not needed afterwards:
/// the entity's spec is moved out of it (leaving a null) rather than
/// copied; a document without an entity keeps its spec. Lists the
/// references only `with_references`.
pub(crate) fn check_taking_spec(root: &mut Node, document: usize, diagnostics: &mut Vec<Diagnostic>, with_references: bool) -> Checked {
    let mut c = Checker::new(document, diagnostics, with_references);
    let mut entity = c.entity(root);
    let references = c.references.unwrap_or_default();
    if let Some(entity) = entity.as_mut() {
        entity.spec = object(take_field(root, "spec").map(Node::into_json));
    }
    Checked { entity, references }
}

/// The map of a JSON object; `None` for anything else.
fn object(value: Option<serde_json::Value>) -> Option<Map<String, serde_json::Value>> {
    match value {
        Some(serde_json::Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// Takes the node of `key` out of a mapping, leaving a null in its place.
fn take_field(root: &mut Node, key: &str) -> Option<Node> {
    let Value::Map(entries) = &mut root.value else { return None };
    let (_, node) = entries.iter_mut().find(|(k, _)| k.text == key)?;
    let pos = node.pos;
    Some(std::mem::replace(node, Node { pos, value: Value::Null }))
}

/// Checks one entity; the spec is checked here but given to the entity by
/// the caller, who may move it out of the node rather than copy it.
struct Checker<'a> {
    document: usize,
    diagnostics: &'a mut Vec<Diagnostic>,
    errors: usize,
    /// `None` when the caller does not want them.
    references: Option<Vec<Reference>>,
}

impl<'a> Checker<'a> {
    fn new(document: usize, diagnostics: &'a mut Vec<Diagnostic>, with_references: bool) -> Checker<'a> {
        Checker { document, diagnostics, errors: 0, references: with_references.then(Vec::new) }
    }
}

fn found(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => format!("\"{s}\""),
        Value::Null => "nothing".to_owned(),
        Value::Seq(_) | Value::Map(_) => format!("an {}", node.value.type_name()),
        other => format!("a {}", other.type_name()),
    }
}

impl Checker<'_> {
    fn error(&mut self, pos: Pos, field: &FieldPath, message: String) {
        self.errors += 1;
        self.diagnostics.push(Diagnostic::error(self.document, pos, field.to_string(), message));
    }

    fn warning(&mut self, pos: Pos, field: &FieldPath, message: String) {
        self.diagnostics.push(Diagnostic::warning(self.document, pos, field.to_string(), message));
    }

    fn invalid(&mut self, node: &Node, field: &FieldPath, expectation: &str) {
        let msg = format!("\"{field}\" is not valid; expected {expectation} but found {}", found(node));
        self.error(node.pos, field, msg);
    }

    /// A string field, or an error naming what was there instead.
    fn string<'n>(&mut self, node: &'n Node, field: &FieldPath) -> Option<&'n str> {
        match node.as_str() {
            Some(s) => Some(s),
            None => {
                self.error(node.pos, field, format!("\"{field}\" must be a string, found {}", found(node)));
                None
            }
        }
    }

    fn required<'n>(&mut self, parent: &'n Node, parent_pos: Pos, field: &FieldPath, name: &str) -> Option<&'n Node> {
        let node = parent.get(name);
        if node.is_none() {
            self.error(parent_pos, field, format!("{field} must have a value"));
        }
        node
    }

    fn entity(&mut self, root: &Node) -> Option<Entity> {
        let Some(entries) = root.as_map() else {
            let msg = format!("expected an entity (a mapping with apiVersion, kind and metadata), found {}", found(root));
            self.error(root.pos, &FieldPath::default(), msg);
            return None;
        };
        if !entries.iter().any(|(k, _)| matches!(k.text.as_str(), "apiVersion" | "kind" | "metadata")) {
            let msg = "not a catalog entity: the document has none of apiVersion, kind and metadata".to_owned();
            self.error(root.pos, &FieldPath::default(), msg);
            return None;
        }
        for (key, _) in entries {
            let path = FieldPath::root(&key.text);
            if !ROOT_FIELDS.contains(&key.text.as_str()) {
                let msg = format!("unknown root field \"{}\"; an entity has only apiVersion, kind, metadata and spec", key.text);
                self.error(key.pos, &path, msg);
            } else if key.text == "relations" || key.text == "status" {
                self.warning(key.pos, &path, format!("\"{}\" is computed by the catalog; the value in the file is ignored", key.text));
            }
        }
        let api_version = self.envelope_field(root, "apiVersion", rules::is_valid_api_version, expected::API_VERSION);
        let kind = self.envelope_field(root, "kind", rules::is_valid_kind, expected::KIND);
        let metadata = match self.required(root, root.pos, &FieldPath::root("metadata"), "metadata") {
            Some(node) => self.metadata(node),
            None => None,
        };
        let schema = kind.and_then(|(k, _)| schema_for(k));
        if let (Some((api, api_node)), Some((k, kind_node))) = (api_version, kind) {
            match schema {
                Some(s) if !s.api_versions.contains(&api) => {
                    let msg = format!("apiVersion \"{api}\" is not supported for kind {k}; expected {}", s.api_versions.join(" or "));
                    self.error(api_node.pos, &FieldPath::root("apiVersion"), msg);
                }
                None => {
                    let msg = format!(
                        "kind \"{k}\" (apiVersion \"{api}\") is not a built-in kind; it is kept as a generic entity, and Backstage accepts it only with a processor for it"
                    );
                    self.warning(kind_node.pos, &FieldPath::root("kind"), msg);
                }
                Some(_) => {}
            }
        }
        let namespace = metadata.as_ref().map_or(DEFAULT_NAMESPACE, |m| m.namespace.as_str());
        let relations = self.spec(root, schema, namespace);
        if self.errors > 0 {
            return None;
        }
        let (api_version, kind, metadata) = (api_version?, kind?, metadata?);
        Some(Entity {
            api_version: api_version.0.to_owned(),
            kind: kind.0.to_owned(),
            metadata,
            spec: None,
            relations,
            status: None,
        })
    }

    fn envelope_field<'n>(&mut self, root: &'n Node, name: &str, rule: fn(&str) -> bool, expectation: &str) -> Option<(&'n str, &'n Node)> {
        let path = FieldPath::root(name);
        let node = self.required(root, root.pos, &path, name)?;
        let text = self.string(node, &path)?;
        if !rule(text) {
            self.invalid(node, &path, expectation);
            return None;
        }
        Some((text, node))
    }

    fn metadata(&mut self, node: &Node) -> Option<Metadata> {
        let path = FieldPath::root("metadata");
        let Some(entries) = node.as_map() else {
            self.error(node.pos, &path, format!("\"metadata\" must be an object, found {}", found(node)));
            return None;
        };
        let mut meta = Metadata {
            name: String::new(),
            namespace: DEFAULT_NAMESPACE.to_owned(),
            uid: None,
            etag: None,
            title: None,
            description: None,
            labels: IndexMap::new(),
            annotations: IndexMap::new(),
            tags: Vec::new(),
            links: Vec::new(),
            extra: Map::new(),
        };
        let mut has_name = false;
        for (key, value) in entries {
            let field = path.key(&key.text);
            match key.text.as_str() {
                "name" => {
                    has_name = true;
                    if let Some(s) = self.string(value, &field) {
                        if rules::is_valid_object_name(s) {
                            meta.name = s.to_owned();
                        } else {
                            self.invalid(value, &field, expected::OBJECT_NAME);
                        }
                    }
                }
                "namespace" => {
                    if let Some(s) = self.string(value, &field) {
                        if rules::is_valid_namespace(s) {
                            meta.namespace = s.to_owned();
                        } else {
                            self.invalid(value, &field, expected::NAMESPACE);
                        }
                    }
                }
                "title" => meta.title = self.string(value, &field).map(str::to_owned),
                "description" => meta.description = self.string(value, &field).map(str::to_owned),
                "labels" => meta.labels = self.key_values(value, &field, true),
                "annotations" => meta.annotations = self.key_values(value, &field, false),
                "tags" => meta.tags = self.tags(value, &field),
                "links" => meta.links = self.links(value, &field),
                "uid" | "etag" => {
                    self.warning(key.pos, &field, format!("\"{field}\" is assigned by the catalog; the value in the file is ignored"));
                }
                _ => {
                    meta.extra.insert(key.text.clone(), value.to_json());
                }
            }
        }
        if !has_name {
            self.error(node.pos, &path.key("name"), "metadata.name must have a value".to_owned());
        }
        self.location_annotations(entries, &path);
        Some(meta)
    }

    fn key_values(&mut self, node: &Node, field: &FieldPath, labels: bool) -> IndexMap<String, String> {
        let mut out = IndexMap::new();
        let Some(entries) = node.as_map() else {
            self.error(node.pos, field, format!("\"{field}\" must be an object of strings, found {}", found(node)));
            return out;
        };
        for (key, value) in entries {
            let path = field.key(&key.text);
            if !rules::is_valid_key(&key.text) {
                let msg = format!("\"{field}\" has an invalid key \"{}\"; expected {}", key.text, expected::KEY);
                self.error(key.pos, &path, msg);
            }
            let Some(text) = self.string(value, &path) else { continue };
            if labels && !rules::is_valid_label_value(text) {
                self.invalid(value, &path, expected::LABEL_VALUE);
            }
            out.insert(key.text.clone(), text.to_owned());
        }
        out
    }

    fn location_annotations(&mut self, metadata: &[(Key, Node)], path: &FieldPath) {
        let Some(annotations) = metadata.iter().find(|(k, _)| k.text == "annotations").and_then(|(_, v)| v.as_map()) else {
            return;
        };
        for (key, value) in annotations {
            let Some(text) = value.as_str() else { continue };
            if LOCATION_ANNOTATIONS.contains(&key.text.as_str()) && !is_location_ref(text) {
                let annotations = path.key("annotations");
                let field = annotations.key(&key.text);
                let msg = format!("\"{field}\" should be <type>:<target>, e.g. url:https://github.com/org/repo/tree/main/, but found \"{text}\"");
                self.warning(value.pos, &field, msg);
            }
        }
    }

    fn tags(&mut self, node: &Node, field: &FieldPath) -> Vec<String> {
        let Some(items) = node.as_seq() else {
            self.error(node.pos, field, format!("\"{field}\" must be an array of strings, found {}", found(node)));
            return Vec::new();
        };
        let mut tags = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = field.index(i);
            if let Some(tag) = self.string(item, &path) {
                if rules::is_valid_tag(tag) {
                    tags.push(tag.to_owned());
                } else {
                    self.invalid(item, &path, expected::TAG);
                }
            }
        }
        tags
    }

    fn links(&mut self, node: &Node, field: &FieldPath) -> Vec<Link> {
        let Some(items) = node.as_seq() else {
            self.error(node.pos, field, format!("\"{field}\" must be an array of links, found {}", found(node)));
            return Vec::new();
        };
        let mut links = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = field.index(i);
            if item.as_map().is_none() {
                self.error(item.pos, &path, format!("\"{path}\" must be an object with a url, found {}", found(item)));
                continue;
            }
            let url = self.required(item, item.pos, &path.key("url"), "url").and_then(|n| {
                let p = path.key("url");
                let s = self.string(n, &p)?;
                if url::Url::parse(s).is_err() {
                    self.invalid(n, &p, "a valid URL");
                }
                Some(s.to_owned())
            });
            let title = item.get("title").and_then(|n| {
                let p = path.key("title");
                let s = self.string(n, &p)?;
                if s.trim().is_empty() {
                    self.invalid(n, &p, "a non-blank string");
                }
                Some(s.to_owned())
            });
            let icon = item.get("icon").and_then(|n| {
                let p = path.key("icon");
                let s = self.string(n, &p)?;
                if !rules::is_valid_object_name(s) {
                    self.invalid(n, &p, expected::OBJECT_NAME);
                }
                Some(s.to_owned())
            });
            let link_type = item.get("type").and_then(|n| self.string(n, &path.key("type")).map(str::to_owned));
            if let Some(url) = url {
                links.push(Link { url, title, icon, link_type });
            }
        }
        links
    }

    /// Checks the spec; returns the relations its fields make.
    fn spec(&mut self, root: &Node, schema: Option<&KindSchema>, namespace: &str) -> Vec<Relation> {
        let path = FieldPath::root("spec");
        let mut relations = Vec::new();
        let spec_key_pos = root.as_map().and_then(|m| m.iter().find(|(k, _)| k.text == "spec")).map(|(k, _)| k.pos);
        let Some(spec) = root.get("spec") else {
            if schema.is_some() {
                self.error(root.pos, &path, "spec must have a value".to_owned());
            }
            return relations;
        };
        if spec.as_map().is_none() {
            self.error(spec.pos, &path, format!("\"spec\" must be an object, found {}", found(spec)));
            return relations;
        }
        if let Some(schema) = schema {
            let parent_pos = spec_key_pos.unwrap_or(spec.pos);
            for field in schema.fields {
                self.spec_field(spec, parent_pos, field, namespace, &mut relations);
            }
        }
        relations.sort();
        relations.dedup();
        relations
    }

    fn spec_field(&mut self, spec: &Node, spec_pos: Pos, field: &SpecField, namespace: &str, relations: &mut Vec<Relation>) {
        let spec_path = FieldPath::root("spec");
        let path = spec_path.key(field.name);
        let Some(node) = spec.get(field.name) else {
            if field.required {
                self.error(spec_pos, &path, format!("{path} must have a value"));
            }
            return;
        };
        if is_placeholder(node) {
            return;
        }
        let mut refs: Vec<(&Node, FieldPath<'_>)> = Vec::new();
        match field.ty {
            FieldType::String { min_len_one } => {
                if let Some(s) = self.string(node, &path) {
                    if min_len_one && s.is_empty() {
                        self.error(node.pos, &path, format!("{path} must have a value, found an empty string"));
                    } else {
                        refs.push((node, path));
                    }
                }
            }
            FieldType::StringList => match node.as_seq() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let p = path.index(i);
                        if self.string(item, &p).is_some() {
                            refs.push((item, p));
                        }
                    }
                }
                None => self.error(node.pos, &path, format!("\"{path}\" must be an array of strings, found {}", found(node))),
            },
            FieldType::Object => {
                if node.as_map().is_none() {
                    self.error(node.pos, &path, format!("\"{path}\" must be an object, found {}", found(node)));
                }
            }
            FieldType::ObjectList { required_key } => self.object_list(node, &path, required_key),
            FieldType::ObjectOrList => {
                if node.as_map().is_none() && node.as_seq().is_none() {
                    self.error(node.pos, &path, format!("\"{path}\" must be an object or an array, found {}", found(node)));
                }
            }
            FieldType::OneOf(choices) => {
                if let Some(s) = self.string(node, &path) {
                    if !choices.contains(&s) {
                        self.invalid(node, &path, &format!("one of {}", choices.join(", ")));
                    }
                }
            }
        }
        let Some(rule) = field.relation else {
            if matches!(field.name, "target" | "targets") {
                if let Some(references) = self.references.as_mut() {
                    for (node, path) in refs {
                        let target = ReferenceTarget::Location(node.as_str().unwrap_or_default().to_owned());
                        references.push(Reference { field: path.to_string(), pos: node.pos, target });
                    }
                }
            }
            return;
        };
        for (node, path) in refs {
            let Some(text) = node.as_str() else { continue };
            match EntityRef::parse(text, RefDefaults { kind: rule.default_kind, namespace: Some(namespace) }) {
                Ok(target_ref) => {
                    let relation = Relation { relation_type: rule.relation, target_ref };
                    if let Some(references) = self.references.as_mut() {
                        let target = ReferenceTarget::Entity(relation.clone());
                        references.push(Reference { field: path.to_string(), pos: node.pos, target });
                    }
                    relations.push(relation);
                }
                Err(e) => self.error(node.pos, &path, format!("\"{path}\": {e}")),
            }
        }
    }

    fn object_list(&mut self, node: &Node, path: &FieldPath, required_key: Option<&str>) {
        let Some(items) = node.as_seq() else {
            self.error(node.pos, path, format!("\"{path}\" must be an array of objects, found {}", found(node)));
            return;
        };
        for (i, item) in items.iter().enumerate().filter(|(_, item)| !is_placeholder(item)) {
            let p = path.index(i);
            if item.as_map().is_none() {
                self.error(item.pos, &p, format!("\"{p}\" must be an object, found {}", found(item)));
                continue;
            }
            let Some(key) = required_key else { continue };
            let field = p.key(key);
            if let Some(value) = self.required(item, item.pos, &field, key) {
                self.string(value, &field);
            }
        }
    }
}

/// `<type>:<target>` with a non-empty type and target, as `parseLocationRef` wants.
pub fn is_location_ref(text: &str) -> bool {
    match text.split_once(':') {
        Some((kind, target)) => !kind.is_empty() && !target.is_empty() && !target.starts_with("//"),
        None => false,
    }
}
