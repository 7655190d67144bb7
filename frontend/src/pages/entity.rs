//! The entity page `/catalog/:namespace/:kind/:name`: header, tabs (overview,
//! definition for APIs, deployments for entities with Kubernetes workloads,
//! YAML), the About card, processing errors, the relation
//! graph and the kind's own cards.

use leptos::prelude::*;

use super::entity_kinds::KindCards;
use super::{css_token, ref_href, relation_label, short_ref};
use crate::components::api_definition::ApiDefinitionView;
use crate::components::graph::{GraphEdge, GraphNode, RelationGraph};
use crate::data::{EntityDetail, RelationView};
use crate::pages::kubernetes::DeploymentsView;
use crate::pages::kubernetes::panel::DeploymentsPanel;

/// The tabs of an entity page, chosen with `?tab=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EntityTab {
    /// About, relations, the kind's cards.
    #[default]
    Overview,
    /// An API's definition, rendered.
    Definition,
    /// The entity's Kubernetes workloads (`?tab=deployments`), when the server found any to look for.
    Deployments,
    /// The entity as YAML.
    Yaml,
}

impl EntityTab {
    /// Reads `?tab=`; anything unknown is the overview.
    pub fn from_param(value: Option<&str>) -> EntityTab {
        match value {
            Some("definition") => EntityTab::Definition,
            Some("yaml") => EntityTab::Yaml,
            Some("deployments") => EntityTab::Deployments,
            _ => EntityTab::Overview,
        }
    }

    /// The tab actually shown for `entity`: a tab the entity has nothing for
    /// (definition of a non-API, deployments without Kubernetes) is the overview.
    pub fn for_entity(self, entity: &EntityDetail) -> EntityTab {
        match self {
            EntityTab::Definition if entity.definition.is_none() => EntityTab::Overview,
            EntityTab::Deployments if entity.kubernetes.is_none() => EntityTab::Overview,
            tab => tab,
        }
    }
}

/// The entity page content.
#[component]
pub fn EntityPage(
    /// What to show.
    entity: EntityDetail,
    /// The tab asked for.
    tab: EntityTab,
) -> impl IntoView {
    let href = entity.summary.href();
    let has_definition = entity.definition.is_some();
    let has_kubernetes = entity.kubernetes.is_some();
    let tab = tab.for_entity(&entity);
    let tab_link = |label: &'static str, this: EntityTab, suffix: &str| {
        let current = (tab == this).then_some("page");
        let target = format!("{href}{suffix}");
        view! { <li><a href=target aria-current=current>{label}</a></li> }
    };
    let tabs = view! {
        <nav class="tabs" aria-label="Entity views">
            <ul>
                {tab_link("Overview", EntityTab::Overview, "")}
                {has_definition.then(|| tab_link("Definition", EntityTab::Definition, "?tab=definition"))}
                {has_kubernetes.then(|| tab_link("Deployments", EntityTab::Deployments, "?tab=deployments"))}
                {tab_link("YAML", EntityTab::Yaml, "?tab=yaml")}
            </ul>
        </nav>
    };
    let body = match tab {
        EntityTab::Overview => overview(&entity).into_any(),
        EntityTab::Definition => match entity.definition.clone() {
            Some(d) => view! {
                <section class="card" aria-labelledby="definition-title">
                    <h2 id="definition-title">"Definition"</h2>
                    <ApiDefinitionView spec_type=d.spec_type definition=d.text parsed=d.parsed />
                </section>
            }
            .into_any(),
            None => ().into_any(),
        },
        EntityTab::Deployments => match entity.kubernetes.clone() {
            Some(k) => deployments_tab(&href, k).into_any(),
            None => ().into_any(),
        },
        EntityTab::Yaml => view! {
            <section class="card" aria-labelledby="yaml-title">
                <h2 id="yaml-title">"Entity YAML"</h2>
                <p class="muted">"As the catalog stores it, with the uid and etag it assigned."</p>
                <pre class="source"><code>{entity.yaml.clone()}</code></pre>
            </section>
        }
        .into_any(),
    };
    view! {
        {header(&entity)}
        {tabs}
        {body}
    }
}

