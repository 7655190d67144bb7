//! Pieces of markup that the OpenAPI and AsyncAPI views share: tables,
//! cells, labelled blocks, notes, problem lists and the title block.

use leptos::prelude::*;
use serde_json::Value;

use super::json::{get, get_text, kind_of};

/// Enum values listed at most for one schema or parameter.
const MAX_ENUM_VALUES: usize = 50;

/// Allowed values as a list of `<code>` items, cut at [`MAX_ENUM_VALUES`].
pub(super) fn values_view(values: Vec<String>) -> Option<AnyView> {
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

/// "Allowed values:" and their list, when there are any.
pub(super) fn allowed_values(values: Vec<String>) -> Option<AnyView> {
    values_view(values).map(|list| {
        view! { <div class="apidef-allowed"><span class="apidef-label-inline">"Allowed values:"</span>{list}</div> }
        .into_any()
    })
}

/// Free text as paragraphs: blank lines separate them, line breaks are kept
/// (by CSS) so that lists written as lines stay readable. Markdown is not
/// interpreted.
pub(super) fn paragraphs(text: Option<String>) -> Option<AnyView> {
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
pub(super) fn none() -> AnyView {
    view! {
        <span class="apidef-none">
            <span aria-hidden="true">"—"</span>
            <span class="visually-hidden">"none"</span>
        </span>
    }
    .into_any()
}

/// `text` as a cell's content, or [`none`] without it.
pub(super) fn text_or_none(text: Option<String>) -> AnyView {
    text.map(|t| t.into_any()).unwrap_or_else(none)
}

/// `text` in `<code>` as a cell's content, or [`none`] without it.
pub(super) fn code_or_none(text: Option<String>) -> AnyView {
    text.map(|t| view! { <code>{t}</code> }.into_any())
        .unwrap_or_else(none)
}

/// "Yes"/"No" in words, so requiredness never depends on colour.
pub(super) fn yes_no(value: bool) -> AnyView {
    if value {
        view! { <span class="apidef-required">"Yes"</span> }.into_any()
    } else {
        view! { <span class="apidef-optional">"No"</span> }.into_any()
    }
}

/// A labelled block (Parameters, Responses, …): visible label, then content.
pub(super) fn block(label: String, extra: Option<AnyView>, content: AnyView) -> AnyView {
    view! {
        <div class="apidef-block">
            <p class="apidef-label">{label}</p>
            {extra}
            {content}
        </div>
    }
    .into_any()
}

/// A data table in its scrolling wrapper: a caption for screen readers, one
/// header cell per column, then `rows`.
pub(super) fn table<const N: usize>(
    class: &'static str,
    caption: String,
    columns: [&'static str; N],
    rows: impl IntoView + 'static,
) -> AnyView {
    // An array, not a list: it renders without a list's end marker.
    let head = columns.map(|column| view! { <th scope="col">{column}</th> });
    view! {
        <div class="apidef-table-wrap">
            <table class=class>
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A note such as "Showing the first 500 of 612 operations".
pub(super) fn note(text: String) -> AnyView {
    view! { <p class="apidef-note" role="note">{text}</p> }.into_any()
}

/// A list of problems with the document's shape, if any.
pub(super) fn problems_view(problems: Vec<String>) -> Option<AnyView> {
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
pub(super) enum Shape {
    Mapping,
    List,
}

/// Messages for fields whose JSON kind is wrong, so they are visibly skipped
/// rather than silently missing.
pub(super) fn shape_problems(doc: &Value, expected: &[(&str, Shape)]) -> Vec<String> {
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
pub(super) fn info_block(doc: &Value, spec_label: String) -> AnyView {
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
