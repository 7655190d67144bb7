//! The workload status every kind shares: rollout counts and state (desired
//! vs updated / ready / available, observed generation, progressing /
//! stalled / paused, replica failures), the images asked for and running,
//! since when, and the pods folded into the verdict.

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use crate::kubernetes::pod::SlimPod;
use super::Health;
use super::batch::JobSummary;
use super::errors::{DetectedError, detect_pod_errors};
use super::hpa::ScalingStatus;
use super::images::{ImageRef, RunningImage, running_images, template_images};
use super::pods::{PodStatus, pod_status};
use super::util::{Cond, name, namespace};

/// One workload (or autoscaler) as the entity page and the API show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadStatus {
    /// The cluster it runs in, set by the caller with [`WorkloadStatus::in_cluster`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `Deployment`, `StatefulSet`, `DaemonSet`, `ReplicaSet`, `Job`, `CronJob`
    /// or `HorizontalPodAutoscaler`.
    pub kind: String,
    /// `apps/v1`, `batch/v1`, `autoscaling/v2`.
    pub api_group: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// The verdict.
    pub health: Health,
    /// Why, in one line.
    pub reason: String,
    /// Replica counts and rollout state (Deployments, StatefulSets,
    /// DaemonSets, ReplicaSets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutStatus>,
    /// Job counts (Jobs and CronJobs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<JobSummary>,
    /// Autoscaler state (HPAs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaling: Option<ScalingStatus>,
    /// The images the pod template asks for.
    pub template_images: Vec<ImageRef>,
    /// The images the given pods run, with digests.
    pub running_images: Vec<RunningImage>,
    /// Since when the current version runs: the current ReplicaSet's
    /// creation for a Deployment, else the earliest start of a pod on the
    /// template's images.
    pub since: Option<Time>,
    /// The given pods, judged.
    pub pods: Vec<PodStatus>,
    /// Backstage's detected errors for the workload and its pods.
    pub errors: Vec<DetectedError>,
}

impl WorkloadStatus {
    /// Tags the status with the cluster it was read from, so entity reasons
    /// and pages can name it.
    #[must_use]
    pub fn in_cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self
    }

    pub(crate) fn new(kind: &str, api_group: &str, meta: &ObjectMeta) -> Self {
        WorkloadStatus {
            cluster: None,
            kind: kind.to_owned(),
            api_group: api_group.to_owned(),
            name: name(meta),
            namespace: namespace(meta),
            health: Health::Unknown,
            reason: String::new(),
            rollout: None,
            job: None,
            scaling: None,
            template_images: Vec::new(),
            running_images: Vec::new(),
            since: None,
            pods: Vec::new(),
            errors: Vec::new(),
        }
    }
}

/// Where a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RolloutState {
    /// Every desired replica runs the current template and is available.
    Complete,
    /// Moving: the controller has not observed the spec yet, or replicas
    /// are being replaced, started or scaled.
    Progressing,
    /// Past the progress deadline (`Progressing=False`, `ProgressDeadlineExceeded`).
    Stalled,
    /// `spec.paused`: the controller will not move until resumed.
    Paused,
    /// No status reported.
    Unknown,
}

/// Replica counts and rollout state of a replicated workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    /// Where the rollout stands.
    pub state: RolloutState,
    /// Replicas asked for (`spec.replicas`, default 1; a DaemonSet's
    /// `desiredNumberScheduled`).
    pub desired: i32,
    /// Replicas that exist (`status.replicas`; a DaemonSet's `currentNumberScheduled`).
    pub current: i32,
    /// Replicas on the current template.
    pub updated: i32,
    /// Replicas whose pods are ready.
    pub ready: i32,
    /// Replicas ready for at least `minReadySeconds`.
    pub available: i32,
    /// `status.unavailableReplicas` (Deployments), `numberUnavailable` (DaemonSets).
    pub unavailable: i32,
    /// `metadata.generation`: the spec's version.
    pub generation: Option<i64>,
    /// `status.observedGeneration`: the version the controller acted on.
    pub observed_generation: Option<i64>,
    /// The controller has caught up with the spec; until then the counts
    /// describe the previous version.
    pub observed: bool,
    /// `spec.paused` (Deployments).
    pub paused: bool,
    /// Past the progress deadline.
    pub stalled: bool,
    /// The `ReplicaFailure` condition's message, when pods cannot be created.
    pub replica_failure: Option<String>,
    /// The `Progressing` condition's message.
    pub message: Option<String>,
    /// The current revision (a Deployment's `deployment.kubernetes.io/revision`,
    /// a StatefulSet's `updateRevision`).
    pub revision: Option<String>,
    /// All status conditions, for display.
    pub conditions: Vec<ConditionSummary>,
}

/// One status condition as shown in a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionSummary {
    /// e.g. `Available`, `Progressing`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// The machine-readable reason.
    pub reason: Option<String>,
    /// The human-readable message.
    pub message: Option<String>,
    /// When the status last changed.
    pub last_transition_time: Option<Time>,
}