/// The Deployments tab: the panel inside the wrapper the live script
/// follows, and the "Refresh" link that is all a page without scripts needs.
fn deployments_tab(href: &str, view: DeploymentsView) -> impl IntoView + use<> {
    let events = (!view.events_url.trim().is_empty()).then(|| view.events_url.clone());
    let refresh = format!("{href}?tab=deployments");
    view! {
        <section class="card deployments-tab" aria-labelledby="deployments-title">
            <div class="deployments-tab-head">
                <h2 id="deployments-title">"Deployments"</h2>
                <p class="muted deployments-refresh">
                    <span data-live-state>"As of this page load."</span> " " <a href=refresh>"Refresh"</a>
                </p>
            </div>
            <p class="visually-hidden" role="status" data-live-announce></p>
            <div class="deployments-live" id="deployments-live" data-events-url=events>
                <DeploymentsPanel view=view />
            </div>
        </section>
    }
}

fn header(entity: &EntityDetail) -> impl IntoView + use<> {
    let s = &entity.summary;
    let kind_class = format!("eyebrow kind-{}", css_token(&s.kind));
    let badges = [
        s.spec_type.clone().map(|t| ("badge", t)),
        s.lifecycle.clone().map(|l| (if &*l == "production" { "badge lifecycle-production" } else { "badge lifecycle-experimental" }, l)),
    ]
    .into_iter()
    .flatten()
    .map(|(class, text)| view! { <span class=class>{text}</span> })
    .collect_view();
    let tags = (!s.tags.is_empty()).then(|| {
        let items = s
            .tags
            .iter()
            .map(|t| {
                let href = format!("/catalog?tag={}", super::encode_query_value(t));
                view! { <li class="tag"><a href=href>{t.clone()}</a></li> }
            })
            .collect_view();
        view! { <ul class="tags" aria-label="Tags">{items}</ul> }
    });
    let mut links: Vec<(String, String)> = Vec::new();
    if let Some(url) = &entity.view_url {
        links.push(("View source".to_owned(), url.clone()));
    }
    if let Some(url) = &entity.edit_url {
        links.push(("Edit".to_owned(), url.clone()));
    }
    links.extend(entity.links.iter().map(|l| (l.title.clone(), l.url.clone())));
    let links = (!links.is_empty()).then(|| {
        let items = links
            .into_iter()
            .filter(|(_, url)| safe_url(url))
            .map(|(title, url)| view! { <li><a href=url rel="noopener noreferrer">{title}</a></li> })
            .collect_view();
        view! { <ul class="entity-links" aria-label="Links">{items}</ul> }
    });
    let orphan = entity.orphan.then(|| {
        view! {
            <p class="notice notice-warn" role="status">
                "This entity is orphaned: no registered location emits it any more. It is kept as it was last read."
            </p>
        }
    });
    let title = s.display_name().to_owned();
    let reference = s.entity_ref();
    let description = s.description.clone().map(|d| view! { <p class="lede">{d}</p> });
    view! {
        <div class="page-head entity-head">
            <p class=kind_class>{s.kind.clone()}</p>
            <h1>{title}</h1>
            <p class="entity-ref-line"><code>{reference}</code> {badges}</p>
            {description}
            {tags}
            {links}
            {orphan}
        </div>
    }
}

/// Only web links are rendered as links (a `javascript:` URL in a catalog file must not become one).
pub fn safe_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:") || lower.starts_with('/')
}

fn overview(entity: &EntityDetail) -> impl IntoView + use<> {
    let errors = (!entity.errors.is_empty()).then(|| {
        let items = entity.errors.iter().map(|e| view! { <li><code>{e.clone()}</code></li> }).collect_view();
        view! {
            <section class="card card-error" role="alert" aria-labelledby="errors-title">
                <h2 id="errors-title">"Processing errors"</h2>
                <p>"The last read of this entity's file failed. The page shows the last good version."</p>
                <ul class="error-list">{items}</ul>
            </section>
        }
    });
    view! {
        {errors}
        <div class="entity-grid">
            {about(entity)}
            <KindCards entity=entity.clone() />
        </div>
        {relations(entity)}
        {unregister(entity)}
    }
}

