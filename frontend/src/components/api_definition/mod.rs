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
//!
//! Where things live: `json` reads fields and follows `$ref`s; `schema`
//! holds the per-document context and the "Schemas" section; `summary`
//! writes one-line type descriptions; `markup` has the pieces every view
//! shares (tables, notes, the title block); `openapi` and `operation`
//! render OpenAPI/Swagger, `asyncapi` and `messages` AsyncAPI;
//! `highlight` shows GraphQL and protobuf sources.

mod asyncapi;
mod highlight;
mod json;
mod markup;
mod messages;
mod openapi;
mod operation;
mod schema;
mod summary;
#[cfg(test)]
mod tests;

use leptos::prelude::*;
use serde_json::Value;

use asyncapi::{check_asyncapi, render_asyncapi};
use highlight::{Lang, source_section};
use json::get;
use openapi::{check_openapi, render_openapi};

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
