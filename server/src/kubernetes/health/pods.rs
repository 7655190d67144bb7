//! One pod's state as a page lists it (phase, ready/total, restarts, age,
//! last termination, waiting reason, evicted, terminating, init containers)
//! and its [`Health`] with a one-line reason.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use crate::kubernetes::pod::{ContainerStatus, SlimPod, Terminated};
use super::util::{conds, find, name, namespace, seconds_since};
use super::{Health, TERMINATING_STUCK_SECONDS};

/// A pod summarized for the entity page and the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `status.phase` (`Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`).
    pub phase: Option<String>,
    /// The verdict on this pod.
    pub health: Health,
    /// Why, in one line.
    pub reason: String,
    /// The pod's Ready condition (all containers ready when it has none):
    /// whether Services send it traffic.
    pub ready: bool,
    /// Regular containers reporting ready.
    pub ready_containers: u32,
    /// Regular containers in the spec (or in the status, when larger).
    pub total_containers: u32,
    /// Restarts summed over the regular containers, as Backstage shows them.
    pub restarts: i64,
    /// Seconds since `metadata.creationTimestamp`.
    pub age_seconds: Option<i64>,
    /// `metadata.creationTimestamp`.
    pub created: Option<Time>,
    /// `status.startTime`: when the kubelet accepted the pod.
    pub started: Option<Time>,
    /// The node it runs on.
    pub node: Option<String>,
    /// The first waiting reason of a regular container (else of an init one).
    pub waiting_reason: Option<String>,
    /// The most recent termination of any container (its last state, or its
    /// current state when it is terminated), e.g. `OOMKilled (exit code 137)`.
    pub last_termination: Option<Termination>,
    /// Evicted by the kubelet (phase Failed, reason Evicted).
    pub evicted: bool,
    /// Set when the pod is being deleted.
    pub terminating: Option<Terminating>,
    /// The regular containers.
    pub containers: Vec<ContainerSummary>,
    /// The init containers (sidecars included).
    pub init_containers: Vec<ContainerSummary>,
}

/// A pod under deletion: since when, and whether it is overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Terminating {
    /// `metadata.deletionTimestamp` (deletion request + grace period).
    pub deadline: Time,
    /// Seconds past that deadline (negative while within the grace period).
    pub overdue_seconds: i64,
    /// Overdue by more than [`TERMINATING_STUCK_SECONDS`]: a finalizer or an
    /// unreachable node is holding it.
    pub stuck: bool,
}

/// One container's state, readiness and restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerSummary {
    /// The container name.
    pub name: String,
    /// The image the kubelet reports.
    pub image: String,
    /// The resolved image ID, once pulled.
    pub image_id: Option<String>,
    /// The readiness probe passes (or there is none and it runs).
    pub ready: bool,
    /// Restarts so far.
    pub restarts: i32,
    /// What it is doing now.
    pub state: ContainerState,
    /// How it ended last time, when it has restarted.
    pub last_termination: Option<Termination>,
}

/// A container's current state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ContainerState {
    /// Running since `started_at`.
    Running {
        /// `state.running.startedAt`.
        #[serde(rename = "startedAt")]
        started_at: Option<Time>,
    },
    /// Not running yet or between restarts.
    Waiting {
        /// e.g. `CrashLoopBackOff`, `ContainerCreating`.
        reason: Option<String>,
        /// The kubelet's explanation.
        message: Option<String>,
    },
    /// Finished.
    Terminated(Termination),
    /// The status says nothing.
    Unknown,
}

/// How a container ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Termination {
    /// e.g. `OOMKilled`, `Error`, `Completed`, `StartError`.
    pub reason: Option<String>,
    /// The exit code (0 = success).
    pub exit_code: i32,
    /// The signal that killed it, when the runtime says.
    pub signal: Option<i32>,
    /// The termination message or runtime error.
    pub message: Option<String>,
    /// When it ended.
    pub finished_at: Option<Time>,
    /// `reason (exit code N)`, ready to print.
    pub summary: String,
}

impl Termination {
    fn from(t: &Terminated) -> Self {
        let reason = t.reason.clone().filter(|r| !r.is_empty());
        let summary = format!(
            "{} (exit code {})",
            reason.as_deref().unwrap_or("Terminated"),
            t.exit_code
        );
        Termination {
            reason,
            exit_code: t.exit_code,
            signal: t.signal,
            message: t.message.clone(),
            finished_at: t.finished_at.clone(),
            summary,
        }
    }

    /// A crash rather than a clean exit.
    pub(crate) fn failed(&self) -> bool {
        self.exit_code != 0 || self.reason.as_deref().is_some_and(|r| r != "Completed")
    }
}

