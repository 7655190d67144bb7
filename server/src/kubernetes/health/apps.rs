//! Rollout state and health of Deployments, ReplicaSets, StatefulSets and
//! DaemonSets from their status counts and conditions.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::jiff::Timestamp;

use crate::kubernetes::pod::SlimPod;

use super::errors::detect_deployment_errors;
use super::util::{annotation, conds, find, human, owned_by, seconds_since};
use super::workloads::{
    RolloutState, RolloutStatus, WorkloadStatus, condition_summaries, finish, observed,
    since_from_pods, verdict,
};
use super::{Health, REPLICASET_DEADLINE_SECONDS};

/// The Deployment's rollout and health. `replicasets` are its ReplicaSets
/// (others are ignored when ownership can be told), used for "since when";
/// `pods` are the pods matched to it, judged and folded into the verdict.
pub fn deployment_status(
    d: &Deployment,
    replicasets: &[&ReplicaSet],
    pods: &[&SlimPod],
    now: Timestamp,
) -> WorkloadStatus {
    let mut w = WorkloadStatus::new("Deployment", "apps/v1", &d.metadata);
    let spec = d.spec.as_ref();
    let status = d.status.as_ref();
    let conditions = conds!(status.and_then(|s| s.conditions.as_ref()));
    let progressing = find(&conditions, "Progressing");
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    let mut r = RolloutStatus {
        state: RolloutState::Unknown,
        desired,
        current: status.and_then(|s| s.replicas).unwrap_or(0),
        updated: status.and_then(|s| s.updated_replicas).unwrap_or(0),
        ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
        available: status.and_then(|s| s.available_replicas).unwrap_or(0),
        unavailable: status.and_then(|s| s.unavailable_replicas).unwrap_or(0),
        generation: d.metadata.generation,
        observed_generation: status.and_then(|s| s.observed_generation),
        observed: observed(&d.metadata, status.and_then(|s| s.observed_generation)),
        paused: spec.and_then(|s| s.paused).unwrap_or(false),
        stalled: progressing
            .is_some_and(|c| c.status == "False" && c.reason == Some("ProgressDeadlineExceeded")),
        replica_failure: find(&conditions, "ReplicaFailure")
            .filter(|c| c.status == "True")
            .map(|c| {
                c.message
                    .or(c.reason)
                    .unwrap_or("ReplicaFailure")
                    .to_owned()
            }),
        message: progressing.and_then(|c| c.message.map(str::to_owned)),
        revision: annotation(&d.metadata, "deployment.kubernetes.io/revision").map(str::to_owned),
        conditions: condition_summaries(&conditions),
    };
    let counts_done = r.updated >= desired && r.current <= r.updated && r.available >= desired;
    let condition_done = progressing.is_none_or(|c| {
        c.reason
            .is_none_or(|reason| reason == "NewReplicaSetAvailable")
    });
    r.state = if status.is_none() {
        RolloutState::Unknown
    } else if r.stalled {
        RolloutState::Stalled
    } else if r.paused {
        RolloutState::Paused
    } else if r.observed && counts_done && condition_done {
        RolloutState::Complete
    } else {
        RolloutState::Progressing
    };
    let verdict = verdict(&r, "Deployment");
    w.rollout = Some(r);
    w.errors = detect_deployment_errors(d);
    let owned: Vec<&&ReplicaSet> = replicasets
        .iter()
        .filter(|rs| owned_by(&rs.metadata, "Deployment", &d.metadata))
        .collect();
    let candidates = if owned.is_empty() {
        replicasets.iter().collect()
    } else {
        owned
    };
    let revision = annotation(&d.metadata, "deployment.kubernetes.io/revision");
    let current_rs = candidates
        .iter()
        .find(|rs| {
            revision.is_some()
                && annotation(&rs.metadata, "deployment.kubernetes.io/revision") == revision
        })
        .or_else(|| {
            candidates
                .iter()
                .max_by_key(|rs| rs.metadata.creation_timestamp.as_ref().map(|t| t.0))
        });
    let template = spec.and_then(|s| s.template.spec.as_ref());
    w.since = current_rs
        .and_then(|rs| rs.metadata.creation_timestamp.clone())
        .or_else(|| since_from_pods(template, pods));
    finish(w, verdict, template, pods, now)
}

