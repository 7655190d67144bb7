//! Health, rollout state and Backstage's error detection over Kubernetes objects.
//!
//! Pure functions over typed objects — k8s-openapi's for workloads, the
//! caches' own [`SlimPod`](crate::kubernetes::pod::SlimPod) for pods: no I/O,
//! no clock (`now` is passed in), no panics on objects with missing fields or status. A watcher
//! cache calls them on every change of an object and serves the results:
//!
//! - [`pod_status`] and [`detect_pod_errors`] for one pod;
//! - [`deployment_status`], [`replicaset_status`], [`statefulset_status`],
//!   [`daemonset_status`], [`job_status`], [`cronjob_status`] and
//!   [`hpa_status`] for one workload (given the pods / ReplicaSets / Jobs the
//!   caller matched to it), each a [`WorkloadStatus`];
//! - [`entity_health`] to fold the workloads of a catalog entity, across
//!   clusters, into one [`Health`] with a one-line reason.
//!
//! [`DetectedError`]s follow Backstage's `kubernetes-common` error detection
//! rule for rule and serialize to the same JSON, so pages and API clients
//! written for Backstage read them unchanged.

mod apps;
mod batch;
mod entity;
mod errors;
mod hpa;
mod images;
mod pod_health;
mod pods;
mod util;
mod workloads;

use serde::Serialize;

pub use apps::{daemonset_status, deployment_status, replicaset_status, statefulset_status};
pub use batch::{JobSummary, cronjob_status, job_status};
pub use entity::entity_health;
pub use errors::{
    DetectedError, FixTarget, HPA_API_GROUP, ProposedFix, ResourceRef, detect_deployment_errors,
    detect_hpa_errors, detect_pod_errors,
};
pub use hpa::{ScalingStatus, hpa_from_v1, hpa_status};
pub use images::{ImageRef, RunningImage, parse_image};
pub use pods::{ContainerState, ContainerSummary, PodStatus, Terminating, Termination, pod_status};
pub use workloads::{ConditionSummary, RolloutState, RolloutStatus, WorkloadStatus};

/// The time type `now` is given as: the one inside k8s-openapi's `Time`, so
/// object timestamps compare without conversion.
pub use k8s_openapi::jiff::Timestamp;

/// How long a pod may be pending or running-but-not-ready before that counts
/// as a failure rather than start-up (10 minutes, the default
/// `progressDeadlineSeconds` of a Deployment). A readiness probe whose own
/// budget is longer extends it.
pub const STARTUP_GRACE_SECONDS: i64 = 600;

/// How long a container restart (its `lastState.terminated.finishedAt`) keeps a
/// ready pod Degraded and makes a not-ready pod Failed: long enough that a
/// pod crashing every few hours stays visible, short enough that one old
/// OOM kill does not mark a service for days.
pub const RECENT_RESTART_SECONDS: i64 = 6 * 3600;

/// How long past its `deletionTimestamp` (which already includes the grace
/// period) a pod may still exist before it counts as stuck terminating.
pub const TERMINATING_STUCK_SECONDS: i64 = 300;

/// How long a ReplicaSet (which has no progress deadline of its own) may stay
/// below its desired available replicas before that counts as a failure.
pub const REPLICASET_DEADLINE_SECONDS: i64 = 600;

/// The overall state of a pod, a workload or an entity, worst last: the order
/// is what [`entity_health`] uses to let the worst workload win.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Health {
    /// Everything desired is running, ready and recent history is clean.
    Healthy,
    /// Nothing can be said: no status reported yet, or nothing to look at.
    Unknown,
    /// Moving towards the desired state (rollout, start-up, termination)
    /// with no sign of trouble yet.
    Progressing,
    /// Serving, but with trouble: stalled rollout with replicas still
    /// available, recent restarts, failing pods beside healthy ones, an
    /// autoscaler that cannot scale or sits at its maximum.
    Degraded,
    /// Not serving, or failing for good: crash loops, image pull errors,
    /// no available replica, a failed Job.
    Failed,
}

impl Health {
    /// The lowercase word the API and pages show.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unknown => "unknown",
            Health::Progressing => "progressing",
            Health::Degraded => "degraded",
            Health::Failed => "failed",
        }
    }
}

impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
