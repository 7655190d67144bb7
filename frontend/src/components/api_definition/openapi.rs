//! OpenAPI 3.x and Swagger 2.0 documents: the title block, servers, the
//! operations grouped by tag with a table of contents, then the schemas.
//! One operation's own content is in [`super::operation`].

use std::collections::HashMap;

use leptos::prelude::*;
use serde_json::Value;

use super::json::{get, get_arr, get_obj, get_text, resolve, strings, top_level};
use super::markup::{Shape, info_block, note, paragraphs, problems_view, shape_problems};
use super::operation::{Operation, method_badge, operation_view};
use super::schema::{Ctx, schemas_section};

/// Operations rendered at most; the raw definition still holds all of them.
const MAX_OPERATIONS: usize = 500;

/// HTTP methods of an OpenAPI path item, in display order.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Whether `doc` can be rendered as OpenAPI; the reason when not.
pub(super) fn check_openapi(doc: &Value) -> Result<(), String> {
    let map = top_level(doc)?;
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

/// The whole view of an OpenAPI 3.x or Swagger 2.0 document.
pub(super) fn render_openapi(doc: &Value) -> AnyView {
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
