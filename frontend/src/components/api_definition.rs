//! Renders an API entity's `spec.definition` as readable reference pages.
//!
//! The server hands over the definition text and, for the YAML/JSON formats,
//! the document parsed into a [`serde_json::Value`]. OpenAPI (3.x and Swagger
//! 2.0) and AsyncAPI (2.x and 3.x) documents become operation, channel and
//! schema tables; GraphQL and gRPC (protobuf) sources are shown with light
//! syntax highlighting; anything else is shown as written. Every view ends with
//! the raw text in a `<details>` element.
//!
//! The definition is untrusted input. All of it reaches the page as text nodes
//! or attribute values, which Leptos escapes; nothing is inserted as markup,
//! and no value from the definition becomes a link target except in-page
//! `#schema-…` anchors built from sanitised schema names. Rendering never
//! panics: every field is read with pattern matching, `$ref` chains are
//! followed with cycle detection, and large documents are cut off with a note.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use serde_json::{Map, Value};

/// Operations rendered at most; the raw definition still holds all of them.
const MAX_OPERATIONS: usize = 500;
/// Schemas, and AsyncAPI channels, rendered at most.
const MAX_SCHEMAS: usize = 500;
/// Property rows at most in one schema's table.
const MAX_PROPERTIES: usize = 300;
/// Enum values listed at most for one schema or parameter.
const MAX_ENUM_VALUES: usize = 50;
/// How deep a type summary descends (`array of array of …`) before writing "…".
const MAX_SUMMARY_DEPTH: usize = 6;
/// How many levels of inline objects a properties table flattens (`a.b.c`).
const MAX_NESTING: usize = 3;
/// Sources longer than this (in characters) are shown without highlighting.
const MAX_HIGHLIGHT_CHARS: usize = 300_000;
/// A `$ref` chain longer than this is treated as a cycle.
const MAX_REF_HOPS: usize = 64;
/// Members of `oneOf`/`anyOf`/`allOf` named at most in a type summary.
const MAX_COMPOSITE_MEMBERS: usize = 8;

/// HTTP methods of an OpenAPI path item, in display order.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// An API entity's definition, rendered for its `spec.type`.
///
/// The entity page puts this under its own `<h2>`; headings here start at
/// `<h3>`. `parsed` is what the server could read from `definition` as
/// YAML/JSON; OpenAPI and AsyncAPI need it, GraphQL and gRPC are rendered from
/// the text. A definition that cannot be read as its type gets a notice and
/// its raw text, never an error page.
#[component]
pub fn ApiDefinitionView(
    /// `spec.type` as written, e.g. "openapi".
    #[prop(into)]
    spec_type: String,
    /// `spec.definition` text as written.
    #[prop(into)]
    definition: String,
    /// The definition parsed as YAML/JSON into a JSON value, when it parses
    /// (`None` for graphql/grpc or unparseable text).
    parsed: Option<Value>,
) -> impl IntoView {
    let label = spec_type.trim().to_owned();
    let kind = SpecKind::of(&label);
    let (body, raw_open) = body(kind, &label, &definition, parsed.as_ref());
    let class = format!("apidef apidef-kind-{}", kind.token());
    view! {
        <div class=class>
            {body}
            <details class="apidef-raw" open=raw_open>
                <summary>"Raw definition"</summary>
                <pre class="apidef-source" tabindex="0"><code>{definition}</code></pre>
            </details>
        </div>
    }
}

/// The view for `kind`, and whether the raw definition should start open
/// (when nothing else shows the source).
fn body(kind: SpecKind, label: &str, definition: &str, parsed: Option<&Value>) -> (AnyView, bool) {
    if definition.trim().is_empty() && parsed.is_none() {
        let empty = view! { <p class="apidef-empty">"This API's definition is empty."</p> };
        return (empty.into_any(), false);
    }
    match kind {
        SpecKind::OpenApi => match parsed {
            Some(doc) => match check_openapi(doc) {
                Ok(()) => (render_openapi(doc), false),
                Err(reason) => (unreadable(label, &reason), true),
            },
            None => (unreadable(label, NOT_PARSED), true),
        },
        SpecKind::AsyncApi => match parsed {
            Some(doc) => match check_asyncapi(doc) {
                Ok(()) => (render_asyncapi(doc), false),
                Err(reason) => (unreadable(label, &reason), true),
            },
            None => (unreadable(label, NOT_PARSED), true),
        },
        SpecKind::GraphQl => (source_section(definition, Lang::GraphQl), false),
        SpecKind::Grpc => (source_section(definition, Lang::Proto), false),
        SpecKind::Other | SpecKind::Unknown => {
            // A document that declares what it is gets rendered as such even
            // when `spec.type` says something else.
            if let Some(doc) = parsed {
                if get(doc, "asyncapi").is_some() && check_asyncapi(doc).is_ok() {
                    return (render_asyncapi(doc), false);
                }
                if (get(doc, "openapi").is_some() || get(doc, "swagger").is_some())
                    && check_openapi(doc).is_ok()
                {
                    return (render_openapi(doc), false);
                }
            }
            if kind == SpecKind::Other {
                (source_section(definition, Lang::Plain), false)
            } else {
                let notice = unreadable(
                    label,
                    "Portolan renders openapi, asyncapi, graphql and grpc definitions, so it is shown as written.",
                );
                let source = source_section(definition, Lang::Plain);
                (view! { {notice} {source} }.into_any(), false)
            }
        }
    }
}

/// Why an OpenAPI/AsyncAPI definition without a parsed document is shown raw.
const NOT_PARSED: &str = "it is not valid YAML or JSON.";

/// The notice for a definition that cannot be read as `label`.
fn unreadable(label: &str, reason: &str) -> AnyView {
    let label = if label.is_empty() { "its type" } else { label };
    let text = format!("This definition could not be read as {label}: {reason}");
    view! {
        <div class="apidef-notice" role="note">
            <p>{text}</p>
        </div>
    }
    .into_any()
}

/// What `spec.type` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpecKind {
    OpenApi,
    AsyncApi,
    GraphQl,
    Grpc,
    /// Backstage's `other`, or no type at all.
    Other,
    /// A type Portolan has no renderer for.
    Unknown,
}

impl SpecKind {
    fn of(spec_type: &str) -> Self {
        match spec_type.to_ascii_lowercase().as_str() {
            "openapi" | "swagger" => Self::OpenApi,
            "asyncapi" => Self::AsyncApi,
            "graphql" => Self::GraphQl,
            "grpc" | "protobuf" | "proto" => Self::Grpc,
            "" | "other" => Self::Other,
            _ => Self::Unknown,
        }
    }

    fn token(self) -> &'static str {
        match self {
            Self::OpenApi => "openapi",
            Self::AsyncApi => "asyncapi",
            Self::GraphQl => "graphql",
            Self::Grpc => "grpc",
            Self::Other => "other",
            Self::Unknown => "unknown",
        }
    }
}

// ---- JSON helpers ---------------------------------------------------------

fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_object()?.get(key)
}

fn get_str<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    get(value, key)?.as_str()
}

fn get_obj<'a>(value: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    get(value, key)?.as_object()
}

fn get_arr<'a>(value: &'a Value, key: &str) -> Option<&'a Vec<Value>> {
    get(value, key)?.as_array()
}

fn get_bool(value: &Value, key: &str) -> bool {
    matches!(get(value, key), Some(Value::Bool(true)))
}

/// A scalar field as display text; numbers too, since YAML turns `version: 2.0`
/// into a number.
fn get_text(value: &Value, key: &str) -> Option<String> {
    get(value, key)
        .and_then(scalar_text)
        .filter(|t| !t.trim().is_empty())
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Any value as short display text, e.g. an enum member.
fn value_text(value: &Value) -> String {
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
fn strings<'a>(value: &'a Value, key: &str) -> Vec<&'a str> {
    get_arr(value, key)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// "a number", "a list", … for messages about wrongly shaped fields.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

// ---- `$ref` resolution -----------------------------------------------------

/// Why a `$ref` could not be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RefError {
    /// Points outside this document (another file or URL).
    External(String),
    /// Points to nothing in this document.
    Missing(String),
    /// Leads back to itself.
    Cycle(String),
}

impl RefError {
    fn describe(&self) -> String {
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

/// The value a local reference `#/a/b` points to.
fn pointer<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let fragment = percent_decode(reference.strip_prefix('#')?);
    if fragment.is_empty() {
        return Some(doc);
    }
    doc.pointer(&fragment)
}

/// `value` with its `$ref` chain followed to the end.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> Result<&'a Value, RefError> {
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
fn ref_tail(reference: &str) -> String {
    let tail = reference.rsplit('/').next().unwrap_or(reference);
    percent_decode(tail).replace("~1", "/").replace("~0", "~")
}

/// The `id` of a schema's section; links to it use `#` plus this.
fn schema_anchor(name: &str) -> String {
    let token: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("schema-{token}")
}

/// What the renderers share about one document.
struct Ctx<'a> {
    doc: &'a Value,
    /// Where named schemas live: `#/components/schemas/` or `#/definitions/`.
    schema_prefix: &'static str,
    /// Named schemas, in document order.
    schemas: Option<&'a Map<String, Value>>,
    /// Names of the schemas that get a section (and so an anchor) on the page.
    anchored: HashSet<String>,
}

impl<'a> Ctx<'a> {
    fn new(
        doc: &'a Value,
        schema_prefix: &'static str,
        schemas: Option<&'a Map<String, Value>>,
    ) -> Self {
        let anchored = schemas
            .map(|s| s.keys().take(MAX_SCHEMAS).cloned().collect())
            .unwrap_or_default();
        Self {
            doc,
            schema_prefix,
            schemas,
            anchored,
        }
    }

    /// The schema name in `#/components/schemas/Name`, if `reference` is one.
    fn named_schema(&self, reference: &str) -> Option<String> {
        let rest = reference.strip_prefix(self.schema_prefix)?;
        if rest.is_empty() || rest.contains('/') {
            return None;
        }
        Some(percent_decode(rest).replace("~1", "/").replace("~0", "~"))
    }
}

// ---- Type summaries --------------------------------------------------------

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
struct Summary {
    pieces: Vec<Piece>,
}

