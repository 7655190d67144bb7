//! The Kubernetes views: an entity's "Deployments" tab (its workloads across
//! clusters, with rollout, pods, detected errors and their proposed fixes)
//! and the fleet page `/clusters` (every cluster's connection and what is not
//! healthy).
//!
//! The server computes everything from its watch caches and fills the plain
//! view types below; these modules only render. Health words are the ones the
//! server uses: `healthy`, `progressing`, `degraded`, `failed`, `unknown`;
//! anything else is shown as written with the `unknown` colour.
//!
//! With scripts on, `deployments-live.js` follows the tab's event stream (the
//! wrapper's `data-events-url`) and swaps in the server-rendered fragment
//! ([`crate::render_deployments_fragment`]) it sends; with scripts off the tab
//! is a complete server render with a "Refresh" link.

pub mod fleet;
pub mod panel;
#[cfg(test)]
mod tests;

use leptos::prelude::*;

use crate::data::EntitySummary;
use crate::pages::css_token;

/// Where the Deployments tab's script is served; the server must answer this path.
pub const DEPLOYMENTS_SCRIPT_PATH: &str = "/static/deployments-live.js";

/// The Deployments tab's script: follows the entity's Kubernetes event stream
/// and replaces the panel with each `status` event's fragment.
pub const DEPLOYMENTS_SCRIPT: &str = include_str!("../../../assets/deployments-live.js");

/// An entity's workloads across clusters: what the Deployments tab shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeploymentsView {
    /// The entity, `kind:namespace/name`.
    pub entity_ref: String,
    /// The entity's overall health: `healthy`, `progressing`, `degraded`, `failed` or `unknown`.
    pub health: String,
    /// One line on why, e.g. "checkout in prod-eu: 1 of 3 pods crash-looping".
    pub reason: String,
    /// The clusters looked at, in display order.
    pub clusters: Vec<ClusterDeployView>,
    /// The server-sent-events endpoint the page follows, e.g.
    /// `/api/kubernetes/entities/default/component/x/events?format=html`;
    /// empty to not follow anything.
    pub events_url: String,
}

/// One cluster's part of an entity's workloads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterDeployView {
    /// The cluster's configured name.
    pub name: String,
    /// What to call it, when configured.
    pub title: Option<String>,
    /// The cluster's dashboard.
    pub dashboard_url: Option<String>,
    /// `connected`, `syncing`, `partial` or `down`.
    pub connection: String,
    /// What keeps the view incomplete, e.g. `pods: forbidden (403): …`.
    pub problems: Vec<String>,
    /// The entity's workloads in this cluster.
    pub workloads: Vec<WorkloadView>,
}

/// One workload (Deployment, StatefulSet, DaemonSet, Job or CronJob).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkloadView {
    /// `Deployment`, `StatefulSet`, `DaemonSet`, `Job` or `CronJob`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// The workload's health word.
    pub health: String,
    /// One line on why.
    pub reason: String,
    /// Replicas wanted (pods scheduled for a DaemonSet, completions for a Job).
    pub desired: Option<i32>,
    /// Replicas at the current version.
    pub updated: Option<i32>,
    /// Replicas ready.
    pub ready: Option<i32>,
    /// Replicas available.
    pub available: Option<i32>,
    /// Whether its rollout is paused.
    pub paused: bool,
    /// The images its pod template runs.
    pub images: Vec<ImageView>,
    /// When the current version's rollout started, RFC 3339.
    pub since: Option<String>,
    /// Its pods.
    pub pods: Vec<PodView>,
    /// Detected errors, in the order given.
    pub errors: Vec<ErrorView>,
    /// Its autoscaler in words, e.g. "2–10 replicas, 4 now, at max".
    pub hpa: Option<String>,
    /// The workload in the cluster's dashboard.
    pub dashboard_href: Option<String>,
}

/// One container image.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageView {
    /// The container's name.
    pub container: String,
    /// The image repository, e.g. `ghcr.io/acme/checkout`.
    pub image: String,
    /// The tag (or a digest, `sha256:…`); empty when none was given.
    pub tag: String,
}

/// One pod.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodView {
    /// `metadata.name`.
    pub name: String,
    /// `status.phase`, e.g. `Running`.
    pub phase: String,
    /// Ready containers of all, e.g. `1/2`.
    pub ready: String,
    /// Container restarts, summed.
    pub restarts: i32,
    /// How old, e.g. `3d` or `5m`.
    pub age: String,
    /// What is going on, e.g. `CrashLoopBackOff`, `OOMKilled`, `Running`.
    pub status: String,
    /// The pod's health word.
    pub health: String,
}

