//! Checking values against fields, with messages a person can act on and
//! the error shape Backstage's `POST /v2/tasks` answers 400 with.

use serde_json::{Map, Value, json};

use super::field::{Bounds, Field, FieldKind, value_label};
use super::repo_url;

/// A value that breaks a rule of its field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Dotted path of the field the error belongs to (`name`, `address.city`).
    pub path: String,
    /// Backstage's `property`: `instance.name`, `instance.tags[1]`.
    pub property: String,
    /// What is wrong, to show next to the field: "must be at most 63 characters".
    pub message: String,
    /// The rule: `required`, `type`, `pattern`, `minLength`, `maxLength`, `minimum`,
    /// `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `enum`, `const`, `minItems`,
    /// `maxItems`, `uniqueItems`, `format`, `repoUrl`, `entityName`.
    pub name: String,
    /// The rule's argument: the pattern, the limit, the missing property's name.
    pub argument: Value,
    /// The offending value (`null` when missing).
    pub instance: Value,
    /// The field's schema as written.
    pub schema: Value,
}

impl FieldError {
    /// The error as Backstage's API writes it:
    /// `{path, property, message, schema, instance, name, argument, stack}`.
    pub fn to_backstage_json(&self) -> Value {
        let path: Vec<Value> = self
            .property
            .trim_start_matches("instance")
            .split(['.', '['])
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_suffix(']').and_then(|n| n.parse::<u64>().ok()) {
                Some(n) => json!(n),
                None => json!(s),
            })
            .collect();
        json!({
            "path": path,
            "property": self.property,
            "message": self.message,
            "schema": self.schema,
            "instance": self.instance,
            "name": self.name,
            "argument": self.argument,
            "stack": format!("{} {}", self.property, self.message),
        })
    }
}

/// Checks `values` (an object holding the fields) against `fields`.
pub(super) fn validate_fields(fields: &[Field], values: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for f in fields {
        check(f, values.get(&f.name), &f.path, &format!("instance.{}", f.path), &mut errors);
    }
    errors
}

/// Whether a value counts as not given: absent, `null`, or an empty string.
pub fn is_missing(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    }
}

struct Report<'a> {
    field: &'a Field,
    path: &'a str,
    property: &'a str,
    instance: &'a Value,
}

impl Report<'_> {
    fn push(&self, errors: &mut Vec<FieldError>, name: &str, argument: Value, message: String) {
        errors.push(FieldError {
            path: self.path.to_owned(),
            property: self.property.to_owned(),
            message,
            name: name.to_owned(),
            argument,
            instance: self.instance.clone(),
            schema: self.field.schema.clone(),
        });
    }
}

