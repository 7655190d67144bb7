//! The `fields` parameter: which parts of each entity to return, so that
//! lists (the catalog table, pickers) need not ship whole entities.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::AppError;

/// Dotted paths of the subtrees to keep, e.g. `metadata.name`, `kind`,
/// `metadata.annotations.backstage.io/techdocs-ref`; empty keeps everything.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fields(Vec<String>);

impl Fields {
    /// Parses the comma-separated, repeatable `fields` parameter (or the
    /// `fields` array of a JSON body). Array indexing (`[`) is refused, as in
    /// Backstage.
    pub fn parse<'a>(params: impl IntoIterator<Item = &'a str>) -> Result<Fields, AppError> {
        let mut fields: Vec<String> = Vec::new();
        for field in params.into_iter().flat_map(|p| p.split(',')) {
            let field = field.trim();
            if field.is_empty() {
                continue;
            }
            if field.contains('[') {
                return Err(AppError::input("invalid fields, array type fields are not supported"));
            }
            if !fields.iter().any(|f| f == field) {
                fields.push(field.to_owned());
            }
        }
        Ok(Fields(fields))
    }

    /// Whether every field is kept.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The listed paths, in request order.
    pub fn paths(&self) -> &[String] {
        &self.0
    }

    /// Replaces `entity` with only the listed subtrees (nothing to do when
    /// the list is empty). A path's parts are matched against the object's
    /// keys greedily from the shortest, so keys containing dots
    /// (`backstage.io/techdocs-ref`) are reachable; paths that do not exist
    /// are left out, as Backstage's lodash `get`/`set` does.
    pub fn apply(&self, entity: &mut Value) {
        if self.0.is_empty() {
            return;
        }
        let mut output = Value::Object(Map::new());
        for field in &self.0 {
            let parts: Vec<&str> = field.split('.').collect();
            if let Some((keys, value)) = resolve(entity, &parts) {
                set(&mut output, &keys, value.clone());
            }
        }
        *entity = output;
    }
}

/// The keys leading to `parts` in `value`, and what is there.
fn resolve<'v>(value: &'v Value, parts: &[&str]) -> Option<(Vec<String>, &'v Value)> {
    if parts.is_empty() {
        return Some((Vec::new(), value));
    }
    let Value::Object(map) = value else { return None };
    for end in 1..=parts.len() {
        let key = parts[..end].join(".");
        let found = map.get(&key).and_then(|child| resolve(child, &parts[end..]));
        if let Some((mut keys, found)) = found {
            keys.insert(0, key);
            return Some((keys, found));
        }
    }
    None
}

fn set(output: &mut Value, keys: &[String], value: Value) {
    let Some((last, parents)) = keys.split_last() else {
        *output = value;
        return;
    };
    let mut current = output;
    for key in parents {
        let Value::Object(map) = current else { return };
        let next = map.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            // An earlier field kept this whole subtree already.
            return;
        }
        current = next;
    }
    if let Value::Object(map) = current {
        map.insert(last.clone(), value);
    }
}
