//! The Deployments panel: an entity's overall health, then per cluster its
//! connection and workloads, each with rollout, images, autoscaler, pods and
//! detected errors with their proposed fixes.
//!
//! The panel is what the live stream sends and the script swaps in, so it
//! holds no page-level heading and no link back to the page (those stay in
//! the tab around it, [`crate::pages::entity`]).

use leptos::prelude::*;

use super::{
    ClusterDeployView, DeploymentsView, ErrorView, FixView, ImageView, PodView, WorkloadView, cluster_label, connection_badge,
    dashboard_link, health_badge, health_token, stable_id, time_view,
};
use crate::pages::css_token;

/// The panel for one entity.
#[component]
pub fn DeploymentsPanel(
    /// What to show.
    view: DeploymentsView,
) -> impl IntoView {
    let token = health_token(&view.health);
    let reason = (!view.reason.trim().is_empty()).then(|| view! { <span class="deployments-reason">{view.reason.clone()}</span> });
    let no_workloads = view.clusters.iter().all(|c| c.workloads.is_empty());
    let empty = no_workloads.then(|| {
        let why = if view.clusters.is_empty() {
            "No cluster is configured for this entity, or none is reachable yet."
        } else {
            "The clusters below have no objects for this entity."
        };
        view! {
            <div class="empty-state">
                <p><strong>"No workloads found in any cluster."</strong> " " {why}</p>
                <p class="muted">
                    "Portolan shows the workloads labelled " <code>"backstage.io/kubernetes-id: <id>"</code>
                    " (the entity's annotation of that name, else its name), or those matching the entity's "
                    <code>"backstage.io/kubernetes-label-selector"</code> " annotation."
                </p>
            </div>
        }
    });
    let clusters = view.clusters.iter().map(cluster_section).collect_view();
    view! {
        <div class="deployments" data-overall-health=token>
            <p class="deployments-summary">{health_badge(&view.health)} " " {reason}</p>
            {empty}
            {clusters}
        </div>
    }
}

fn cluster_section(cluster: &ClusterDeployView) -> impl IntoView + use<> {
    let label = cluster_label(&cluster.name, cluster.title.as_deref());
    let heading_id = stable_id("cluster", &[&cluster.name]);
    let labelled_by = heading_id.clone();
    let name = (label != cluster.name).then(|| view! { " " <code class="muted">{cluster.name.clone()}</code> });
    let dashboard = dashboard_link(cluster.dashboard_url.as_deref(), "Open the cluster's dashboard".to_owned());
    let connection = cluster.connection.trim().to_ascii_lowercase();
    let state = match connection.as_str() {
        "connected" => None,
        "syncing" => Some(("notice", "Still reading this cluster: workloads may be missing until it has synced.")),
        "partial" => Some(("notice notice-warn", "Some resources of this cluster cannot be read: what is shown may be incomplete.")),
        _ if cluster.workloads.is_empty() => Some(("notice notice-error", "Portolan cannot reach this cluster: it has no data from it.")),
        _ => Some(("notice notice-error", "Portolan cannot reach this cluster: the workloads below are the last state it saw.")),
    };
    let problems = (!cluster.problems.is_empty()).then(|| {
        let items = cluster.problems.iter().map(|p| view! { <li><code>{p.clone()}</code></li> }).collect_view();
        view! { <ul class="k8s-problems">{items}</ul> }
    });
    let notice = (state.is_some() || problems.is_some()).then(|| {
        let (class, text) = state.unwrap_or(("notice notice-warn", "Some resources of this cluster report problems."));
        view! { <div class=class><p>{text}</p>{problems}</div> }
    });
    let empty = cluster.workloads.is_empty().then(|| view! { <p class="muted">"No workloads in this cluster."</p> });
    let workloads = cluster.workloads.iter().map(|w| workload(&cluster.name, w)).collect_view();
    let class = format!("card k8s-cluster connection-state-{}", css_token(&connection));
    view! {
        <section class=class aria-labelledby=labelled_by>
            <div class="k8s-cluster-head">
                <h3 id=heading_id>{label}{name}</h3>
                {connection_badge(&cluster.connection)}
                {dashboard}
            </div>
            {notice}
            {empty}
            {workloads}
        </section>
    }
}

