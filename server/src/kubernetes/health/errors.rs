//! Backstage's error detection (`plugins/kubernetes-common/src/error-detection`),
//! rule for rule: the same error types, severities, messages, proposed fixes
//! and occurrence counts, serialized to the same JSON, so a client written for
//! Backstage's Kubernetes plugin reads Portolan's errors unchanged. Only pods,
//! deployments and HPAs are inspected, as in Backstage; duplicates are kept.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use crate::kubernetes::pod::{Container, ContainerStatus, SlimPod};
use super::util::plus_seconds;

/// One problem found on a Kubernetes object, shaped exactly like Backstage's
/// `DetectedError` so the entity page and API clients can list it as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DetectedError {
    /// The rule that fired, e.g. `container-waiting`.
    #[serde(rename = "type")]
    pub error_type: String,
    /// 0 (very low) to 10 (critical): 4 for pods, 6 for deployments, 8 for HPAs.
    pub severity: u8,
    /// What is wrong, often the message Kubernetes itself reported.
    pub message: String,
    /// What to do about it, when the rule knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed_fix: Option<ProposedFix>,
    /// The object the error is about.
    pub source_ref: ResourceRef,
    /// How often it happened (a container's restart count, else 1).
    pub occurrence_count: i64,
}

/// The object a [`DetectedError`] is about, as Backstage names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    /// `metadata.name` (Backstage's placeholder when missing).
    pub name: String,
    /// `metadata.namespace` (`unknown namespace` when missing).
    pub namespace: String,
    /// `Pod`, `Deployment` or `HorizontalPodAutoscaler`.
    pub kind: String,
    /// What Backstage puts here: `v1`, `apps/v1`, `autoscaling/v2`.
    pub api_group: String,
}

/// A suggested remedy for a [`DetectedError`]: why it happens, what to try and
/// where to look (logs of a container, a documentation page, a pod's events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProposedFix {
    /// The Kubernetes reason it answers, e.g. `CrashLoopBackOff`.
    pub error_type: String,
    /// One sentence on the likely cause.
    pub root_cause_explanation: String,
    /// Steps to try, in order.
    pub actions: Vec<String>,
    /// Where to look next; serialized as `type` plus its one field.
    #[serde(flatten)]
    pub target: FixTarget,
}

/// Where a [`ProposedFix`] points: Backstage's `logs` / `docs` / `events`
/// solutions, serialized as `{"type": "logs", "container": …}` and so on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FixTarget {
    /// Read this container's logs (crash stack traces).
    Logs {
        /// The container whose logs to open.
        container: String,
    },
    /// Read this documentation page.
    Docs {
        /// The page.
        #[serde(rename = "docsLink")]
        docs_link: String,
    },
    /// Read this pod's events (probe failures).
    Events {
        /// The pod whose events to open.
        #[serde(rename = "podName")]
        pod_name: String,
    },
}

/// Backstage's `apiGroup` for HPAs. Current Backstage (`hpas.ts`, which reads
/// `autoscaling/v2` objects, and its test expecting this value) says
/// `autoscaling/v2`; older releases said `autoscaling/v1`.
pub const HPA_API_GROUP: &str = "autoscaling/v2";

fn source(meta: &ObjectMeta, unknown_name: &str, kind: &str, api_group: &str) -> ResourceRef {
    ResourceRef {
        name: meta.name.clone().unwrap_or_else(|| unknown_name.to_owned()),
        namespace: meta
            .namespace
            .clone()
            .unwrap_or_else(|| "unknown namespace".to_owned()),
        kind: kind.to_owned(),
        api_group: api_group.to_owned(),
    }
}

fn fix(error_type: &str, cause: String, actions: &[&str], target: FixTarget) -> ProposedFix {
    ProposedFix {
        error_type: error_type.to_owned(),
        root_cause_explanation: cause,
        actions: actions.iter().map(|a| (*a).to_owned()).collect(),
        target,
    }
}

/// Pairs each container status with the container spec of the same name, as
/// Backstage's `podToContainerSpecsAndStatuses` does (statuses without a spec
/// are skipped rather than crashing).
fn specs_and_statuses(pod: &SlimPod) -> Vec<(&Container, &ContainerStatus)> {
    let specs = pod
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    statuses(pod)
        .iter()
        .filter_map(|cs| specs.iter().find(|c| c.name == cs.name).map(|c| (c, cs)))
        .collect()
}

