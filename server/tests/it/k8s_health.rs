//! The health engine (`portolan::kubernetes::health`) over the 41 real
//! Kubernetes objects files in `shared/fixtures/k8s-samples` (Argo CD's,
//! Flanksource's, k9s's and Popeye's test fixtures, see SOURCES.md there).
//! Pods are read as the watch caches keep them, [`SlimPod`]s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::{v1 as hpa_v1, v2 as hpa_v2};
use portolan::kubernetes::health::{self, Health, Timestamp};
use portolan::kubernetes::pod::SlimPod;
use serde_json::Value;

/// A fixed "now", one year after the newest timestamp in the samples
/// (2025-04-11, is-healthy's progress-deadline-exceeded.yaml), so every
/// age-based rule gives the same answer on every run.
const NOW: &str = "2026-04-11T12:00:00Z";

fn now() -> Timestamp {
    NOW.parse().expect("NOW")
}

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/k8s-samples")
}

/// One object of a sample file, typed.
#[derive(Debug, Clone)]
enum Obj {
    Pod(Box<SlimPod>),
    Deployment(Box<Deployment>),
    ReplicaSet(Box<ReplicaSet>),
    Hpa(Box<hpa_v2::HorizontalPodAutoscaler>),
}

#[derive(Debug, Clone)]
struct Sample {
    /// Path below `k8s-samples/`.
    file: String,
    name: String,
    annotations: BTreeMap<String, String>,
    obj: Obj,
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read_dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// is-healthy's fixtures write some timestamps as `@now`, `@now-5m`,
/// `@now-2h`, `@now-5d` (its test harness substitutes them); they are
/// resolved against [`NOW`] the same way.
pub(crate) fn resolve_now(value: &mut Value) {
    match value {
        Value::String(s) if s.starts_with("@now") => {
            let offset = s.trim_start_matches("@now").trim_start_matches('-');
            let seconds = if offset.is_empty() {
                0
            } else {
                let (n, unit) = offset.split_at(offset.len() - 1);
                let n: i64 = n.parse().expect("@now offset");
                n * match unit {
                    "s" => 1,
                    "m" => 60,
                    "h" => 3600,
                    "d" => 86_400,
                    other => panic!("unit {other}"),
                }
            };
            *s = Timestamp::from_second(now().as_second() - seconds)
                .expect("ts")
                .to_string();
        }
        Value::Array(items) => items.iter_mut().for_each(resolve_now),
        Value::Object(map) => map.values_mut().for_each(resolve_now),
        _ => {}
    }
}

fn typed(file: &str, mut v: Value) -> Sample {
    resolve_now(&mut v);
    let kind = v["kind"].as_str().unwrap_or_default().to_owned();
    let api_version = v["apiVersion"].as_str().unwrap_or_default().to_owned();
    if kind == "ReplicaSet" && api_version != "apps/v1" {
        // k9s's rs.json says `networking.k8s.io/v1` (a slip upstream); this
        // is the one correction made to the data.
        v["apiVersion"] = Value::from("apps/v1");
    }
    let name = v["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let annotations = v["metadata"]["annotations"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    fn parse<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> T {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{what}: {e}"))
    }
    let what = format!("{file}: {kind} {name}");
    let obj = match (kind.as_str(), api_version.as_str()) {
        ("Pod", _) => Obj::Pod(Box::new(parse(v, &what))),
        ("Deployment", _) => Obj::Deployment(Box::new(parse(v, &what))),
        ("ReplicaSet", _) => Obj::ReplicaSet(Box::new(parse(v, &what))),
        ("HorizontalPodAutoscaler", "autoscaling/v1") => {
            let old: hpa_v1::HorizontalPodAutoscaler = parse(v, &what);
            Obj::Hpa(Box::new(health::hpa_from_v1(&old)))
        }
        ("HorizontalPodAutoscaler", _) => Obj::Hpa(Box::new(parse(v, &what))),
        _ => panic!("{file}: unexpected kind {kind}"),
    };
    Sample {
        file: file.to_owned(),
        name,
        annotations,
        obj,
    }
}

/// Every object of every sample file: YAML documents (is-healthy's
/// deployment-rollout-failed-unhealthy.yaml has `status:` twice; as with
/// Kubernetes' own YAML-to-JSON reading, the last one wins), JSON files, and
/// the items of `List` / `PodList` wrappers.
fn samples() -> Vec<Sample> {
    sample_documents()
        .into_iter()
        .map(|(file, doc)| typed(&file, doc))
        .collect()
}

/// Every object of every sample file as JSON, with the file it is in.
pub(crate) fn sample_documents() -> Vec<(String, Value)> {
    let root = samples_dir();
    let mut paths = Vec::new();
    files(&root, &mut paths);
    assert_eq!(paths.len(), 42, "41 sample files and SOURCES.md");
    let mut out = Vec::new();
    for path in paths
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "SOURCES.md"))
    {
        let file = path
            .strip_prefix(&root)
            .expect("prefix")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(path).expect("read");
        let docs: Vec<Value> = if file.ends_with(".json") {
            vec![serde_json::from_str(&text).expect("json")]
        } else {
            serde_norway::Deserializer::from_str(&text)
                .map(|d| {
                    serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{file}: {e}"))
                })
                .filter(|v: &Value| !v.is_null())
                .collect()
        };
        for doc in docs {
            if doc["kind"].as_str().is_some_and(|k| k.ends_with("List")) {
                for item in doc["items"].as_array().into_iter().flatten() {
                    out.push((file.clone(), item.clone()));
                }
            } else {
                out.push((file.clone(), doc));
            }
        }
    }
    out
}

