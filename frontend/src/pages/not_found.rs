//! The pages for what the portal does not have: an unknown path, an unknown
//! entity (with the closest names the catalog does have), and other errors.

use leptos::prelude::*;

use crate::data::EntitySummary;

/// The 404 page content. The caller must send it with status 404.
#[component]
pub fn NotFoundPage(
    /// The path that was asked for, echoed back to the visitor.
    #[prop(into)]
    path: String,
    /// What was looked for, e.g. "No Component named web-shop in namespace default".
    #[prop(optional, into)]
    what: Option<String>,
    /// Entities with names close to the one asked for.
    #[prop(optional)]
    close: Vec<EntitySummary>,
) -> impl IntoView {
    let lede = match what {
        Some(what) => view! { <p class="lede">{what}</p> }.into_any(),
        None => view! { <p class="lede">"There is nothing at " <code>{path}</code> "."</p> }.into_any(),
    };
    let close = (!close.is_empty()).then(|| {
        let items = close
            .into_iter()
            .map(|e| {
                let label = e.display_name().to_owned();
                let reference = e.entity_ref();
                view! { <li><a href=e.href()>{label}</a> " " <code class="muted">{reference}</code></li> }
            })
            .collect_view();
        view! {
            <section class="card" aria-labelledby="close-title">
                <h2 id="close-title">"Did you mean"</h2>
                <ul class="related-list close-matches">{items}</ul>
            </section>
        }
    });
    view! {
        <div class="page-head">
            <p class="eyebrow">"Error 404"</p>
            <h1>"Not found"</h1>
            {lede}
            <p class="actions">
                <a class="button" href="/catalog">"Browse the catalog"</a>
                <a class="button button-quiet" href="/">"Go to the home page"</a>
            </p>
        </div>
        {close}
    }
}

/// Any other error page: status, a heading and what went wrong.
#[component]
pub fn ErrorPage(
    /// The HTTP status.
    status: u16,
    /// What went wrong, for the user.
    #[prop(into)]
    message: String,
) -> impl IntoView {
    let heading = match status {
        400 => "That request could not be used",
        403 => "Not allowed",
        409 => "Already there",
        _ => "Something went wrong",
    };
    view! {
        <div class="page-head">
            <p class="eyebrow">{format!("Error {status}")}</p>
            <h1>{heading}</h1>
            <p class="lede" role="alert">{message}</p>
            <p class="actions"><a class="button" href="/catalog">"Browse the catalog"</a></p>
        </div>
    }
}