fn statuses(pod: &SlimPod) -> &[ContainerStatus] {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default()
}

/// Backstage's `isPodReadinessProbeUnready`: not ready, running, with a
/// readiness probe whose whole budget (`initialDelaySeconds` +
/// `periodSeconds` × `failureThreshold`, missing values counting 0 as in
/// Backstage) has passed.
pub(crate) fn readiness_probe_overdue(c: &Container, cs: &ContainerStatus, now: Timestamp) -> bool {
    let Some(probe) = c.readiness_probe.as_ref() else {
        return false;
    };
    let Some(started) = cs
        .state
        .as_ref()
        .and_then(|s| s.running.as_ref())
        .and_then(|r| r.started_at.as_ref())
    else {
        return false;
    };
    if cs.ready {
        return false;
    }
    let budget = i64::from(probe.initial_delay_seconds.unwrap_or(0))
        + i64::from(probe.period_seconds.unwrap_or(0))
            * i64::from(probe.failure_threshold.unwrap_or(0));
    plus_seconds(started, budget) < now
}

fn readiness_fix(pod: &SlimPod) -> ProposedFix {
    // Backstage names the first unready container, not necessarily the one
    // the error is about; `undefined` when there is none.
    let first_unready = statuses(pod)
        .iter()
        .find(|cs| !cs.ready)
        .map_or("undefined", |cs| cs.name.as_str());
    fix(
        "ReadinessProbeFailed",
        format!("The container {first_unready} failed to start properly, but is not crashing"),
        &[
            "Ensure that the container starts correctly locally",
            "Check the container's logs looking for error during startup",
        ],
        FixTarget::Events {
            pod_name: pod.metadata.name.clone().unwrap_or_default(),
        },
    )
}

fn restarting_fix(pod: &SlimPod) -> Option<ProposedFix> {
    let cs = statuses(pod).iter().find(|cs| {
        cs.last_state
            .as_ref()
            .is_some_and(|s| s.terminated.is_some())
    })?;
    let last = cs.last_state.as_ref()?.terminated.as_ref()?;
    let exit = || {
        format!(
            "This container has exited with a non-zero exit code ({})",
            last.exit_code
        )
    };
    let logs = || FixTarget::Logs {
        container: cs.name.clone(),
    };
    match last.reason.as_deref() {
        Some(reason @ ("Unknown" | "Error")) => {
            Some(fix(reason, exit(), &["Check the crash logs for stacktraces"], logs()))
        }
        Some("OOMKilled") => Some(fix(
            "OOMKilled",
            format!(
                "The container \"{}\" has crashed because it has tried to use more memory that it has been allocated",
                cs.name
            ),
            &[
                "Increase the amount of memory assigned to the container",
                "Ensure the application is memory bounded and is not trying to consume too much memory",
            ],
            FixTarget::Docs {
                docs_link: "https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/#exceed-a-container-s-memory-limit".to_owned(),
            },
        )),
        _ => None,
    }
}

fn waiting_fix(pod: &SlimPod) -> Option<ProposedFix> {
    // As in Backstage: the reason comes from the first waiting state that has
    // one, the container name from the first status that is waiting at all.
    let waiting_cs = statuses(pod)
        .iter()
        .find(|cs| cs.state.as_ref().is_some_and(|s| s.waiting.is_some()));
    let reason = statuses(pod)
        .iter()
        .filter_map(|cs| cs.state.as_ref()?.waiting.as_ref()?.reason.as_deref())
        .next()?;
    let docs = |link: &str| FixTarget::Docs {
        docs_link: link.to_owned(),
    };
    Some(match reason {
        "InvalidImageName" => fix(
            reason,
            "The image in the pod is invalid".to_owned(),
            &["Ensure the image name is correct and valid image name"],
            docs("https://docs.docker.com/engine/reference/commandline/tag/#extended-description"),
        ),
        "ImagePullBackOff" => fix(
            reason,
            "The image either could not be found or Kubernetes does not have permission to pull it"
                .to_owned(),
            &[
                "Ensure the image name is correct",
                "Ensure Kubernetes has permission to pull this image",
            ],
            docs("https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff"),
        ),
        "CrashLoopBackOff" => {
            let name = waiting_cs.map(|cs| cs.name.as_str());
            fix(
                reason,
                format!(
                    "The container {} has crashed many times, it will be exponentially restarted until it stops crashing",
                    name.unwrap_or("undefined")
                ),
                &["Check the crash logs for stacktraces"],
                FixTarget::Logs {
                    container: name.unwrap_or("unknown").to_owned(),
                },
            )
        }
        "CreateContainerConfigError" => fix(
            reason,
            "There is missing or mismatching configuration required to start the container"
                .to_owned(),
            &[
                "Ensure ConfigMaps references in the Deployment manifest are correct and the keys exist",
                "Ensure Secrets references in the Deployment manifest are correct and the keys exist",
            ],
            docs(
                "https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/",
            ),
        ),
        _ => return None,
    })
}