fn workload(cluster: &str, w: &WorkloadView) -> impl IntoView + use<> {
    let parts = [cluster, w.namespace.as_str(), w.kind.as_str(), w.name.as_str()];
    let heading_id = stable_id("workload", &parts);
    let labelled_by = heading_id.clone();
    let token = health_token(&w.health);
    let reason = (!w.reason.trim().is_empty()).then(|| view! { <span class="k8s-reason">{w.reason.clone()}</span> });
    let paused = w.paused.then(|| view! { <span class="badge badge-paused">"Rollout paused"</span> });
    let dashboard = dashboard_link(w.dashboard_href.as_deref(), "Open in the dashboard".to_owned());
    let mut facts: Vec<(&'static str, AnyView)> = Vec::new();
    if !w.images.is_empty() {
        let items = w.images.iter().map(image).collect_view();
        facts.push(("Images", view! { <ul class="k8s-images">{items}</ul> }.into_any()));
    }
    if let Some(since) = w.since.as_deref().filter(|s| !s.trim().is_empty()) {
        facts.push(("Current version since", time_view(since).into_any()));
    }
    if let Some(hpa) = w.hpa.clone().filter(|h| !h.trim().is_empty()) {
        facts.push(("Autoscaler", hpa.into_any()));
    }
    let facts = (!facts.is_empty()).then(|| {
        let items = facts.into_iter().map(|(k, v)| view! { <div class="about-item"><dt>{k}</dt><dd>{v}</dd></div> }).collect_view();
        view! { <dl class="about k8s-facts">{items}</dl> }
    });
    let class = format!("k8s-workload workload-{token}");
    view! {
        <article class=class aria-labelledby=labelled_by>
            <div class="k8s-workload-head">
                <h4 id=heading_id>
                    <span class="k8s-kind">{w.kind.clone()}</span> " " {w.name.clone()}
                    <span class="k8s-namespace">" in namespace " <code>{w.namespace.clone()}</code></span>
                </h4>
                <p class="k8s-health">{health_badge(&w.health)} " " {paused} " " {reason}</p>
                {dashboard}
            </div>
            {rollout(w)}
            {facts}
            {errors(w)}
            {pods(&parts, w)}
        </article>
    }
}

fn image(i: &ImageView) -> impl IntoView + use<> {
    let reference = match i.tag.trim() {
        "" => i.image.clone(),
        tag if tag.starts_with("sha256:") => format!("{}@{tag}", i.image),
        tag => format!("{}:{tag}", i.image),
    };
    let container = (!i.container.is_empty()).then(|| view! { <span class="muted">{i.container.clone()}</span> " " });
    view! { <li>{container}<code>{reference}</code></li> }
}

/// The width class of `value` out of `desired`, in 5 % steps (the page's
/// CSP allows no inline styles); never empty for a value above 0, never full
/// below `desired`.
pub fn bar_class(value: i32, desired: i32) -> String {
    if desired <= 0 {
        return "bar-w-0".to_owned();
    }
    let value = value.clamp(0, desired);
    let mut step = (i64::from(value) * 20 + i64::from(desired) / 2) / i64::from(desired) * 5;
    if value > 0 && step == 0 {
        step = 5;
    }
    if value < desired && step == 100 {
        step = 95;
    }
    format!("bar-w-{step}")
}

fn rollout(w: &WorkloadView) -> Option<AnyView> {
    let counts = [("Updated", w.updated), ("Ready", w.ready), ("Available", w.available)];
    match w.desired {
        Some(0) => Some(view! { <p class="k8s-rollout-text muted">"Scaled to zero: no replicas wanted."</p> }.into_any()),
        Some(desired) if desired > 0 => {
            let rows = counts
                .into_iter()
                .filter_map(|(label, value)| value.map(|v| (label, v)))
                .map(|(label, value)| {
                    let fill = format!("rollout-fill {}", bar_class(value, desired));
                    view! {
                        <div class="rollout-row">
                            <dt>{label}</dt>
                            <dd>
                                <span class="rollout-track" aria-hidden="true"><span class=fill></span></span>
                                <span class="rollout-count">{format!("{value} of {desired}")}</span>
                            </dd>
                        </div>
                    }
                })
                .collect_view();
            Some(view! { <dl class="rollout" aria-label=format!("Rollout: {desired} wanted")>{rows}</dl> }.into_any())
        }
        _ => {
            let known: Vec<String> = counts.into_iter().filter_map(|(label, v)| v.map(|v| format!("{} {v}", label.to_lowercase()))).collect();
            (!known.is_empty()).then(|| view! { <p class="k8s-rollout-text muted">{known.join(", ")}</p> }.into_any())
        }
    }
}

fn severity_band(severity: u8) -> &'static str {
    match severity {
        8.. => "high",
        5..=7 => "medium",
        _ => "low",
    }
}

fn errors(w: &WorkloadView) -> Option<AnyView> {
    if w.errors.is_empty() {
        return None;
    }
    let items = w.errors.iter().map(|e| error_item(&w.namespace, e)).collect_view();
    let count = w.errors.len();
    Some(
        view! {
            <div class="k8s-errors">
                <h5>{if count == 1 { "1 error".to_owned() } else { format!("{count} errors") }}</h5>
                <ul class="k8s-error-list">{items}</ul>
            </div>
        }
        .into_any(),
    )
}