fn check(field: &Field, value: Option<&Value>, path: &str, property: &str, errors: &mut Vec<FieldError>) {
    let report = Report { field, path, property, instance: value.unwrap_or(&Value::Null) };
    if is_missing(value) {
        match (&field.kind, field.required) {
            (FieldKind::Object { fields }, true) if !fields.is_empty() => {
                for child in fields {
                    check(child, None, &child.path, &format!("{property}.{}", child.name), errors);
                }
            }
            (_, true) => report.push(errors, "required", json!(field.name), "is required".to_owned()),
            _ => {}
        }
        return;
    }
    let Some(value) = value else { return };
    if let Some(constant) = &field.constant
        && value != constant {
            report.push(errors, "const", constant.clone(), format!("must be {}", value_label(constant)));
            return;
        }
    match &field.kind {
        FieldKind::String { pattern, min_length, max_length, format } => {
            let Some(text) = value.as_str() else {
                return report.push(errors, "type", json!("string"), "must be text".to_owned());
            };
            let length = text.chars().count() as u64;
            if let Some(min) = *min_length
                && length < min {
                    report.push(errors, "minLength", json!(min), format!("must be at least {min} {}", plural(min, "character")));
                }
            if let Some(max) = *max_length
                && length > max {
                    report.push(errors, "maxLength", json!(max), format!("must be at most {max} {}", plural(max, "character")));
                }
            if let Some(p) = pattern
                && p.is_match(text) == Some(false) {
                    report.push(errors, "pattern", json!(p.source), format!("must match the pattern {}", p.source));
                }
            if let Some(format) = format
                && !format_ok(format, text) {
                    report.push(errors, "format", json!(format), format!("must be a valid {}", format_label(format)));
                }
            if field.ui.field.as_deref() == Some("EntityNamePicker") && pattern.is_none() && !crate::rules::is_valid_object_name(text) {
                report.push(errors, "entityName", json!(text), "must start and end with a letter or digit and contain only letters, digits, hyphens, underscores and periods, at most 63 characters".to_owned());
            }
            if field.ui.field.as_deref() == Some("RepoUrlPicker")
                && let Err(message) = repo_url::check(&field.ui, text) {
                    report.push(errors, "repoUrl", json!(text), message);
                }
        }
        FieldKind::Number(bounds) => match value.as_f64() {
            Some(n) => check_bounds(&report, bounds, n, errors),
            None => report.push(errors, "type", json!("number"), "must be a number".to_owned()),
        },
        FieldKind::Integer(bounds) => match value.as_f64().filter(|n| n.fract() == 0.0) {
            Some(n) => check_bounds(&report, bounds, n, errors),
            None => report.push(errors, "type", json!("integer"), "must be a whole number".to_owned()),
        },
        FieldKind::Boolean => {
            if !value.is_boolean() {
                report.push(errors, "type", json!("boolean"), "must be yes or no (true or false)".to_owned());
            }
        }
        FieldKind::Enum { values, labels } => {
            if !values.contains(value) {
                report.push(errors, "enum", Value::Array(values.clone()), format!("must be one of: {}", labels.join(", ")));
            }
        }
        FieldKind::Array { items, min_items, max_items, unique_items } => {
            let Some(list) = value.as_array() else {
                return report.push(errors, "type", json!("array"), "must be a list".to_owned());
            };
            let count = list.len() as u64;
            if let Some(min) = *min_items
                && count < min {
                    report.push(errors, "minItems", json!(min), format!("must have at least {min} {}", plural(min, "item")));
                }
            if let Some(max) = *max_items
                && count > max {
                    report.push(errors, "maxItems", json!(max), format!("must have at most {max} {}", plural(max, "item")));
                }
            if *unique_items && list.iter().enumerate().any(|(i, v)| list[..i].contains(v)) {
                report.push(errors, "uniqueItems", json!(true), "must not list the same item twice".to_owned());
            }
            for (i, item) in list.iter().enumerate() {
                let item_field = Field { required: true, ..(**items).clone() };
                let before = errors.len();
                check(&item_field, Some(item), path, &format!("{property}[{i}]"), errors);
                for e in &mut errors[before..] {
                    e.message = format!("item {}: {}", i + 1, e.message);
                }
            }
        }
        FieldKind::Object { fields } => {
            let Some(map) = value.as_object() else {
                return report.push(errors, "type", json!("object"), "must be an object".to_owned());
            };
            for child in fields {
                check(child, map.get(&child.name), &child.path, &format!("{property}.{}", child.name), errors);
            }
        }
    }
}

fn check_bounds(report: &Report<'_>, b: &Bounds, n: f64, errors: &mut Vec<FieldError>) {
    if let Some(min) = b.minimum.filter(|m| n < *m) {
        report.push(errors, "minimum", json!(min), format!("must be at least {}", number(min)));
    }
    if let Some(max) = b.maximum.filter(|m| n > *m) {
        report.push(errors, "maximum", json!(max), format!("must be at most {}", number(max)));
    }
    if let Some(min) = b.exclusive_minimum.filter(|m| n <= *m) {
        report.push(errors, "exclusiveMinimum", json!(min), format!("must be greater than {}", number(min)));
    }
    if let Some(max) = b.exclusive_maximum.filter(|m| n >= *m) {
        report.push(errors, "exclusiveMaximum", json!(max), format!("must be less than {}", number(max)));
    }
}

/// `8080.0` as `8080`, other numbers as Rust writes them.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 { word.to_owned() } else { format!("{word}s") }
}

fn format_label(format: &str) -> &str {
    match format {
        "email" => "e-mail address",
        "uri" | "url" => "URL",
        "date" => "date (YYYY-MM-DD)",
        other => other,
    }
}

/// The formats worth checking on a form; others pass.
fn format_ok(format: &str, text: &str) -> bool {
    match format {
        "email" => text.split_once('@').is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !text.contains(char::is_whitespace)),
        "uri" | "url" => url::Url::parse(text).is_ok(),
        "date" => {
            let parts: Vec<&str> = text.split('-').collect();
            parts.len() == 3
                && [4, 2, 2].iter().zip(&parts).all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_digit()))
                && parts[1].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
                && parts[2].parse::<u8>().is_ok_and(|d| (1..=31).contains(&d))
        }
        _ => true,
    }
}