/// Backstage's three pod rules, in its order: `readiness-probe-taking-too-long`
/// per overdue container, `container-waiting` per waiting state with a
/// message, `containers-restarting` per container with restarts. Init
/// containers are not inspected (Backstage does not either).
pub fn detect_pod_errors(pod: &SlimPod, now: Timestamp) -> Vec<DetectedError> {
    let source_ref = source(&pod.metadata, "unknown pod", "Pod", "v1");
    let error = |error_type: &str,
                 message: String,
                 proposed_fix: Option<ProposedFix>,
                 count: i64| DetectedError {
        error_type: error_type.to_owned(),
        severity: 4,
        message,
        proposed_fix,
        source_ref: source_ref.clone(),
        occurrence_count: count,
    };
    let mut errors = Vec::new();
    for (c, _) in specs_and_statuses(pod)
        .into_iter()
        .filter(|(c, cs)| readiness_probe_overdue(c, cs, now))
    {
        errors.push(error(
            "readiness-probe-taking-too-long",
            format!(
                "The container {} failed to start properly, but is not crashing",
                c.name
            ),
            Some(readiness_fix(pod)),
            1,
        ));
    }
    for cs in statuses(pod) {
        if let Some(message) = cs
            .state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.message.as_ref())
        {
            errors.push(error(
                "container-waiting",
                message.clone(),
                waiting_fix(pod),
                1,
            ));
        }
    }
    for cs in statuses(pod).iter().filter(|cs| cs.restart_count > 0) {
        errors.push(error(
            "containers-restarting",
            format!("container={} restarted {} times", cs.name, cs.restart_count),
            restarting_fix(pod),
            i64::from(cs.restart_count),
        ));
    }
    errors
}

/// Backstage's deployment rule `condition-message-present` (severity 6): one
/// error per condition with status `False` and a message — a Progressing
/// condition past its deadline, an Available condition below minimum
/// availability. (`ReplicaFailure` is `True` when failing, so this rule does
/// not report it; the rollout state does.)
pub fn detect_deployment_errors(deployment: &Deployment) -> Vec<DetectedError> {
    // "unknown hpa" is Backstage's own placeholder for a nameless deployment.
    let source_ref = source(&deployment.metadata, "unknown hpa", "Deployment", "apps/v1");
    deployment
        .status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .filter(|c| c.status == "False")
        .filter_map(|c| c.message.as_ref())
        .map(|message| DetectedError {
            error_type: "condition-message-present".to_owned(),
            severity: 6,
            message: message.clone(),
            proposed_fix: None,
            source_ref: source_ref.clone(),
            occurrence_count: 1,
        })
        .collect()
}

/// Backstage's HPA rule `hpa-max-current-replicas` (severity 8): the
/// autoscaler runs as many replicas as it may, so load beyond this point is
/// not absorbed.
pub fn detect_hpa_errors(hpa: &HorizontalPodAutoscaler) -> Vec<DetectedError> {
    let max = hpa.spec.as_ref().map_or(-1, |s| s.max_replicas);
    let Some(current) = hpa.status.as_ref().and_then(|s| s.current_replicas) else {
        return Vec::new();
    };
    if max != current {
        return Vec::new();
    }
    vec![DetectedError {
        error_type: "hpa-max-current-replicas".to_owned(),
        severity: 8,
        message: format!(
            "Current number of replicas ({current}) is equal to the configured max number of replicas ({max})"
        ),
        proposed_fix: None,
        source_ref: source(
            &hpa.metadata,
            "unknown hpa",
            "HorizontalPodAutoscaler",
            HPA_API_GROUP,
        ),
        occurrence_count: 1,
    }]
}