/// The engine's verdict on one sample object on its own (no related
/// objects given).
fn verdict(s: &Sample) -> (Health, String) {
    match &s.obj {
        Obj::Pod(p) => {
            let st = health::pod_status(p, now());
            (st.health, st.reason)
        }
        Obj::Deployment(d) => {
            let st = health::deployment_status(d, &[], &[], now());
            (st.health, st.reason)
        }
        Obj::ReplicaSet(rs) => {
            let st = health::replicaset_status(rs, &[], now());
            (st.health, st.reason)
        }
        Obj::Hpa(h) => {
            let st = health::hpa_status(h, now());
            (st.health, st.reason)
        }
    }
}

fn find<'a>(all: &'a [Sample], file_end: &str, name: &str) -> &'a Sample {
    all.iter()
        .find(|s| s.file.ends_with(file_end) && s.name == name)
        .unwrap_or_else(|| panic!("no sample {file_end} {name}"))
}

fn pod(s: &Sample) -> &SlimPod {
    match &s.obj {
        Obj::Pod(p) => p,
        other => panic!("{} is not a pod: {other:?}", s.file),
    }
}

fn deployment(s: &Sample) -> &Deployment {
    match &s.obj {
        Obj::Deployment(d) => d,
        other => panic!("{} is not a deployment: {other:?}", s.file),
    }
}

fn replicaset(s: &Sample) -> &ReplicaSet {
    match &s.obj {
        Obj::ReplicaSet(r) => r,
        other => panic!("{} is not a replicaset: {other:?}", s.file),
    }
}

fn hpa(s: &Sample) -> &hpa_v2::HorizontalPodAutoscaler {
    match &s.obj {
        Obj::Hpa(h) => h,
        other => panic!("{} is not an HPA: {other:?}", s.file),
    }
}

const ARGO: &str = "argoproj__gitops-engine/pkg/health/testdata/";