fn about(entity: &EntityDetail) -> impl IntoView + use<> {
    let s = &entity.summary;
    let mut rows: Vec<(&'static str, AnyView)> = Vec::new();
    let link_ref = super::ref_link;
    if let Some(owner) = &s.owner {
        rows.push(("Owner", link_ref(owner, "group")));
    }
    if let Some(system) = &s.system {
        rows.push(("System", link_ref(system, "system")));
    }
    if let Some(domain) = entity.spec.get("domain").and_then(|d| d.as_str()) {
        rows.push(("Domain", link_ref(domain, "domain")));
    }
    if let Some(t) = &s.spec_type {
        rows.push(("Type", t.clone().into_any()));
    }
    if let Some(l) = &s.lifecycle {
        rows.push(("Lifecycle", l.clone().into_any()));
    }
    rows.push(("Namespace", s.namespace.clone().into_any()));
    if let Some(location) = &entity.location {
        rows.push(("Location", view! { <code>{format!("{}:{}", location.location_type, location.target)}</code> }.into_any()));
    }
    let items = rows
        .into_iter()
        .map(|(k, v)| view! { <div class="about-item"><dt>{k}</dt><dd>{v}</dd></div> })
        .collect_view();
    let pairs = |title: &'static str, values: &[(String, String)]| {
        (!values.is_empty()).then(|| {
            let rows = values
                .iter()
                .map(|(k, v)| view! { <tr><th scope="row"><code>{k.clone()}</code></th><td>{v.clone()}</td></tr> })
                .collect_view();
            view! {
                <details class="kv">
                    <summary>{format!("{title} ({})", values.len())}</summary>
                    <table class="kv-table"><tbody>{rows}</tbody></table>
                </details>
            }
        })
    };
    view! {
        <section class="card" aria-labelledby="about-title">
            <h2 id="about-title">"About"</h2>
            <dl class="about">{items}</dl>
            {pairs("Labels", &entity.labels)}
            {pairs("Annotations", &entity.annotations)}
        </section>
    }
}

fn node_for(r: &RelationView) -> GraphNode {
    let kind = r.target.as_ref().map_or_else(
        || r.target_ref.split_once(':').map_or("entity", |(k, _)| k).to_owned(),
        |t| t.kind.to_string(),
    );
    let label = r.target.as_ref().map_or_else(|| short_ref(&r.target_ref, None), |t| t.display_name().to_owned());
    GraphNode {
        entity_ref: r.target_ref.clone(),
        kind,
        label,
        href: r.target.as_ref().map(|t| t.href()),
    }
}

fn relations(entity: &EntityDetail) -> impl IntoView + use<> {
    let s = &entity.summary;
    let center = GraphNode {
        entity_ref: s.entity_ref(),
        kind: s.kind.to_string(),
        label: s.display_name().to_owned(),
        href: Some(s.href()),
    };
    let edges: Vec<GraphEdge> = entity
        .relations
        .iter()
        .map(|r| GraphEdge { relation: r.relation.clone(), target: node_for(r) })
        .collect();
    let rows = entity
        .relations
        .iter()
        .map(|r| {
            let target = match (&r.target, ref_href(&r.target_ref)) {
                (Some(t), _) => view! { <a href=t.href()>{t.display_name().to_owned()}</a> }.into_any(),
                (None, _) => view! { <span>{r.target_ref.clone()}<span class="badge badge-warn">"not in the catalog"</span></span> }.into_any(),
            };
            view! {
                <tr>
                    <td>{relation_label(&r.relation)}</td>
                    <th scope="row">{target}</th>
                    <td><code>{r.target_ref.clone()}</code></td>
                </tr>
            }
        })
        .collect_view();
    let count = entity.relations.len();
    let table = (count > 0).then(|| {
        view! {
            <details class="relations-table">
                <summary>{format!("All relations as a table ({count})")}</summary>
                <table class="entity-table">
                    <thead><tr><th scope="col">"Relation"</th><th scope="col">"Entity"</th><th scope="col">"Reference"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        }
    });
    view! {
        <section class="card" aria-labelledby="relations-title" id="relations">
            <h2 id="relations-title">"Relations"</h2>
            <div class="graph-wrap"><RelationGraph center=center edges=edges /></div>
            {table}
        </section>
    }
}

fn unregister(entity: &EntityDetail) -> impl IntoView + use<> {
    let location = entity.location.clone()?;
    if location.from_config {
        return Some(
            view! {
                <p class="muted location-note">
                    "Read from " <code>{format!("{}:{}", location.location_type, location.target)}</code>
                    ", configured in portolan.yaml."
                </p>
            }
            .into_any(),
        );
    }
    if !entity.may_unregister {
        return Some(
            view! {
                <p class="muted location-note">
                    "Registered from " <code>{format!("{}:{}", location.location_type, location.target)}</code> "."
                </p>
            }
            .into_any(),
        );
    }
    let href = format!("/catalog-import/locations/{}/unregister", super::encode_path_segment(&location.id));
    Some(
        view! {
            <p class="location-note">
                "Registered from " <code>{format!("{}:{}", location.location_type, location.target)}</code> ". "
                <a class="button button-danger" href=href>"Unregister this location…"</a>
            </p>
        }
        .into_any(),
    )
}