/// A ReplicaSet's health, for ReplicaSets without a Deployment (or shown on
/// their own). It has no progress deadline, so missing replicas count as a
/// failure once it is older than [`REPLICASET_DEADLINE_SECONDS`].
pub fn replicaset_status(rs: &ReplicaSet, pods: &[&SlimPod], now: Timestamp) -> WorkloadStatus {
    let mut w = WorkloadStatus::new("ReplicaSet", "apps/v1", &rs.metadata);
    let status = rs.status.as_ref();
    let conditions = conds!(status.and_then(|s| s.conditions.as_ref()));
    let desired = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let current = status.map_or(0, |s| s.replicas);
    let mut r = RolloutStatus {
        state: RolloutState::Unknown,
        desired,
        current,
        updated: current,
        ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
        available: status.and_then(|s| s.available_replicas).unwrap_or(0),
        unavailable: 0,
        generation: rs.metadata.generation,
        observed_generation: status.and_then(|s| s.observed_generation),
        observed: observed(&rs.metadata, status.and_then(|s| s.observed_generation)),
        paused: false,
        stalled: false,
        replica_failure: find(&conditions, "ReplicaFailure")
            .filter(|c| c.status == "True")
            .map(|c| {
                c.message
                    .or(c.reason)
                    .unwrap_or("ReplicaFailure")
                    .to_owned()
            }),
        message: None,
        revision: annotation(&rs.metadata, "deployment.kubernetes.io/revision").map(str::to_owned),
        conditions: condition_summaries(&conditions),
    };
    r.unavailable = (desired - r.available).max(0);
    let age = rs
        .metadata
        .creation_timestamp
        .as_ref()
        .map(|t| seconds_since(now, t));
    let overdue = age.is_some_and(|a| a > REPLICASET_DEADLINE_SECONDS);
    r.state = match status {
        None => RolloutState::Unknown,
        Some(_) if r.observed && r.available >= desired && current <= desired => {
            RolloutState::Complete
        }
        Some(_) if r.observed && overdue => RolloutState::Stalled,
        Some(_) => RolloutState::Progressing,
    };
    let mut verdict = verdict(&r, "ReplicaSet");
    if r.state == RolloutState::Stalled && r.replica_failure.is_none() {
        let bad = if r.available == 0 {
            Health::Failed
        } else {
            Health::Degraded
        };
        verdict = (
            bad,
            format!(
                "{}/{} available after {}",
                r.available,
                desired,
                human(age.unwrap_or(0))
            ),
        );
    }
    w.rollout = Some(r);
    let template = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.spec.as_ref());
    w.since = since_from_pods(template, pods).or_else(|| rs.metadata.creation_timestamp.clone());
    finish(w, verdict, template, pods, now)
}

