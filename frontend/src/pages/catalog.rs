//! The catalog list: a filter form and a table of entities.

use leptos::prelude::*;

use crate::data::{CatalogFilter, EntitySummary, KindCount};

/// The catalog page content: a GET form for `kind` and `q`, and a table of the
/// entities that pass the filter. Works without JavaScript.
#[component]
pub fn CatalogPage(
    /// The entities to list, already filtered and in display order.
    entities: Vec<EntitySummary>,
    /// The filter that produced `entities`, used to pre-fill the form.
    filter: CatalogFilter,
    /// All kinds in the catalog, for the kind selector.
    kinds: Vec<KindCount>,
) -> impl IntoView {
    let filter = filter.normalized();
    let heading = heading(&filter, &kinds);
    let shown = entities.len();
    let status = match (shown, filter.q.as_deref()) {
        (0, _) => "No entities match.".to_owned(),
        (1, None) => "1 entity".to_owned(),
        (n, None) => format!("{n} entities"),
        (1, Some(q)) => format!("1 entity matching “{q}”"),
        (n, Some(q)) => format!("{n} entities matching “{q}”"),
    };
    let selected_kind = filter.kind.clone().unwrap_or_default();
    let all_selected = selected_kind.is_empty();
    // A kind asked for in the URL but absent from the catalog still shows as selected.
    let mut kind_names: Vec<String> = kinds.iter().map(|k| k.kind.clone()).collect();
    if !all_selected
        && !kind_names
            .iter()
            .any(|k| k.eq_ignore_ascii_case(&selected_kind))
    {
        kind_names.push(selected_kind.clone());
    }
    let kind_options = kind_names
        .into_iter()
        .map(|kind| {
            let value = kind.to_ascii_lowercase();
            let selected = value.eq_ignore_ascii_case(&selected_kind);
            view! { <option value=value selected=selected>{kind}</option> }
        })
        .collect_view();
    let options = view! {
        <option value="" selected=all_selected>"All kinds"</option>
        {kind_options}
    };
    let rows = entities
        .into_iter()
        .map(|e| view! { <EntityRow entity=e /> })
        .collect_view();
    let table = (shown > 0).then(|| {
        view! {
            <div class="table-wrap">
                <table class="entity-table">
                    <caption class="visually-hidden">{heading.clone()}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Kind"</th>
                            <th scope="col">"Type"</th>
                            <th scope="col">"Owner"</th>
                            <th scope="col">"Lifecycle"</th>
                            <th scope="col">"Description"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
    });
    let empty = (shown == 0).then(|| {
        view! {
            <div class="empty-state">
                <p>"Nothing in the catalog matches this filter."</p>
                <p><a href="/catalog">"Show all entities"</a></p>
            </div>
        }
    });
    view! {
        <div class="page-head">
            <h1>{heading}</h1>
        </div>
        <form class="filters" method="get" action="/catalog">
            <div class="field">
                <label for="filter-kind">"Kind"</label>
                <select id="filter-kind" name="kind">{options}</select>
            </div>
            <div class="field field-grow">
                <label for="filter-q">"Name or description contains"</label>
                <input id="filter-q" type="search" name="q" value=filter.q.clone().unwrap_or_default() />
            </div>
            <div class="field field-actions">
                <button type="submit">"Filter"</button>
                <a class="button button-quiet" href="/catalog">"Reset"</a>
            </div>
        </form>
        <p class="result-count" role="status">{status}</p>
        {table}
        {empty}
    }
}

/// The page heading for a filter: "APIs", "Components", … or "All entities".
fn heading(filter: &CatalogFilter, kinds: &[KindCount]) -> String {
    match filter.kind.as_deref() {
        None => "All entities".to_owned(),
        Some(kind) if kind.eq_ignore_ascii_case("api") => "APIs".to_owned(),
        Some(kind) => {
            // Prefer the spelling used in the catalog over the one in the URL.
            let spelled = kinds
                .iter()
                .find(|k| k.kind.eq_ignore_ascii_case(kind))
                .map_or(kind, |k| k.kind.as_str());
            let mut chars = spelled.chars();
            let first = chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>())
                .unwrap_or_default();
            format!("{first}{}s", chars.as_str())
        }
    }
}

/// One table row.
#[component]
fn EntityRow(entity: EntitySummary) -> impl IntoView {
    let display = entity.display_name().to_owned();
    let qualified = if entity.namespace.is_empty() || entity.namespace == "default" {
        entity.name.clone()
    } else {
        format!("{}/{}", entity.namespace, entity.name)
    };
    let subtitle =
        (display != qualified).then(|| view! { <span class="entity-ref">{qualified}</span> });
    let dash = || view! { <span class="muted" aria-label="none">"—"</span> };
    let cell = move |value: Option<String>| match value.filter(|v| !v.is_empty()) {
        Some(v) => v.into_any(),
        None => dash().into_any(),
    };
    let lifecycle = match entity.lifecycle.filter(|v| !v.is_empty()) {
        Some(l) => {
            let class = format!("badge lifecycle-{}", css_token(&l));
            view! { <span class=class>{l}</span> }.into_any()
        }
        None => dash().into_any(),
    };
    let tags = (!entity.tags.is_empty()).then(|| {
        let items = entity
            .tags
            .into_iter()
            .map(|t| view! { <li class="tag">{t}</li> })
            .collect_view();
        view! { <ul class="tags" aria-label="Tags">{items}</ul> }
    });
    view! {
        <tr>
            <th scope="row" class="entity-name">
                <span class="entity-display">{display}</span>
                {subtitle}
            </th>
            <td data-label="Kind">{entity.kind}</td>
            <td data-label="Type">{cell(entity.spec_type)}</td>
            <td data-label="Owner">{cell(entity.owner)}</td>
            <td data-label="Lifecycle">{lifecycle}</td>
            <td class="entity-description">{cell(entity.description)}{tags}</td>
        </tr>
    }
}

/// `value` reduced to lowercase ASCII letters, digits and dashes, for class names.
fn css_token(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