impl Summary {
    fn of(ctx: &Ctx<'_>, schema: &Value) -> Self {
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
    fn plain(&self) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) | Piece::Link(t) | Piece::Code(t) => t.as_str(),
            })
            .collect()
    }

    fn into_view(self) -> AnyView {
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
fn enum_values(schema: &Value) -> Vec<String> {
    let items_enum = get(schema, "items").and_then(|items| get_arr(items, "enum"));
    match get_arr(schema, "enum").or(items_enum) {
        Some(values) => values.iter().map(value_text).collect(),
        None => get(schema, "const")
            .map(|c| vec![value_text(c)])
            .unwrap_or_default(),
    }
}

// ---- Shared pieces of markup ---------------------------------------------

/// Allowed values as a list of `<code>` items, cut at [`MAX_ENUM_VALUES`].
fn values_view(values: Vec<String>) -> Option<AnyView> {
    if values.is_empty() {
        return None;
    }
    let more = values.len().saturating_sub(MAX_ENUM_VALUES);
    let items = values
        .into_iter()
        .take(MAX_ENUM_VALUES)
        .map(|v| view! { <li><code>{v}</code></li> })
        .collect_view();
    let more = (more > 0).then(|| view! { <li>{format!("and {more} more")}</li> });
    Some(view! { <ul class="apidef-values">{items}{more}</ul> }.into_any())
}

/// Free text as paragraphs: blank lines separate them, line breaks are kept
/// (by CSS) so that lists written as lines stay readable. Markdown is not
/// interpreted.
fn paragraphs(text: Option<String>) -> Option<AnyView> {
    let text = text?;
    let mut paras: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if !current.is_empty() {
                paras.push(std::mem::take(&mut current));
            }
        } else {
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(line);
        }
    }
    if !current.is_empty() {
        paras.push(current);
    }
    if paras.is_empty() {
        return None;
    }
    let paras = paras
        .into_iter()
        .map(|p| view! { <p>{p}</p> })
        .collect_view();
    Some(view! { <div class="apidef-desc">{paras}</div> }.into_any())
}

/// An empty cell's content: a dash for the eye, "none" for screen readers.
fn none() -> AnyView {
    view! {
        <span class="apidef-none">
            <span aria-hidden="true">"—"</span>
            <span class="visually-hidden">"none"</span>
        </span>
    }
    .into_any()
}

/// "Yes"/"No" in words, so requiredness never depends on colour.
fn yes_no(value: bool) -> AnyView {
    if value {
        view! { <span class="apidef-required">"Yes"</span> }.into_any()
    } else {
        view! { <span class="apidef-optional">"No"</span> }.into_any()
    }
}

/// A labelled block (Parameters, Responses, …): visible label, then content.
fn block(label: String, extra: Option<AnyView>, content: AnyView) -> AnyView {
    view! {
        <div class="apidef-block">
            <p class="apidef-label">{label}</p>
            {extra}
            {content}
        </div>
    }
    .into_any()
}

/// A note such as "Showing the first 500 of 612 operations".
fn note(text: String) -> AnyView {
    view! { <p class="apidef-note" role="note">{text}</p> }.into_any()
}

/// A list of problems with the document's shape, if any.
fn problems_view(problems: Vec<String>) -> Option<AnyView> {
    if problems.is_empty() {
        return None;
    }
    let items = problems
        .into_iter()
        .map(|p| view! { <li>{p}</li> })
        .collect_view();
    Some(
        view! {
            <div class="apidef-notice" role="note">
                <p>"Parts of this definition could not be read and are left out:"</p>
                <ul>{items}</ul>
            </div>
        }
        .into_any(),
    )
}

/// What a well-formed document has at `path` (a top-level key, or `a.b`).
#[derive(Clone, Copy)]
enum Shape {
    Mapping,
    List,
}

/// Messages for fields whose JSON kind is wrong, so they are visibly skipped
/// rather than silently missing.
fn shape_problems(doc: &Value, expected: &[(&str, Shape)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, shape) in expected {
        let mut value = Some(doc);
        for key in path.split('.') {
            value = value.and_then(|v| get(v, key));
        }
        let Some(value) = value else { continue };
        let (ok, wanted) = match shape {
            Shape::Mapping => (value.is_object(), "a mapping"),
            Shape::List => (value.is_array(), "a list"),
        };
        if !ok && !value.is_null() {
            problems.push(format!(
                "“{path}” should be {wanted} but is {}.",
                kind_of(value)
            ));
        }
    }
    problems
}

/// The title block: name, spec version, API version, description, contact.
fn info_block(doc: &Value, spec_label: String) -> AnyView {
    let info = get(doc, "info").filter(|i| i.is_object());
    let field = |key: &str| info.and_then(|i| get_text(i, key));
    let title = field("title").unwrap_or_else(|| "Untitled API".to_owned());
    let version = field("version").map(|v| format!("Version {v}"));
    let description = paragraphs(field("description"));
    let contact = info.and_then(|i| get(i, "contact")).and_then(|c| {
        let parts: Vec<String> = ["name", "email", "url"]
            .iter()
            .filter_map(|k| get_text(c, k))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    });
    let license = info
        .and_then(|i| get(i, "license"))
        .and_then(|l| get_text(l, "name"));
    let terms = field("termsOfService");
    let facts: Vec<(&'static str, String)> = [
        ("Contact", contact),
        ("License", license),
        ("Terms of service", terms),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    let facts = (!facts.is_empty()).then(|| {
        let rows = facts
            .into_iter()
            .map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> })
            .collect_view();
        view! { <dl class="apidef-facts">{rows}</dl> }
    });
    view! {
        <header class="apidef-info">
            <h3 class="apidef-title">{title}</h3>
            <p class="apidef-meta">
                <span class="apidef-pill">{spec_label}</span>
                {version.map(|v| view! { <span class="apidef-pill">{v}</span> })}
            </p>
            {description}
            {facts}
        </header>
    }
    .into_any()
}

// ---- Schemas ---------------------------------------------------------------

/// One row of a properties table.
struct PropRow<'a> {
    /// Dotted for nested inline objects: `fare.amount`, `items[].id`.
    name: String,
    schema: &'a Value,
    required: bool,
}

/// The properties of `schema`, including those of `allOf` members and, a few
/// levels deep, of inline objects. `visiting` guards against `$ref` cycles.
fn collect_props<'a>(
    ctx: &Ctx<'a>,
    schema: &'a Value,
    prefix: &str,
    nesting: usize,
    visiting: &mut Vec<&'a Value>,
    rows: &mut Vec<PropRow<'a>>,
) {
    let Ok(schema) = resolve(ctx.doc, schema) else {
        return;
    };
    if visiting.iter().any(|v| std::ptr::eq(*v, schema)) || rows.len() >= MAX_PROPERTIES {
        return;
    }
    visiting.push(schema);
    if let Some(members) = get_arr(schema, "allOf") {
        for member in members {
            collect_props(ctx, member, prefix, nesting, visiting, rows);
        }
    }
    let required = strings(schema, "required");
    if let Some(props) = get_obj(schema, "properties") {
        for (name, prop) in props {
            if rows.len() >= MAX_PROPERTIES {
                break;
            }
            let full = format!("{prefix}{name}");
            rows.push(PropRow {
                name: full.clone(),
                schema: prop,
                required: required.contains(&name.as_str()),
            });
            if nesting >= MAX_NESTING || get(prop, "$ref").is_some() {
                continue;
            }
            if get_obj(prop, "properties").is_some() || get_arr(prop, "allOf").is_some() {
                collect_props(ctx, prop, &format!("{full}."), nesting + 1, visiting, rows);
            } else if let Some(items) = get(prop, "items")
                && get(items, "$ref").is_none()
                && get_obj(items, "properties").is_some()
            {
                collect_props(
                    ctx,
                    items,
                    &format!("{full}[]."),
                    nesting + 1,
                    visiting,
                    rows,
                );
            }
        }
    }
    visiting.pop();
}

/// Flags worth a word in a description cell.
fn flags(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if get_bool(schema, "deprecated") {
        out.push("Deprecated.".to_owned());
    }
    if get_bool(schema, "readOnly") {
        out.push("Read-only.".to_owned());
    }
    if get_bool(schema, "writeOnly") {
        out.push("Write-only.".to_owned());
    }
    if let Some(default) = get(schema, "default") {
        out.push(format!("Default: {}", value_text(default)));
    }
    out
}

fn flags_view(flags: Vec<String>) -> Option<AnyView> {
    if flags.is_empty() {
        return None;
    }
    let items = flags
        .into_iter()
        .map(|f| view! { <span class="apidef-flag">{f}</span> })
        .collect_view();
    Some(view! { <span class="apidef-flags">{items}</span> }.into_any())
}

/// The "Schemas" section: one block with an anchor per named schema.
fn schemas_section(ctx: &Ctx<'_>) -> Option<AnyView> {
    let schemas = ctx.schemas.filter(|s| !s.is_empty())?;
    let blocks = schemas
        .iter()
        .take(MAX_SCHEMAS)
        .map(|(name, schema)| schema_block(ctx, name, schema))
        .collect_view();
    let cut = (schemas.len() > MAX_SCHEMAS).then(|| {
        note(format!(
            "Showing the first {MAX_SCHEMAS} of {} schemas; the raw definition below has them all.",
            schemas.len()
        ))
    });
    Some(
        view! {
            <section class="apidef-section apidef-schemas">
                <h3>"Schemas"</h3>
                {blocks}
                {cut}
            </section>
        }
        .into_any(),
    )
}

fn schema_block(ctx: &Ctx<'_>, name: &str, schema: &Value) -> AnyView {
    let anchor = schema_anchor(name);
    let summary = Summary::of(ctx, schema).into_view();
    let (resolved, broken) = match resolve(ctx.doc, schema) {
        Ok(target) => (Some(target), None),
        Err(e) => (
            None,
            Some(note(format!("This schema is a {}.", e.describe()))),
        ),
    };
    let description = resolved.and_then(|s| paragraphs(get_text(s, "description")));
    let values = resolved.and_then(|s| values_view(enum_values(s))).map(|list| {
        view! { <div class="apidef-allowed"><span class="apidef-label-inline">"Allowed values:"</span>{list}</div> }
    });
    let mut rows = Vec::new();
    collect_props(ctx, schema, "", 0, &mut Vec::new(), &mut rows);
    let cut = (rows.len() >= MAX_PROPERTIES)
        .then(|| note(format!("Showing the first {MAX_PROPERTIES} properties.")));
    let table = (!rows.is_empty()).then(|| props_table(ctx, name, rows));
    view! {
        <section class="apidef-schema" id=anchor>
            <h4 class="apidef-schema-name"><code>{name.to_owned()}</code></h4>
            <p class="apidef-schema-type">"Type: " {summary}</p>
            {broken}
            {description}
            {values}
            {table}
            {cut}
        </section>
    }
    .into_any()
}

