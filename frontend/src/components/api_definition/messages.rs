//! The messages of AsyncAPI operations and channels: how they are found
//! (2.x `message`/`oneOf`, 3.x `messages`) and the table that lists them.

use leptos::prelude::*;
use serde_json::Value;

use super::json::{RefError, get, get_arr, get_obj, get_str, get_text, ref_tail, resolve};
use super::markup::{code_or_none, none, paragraphs, table};
use super::schema::Ctx;
use super::summary::Summary;

/// A message of an AsyncAPI operation or channel.
pub(super) struct Message<'a> {
    /// The key or `$ref` tail it was found under, as a fallback name.
    key: Option<String>,
    found: Result<&'a Value, RefError>,
}

impl<'a> Message<'a> {
    pub(super) fn of(doc: &'a Value, key: Option<String>, value: &'a Value) -> Self {
        let key = key.or_else(|| get_str(value, "$ref").map(ref_tail));
        Self {
            key,
            found: resolve(doc, value),
        }
    }
}

/// The messages a channel lists under `messages` (3.x), by key.
pub(super) fn channel_messages<'a>(doc: &'a Value, channel: &'a Value) -> Vec<Message<'a>> {
    get_obj(channel, "messages")
        .map(|m| {
            m.iter()
                .map(|(k, v)| Message::of(doc, Some(k.clone()), v))
                .collect()
        })
        .unwrap_or_default()
}

/// AsyncAPI 2.x `message`: one message, a `$ref`, or `oneOf` a list.
pub(super) fn messages_v2<'a>(doc: &'a Value, op: &'a Value) -> Vec<Message<'a>> {
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

/// One AsyncAPI operation: its action badge, id, texts and message table.
pub(super) fn async_op_view(
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

/// The messages of an operation or channel as a table.
pub(super) fn messages_table(ctx: &Ctx<'_>, caption: &str, messages: Vec<Message<'_>>) -> AnyView {
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
                        <td data-label="Content type">{code_or_none(content_type)}</td>
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
    table(
        "apidef-table",
        caption.to_owned(),
        ["Message", "Content type", "Payload", "Description"],
        rows,
    )
}
