//! The context every renderer shares about one document (where its named
//! schemas live), and the "Schemas" section with a properties table each.

use std::collections::HashSet;

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::json::{
    get, get_arr, get_bool, get_obj, get_text, pointer_segment, resolve, strings, value_text,
};
use super::markup::{allowed_values, none, note, paragraphs, table, values_view, yes_no};
use super::summary::{Summary, enum_values};

/// Schemas, and AsyncAPI channels, rendered at most.
pub(super) const MAX_SCHEMAS: usize = 500;
/// Property rows at most in one schema's table.
const MAX_PROPERTIES: usize = 300;
/// How many levels of inline objects a properties table flattens (`a.b.c`).
const MAX_NESTING: usize = 3;

/// The `id` of a schema's section; links to it use `#` plus this.
pub(super) fn schema_anchor(name: &str) -> String {
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
pub(super) struct Ctx<'a> {
    pub(super) doc: &'a Value,
    /// Where named schemas live: `#/components/schemas/` or `#/definitions/`.
    schema_prefix: &'static str,
    /// Named schemas, in document order.
    pub(super) schemas: Option<&'a Map<String, Value>>,
    /// Names of the schemas that get a section (and so an anchor) on the page.
    pub(super) anchored: HashSet<String>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(
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
    pub(super) fn named_schema(&self, reference: &str) -> Option<String> {
        let rest = reference.strip_prefix(self.schema_prefix)?;
        if rest.is_empty() || rest.contains('/') {
            return None;
        }
        Some(pointer_segment(rest))
    }
}

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
pub(super) fn flags(schema: &Value) -> Vec<String> {
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

pub(super) fn flags_view(flags: Vec<String>) -> Option<AnyView> {
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
pub(super) fn schemas_section(ctx: &Ctx<'_>) -> Option<AnyView> {
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
    let values = resolved.and_then(|s| allowed_values(enum_values(s)));
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
    table(
        "apidef-table",
        caption,
        [
            "Property",
            "Type",
            "Required",
            "Description",
            "Allowed values",
        ],
        rows,
    )
}
