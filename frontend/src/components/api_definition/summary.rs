//! One-line type descriptions of schemas (`array of Trip`, `string (uuid)`),
//! with links to the schemas that have a section on the page.

use leptos::prelude::*;
use serde_json::Value;

use super::json::{RefError, get, get_arr, get_bool, resolve, scalar_text, value_text};
use super::markup::none;
use super::schema::{Ctx, schema_anchor};

/// How deep a type summary descends (`array of array of …`) before writing "…".
const MAX_SUMMARY_DEPTH: usize = 6;

/// Members of `oneOf`/`anyOf`/`allOf` named at most in a type summary.
const MAX_COMPOSITE_MEMBERS: usize = 8;

/// A piece of a one-line type description.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// A named schema with a section on the page.
    Link(String),
    Code(String),
}

/// A one-line description of a schema: `array of Trip`, `string (uuid)`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Summary {
    pieces: Vec<Piece>,
}

impl Summary {
    pub(super) fn of(ctx: &Ctx<'_>, schema: &Value) -> Self {
        let mut summary = Self::default();
        summarize(ctx, schema, 0, &mut summary);
        summary
    }

    fn text(&mut self, text: &str) {
        if let Some(Piece::Text(last)) = self.pieces.last_mut() {
            last.push_str(text);
        } else {
            self.pieces.push(Piece::Text(text.to_owned()));
        }
    }

    /// The summary as plain text, for comparisons.
    #[cfg(test)]
    pub(super) fn plain(&self) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) | Piece::Link(t) | Piece::Code(t) => t.as_str(),
            })
            .collect()
    }

    pub(super) fn into_view(self) -> AnyView {
        let parts = self
            .pieces
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(t) => t.into_any(),
                Piece::Link(name) => {
                    let href = format!("#{}", schema_anchor(&name));
                    view! { <a href=href><code>{name}</code></a> }.into_any()
                }
                Piece::Code(c) => view! { <code>{c}</code> }.into_any(),
            })
            .collect_view();
        view! { <span class="apidef-type">{parts}</span> }.into_any()
    }
}

/// The summary of `schema` when there is one, else [`none`].
pub(super) fn summary_or_none(ctx: &Ctx<'_>, schema: Option<&Value>) -> AnyView {
    match schema {
        Some(s) => Summary::of(ctx, s).into_view(),
        None => none(),
    }
}

fn summarize(ctx: &Ctx<'_>, schema: &Value, depth: usize, out: &mut Summary) {
    if depth > MAX_SUMMARY_DEPTH {
        out.text("…");
        return;
    }
    let map = match schema {
        Value::Object(map) => map,
        Value::Bool(true) => return out.text("any"),
        Value::Bool(false) => return out.text("nothing"),
        _ => return out.text("invalid schema"),
    };
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        return ref_summary(ctx, reference, schema, depth, out);
    }
    for (key, label, separator) in [
        ("oneOf", "one of ", " | "),
        ("anyOf", "any of ", " | "),
        ("allOf", "all of ", " & "),
    ] {
        if let Some(Value::Array(members)) = map.get(key) {
            if members.is_empty() {
                continue;
            }
            out.text(label);
            for (i, member) in members.iter().take(MAX_COMPOSITE_MEMBERS).enumerate() {
                if i > 0 {
                    out.text(separator);
                }
                summarize(ctx, member, depth + 1, out);
            }
            if members.len() > MAX_COMPOSITE_MEMBERS {
                out.text(" …");
            }
            nullable_suffix(schema, out);
            return;
        }
    }
    let mut types: Vec<&str> = match map.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.is_empty() {
        if map.contains_key("properties") {
            types.push("object");
        } else if map.contains_key("items") {
            types.push("array");
        } else if let Some(constant) = map.get("const") {
            out.text(&format!("constant {}", value_text(constant)));
            return;
        } else if map.contains_key("enum") {
            types.push("enum");
        } else {
            types.push("any");
        }
    }
    for (i, ty) in types.iter().enumerate() {
        if i > 0 {
            out.text(" | ");
        }
        match *ty {
            "array" => match map.get("items") {
                Some(items @ Value::Object(_)) => {
                    out.text("array of ");
                    summarize(ctx, items, depth + 1, out);
                }
                _ => out.text("array"),
            },
            "object" => match map.get("additionalProperties") {
                Some(extra @ Value::Object(_)) if !map.contains_key("properties") => {
                    out.text("map of ");
                    summarize(ctx, extra, depth + 1, out);
                }
                _ => out.text("object"),
            },
            other => out.text(other),
        }
    }
    if let Some(format) = map.get("format").and_then(scalar_text) {
        out.text(&format!(" ({format})"));
    }
    nullable_suffix(schema, out);
}

fn nullable_suffix(schema: &Value, out: &mut Summary) {
    if get_bool(schema, "nullable") || get_bool(schema, "x-nullable") {
        out.text(" | null");
    }
}

fn ref_summary(ctx: &Ctx<'_>, reference: &str, schema: &Value, depth: usize, out: &mut Summary) {
    if let Some(name) = ctx.named_schema(reference) {
        if ctx.anchored.contains(&name) {
            out.pieces.push(Piece::Link(name));
        } else if ctx.schemas.is_some_and(|s| s.contains_key(&name)) {
            out.pieces.push(Piece::Code(name));
        } else {
            out.pieces.push(Piece::Code(name));
            out.text(" (missing)");
        }
        return;
    }
    match resolve(ctx.doc, schema) {
        Ok(target) => summarize(ctx, target, depth + 1, out),
        Err(RefError::External(r)) => {
            out.pieces.push(Piece::Code(r));
        }
        Err(e) => {
            out.pieces.push(Piece::Code(reference.to_owned()));
            out.text(match e {
                RefError::Cycle(_) => " (circular)",
                _ => " (missing)",
            });
        }
    }
}

/// The allowed values of a schema (or of its array items).
pub(super) fn enum_values(schema: &Value) -> Vec<String> {
    let items_enum = get(schema, "items").and_then(|items| get_arr(items, "enum"));
    match get_arr(schema, "enum").or(items_enum) {
        Some(values) => values.iter().map(value_text).collect(),
        None => get(schema, "const")
            .map(|c| vec![value_text(c)])
            .unwrap_or_default(),
    }
}
