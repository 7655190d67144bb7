//! What the pages show, from the health engine's verdicts: the entity's
//! Deployments tab and the fleet page's rows.

use portolan_frontend::{ClusterDeployView, DeploymentsView, ErrorView, FixView, ImageView, PodView, WorkloadView};

use super::Kubernetes;
use super::cache::{ClusterCache, Connection, ResourceState};
use super::health::{self, DetectedError, FixTarget, Timestamp, WorkloadStatus};
use super::matching::EntityTarget;
use super::workloads::entity_workloads;

/// `3d`, `5h`, `12m`, `40s`.
fn age(seconds: Option<i64>) -> String {
    match seconds {
        None => String::new(),
        Some(s) if s >= 86_400 => format!("{}d", s / 86_400),
        Some(s) if s >= 3_600 => format!("{}h", s / 3_600),
        Some(s) if s >= 60 => format!("{}m", s / 60),
        Some(s) => format!("{}s", s.max(0)),
    }
}

/// The word pages use for a connection.
pub fn connection_word(connection: Connection) -> &'static str {
    match connection {
        Connection::Connected => "connected",
        Connection::Syncing => "syncing",
        Connection::Partial => "partial",
        Connection::Down => "down",
    }
}

/// The cluster's refused or failing resources, one line each.
pub fn problems(cache: &ClusterCache) -> Vec<String> {
    cache
        .states()
        .into_iter()
        .filter_map(|(plural, state)| match state {
            ResourceState::Forbidden { message } => Some(format!("{plural}: forbidden: {message}")),
            ResourceState::Failing { message } => Some(format!("{plural}: {message}")),
            _ => None,
        })
        .collect()
}

fn error_view(e: &DetectedError) -> ErrorView {
    let fix = e.proposed_fix.as_ref().map(|f| {
        let (kind, docs_link, container, pod) = match &f.target {
            FixTarget::Logs { container } => ("logs", None, Some(container.clone()), Some(e.source_ref.name.clone())),
            FixTarget::Docs { docs_link } => ("docs", Some(docs_link.clone()), None, None),
            FixTarget::Events { pod_name } => ("events", None, None, Some(pod_name.clone())),
        };
        FixView { error_type: f.error_type.clone(), explanation: f.root_cause_explanation.clone(), actions: f.actions.clone(), kind: kind.to_owned(), docs_link, container, pod }
    });
    ErrorView {
        severity: e.severity,
        message: e.message.clone(),
        source: format!("{} {}", e.source_ref.kind, e.source_ref.name),
        occurrences: u32::try_from(e.occurrence_count).unwrap_or(u32::MAX),
        fix,
    }
}

fn workload_view(w: &WorkloadStatus, dashboard: Option<&str>) -> WorkloadView {
    let rollout = w.rollout.as_ref();
    let hpa = w.scaling.as_ref().map(|s| {
        let now = s.current.map_or_else(String::new, |c| format!(", {c} now"));
        format!("{}–{} replicas{now}{}", s.min, s.max, if s.at_max { ", at max" } else { "" })
    });
    WorkloadView {
        kind: w.kind.clone(),
        name: w.name.clone(),
        namespace: w.namespace.clone(),
        health: w.health.as_str().to_owned(),
        reason: w.reason.clone(),
        desired: rollout.map(|r| r.desired),
        updated: rollout.map(|r| r.updated),
        ready: rollout.map(|r| r.ready),
        available: rollout.map(|r| r.available),
        paused: rollout.is_some_and(|r| r.paused),
        images: w
            .template_images
            .iter()
            .map(|i| ImageView { container: i.container.clone(), image: i.repository.clone(), tag: i.tag.clone().or_else(|| i.digest.clone()).unwrap_or_else(|| "latest".to_owned()) })
            .collect(),
        since: w.since.as_ref().map(|t| t.0.to_string()),
        pods: w
            .pods
            .iter()
            .map(|p| PodView {
                name: p.name.clone(),
                phase: p.phase.clone().unwrap_or_default(),
                ready: format!("{}/{}", p.ready_containers, p.total_containers),
                restarts: i32::try_from(p.restarts).unwrap_or(i32::MAX),
                age: age(p.age_seconds),
                status: p.waiting_reason.clone().or_else(|| p.last_termination.as_ref().map(|t| t.summary.clone())).unwrap_or_else(|| p.reason.clone()),
                health: p.health.as_str().to_owned(),
            })
            .collect(),
        errors: w.errors.iter().map(error_view).collect(),
        hpa,
        dashboard_href: dashboard.map(str::to_owned),
    }
}

/// The entity's status in every cluster it may run in, and the health over all of them.
pub fn entity_status(kubernetes: &Kubernetes, target: &EntityTarget, now: Timestamp) -> (Vec<(String, Vec<WorkloadStatus>)>, health::Health, String) {
    let mut per_cluster = Vec::new();
    let mut all = Vec::new();
    for cache in kubernetes.clusters() {
        if target.cluster.as_deref().is_some_and(|c| c != cache.target.name) {
            continue;
        }
        let workloads = entity_workloads(cache, target, now);
        all.extend(workloads.iter().cloned());
        per_cluster.push((cache.target.name.clone(), workloads));
    }
    let (health, reason) = health::entity_health(&all);
    (per_cluster, health, reason)
}

/// The Deployments tab of an entity.
pub fn deployments_view(kubernetes: &Kubernetes, target: &EntityTarget, entity_ref: &str, events_url: String, now: Timestamp) -> DeploymentsView {
    let (per_cluster, health, reason) = entity_status(kubernetes, target, now);
    let clusters = kubernetes
        .clusters()
        .iter()
        .filter_map(|cache| {
            let (_, workloads) = per_cluster.iter().find(|(name, _)| *name == cache.target.name)?;
            let dashboard = cache.target.dashboard_url.as_deref();
            Some(ClusterDeployView {
                name: cache.target.name.clone(),
                title: cache.target.title.clone(),
                dashboard_url: cache.target.dashboard_url.clone(),
                connection: connection_word(cache.connection()).to_owned(),
                problems: problems(cache),
                workloads: workloads.iter().map(|w| workload_view(w, dashboard)).collect(),
            })
        })
        .collect();
    DeploymentsView { entity_ref: entity_ref.to_owned(), health: health.as_str().to_owned(), reason, clusters, events_url }
}
