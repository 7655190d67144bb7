//! HorizontalPodAutoscalers: whether they can scale, compute their metrics,
//! and whether they sit at their maximum (load beyond it is not absorbed).

use k8s_openapi::api::autoscaling::{v1, v2};
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use super::Health;
use super::errors::{HPA_API_GROUP, detect_hpa_errors};
use super::util::{conds, find, human, plural, seconds_since};
use super::workloads::{ConditionSummary, WorkloadStatus};

/// An autoscaler's bounds, replicas and conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingStatus {
    /// What it scales, as `Kind/name`.
    pub target: String,
    /// `spec.minReplicas` (default 1).
    pub min: i32,
    /// `spec.maxReplicas`.
    pub max: i32,
    /// `status.currentReplicas`.
    pub current: Option<i32>,
    /// `status.desiredReplicas`.
    pub desired: i32,
    /// Running at `max` while `max > min`: it would scale further if it could.
    pub at_max: bool,
    /// The `AbleToScale` condition (`None` when absent).
    pub able_to_scale: Option<bool>,
    /// The `ScalingActive` condition: metrics can be computed.
    pub scaling_active: Option<bool>,
    /// The `ScalingLimited` condition: the wish is clamped by min/max.
    pub scaling_limited: Option<bool>,
    /// All conditions, for display.
    pub conditions: Vec<ConditionSummary>,
}

/// The annotation in which autoscaling/v1 objects carry their conditions.
const V1_CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";

/// Converts an autoscaling/v1 HPA to autoscaling/v2 as the API server does:
/// the CPU target becomes a Resource metric and the conditions kept in the
/// `autoscaling.alpha.kubernetes.io/conditions` annotation become status
/// conditions (an unreadable annotation is ignored). Lets one function judge
/// both versions.
pub fn hpa_from_v1(hpa: &v1::HorizontalPodAutoscaler) -> v2::HorizontalPodAutoscaler {
    let conditions = hpa
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(V1_CONDITIONS))
        .and_then(|json| {
            serde_json::from_str::<Vec<v2::HorizontalPodAutoscalerCondition>>(json).ok()
        });
    let spec = hpa.spec.as_ref().map(|s| v2::HorizontalPodAutoscalerSpec {
        max_replicas: s.max_replicas,
        min_replicas: s.min_replicas,
        scale_target_ref: v2::CrossVersionObjectReference {
            api_version: s.scale_target_ref.api_version.clone(),
            kind: s.scale_target_ref.kind.clone(),
            name: s.scale_target_ref.name.clone(),
        },
        metrics: s.target_cpu_utilization_percentage.map(|cpu| {
            vec![v2::MetricSpec {
                type_: "Resource".to_owned(),
                resource: Some(v2::ResourceMetricSource {
                    name: "cpu".to_owned(),
                    target: v2::MetricTarget {
                        type_: "Utilization".to_owned(),
                        average_utilization: Some(cpu),
                        ..Default::default()
                    },
                }),
                ..Default::default()
            }]
        }),
        behavior: None,
    });
    let status = hpa
        .status
        .as_ref()
        .map(|s| v2::HorizontalPodAutoscalerStatus {
            conditions: conditions.clone(),
            current_metrics: s.current_cpu_utilization_percentage.map(|cpu| {
                vec![v2::MetricStatus {
                    type_: "Resource".to_owned(),
                    resource: Some(v2::ResourceMetricStatus {
                        name: "cpu".to_owned(),
                        current: v2::MetricValueStatus {
                            average_utilization: Some(cpu),
                            ..Default::default()
                        },
                    }),
                    ..Default::default()
                }]
            }),
            current_replicas: Some(s.current_replicas),
            desired_replicas: s.desired_replicas,
            last_scale_time: s.last_scale_time.clone(),
            observed_generation: s.observed_generation,
        });
    let status = status.or_else(|| {
        conditions.map(|c| v2::HorizontalPodAutoscalerStatus {
            conditions: Some(c),
            ..Default::default()
        })
    });
    v2::HorizontalPodAutoscaler {
        metadata: hpa.metadata.clone(),
        spec,
        status,
    }
}

/// An autoscaler's health: Degraded when it cannot scale (`AbleToScale=False`),
/// cannot compute its metrics (`ScalingActive=False`, unless scaling is
/// disabled on purpose) or runs at its maximum; Unknown without status.
/// Carries Backstage's `hpa-max-current-replicas` error.
pub fn hpa_status(hpa: &v2::HorizontalPodAutoscaler, now: Timestamp) -> WorkloadStatus {
    let mut w = WorkloadStatus::new("HorizontalPodAutoscaler", HPA_API_GROUP, &hpa.metadata);
    let spec = hpa.spec.as_ref();
    let status = hpa.status.as_ref();
    let conditions = conds!(status.and_then(|s| s.conditions.as_ref()));
    let state = |t: &str| find(&conditions, t).map(|c| c.status == "True");
    let min = spec.and_then(|s| s.min_replicas).unwrap_or(1);
    let max = spec.map_or(0, |s| s.max_replicas);
    let current = status.and_then(|s| s.current_replicas);
    let scaling = ScalingStatus {
        target: spec.map_or_else(String::new, |s| {
            format!("{}/{}", s.scale_target_ref.kind, s.scale_target_ref.name)
        }),
        min,
        max,
        current,
        desired: status.map_or(0, |s| s.desired_replicas),
        at_max: max > min && current.is_some_and(|c| c >= max),
        able_to_scale: state("AbleToScale"),
        scaling_active: state("ScalingActive"),
        scaling_limited: state("ScalingLimited"),
        conditions: super::workloads::condition_summaries(&conditions),
    };
    let why = |t: &str| {
        let c = find(&conditions, t);
        let text = c
            .and_then(|c| c.message.or(c.reason))
            .unwrap_or("no message");
        let ago = c
            .and_then(|c| c.last_transition)
            .map(|t| format!(" (for {})", human(seconds_since(now, t))));
        format!("{text}{}", ago.unwrap_or_default())
    };
    let disabled =
        find(&conditions, "ScalingActive").and_then(|c| c.reason) == Some("ScalingDisabled");
    let verdict = if status.is_none() {
        (Health::Unknown, "no status reported yet".to_owned())
    } else if scaling.able_to_scale == Some(false) {
        (
            Health::Degraded,
            format!("cannot scale: {}", why("AbleToScale")),
        )
    } else if scaling.scaling_active == Some(false) && !disabled {
        (
            Health::Degraded,
            format!("cannot compute replicas: {}", why("ScalingActive")),
        )
    } else if scaling.at_max {
        (
            Health::Degraded,
            format!("at its maximum of {max} replicas"),
        )
    } else if disabled {
        (
            Health::Healthy,
            "scaling disabled (target scaled to zero)".to_owned(),
        )
    } else {
        let current =
            current.map_or_else(|| "? replicas".to_owned(), |c| plural(c.into(), "replica"));
        (Health::Healthy, format!("{current} (min {min}, max {max})"))
    };
    (w.health, w.reason) = verdict;
    w.scaling = Some(scaling);
    w.errors = detect_hpa_errors(hpa);
    w
}
