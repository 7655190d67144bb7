//! The frame around every page: document head, header with search and
//! navigation, the `<main>` landmark and the footer.

use leptos::prelude::*;

/// Where the stylesheet is served; the server must answer this path.
pub const STYLESHEET_PATH: &str = "/style/portolan.css";

/// The part of the portal a page belongs to, used to highlight the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Section {
    /// The home page, or a page outside the navigation.
    #[default]
    Home,
    /// The software catalog.
    Catalog,
    /// The API list (the catalog restricted to kind API).
    Apis,
    /// The software templates.
    Create,
    /// Kubernetes cluster status.
    Clusters,
}

/// The navigation entries: label, link and section.
const NAV: [(&str, &str, Section); 4] = [
    ("Catalog", "/catalog", Section::Catalog),
    ("APIs", "/api-docs", Section::Apis),
    ("Create", "/create", Section::Create),
    ("Clusters", "/clusters", Section::Clusters),
];

/// The whole HTML document around a page's content.
///
/// `title` becomes the document title (followed by "· Portolan"), `section`
/// selects the highlighted navigation entry and `search` pre-fills the search box.
#[component]
pub fn Shell(
    /// Page title, shown in the browser tab.
    #[prop(into)]
    title: String,
    /// Highlighted navigation entry.
    #[prop(optional)]
    section: Section,
    /// Current search text, shown in the header's search box.
    #[prop(optional, into)]
    search: String,
    /// Seconds after which the page reloads itself when scripts are off
    /// (a `<noscript>` refresh), for pages that follow something running.
    #[prop(default = None)]
    refresh: Option<u32>,
    /// A script of the portal's own (a path under `/static/`) that enhances
    /// the page; the page must work without it.
    #[prop(default = None)]
    script: Option<&'static str>,
    /// The page content, placed inside `<main>`.
    children: Children,
) -> impl IntoView {
    let full_title = if title.is_empty() {
        "Portolan".to_owned()
    } else {
        format!("{title} · Portolan")
    };
    let nav = NAV
        .iter()
        .map(|&(label, href, entry)| {
            let current = (entry == section).then_some("page");
            view! { <li><a href=href aria-current=current>{label}</a></li> }
        })
        .collect_view();
    view! {
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <title>{full_title}</title>
                <link rel="stylesheet" href=STYLESHEET_PATH />
                {refresh.map(|seconds| view! { <noscript><meta http-equiv="refresh" content=seconds.to_string() /></noscript> })}
                {script.map(|src| view! { <script src=src defer></script> })}
            </head>
            <body>
                <a class="skip-link" href="#content">"Skip to content"</a>
                <header class="site-header">
                    <div class="header-inner">
                        <a class="brand" href="/">
                            <Logo />
                            <span class="brand-name">"Portolan"</span>
                        </a>
                        <form class="search" role="search" method="get" action="/catalog">
                            <label class="visually-hidden" for="site-search">"Search the catalog"</label>
                            <input
                                id="site-search"
                                type="search"
                                name="q"
                                value=search
                                placeholder="Search the catalog"
                                autocomplete="off"
                            />
                            <button type="submit">"Search"</button>
                        </form>
                        <nav class="site-nav" aria-label="Main">
                            <ul>{nav}</ul>
                        </nav>
                        <crate::viewer::UserArea />
                    </div>
                </header>
                <main id="content" tabindex="-1">
                    {children()}
                </main>
                <footer class="site-footer">
                    <p>
                        {concat!(
                            "Portolan ",
                            env!("CARGO_PKG_VERSION"),
                            " · a self-hosted developer portal that reads Backstage catalog files"
                        )}
                    </p>
                </footer>
            </body>
        </html>
    }
}

/// The product mark: a compass rose, drawn inline so the page needs no images.
#[component]
fn Logo() -> impl IntoView {
    view! {
        <svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false">
            <circle cx="16" cy="16" r="14.5" fill="none" stroke="currentColor" stroke-width="2" />
            <path d="M16 4 L19 16 L16 28 L13 16 Z" fill="currentColor" />
            <path d="M4 16 L16 13 L28 16 L16 19 Z" fill="currentColor" opacity="0.55" />
            <circle cx="16" cy="16" r="2" class="logo-hub" />
        </svg>
    }
}
