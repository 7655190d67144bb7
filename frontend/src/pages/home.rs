//! The home page: how much the catalog holds, one card per kind.

use leptos::prelude::*;

use super::{kind_blurb, kind_href};
use crate::data::KindCount;

/// The home page content: a summary line and a card per kind linking to the
/// catalog filtered by that kind.
#[component]
pub fn HomePage(
    /// Entity counts per kind, in display order.
    counts: Vec<KindCount>,
) -> impl IntoView {
    let total: usize = counts.iter().map(|k| k.count).sum();
    let kinds = counts.len();
    let summary = match total {
        0 => "The catalog is empty.".to_owned(),
        1 => "One entity in the catalog.".to_owned(),
        n => format!(
            "{n} entities of {kinds} {} in the catalog.",
            if kinds == 1 { "kind" } else { "kinds" }
        ),
    };
    let body = if counts.is_empty() {
        view! {
            <section class="empty-state" aria-labelledby="empty-title">
                <h2 id="empty-title">"Nothing to show yet"</h2>
                <p>
                    "Portolan found no catalog entities. List your "
                    <code>"catalog-info.yaml"</code> " files under "
                    <code>"catalog.locations"</code> " in portolan.yaml"
                    {crate::viewer::Viewer::current().offers("catalog.location.create").then(|| view! { ", or " <a href="/catalog-import">"register one"</a> })}
                    "."
                </p>
            </section>
        }
        .into_any()
    } else {
        let cards = counts
            .into_iter()
            .map(|KindCount { kind, count }| {
                let href = kind_href(&kind);
                let blurb = kind_blurb(&kind);
                view! {
                    <li class="kind-card">
                        <a href=href>
                            <span class="kind-count">{count}</span>
                            <span class="kind-name">{kind}</span>
                            <span class="kind-blurb">{blurb}</span>
                        </a>
                    </li>
                }
            })
            .collect_view();
        view! {
            <section aria-labelledby="kinds-title">
                <h2 id="kinds-title" class="section-title">"Browse by kind"</h2>
                <ul class="kind-grid">{cards}</ul>
            </section>
        }
        .into_any()
    };
    view! {
        <div class="page-head">
            <h1>"Software catalog"</h1>
            <p class="lede">{summary}</p>
            <p class="actions">
                <a class="button" href="/catalog">"View all entities"</a>
                {crate::viewer::Viewer::current()
                    .offers("catalog.location.create")
                    .then(|| view! { <a class="button button-quiet" href="/catalog-import">"Register an existing component"</a> })}
            </p>
        </div>
        {body}
    }
}
