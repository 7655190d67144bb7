//! The verdict on one pod: failure signals first (failed phase, failing init
//! containers, crash loops, image and config errors, error exits), then
//! readiness, recent restarts and how long start-up has been going on.

use k8s_openapi::jiff::Timestamp;

use crate::kubernetes::pod::{Probe, SlimPod};
use super::pods::{
    ContainerState, ContainerSummary, PodStatus, Termination, waiting_reason, waiting_text,
};
use super::util::{Cond, find, has, human, plural, plus_seconds, seconds_since};
use super::{Health, RECENT_RESTART_SECONDS, STARTUP_GRACE_SECONDS};

/// Waiting reasons that mean the container cannot start until something is
/// fixed (as opposed to `ContainerCreating` / `PodInitializing`).
const FAILING_WAITING: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "PreCreateHookError",
    "PostStartHookError",
    "PreStartHookError",
];

/// The most recent failed termination of a regular container that ended
/// within [`RECENT_RESTART_SECONDS`] of `now`.
fn recent_crash(p: &PodStatus, now: Timestamp) -> Option<(&ContainerSummary, &Termination, i64)> {
    p.containers
        .iter()
        .filter_map(|c| {
            let t = c.last_termination.as_ref().filter(|t| t.failed())?;
            let ago = seconds_since(now, t.finished_at.as_ref()?);
            (ago <= RECENT_RESTART_SECONDS).then_some((c, t, ago))
        })
        .min_by_key(|(_, _, ago)| *ago)
}

pub(crate) fn judge(
    pod: &SlimPod,
    p: &PodStatus,
    conditions: &[Cond<'_>],
    now: Timestamp,
) -> (Health, String) {
    let status = pod.status.as_ref();
    if let Some(t) = &p.terminating {
        return if t.stuck {
            (
                Health::Degraded,
                format!(
                    "stuck terminating for {} past its deadline",
                    human(t.overdue_seconds)
                ),
            )
        } else {
            (Health::Progressing, "terminating".to_owned())
        };
    }
    let message = status.and_then(|s| s.message.as_deref()).map(str::trim);
    match p.phase.as_deref() {
        Some("Succeeded") => return (Health::Healthy, "completed".to_owned()),
        Some("Failed") if p.evicted => {
            return (
                Health::Degraded,
                format!("evicted: {}", message.unwrap_or("no message")),
            );
        }
        Some("Failed") => {
            let why = p
                .containers
                .iter()
                .chain(&p.init_containers)
                .find_map(|c| match &c.state {
                    ContainerState::Terminated(t) if t.failed() => {
                        Some(format!("{}: {}", c.name, t.summary))
                    }
                    _ => None,
                })
                .or_else(|| status.and_then(|s| s.reason.clone()))
                .or_else(|| message.map(str::to_owned));
            return (
                Health::Failed,
                format!("failed: {}", why.as_deref().unwrap_or("no reason given")),
            );
        }
        Some("Running" | "Pending") => {}
        Some(other) => {
            return (
                Health::Unknown,
                format!(
                    "phase {other}{}",
                    message.map(|m| format!(": {m}")).unwrap_or_default()
                ),
            );
        }
        None => return (Health::Unknown, "no status reported".to_owned()),
    }
    // Init containers that failed block the pod (they are retried, but fail again).
    for c in &p.init_containers {
        if let Some(reason) = waiting_reason(c).filter(|r| FAILING_WAITING.contains(r)) {
            return (
                Health::Failed,
                format!("init container {}: {reason}", c.name),
            );
        }
        if let ContainerState::Terminated(t) = &c.state
            && t.failed()
        {
            let times = if c.restarts > 0 {
                format!(", restarted {}", plural(c.restarts.into(), "time"))
            } else {
                String::new()
            };
            return (
                Health::Failed,
                format!("init container {} failed: {}{times}", c.name, t.summary),
            );
        }
    }
    for c in &p.containers {
        if let Some(text) = waiting_text(c)
            .filter(|_| waiting_reason(c).is_some_and(|r| FAILING_WAITING.contains(&r)))
        {
            return (Health::Failed, text);
        }
        if let ContainerState::Terminated(t) = &c.state
            && t.failed()
        {
            return (Health::Failed, format!("{} exited: {}", c.name, t.summary));
        }
    }
    let restarted = |c: &ContainerSummary, t: &Termination, ago: i64| {
        format!(
            "{} restarted {}, last {} {} ago",
            c.name,
            plural(c.restarts.into(), "time"),
            t.summary,
            human(ago)
        )
    };
    let counts = format!("{}/{} ready", p.ready_containers, p.total_containers);
    if p.ready {
        return match recent_crash(p, now) {
            Some((c, t, ago)) => (Health::Degraded, restarted(c, t, ago)),
            None => (Health::Healthy, format!("running, {counts}")),
        };
    }
    if let Some((c, t, ago)) = recent_crash(p, now) {
        return (
            Health::Failed,
            format!("not ready: {}", restarted(c, t, ago)),
        );
    }
    if conditions.is_empty() && p.containers.is_empty() {
        return (
            Health::Unknown,
            format!(
                "{}, no container status reported",
                p.phase.as_deref().unwrap_or("")
            ),
        );
    }
    // Not ready yet: start-up until the grace period (or a longer readiness
    // probe budget) has passed since the last sign of change.
    let ready_cond = find(conditions, "Ready");
    let since = [
        pod.metadata.creation_timestamp.as_ref(),
        p.started.as_ref(),
        ready_cond.and_then(|c| c.last_transition),
    ]
    .into_iter()
    .chain(p.containers.iter().map(|c| match &c.state {
        ContainerState::Running { started_at } => started_at.as_ref(),
        _ => None,
    }))
    .flatten()
    .max_by_key(|t| t.0);
    // Kubernetes' own defaults (period 10s, failure threshold 3) for the
    // budget of readiness and startup probes.
    let budget = |probe: Option<&Probe>| {
        probe.map_or(0, |p| {
            i64::from(p.initial_delay_seconds.unwrap_or(0))
                + i64::from(p.period_seconds.unwrap_or(10))
                    * i64::from(p.failure_threshold.unwrap_or(3))
        })
    };
    let grace = pod
        .spec
        .iter()
        .flat_map(|s| &s.containers)
        .map(|c| budget(c.readiness_probe.as_ref()) + budget(c.startup_probe.as_ref()))
        .fold(STARTUP_GRACE_SECONDS, i64::max);
    let unscheduled = find(conditions, "PodScheduled").filter(|c| c.status == "False");
    let detail = if let Some(c) = unscheduled {
        format!(
            "not scheduled: {}",
            c.message.or(c.reason).unwrap_or("no reason given")
        )
    } else if let Some(text) = p
        .containers
        .iter()
        .chain(&p.init_containers)
        .find_map(waiting_text)
    {
        text
    } else if let Some(m) = ready_cond.and_then(|c| c.message) {
        format!("{counts}, {m}")
    } else if has(conditions, "Ready", "False") && p.ready_containers as usize == p.containers.len()
    {
        format!("{counts}, but the pod's Ready condition is False")
    } else {
        counts
    };
    let phase = p.phase.as_deref().unwrap_or("Pending");
    match since {
        Some(since) if plus_seconds(since, grace) >= now => {
            (Health::Progressing, format!("starting ({phase}): {detail}"))
        }
        Some(since) => {
            let what = if phase == "Pending" {
                "pending"
            } else {
                "not ready"
            };
            (
                Health::Failed,
                format!("{what} for {}: {detail}", human(seconds_since(now, since))),
            )
        }
        None => (Health::Progressing, format!("starting ({phase}): {detail}")),
    }
}
