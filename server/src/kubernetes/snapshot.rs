//! An entity's objects in every cluster, read from the watch caches, in the
//! shape of Backstage's `POST /api/kubernetes/resources/workloads/query`.

use std::sync::Arc;

use kube::ResourceExt;
use serde::Serialize;
use serde_json::{Value, json};

use super::cache::{ClusterCache, ResourceState};
use super::matching::EntityTarget;

/// The objects of one resource type in `cluster` that belong to the entity.
pub fn matching<K: kube::Resource<DynamicType = ()> + Clone + Serialize>(store: &kube::runtime::reflector::Store<K>, cluster: &str, target: &EntityTarget) -> Vec<Arc<K>> {
    store.state_filter(|o| target.matches(cluster, o.namespace().as_deref(), o.labels()))
}

fn to_json<K: Serialize>(objects: &[Arc<K>]) -> Vec<Value> {
    objects.iter().filter_map(|o| serde_json::to_value(o.as_ref()).ok()).collect()
}

/// The API path of a resource type, for error reports.
fn resource_path(plural: &str) -> &'static str {
    match plural {
        "pods" => "/api/v1/pods",
        "services" => "/api/v1/services",
        "deployments" => "/apis/apps/v1/deployments",
        "replicasets" => "/apis/apps/v1/replicasets",
        "statefulsets" => "/apis/apps/v1/statefulsets",
        "daemonsets" => "/apis/apps/v1/daemonsets",
        "horizontalpodautoscalers" => "/apis/autoscaling/v2/horizontalpodautoscalers",
        "ingresses" => "/apis/networking.k8s.io/v1/ingresses",
        "jobs" => "/apis/batch/v1/jobs",
        "cronjobs" => "/apis/batch/v1/cronjobs",
        _ => "",
    }
}

/// Backstage's per-cluster `errors`, from the watchers' states.
pub fn cluster_errors(cache: &ClusterCache) -> Vec<Value> {
    cache
        .states()
        .into_iter()
        .filter_map(|(plural, state)| match state {
            ResourceState::Forbidden { message } => Some(json!({"errorType": "UNAUTHORIZED_ERROR", "statusCode": 403, "resourcePath": resource_path(plural), "message": message})),
            ResourceState::Failing { message } => Some(json!({"errorType": "FETCH_ERROR", "message": format!("{}: {message}", resource_path(plural))})),
            ResourceState::Syncing | ResourceState::Ready { .. } => None,
        })
        .collect()
}

/// One cluster's part of the answer: `{cluster, resources, podMetrics, errors}`,
/// `None` when the cluster has nothing for the entity and no error.
pub fn cluster_item(cache: &ClusterCache, target: &EntityTarget) -> Option<Value> {
    let name = cache.target.name.as_str();
    if target.cluster.as_deref().is_some_and(|c| c != name) {
        return None;
    }
    let s = &cache.stores;
    let resources: Vec<(&str, Vec<Value>)> = vec![
        ("pods", to_json(&matching(&s.pods, name, target))),
        ("services", to_json(&matching(&s.services, name, target))),
        ("deployments", to_json(&matching(&s.deployments, name, target))),
        ("replicasets", to_json(&matching(&s.replicasets, name, target))),
        ("statefulsets", to_json(&matching(&s.statefulsets, name, target))),
        ("daemonsets", to_json(&matching(&s.daemonsets, name, target))),
        ("horizontalpodautoscalers", to_json(&matching(&s.hpas, name, target))),
        ("ingresses", to_json(&matching(&s.ingresses, name, target))),
        ("jobs", to_json(&matching(&s.jobs, name, target))),
        ("cronjobs", to_json(&matching(&s.cronjobs, name, target))),
    ];
    let errors = cluster_errors(cache);
    if errors.is_empty() && resources.iter().all(|(_, r)| r.is_empty()) {
        return None;
    }
    let info = cache.target.info();
    Some(json!({
        "cluster": {"name": info.name, "title": info.title, "dashboardUrl": info.dashboard_url, "dashboardApp": info.dashboard_app},
        "resources": resources.into_iter().map(|(kind, list)| json!({"type": kind, "resources": list})).collect::<Vec<_>>(),
        "podMetrics": [],
        "errors": errors,
    }))
}
