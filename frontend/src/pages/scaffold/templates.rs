//! `/create`: the software templates as cards, with a text search and a tag
//! filter kept in the query string (`/create?q=go&tag=service`), paged like the explorer.

use leptos::prelude::*;

use super::template_href;
use crate::data::EntitySummary;
use crate::explore::{ExplorePage, ExploreQuery, FacetKey};
use crate::pages::{encode_query_value, thousands};

/// Where the template list lives.
pub const CREATE_PATH: &str = "/create";

/// The template list at `query`, without the kind (always Template).
fn href(query: &ExploreQuery) -> String {
    let mut q = query.clone();
    q.selected.retain(|(k, _)| *k != FacetKey::Kind);
    format!("{CREATE_PATH}{}", q.to_query_string())
}

/// The template list page content.
#[component]
pub fn TemplatesPage(
    /// The templates of this page, with the tag facet.
    page: ExplorePage,
    /// The search and filters that produced it.
    query: ExploreQuery,
) -> impl IntoView {
    let tags = page
        .facets
        .iter()
        .find(|f| f.key == FacetKey::Tag)
        .map(|f| {
            let items = f
                .values
                .iter()
                .map(|v| {
                    let link = href(&query.toggled(FacetKey::Tag, &v.value));
                    let pressed = if v.selected { "true" } else { "false" };
                    let class = if v.selected { "facet-value selected" } else { "facet-value" };
                    view! {
                        <li>
                            <a class=class href=link aria-pressed=pressed>
                                <span class="facet-check" aria-hidden="true"></span>
                                <span class="facet-name">{v.value.clone()}</span>
                                <span class="facet-count">{thousands(v.count)}</span>
                            </a>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <section class="facet" aria-labelledby="facet-tag">
                    <h3 id="facet-tag">"Tags"</h3>
                    <ul>{items}</ul>
                </section>
            }
        });
    let hidden = query
        .selected(FacetKey::Tag)
        .iter()
        .map(|t| view! { <input type="hidden" name="tag" value=t.clone() /> })
        .collect_view();
    let status = match page.total {
        0 => "No templates match.".to_owned(),
        1 => "1 template".to_owned(),
        n => format!("{} templates", thousands(n)),
    };
    let filtered = query.is_filtered();
    let cards = page.rows.iter().map(template_card).collect_view();
    let list = (!page.rows.is_empty()).then(|| view! { <ul class="template-grid">{cards}</ul> });
    let empty = page.rows.is_empty().then(|| {
        let body = if filtered {
            view! { <p>"No template matches this search."</p><p><a href=CREATE_PATH>"Show all templates"</a></p> }.into_any()
        } else {
            view! {
                <p>"The catalog has no software templates yet."</p>
                <p>"Register a " <code>"template.yaml"</code> " (" <code>"kind: Template"</code> ") to offer one here: "
                    <a href="/catalog-import">"Register an existing component"</a></p>
            }
            .into_any()
        };
        view! { <div class="empty-state">{body}</div> }
    });
    let pager = pager(&page, &query);
    let clear = filtered.then(|| view! { <a class="button button-quiet" href=CREATE_PATH>"Clear"</a> });
    view! {
        <div class="page-head">
            <h1>"Create something new"</h1>
            <p class="lede">"Start a project from a software template: fill in a short form and the portal creates the repository and registers it in the catalog."</p>
            <p class="actions"><a class="button button-quiet" href="/create/tasks">"Recent tasks"</a></p>
        </div>
        <div class="explorer">
            <aside class="facets" aria-label="Filters">
                <h2 class="visually-hidden">"Filters"</h2>
                {tags}
            </aside>
            <section class="results" aria-label="Templates">
                <form class="filters" method="get" action=CREATE_PATH role="search">
                    {hidden}
                    <div class="field field-grow">
                        <label for="template-q">"Search templates"</label>
                        <input id="template-q" type="search" name="q" value=query.q.clone().unwrap_or_default() />
                    </div>
                    <div class="field field-actions">
                        <button type="submit">"Search"</button>
                        {clear}
                    </div>
                </form>
                <p class="result-count" role="status">{status}</p>
                {list}
                {empty}
                {pager}
            </section>
        </div>
    }
}

fn template_card(t: &EntitySummary) -> impl IntoView + use<> {
    let id = format!("template-{}-{}", crate::pages::css_token(&t.namespace), crate::pages::css_token(&t.name));
    let title = t.display_name().to_owned();
    let tags = (!t.tags.is_empty()).then(|| {
        let items = t
            .tags
            .iter()
            .map(|tag| {
                let link = format!("{CREATE_PATH}?tag={}", encode_query_value(tag));
                view! { <li class="tag"><a href=link>{tag.clone()}</a></li> }
            })
            .collect_view();
        view! { <ul class="tags" aria-label="Tags">{items}</ul> }
    });
    let kind = t.spec_type.clone().filter(|s| !s.is_empty()).map(|s| view! { <span class="badge">{s}</span> });
    let owner = t.owner.clone().filter(|s| !s.is_empty()).map(|o| view! { <p class="template-owner">"Owner: " {crate::pages::ref_link(&o, "group")}</p> });
    let description = t.description.clone().filter(|d| !d.trim().is_empty()).map(|d| view! { <p class="template-description">{d}</p> });
    let choose_label = format!("Choose {title}");
    view! {
        <li class="card template-card" aria-labelledby=id.clone()>
            <div class="template-card-head">
                <h2 id=id.clone()><a href=t.href()>{title}</a></h2>
                {kind}
            </div>
            {description}
            {owner}
            {tags}
            <p class="template-choose"><a class="button" href=template_href(t) aria-label=choose_label>"Choose"</a></p>
        </li>
    }
}

fn pager(page: &ExplorePage, query: &ExploreQuery) -> Option<impl IntoView + use<>> {
    if page.prev.is_none() && page.next.is_none() {
        return None;
    }
    let prev = page.prev.as_ref().map(|c| {
        let cursor = (c != "0").then(|| c.clone());
        view! { <a class="button button-quiet" rel="prev" href=href(&query.at(cursor))>"← Previous"</a> }
    });
    let next = page.next.as_ref().map(|c| view! { <a class="button button-quiet" rel="next" href=href(&query.at(Some(c.clone())))>"Next →"</a> });
    Some(view! { <nav class="pager" aria-label="Pages">{prev}{next}</nav> })
}
