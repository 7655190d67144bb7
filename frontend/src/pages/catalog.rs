//! The catalog explorer: facet filters with counts, text search, a sortable
//! table with columns that fit the kind, and cursor paging. Every control is
//! a link or a GET form, so it works with JavaScript off.

use leptos::prelude::*;

use super::{css_token, short_ref, thousands};
use crate::data::EntitySummary;
use crate::explore::{ExplorePage, ExploreQuery, Facet, FacetKey, PAGE_SIZES, SortKey};

/// A column of the entity table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Kind,
    System,
    Owner,
    Type,
    Lifecycle,
    Description,
}

impl Column {
    fn label(self) -> &'static str {
        match self {
            Column::Name => "Name",
            Column::Kind => "Kind",
            Column::System => "System",
            Column::Owner => "Owner",
            Column::Type => "Type",
            Column::Lifecycle => "Lifecycle",
            Column::Description => "Description",
        }
    }

    fn sort(self) -> Option<SortKey> {
        match self {
            Column::Name => Some(SortKey::Name),
            Column::Kind => Some(SortKey::Kind),
            Column::Owner => Some(SortKey::Owner),
            Column::Type => Some(SortKey::Type),
            Column::Lifecycle => Some(SortKey::Lifecycle),
            Column::System | Column::Description => None,
        }
    }
}

/// The columns that fit the one kind selected, or the general set.
fn columns_for(kinds: &[String]) -> Vec<Column> {
    use Column::*;
    let kind = match kinds {
        [one] => one.to_ascii_lowercase(),
        _ => String::new(),
    };
    match kind.as_str() {
        "component" | "api" => vec![Name, System, Owner, Type, Lifecycle, Description],
        "resource" => vec![Name, System, Owner, Type, Description],
        "system" | "domain" => vec![Name, Owner, Description],
        "group" => vec![Name, Type, Description],
        "user" | "location" => vec![Name, Description],
        "template" => vec![Name, Owner, Type, Description],
        _ => vec![Name, Kind, Type, Owner, Lifecycle, Description],
    }
}

/// How the explorer is mounted: the catalog, or the API explorer with the kind fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplorerMount {
    /// Path of the page, `/catalog` or `/api-docs`.
    pub base: &'static str,
    /// The heading.
    pub heading: String,
    /// A kind the mount always filters by (its facet is not shown).
    pub fixed_kind: Option<&'static str>,
}

impl ExplorerMount {
    fn href(&self, query: &ExploreQuery) -> String {
        let mut query = query.clone();
        if let Some(kind) = self.fixed_kind {
            query.selected.retain(|(k, values)| *k != FacetKey::Kind || values.iter().any(|v| !v.eq_ignore_ascii_case(kind)));
        }
        format!("{}{}", self.base, query.to_query_string())
    }
}

