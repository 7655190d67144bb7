//! Portolan's pages as Leptos components, rendered to HTML on the server.
//!
//! There is no client-side code: each `render_*` function builds a complete
//! HTML document in one pass, so pages arrive whole and work with JavaScript
//! off. Data comes in through the [`PortalData`] trait, which the server
//! implements; this crate does not depend on the server.

pub mod data;
pub mod pages;
pub mod shell;

use leptos::prelude::*;

pub use data::{CatalogFilter, EntitySummary, KindCount, PortalData};
pub use shell::{STYLESHEET_PATH, Section, Shell};

use pages::catalog::CatalogPage;
use pages::home::HomePage;
use pages::not_found::NotFoundPage;
use pages::placeholder::PlaceholderPage;

/// A rendered page: the HTTP status to send and the HTML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// HTTP status code, e.g. 200 or 404.
    pub status: u16,
    /// The complete document, starting with `<!DOCTYPE html>`.
    pub html: String,
}

/// Renders `view` inside a fresh reactive owner and prefixes the doctype.
fn document(status: u16, view: impl FnOnce() -> AnyView) -> Rendered {
    let owner = Owner::new();
    let body = owner.with(|| view().to_html());
    Rendered {
        status,
        html: format!("<!DOCTYPE html>{body}"),
    }
}

/// The home page `/`: entity counts per kind.
pub fn render_home(data: &dyn PortalData) -> Rendered {
    let counts = data.kind_counts();
    document(200, move || {
        view! {
            <Shell title="Home" section=Section::Home>
                <HomePage counts=counts />
            </Shell>
        }
        .into_any()
    })
}

/// The catalog list `/catalog?kind=…&q=…`.
pub fn render_catalog(data: &dyn PortalData, filter: &CatalogFilter) -> Rendered {
    let filter = filter.normalized();
    let entities = data.entities(&filter);
    let kinds = data.kind_counts();
    let section = match filter.kind.as_deref() {
        Some(k) if k.eq_ignore_ascii_case("api") => Section::Apis,
        _ => Section::Catalog,
    };
    let title = match filter.kind.as_deref() {
        Some(k) if k.eq_ignore_ascii_case("api") => "APIs",
        _ => "Catalog",
    };
    let search = filter.q.clone().unwrap_or_default();
    document(200, move || {
        view! {
            <Shell title=title section=section search=search>
                <CatalogPage entities=entities filter=filter kinds=kinds />
            </Shell>
        }
        .into_any()
    })
}

/// The software templates page `/create` (not built yet).
pub fn render_create() -> Rendered {
    placeholder(
        "Create",
        Section::Create,
        "Start new projects from software templates.",
    )
}

/// The cluster status page `/clusters` (not built yet).
pub fn render_clusters() -> Rendered {
    placeholder(
        "Clusters",
        Section::Clusters,
        "See what runs where across your Kubernetes clusters.",
    )
}

fn placeholder(title: &'static str, section: Section, summary: &'static str) -> Rendered {
    document(200, move || {
        view! {
            <Shell title=title section=section>
                <PlaceholderPage title=title summary=summary />
            </Shell>
        }
        .into_any()
    })
}

/// The 404 page for `path`, with status 404.
pub fn render_not_found(path: &str) -> Rendered {
    let path = path.to_owned();
    document(404, move || {
        view! {
            <Shell title="Page not found">
                <NotFoundPage path=path />
            </Shell>
        }
        .into_any()
    })
}
