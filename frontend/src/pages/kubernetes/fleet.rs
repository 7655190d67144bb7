//! The fleet page `/clusters`: every configured cluster with its connection,
//! the state of each watched resource and how many objects it holds; then
//! every entity whose workloads are not healthy.

use leptos::prelude::*;

use super::{ClusterRowView, FleetView, UnhealthyEntityView, cluster_label, connection_badge, dashboard_link, health_badge};
use crate::pages::thousands;

/// What `kubernetes.clusters` in `portolan.yaml` looks like, for the empty state.
const CONFIG_EXAMPLE: &str = "kubernetes:
  clusters:
    - name: prod-eu
      title: Production (EU)
      url: https://k8s.prod-eu.example.com
      authProvider: serviceAccount
      serviceAccountToken: ${PROD_EU_TOKEN}
      caFile: /etc/ssl/prod-eu.pem
      dashboardUrl: https://dashboard.prod-eu.example.com";

/// The fleet page content.
#[component]
pub fn FleetPage(
    /// What to show.
    fleet: FleetView,
) -> impl IntoView {
    let head = view! {
        <div class="page-head">
            <h1>"Clusters"</h1>
            <p class="lede">"The Kubernetes clusters Portolan watches, and the entities whose workloads need attention."</p>
        </div>
    };
    if fleet.clusters.is_empty() {
        return view! {
            {head}
            <div class="empty-state">
                <h2>"No clusters configured"</h2>
                <p>
                    "Add your clusters under " <code>"kubernetes.clusters"</code> " in " <code>"portolan.yaml"</code>
                    " and restart Portolan. Each needs a name, the API server's URL and a service-account token that may list and watch the workloads:"
                </p>
                <pre class="source"><code>{CONFIG_EXAMPLE}</code></pre>
                <p class="muted">
                    "A kubeconfig's contexts (" <code>"kubernetes.kubeconfig"</code> ") or the cluster Portolan runs in ("
                    <code>"kubernetes.inCluster"</code> ") work too. Entities show their workloads once they carry the "
                    <code>"backstage.io/kubernetes-id"</code> " annotation and the objects the matching label."
                </p>
            </div>
        }
        .into_any();
    }
    let rows = fleet.clusters.iter().map(cluster_row).collect_view();
    let unhealthy = unhealthy_section(&fleet.unhealthy);
    view! {
        {head}
        <section aria-labelledby="clusters-title">
            <h2 id="clusters-title" class="section-title">{format!("Clusters ({})", fleet.clusters.len())}</h2>
            <div class="table-wrap">
                <table class="entity-table fleet-table">
                    <caption class="visually-hidden">"Clusters, their connection and the state of each watched resource"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Cluster"</th><th scope="col">"Connection"</th>
                            <th scope="col">"Resources"</th><th scope="col">"Objects"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
        {unhealthy}
    }
    .into_any()
}

/// A resource state split into its word and message: `forbidden: …` → (`forbidden`, `…`).
fn resource_state(state: &str) -> (String, String) {
    match state.split_once(':') {
        Some((word, message)) => (word.trim().to_ascii_lowercase(), message.trim().to_owned()),
        None => (state.trim().to_ascii_lowercase(), String::new()),
    }
}

fn cluster_row(c: &ClusterRowView) -> impl IntoView + use<> {
    let label = cluster_label(&c.name, c.title.as_deref());
    let name = (label != c.name).then(|| view! { <span class="entity-ref">{c.name.clone()}</span> });
    let dashboard = dashboard_link(c.dashboard_url.as_deref(), "Dashboard".to_owned());
    let states: Vec<(String, String, String)> = c
        .resources
        .iter()
        .map(|(plural, state)| {
            let (word, message) = resource_state(state);
            (plural.clone(), word, message)
        })
        .collect();
    let ready = states.iter().filter(|(_, w, _)| w == "ready").count();
    let total = states.len();
    let not_ready = states
        .iter()
        .filter(|(_, w, _)| w != "ready")
        .map(|(plural, word, message)| {
            let class = format!("badge resource-state resource-{}", crate::pages::css_token(word));
            let message = (!message.is_empty()).then(|| view! { " " <span class="resource-message">{message.clone()}</span> });
            view! { <li><code>{plural.clone()}</code> " " <span class=class>{word.clone()}</span>{message}</li> }
        })
        .collect_view();
    let summary = match (total, ready) {
        (0, _) => "No resources watched yet.".to_owned(),
        (t, r) if t == r => format!("All {t} resource types ready"),
        (t, r) => format!("{r} of {t} resource types ready"),
    };
    let all = (total > 0).then(|| {
        let items = states
            .iter()
            .map(|(plural, word, _)| view! { <li><code>{plural.clone()}</code> " " {word.clone()}</li> })
            .collect_view();
        view! { <details class="resource-all"><summary>"All resources"</summary><ul class="resource-states">{items}</ul></details> }
    });
    view! {
        <tr>
            <th scope="row" class="entity-name"><span class="entity-display">{label}</span>{name}{dashboard}</th>
            <td data-label="Connection">{connection_badge(&c.connection)}</td>
            <td data-label="Resources">
                <span class="resource-summary">{summary}</span>
                <ul class="resource-states resource-problems">{not_ready}</ul>
                {all}
            </td>
            <td data-label="Objects" class="numeric">{thousands(c.objects)}</td>
        </tr>
    }
}

fn unhealthy_section(entities: &[UnhealthyEntityView]) -> impl IntoView + use<> {
    let body = if entities.is_empty() {
        view! { <div class="empty-state"><p>"Every entity with workloads in these clusters is healthy."</p></div> }.into_any()
    } else {
        let rows = entities
            .iter()
            .map(|u| {
                let href = format!("{}?tab=deployments", u.entity.href());
                let reason = if u.reason.is_empty() { view! { <span class="muted">"—"</span> }.into_any() } else { u.reason.clone().into_any() };
                let clusters = u.clusters.iter().map(|c| view! { <li><code>{c.clone()}</code></li> }).collect_view();
                view! {
                    <tr>
                        <th scope="row" class="entity-name">
                            <a class="entity-display" href=href>{u.entity.display_name().to_owned()}</a>
                            <span class="entity-ref">{u.entity.entity_ref()}</span>
                        </th>
                        <td data-label="Health">{health_badge(&u.health)}</td>
                        <td data-label="Reason">{reason}</td>
                        <td data-label="Clusters"><ul class="inline-list">{clusters}</ul></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="entity-table unhealthy-table">
                    <caption class="visually-hidden">"Entities whose workloads are not healthy"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Entity"</th><th scope="col">"Health"</th>
                            <th scope="col">"Reason"</th><th scope="col">"Clusters"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="unhealthy-title" class="fleet-unhealthy">
            <h2 id="unhealthy-title" class="section-title">{format!("Needs attention ({})", entities.len())}</h2>
            {body}
        </section>
    }
}