/// A StatefulSet's rollout and health: ordered replacement of pods towards
/// `updateRevision` (respecting a rolling-update partition; `OnDelete`
/// never rolls by itself), readiness of every replica.
pub fn statefulset_status(sts: &StatefulSet, pods: &[&SlimPod], now: Timestamp) -> WorkloadStatus {
    let mut w = WorkloadStatus::new("StatefulSet", "apps/v1", &sts.metadata);
    let spec = sts.spec.as_ref();
    let status = sts.status.as_ref();
    let conditions = conds!(status.and_then(|s| s.conditions.as_ref()));
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    let ready = status.and_then(|s| s.ready_replicas).unwrap_or(0);
    let strategy = spec.and_then(|s| s.update_strategy.as_ref());
    let on_delete = strategy.and_then(|s| s.type_.as_deref()) == Some("OnDelete");
    let partition = strategy
        .and_then(|s| s.rolling_update.as_ref())
        .and_then(|r| r.partition)
        .unwrap_or(0);
    let update_revision = status.and_then(|s| s.update_revision.clone());
    let mut r = RolloutStatus {
        state: RolloutState::Unknown,
        desired,
        current: status.map_or(0, |s| s.replicas),
        updated: status.and_then(|s| s.updated_replicas).unwrap_or(0),
        ready,
        available: status.and_then(|s| s.available_replicas).unwrap_or(ready),
        unavailable: 0,
        generation: sts.metadata.generation,
        observed_generation: status.and_then(|s| s.observed_generation),
        observed: observed(&sts.metadata, status.and_then(|s| s.observed_generation)),
        paused: false,
        stalled: false,
        replica_failure: None,
        message: None,
        revision: update_revision.clone(),
        conditions: condition_summaries(&conditions),
    };
    r.unavailable = (desired - r.available).max(0);
    let revision_done = on_delete
        || if partition > 0 {
            r.updated >= desired - partition
        } else {
            update_revision.is_none()
                || status.and_then(|s| s.current_revision.as_ref()) == update_revision.as_ref()
        };
    r.state = match status {
        None => RolloutState::Unknown,
        Some(_) if r.observed && revision_done && r.ready >= desired && r.current <= desired => {
            RolloutState::Complete
        }
        Some(_) => RolloutState::Progressing,
    };
    let verdict = verdict(&r, "StatefulSet");
    w.rollout = Some(r);
    let template = spec.and_then(|s| s.template.spec.as_ref());
    let current: Vec<&SlimPod> = pods
        .iter()
        .copied()
        .filter(|p| {
            let hash = p
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("controller-revision-hash"));
            update_revision.is_some() && hash == update_revision.as_ref()
        })
        .collect();
    w.since = current
        .iter()
        .filter_map(|p| p.status.as_ref()?.start_time.clone())
        .min_by_key(|t| t.0)
        .or_else(|| since_from_pods(template, pods));
    finish(w, verdict, template, pods, now)
}

/// A DaemonSet's rollout and health: one pod per eligible node, all on the
/// current template and available.
pub fn daemonset_status(ds: &DaemonSet, pods: &[&SlimPod], now: Timestamp) -> WorkloadStatus {
    let mut w = WorkloadStatus::new("DaemonSet", "apps/v1", &ds.metadata);
    let status = ds.status.as_ref();
    let conditions = conds!(status.and_then(|s| s.conditions.as_ref()));
    let desired = status.map_or(0, |s| s.desired_number_scheduled);
    let mut r = RolloutStatus {
        state: RolloutState::Unknown,
        desired,
        current: status.map_or(0, |s| s.current_number_scheduled),
        updated: status.and_then(|s| s.updated_number_scheduled).unwrap_or(0),
        ready: status.map_or(0, |s| s.number_ready),
        available: status.and_then(|s| s.number_available).unwrap_or(0),
        unavailable: status.and_then(|s| s.number_unavailable).unwrap_or(0),
        generation: ds.metadata.generation,
        observed_generation: status.and_then(|s| s.observed_generation),
        observed: observed(&ds.metadata, status.and_then(|s| s.observed_generation)),
        paused: false,
        stalled: false,
        replica_failure: None,
        message: None,
        revision: None,
        conditions: condition_summaries(&conditions),
    };
    let on_delete = ds
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
        == Some("OnDelete");
    r.state = match status {
        None => RolloutState::Unknown,
        Some(_) if r.observed && (on_delete || r.updated >= desired) && r.available >= desired => {
            RolloutState::Complete
        }
        Some(_) => RolloutState::Progressing,
    };
    let verdict = verdict(&r, "DaemonSet");
    w.rollout = Some(r);
    let template = ds.spec.as_ref().and_then(|s| s.template.spec.as_ref());
    w.since = since_from_pods(template, pods);
    finish(w, verdict, template, pods, now)
}
