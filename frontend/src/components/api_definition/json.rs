//! Reading the untrusted document: typed field access that never panics, and
//! `$ref` resolution with cycle detection.

use serde_json::{Map, Value};

/// A `$ref` chain longer than this is treated as a cycle.
const MAX_REF_HOPS: usize = 64;

// ---- JSON helpers ---------------------------------------------------------

pub(super) fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_object()?.get(key)
}

pub(super) fn get_str<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    get(value, key)?.as_str()
}

pub(super) fn get_obj<'a>(value: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    get(value, key)?.as_object()
}

pub(super) fn get_arr<'a>(value: &'a Value, key: &str) -> Option<&'a Vec<Value>> {
    get(value, key)?.as_array()
}

pub(super) fn get_bool(value: &Value, key: &str) -> bool {
    matches!(get(value, key), Some(Value::Bool(true)))
}

/// A scalar field as display text; numbers too, since YAML turns `version: 2.0`
/// into a number.
pub(super) fn get_text(value: &Value, key: &str) -> Option<String> {
    get(value, key)
        .and_then(scalar_text)
        .filter(|t| !t.trim().is_empty())
}

pub(super) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Any value as short display text, e.g. an enum member.
pub(super) fn value_text(value: &Value) -> String {
    match scalar_text(value) {
        Some(t) => t,
        None => clip(value.to_string(), 120),
    }
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn clip(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        text
    } else {
        let mut cut: String = text.chars().take(max).collect();
        cut.push('…');
        cut
    }
}

/// The strings of a list field, skipping anything else.
pub(super) fn strings<'a>(value: &'a Value, key: &str) -> Vec<&'a str> {
    get_arr(value, key)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// "a number", "a list", … for messages about wrongly shaped fields.
pub(super) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The document's top-level fields, or why it has none to render.
pub(super) fn top_level(doc: &Value) -> Result<&Map<String, Value>, String> {
    doc.as_object()
        .ok_or_else(|| format!("the document is {}, not a mapping of fields.", kind_of(doc)))
}

// ---- `$ref` resolution -----------------------------------------------------

/// Why a `$ref` could not be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RefError {
    /// Points outside this document (another file or URL).
    External(String),
    /// Points to nothing in this document.
    Missing(String),
    /// Leads back to itself.
    Cycle(String),
}

impl RefError {
    pub(super) fn describe(&self) -> String {
        match self {
            Self::External(r) => format!("defined elsewhere ({r})"),
            Self::Missing(r) => format!("unresolved reference {r}"),
            Self::Cycle(r) => format!("circular reference {r}"),
        }
    }
}

/// `%XX` escapes decoded; the text unchanged when they do not form UTF-8.
fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes.get(i).copied().unwrap_or(0);
        if byte == b'%' {
            let hex = |j: usize| bytes.get(j).and_then(|b| char::from(*b).to_digit(16));
            if let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(byte);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(decoded) => decoded,
        Err(_) => text.to_owned(),
    }
}

/// One segment of a JSON pointer (`a~1b%20c`) as the key it names (`a/b c`).
pub(super) fn pointer_segment(segment: &str) -> String {
    percent_decode(segment)
        .replace("~1", "/")
        .replace("~0", "~")
}

/// The value a local reference `#/a/b` points to.
fn pointer<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let fragment = percent_decode(reference.strip_prefix('#')?);
    if fragment.is_empty() {
        return Some(doc);
    }
    doc.pointer(&fragment)
}

/// `value` with its `$ref` chain followed to the end.
pub(super) fn resolve<'a>(doc: &'a Value, value: &'a Value) -> Result<&'a Value, RefError> {
    let mut current = value;
    let mut seen: Vec<&str> = Vec::new();
    while let Some(reference) = get_str(current, "$ref") {
        if seen.contains(&reference) || seen.len() >= MAX_REF_HOPS {
            return Err(RefError::Cycle(reference.to_owned()));
        }
        seen.push(reference);
        if !reference.starts_with('#') {
            return Err(RefError::External(reference.to_owned()));
        }
        match pointer(doc, reference) {
            Some(target) => current = target,
            None => return Err(RefError::Missing(reference.to_owned())),
        }
    }
    Ok(current)
}

/// The last segment of a reference, as a fallback display name.
pub(super) fn ref_tail(reference: &str) -> String {
    pointer_segment(reference.rsplit('/').next().unwrap_or(reference))
}