fn props_table(ctx: &Ctx<'_>, name: &str, rows: Vec<PropRow<'_>>) -> AnyView {
    let caption = format!("Properties of {name}");
    let rows = rows
        .into_iter()
        .map(|row| {
            let summary = Summary::of(ctx, row.schema).into_view();
            let (description, values) = match resolve(ctx.doc, row.schema) {
                // Named schemas describe themselves in their own section.
                Ok(target) if get(row.schema, "$ref").is_none() => (
                    paragraphs(get_text(target, "description")),
                    values_view(enum_values(target)),
                ),
                _ => (paragraphs(get_text(row.schema, "description")), None),
            };
            let flags = flags_view(flags(row.schema));
            let empty_description = description.is_none() && flags.is_none();
            view! {
                <tr>
                    <th scope="row"><code>{row.name}</code></th>
                    <td data-label="Type">{summary}</td>
                    <td data-label="Required">{yes_no(row.required)}</td>
                    <td data-label="Description">
                        {description}
                        {flags}
                        {empty_description.then(none)}
                    </td>
                    <td data-label="Allowed values">{values.unwrap_or_else(none)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="apidef-table-wrap">
            <table class="apidef-table">
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Property"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Required"</th>
                        <th scope="col">"Description"</th>
                        <th scope="col">"Allowed values"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

// ---- OpenAPI ---------------------------------------------------------------

/// Whether `doc` can be rendered as OpenAPI; the reason when not.
fn check_openapi(doc: &Value) -> Result<(), String> {
    let Some(map) = doc.as_object() else {
        return Err(format!(
            "the document is {}, not a mapping of fields.",
            kind_of(doc)
        ));
    };
    if map.contains_key("openapi") || map.contains_key("swagger") || map.contains_key("paths") {
        Ok(())
    } else if map.contains_key("asyncapi") {
        Err("it is an AsyncAPI document; its spec.type should be asyncapi.".to_owned())
    } else {
        Err("it has no “openapi”, “swagger” or “paths” field.".to_owned())
    }
}

/// Whether the document is Swagger 2.0 rather than OpenAPI 3.x.
fn is_swagger2(doc: &Value) -> bool {
    get(doc, "swagger").is_some()
        || get_text(doc, "openapi").is_some_and(|v| v.trim_start().starts_with('2'))
}

fn render_openapi(doc: &Value) -> AnyView {
    let v2 = is_swagger2(doc);
    let spec_label = if v2 {
        let version = get_text(doc, "swagger").unwrap_or_else(|| "2.0".to_owned());
        format!("Swagger {version}")
    } else {
        match get_text(doc, "openapi") {
            Some(version) => format!("OpenAPI {version}"),
            None => "OpenAPI".to_owned(),
        }
    };
    let ctx = if v2 {
        Ctx::new(doc, "#/definitions/", get_obj(doc, "definitions"))
    } else {
        let schemas = get(doc, "components").and_then(|c| get_obj(c, "schemas"));
        Ctx::new(doc, "#/components/schemas/", schemas)
    };
    let problems = problems_view(shape_problems(
        doc,
        &[
            ("info", Shape::Mapping),
            ("paths", Shape::Mapping),
            ("servers", Shape::List),
            ("tags", Shape::List),
            ("components", Shape::Mapping),
            ("components.schemas", Shape::Mapping),
            ("definitions", Shape::Mapping),
        ],
    ));
    let info = info_block(doc, spec_label);
    let servers = if v2 {
        swagger_hosts(doc)
    } else {
        openapi_servers(doc)
    };
    let operations = operations(&ctx, v2);
    let schemas = schemas_section(&ctx);
    view! { {problems} {info} {servers} {operations} {schemas} }.into_any()
}

/// OpenAPI 3.x `servers`.
fn openapi_servers(doc: &Value) -> Option<AnyView> {
    let servers = get_arr(doc, "servers")?;
    let items: Vec<AnyView> = servers
        .iter()
        .filter_map(|server| {
            let url = get_text(server, "url")?;
            let description = get_text(server, "description").map(|d| format!(" — {d}"));
            let variables = get_obj(server, "variables").map(|vars| {
                let text = vars
                    .iter()
                    .map(|(name, var)| match get_text(var, "default") {
                        Some(default) => format!("{name} (default {default})"),
                        None => name.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                view! { <span class="apidef-muted">{format!(" · variables: {text}")}</span> }
            });
            Some(view! { <li><code>{url}</code>{description}{variables}</li> }.into_any())
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    Some(servers_view(items))
}

/// Swagger 2.0 `schemes`, `host` and `basePath` as base URLs.
fn swagger_hosts(doc: &Value) -> Option<AnyView> {
    let host = get_text(doc, "host");
    let base = get_text(doc, "basePath");
    if host.is_none() && base.is_none() {
        return None;
    }
    let base = base.unwrap_or_default();
    let items: Vec<AnyView> = match host {
        Some(host) => {
            let schemes = strings(doc, "schemes");
            if schemes.is_empty() {
                vec![view! { <li><code>{format!("{host}{base}")}</code></li> }.into_any()]
            } else {
                schemes
                    .into_iter()
                    .map(|s| {
                        view! { <li><code>{format!("{s}://{host}{base}")}</code></li> }.into_any()
                    })
                    .collect()
            }
        }
        None => vec![
            view! {
                <li><code>{base}</code>" — relative to the host that serves the API"</li>
            }
            .into_any(),
        ],
    };
    Some(servers_view(items))
}

fn servers_view(items: Vec<AnyView>) -> AnyView {
    view! {
        <section class="apidef-section apidef-servers">
            <h3>"Servers"</h3>
            <ul class="apidef-server-list">{items}</ul>
        </section>
    }
    .into_any()
}

/// One operation: a method of a path item.
struct Operation<'a> {
    method: &'static str,
    path: &'a str,
    op: &'a Value,
    item: &'a Value,
}

/// How operations are grouped: by first tag, or by path when untagged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum GroupKey {
    Tag(String),
    Path(String),
}

fn operations(ctx: &Ctx<'_>, v2: bool) -> Option<AnyView> {
    let paths = get_obj(ctx.doc, "paths")?;
    let mut ops: Vec<Operation<'_>> = Vec::new();
    let mut broken: Vec<String> = Vec::new();
    for (path, item) in paths {
        let item = match resolve(ctx.doc, item) {
            Ok(item) => item,
            Err(e) => {
                broken.push(format!("{path}: {}", e.describe()));
                continue;
            }
        };
        for method in METHODS {
            if let Some(op @ Value::Object(_)) = get(item, method) {
                ops.push(Operation {
                    method,
                    path: path.as_str(),
                    op,
                    item,
                });
            }
        }
    }
    let total = ops.len();
    let broken = problems_view(broken.into_iter().map(|b| format!("Path {b}")).collect());
    if total == 0 {
        return Some(
            view! {
                <section class="apidef-section apidef-operations">
                    <h3>"Operations"</h3>
                    {broken}
                    <p class="apidef-empty">"This definition has no operations."</p>
                </section>
            }
            .into_any(),
        );
    }

    // Declared tags first, in their order; then the rest as they appear.
    let mut groups: Vec<(GroupKey, Vec<Operation<'_>>)> = Vec::new();
    let mut index: HashMap<GroupKey, usize> = HashMap::new();
    let tag_info: HashMap<String, &Value> = get_arr(ctx.doc, "tags")
        .map(|tags| {
            tags.iter()
                .filter_map(|t| Some((get_text(t, "name")?, t)))
                .collect()
        })
        .unwrap_or_default();
    for tag in get_arr(ctx.doc, "tags").into_iter().flatten() {
        if let Some(name) = get_text(tag, "name") {
            let key = GroupKey::Tag(name);
            if !index.contains_key(&key) {
                index.insert(key.clone(), groups.len());
                groups.push((key, Vec::new()));
            }
        }
    }
    for op in ops {
        let key = match strings(op.op, "tags").first() {
            Some(tag) => GroupKey::Tag((*tag).to_owned()),
            None => GroupKey::Path(op.path.to_owned()),
        };
        let slot = match index.get(&key) {
            Some(slot) => *slot,
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key, Vec::new()));
                groups.len() - 1
            }
        };
        if let Some((_, members)) = groups.get_mut(slot) {
            members.push(op);
        }
    }

    let mut rendered = 0usize;
    let mut toc: Vec<AnyView> = Vec::new();
    let mut sections: Vec<AnyView> = Vec::new();
    for (group_number, (key, members)) in groups.into_iter().enumerate() {
        if members.is_empty() || rendered >= MAX_OPERATIONS {
            continue;
        }
        let heading_id = format!("apidef-group-{group_number}");
        let (title, description) = match &key {
            GroupKey::Tag(name) => (
                name.clone().into_any(),
                tag_info
                    .get(name)
                    .and_then(|t| paragraphs(get_text(t, "description"))),
            ),
            GroupKey::Path(path) => (view! { <code>{path.clone()}</code> }.into_any(), None),
        };
        let mut blocks: Vec<AnyView> = Vec::new();
        for op in members {
            if rendered >= MAX_OPERATIONS {
                break;
            }
            rendered += 1;
            let anchor = format!("apidef-op-{rendered}");
            toc.push(toc_entry(&op, &anchor));
            blocks.push(operation_view(ctx, v2, &op, anchor));
        }
        let labelled_by = heading_id.clone();
        sections.push(
            view! {
                <section class="apidef-section apidef-group" aria-labelledby=labelled_by>
                    <h3 id=heading_id>{title}</h3>
                    {description}
                    {blocks}
                </section>
            }
            .into_any(),
        );
    }
    let cut = (total > rendered).then(|| {
        note(format!(
            "Showing the first {rendered} of {total} operations; the raw definition below has them all."
        ))
    });
    let toc_label = format!("Operations ({total})");
    let toc_open = total <= 30;
    Some(
        view! {
            {broken}
            <details class="apidef-toc" open=toc_open>
                <summary>{toc_label}</summary>
                <nav aria-label="Operations">
                    <ul>{toc}</ul>
                </nav>
            </details>
            {sections}
            {cut}
        }
        .into_any(),
    )
}

fn method_badge(method: &str) -> AnyView {
    let lower = method.to_ascii_lowercase();
    let class = format!("apidef-method apidef-method-{lower}");
    view! { <span class=class>{method.to_ascii_uppercase()}</span> }.into_any()
}

fn toc_entry(op: &Operation<'_>, anchor: &str) -> AnyView {
    let href = format!("#{anchor}");
    let summary = get_text(op.op, "summary")
        .map(|s| view! { <span class="apidef-muted">{format!(" {s}")}</span> });
    view! {
        <li>
            <a href=href>{method_badge(op.method)}" "<code class="apidef-path">{op.path.to_owned()}</code></a>
            {summary}
        </li>
    }
    .into_any()
}

fn operation_view(ctx: &Ctx<'_>, v2: bool, op: &Operation<'_>, anchor: String) -> AnyView {
    let deprecated = get_bool(op.op, "deprecated");
    let class = if deprecated {
        "apidef-op apidef-op-deprecated"
    } else {
        "apidef-op"
    };
    let summary = get_text(op.op, "summary").map(|s| view! { <p class="apidef-summary">{s}</p> });
    let description = paragraphs(get_text(op.op, "description"));
    let operation_id = get_text(op.op, "operationId").map(|id| {
        view! { <p class="apidef-opid">"Operation ID: "<code>{id}</code></p> }
    });
    let (params, body_param) = parameters(ctx, op);
    let params = params_view(ctx, params);
    let body = if v2 {
        swagger_body(ctx, op, body_param)
    } else {
        request_body(ctx, op.op)
    };
    let responses = responses_view(ctx, v2, op.op);
    let deprecated = deprecated
        .then(|| view! { <span class="apidef-badge apidef-deprecated">"Deprecated"</span> });
    view! {
        <article class=class id=anchor>
            <h4 class="apidef-op-title">
                {method_badge(op.method)}
                " "
                <code class="apidef-path">{op.path.to_owned()}</code>
                {deprecated}
            </h4>
            {summary}
            {description}
            {operation_id}
            {params}
            {body}
            {responses}
        </article>
    }
    .into_any()
}

/// A parameter, or the reason its `$ref` could not be followed.
enum Param<'a> {
    Found(&'a Value),
    Broken(String),
}

/// Path-level and operation-level parameters merged (the operation's win on
/// the same name and location), and the Swagger 2.0 body parameter apart.
fn parameters<'a>(ctx: &Ctx<'a>, op: &Operation<'a>) -> (Vec<Param<'a>>, Option<&'a Value>) {
    let mut params: Vec<Param<'a>> = Vec::new();
    let mut body = None;
    let lists = [get_arr(op.item, "parameters"), get_arr(op.op, "parameters")];
    for param in lists.into_iter().flatten().flatten() {
        match resolve(ctx.doc, param) {
            Ok(found) if found.is_object() => {
                let key = (get_str(found, "name"), get_str(found, "in"));
                if key.1 == Some("body") {
                    body = Some(found);
                    continue;
                }
                let existing = params.iter().position(|p| {
                    matches!(p, Param::Found(other) if (get_str(other, "name"), get_str(other, "in")) == key)
                });
                match existing {
                    Some(i) => {
                        if let Some(slot) = params.get_mut(i) {
                            *slot = Param::Found(found);
                        }
                    }
                    None => params.push(Param::Found(found)),
                }
            }
            Ok(other) => params.push(Param::Broken(format!(
                "a parameter that is {}",
                kind_of(other)
            ))),
            Err(e) => params.push(Param::Broken(e.describe())),
        }
    }
    (params, body)
}

fn params_view(ctx: &Ctx<'_>, params: Vec<Param<'_>>) -> Option<AnyView> {
    if params.is_empty() {
        return None;
    }
    let rows = params
        .into_iter()
        .map(|param| match param {
            Param::Broken(reason) => view! {
                <tr>
                    <th scope="row">{none()}</th>
                    <td data-label="In">{none()}</td>
                    <td data-label="Required">{none()}</td>
                    <td data-label="Type">{none()}</td>
                    <td data-label="Description">{format!("Parameter not shown: {reason}")}</td>
                </tr>
            }
            .into_any(),
            Param::Found(p) => {
                let name = get_text(p, "name").unwrap_or_else(|| "(unnamed)".to_owned());
                let location = get_text(p, "in");
                let required = get_bool(p, "required") || location.as_deref() == Some("path");
                // 3.x: `schema` or `content`; 2.0: the parameter is its own schema.
                let schema = get(p, "schema").or_else(|| {
                    get_obj(p, "content").and_then(|c| c.values().next()).and_then(|m| get(m, "schema"))
                });
                let summary = Summary::of(ctx, schema.unwrap_or(p)).into_view();
                let values_source = schema
                    .and_then(|s| resolve(ctx.doc, s).ok())
                    .filter(|_| schema.is_some_and(|s| get(s, "$ref").is_none()))
                    .unwrap_or(p);
                let values = values_view(enum_values(values_source)).map(|list| {
                    view! { <div class="apidef-allowed"><span class="apidef-label-inline">"Allowed values:"</span>{list}</div> }
                });
                let description = paragraphs(get_text(p, "description"));
                let mut flag_list = flags(p);
                if let Some(s) = schema {
                    flag_list.extend(flags(s).into_iter().filter(|f| f.starts_with("Default")));
                }
                let flags = flags_view(flag_list);
                let empty = description.is_none() && flags.is_none() && values.is_none();
                view! {
                    <tr>
                        <th scope="row"><code>{name}</code></th>
                        <td data-label="In">{location.map(|l| l.into_any()).unwrap_or_else(none)}</td>
                        <td data-label="Required">{yes_no(required)}</td>
                        <td data-label="Type">{summary}</td>
                        <td data-label="Description">{description}{values}{flags}{empty.then(none)}</td>
                    </tr>
                }
                .into_any()
            }
        })
        .collect_view();
    let table = view! {
        <div class="apidef-table-wrap">
            <table class="apidef-table">
                <caption class="visually-hidden">"Parameters"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"In"</th>
                        <th scope="col">"Required"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Description"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    };
    Some(block("Parameters".to_owned(), None, table.into_any()))
}

/// Media types and their schemas as a two-column table.
fn media_table(ctx: &Ctx<'_>, caption: &str, media: Vec<(String, Option<&Value>)>) -> AnyView {
    if media.is_empty() {
        return view! { <p class="apidef-muted">"No content types are given."</p> }.into_any();
    }
    let rows = media
        .into_iter()
        .map(|(media_type, schema)| {
            let schema = match schema {
                Some(s) => Summary::of(ctx, s).into_view(),
                None => none(),
            };
            view! {
                <tr>
                    <th scope="row"><code>{media_type}</code></th>
                    <td data-label="Schema">{schema}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="apidef-table-wrap">
            <table class="apidef-table apidef-table-media">
                <caption class="visually-hidden">{caption.to_owned()}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Content type"</th>
                        <th scope="col">"Schema"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn required_label(label: &str, required: bool) -> String {
    if required {
        format!("{label} (required)")
    } else {
        format!("{label} (optional)")
    }
}

/// OpenAPI 3.x `requestBody`.
fn request_body(ctx: &Ctx<'_>, op: &Value) -> Option<AnyView> {
    let body = get(op, "requestBody")?;
    let body = match resolve(ctx.doc, body) {
        Ok(body) => body,
        Err(e) => {
            return Some(block(
                "Request body".to_owned(),
                None,
                note(format!("The request body is a {}.", e.describe())),
            ));
        }
    };
    let media: Vec<(String, Option<&Value>)> = get_obj(body, "content")
        .map(|content| {
            content
                .iter()
                .map(|(media_type, m)| (media_type.clone(), get(m, "schema")))
                .collect()
        })
        .unwrap_or_default();
    let label = required_label("Request body", get_bool(body, "required"));
    let table = media_table(ctx, "Request body", media);
    Some(block(
        label,
        paragraphs(get_text(body, "description")),
        table,
    ))
}

/// Swagger 2.0: the `in: body` parameter, with `consumes` as content types.
fn swagger_body(ctx: &Ctx<'_>, op: &Operation<'_>, body: Option<&Value>) -> Option<AnyView> {
    let body = body?;
    let mut types = strings(op.op, "consumes");
    if types.is_empty() {
        types = strings(ctx.doc, "consumes");
    }
    let schema = get(body, "schema");
    let media: Vec<(String, Option<&Value>)> = if types.is_empty() {
        vec![("(not declared)".to_owned(), schema)]
    } else {
        types.into_iter().map(|t| (t.to_owned(), schema)).collect()
    };
    let label = required_label("Request body", get_bool(body, "required"));
    let table = media_table(ctx, "Request body", media);
    Some(block(
        label,
        paragraphs(get_text(body, "description")),
        table,
    ))
}

fn responses_view(ctx: &Ctx<'_>, v2: bool, op: &Value) -> Option<AnyView> {
    let responses = get_obj(op, "responses").filter(|r| !r.is_empty())?;
    let mut produces = strings(op, "produces");
    if produces.is_empty() {
        produces = strings(ctx.doc, "produces");
    }
    let rows = responses
        .iter()
        .map(|(code, response)| {
            let (description, media) = match resolve(ctx.doc, response) {
                Ok(r) => {
                    let media: Vec<(String, Option<&Value>)> = if v2 {
                        match get(r, "schema") {
                            Some(schema) if produces.is_empty() => {
                                vec![("(not declared)".to_owned(), Some(schema))]
                            }
                            Some(schema) => produces
                                .iter()
                                .map(|t| ((*t).to_owned(), Some(schema)))
                                .collect(),
                            None => Vec::new(),
                        }
                    } else {
                        get_obj(r, "content")
                            .map(|c| {
                                c.iter()
                                    .map(|(t, m)| (t.clone(), get(m, "schema")))
                                    .collect()
                            })
                            .unwrap_or_default()
                    };
                    (paragraphs(get_text(r, "description")), media)
                }
                Err(e) => (Some(e.describe().into_any()), Vec::new()),
            };
            let types = if media.is_empty() {
                none()
            } else {
                let items = media
                    .iter()
                    .map(|(t, _)| view! { <li><code>{t.clone()}</code></li> })
                    .collect_view();
                view! { <ul class="apidef-plain-list">{items}</ul> }.into_any()
            };
            let schemas = schema_cell(ctx, &media);
            let class = format!(
                "apidef-status apidef-status-{}",
                code.chars()
                    .next()
                    .filter(char::is_ascii_digit)
                    .unwrap_or('x')
            );
            view! {
                <tr>
                    <th scope="row"><span class=class>{code.clone()}</span></th>
                    <td data-label="Description">{description.unwrap_or_else(none)}</td>
                    <td data-label="Content type">{types}</td>
                    <td data-label="Schema">{schemas}</td>
                </tr>
            }
        })
        .collect_view();
    let table = view! {
        <div class="apidef-table-wrap">
            <table class="apidef-table">
                <caption class="visually-hidden">"Responses"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Code"</th>
                        <th scope="col">"Description"</th>
                        <th scope="col">"Content type"</th>
                        <th scope="col">"Schema"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    };
    Some(block("Responses".to_owned(), None, table.into_any()))
}

/// One summary when every content type shares the schema, else one per type.
fn schema_cell(ctx: &Ctx<'_>, media: &[(String, Option<&Value>)]) -> AnyView {
    let schemas: Vec<&Value> = media.iter().filter_map(|(_, s)| *s).collect();
    let Some(first) = schemas.first() else {
        return none();
    };
    if schemas.iter().all(|s| s == first) {
        return Summary::of(ctx, first).into_view();
    }
    let items = media
        .iter()
        .map(|(t, s)| {
            let summary = match s {
                Some(s) => Summary::of(ctx, s).into_view(),
                None => none(),
            };
            view! { <li><code>{t.clone()}</code>": "{summary}</li> }
        })
        .collect_view();
    view! { <ul class="apidef-plain-list">{items}</ul> }.into_any()
}

// ---- AsyncAPI --------------------------------------------------------------

/// Whether `doc` can be rendered as AsyncAPI; the reason when not.
fn check_asyncapi(doc: &Value) -> Result<(), String> {
    let Some(map) = doc.as_object() else {
        return Err(format!(
            "the document is {}, not a mapping of fields.",
            kind_of(doc)
        ));
    };
    if map.contains_key("asyncapi") || map.contains_key("channels") {
        Ok(())
    } else if map.contains_key("openapi") || map.contains_key("swagger") {
        Err("it is an OpenAPI document; its spec.type should be openapi.".to_owned())
    } else {
        Err("it has no “asyncapi” or “channels” field.".to_owned())
    }
}

fn render_asyncapi(doc: &Value) -> AnyView {
    let version = get_text(doc, "asyncapi");
    let v3 = match &version {
        Some(v) => v.trim_start().starts_with('3'),
        None => get_obj(doc, "operations").is_some(),
    };
    let spec_label = match version {
        Some(v) => format!("AsyncAPI {v}"),
        None => "AsyncAPI".to_owned(),
    };
    let schemas = get(doc, "components").and_then(|c| get_obj(c, "schemas"));
    let ctx = Ctx::new(doc, "#/components/schemas/", schemas);
    let problems = problems_view(shape_problems(
        doc,
        &[
            ("info", Shape::Mapping),
            ("servers", Shape::Mapping),
            ("channels", Shape::Mapping),
            ("operations", Shape::Mapping),
            ("components", Shape::Mapping),
            ("components.schemas", Shape::Mapping),
            ("components.messages", Shape::Mapping),
        ],
    ));
    let info = info_block(doc, spec_label);
    let servers = async_servers(doc, v3);
    let channels = if v3 {
        channels_v3(&ctx)
    } else {
        channels_v2(&ctx)
    };
    let schemas = schemas_section(&ctx);
    view! { {problems} {info} {servers} {channels} {schemas} }.into_any()
}

/// AsyncAPI `servers`: `url` (2.x) or `host` + `pathname` (3.x).
fn async_servers(doc: &Value, v3: bool) -> Option<AnyView> {
    let servers = get_obj(doc, "servers").filter(|s| !s.is_empty())?;
    let rows = servers
        .iter()
        .map(|(name, server)| {
            let server = resolve(doc, server).unwrap_or(server);
            let url = if v3 {
                get_text(server, "host").map(|h| format!("{h}{}", get_text(server, "pathname").unwrap_or_default()))
            } else {
                None
            }
            .or_else(|| get_text(server, "url"));
            let protocol = get_text(server, "protocol").map(|p| match get_text(server, "protocolVersion") {
                Some(v) => format!("{p} {v}"),
                None => p,
            });
            view! {
                <tr>
                    <th scope="row">{name.clone()}</th>
                    <td data-label="URL">{url.map(|u| view! { <code>{u}</code> }.into_any()).unwrap_or_else(none)}</td>
                    <td data-label="Protocol">{protocol.map(|p| p.into_any()).unwrap_or_else(none)}</td>
                    <td data-label="Description">{get_text(server, "description").map(|d| d.into_any()).unwrap_or_else(none)}</td>
                </tr>
            }
        })
        .collect_view();
    Some(
        view! {
            <section class="apidef-section apidef-servers">
                <h3>"Servers"</h3>
                <div class="apidef-table-wrap">
                    <table class="apidef-table">
                        <caption class="visually-hidden">"Servers"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"URL"</th>
                                <th scope="col">"Protocol"</th>
                                <th scope="col">"Description"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </section>
        }
        .into_any(),
    )
}

/// A message of an AsyncAPI operation or channel.
struct Message<'a> {
    /// The key or `$ref` tail it was found under, as a fallback name.
    key: Option<String>,
    found: Result<&'a Value, RefError>,
}

impl<'a> Message<'a> {
    fn of(doc: &'a Value, key: Option<String>, value: &'a Value) -> Self {
        let key = key.or_else(|| get_str(value, "$ref").map(ref_tail));
        Self {
            key,
            found: resolve(doc, value),
        }
    }
}

/// AsyncAPI 2.x `message`: one message, a `$ref`, or `oneOf` a list.
fn messages_v2<'a>(doc: &'a Value, op: &'a Value) -> Vec<Message<'a>> {
    let Some(message) = get(op, "message") else {
        return Vec::new();
    };
    match resolve(doc, message) {
        Ok(resolved) => match get_arr(resolved, "oneOf") {
            Some(members) => members.iter().map(|m| Message::of(doc, None, m)).collect(),
            None => vec![Message::of(doc, None, message)],
        },
        Err(_) => vec![Message::of(doc, None, message)],
    }
}

fn channels_v2(ctx: &Ctx<'_>) -> Option<AnyView> {
    let channels = get_obj(ctx.doc, "channels")?;
    let blocks = channels
        .iter()
        .take(MAX_SCHEMAS)
        .map(|(name, channel)| {
            let channel = resolve(ctx.doc, channel).unwrap_or(channel);
            let ops = [("publish", "Publish"), ("subscribe", "Subscribe")]
                .into_iter()
                .filter_map(|(key, label)| {
                    let op = get(channel, key).filter(|o| o.is_object())?;
                    let op = resolve(ctx.doc, op).unwrap_or(op);
                    Some(async_op_view(
                        ctx,
                        label,
                        None,
                        op,
                        messages_v2(ctx.doc, op),
                    ))
                })
                .collect_view();
            channel_view(name, None, channel, ops.into_any())
        })
        .collect_view();
    Some(channels_section(ctx, channels.len(), blocks.into_any()))
}

fn channels_v3(ctx: &Ctx<'_>) -> Option<AnyView> {
    let channels = get_obj(ctx.doc, "channels");
    let operations = get_obj(ctx.doc, "operations");
    if channels.is_none() && operations.is_none() {
        return None;
    }
    // Each operation with the channel its `channel.$ref` leads to.
    let ops: Vec<(&String, &Value, Option<&Value>)> = operations
        .into_iter()
        .flatten()
        .map(|(id, op)| {
            let op = resolve(ctx.doc, op).unwrap_or(op);
            let channel = get(op, "channel").and_then(|c| resolve(ctx.doc, c).ok());
            (id, op, channel)
        })
        .collect();
    let op_view = |id: &String, op: &Value, channel: Option<&Value>| {
        let action = get_text(op, "action").unwrap_or_default();
        let label = match action.as_str() {
            "send" => "Send".to_owned(),
            "receive" => "Receive".to_owned(),
            "" => "Operation".to_owned(),
            other => other.to_owned(),
        };
        let mut messages: Vec<Message<'_>> = get_arr(op, "messages")
            .map(|list| list.iter().map(|m| Message::of(ctx.doc, None, m)).collect())
            .unwrap_or_default();
        if messages.is_empty() {
            messages = channel
                .and_then(|c| get_obj(c, "messages"))
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| Message::of(ctx.doc, Some(k.clone()), v))
                        .collect()
                })
                .unwrap_or_default();
        }
        async_op_view(ctx, &label, Some(id.clone()), op, messages)
    };
    let channel_count = channels.map_or(0, Map::len);
    let mut blocks: Vec<AnyView> = Vec::new();
    for (id, channel) in channels.into_iter().flatten().take(MAX_SCHEMAS) {
        let channel = resolve(ctx.doc, channel).unwrap_or(channel);
        let mine: Vec<AnyView> = ops
            .iter()
            .filter(|(_, _, c)| c.is_some_and(|c| std::ptr::eq(c, channel)))
            .map(|(op_id, op, c)| op_view(op_id, op, *c))
            .collect();
        let content = if mine.is_empty() {
            // No operation uses the channel: list its messages on their own.
            let messages: Vec<Message<'_>> = get_obj(channel, "messages")
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| Message::of(ctx.doc, Some(k.clone()), v))
                        .collect()
                })
                .unwrap_or_default();
            if messages.is_empty() {
                ().into_any()
            } else {
                messages_table(ctx, &format!("Messages of {id}"), messages)
            }
        } else {
            mine.into_any()
        };
        let address = get_text(channel, "address");
        blocks.push(channel_view(id, address, channel, content));
    }
    let orphans: Vec<AnyView> = ops
        .iter()
        .filter(|(_, _, c)| {
            !c.is_some_and(|c| {
                channels.is_some_and(|all| {
                    all.values()
                        .any(|ch| std::ptr::eq(resolve(ctx.doc, ch).unwrap_or(ch), c))
                })
            })
        })
        .map(|(op_id, op, c)| op_view(op_id, op, *c))
        .collect();
    if !orphans.is_empty() {
        blocks.push(
            view! {
                <section class="apidef-channel">
                    <h4 class="apidef-channel-name">"Operations without a known channel"</h4>
                    {orphans}
                </section>
            }
            .into_any(),
        );
    }
    Some(channels_section(ctx, channel_count, blocks.into_any()))
}

fn channels_section(_ctx: &Ctx<'_>, count: usize, blocks: AnyView) -> AnyView {
    let cut = (count > MAX_SCHEMAS).then(|| {
        note(format!(
            "Showing the first {MAX_SCHEMAS} of {count} channels; the raw definition below has them all."
        ))
    });
    let empty = (count == 0)
        .then(|| view! { <p class="apidef-empty">"This definition has no channels."</p> });
    view! {
        <section class="apidef-section apidef-channels">
            <h3>"Channels"</h3>
            {empty}
            {blocks}
            {cut}
        </section>
    }
    .into_any()
}

fn channel_view(name: &str, address: Option<String>, channel: &Value, content: AnyView) -> AnyView {
    let address = address
        .filter(|a| a != name)
        .map(|a| view! { <p class="apidef-address">"Address: "<code>{a}</code></p> });
    let title = get_text(channel, "title").map(|t| view! { <p class="apidef-summary">{t}</p> });
    let description = paragraphs(get_text(channel, "description"));
    view! {
        <section class="apidef-channel">
            <h4 class="apidef-channel-name"><code>{name.to_owned()}</code></h4>
            {address}
            {title}
            {description}
            {content}
        </section>
    }
    .into_any()
}

fn async_op_view(
    ctx: &Ctx<'_>,
    label: &str,
    id: Option<String>,
    op: &Value,
    messages: Vec<Message<'_>>,
) -> AnyView {
    let token = match label {
        "Publish" | "Subscribe" | "Send" | "Receive" => label.to_ascii_lowercase(),
        _ => "other".to_owned(),
    };
    let class = format!("apidef-action apidef-action-{token}");
    let id = id.or_else(|| get_text(op, "operationId"));
    let caption = match &id {
        Some(id) => format!("Messages of {id}"),
        None => format!("Messages ({label})"),
    };
    let summary = get_text(op, "summary")
        .or_else(|| get_text(op, "title"))
        .map(|s| view! { <span class="apidef-summary-inline">{s}</span> });
    let description = paragraphs(get_text(op, "description"));
    let table = if messages.is_empty() {
        view! { <p class="apidef-muted">"No messages are given."</p> }.into_any()
    } else {
        messages_table(ctx, &caption, messages)
    };
    view! {
        <div class="apidef-async-op">
            <p class="apidef-async-op-head">
                <span class=class>{label.to_owned()}</span>
                {id.map(|id| view! { <code>{id}</code> })}
                {summary}
            </p>
            {description}
            {table}
        </div>
    }
    .into_any()
}

fn messages_table(ctx: &Ctx<'_>, caption: &str, messages: Vec<Message<'_>>) -> AnyView {
    let default_type = get_text(ctx.doc, "defaultContentType");
    let rows = messages
        .into_iter()
        .map(|message| match message.found {
            Ok(m) => {
                let name = get_text(m, "name")
                    .or_else(|| message.key.clone())
                    .or_else(|| get_text(m, "messageId"))
                    .or_else(|| get_text(m, "title"))
                    .unwrap_or_else(|| "(unnamed)".to_owned());
                let content_type = get_text(m, "contentType").or_else(|| default_type.clone());
                let payload = match get(m, "payload") {
                    // AsyncAPI 3 may wrap the schema: `payload: {schemaFormat, schema}`.
                    Some(p) if get(p, "schemaFormat").is_some() && get(p, "schema").is_some() => {
                        get(p, "schema").map(|s| Summary::of(ctx, s).into_view())
                    }
                    Some(p) => Some(Summary::of(ctx, p).into_view()),
                    None => None,
                };
                let about = [get_text(m, "title"), get_text(m, "summary")]
                    .into_iter()
                    .flatten()
                    .filter(|t| *t != name)
                    .collect::<Vec<_>>()
                    .join(" — ");
                let about = (!about.is_empty()).then_some(about);
                let description = paragraphs(get_text(m, "description"));
                let empty = about.is_none() && description.is_none();
                view! {
                    <tr>
                        <th scope="row"><code>{name}</code></th>
                        <td data-label="Content type">{content_type.map(|t| view! { <code>{t}</code> }.into_any()).unwrap_or_else(none)}</td>
                        <td data-label="Payload">{payload.unwrap_or_else(none)}</td>
                        <td data-label="Description">{about.map(|a| view! { <p>{a}</p> })}{description}{empty.then(none)}</td>
                    </tr>
                }
                .into_any()
            }
            Err(e) => view! {
                <tr>
                    <th scope="row"><code>{message.key.unwrap_or_else(|| "(message)".to_owned())}</code></th>
                    <td data-label="Content type">{none()}</td>
                    <td data-label="Payload">{none()}</td>
                    <td data-label="Description">{format!("Message not shown: {}", e.describe())}</td>
                </tr>
            }
            .into_any(),
        })
        .collect_view();
    view! {
        <div class="apidef-table-wrap">
            <table class="apidef-table">
                <caption class="visually-hidden">{caption.to_owned()}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Message"</th>
                        <th scope="col">"Content type"</th>
                        <th scope="col">"Payload"</th>
                        <th scope="col">"Description"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

// ---- Source with syntax highlighting --------------------------------------

/// The languages the highlighter knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    GraphQl,
    Proto,
    /// No highlighting.
    Plain,
}

impl Lang {
    fn token(self) -> &'static str {
        match self {
            Self::GraphQl => "graphql",
            Self::Proto => "proto",
            Self::Plain => "plain",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Self::GraphQl => "GraphQL schema",
            Self::Proto => "Protocol Buffers definition",
            Self::Plain => "Definition source",
        }
    }
}

/// The kinds of highlighted token; each becomes `apidef-tok-<kind>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Keyword,
    Type,
    String,
    Comment,
    Number,
}

impl Tok {
    fn class(self) -> &'static str {
        match self {
            Self::Keyword => "apidef-tok-keyword",
            Self::Type => "apidef-tok-type",
            Self::String => "apidef-tok-string",
            Self::Comment => "apidef-tok-comment",
            Self::Number => "apidef-tok-number",
        }
    }
}

