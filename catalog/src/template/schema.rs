//! Reading a JSON Schema property into a [`Field`]: its type and
//! constraints, rjsf's `ui:*` keys, and the problems found on the way.

use serde_json::{Map, Value};

use super::SchemaProblem;
use super::field::{Bounds, Field, FieldKind, FieldUi, Pattern, string_list, value_label};

/// Reads the property `name` at `path` from `schema`; `at` is the schema's
/// place in the template (`spec.parameters[0].properties.name`) for problems.
pub(super) fn parse_field(name: &str, path: &str, schema: &Value, required: bool, at: &str, problems: &mut Vec<SchemaProblem>) -> Field {
    let empty = Map::new();
    let obj = match schema.as_object() {
        Some(o) => o,
        None => {
            problems.push(SchemaProblem::new(at, "is not a schema object; shown as text"));
            &empty
        }
    };
    let text = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_owned);
    Field {
        name: name.to_owned(),
        path: path.to_owned(),
        title: text("title"),
        description: text("description"),
        kind: parse_kind(obj, path, at, problems),
        required,
        default: obj.get("default").cloned(),
        constant: obj.get("const").cloned(),
        ui: parse_ui(obj),
        schema: schema.clone(),
    }
}

fn parse_ui(obj: &Map<String, Value>) -> FieldUi {
    let text = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_owned);
    let review = obj.get("ui:backstage").and_then(|b| b.get("review"));
    FieldUi {
        widget: text("ui:widget"),
        field: text("ui:field"),
        help: text("ui:help"),
        placeholder: text("ui:placeholder"),
        autofocus: obj.get("ui:autofocus").and_then(Value::as_bool).unwrap_or(false),
        review_show: review.and_then(|r| r.get("show")).and_then(Value::as_bool).unwrap_or(true),
        review_mask: review.and_then(|r| r.get("mask")).and_then(Value::as_str).map(str::to_owned),
        options: obj.get("ui:options").and_then(Value::as_object).cloned().unwrap_or_default(),
    }
}

/// The first non-null `type`, when there is one.
fn type_name(obj: &Map<String, Value>) -> Option<&str> {
    match obj.get("type") {
        Some(Value::String(s)) => Some(s),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

fn parse_kind(obj: &Map<String, Value>, path: &str, at: &str, problems: &mut Vec<SchemaProblem>) -> FieldKind {
    let ty = type_name(obj);
    if ty != Some("array")
        && let Some(kind) = enum_kind(obj) {
            return kind;
        }
    let ty = match ty {
        Some(t) => t,
        None if obj.contains_key("properties") => "object",
        None if obj.contains_key("items") => "array",
        None => "string",
    };
    let uint = |key: &str| obj.get(key).and_then(Value::as_u64);
    match ty {
        "string" => {
            let pattern = obj.get("pattern").and_then(Value::as_str).map(|source| {
                let (pattern, error) = Pattern::new(source);
                if let Some(error) = error {
                    problems.push(SchemaProblem::new(&format!("{at}.pattern"), &format!("is not a regular expression this server can check ({}); the pattern is not enforced", first_line(&error))));
                }
                pattern
            });
            FieldKind::String { pattern, min_length: uint("minLength"), max_length: uint("maxLength"), format: obj.get("format").and_then(Value::as_str).map(str::to_owned) }
        }
        "number" => FieldKind::Number(bounds(obj)),
        "integer" => FieldKind::Integer(bounds(obj)),
        "boolean" => FieldKind::Boolean,
        "array" => {
            let items_at = format!("{at}.items");
            let items_schema = match obj.get("items") {
                Some(Value::Array(tuple)) => {
                    problems.push(SchemaProblem::new(&items_at, "tuple items are read as a list of the first item's schema"));
                    tuple.first().cloned().unwrap_or(Value::Object(Map::new()))
                }
                Some(schema) => schema.clone(),
                None => Value::Object(Map::new()),
            };
            let items = parse_field("items", path, &items_schema, false, &items_at, problems);
            FieldKind::Array { items: Box::new(items), min_items: uint("minItems"), max_items: uint("maxItems"), unique_items: obj.get("uniqueItems").and_then(Value::as_bool).unwrap_or(false) }
        }
        "object" => {
            let required = string_list(obj.get("required"));
            let fields = obj
                .get("properties")
                .and_then(Value::as_object)
                .map(|props| {
                    props
                        .iter()
                        .map(|(name, schema)| {
                            let child_path = format!("{path}.{name}");
                            parse_field(name, &child_path, schema, required.contains(name), &format!("{at}.properties.{name}"), problems)
                        })
                        .collect()
                })
                .unwrap_or_default();
            for key in ["dependencies", "if", "allOf", "oneOf", "anyOf"] {
                if obj.contains_key(key) {
                    problems.push(SchemaProblem::new(&format!("{at}.{key}"), "is not evaluated inside a nested object"));
                }
            }
            FieldKind::Object { fields }
        }
        "null" => {
            problems.push(SchemaProblem::new(&format!("{at}.type"), "null alone is not a field type; shown as text"));
            FieldKind::String { pattern: None, min_length: None, max_length: None, format: None }
        }
        other => {
            problems.push(SchemaProblem::new(&format!("{at}.type"), &format!("\"{other}\" is not a JSON Schema type; shown as text")));
            FieldKind::String { pattern: None, min_length: None, max_length: None, format: None }
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or(s)
}

/// `enum` with `enumNames`, or a `oneOf` whose every entry is a `const` (rjsf's labelled enum).
fn enum_kind(obj: &Map<String, Value>) -> Option<FieldKind> {
    if let Some(Value::Array(values)) = obj.get("enum") {
        let names = obj.get("enumNames").or_else(|| obj.get("ui:enumNames")).and_then(Value::as_array);
        let labels = values
            .iter()
            .enumerate()
            .map(|(i, v)| names.and_then(|n| n.get(i)).and_then(Value::as_str).map_or_else(|| value_label(v), str::to_owned))
            .collect();
        return Some(FieldKind::Enum { values: values.clone(), labels });
    }
    let options = obj.get("oneOf").or_else(|| obj.get("anyOf"))?.as_array()?;
    if options.is_empty() || !options.iter().all(|o| o.get("const").is_some()) {
        return None;
    }
    let values: Vec<Value> = options.iter().filter_map(|o| o.get("const").cloned()).collect();
    let labels = options.iter().map(|o| o.get("title").and_then(Value::as_str).map_or_else(|| o.get("const").map(value_label).unwrap_or_default(), str::to_owned)).collect();
    Some(FieldKind::Enum { values, labels })
}

fn bounds(obj: &Map<String, Value>) -> Bounds {
    let num = |key: &str| obj.get(key).and_then(Value::as_f64);
    let mut b = Bounds { minimum: num("minimum"), maximum: num("maximum"), exclusive_minimum: num("exclusiveMinimum"), exclusive_maximum: num("exclusiveMaximum") };
    if obj.get("exclusiveMinimum").and_then(Value::as_bool) == Some(true) {
        b.exclusive_minimum = b.minimum.take();
    }
    if obj.get("exclusiveMaximum").and_then(Value::as_bool) == Some(true) {
        b.exclusive_maximum = b.maximum.take();
    }
    b
}
