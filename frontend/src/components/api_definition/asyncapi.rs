//! AsyncAPI 2.x and 3.x documents: the title block, servers, channels with
//! their operations, then the schemas. Operations' message tables are in
//! [`super::messages`].

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::json::{get, get_arr, get_obj, get_text, resolve, top_level};
use super::markup::{
    Shape, code_or_none, info_block, note, paragraphs, problems_view, shape_problems, table,
    text_or_none,
};
use super::messages::{Message, async_op_view, channel_messages, messages_table, messages_v2};
use super::schema::{Ctx, MAX_SCHEMAS, schemas_section};

/// Whether `doc` can be rendered as AsyncAPI; the reason when not.
pub(super) fn check_asyncapi(doc: &Value) -> Result<(), String> {
    let map = top_level(doc)?;
    if map.contains_key("asyncapi") || map.contains_key("channels") {
        Ok(())
    } else if map.contains_key("openapi") || map.contains_key("swagger") {
        Err("it is an OpenAPI document; its spec.type should be openapi.".to_owned())
    } else {
        Err("it has no “asyncapi” or “channels” field.".to_owned())
    }
}

/// The whole view of an AsyncAPI 2.x or 3.x document.
pub(super) fn render_asyncapi(doc: &Value) -> AnyView {
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
                    <td data-label="URL">{code_or_none(url)}</td>
                    <td data-label="Protocol">{text_or_none(protocol)}</td>
                    <td data-label="Description">{text_or_none(get_text(server, "description"))}</td>
                </tr>
            }
        })
        .collect_view();
    let table = table(
        "apidef-table",
        "Servers".to_owned(),
        ["Name", "URL", "Protocol", "Description"],
        rows,
    );
    Some(
        view! {
            <section class="apidef-section apidef-servers">
                <h3>"Servers"</h3>
                {table}
            </section>
        }
        .into_any(),
    )
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
    Some(channels_section(channels.len(), blocks.into_any()))
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
                .map(|c| channel_messages(ctx.doc, c))
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
            let messages = channel_messages(ctx.doc, channel);
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
    Some(channels_section(channel_count, blocks.into_any()))
}

/// The "Channels" section around the channel blocks, with a note when cut.
fn channels_section(count: usize, blocks: AnyView) -> AnyView {
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
