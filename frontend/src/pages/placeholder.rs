//! A page for parts of the portal that are planned but not built yet.

use leptos::prelude::*;

/// Says plainly that a feature is not available in this build yet.
#[component]
pub fn PlaceholderPage(
    /// Name of the feature, used as the heading.
    #[prop(into)]
    title: String,
    /// One sentence on what the feature will do.
    #[prop(into)]
    summary: String,
) -> impl IntoView {
    view! {
        <div class="page-head">
            <h1>{title}</h1>
            <p class="lede">{summary}</p>
        </div>
        <div class="empty-state">
            <p>"This part of Portolan is not available in this build yet."</p>
            <p><a href="/catalog">"Browse the catalog"</a></p>
        </div>
    }
}
