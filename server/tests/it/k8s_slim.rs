//! The watch caches' pod type, [`SlimPod`], against k8s-openapi's `Pod` on
//! every real sample pod of `shared/fixtures/k8s-samples`: it reads each
//! one (from bytes, as the watchers do), and what it keeps is exactly what
//! the full pod says for the fields it lists. (The health verdicts on these pods, taken on
//! `SlimPod`s, are checked in `k8s_health`.)

use k8s_openapi::api::core::v1::Pod;
use kube::Resource;
use portolan::kubernetes::health::{self, Timestamp};
use portolan::kubernetes::pod::{SlimPod, Word};
use serde_json::{Value, json};

use crate::k8s_health::{resolve_now, sample_documents};

/// `v` with only these keys (those it has).
fn keep(v: &Value, keys: &[&str]) -> Value {
    let Some(map) = v.as_object() else { return v.clone() };
    Value::Object(map.iter().filter(|(k, _)| keys.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// Applies `f` to the items of the list at `key`, when there is one.
fn each(v: &mut Value, key: &str, f: impl Fn(&Value) -> Value) {
    if let Some(items) = v.get_mut(key).and_then(Value::as_array_mut) {
        for item in items {
            *item = f(item);
        }
    }
}

/// Applies `f` to the value at `key`, when there is one.
fn at(v: &mut Value, key: &str, f: impl Fn(&Value) -> Value) {
    if let Some(inner) = v.get_mut(key) {
        *inner = f(inner);
    }
}

/// What a SlimPod should keep of a full pod, as JSON: the documented list.
fn expected(full: &Value) -> Value {
    let mut out = keep(full, &["apiVersion", "kind", "metadata", "spec", "status"]);
    at(&mut out, "metadata", |m| {
        let mut m = keep(m, &["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers"]);
        if let Some(a) = m.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            if a.is_empty() {
                m.as_object_mut().map(|m| m.remove("annotations"));
            }
        }
        m
    });
    let probe = |p: &Value| keep(p, &["initialDelaySeconds", "periodSeconds", "failureThreshold", "successThreshold", "timeoutSeconds", "httpGet", "tcpSocket", "exec", "grpc"]);
    let container = |c: &Value| {
        let mut c = keep(c, &["name", "image", "resources", "readinessProbe", "livenessProbe", "startupProbe", "restartPolicy"]);
        at(&mut c, "resources", |r| keep(r, &["limits", "requests"]));
        for p in ["readinessProbe", "livenessProbe", "startupProbe"] {
            at(&mut c, p, probe);
        }
        c
    };
    at(&mut out, "spec", |s| {
        let mut s = keep(s, &["containers", "initContainers", "nodeName", "restartPolicy"]);
        each(&mut s, "containers", container);
        each(&mut s, "initContainers", container);
        s
    });
    let state = |st: &Value| {
        let mut st = keep(st, &["running", "waiting", "terminated"]);
        at(&mut st, "terminated", |t| keep(t, &["exitCode", "signal", "reason", "message", "startedAt", "finishedAt"]));
        st
    };
    let container_status = |cs: &Value| {
        let mut cs = keep(cs, &["name", "image", "imageID", "ready", "restartCount", "started", "state", "lastState"]);
        at(&mut cs, "state", state);
        at(&mut cs, "lastState", state);
        cs
    };
    at(&mut out, "status", |s| {
        let mut s = keep(s, &["phase", "conditions", "containerStatuses", "initContainerStatuses", "startTime", "reason", "message", "podIP", "hostIP"]);
        each(&mut s, "conditions", |c| keep(c, &["type", "status", "reason", "message", "lastTransitionTime"]));
        each(&mut s, "containerStatuses", container_status);
        each(&mut s, "initContainerStatuses", container_status);
        s
    });
    out
}

/// The sample pods, their `@now` timestamps resolved.
fn sample_pods() -> Vec<(String, Value)> {
    sample_documents()
        .into_iter()
        .filter(|(_, doc)| doc["kind"] == "Pod")
        .map(|(file, mut doc)| {
            resolve_now(&mut doc);
            (file, doc)
        })
        .collect()
}

#[test]
fn slim_pods_read_every_sample_pod_and_keep_what_it_says() {
    let pods = sample_pods();
    assert!(pods.len() >= 20, "{} sample pods", pods.len());
    for (file, doc) in pods {
        let bytes = serde_json::to_vec(&doc).expect("bytes");
        let full: Pod = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{file} as a Pod: {e}"));
        let slim: SlimPod = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{file} as a SlimPod: {e}"));
        let from_value: SlimPod = serde_json::from_value(doc.clone()).expect("from a value");
        assert_eq!(slim, from_value, "{file}");
        let full = serde_json::to_value(&full).expect("json");
        let kept = serde_json::to_value(&slim).expect("json");
        assert_eq!(kept, expected(&full), "{file}: a SlimPod keeps these fields of the pod, unchanged");
        assert_eq!(slim.metadata.name.as_deref(), full["metadata"]["name"].as_str(), "{file}");
    }
}

#[test]
fn slim_pods_leave_out_what_costs_memory_and_is_never_shown() {
    let doc = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": "web-1", "namespace": "shop", "uid": "u-1", "resourceVersion": "7", "generateName": "web-",
            "labels": {"app": "web"},
            "annotations": {"team": "shop", "kubectl.kubernetes.io/last-applied-configuration": "{\"a\": [1, 2, {\"b\": null}]}"},
            "managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}],
        },
        "spec": {
            "volumes": [{"name": "data", "emptyDir": {}}],
            "containers": [{"name": "web", "image": "web:1", "env": [{"name": "A", "value": "b"}], "resources": {"requests": {"memory": "70Mi", "cpu": "100m"}}}],
            "tolerations": [{"key": "k", "operator": "Exists"}],
        },
        "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.1"}], "containerStatuses": [{"name": "web", "image": "web:1", "imageID": "", "ready": true, "restartCount": 0, "volumeMounts": [{"name": "data", "mountPath": "/d"}]}]},
    });
    let slim: SlimPod = serde_json::from_value(doc).expect("slim");
    let json = serde_json::to_value(&slim).expect("json");
    assert_eq!(json["metadata"], json!({"name": "web-1", "namespace": "shop", "uid": "u-1", "resourceVersion": "7", "labels": {"app": "web"}, "annotations": {"team": "shop"}}));
    assert_eq!((slim.annotations.get("team"), slim.metadata.annotations.as_ref()), (Some("shop"), None), "annotations are kept beside the ObjectMeta");
    assert_eq!(json["spec"], json!({"containers": [{"name": "web", "image": "web:1", "resources": {"requests": {"cpu": "100m", "memory": "70Mi"}}}]}));
    assert_eq!(json["status"], json!({"phase": "Running", "containerStatuses": [{"name": "web", "image": "web:1", "imageID": "", "ready": true, "restartCount": 0}]}));
    let spec = slim.spec.as_ref().expect("spec");
    assert_eq!(spec.containers.capacity(), 1, "no spare list capacity");
    let requests = spec.containers[0].resources.as_ref().and_then(|r| r.requests.as_ref()).expect("requests");
    assert_eq!(requests.get("memory").map(|q| q.0.as_str()), Some("70Mi"));
}