fn error_item(namespace: &str, e: &ErrorView) -> impl IntoView + use<> {
    let band = severity_band(e.severity);
    let class = format!("k8s-error severity-{band}");
    let badge = format!("badge severity severity-badge-{band}");
    let source = (!e.source.is_empty()).then(|| view! { <span class="k8s-error-source">{e.source.clone()}</span> });
    let times = (e.occurrences > 1).then(|| view! { <span class="muted">{format!("· {} times", e.occurrences)}</span> });
    let fix = e.fix.as_ref().map(|f| fix_view(namespace, f));
    view! {
        <li class=class>
            <p class="k8s-error-head"><span class=badge>{format!("Severity {}", e.severity)}</span> " " {source} " " {times}</p>
            <p class="k8s-error-message">{e.message.clone()}</p>
            {fix}
        </li>
    }
}

fn fix_view(namespace: &str, f: &FixView) -> impl IntoView + use<> {
    let error_type = (!f.error_type.is_empty()).then(|| view! { " " <code>{f.error_type.clone()}</code> });
    let explanation = (!f.explanation.is_empty()).then(|| view! { <p>{f.explanation.clone()}</p> });
    let actions = (!f.actions.is_empty()).then(|| {
        let items = f.actions.iter().map(|a| view! { <li>{a.clone()}</li> }).collect_view();
        view! { <ol class="k8s-fix-actions">{items}</ol> }
    });
    view! {
        <div class="k8s-fix">
            <p class="k8s-fix-title"><strong>"Proposed fix"</strong>{error_type}</p>
            {explanation}
            {actions}
            {where_to_look(namespace, f)}
        </div>
    }
}

/// Backstage's "logs" / "docs" / "events" solutions, with the kubectl command that shows the same.
fn where_to_look(namespace: &str, f: &FixView) -> Option<AnyView> {
    let pod = f.pod.clone().filter(|p| !p.is_empty());
    match f.kind.as_str() {
        "logs" => {
            let container = f.container.clone().filter(|c| !c.is_empty())?;
            let command = pod.clone().map(|p| {
                view! { <br /> <code class="k8s-command">{format!("kubectl logs -n {namespace} {p} -c {container} --previous")}</code> }
            });
            let of_pod = pod.map(|p| view! { " of pod " <code>{p}</code> });
            Some(view! { <p class="k8s-fix-where">"See the logs of container " <code>{container.clone()}</code> {of_pod} {command}</p> }.into_any())
        }
        "events" => {
            let pod = pod?;
            let command = format!("kubectl describe pod -n {namespace} {pod}");
            Some(view! { <p class="k8s-fix-where">"See the events of pod " <code>{pod}</code> <br /> <code class="k8s-command">{command}</code></p> }.into_any())
        }
        "docs" => {
            let link = f.docs_link.clone().filter(|l| !l.is_empty())?;
            if crate::pages::entity::safe_url(&link) {
                Some(view! { <p class="k8s-fix-where"><a href=link rel="noopener noreferrer">"Read the documentation"</a></p> }.into_any())
            } else {
                Some(view! { <p class="k8s-fix-where">"Documentation: " <code>{link}</code></p> }.into_any())
            }
        }
        _ => None,
    }
}

fn pods(parts: &[&str], w: &WorkloadView) -> impl IntoView + use<> {
    if w.pods.is_empty() {
        return view! { <p class="muted k8s-no-pods">"No pods."</p> }.into_any();
    }
    let troubled = w.pods.iter().filter(|p| !matches!(health_token(&p.health), "healthy" | "progressing")).count();
    let open = troubled > 0 || matches!(health_token(&w.health), "failed" | "degraded");
    let summary = match troubled {
        0 => format!("Pods ({})", w.pods.len()),
        n => format!("Pods ({}, {n} not healthy)", w.pods.len()),
    };
    let rows = w.pods.iter().map(pod_row).collect_view();
    let caption = format!("Pods of {} {}", w.kind, w.name);
    view! {
        <details class="k8s-pods" id=stable_id("pods", parts) open=open>
            <summary>{summary}</summary>
            <div class="table-wrap">
                <table class="entity-table compact pods-table">
                    <caption class="visually-hidden">{caption}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th><th scope="col">"Phase"</th><th scope="col">"Ready"</th>
                            <th scope="col">"Restarts"</th><th scope="col">"Age"</th><th scope="col">"Status"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </details>
    }
    .into_any()
}

fn pod_row(p: &PodView) -> impl IntoView + use<> {
    let token = health_token(&p.health);
    let status_class = format!("badge health-{token}");
    let status = if p.status.is_empty() { p.phase.clone() } else { p.status.clone() };
    let health = (token != "healthy").then(|| view! { <span class="visually-hidden">{format!(" (health: {token})")}</span> });
    let restarts_class = if p.restarts > 0 { "restarts restarts-some" } else { "restarts" };
    view! {
        <tr class=format!("pod-row pod-{token}")>
            <th scope="row" class="pod-name"><code>{p.name.clone()}</code></th>
            <td data-label="Phase">{p.phase.clone()}</td>
            <td data-label="Ready">{p.ready.clone()}</td>
            <td data-label="Restarts" class=restarts_class>{p.restarts}</td>
            <td data-label="Age">{p.age.clone()}</td>
            <td data-label="Status"><span class=status_class>{status}</span>{health}</td>
        </tr>
    }
}