fn summarize(cs: &ContainerStatus) -> ContainerSummary {
    let state = cs.state.as_ref();
    let state = if let Some(r) = state.and_then(|s| s.running.as_ref()) {
        ContainerState::Running {
            started_at: r.started_at.clone(),
        }
    } else if let Some(w) = state.and_then(|s| s.waiting.as_ref()) {
        ContainerState::Waiting {
            reason: w.reason.clone(),
            message: w.message.clone(),
        }
    } else if let Some(t) = state.and_then(|s| s.terminated.as_deref()) {
        ContainerState::Terminated(Termination::from(t))
    } else {
        ContainerState::Unknown
    };
    ContainerSummary {
        name: cs.name.clone(),
        image: cs.image.clone(),
        image_id: Some(cs.image_id.clone()).filter(|i| !i.is_empty()),
        ready: cs.ready,
        restarts: cs.restart_count,
        state,
        last_termination: cs
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_deref())
            .map(Termination::from),
    }
}

pub(crate) fn waiting_reason(c: &ContainerSummary) -> Option<&str> {
    match &c.state {
        ContainerState::Waiting { reason, .. } => reason.as_deref(),
        _ => None,
    }
}

pub(crate) fn waiting_text(c: &ContainerSummary) -> Option<String> {
    match &c.state {
        ContainerState::Waiting { reason, message } => Some(match (reason, message) {
            (Some(r), Some(m)) => format!("{}: {r}: {m}", c.name),
            (Some(r), None) => format!("{}: {r}", c.name),
            (None, Some(m)) => format!("{}: {m}", c.name),
            (None, None) => format!("{}: waiting", c.name),
        }),
        _ => None,
    }
}

/// Summarizes one pod and judges its health at `now`. Cheap enough to run on
/// every watch event; never panics, whatever is missing.
pub fn pod_status(pod: &SlimPod, now: Timestamp) -> PodStatus {
    let status = pod.status.as_ref();
    let list = |l: Option<&Vec<ContainerStatus>>| {
        l.into_iter().flatten().map(summarize).collect::<Vec<_>>()
    };
    let containers = list(status.and_then(|s| s.container_statuses.as_ref()));
    let init_containers = list(status.and_then(|s| s.init_container_statuses.as_ref()));
    let spec_count = pod.spec.as_ref().map_or(0, |s| s.containers.len());
    let total = spec_count.max(containers.len());
    let ready_containers = containers.iter().filter(|c| c.ready).count();
    let conditions = conds!(status.and_then(|s| s.conditions.as_ref()));
    let ready = match find(&conditions, "Ready") {
        Some(c) => c.status == "True",
        None => total > 0 && ready_containers == total,
    };
    let phase = status
        .and_then(|s| s.phase.as_ref())
        .map(|p| p.as_str().to_owned());
    let evicted = phase.as_deref() == Some("Failed")
        && status.and_then(|s| s.reason.as_deref()) == Some("Evicted");
    let terminating = pod.metadata.deletion_timestamp.as_ref().map(|deadline| {
        let overdue_seconds = seconds_since(now, deadline);
        Terminating {
            deadline: deadline.clone(),
            overdue_seconds,
            stuck: overdue_seconds > TERMINATING_STUCK_SECONDS,
        }
    });
    let last_termination = containers
        .iter()
        .chain(&init_containers)
        .flat_map(|c| {
            let current = match &c.state {
                ContainerState::Terminated(t) => Some(t),
                _ => None,
            };
            c.last_termination.iter().chain(current)
        })
        .max_by_key(|t| t.finished_at.as_ref().map(|f| f.0))
        .cloned();
    let mut out = PodStatus {
        name: name(&pod.metadata),
        namespace: namespace(&pod.metadata),
        phase,
        health: Health::Unknown,
        reason: String::new(),
        ready,
        ready_containers: u32::try_from(ready_containers).unwrap_or(u32::MAX),
        total_containers: u32::try_from(total).unwrap_or(u32::MAX),
        restarts: containers.iter().map(|c| i64::from(c.restarts)).sum(),
        age_seconds: pod
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| seconds_since(now, t)),
        created: pod.metadata.creation_timestamp.clone(),
        started: status.and_then(|s| s.start_time.clone()),
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        waiting_reason: containers
            .iter()
            .chain(&init_containers)
            .find_map(waiting_reason)
            .map(str::to_owned),
        last_termination,
        evicted,
        terminating,
        containers,
        init_containers,
    };
    let (health, reason) = super::pod_health::judge(pod, &out, &conditions, now);
    out.health = health;
    out.reason = reason;
    out
}