const GRAPHQL_KEYWORDS: &[&str] = &[
    "type",
    "input",
    "enum",
    "scalar",
    "interface",
    "union",
    "schema",
    "query",
    "mutation",
    "subscription",
    "fragment",
    "on",
    "extend",
    "implements",
    "directive",
    "repeatable",
    "true",
    "false",
    "null",
];
const GRAPHQL_BUILTIN_TYPES: &[&str] = &["Int", "Float", "String", "Boolean", "ID"];
const PROTO_KEYWORDS: &[&str] = &[
    "syntax",
    "edition",
    "package",
    "import",
    "option",
    "service",
    "rpc",
    "returns",
    "stream",
    "message",
    "enum",
    "oneof",
    "map",
    "repeated",
    "optional",
    "required",
    "reserved",
    "extend",
    "extensions",
    "to",
    "max",
    "public",
    "weak",
    "group",
    "true",
    "false",
];
const PROTO_SCALAR_TYPES: &[&str] = &[
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
    "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
];

/// A heading and the highlighted source in `<pre><code>`.
fn source_section(text: &str, lang: Lang) -> AnyView {
    let class = format!("apidef-source apidef-lang-{}", lang.token());
    let code = highlighted(text, lang);
    view! {
        <section class="apidef-section apidef-code">
            <h3>{lang.heading()}</h3>
            <pre class=class tabindex="0"><code>{code}</code></pre>
        </section>
    }
    .into_any()
}