/// A detected error, as Backstage's error detection reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorView {
    /// 0 (very low) to 10 (critical).
    pub severity: u8,
    /// What is wrong.
    pub message: String,
    /// The object it is about, e.g. `Pod checkout-7d9f-abcde`.
    pub source: String,
    /// How often it happened.
    pub occurrences: u32,
    /// What to do about it, when known.
    pub fix: Option<FixView>,
}

/// A proposed fix for an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FixView {
    /// The Kubernetes reason it answers, e.g. `CrashLoopBackOff`.
    pub error_type: String,
    /// The likely cause.
    pub explanation: String,
    /// Steps to try, in order.
    pub actions: Vec<String>,
    /// Where to look next: `logs`, `docs` or `events`.
    pub kind: String,
    /// For `docs`: the page.
    pub docs_link: Option<String>,
    /// For `logs`: the container.
    pub container: Option<String>,
    /// For `events` (and `logs` when known): the pod.
    pub pod: Option<String>,
}

/// What the fleet page `/clusters` shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FleetView {
    /// Every configured cluster.
    pub clusters: Vec<ClusterRowView>,
    /// Every entity whose workloads are not healthy, worst first.
    pub unhealthy: Vec<UnhealthyEntityView>,
}

/// One cluster of the fleet page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterRowView {
    /// The cluster's configured name.
    pub name: String,
    /// What to call it, when configured.
    pub title: Option<String>,
    /// The cluster's dashboard.
    pub dashboard_url: Option<String>,
    /// `connected`, `syncing`, `partial` or `down`.
    pub connection: String,
    /// Each watched resource (plural, e.g. `pods`) with its state: `ready`,
    /// `syncing`, `forbidden: <message>` or `failing: <message>`.
    pub resources: Vec<(String, String)>,
    /// Objects cached from it.
    pub objects: usize,
}

/// An entity that is not healthy, for the fleet page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnhealthyEntityView {
    /// The entity.
    pub entity: EntitySummary,
    /// Its health word.
    pub health: String,
    /// One line on why.
    pub reason: String,
    /// The clusters its trouble is in.
    pub clusters: Vec<String>,
}

/// The CSS token of a health word: one of the five, `unknown` for anything else.
pub fn health_token(health: &str) -> &'static str {
    match health.trim().to_ascii_lowercase().as_str() {
        "healthy" => "healthy",
        "progressing" => "progressing",
        "degraded" => "degraded",
        "failed" => "failed",
        _ => "unknown",
    }
}

/// A word with its first letter upper-cased, `fallback` when empty.
fn capitalized(word: &str, fallback: &str) -> String {
    let word = word.trim();
    let word = if word.is_empty() { fallback } else { word };
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A health word as a coloured badge (the word itself is always shown, so
/// colour is never the only signal).
pub fn health_badge(health: &str) -> impl IntoView + use<> {
    let token = health_token(health);
    let class = format!("badge health health-{token}");
    view! { <span class=class data-health=token>{capitalized(health, "unknown")}</span> }
}

/// A cluster's connection state as a badge.
pub fn connection_badge(connection: &str) -> impl IntoView + use<> {
    let token = match connection.trim().to_ascii_lowercase().as_str() {
        "connected" => "connected",
        "syncing" => "syncing",
        "partial" => "partial",
        _ => "down",
    };
    let class = format!("badge connection connection-{token}");
    view! { <span class=class>{capitalized(connection, "down")}</span> }
}

/// What to call a cluster: its title, else its name.
pub fn cluster_label(name: &str, title: Option<&str>) -> String {
    title.map(str::trim).filter(|t| !t.is_empty()).unwrap_or(name).to_owned()
}

/// A dashboard link, only for web URLs.
pub fn dashboard_link(url: Option<&str>, label: String) -> Option<AnyView> {
    let url = url.filter(|u| crate::pages::entity::safe_url(u))?.to_owned();
    Some(view! { <a class="dashboard-link" href=url rel="noopener noreferrer">{label}</a> }.into_any())
}

/// A stable element id for `parts` (the script keeps the open state of
/// `<details>` by id across updates): readable, and unique thanks to a hash
/// of the exact parts.
pub fn stable_id(prefix: &str, parts: &[&str]) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for part in parts {
        for byte in part.bytes().chain([0]) {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    let readable: String = css_token(&parts.join("-")).chars().take(48).collect();
    format!("{prefix}-{readable}-{hash:08x}")
}

/// An RFC 3339 time shown to the minute, with the full value in `datetime`.
pub fn time_view(rfc3339: &str) -> impl IntoView + use<> {
    let shown = rfc3339.replacen('T', " ", 1);
    let utc = shown.ends_with('Z');
    let mut shown = shown.get(..16).map_or(shown.clone(), str::to_owned);
    if utc {
        shown.push_str(" UTC");
    }
    view! { <time datetime=rfc3339.to_owned()>{shown}</time> }
}
