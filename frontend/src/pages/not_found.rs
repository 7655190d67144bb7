//! The page for paths the portal does not know.

use leptos::prelude::*;

/// The 404 page content. The caller must send it with status 404.
#[component]
pub fn NotFoundPage(
    /// The path that was asked for, echoed back to the visitor.
    #[prop(into)]
    path: String,
) -> impl IntoView {
    view! {
        <div class="page-head">
            <p class="eyebrow">"Error 404"</p>
            <h1>"Page not found"</h1>
            <p class="lede">"There is nothing at " <code>{path}</code> "."</p>
            <p class="actions">
                <a class="button" href="/">"Go to the home page"</a>
                <a class="button button-quiet" href="/catalog">"Browse the catalog"</a>
            </p>
        </div>
    }
}
