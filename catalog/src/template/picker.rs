//! What an entity picker (`OwnerPicker`, `EntityPicker`, …) offers, read
//! from its `ui:options` the way Backstage's pickers read them, so the server
//! can look the choices up in the catalog.

use std::collections::BTreeMap;

use serde_json::Value;

use super::field::{Field, string_list};

/// The catalog query behind an entity picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerQuery {
    /// The picker, e.g. `OwnerPicker`; `OwnedEntityPicker` and `MyGroupsPicker`
    /// further restrict the choices to the viewer's entities and groups.
    pub picker: String,
    /// Alternatives (an entity matches when it passes any); each maps a field
    /// (`kind`, `spec.type`, `metadata.annotations.x`) to its allowed values,
    /// compared case-insensitively; an empty list means the field must exist.
    /// No filters means every entity.
    pub filters: Vec<BTreeMap<String, Vec<String>>>,
    /// `defaultKind`: the kind a value typed without one has.
    pub default_kind: Option<String>,
    /// `defaultNamespace`.
    pub default_namespace: Option<String>,
    /// Whether several entities are chosen (`MultiEntityPicker`).
    pub multiple: bool,
    /// Whether a value outside the choices is accepted (`allowArbitraryValues`, default true).
    pub arbitrary: bool,
}

impl Field {
    /// The picker's query, when the field is an entity picker.
    pub fn picker(&self) -> Option<PickerQuery> {
        let picker = self.ui.field.clone()?;
        let options = &self.ui.options;
        let mut filters = match options.get("catalogFilter") {
            Some(Value::Array(list)) => list.iter().filter_map(filter).collect(),
            Some(one) => filter(one).into_iter().collect(),
            None => Vec::new(),
        };
        let allowed_kinds = string_list(options.get("allowedKinds"));
        if filters.is_empty() && !allowed_kinds.is_empty() {
            filters.push(BTreeMap::from([("kind".to_owned(), allowed_kinds)]));
        }
        let text = |key: &str| options.get(key).and_then(Value::as_str).map(str::to_owned);
        let mut default_kind = text("defaultKind");
        match picker.as_str() {
            "OwnerPicker" => {
                if filters.is_empty() {
                    filters.push(BTreeMap::from([("kind".to_owned(), vec!["Group".to_owned(), "User".to_owned()])]));
                }
                default_kind = default_kind.or(Some("Group".to_owned()));
            }
            "MyGroupsPicker" => {
                filters = vec![BTreeMap::from([("kind".to_owned(), vec!["Group".to_owned()])])];
                default_kind = Some("Group".to_owned());
            }
            "EntityPicker" | "OwnedEntityPicker" | "MultiEntityPicker" => {}
            _ => return None,
        }
        Some(PickerQuery {
            multiple: picker == "MultiEntityPicker",
            arbitrary: options.get("allowArbitraryValues").and_then(Value::as_bool).unwrap_or(true),
            picker,
            filters,
            default_kind,
            default_namespace: text("defaultNamespace"),
        })
    }
}

/// One filter object: strings and lists of strings as allowed values, `{exists: true}` as "must exist".
fn filter(value: &Value) -> Option<BTreeMap<String, Vec<String>>> {
    let obj = value.as_object()?;
    let map: BTreeMap<String, Vec<String>> = obj
        .iter()
        .filter_map(|(k, v)| match v {
            Value::Object(o) if o.get("exists").and_then(Value::as_bool) == Some(true) => Some((k.clone(), Vec::new())),
            Value::String(_) | Value::Array(_) => Some((k.clone(), string_list(Some(v)))),
            Value::Bool(b) => Some((k.clone(), vec![b.to_string()])),
            Value::Number(n) => Some((k.clone(), vec![n.to_string()])),
            _ => None,
        })
        .collect();
    (!map.is_empty()).then_some(map)
}