/// The explorer page content.
#[component]
pub fn CatalogPage(
    /// The page of results.
    page: ExplorePage,
    /// The state that produced it.
    query: ExploreQuery,
    /// Where the explorer is mounted.
    mount: ExplorerMount,
) -> impl IntoView {
    let columns = columns_for(query.selected(FacetKey::Kind));
    let status = match (page.total, page.rows.len()) {
        (0, _) => "No entities match.".to_owned(),
        (total, shown) => format!(
            "{}–{} of {} {}",
            thousands(page.start + 1),
            thousands(page.start + shown),
            thousands(total),
            if total == 1 { "entity" } else { "entities" }
        ),
    };
    let facets = page
        .facets
        .iter()
        .filter(|f| !(mount.fixed_kind.is_some() && f.key == FacetKey::Kind))
        .filter(|f| !f.values.is_empty())
        .map(|f| facet_group(f, &query, &mount))
        .collect_view();
    let hidden = hidden_fields(&query, &mount);
    let head = columns
        .iter()
        .map(|&c| header_cell(c, &query, &mount))
        .collect_view();
    let rows = page
        .rows
        .iter()
        .map(|e| row(e, &columns))
        .collect_view();
    let table = (!page.rows.is_empty()).then(|| {
        view! {
            <div class="table-wrap">
                <table class="entity-table">
                    <caption class="visually-hidden">{mount.heading.clone()}</caption>
                    <thead><tr>{head}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
    });
    let reset = mount.href(&ExploreQuery { limit: query.limit, ..ExploreQuery::default() });
    let empty = page.rows.is_empty().then(|| {
        let reset = reset.clone();
        view! {
            <div class="empty-state">
                <p>"Nothing in the catalog matches this filter."</p>
                <p><a href=reset>"Clear the filters"</a></p>
            </div>
        }
    });
    let pager = pager(&page, &query, &mount);
    let clear = query.is_filtered().then(|| view! { <a class="button button-quiet" href=reset.clone()>"Clear filters"</a> });
    view! {
        <div class="page-head">
            <h1>{mount.heading.clone()}</h1>
        </div>
        <div class="explorer">
            <aside class="facets" aria-label="Filters">
                <h2 class="visually-hidden">"Filters"</h2>
                {facets}
            </aside>
            <section class="results" aria-label="Results">
                <form class="filters" method="get" action=mount.base role="search">
                    {hidden}
                    <div class="field field-grow">
                        <label for="filter-q">"Search name, title, description, tags, type and owner"</label>
                        <input id="filter-q" type="search" name="q" value=query.q.clone().unwrap_or_default() />
                    </div>
                    <div class="field field-actions">
                        <button type="submit">"Search"</button>
                        {clear}
                    </div>
                </form>
                <p class="result-count" role="status" id="result-count">{status}</p>
                {table}
                {empty}
                {pager}
            </section>
        </div>
    }
}

/// The facet selections and sort as hidden inputs, so the text search keeps them.
fn hidden_fields(query: &ExploreQuery, mount: &ExplorerMount) -> impl IntoView + use<> {
    let mut fields: Vec<(&'static str, String)> = Vec::new();
    for (facet, values) in &query.selected {
        if mount.fixed_kind.is_some() && *facet == FacetKey::Kind {
            continue;
        }
        for v in values {
            fields.push((facet.param(), v.clone()));
        }
    }
    if query.sort != SortKey::default() {
        fields.push(("sort", query.sort.param().to_owned()));
    }
    if query.desc {
        fields.push(("order", "desc".to_owned()));
    }
    if query.limit != PAGE_SIZES[0] {
        fields.push(("limit", query.limit.to_string()));
    }
    fields
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
        .collect_view()
}

fn facet_group(facet: &Facet, query: &ExploreQuery, mount: &ExplorerMount) -> impl IntoView + use<> {
    let id = format!("facet-{}", facet.key.param());
    let items = facet
        .values
        .iter()
        .map(|v| {
            let href = mount.href(&query.toggled(facet.key, &v.value));
            let shown = match facet.key {
                FacetKey::Owner => short_ref(&v.value, Some("group")),
                FacetKey::System => short_ref(&v.value, Some("system")),
                _ => v.value.clone(),
            };
            let class = if v.selected { "facet-value selected" } else { "facet-value" };
            let pressed = if v.selected { "true" } else { "false" };
            let label = format!("{} {}: {}{}", facet.key.label(), shown, v.count, if v.selected { " (selected)" } else { "" });
            view! {
                <li>
                    <a class=class href=href aria-pressed=pressed aria-label=label>
                        <span class="facet-check" aria-hidden="true"></span>
                        <span class="facet-name">{shown}</span>
                        <span class="facet-count">{thousands(v.count)}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    let more = (facet.more > 0).then(|| view! { <li class="facet-more muted">{format!("and {} more", thousands(facet.more))}</li> });
    view! {
        <section class="facet" aria-labelledby=id.clone()>
            <h3 id=id.clone()>{facet.key.label()}</h3>
            <ul>{items}{more}</ul>
        </section>
    }
}

fn header_cell(column: Column, query: &ExploreQuery, mount: &ExplorerMount) -> impl IntoView + use<> {
    match column.sort() {
        Some(sort) => {
            let href = mount.href(&query.sorted_by(sort));
            let current = query.sort == sort;
            let aria_sort = match (current, query.desc) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            };
            let arrow = match (current, query.desc) {
                (false, _) => "",
                (true, false) => " ▲",
                (true, true) => " ▼",
            };
            view! {
                <th scope="col" aria-sort=aria_sort>
                    <a class="sort-link" href=href>{column.label()}<span aria-hidden="true">{arrow}</span></a>
                </th>
            }
            .into_any()
        }
        None => view! { <th scope="col">{column.label()}</th> }.into_any(),
    }
}

fn dash() -> AnyView {
    view! { <span class="muted" aria-label="none">"—"</span> }.into_any()
}

fn text_or_dash(value: Option<String>) -> AnyView {
    match value.filter(|v| !v.is_empty()) {
        Some(v) => v.into_any(),
        None => dash(),
    }
}

/// A reference cell linking to the entity page.
fn ref_cell(value: Option<&str>, kind: &str) -> AnyView {
    match value.filter(|v| !v.is_empty()) {
        Some(value) => super::ref_link(value, kind),
        None => dash(),
    }
}

fn row(entity: &EntitySummary, columns: &[Column]) -> impl IntoView + use<> {
    let cells = columns
        .iter()
        .map(|&c| match c {
            Column::Name => name_cell(entity).into_any(),
            Column::Kind => view! { <td data-label="Kind">{entity.kind.clone()}</td> }.into_any(),
            Column::System => view! { <td data-label="System">{ref_cell(entity.system.as_deref(), "system")}</td> }.into_any(),
            Column::Owner => view! { <td data-label="Owner">{ref_cell(entity.owner.as_deref(), "group")}</td> }.into_any(),
            Column::Type => view! { <td data-label="Type">{text_or_dash(entity.spec_type.as_deref().map(str::to_owned))}</td> }.into_any(),
            Column::Lifecycle => {
                let cell = match entity.lifecycle.clone().filter(|v| !v.is_empty()) {
                    Some(l) => {
                        let class = format!("badge lifecycle-{}", css_token(&l));
                        view! { <span class=class>{l}</span> }.into_any()
                    }
                    None => dash(),
                };
                view! { <td data-label="Lifecycle">{cell}</td> }.into_any()
            }
            Column::Description => {
                let tags = (!entity.tags.is_empty()).then(|| {
                    let items = entity.tags.iter().map(|t| view! { <li class="tag">{t.clone()}</li> }).collect_view();
                    view! { <ul class="tags" aria-label="Tags">{items}</ul> }
                });
                view! { <td class="entity-description">{text_or_dash(entity.description.clone())}{tags}</td> }.into_any()
            }
        })
        .collect_view();
    view! { <tr>{cells}</tr> }
}

fn name_cell(entity: &EntitySummary) -> impl IntoView + use<> {
    let display = entity.display_name().to_owned();
    let qualified = if entity.namespace.is_empty() || &*entity.namespace == "default" {
        entity.name.clone()
    } else {
        format!("{}/{}", entity.namespace, entity.name)
    };
    let subtitle = (display != qualified).then(|| view! { <span class="entity-ref">{qualified}</span> });
    view! {
        <th scope="row" class="entity-name">
            <a class="entity-display" href=entity.href()>{display}</a>
            {subtitle}
        </th>
    }
}

fn pager(page: &ExplorePage, query: &ExploreQuery, mount: &ExplorerMount) -> impl IntoView + use<> {
    if page.prev.is_none() && page.next.is_none() {
        return None;
    }
    let prev = match &page.prev {
        Some(c) => {
            let cursor = (c != "0").then(|| c.clone());
            view! { <a class="button button-quiet" rel="prev" href=mount.href(&query.at(cursor))>"← Previous"</a> }.into_any()
        }
        None => view! { <span class="button button-quiet disabled" aria-disabled="true">"← Previous"</span> }.into_any(),
    };
    let next = match &page.next {
        Some(c) => view! { <a class="button button-quiet" rel="next" href=mount.href(&query.at(Some(c.clone())))>"Next →"</a> }.into_any(),
        None => view! { <span class="button button-quiet disabled" aria-disabled="true">"Next →"</span> }.into_any(),
    };
    let sizes = PAGE_SIZES
        .iter()
        .map(|&n| {
            let mut q = query.at(None);
            q.limit = n;
            let current = (n == query.limit).then_some("page");
            view! { <a href=mount.href(&q) aria-current=current>{n}</a> }
        })
        .collect_view();
    Some(view! {
        <nav class="pager" aria-label="Pages">
            {prev}
            <span class="page-sizes">"Per page: " {sizes}</span>
            {next}
        </nav>
    })
}
