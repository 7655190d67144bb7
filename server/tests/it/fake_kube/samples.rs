//! Reading sample objects (YAML multi-doc, JSON, `List` wrappers) and
//! converting them to the version the fake stores, as the API server does.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

/// The objects in the sample files under `path` (a file or a folder, searched
/// recursively for `.yaml`, `.yml`, `.json`), each with its file, in path order.
/// `List`/`PodList`… wrappers are unpacked; empty documents are skipped; a kind
/// filed under the wrong API group gets the group that serves it; is-healthy's
/// relative times (`"@now-5m"`, `@now-1d`: s, m, h, d) become real ones.
pub fn sample_objects(path: impl AsRef<Path>) -> Vec<(PathBuf, Value)> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(path.as_ref())
        .into_iter()
        .map(|entry| entry.expect("readable samples").into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json"))
        .collect();
    files.sort();
    let mut objects = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let documents: Vec<Value> = if file.extension().is_some_and(|e| e == "json") {
            vec![serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))]
        } else {
            serde_norway::Deserializer::from_str(&text)
                .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", file.display())))
                .collect()
        };
        for document in documents.into_iter().filter(|d| !d.is_null()) {
            for object in unwrap_list(document) {
                let mut object = fix_group(object);
                resolve_now(&mut object, k8s_openapi::jiff::Timestamp::now());
                objects.push((file.clone(), object));
            }
        }
    }
    objects
}

/// The items of a `*List` document (their `apiVersion`/`kind` filled in from the
/// list's when missing), or the document itself.
fn unwrap_list(document: Value) -> Vec<Value> {
    let kind = document["kind"].as_str().unwrap_or_default().to_owned();
    let Some(list_of) = kind.strip_suffix("List") else { return vec![document] };
    let Some(items) = document["items"].as_array() else { return vec![document] };
    let api_version = document["apiVersion"].clone();
    items
        .iter()
        .map(|item| {
            let mut item = item.clone();
            if item.get("kind").is_none() && !list_of.is_empty() {
                item["kind"] = json!(list_of);
                item["apiVersion"] = api_version.clone();
            }
            item
        })
        .collect()
}

/// Replaces every `@now[+-]N{s,m,h,d}` string with that time, RFC 3339 to the second.
fn resolve_now(value: &mut Value, now: k8s_openapi::jiff::Timestamp) {
    match value {
        Value::String(text) => {
            if let Some(rest) = text.strip_prefix("@now") {
                let offset = if rest.is_empty() {
                    Some(0)
                } else {
                    let (sign, rest) = rest.split_at(1);
                    let (number, unit) = rest.split_at(rest.len().saturating_sub(1));
                    let seconds = match unit { "s" => 1, "m" => 60, "h" => 3600, "d" => 86_400, _ => 0 };
                    let number: i64 = number.parse().unwrap_or(0);
                    match sign { "-" => Some(-number * seconds), "+" => Some(number * seconds), _ => None }.filter(|_| seconds > 0)
                };
                if let Some(offset) = offset {
                    let at = now.saturating_add(k8s_openapi::jiff::SignedDuration::from_secs(offset)).expect("time in range");
                    *text = at.round(k8s_openapi::jiff::Unit::Second).unwrap_or(at).to_string();
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| resolve_now(v, now)),
        Value::Object(map) => map.values_mut().for_each(|v| resolve_now(v, now)),
        _ => {}
    }
}

/// A served kind under a group that does not have it (k9s's `rs.json` says
/// `networking.k8s.io/v1` ReplicaSet) gets the group that serves it, which is
/// what `kubectl apply` would have needed; anything else is left as is.
fn fix_group(mut object: Value) -> Value {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let kind = object["kind"].as_str().unwrap_or_default();
    if super::resources::by_object(api_version, kind).is_none()
        && let Some(served) = super::resources::RESOURCES.iter().find(|r| r.kind == kind)
    {
        object["apiVersion"] = json!(served.api_version());
    }
    object
}

const HPA_CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";

/// An `autoscaling/v1` HorizontalPodAutoscaler converted to `autoscaling/v2` the
/// way the API server converts it (CPU target and utilisation, conditions kept in
/// the `autoscaling.alpha.kubernetes.io/conditions` annotation); anything else as is.
pub fn to_storage_version(mut object: Value) -> Value {
    if object["apiVersion"] != "autoscaling/v1" || object["kind"] != "HorizontalPodAutoscaler" {
        return object;
    }
    object["apiVersion"] = json!("autoscaling/v2");
    if let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut)
        && let Some(target) = spec.remove("targetCPUUtilizationPercentage")
    {
        let metric = json!({"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}});
        spec.insert("metrics".into(), json!([metric]));
    }
    let conditions = object
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
        .and_then(|annotations| annotations.remove(HPA_CONDITIONS))
        .and_then(|text| serde_json::from_str::<Value>(text.as_str()?).ok());
    if object.get("status").is_none_or(Value::is_null) {
        object["status"] = json!({});
    }
    let status = object["status"].as_object_mut().expect("status is an object");
    if let Some(current) = status.remove("currentCPUUtilizationPercentage") {
        let metric = json!({"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": current}}});
        status.insert("currentMetrics".into(), json!([metric]));
    }
    if let Some(conditions) = conditions {
        status.insert("conditions".into(), conditions);
    }
    object
}