/// `text` as text nodes and `<span class="apidef-tok-…">` elements. Leptos
/// escapes every text node, so the source can never become markup.
fn highlighted(text: &str, lang: Lang) -> Vec<AnyView> {
    if lang == Lang::Plain || text.chars().count() > MAX_HIGHLIGHT_CHARS {
        return vec![text.to_owned().into_any()];
    }
    tokenize(text, lang)
        .into_iter()
        .map(|(tok, part)| match tok {
            None => part.into_any(),
            Some(tok) => view! { <span class=tok.class()>{part}</span> }.into_any(),
        })
        .collect()
}

/// Splits `text` into plain runs and tokens. Concatenating the parts gives
/// `text` back exactly.
fn tokenize(text: &str, lang: Lang) -> Vec<(Option<Tok>, String)> {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let slice = |from: usize, to: usize| -> String {
        chars
            .get(from..to.min(chars.len()))
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    };
    let mut out: Vec<(Option<Tok>, String)> = Vec::new();
    let mut push = |tok: Option<Tok>, part: String| {
        if tok.is_none()
            && let Some((None, last)) = out.last_mut()
        {
            last.push_str(&part);
            return;
        }
        out.push((tok, part));
    };
    let until_newline = |from: usize| {
        let mut j = from;
        while j < chars.len() && at(j) != '\n' {
            j += 1;
        }
        j
    };
    let mut i = 0;
    while i < chars.len() {
        let c = at(i);
        // Comments.
        let line_comment = match lang {
            Lang::GraphQl => c == '#',
            _ => c == '/' && at(i + 1) == '/',
        };
        if line_comment {
            let end = until_newline(i);
            push(Some(Tok::Comment), slice(i, end));
            i = end;
            continue;
        }
        if lang == Lang::Proto && c == '/' && at(i + 1) == '*' {
            let mut j = i + 2;
            while j < chars.len() && !(at(j) == '*' && at(j + 1) == '/') {
                j += 1;
            }
            let end = (j + 2).min(chars.len());
            push(Some(Tok::Comment), slice(i, end));
            i = end;
            continue;
        }
        // Strings.
        if lang == Lang::GraphQl && c == '"' && at(i + 1) == '"' && at(i + 2) == '"' {
            let mut j = i + 3;
            while j < chars.len()
                && !(at(j) == '"'
                    && at(j + 1) == '"'
                    && at(j + 2) == '"'
                    && at(j.saturating_sub(1)) != '\\')
            {
                j += 1;
            }
            let end = (j + 3).min(chars.len());
            push(Some(Tok::String), slice(i, end));
            i = end;
            continue;
        }
        if c == '"' || (lang == Lang::Proto && c == '\'') {
            let mut j = i + 1;
            while j < chars.len() && at(j) != c && at(j) != '\n' {
                j += if at(j) == '\\' { 2 } else { 1 };
            }
            let end = if at(j) == c { j + 1 } else { j }.min(chars.len());
            push(Some(Tok::String), slice(i, end));
            i = end;
            continue;
        }
        // Words.
        if c.is_ascii_alphabetic() || c == '_' {
            let mut j = i + 1;
            loop {
                let d = at(j);
                let qualified = lang == Lang::Proto
                    && d == '.'
                    && (at(j + 1).is_ascii_alphabetic() || at(j + 1) == '_');
                if d.is_ascii_alphanumeric() || d == '_' || qualified {
                    j += 1;
                } else {
                    break;
                }
            }
            let word = slice(i, j);
            push(classify(&word, lang), word);
            i = j;
            continue;
        }
        if c.is_ascii_digit() {
            let mut j = i + 1;
            while at(j).is_ascii_alphanumeric() || at(j) == '.' || at(j) == '_' {
                j += 1;
            }
            push(Some(Tok::Number), slice(i, j));
            i = j;
            continue;
        }
        push(None, c.to_string());
        i += 1;
    }
    out
}