#[test]
fn slim_pods_are_pods_to_kube_and_never_fail_on_odd_input() {
    assert_eq!(SlimPod::url_path(&(), Some("shop")), "/api/v1/namespaces/shop/pods");
    assert_eq!(SlimPod::url_path(&(), None), "/api/v1/pods");
    assert_eq!((SlimPod::kind(&()), SlimPod::api_version(&())), ("Pod".into(), "v1".into()));
    // Missing or null parts, and a bookmark's bare metadata, read as empty.
    let now: Timestamp = "2026-04-11T12:00:00Z".parse().expect("now");
    for odd in [
        json!({}),
        json!({"metadata": null, "spec": null, "status": null}),
        json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": "12"}}),
        json!({"spec": {"containers": null, "initContainers": null}, "status": {"conditions": null, "containerStatuses": [{}], "initContainerStatuses": null}}),
        json!({"metadata": {"annotations": {"a": null}}, "status": {"containerStatuses": [{"state": {"terminated": {}}, "lastState": {"terminated": {"reason": "OOMKilled"}}}]}}),
    ] {
        let pod: SlimPod = serde_json::from_value(odd.clone()).unwrap_or_else(|e| panic!("{odd}: {e}"));
        let _ = health::pod_status(&pod, now);
        let _ = health::detect_pod_errors(&pod, now);
    }
    // Well-known condition words point to one static copy; others are kept as written.
    let pod: SlimPod = serde_json::from_value(json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}, {"type": "example.com/Warm", "status": null}]}})).expect("pod");
    let status = pod.status.expect("status");
    let conditions = status.conditions.expect("conditions");
    assert_eq!((&conditions[0].type_, &conditions[0].status), (&Word::Known("Ready"), &Word::Known("True")));
    assert_eq!((conditions[1].type_.as_str(), conditions[1].status.as_str()), ("example.com/Warm", ""));
    assert!(matches!(conditions[1].type_, Word::Other(_)));
    assert_eq!(status.phase, Some(Word::Known("Running")));
}
