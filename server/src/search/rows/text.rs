//! The full-text haystack of an entity, from its JSON or from the typed
//! entity an ingest parsed (the server's tests hold the two to each other
//! for every real-world entity).

use portolan_catalog::Entity;
use serde_json::Value;

use super::{push_lower, scalar};

/// The lower-cased text `fullTextFilterTerm` searches when no
/// `fullTextFilterFields` are given: the fields a catalog table shows
/// (name, title, description, tags, type, owner, lifecycle, display name),
/// one per line so that a term cannot match across two fields.
pub fn search_text(entity: &Value) -> String {
    let mut text = TextParts::default();
    let metadata = entity.get("metadata");
    let spec = entity.get("spec");
    for key in ["name", "title", "description", "tags"] {
        text.value(metadata.and_then(|m| m.get(key)));
    }
    for key in ["type", "owner", "lifecycle"] {
        text.value(spec.and_then(|s| s.get(key)));
    }
    text.value(spec.and_then(|s| s.get("profile")).and_then(|p| p.get("displayName")));
    text.0
}

/// [`search_text`] as it is gathered: its non-empty parts, lower-cased, a
/// line each.
#[derive(Default)]
struct TextParts(String);

impl TextParts {
    fn text(&mut self, part: &str) {
        if part.is_empty() {
            return;
        }
        if !self.0.is_empty() {
            self.0.push('\n');
        }
        push_lower(&mut self.0, part);
    }

    /// A field's value: a scalar, or each scalar of an array.
    fn value(&mut self, value: Option<&Value>) {
        match value {
            Some(Value::Array(items)) => items.iter().filter_map(scalar).for_each(|part| self.text(&part)),
            Some(value) => scalar(value).into_iter().for_each(|part| self.text(&part)),
            None => {}
        }
    }
}

/// [`search_text`] of `entity`'s JSON, read from the typed entity (see
/// [`super::flat_rows_of`]).
pub fn search_text_of(entity: &Entity) -> String {
    let m = &entity.metadata;
    let mut text = TextParts::default();
    text.text(&m.name);
    for part in [&m.title, &m.description].into_iter().flatten() {
        text.text(part);
    }
    m.tags.iter().for_each(|tag| text.text(tag));
    let spec = entity.spec.as_ref();
    for key in ["type", "owner", "lifecycle"] {
        text.value(spec.and_then(|s| s.get(key)));
    }
    text.value(spec.and_then(|s| s.get("profile")).and_then(|p| p.get("displayName")));
    text.0
}
