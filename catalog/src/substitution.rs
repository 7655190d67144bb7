//! `$text`, `$json` and `$yaml` references (Backstage's placeholder
//! processor): a mapping with that one key is replaced by what the reference
//! points at. Reading is someone else's job, behind [`Resolver`], so this
//! crate stays free of I/O.

use crate::diagnostics::{Diagnostic, FieldPath};
use crate::yaml::{self, Node, Pos, Value};

/// What a [`Resolver`] made of a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The text behind the reference.
    Text(String),
    /// The reference can't be read in this setting (e.g. a URL while
    /// validating offline); the placeholder stays as written.
    Deferred(String),
    /// The reference points at nothing readable.
    Failed(String),
}

/// Reads what a placeholder refers to: a path relative to the catalog file,
/// or an absolute URL.
pub trait Resolver {
    /// Reads `reference` as text.
    fn read(&self, reference: &str) -> Resolution;
}

/// A resolver that reads nothing, for entities that have no file (e.g. API input).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoResolver;

impl Resolver for NoResolver {
    fn read(&self, _reference: &str) -> Resolution {
        Resolution::Deferred("there is no file to resolve it against".to_owned())
    }
}

const PLACEHOLDERS: &[&str] = &["$text", "$json", "$yaml"];

/// The placeholder key and its reference, if `node` is `{$text: ref}` or alike.
fn placeholder(node: &Node) -> Option<(&str, &Node)> {
    match node.as_map()? {
        [(key, value)] if PLACEHOLDERS.contains(&key.text.as_str()) => Some((key.text.as_str(), value)),
        _ => None,
    }
}

/// Whether `node` is a placeholder that is still unresolved.
pub fn is_placeholder(node: &Node) -> bool {
    placeholder(node).is_some()
}

/// Replaces every placeholder under `node` with what it refers to.
pub fn substitute(node: &mut Node, resolver: &dyn Resolver, path: &FieldPath<'_>, document: usize, diagnostics: &mut Vec<Diagnostic>) {
    if let Some((kind, reference)) = placeholder(node) {
        let pos = node.pos;
        let Some(reference) = reference.as_str() else {
            diagnostics.push(Diagnostic::error(document, reference.pos, path.to_string(), format!("{kind} needs a string reference")));
            return;
        };
        let kind = kind.to_owned();
        let reference = reference.to_owned();
        match resolver.read(&reference) {
            Resolution::Text(text) => match parse_as(&kind, &text, pos) {
                Ok(value) => node.value = value,
                Err(message) => diagnostics.push(Diagnostic::error(
                    document,
                    pos,
                    path.to_string(),
                    format!("{kind} {reference}: {message}"),
                )),
            },
            Resolution::Deferred(why) => diagnostics.push(Diagnostic::warning(
                document,
                pos,
                path.to_string(),
                format!("{kind} {reference} was not read: {why}"),
            )),
            Resolution::Failed(why) => diagnostics.push(Diagnostic::error(
                document,
                pos,
                path.to_string(),
                format!("{kind} {reference} could not be read: {why}"),
            )),
        }
        return;
    }
    match &mut node.value {
        Value::Map(entries) => {
            for (key, value) in entries {
                substitute(value, resolver, &path.key(&key.text), document, diagnostics);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                substitute(item, resolver, &path.index(i), document, diagnostics);
            }
        }
        _ => {}
    }
}

fn parse_as(kind: &str, text: &str, pos: Pos) -> Result<Value, String> {
    match kind {
        "$json" => {
            let json: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
            Ok(from_json(&json, pos).value)
        }
        "$yaml" => {
            let mut documents = yaml::parse_documents(text).into_iter();
            match documents.next().map(|d| d.root) {
                Some(Ok(Some(root))) => Ok(with_pos(root, pos).value),
                Some(Ok(None)) | None => Ok(Value::Null),
                Some(Err(e)) => Err(format!("not valid YAML at line {}, column {}: {}", e.pos.line, e.pos.column, e.message)),
            }
        }
        _ => Ok(Value::Str(text.to_owned())),
    }
}

/// A node tree from JSON, every node placed at `pos` (JSON input has no lines of its own).
pub fn from_json(json: &serde_json::Value, pos: Pos) -> Node {
    use serde_json::Value as J;
    let value = match json {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => n.as_i64().map_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN)), Value::Int),
        J::String(s) => Value::Str(s.clone()),
        J::Array(items) => Value::Seq(items.iter().map(|i| from_json(i, pos)).collect()),
        J::Object(map) => Value::Map(
            map.iter().map(|(k, v)| (yaml::Key { pos, text: k.clone() }, from_json(v, pos))).collect(),
        ),
    };
    Node { pos, value }
}

/// Moves a tree read from another file to the placeholder's position.
fn with_pos(mut node: Node, pos: Pos) -> Node {
    node.pos = pos;
    node.value = match node.value {
        Value::Seq(items) => Value::Seq(items.into_iter().map(|n| with_pos(n, pos)).collect()),
        Value::Map(entries) => Value::Map(
            entries.into_iter().map(|(k, v)| (yaml::Key { pos, text: k.text }, with_pos(v, pos))).collect(),
        ),
        other => other,
    };
    node
}
