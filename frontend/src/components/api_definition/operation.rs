//! One OpenAPI operation: its heading, parameters, request body and
//! responses, for both OpenAPI 3.x and Swagger 2.0.

use leptos::prelude::*;
use serde_json::Value;

use super::json::{get, get_arr, get_bool, get_obj, get_str, get_text, kind_of, resolve, strings};
use super::markup::{allowed_values, block, none, note, paragraphs, table, text_or_none, yes_no};
use super::schema::{Ctx, flags, flags_view};
use super::summary::{Summary, enum_values, summary_or_none};

/// One operation: a method of a path item.
pub(super) struct Operation<'a> {
    pub(super) method: &'static str,
    pub(super) path: &'a str,
    pub(super) op: &'a Value,
    pub(super) item: &'a Value,
}

/// Content types, each with the schema of its content.
type Media<'a> = Vec<(String, Option<&'a Value>)>;

/// An HTTP method as a coloured badge: `GET`, `POST`, …
pub(super) fn method_badge(method: &str) -> AnyView {
    let lower = method.to_ascii_lowercase();
    let class = format!("apidef-method apidef-method-{lower}");
    view! { <span class=class>{method.to_ascii_uppercase()}</span> }.into_any()
}

/// One operation's article: heading, texts, parameters, body and responses.
pub(super) fn operation_view(
    ctx: &Ctx<'_>,
    v2: bool,
    op: &Operation<'_>,
    anchor: String,
) -> AnyView {
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
                let values = allowed_values(enum_values(values_source));
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
                        <td data-label="In">{text_or_none(location)}</td>
                        <td data-label="Required">{yes_no(required)}</td>
                        <td data-label="Type">{summary}</td>
                        <td data-label="Description">{description}{values}{flags}{empty.then(none)}</td>
                    </tr>
                }
                .into_any()
            }
        })
        .collect_view();
    let table = table(
        "apidef-table",
        "Parameters".to_owned(),
        ["Name", "In", "Required", "Type", "Description"],
        rows,
    );
    Some(block("Parameters".to_owned(), None, table))
}

/// Media types and their schemas as a two-column table.
fn media_table(ctx: &Ctx<'_>, caption: &str, media: Media<'_>) -> AnyView {
    if media.is_empty() {
        return view! { <p class="apidef-muted">"No content types are given."</p> }.into_any();
    }
    let rows = media
        .into_iter()
        .map(|(media_type, schema)| {
            view! {
                <tr>
                    <th scope="row"><code>{media_type}</code></th>
                    <td data-label="Schema">{summary_or_none(ctx, schema)}</td>
                </tr>
            }
        })
        .collect_view();
    table(
        "apidef-table apidef-table-media",
        caption.to_owned(),
        ["Content type", "Schema"],
        rows,
    )
}

/// The types a Swagger 2.0 operation declares under `key` (`consumes` or
/// `produces`), else those the document declares for all operations.
fn declared_types<'a>(ctx: &Ctx<'a>, op: &'a Value, key: &str) -> Vec<&'a str> {
    let types = strings(op, key);
    if types.is_empty() {
        strings(ctx.doc, key)
    } else {
        types
    }
}

/// Swagger 2.0: one `schema` for each declared type, or for "(not declared)".
fn declared_media<'a>(types: &[&str], schema: Option<&'a Value>) -> Media<'a> {
    if types.is_empty() {
        vec![("(not declared)".to_owned(), schema)]
    } else {
        types.iter().map(|t| ((*t).to_owned(), schema)).collect()
    }
}

/// OpenAPI 3.x: the media types of a `content` field and their schemas.
fn content_media(value: &Value) -> Media<'_> {
    get_obj(value, "content")
        .map(|content| {
            content
                .iter()
                .map(|(media_type, m)| (media_type.clone(), get(m, "schema")))
                .collect()
        })
        .unwrap_or_default()
}

/// The "Request body" block of a resolved body (3.x `requestBody` or the
/// Swagger 2.0 `in: body` parameter) with its content types.
fn body_block(ctx: &Ctx<'_>, body: &Value, media: Media<'_>) -> AnyView {
    let label = if get_bool(body, "required") {
        "Request body (required)"
    } else {
        "Request body (optional)"
    };
    let table = media_table(ctx, "Request body", media);
    block(
        label.to_owned(),
        paragraphs(get_text(body, "description")),
        table,
    )
}

/// OpenAPI 3.x `requestBody`.
fn request_body(ctx: &Ctx<'_>, op: &Value) -> Option<AnyView> {
    let body = get(op, "requestBody")?;
    match resolve(ctx.doc, body) {
        Ok(body) => Some(body_block(ctx, body, content_media(body))),
        Err(e) => Some(block(
            "Request body".to_owned(),
            None,
            note(format!("The request body is a {}.", e.describe())),
        )),
    }
}

/// Swagger 2.0: the `in: body` parameter, with `consumes` as content types.
fn swagger_body(ctx: &Ctx<'_>, op: &Operation<'_>, body: Option<&Value>) -> Option<AnyView> {
    let body = body?;
    let types = declared_types(ctx, op.op, "consumes");
    Some(body_block(
        ctx,
        body,
        declared_media(&types, get(body, "schema")),
    ))
}

fn responses_view(ctx: &Ctx<'_>, v2: bool, op: &Value) -> Option<AnyView> {
    let responses = get_obj(op, "responses").filter(|r| !r.is_empty())?;
    let produces = declared_types(ctx, op, "produces");
    let rows = responses
        .iter()
        .map(|(code, response)| {
            let (description, media) = match resolve(ctx.doc, response) {
                Ok(r) => {
                    let media = if v2 {
                        get(r, "schema")
                            .map(|schema| declared_media(&produces, Some(schema)))
                            .unwrap_or_default()
                    } else {
                        content_media(r)
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
    let table = table(
        "apidef-table",
        "Responses".to_owned(),
        ["Code", "Description", "Content type", "Schema"],
        rows,
    );
    Some(block("Responses".to_owned(), None, table))
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
            let summary = summary_or_none(ctx, *s);
            view! { <li><code>{t.clone()}</code>": "{summary}</li> }
        })
        .collect_view();
    view! { <ul class="apidef-plain-list">{items}</ul> }.into_any()
}