/// The token kind of a word, or `None` for plain identifiers.
fn classify(word: &str, lang: Lang) -> Option<Tok> {
    let (keywords, builtins) = match lang {
        Lang::GraphQl => (GRAPHQL_KEYWORDS, GRAPHQL_BUILTIN_TYPES),
        Lang::Proto => (PROTO_KEYWORDS, PROTO_SCALAR_TYPES),
        Lang::Plain => return None,
    };
    if keywords.contains(&word) {
        return Some(Tok::Keyword);
    }
    if builtins.contains(&word) {
        return Some(Tok::Type);
    }
    // By convention type names start with a capital; ALL_CAPS are enum values.
    let last = word.rsplit('.').next().unwrap_or(word);
    let capital = last.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    let all_caps = last.len() > 1
        && last
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    (capital && !all_caps).then_some(Tok::Type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TRIPS: &str = include_str!("../../../catalog/example/apis/trips.openapi.yaml");
    const TRIP_EVENTS: &str =
        include_str!("../../../catalog/example/apis/trip-events.asyncapi.yaml");
    const RIDER: &str = include_str!("../../../catalog/example/apis/rider.graphql");
    const STATIONS_PROTO: &str =
        include_str!("../../../catalog/example/apis/station_availability.proto");
    const OPENAPI_EXAMPLES: [(&str, &str); 10] = [
        (
            "accounts",
            include_str!("../../../catalog/example/apis/accounts.openapi.yaml"),
        ),
        (
            "bike-telemetry",
            include_str!("../../../catalog/example/apis/bike-telemetry.openapi.yaml"),
        ),
        (
            "geofences",
            include_str!("../../../catalog/example/apis/geofences.openapi.yaml"),
        ),
        (
            "invoices",
            include_str!("../../../catalog/example/apis/invoices.openapi.yaml"),
        ),
        (
            "maintenance",
            include_str!("../../../catalog/example/apis/maintenance.openapi.yaml"),
        ),
        (
            "notifications",
            include_str!("../../../catalog/example/apis/notifications.openapi.yaml"),
        ),
        (
            "payments",
            include_str!("../../../catalog/example/apis/payments.openapi.yaml"),
        ),
        (
            "stations",
            include_str!("../../../catalog/example/apis/stations.openapi.yaml"),
        ),
        (
            "subscriptions",
            include_str!("../../../catalog/example/apis/subscriptions.openapi.yaml"),
        ),
        (
            "trips",
            include_str!("../../../catalog/example/apis/trips.openapi.yaml"),
        ),
    ];

    /// A Swagger 2.0 document in the style of the classic petstore.
    const SWAGGER2: &str = r##"
swagger: 2.0
info:
  title: Legacy Docks API
  version: "1.4"
host: docks.example.com
basePath: /v1
schemes: [https]
consumes: [application/json]
produces: [application/json]
tags:
  - name: docks
    description: Dock hardware
paths:
  /docks/{dockId}:
    parameters:
      - name: dockId
        in: path
        type: string
        required: true
    put:
      tags: [docks]
      operationId: replaceDock
      parameters:
        - name: body
          in: body
          required: true
          schema:
            $ref: '#/definitions/Dock'
        - name: dryRun
          in: query
          type: boolean
          default: false
      responses:
        '200':
          description: The stored dock
          schema:
            $ref: '#/definitions/Dock'
        default:
          description: Error
          schema:
            type: array
            items:
              $ref: '#/definitions/Error'
definitions:
  Dock:
    type: object
    required: [id]
    properties:
      id:
        type: string
      state:
        type: string
        enum: [free, occupied, broken]
  Error:
    type: object
    properties:
      message:
        type: string
"##;

    /// An AsyncAPI 3.0 document: channels with addresses, operations by `$ref`.
    const ASYNCAPI3: &str = r##"
asyncapi: 3.0.0
info:
  title: Dock Signals
  version: 0.3.0
servers:
  broker:
    host: mqtt.example.com:8883
    protocol: mqtt
channels:
  dockState:
    address: docks/{dockId}/state
    messages:
      stateChanged:
        $ref: '#/components/messages/StateChanged'
  commands:
    address: docks/{dockId}/commands
    messages:
      unlock:
        name: unlock
        payload:
          type: object
          properties:
            tripId:
              type: string
operations:
  publishState:
    action: send
    channel:
      $ref: '#/channels/dockState'
    messages:
      - $ref: '#/channels/dockState/messages/stateChanged'
  onCommand:
    action: receive
    channel:
      $ref: '#/channels/commands'
components:
  messages:
    StateChanged:
      name: dock.state-changed
      payload:
        $ref: '#/components/schemas/DockState'
  schemas:
    DockState:
      type: object
      properties:
        free:
          type: boolean
"##;

    fn yaml(text: &str) -> Value {
        match serde_norway::from_str::<Value>(text) {
            Ok(value) => value,
            Err(e) => panic!("test YAML does not parse: {e}"),
        }
    }

    fn render(spec_type: &str, definition: &str, parsed: Option<Value>) -> String {
        let owner = Owner::new();
        let spec_type = spec_type.to_owned();
        let definition = definition.to_owned();
        owner.with(|| {
            view! { <ApiDefinitionView spec_type=spec_type definition=definition parsed=parsed /> }
                .to_html()
        })
    }

    /// Reads a file from the shared real-world fixtures, when they are present.
    fn realworld(path: &str) -> Option<String> {
        let full = format!(
            "{}/../../shared/fixtures/realworld/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        match std::fs::read_to_string(&full) {
            Ok(text) => Some(text),
            Err(e) => {
                eprintln!("skipping {full}: {e}");
                None
            }
        }
    }

    fn assert_has(html: &str, needle: &str) {
        assert!(
            html.contains(needle),
            "expected {needle:?} in the HTML:\n{html}"
        );
    }

    #[test]
    fn openapi_trips_shows_info_operations_and_schemas() {
        let html = render("openapi", TRIPS, Some(yaml(TRIPS)));
        assert_has(&html, "Spokewise Trips API");
        assert_has(&html, "Version 3.1.0");
        assert_has(&html, "OpenAPI 3.0.3");
        assert_has(&html, "https://api.spokewise.example/trips/v3");
        // Operations, grouped under the tag.
        assert_has(&html, ">trips</h3>");
        assert_has(
            &html,
            r#"<span class="apidef-method apidef-method-get">GET</span>"#,
        );
        assert_has(
            &html,
            r#"<span class="apidef-method apidef-method-post">POST</span>"#,
        );
        assert_has(&html, "/trips/{tripId}/end");
        assert_has(&html, "Unlock a bike and start a trip");
        assert_has(&html, "<code>listTrips</code>");
        // Parameters, including the path-level `$ref` one.
        assert_has(&html, "<code>Idempotency-Key</code>");
        assert_has(&html, "<code>tripId</code>");
        assert_has(&html, "Opaque cursor from a previous page");
        // Request body and responses with schema links.
        assert_has(&html, "Request body (required)");
        assert_has(
            &html,
            r##"<a href="#schema-StartTrip"><code>StartTrip</code></a>"##,
        );
        assert_has(&html, "application/problem+json");
        assert_has(&html, "No such trip"); // from #/components/responses/NotFound
        assert_has(&html, "Default: 20");
        // Schemas with anchors, arrays, enums, formats.
        assert_has(&html, r#"id="schema-TripPage""#);
        assert_has(&html, r#"id="schema-Trip""#);
        assert_has(
            &html,
            r##"array of <a href="#schema-Trip"><code>Trip</code></a>"##,
        );
        assert_has(&html, "<code>support-override</code>");
        assert_has(&html, "string (date-time) | null");
        assert_has(&html, "Amount in minor units (cents)");
        assert!(!html.contains("(missing)"), "every local $ref resolves");
        assert!(
            html.trim_end().ends_with("</details></div>"),
            "raw definition comes last"
        );
    }

    #[test]
    fn every_example_openapi_definition_renders() {
        for (name, text) in OPENAPI_EXAMPLES {
            let doc = yaml(text);
            let title = doc
                .pointer("/info/title")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let html = render("openapi", text, Some(doc));
            assert!(!title.is_empty(), "{name} has a title");
            assert_has(&html, &title);
            assert_has(&html, "apidef-method");
            assert_has(&html, "<h3>Schemas</h3>");
            assert!(!html.contains("could not be read"), "{name} renders");
            assert!(
                !html.contains("(missing)"),
                "{name}: every local $ref resolves"
            );
        }
    }

    #[test]
    fn swagger2_uses_host_definitions_and_body_parameter() {
        let html = render("openapi", SWAGGER2, Some(yaml(SWAGGER2)));
        assert_has(&html, "Swagger 2"); // `swagger: 2.0` arrives as a number
        assert_has(&html, "https://docks.example.com/v1");
        assert_has(&html, "<code>dockId</code>");
        assert_has(&html, "<code>dryRun</code>");
        assert_has(&html, "Default: false");
        assert_has(&html, "Request body (required)");
        assert_has(&html, r##"<a href="#schema-Dock"><code>Dock</code></a>"##);
        assert_has(
            &html,
            r##"array of <a href="#schema-Error"><code>Error</code></a>"##,
        );
        assert_has(&html, r#"id="schema-Dock""#);
        assert_has(&html, "<code>occupied</code>");
        assert_has(&html, "Dock hardware");
        // The body parameter is not also listed as a parameter.
        assert!(!html.contains("<code>body</code>"));
    }

    #[test]
    fn swagger2_realworld_nexus_renders() {
        let Some(text) =
            realworld("redhat-developer__rhdh/catalog-entities/apis/nexus-swagger.json")
        else {
            return;
        };
        let doc: Value = match serde_json::from_str(&text) {
            Ok(doc) => doc,
            Err(e) => panic!("nexus-swagger.json parses: {e}"),
        };
        let html = render("openapi", &text, Some(doc));
        assert_has(&html, "Nexus Repository Manager REST API");
        assert_has(&html, "/service/rest/");
        assert_has(&html, "Security management");
        assert_has(&html, "href=\"#schema-");
        assert!(!html.contains("could not be read"));
    }

    #[test]
    fn asyncapi2_trip_events_lists_channels_and_messages() {
        let html = render("asyncapi", TRIP_EVENTS, Some(yaml(TRIP_EVENTS)));
        assert_has(&html, "Spokewise Trip Events");
        assert_has(&html, "AsyncAPI 2.6.0");
        assert_has(&html, "kafka-1.spokewise.internal:9093");
        assert_has(&html, "kafka-secure");
        assert_has(&html, "<h3>Channels</h3>");
        assert_has(&html, "<code>trip-events</code>");
        assert_has(&html, "Subscribe");
        assert_has(&html, "<code>onTripEvent</code>");
        assert_has(&html, "<code>trip.started</code>");
        assert_has(&html, "<code>trip.cancelled</code>");
        assert_has(&html, "application/json");
        assert_has(
            &html,
            r##"<a href="#schema-TripStartedPayload"><code>TripStartedPayload</code></a>"##,
        );
        assert_has(&html, r#"id="schema-EventHeaders""#);
        assert_has(&html, "Set when the ride is billed to an employer");
    }

    #[test]
    fn asyncapi2_realworld_blueapi_renders() {
        let Some(text) = realworld("DiamondLightSource__blueapi/docs/reference/asyncapi.yaml")
        else {
            return;
        };
        let html = render("asyncapi", &text, Some(yaml(&text)));
        assert_has(&html, "Bluesky Worker Service");
        assert_has(&html, "<code>public.worker.event</code>");
        assert_has(&html, "<code>dataEvent</code>");
        assert!(!html.contains("could not be read"));
    }

    #[test]
    fn asyncapi3_groups_operations_by_channel() {
        let html = render("asyncapi", ASYNCAPI3, Some(yaml(ASYNCAPI3)));
        assert_has(&html, "AsyncAPI 3.0.0");
        assert_has(&html, "mqtt.example.com:8883");
        assert_has(&html, "<code>docks/{dockId}/state</code>");
        assert_has(
            &html,
            r#"<span class="apidef-action apidef-action-send">Send</span>"#,
        );
        assert_has(
            &html,
            r#"<span class="apidef-action apidef-action-receive">Receive</span>"#,
        );
        assert_has(&html, "<code>publishState</code>");
        assert_has(&html, "<code>dock.state-changed</code>");
        assert_has(&html, "<code>unlock</code>");
        assert_has(
            &html,
            r##"<a href="#schema-DockState"><code>DockState</code></a>"##,
        );
        assert!(!html.contains("without a known channel"));
        // The send operation sits in the dockState channel, before commands.
        let state = html.find("<code>dockState</code>").unwrap_or(usize::MAX);
        let send = html.find("<code>publishState</code>").unwrap_or(0);
        let commands = html.find("<code>commands</code>").unwrap_or(0);
        assert!(
            state < send && send < commands,
            "operations sit under their channel"
        );
    }

    #[test]
    fn graphql_is_highlighted() {
        let html = render("graphql", RIDER, None);
        assert_has(&html, "<h3>GraphQL schema</h3>");
        assert_has(
            &html,
            r#"<span class="apidef-tok-comment"># Rider BFF schema"#,
        );
        assert_has(
            &html,
            r#"<span class="apidef-tok-keyword">type</span> <span class="apidef-tok-type">Station</span>"#,
        );
        assert_has(&html, r#"<span class="apidef-tok-type">Int</span>!"#);
        assert_has(&html, r#"<span class="apidef-tok-type">ID</span>"#);
        assert_has(&html, r#"<span class="apidef-tok-number">20</span>"#);
        // Enum values stay plain.
        assert!(!html.contains(r#"<span class="apidef-tok-type">BER</span>"#));
        assert_has(&html, "Raw definition");
    }

    #[test]
    fn proto_is_highlighted() {
        let html = render("grpc", STATIONS_PROTO, None);
        assert_has(&html, "<h3>Protocol Buffers definition</h3>");
        assert_has(&html, r#"<span class="apidef-tok-keyword">service</span>"#);
        assert_has(&html, r#"<span class="apidef-tok-keyword">rpc</span>"#);
        assert_has(&html, r#"<span class="apidef-tok-type">int32</span>"#);
        assert_has(
            &html,
            r#"<span class="apidef-tok-type">google.protobuf.Timestamp</span>"#,
        );
        assert_has(&html, r#"<span class="apidef-tok-string">"proto3"</span>"#);
        assert_has(
            &html,
            r#"<span class="apidef-tok-comment">// Current availability of one station.</span>"#,
        );
    }

    #[test]
    fn tokenize_round_trips_the_source() {
        for (text, lang) in [
            (RIDER, Lang::GraphQl),
            (STATIONS_PROTO, Lang::Proto),
            ("\"unterminated\n/* open comment", Lang::Proto),
            ("\"\"\"block \\\"\"\" still\"\"\" type Ä ü 𝔸", Lang::GraphQl),
            ("", Lang::GraphQl),
            ("#", Lang::GraphQl),
            ("'\\", Lang::Proto),
        ] {
            let joined: String = tokenize(text, lang).into_iter().map(|(_, t)| t).collect();
            assert_eq!(joined, text);
        }
    }

    #[test]
    fn untrusted_text_is_escaped() {
        let evil = "<script>alert(1)</script>";
        let doc = json!({
            "openapi": "3.0.0",
            "info": { "title": evil, "description": format!("Hello {evil}") },
            "paths": { "/x": { "get": {
                "summary": evil,
                "parameters": [{ "name": evil, "in": "query", "schema": { "enum": [evil] } }],
                "responses": { "200": { "description": evil } }
            } } },
            "components": { "schemas": { evil: { "type": "object", "properties": { evil: { "type": "string" } } } } }
        });
        let html = render("openapi", "openapi: 3.0.0", Some(doc));
        assert!(!html.contains("<script"), "no raw script tag:\n{html}");
        assert_has(&html, "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_has(&html, r#"id="schema-_script_alert_1___script_""#);

        let source = format!("type Query {{ me: String }} # {evil}\n\"{evil}\"");
        for spec_type in ["graphql", "grpc", "other", "soap", "openapi", "asyncapi"] {
            let html = render(spec_type, &source, None);
            assert!(!html.contains("<script"), "{spec_type}: no raw script tag");
            assert_has(&html, "&lt;script&gt;");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let garbage = [
            json!(42),
            json!("openapi"),
            json!(null),
            json!([1, 2, 3]),
            json!({}),
            json!({ "paths": 5 }),
            json!({ "openapi": 3, "info": 7, "servers": { "a": 1 }, "tags": "x",
                "paths": { "/a": 5, "/b": { "get": 5, "parameters": 3,
                    "post": { "tags": [1, null], "parameters": [7, null, { "$ref": 9 }],
                        "requestBody": [], "responses": [1] },
                    "put": { "responses": { "200": 5, "201": { "content": 4 },
                        "202": { "content": { "a/b": 3, "c/d": { "schema": 7 } } } } } } },
                "components": { "schemas": { "A": 3, "B": [], "C": { "properties": 4, "required": 5, "enum": 6 },
                    "D": { "type": ["string", 3], "items": 5, "allOf": 8 } } } }),
            json!({ "swagger": "2.0", "host": 5, "basePath": ["x"], "definitions": 7,
                "paths": { "/": { "get": { "parameters": [{ "in": "body" }], "responses": { "200": { "schema": "x" } } } } } }),
            json!({ "asyncapi": "2.0.0", "channels": { "a": 5, "b": { "publish": 3, "subscribe": { "message": 4 } },
                "c": { "subscribe": { "message": { "oneOf": [1, { "$ref": "#/nope" }, { "payload": 3 }] } } } },
                "servers": ["x"] }),
            json!({ "asyncapi": "3.0.0", "channels": { "a": { "messages": 5, "address": null } },
                "operations": { "o": { "action": 5, "channel": 3, "messages": [4] },
                    "p": { "channel": { "$ref": "#/channels/zz" } } } }),
            json!({ "asyncapi": 3 }),
        ];
        for doc in garbage {
            for spec_type in [
                "openapi", "asyncapi", "other", "graphql", "grpc", "weird", "",
            ] {
                let html = render(spec_type, "x: 1", Some(doc.clone()));
                assert_has(&html, "Raw definition");
            }
        }
        let html = render("openapi", "x: 1", Some(json!(42)));
        assert_has(
            &html,
            "This definition could not be read as openapi: the document is a number",
        );
        let html = render("openapi", "x: 1", Some(json!({ "paths": 5 })));
        assert_has(&html, "“paths” should be a mapping but is a number.");
        let html = render("openapi", "{{{ not yaml", None);
        assert_has(
            &html,
            "This definition could not be read as openapi: it is not valid YAML or JSON.",
        );
        assert_has(&html, r#"<details open class="apidef-raw">"#);
        let html = render("asyncapi", "", None);
        assert_has(&html, "definition is empty");
    }

    #[test]
    fn unknown_types_get_a_notice_and_the_source() {
        let html = render("soap", "<definitions/>", None);
        assert_has(&html, "This definition could not be read as soap:");
        assert_has(&html, "&lt;definitions/&gt;");
        // `other` is a normal Backstage type: source without a notice.
        let html = render("other", "anything", None);
        assert!(!html.contains("could not be read"));
        assert_has(&html, "<h3>Definition source</h3>");
        // A document that says it is OpenAPI is rendered as such.
        let html = render("other", TRIPS, Some(yaml(TRIPS)));
        assert_has(&html, "Spokewise Trips API");
        assert_has(&html, r#"id="schema-Trip""#);
    }

    #[test]
    fn ref_cycles_terminate() {
        let doc = json!({
            "openapi": "3.0.0",
            "paths": {
                "/loop": {
                    "$ref": "#/paths/~1loop"
                },
                "/x": {
                    "parameters": [{ "$ref": "#/components/parameters/P" }],
                    "get": {
                        "requestBody": { "$ref": "#/components/requestBodies/R" },
                        "responses": {
                            "200": { "$ref": "#/components/responses/Self" },
                            "201": { "description": "ok", "content": { "application/json": {
                                "schema": { "$ref": "#/components/schemas/A" } } } },
                            "202": { "description": "deep", "content": { "application/json": {
                                "schema": { "$ref": "#/components/schemas/Deep/properties/self" } } } }
                        }
                    }
                }
            },
            "components": {
                "parameters": { "P": { "$ref": "#/components/parameters/Q" }, "Q": { "$ref": "#/components/parameters/P" } },
                "requestBodies": { "R": { "$ref": "#/components/requestBodies/R" } },
                "responses": { "Self": { "$ref": "#/components/responses/Self" } },
                "schemas": {
                    "A": { "$ref": "#/components/schemas/B" },
                    "B": { "$ref": "#/components/schemas/A" },
                    "C": { "allOf": [{ "$ref": "#/components/schemas/C" }, { "properties": { "c": { "type": "string" } } }] },
                    "D": { "allOf": [{ "$ref": "#/components/schemas/E" }] },
                    "E": { "allOf": [{ "$ref": "#/components/schemas/D" }], "properties": { "e": { "type": "integer" } } },
                    "Deep": { "properties": { "self": { "$ref": "#/components/schemas/Deep/properties/self" },
                        "tree": { "type": "array", "items": { "$ref": "#/components/schemas/Deep" } } } }
                }
            }
        });
        let html = render("openapi", "cyclic", Some(doc));
        assert_has(&html, "circular reference");
        assert_has(&html, "(circular)");
        assert_has(&html, r#"id="schema-C""#);
        assert_has(&html, "<code>c</code>");
        assert_has(&html, "<code>e</code>");
        assert_has(
            &html,
            r##"array of <a href="#schema-Deep"><code>Deep</code></a>"##,
        );
    }

    #[test]
    fn huge_documents_are_cut_with_a_note() {
        let mut paths = Map::new();
        for i in 0..600 {
            paths.insert(
                format!("/items/{i}"),
                json!({ "get": { "responses": { "200": { "description": "ok" } } } }),
            );
        }
        let doc = json!({ "openapi": "3.1.0", "paths": paths });
        let html = render("openapi", "big", Some(doc));
        assert_has(&html, "Showing the first 500 of 600 operations");
        assert_has(&html, "Operations (600)");
        assert_has(&html, r#"id="apidef-op-500""#);
        assert!(!html.contains(r#"id="apidef-op-501""#));
    }

    #[test]
    fn summaries_describe_types() {
        let doc = json!({ "components": { "schemas": { "X": {} } } });
        let ctx = Ctx::new(
            &doc,
            "#/components/schemas/",
            doc.pointer("/components/schemas")
                .and_then(Value::as_object),
        );
        let plain = |schema: Value| Summary::of(&ctx, &schema).plain();
        assert_eq!(
            plain(json!({ "type": "string", "format": "uuid" })),
            "string (uuid)"
        );
        assert_eq!(
            plain(json!({ "type": "array", "items": { "$ref": "#/components/schemas/X" } })),
            "array of X"
        );
        assert_eq!(
            plain(json!({ "type": "object", "additionalProperties": { "type": "integer" } })),
            "map of integer"
        );
        assert_eq!(
            plain(json!({ "type": ["string", "null"] })),
            "string | null"
        );
        assert_eq!(
            plain(json!({ "oneOf": [{ "type": "string" }, { "$ref": "#/components/schemas/Y" }] })),
            "one of string | Y (missing)"
        );
        assert_eq!(plain(json!({ "$ref": "other.yaml#/Z" })), "other.yaml#/Z");
        assert_eq!(plain(json!(7)), "invalid schema");
        let mut deep = json!({ "type": "string" });
        for _ in 0..20 {
            deep = json!({ "type": "array", "items": deep });
        }
        assert!(plain(deep).ends_with('…'));
    }
}