pub(crate) fn condition_summaries(conds: &[Cond<'_>]) -> Vec<ConditionSummary> {
    conds
        .iter()
        .map(|c| ConditionSummary {
            type_: c.type_.to_owned(),
            status: c.status.to_owned(),
            reason: c.reason.map(str::to_owned),
            message: c.message.map(str::to_owned),
            last_transition_time: c.last_transition.cloned(),
        })
        .collect()
}

pub(crate) fn observed(meta: &ObjectMeta, observed_generation: Option<i64>) -> bool {
    match (meta.generation, observed_generation) {
        (Some(g), Some(o)) => o >= g,
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// Earliest start of a pod whose regular containers all run the template's
/// images: when the current version began running.
pub(crate) fn since_from_pods(spec: Option<&PodSpec>, pods: &[&SlimPod]) -> Option<Time> {
    let wanted = template_images(spec);
    pods.iter()
        .filter(|pod| {
            let containers = pod.spec.iter().flat_map(|s| &s.containers);
            containers.clone().count() > 0
                && containers.into_iter().all(|c| {
                    wanted.iter().any(|w| {
                        !w.init && w.container == c.name && Some(&w.image) == c.image.as_ref()
                    })
                })
        })
        .filter_map(|pod| pod.status.as_ref()?.start_time.clone())
        .min_by_key(|t| t.0)
}

/// Fills images, pods and their errors, then lets failing pods worsen the
/// workload's own verdict: a Failed or Degraded pod (evicted pods and pods
/// terminating within their grace period aside, as the controller replaces
/// them) makes a healthy or progressing workload Degraded, or Failed when no
/// replica is available.
pub(crate) fn finish(
    mut w: WorkloadStatus,
    verdict: (Health, String),
    spec: Option<&PodSpec>,
    pods: &[&SlimPod],
    now: Timestamp,
) -> WorkloadStatus {
    w.template_images = template_images(spec);
    w.running_images = running_images(pods);
    w.pods = pods.iter().map(|p| pod_status(p, now)).collect();
    w.errors
        .extend(pods.iter().flat_map(|p| detect_pod_errors(p, now)));
    let (mut health, mut reason) = verdict;
    let mut bad: Vec<&PodStatus> = w
        .pods
        .iter()
        .filter(|p| p.health >= Health::Degraded && !p.evicted)
        .filter(|p| p.terminating.as_ref().is_none_or(|t| t.stuck))
        .collect();
    bad.sort_by_key(|p| std::cmp::Reverse(p.health));
    if let Some(worst) = bad.first()
        && health < Health::Failed
    {
        let none_available = w
            .rollout
            .as_ref()
            .is_some_and(|r| r.desired > 0 && r.available == 0);
        health = if worst.health == Health::Failed && none_available {
            Health::Failed
        } else {
            Health::Degraded
        };
        let more = if bad.len() > 1 {
            format!(" (and {} more pods)", bad.len() - 1)
        } else {
            String::new()
        };
        reason = format!("{reason}; pod {}: {}{more}", worst.name, worst.reason);
    }
    w.health = health;
    w.reason = reason;
    w
}

/// Verdict of a replicated workload from its rollout, shared by all kinds.
pub(crate) fn verdict(r: &RolloutStatus, what: &str) -> (Health, String) {
    let none_available = r.desired > 0 && r.available == 0;
    let bad = if none_available {
        Health::Failed
    } else {
        Health::Degraded
    };
    let counts = format!("{}/{} available", r.available, r.desired);
    if let Some(m) = &r.replica_failure {
        return (bad, format!("cannot create pods ({counts}): {m}"));
    }
    match r.state {
        RolloutState::Unknown => (Health::Unknown, "no status reported yet".to_owned()),
        RolloutState::Stalled => (
            bad,
            format!(
                "rollout stalled ({counts}): {}",
                r.message.as_deref().unwrap_or("progress deadline exceeded")
            ),
        ),
        RolloutState::Paused if r.available >= r.desired => {
            (Health::Healthy, format!("rollout paused, {counts}"))
        }
        RolloutState::Paused => (Health::Degraded, format!("rollout paused with {counts}")),
        RolloutState::Progressing if !r.observed => (
            Health::Progressing,
            format!(
                "waiting for the controller to observe generation {}",
                r.generation.unwrap_or_default()
            ),
        ),
        RolloutState::Progressing if what == "ReplicaSet" => (
            Health::Progressing,
            format!("scaling: {}/{} created, {counts}", r.current, r.desired),
        ),
        RolloutState::Progressing => {
            let old = r.current - r.updated;
            let old = if old > 0 && what == "Deployment" {
                format!(", {old} old pending termination")
            } else {
                String::new()
            };
            (
                Health::Progressing,
                format!(
                    "rolling out: {}/{} updated, {counts}{old}",
                    r.updated, r.desired
                ),
            )
        }
        RolloutState::Complete if r.desired == 0 => (Health::Healthy, "scaled to zero".to_owned()),
        RolloutState::Complete => (Health::Healthy, counts),
    }
}