/// What every object of every sample gets, judged on its own at [`NOW`].
#[test]
fn every_sample_gets_its_verdict() {
    use Health::*;
    let expected: &[(&str, &str, Health)] = &[
        ("deployment-degraded.yaml", "guestbook-ui", Degraded),
        ("deployment-progressing.yaml", "guestbook-ui", Progressing),
        ("deployment-suspended.yaml", "guestbook-ui", Healthy),
        ("hpa-v1-degraded.yaml", "sample", Degraded),
        ("hpa-v2-degraded.yaml", "sample", Degraded),
        ("hpa-v2-progressing.yaml", "sample", Healthy),
        ("pod-crashloop.yaml", "my-pod", Failed),
        ("pod-error.yaml", "my-pod", Failed),
        ("pod-failed.yaml", "my-pod", Failed),
        (
            "pod-imagepullbackoff.yaml",
            "guestbook-ui-errimagepullbackoff-66cfffb669-45w2j",
            Failed,
        ),
        // Pending since 2018 with its container still PodInitializing.
        ("pod-pending.yaml", "image-pull-backoff", Failed),
        // Running, never ready since 2018, readiness probe long overdue.
        ("pod-running-not-ready.yaml", "never-ready", Failed),
        ("k9s/internal/render/testdata/dp.json", "icx-db", Healthy),
        ("k9s/internal/render/testdata/hpa.json", "nginx", Degraded),
        ("k9s/internal/render/testdata/po.json", "nginx", Healthy),
        (
            "k9s/internal/render/testdata/rs.json",
            "icx-db-7d4b578979",
            Healthy,
        ),
        ("apps/rs/1.yaml", "rs1", Healthy),
        // 1 of 2 replicas exists, none available, no creation time to tell
        // start-up from failure.
        ("apps/rs/1.yaml", "rs2", Progressing),
        ("autoscaling/hpa/1.yaml", "hpa1", Healthy),
        ("autoscaling/hpa/1.yaml", "hpa2", Healthy),
        ("autoscaling/hpa/1.yaml", "hpa3", Healthy),
        ("autoscaling/hpa/1.yaml", "hpa4", Healthy),
        ("autoscaling/hpa/1.yaml", "hpa5", Healthy),
        ("autoscaling/hpa/1.yaml", "hpa6", Healthy),
        // Popeye's pods say `phase: Running` and nothing else.
        ("core/pod/3.yaml", "p1", Unknown),
        ("core/pod/3.yaml", "p2", Unknown),
        ("Deployment/deployment-failed.yaml", "karina", Failed),
        (
            "Deployment/deployment-rollout-failed-unhealthy.yaml",
            "guestbook-ui",
            Degraded,
        ),
        (
            "Deployment/deployment-rollout-failed.yaml",
            "guestbook-ui",
            Progressing,
        ),
        (
            "Deployment/deployment-scaling-up.yaml",
            "podinfo",
            Progressing,
        ),
        ("Deployment/healthy.yaml", "nginx-deployment", Healthy),
        (
            "Deployment/progress-deadline-exceeded.yaml",
            "bad-image-deployment",
            Failed,
        ),
        (
            "Pod/container-creating.yaml",
            "image-pull-backoff",
            Progressing,
        ),
        ("Pod/crashloopbackoff.yaml", "my-pod", Failed),
        ("Pod/evicted.yaml", "evicted-pod", Degraded),
        ("Pod/healthy.yaml", "coredns-7448775847-fswg4", Healthy),
        (
            "Pod/not-ready.yaml",
            "postgresql-01902bbe-eb40-47d4-a0f7-0afb993645dc-0",
            Failed,
        ),
        ("Pod/oomkilled-old.yaml", "oomkilled-pod", Healthy),
        ("Pod/oomkilled-unhealthy.yaml", "oomkilled-pod", Failed),
        ("Pod/oomkilled-warning.yaml", "oomkilled-pod", Degraded),
        (
            "Pod/pod-crashloop-pending.yaml",
            "crashloop-deployment-6bf9b7b858-m9882",
            Failed,
        ),
        ("Pod/pod-never-ready.yaml", "slow-start-pod", Failed),
        ("Pod/start-error.yaml", "run-migrations-jn647", Failed),
        (
            "Pod/terminating-stuck.yaml",
            "alert-manager-qzc65",
            Degraded,
        ),
        ("ReplicaSet/failed-create.yaml", "karina-c7585bd87", Failed),
        ("ReplicaSet/healthy.yml", "ittools-5fbf458f49", Healthy),
        // 0/1 ready since 2024; its pods (not in the file) are not needed to
        // call a ReplicaSet missing its only replica for a year failed.
        (
            "ReplicaSet/starting.yaml",
            "failing-deployment-866585899d",
            Failed,
        ),
        (
            "ReplicaSet/unhealthy.yaml",
            "failing-deployment-866585899d",
            Failed,
        ),
    ];
    let all = samples();
    assert_eq!(all.len(), expected.len(), "every object is listed once");
    let mut wrong = Vec::new();
    for s in &all {
        let (got, reason) = verdict(s);
        assert!(!reason.is_empty(), "{}: empty reason", s.file);
        let want = expected
            .iter()
            .find(|(f, n, _)| s.file.replace("derailed__", "").ends_with(f) && *n == s.name)
            .unwrap_or_else(|| panic!("{} {} is not listed", s.file, s.name));
        if want.2 != got {
            wrong.push(format!(
                "{} {}: expected {:?}, got {got:?} ({reason})",
                s.file, s.name, want.2
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Whether our verdict says what is-healthy's `expected-health` says. Its
/// vocabulary has no "progressing": a rollout in flight is `healthy` with
/// `expected-ready: false`, a starting pod is `unknown`.
fn agrees(expected: &str, ready: Option<&str>, got: Health) -> bool {
    match expected {
        "healthy" => {
            got == Health::Healthy || (got == Health::Progressing && ready == Some("false"))
        }
        "unknown" => matches!(got, Health::Unknown | Health::Progressing),
        "warning" => got == Health::Degraded,
        "unhealthy" => got == Health::Failed,
        other => panic!("unknown expected-health {other}"),
    }
}

/// Every Flanksource fixture's `expected-health` against our verdict. The
/// annotations are a second opinion, not Kubernetes truth; where we differ
/// on purpose the reason is written here and the difference is asserted, so
/// a change of mind shows up.
#[test]
fn flanksource_annotations_agree_except_where_documented() {
    let deliberate: &[(&str, &str)] = &[(
        // is-healthy: warning ("Rolling Out"). The rollout is mid-flight
        // (2 of 3 updated, 1 available) and the file holds no pods and no
        // condition timestamps, so nothing shows it is stuck: Available=False
        // is what every scale-up and first rollout passes through, and it
        // is the progress deadline (absent here) that says when waiting
        // turns into a problem. We say Progressing; with failing pods given
        // the same Deployment turns Degraded.
        "Deployment/deployment-scaling-up.yaml",
        "podinfo",
    )];
    let mut compared = 0;
    let mut problems = Vec::new();
    for s in samples()
        .iter()
        .filter(|s| s.file.starts_with("flanksource"))
    {
        let Some(expected) = s.annotations.get("expected-health") else {
            continue;
        };
        // ReplicaSet/healthy.yml publishes `healthy"` with a stray quote.
        let expected = expected.trim_matches('"');
        let ready = s.annotations.get("expected-ready").map(String::as_str);
        let (got, reason) = verdict(s);
        let ok = agrees(expected, ready, got);
        let on_purpose = deliberate
            .iter()
            .any(|(f, n)| s.file.ends_with(f) && *n == s.name);
        compared += 1;
        if ok == on_purpose {
            problems.push(format!(
                "{} {}: is-healthy says {expected}, we say {got:?} ({reason}){}",
                s.file,
                s.name,
                if on_purpose {
                    " — listed as a deliberate mismatch but agrees now"
                } else {
                    ""
                }
            ));
        }
    }
    assert_eq!(compared, 18, "fixtures carrying expected-health");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Argo's crash-looping pod gives Backstage's two pod errors, serialized
/// exactly as Backstage's `DetectedError`s.
#[test]
fn crashloop_pod_errors_are_backstages() {
    let all = samples();
    let p = pod(find(&all, &format!("{ARGO}pod-crashloop.yaml"), "my-pod"));
    let errors = serde_json::to_value(health::detect_pod_errors(p, now())).expect("json");
    let source = serde_json::json!({"name": "my-pod", "namespace": "argocd", "kind": "Pod", "apiGroup": "v1"});
    assert_eq!(
        errors,
        serde_json::json!([
            {
                "type": "container-waiting",
                "severity": 4,
                "message": "Back-off 40s restarting failed container=main pod=my-pod_argocd(63674389-f613-11e8-a057-fe5f49266390)",
                "proposedFix": {
                    "errorType": "CrashLoopBackOff",
                    "rootCauseExplanation": "The container main has crashed many times, it will be exponentially restarted until it stops crashing",
                    "actions": ["Check the crash logs for stacktraces"],
                    "type": "logs",
                    "container": "main"
                },
                "sourceRef": source,
                "occurrenceCount": 1
            },
            {
                "type": "containers-restarting",
                "severity": 4,
                "message": "container=main restarted 3 times",
                "proposedFix": {
                    "errorType": "Error",
                    "rootCauseExplanation": "This container has exited with a non-zero exit code (1)",
                    "actions": ["Check the crash logs for stacktraces"],
                    "type": "logs",
                    "container": "main"
                },
                "sourceRef": source,
                "occurrenceCount": 3
            }
        ])
    );
    let st = health::pod_status(p, now());
    assert_eq!(st.health, Health::Failed);
    assert_eq!(st.waiting_reason.as_deref(), Some("CrashLoopBackOff"));
    assert!(
        st.reason
            .starts_with("main: CrashLoopBackOff: Back-off 40s"),
        "{}",
        st.reason
    );
    assert_eq!(
        (
            st.ready,
            st.ready_containers,
            st.total_containers,
            st.restarts
        ),
        (false, 0, 1, 3)
    );
    assert_eq!(
        st.last_termination.map(|t| t.summary).as_deref(),
        Some("Error (exit code 1)")
    );
}

#[test]
fn image_pull_backoff_gets_the_docs_fix() {
    let all = samples();
    let p = pod(find(
        &all,
        "pod-imagepullbackoff.yaml",
        "guestbook-ui-errimagepullbackoff-66cfffb669-45w2j",
    ));
    let errors = health::detect_pod_errors(p, now());
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(
        (e.error_type.as_str(), e.severity, e.occurrence_count),
        ("container-waiting", 4, 1)
    );
    assert_eq!(
        e.message,
        "Back-off pulling image \"gcr.io/heptio-images/ks-guestbook-demo:0.3\""
    );
    let fix = serde_json::to_value(e.proposed_fix.as_ref().expect("fix")).expect("json");
    assert_eq!(
        fix,
        serde_json::json!({
            "errorType": "ImagePullBackOff",
            "rootCauseExplanation": "The image either could not be found or Kubernetes does not have permission to pull it",
            "actions": ["Ensure the image name is correct", "Ensure Kubernetes has permission to pull this image"],
            "type": "docs",
            "docsLink": "https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff"
        })
    );
    let st = health::pod_status(p, now());
    assert_eq!(st.health, Health::Failed);
    assert_eq!(st.containers[0].image_id, None, "not pulled yet");
}

/// The same OOM-killed pod at three moments: not ready 2 h after the kill
/// (Failed), ready again 2 h after (Degraded), 5 days after (Healthy). The
/// Backstage error and its memory fix are there in all three.
#[test]
fn oomkilled_gets_the_memory_fix_and_fades_with_time() {
    let all = samples();
    for (file, want) in [
        ("Pod/oomkilled-unhealthy.yaml", Health::Failed),
        ("Pod/oomkilled-warning.yaml", Health::Degraded),
        ("Pod/oomkilled-old.yaml", Health::Healthy),
    ] {
        let p = pod(find(&all, file, "oomkilled-pod"));
        let st = health::pod_status(p, now());
        assert_eq!(st.health, want, "{file}: {}", st.reason);
        assert_eq!(st.restarts, 9);
        let last = st.last_termination.expect("last termination");
        assert_eq!(last.summary, "OOMKilled (exit code 1)", "{file}");
        let errors = health::detect_pod_errors(p, now());
        let restarting = errors
            .iter()
            .find(|e| e.error_type == "containers-restarting")
            .expect("restarting");
        assert_eq!(restarting.message, "container=oomkilled restarted 9 times");
        assert_eq!(restarting.occurrence_count, 9);
        let fix = restarting.proposed_fix.as_ref().expect("fix");
        assert_eq!(fix.error_type, "OOMKilled");
        assert_eq!(
            fix.root_cause_explanation,
            "The container \"oomkilled\" has crashed because it has tried to use more memory that it has been allocated"
        );
        assert_eq!(
            fix.target,
            health::FixTarget::Docs {
                docs_link: "https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/#exceed-a-container-s-memory-limit".to_owned()
            }
        );
    }
    let p = pod(find(&all, "Pod/oomkilled-warning.yaml", "oomkilled-pod"));
    let reason = health::pod_status(p, now()).reason;
    assert_eq!(
        reason,
        "oomkilled restarted 9 times, last OOMKilled (exit code 1) 2h ago"
    );
}

/// Backstage's readiness rule: running, not ready, probe budget spent.
#[test]
fn readiness_probe_taking_too_long() {
    let all = samples();
    for (file, name, container) in [
        ("pod-running-not-ready.yaml", "never-ready", "main"),
        (
            "Pod/pod-never-ready.yaml",
            "slow-start-pod",
            "slow-container",
        ),
    ] {
        let p = pod(find(&all, file, name));
        let errors = health::detect_pod_errors(p, now());
        assert_eq!(errors.len(), 1, "{file}: {errors:?}");
        let e = &errors[0];
        assert_eq!(e.error_type, "readiness-probe-taking-too-long");
        assert_eq!(
            e.message,
            format!("The container {container} failed to start properly, but is not crashing")
        );
        let fix = serde_json::to_value(e.proposed_fix.as_ref().expect("fix")).expect("json");
        assert_eq!(fix["type"], "events");
        assert_eq!(fix["podName"], name);
        assert_eq!(fix["errorType"], "ReadinessProbeFailed");
        let st = health::pod_status(p, now());
        assert_eq!(st.health, Health::Failed);
        assert!(st.reason.starts_with("not ready for "), "{}", st.reason);
    }
    // Not running (pending, no state): no readiness error.
    let p = pod(find(&all, "pod-pending.yaml", "image-pull-backoff"));
    assert!(health::detect_pod_errors(p, now()).is_empty());
    // is-healthy's not-ready pod: containers ready, pod Ready=False.
    let p = pod(find(
        &all,
        "Pod/not-ready.yaml",
        "postgresql-01902bbe-eb40-47d4-a0f7-0afb993645dc-0",
    ));
    let st = health::pod_status(p, now());
    assert!(
        st.reason.contains("the pod's Ready condition is False"),
        "{}",
        st.reason
    );
    assert_eq!((st.ready_containers, st.total_containers), (1, 1));
}

/// Init containers, eviction, stuck termination, start errors, images.
#[test]
fn pod_details() {
    let all = samples();
    let st = health::pod_status(
        pod(find(
            &all,
            "Pod/pod-crashloop-pending.yaml",
            "crashloop-deployment-6bf9b7b858-m9882",
        )),
        now(),
    );
    assert_eq!(st.health, Health::Failed);
    assert_eq!(
        st.reason,
        "init container crashloop-init failed: Error (exit code 1), restarted 1 time"
    );
    assert_eq!(st.init_containers.len(), 1);
    assert_eq!(st.init_containers[0].restarts, 1);
    assert_eq!(st.waiting_reason.as_deref(), Some("PodInitializing"));

    let st = health::pod_status(pod(find(&all, "Pod/evicted.yaml", "evicted-pod")), now());
    assert!(st.evicted);
    assert_eq!(st.health, Health::Degraded);
    assert!(
        st.reason
            .starts_with("evicted: The node was low on resource: memory."),
        "{}",
        st.reason
    );

    let st = health::pod_status(
        pod(find(
            &all,
            "Pod/terminating-stuck.yaml",
            "alert-manager-qzc65",
        )),
        now(),
    );
    let t = st.terminating.as_ref().expect("terminating");
    assert!(t.stuck);
    assert_eq!(st.health, Health::Degraded);
    assert_eq!(st.reason, "stuck terminating for 1y past its deadline");

    let st = health::pod_status(
        pod(find(&all, "Pod/start-error.yaml", "run-migrations-jn647")),
        now(),
    );
    assert_eq!(st.health, Health::Failed);
    assert_eq!(st.reason, "failed: migrations: StartError (exit code 128)");

    let st = health::pod_status(
        pod(find(
            &all,
            "Pod/container-creating.yaml",
            "image-pull-backoff",
        )),
        now(),
    );
    assert_eq!(st.health, Health::Progressing);
    assert_eq!(st.reason, "starting (Pending): main: ContainerCreating");
    assert_eq!(st.age_seconds, Some(300));

    let st = health::pod_status(
        pod(find(&all, "Pod/healthy.yaml", "coredns-7448775847-fswg4")),
        now(),
    );
    assert_eq!(
        (st.health, st.reason.as_str()),
        (Health::Healthy, "running, 1/1 ready")
    );
    assert_eq!(
        st.node.as_deref(),
        Some("ip-10-0-5-138.eu-west-1.compute.internal")
    );
    let c = &st.containers[0];
    assert_eq!(
        c.image,
        "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.1-eksbuild.9"
    );
    assert!(matches!(
        c.state,
        health::ContainerState::Running {
            started_at: Some(_)
        }
    ));
}

/// Image references: tags, digests, registry ports, kubelet image IDs.
#[test]
fn images_and_tags() {
    assert_eq!(
        health::parse_image(
            "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.1-eksbuild.9"
        ),
        (
            "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns".to_owned(),
            Some("v1.11.1-eksbuild.9".to_owned()),
            None
        )
    );
    assert_eq!(
        health::parse_image("busybox"),
        ("busybox".to_owned(), None, None)
    );
    assert_eq!(
        health::parse_image("localhost:5000/app"),
        ("localhost:5000/app".to_owned(), None, None)
    );
    assert_eq!(
        health::parse_image("alpine:3@sha256:621c"),
        (
            "alpine".to_owned(),
            Some("3".to_owned()),
            Some("sha256:621c".to_owned())
        )
    );
    let all = samples();
    let rs = replicaset(find(&all, "ReplicaSet/healthy.yml", "ittools-5fbf458f49"));
    let coredns = pod(find(&all, "Pod/healthy.yaml", "coredns-7448775847-fswg4"));
    // An unrelated pod, given only to show how running images are listed.
    let st = health::replicaset_status(rs, &[coredns], now());
    assert_eq!(st.template_images.len(), 1);
    assert_eq!(st.template_images[0].tag.as_deref(), Some("latest"));
    assert_eq!(st.running_images.len(), 1);
    let running = &st.running_images[0];
    assert_eq!(running.tag.as_deref(), Some("v1.11.1-eksbuild.9"));
    assert_eq!(
        running.digest.as_deref(),
        Some("sha256:9bd83563b3843c9cb02c29b7935b4fdbc93bd74c4c96bc2688b87fb4f761f040")
    );
    assert_eq!(running.pods, 1);
}

/// Argo's stalled Deployment: Backstage's condition error (severity 6) and a
/// stalled rollout that still has its one replica available.
#[test]
fn deployment_degraded_is_stalled() {
    let all = samples();
    let d = deployment(find(
        &all,
        &format!("{ARGO}deployment-degraded.yaml"),
        "guestbook-ui",
    ));
    let errors = serde_json::to_value(health::detect_deployment_errors(d)).expect("json");
    assert_eq!(
        errors,
        serde_json::json!([{
            "type": "condition-message-present",
            "severity": 6,
            "message": "ReplicaSet \"guestbook-ui-75dd4d49d5\" has timed out progressing.",
            "sourceRef": {"name": "guestbook-ui", "namespace": "default", "kind": "Deployment", "apiGroup": "apps/v1"},
            "occurrenceCount": 1
        }])
    );
    let st = health::deployment_status(d, &[], &[], now());
    let r = st.rollout.as_ref().expect("rollout");
    assert_eq!(r.state, health::RolloutState::Stalled);
    assert!(r.stalled && r.observed && !r.paused);
    assert_eq!(
        (
            r.desired,
            r.current,
            r.updated,
            r.ready,
            r.available,
            r.unavailable
        ),
        (1, 2, 1, 1, 1, 1)
    );
    assert_eq!(r.revision.as_deref(), Some("4"));
    assert_eq!(st.health, Health::Degraded);
    assert_eq!(
        st.reason,
        "rollout stalled (1/1 available): ReplicaSet \"guestbook-ui-75dd4d49d5\" has timed out progressing."
    );
    assert_eq!(st.errors.len(), 1);
}

#[test]
fn deployment_progressing_and_paused() {
    let all = samples();
    let st = health::deployment_status(
        deployment(find(
            &all,
            &format!("{ARGO}deployment-progressing.yaml"),
            "guestbook-ui",
        )),
        &[],
        &[],
        now(),
    );
    assert_eq!(st.health, Health::Progressing);
    assert_eq!(
        st.rollout.as_ref().map(|r| r.state),
        Some(health::RolloutState::Progressing)
    );
    assert_eq!(
        st.reason,
        "rolling out: 1/1 updated, 1/1 available, 1 old pending termination"
    );
    assert!(st.errors.is_empty());

    let st = health::deployment_status(
        deployment(find(
            &all,
            &format!("{ARGO}deployment-suspended.yaml"),
            "guestbook-ui",
        )),
        &[],
        &[],
        now(),
    );
    let r = st.rollout.as_ref().expect("rollout");
    assert!(r.paused);
    assert_eq!(r.state, health::RolloutState::Paused);
    assert_eq!(
        (st.health, st.reason.as_str()),
        (Health::Healthy, "rollout paused, 1/1 available")
    );

    let st = health::deployment_status(
        deployment(find(&all, "Deployment/healthy.yaml", "nginx-deployment")),
        &[],
        &[],
        now(),
    );
    assert_eq!(
        st.rollout.as_ref().map(|r| r.state),
        Some(health::RolloutState::Complete)
    );
    assert_eq!(
        (st.health, st.reason.as_str()),
        (Health::Healthy, "1/1 available")
    );
    assert_eq!(st.template_images[0].tag.as_deref(), Some("1.7.9"));
}

/// A rollout whose new pod cannot pull its image: the pod (labelled
/// `app: guestbook-ui`, which the Deployment selects) makes it Degraded,
/// not merely Progressing, and its errors join the Deployment's.
#[test]
fn rollout_with_a_failing_pod_is_degraded() {
    let all = samples();
    let d = deployment(find(
        &all,
        &format!("{ARGO}deployment-progressing.yaml"),
        "guestbook-ui",
    ));
    let p = pod(find(
        &all,
        "pod-imagepullbackoff.yaml",
        "guestbook-ui-errimagepullbackoff-66cfffb669-45w2j",
    ));
    let st = health::deployment_status(d, &[], &[p], now());
    assert_eq!(st.health, Health::Degraded);
    assert!(st.reason.starts_with("rolling out: 1/1 updated, 1/1 available, 1 old pending termination; pod guestbook-ui-errimagepullbackoff-66cfffb669-45w2j: errimagepullbackoff: ImagePullBackOff"), "{}", st.reason);
    assert_eq!(st.pods.len(), 1);
    assert_eq!(
        st.errors
            .iter()
            .map(|e| e.error_type.as_str())
            .collect::<Vec<_>>(),
        ["container-waiting"]
    );
    assert_eq!(st.running_images.len(), 1);
    assert_eq!(st.running_images[0].image_id, None);
    // Its container (`errimagepullbackoff`) is not the template's
    // (`guestbook-ui`): it came from another ReplicaSet whose labels the
    // selector also matches, so it says nothing about "since when".
    assert_eq!(st.since, None);

    // The same pod beside the stalled Deployment with no replica available: Failed.
    let d = deployment(find(
        &all,
        "Deployment/progress-deadline-exceeded.yaml",
        "bad-image-deployment",
    ));
    assert_eq!(
        health::deployment_status(d, &[], &[p], now()).health,
        Health::Failed
    );
}

/// is-healthy's karina Deployment and its ReplicaSet, both refused pods by
/// a missing service account.
#[test]
fn replica_failure_and_since_from_the_current_replicaset() {
    let all = samples();
    let d = deployment(find(&all, "Deployment/deployment-failed.yaml", "karina"));
    let rs = replicaset(find(
        &all,
        "ReplicaSet/failed-create.yaml",
        "karina-c7585bd87",
    ));
    let unrelated = replicaset(find(&all, "ReplicaSet/healthy.yml", "ittools-5fbf458f49"));
    let st = health::deployment_status(d, &[unrelated, rs], &[], now());
    let message = "pods \"karina-c7585bd87-\" is forbidden: error looking up service account platform-system/karina: serviceaccount \"karina\" not found";
    let r = st.rollout.as_ref().expect("rollout");
    assert_eq!(r.replica_failure.as_deref(), Some(message));
    assert!(r.stalled);
    assert_eq!(st.health, Health::Failed);
    assert_eq!(
        st.reason,
        format!("cannot create pods (0/1 available): {message}")
    );
    // The ReplicaSet owned by uid, not the newer unrelated one.
    assert_eq!(
        st.since.map(|t| t.0.to_string()).as_deref(),
        Some("2023-05-10T08:11:03Z")
    );
    assert_eq!(st.template_images[0].tag.as_deref(), Some("v0.51.1"));
    // Backstage reports the two False conditions, not ReplicaFailure (True).
    let messages: Vec<&str> = st.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Deployment does not have minimum availability.",
            "ReplicaSet \"karina-c7585bd87\" has timed out progressing."
        ]
    );
    let st = health::replicaset_status(rs, &[], now());
    assert_eq!(
        (st.health, st.reason),
        (
            Health::Failed,
            format!("cannot create pods (0/1 available): {message}")
        )
    );

    // k9s's Deployment and its ReplicaSet (revision 1 on both).
    let d = deployment(find(&all, "k9s/internal/render/testdata/dp.json", "icx-db"));
    let rs = replicaset(find(
        &all,
        "k9s/internal/render/testdata/rs.json",
        "icx-db-7d4b578979",
    ));
    let st = health::deployment_status(d, &[rs], &[], now());
    assert_eq!(st.health, Health::Healthy);
    assert_eq!(
        st.since.map(|t| t.0.to_string()).as_deref(),
        Some("2019-07-14T04:54:17Z")
    );
    assert_eq!(st.template_images[0].image, "postgres:9.2-alpine");
    assert_eq!(st.template_images[0].tag.as_deref(), Some("9.2-alpine"));
}

#[test]
fn hpas() {
    let all = samples();
    let st = health::hpa_status(
        hpa(find(&all, &format!("{ARGO}hpa-v2-degraded.yaml"), "sample")),
        now(),
    );
    assert_eq!(st.health, Health::Degraded);
    assert!(
        st.reason.starts_with(
            "cannot scale: the HPA controller was unable to get the target's current scale"
        ),
        "{}",
        st.reason
    );
    let s = st.scaling.as_ref().expect("scaling");
    assert_eq!(
        (
            s.able_to_scale,
            s.scaling_active,
            s.scaling_limited,
            s.at_max
        ),
        (Some(false), Some(true), Some(false), false)
    );
    assert_eq!(s.target, "Deployment/argocd-server");
    assert!(st.errors.is_empty());

    let st = health::hpa_status(
        hpa(find(
            &all,
            &format!("{ARGO}hpa-v2-progressing.yaml"),
            "sample",
        )),
        now(),
    );
    assert_eq!(
        (st.health, st.reason.as_str()),
        (Health::Healthy, "1 replica (min 1, max 2)")
    );

    // autoscaling/v1 with its conditions in the alpha annotation.
    let h = hpa(find(&all, &format!("{ARGO}hpa-v1-degraded.yaml"), "sample"));
    let st = health::hpa_status(h, now());
    assert_eq!(st.health, Health::Degraded);
    assert!(
        st.reason.starts_with(
            "cannot compute replicas: the HPA was unable to compute the replica count"
        ),
        "{}",
        st.reason
    );
    assert_eq!(
        serde_json::to_value(&st.errors).expect("json"),
        serde_json::json!([{
            "type": "hpa-max-current-replicas",
            "severity": 8,
            "message": "Current number of replicas (1) is equal to the configured max number of replicas (1)",
            "sourceRef": {"name": "sample", "namespace": "argocd", "kind": "HorizontalPodAutoscaler", "apiGroup": "autoscaling/v2"},
            "occurrenceCount": 1
        }])
    );
    // min == max: being at max is the configuration, not a limit hit.
    assert!(!st.scaling.as_ref().expect("scaling").at_max);

    let st = health::hpa_status(
        hpa(find(&all, "k9s/internal/render/testdata/hpa.json", "nginx")),
        now(),
    );
    assert_eq!(st.health, Health::Degraded);
    assert!(
        st.reason
            .contains("deployments/scale.extensions \"nginx\" not found"),
        "{}",
        st.reason
    );
    assert_eq!(st.scaling.as_ref().and_then(|s| s.current), Some(0));

    for s in all
        .iter()
        .filter(|s| s.file.ends_with("autoscaling/hpa/1.yaml"))
    {
        let st = health::hpa_status(hpa(s), now());
        assert_eq!(
            (st.health, st.reason.as_str()),
            (Health::Healthy, "1 replica (min 1, max 10)"),
            "{}",
            s.name
        );
        assert!(st.errors.is_empty());
    }
}

/// Workload verdicts from the samples folded into entity verdicts.
#[test]
fn entity_health_worst_wins() {
    let all = samples();
    let dep = |file: &str, name: &str, cluster: &str| {
        health::deployment_status(deployment(find(&all, file, name)), &[], &[], now())
            .in_cluster(cluster)
    };
    let healthy = dep("Deployment/healthy.yaml", "nginx-deployment", "prod-eu");
    let healthy_us = dep("k9s/internal/render/testdata/dp.json", "icx-db", "prod-us");
    let rolling = dep(
        &format!("{ARGO}deployment-progressing.yaml"),
        "guestbook-ui",
        "prod-eu",
    );
    let stalled = dep(
        &format!("{ARGO}deployment-degraded.yaml"),
        "guestbook-ui",
        "prod-us",
    );
    let failed = dep(
        "Deployment/progress-deadline-exceeded.yaml",
        "bad-image-deployment",
        "staging",
    );
    let unknown = health::pod_status(pod(find(&all, "core/pod/3.yaml", "p1")), now());
    assert_eq!(unknown.health, Health::Unknown);
    let hpa_at_limit = health::hpa_status(
        hpa(find(&all, "k9s/internal/render/testdata/hpa.json", "nginx")),
        now(),
    );

    assert_eq!(
        health::entity_health(&[]),
        (Health::Unknown, "no workloads found".to_owned())
    );
    assert_eq!(
        health::entity_health(&[healthy.clone(), healthy_us.clone()]),
        (
            Health::Healthy,
            "all 2 workloads healthy across 2 clusters".to_owned()
        )
    );
    let (h, reason) = health::entity_health(&[healthy.clone(), rolling.clone()]);
    assert_eq!(h, Health::Progressing);
    assert_eq!(
        reason,
        "Deployment default/guestbook-ui in prod-eu: rolling out: 1/1 updated, 1/1 available, 1 old pending termination"
    );
    let (h, reason) = health::entity_health(&[rolling.clone(), stalled.clone(), healthy.clone()]);
    assert_eq!(h, Health::Degraded);
    assert!(
        reason.starts_with("Deployment default/guestbook-ui in prod-us: rollout stalled"),
        "{reason}"
    );
    let (h, reason) = health::entity_health(&[
        stalled.clone(),
        failed.clone(),
        healthy.clone(),
        hpa_at_limit,
    ]);
    assert_eq!(h, Health::Failed);
    assert!(reason.starts_with("Deployment mission-control/bad-image-deployment in staging: rollout stalled (0/1 available)"), "{reason}");
    let (h, reason) = health::entity_health(&[stalled.clone(), stalled.clone()]);
    assert_eq!(h, Health::Degraded);
    assert!(reason.ends_with("(and 1 more degraded)"), "{reason}");
    // A workload without status keeps the entity from being called healthy.
    let mut no_status =
        deployment(find(&all, "Deployment/healthy.yaml", "nginx-deployment")).clone();
    no_status.status = None;
    let blank = health::deployment_status(&no_status, &[], &[], now());
    assert_eq!(health::entity_health(&[healthy, blank]).0, Health::Unknown);
}

/// Every sample with its status removed, and with its metadata emptied too:
/// a verdict, never a panic.
#[test]
fn missing_status_and_metadata_never_panic() {
    for s in samples() {
        let mut stripped = s.clone();
        match &mut stripped.obj {
            Obj::Pod(p) => p.status = None,
            Obj::Deployment(d) => d.status = None,
            Obj::ReplicaSet(r) => r.status = None,
            Obj::Hpa(h) => h.status = None,
        }
        let (h, reason) = verdict(&stripped);
        // A pod deleted a year ago and still there is stuck, status or not.
        let want = if s.file.ends_with("terminating-stuck.yaml") {
            Health::Degraded
        } else {
            Health::Unknown
        };
        assert_eq!(h, want, "{} {}: {reason}", s.file, s.name);
        match &mut stripped.obj {
            Obj::Pod(p) => p.metadata = Default::default(),
            Obj::Deployment(d) => d.metadata = Default::default(),
            Obj::ReplicaSet(r) => r.metadata = Default::default(),
            Obj::Hpa(h) => h.metadata = Default::default(),
        }
        verdict(&stripped);
        if let Obj::Pod(p) = &s.obj {
            let mut bare = (**p).clone();
            bare.metadata = Default::default();
            bare.spec = None;
            let _ = health::detect_pod_errors(&bare, now());
            let _ = health::pod_status(&bare, now());
        }
    }
    let errors = health::detect_pod_errors(&SlimPod::default(), now());
    assert!(errors.is_empty());
    assert_eq!(
        health::pod_status(&SlimPod::default(), now()).health,
        Health::Unknown
    );
    assert_eq!(
        health::deployment_status(&Deployment::default(), &[], &[], now()).health,
        Health::Unknown
    );
    assert_eq!(
        health::job_status(&Default::default(), &[], now()).health,
        Health::Unknown
    );
    assert_eq!(
        health::cronjob_status(&Default::default(), &[], now()).health,
        Health::Healthy
    );
    assert_eq!(
        health::statefulset_status(&Default::default(), &[], now()).health,
        Health::Unknown
    );
    assert_eq!(
        health::daemonset_status(&Default::default(), &[], now()).health,
        Health::Unknown
    );
    assert_eq!(
        health::hpa_status(&Default::default(), now()).health,
        Health::Unknown
    );
}

/// The JSON the API returns: camelCase fields, lowercase health words.
#[test]
fn workload_status_serializes_in_camel_case() {
    let all = samples();
    let d = deployment(find(
        &all,
        &format!("{ARGO}deployment-degraded.yaml"),
        "guestbook-ui",
    ));
    let json =
        serde_json::to_value(health::deployment_status(d, &[], &[], now()).in_cluster("prod"))
            .expect("json");
    assert_eq!(json["cluster"], "prod");
    assert_eq!(json["kind"], "Deployment");
    assert_eq!(json["apiGroup"], "apps/v1");
    assert_eq!(json["health"], "degraded");
    assert_eq!(json["rollout"]["state"], "stalled");
    assert_eq!(json["rollout"]["observedGeneration"], 4);
    assert_eq!(json["rollout"]["conditions"][1]["type"], "Progressing");
    assert_eq!(
        json["rollout"]["conditions"][1]["lastTransitionTime"],
        "2018-07-18T06:29:23Z"
    );
    assert_eq!(json["templateImages"][0]["tag"], "0.3");
    assert_eq!(json["errors"][0]["sourceRef"]["apiGroup"], "apps/v1");
    let p = pod(find(&all, &format!("{ARGO}pod-crashloop.yaml"), "my-pod"));
    let json = serde_json::to_value(health::pod_status(p, now())).expect("json");
    assert_eq!(json["readyContainers"], 0);
    assert_eq!(json["containers"][0]["state"]["state"], "waiting");
    assert_eq!(json["containers"][0]["lastTermination"]["exitCode"], 1);
    assert_eq!(json["lastTermination"]["summary"], "Error (exit code 1)");
}
