//! A benchmark, `#[ignore]`d so that it runs only when asked:
//!
//! ```text
//! cargo test --release -p portolan --test it bench_watch_10k_pods -- --ignored --nocapture
//! ```
//!
//! Two clusters (local doubles of the Kubernetes API server) with 10,000 pods
//! in all, built from a real pod sample and spread over 500 services (the
//! example catalog's 19 `backstage.io/kubernetes-id`s among them), half of
//! the services with a Deployment and a ReplicaSet owning their pods. Prints
//! `MEASURED:` lines for the memory of the caches, the latency from a watch
//! event to the SSE message of the entity it changes, and the requests made
//! to the clusters per page view. It asserts only that the caches hold every
//! pod and that page views make no request; timings are printed, not judged.
//! The cache memory is the growth of the process's resident memory while the
//! watchers list and sync (the fake API servers, filled before, live in the
//! same process: what they allocate to answer the lists counts too).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use k8s_openapi::api::core::v1::Pod;
use portolan::kubernetes::Kubernetes;
use portolan::kubernetes::cache::{ClusterCache, Connection};
use portolan::kubernetes::pod::SlimPod;
use serde_json::{Value, json};

use crate::fake_kube::FakeKube;
use crate::kubernetes::{next_status, target};
use crate::scaffolder::api;
use crate::support::TestApp;

const SAMPLES: &str = "../shared/fixtures/k8s-samples/flanksource__is-healthy/pkg/health/testdata/Kubernetes";
const PODS_PER_CLUSTER: usize = 5_000;
const SERVICES: usize = 500;
/// The example catalog's `backstage.io/kubernetes-id`s; the other services are `svc-NNN`.
const CATALOG_IDS: &[&str] = &[
    "payments-service", "api-gateway", "notification-service", "feature-flag-service", "subscription-service", "invoice-generator",
    "legacy-billing-gateway", "trip-service", "pricing-service", "station-service", "trip-receipts-worker", "legacy-trip-export",
    "rider-bff", "account-service", "maintenance-service", "rebalancing-planner", "dock-gateway", "telemetry-processor", "geofence-service",
];

fn sample(file: &str) -> Value {
    let path = crate::support::repo().join(SAMPLES).join(file);
    let (_, mut object) = crate::fake_kube::sample_objects(&path).into_iter().next().unwrap_or_else(|| panic!("no object in {file}"));
    if let Some(meta) = object["metadata"].as_object_mut() {
        for field in ["uid", "resourceVersion", "ownerReferences"] {
            meta.remove(field);
        }
    }
    object
}

fn service_id(i: usize) -> String {
    CATALOG_IDS.get(i).map_or_else(|| format!("svc-{i:03}"), |id| (*id).to_owned())
}

fn namespace_of(i: usize) -> String {
    if i == 0 { "payments".to_owned() } else { format!("team-{:02}", i % 25) }
}

fn owner(object: &Value) -> Value {
    json!([{
        "apiVersion": object["apiVersion"], "kind": object["kind"], "name": object["metadata"]["name"],
        "uid": object["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true,
    }])
}

/// The pod `n` of service `i` in `cluster`.
fn pod(template: &Value, cluster: &str, i: usize, n: usize, owner_rs: Option<&Value>) -> Value {
    let id = service_id(i);
    let mut pod = template.clone();
    let hash = format!("{:010x}", (i * 7_919 + 13) % 0xff_ffff_ffff);
    let name = format!("{id}-{cluster}-{hash}-{n:04}");
    pod["metadata"]["name"] = json!(name);
    pod["metadata"]["generateName"] = json!(format!("{id}-{cluster}-{hash}-"));
    pod["metadata"]["namespace"] = json!(namespace_of(i));
    pod["metadata"]["labels"] = json!({"app.kubernetes.io/name": id, "pod-template-hash": hash, "backstage.io/kubernetes-id": id});
    pod["spec"]["containers"][0]["name"] = json!(id);
    pod["status"]["containerStatuses"][0]["name"] = json!(id);
    pod["status"]["podIP"] = json!(format!("10.{}.{}.{}", i % 250, n / 250, n % 250));
    pod["status"]["podIPs"] = json!([{"ip": pod["status"]["podIP"]}]);
    if let Some(rs) = owner_rs {
        pod["metadata"]["ownerReferences"] = owner(rs);
    }
    pod
}

/// Fills one cluster: 5,000 pods, and for the even services a Deployment and a
/// ReplicaSet owning theirs. Returns the size of the stored objects as JSON.
fn fill(kube: &FakeKube, cluster: &str) -> usize {
    let mut bytes = 0;
    let mut apply = |object: Value| {
        let stored = kube.apply(object);
        bytes += serde_json::to_vec(&stored).map_or(0, |v| v.len());
        stored
    };
    let pod_template = sample("Pod/healthy.yaml");
    let deployment_template = sample("Deployment/healthy.yaml");
    let rs_template = sample("ReplicaSet/healthy.yml");
    let per_service = PODS_PER_CLUSTER / SERVICES;
    for i in 0..SERVICES {
        let id = service_id(i);
        let labels = json!({"app.kubernetes.io/name": id, "backstage.io/kubernetes-id": id});
        let rs = (i % 2 == 0).then(|| {
            let mut d = deployment_template.clone();
            d["metadata"]["name"] = json!(id);
            d["metadata"]["namespace"] = json!(namespace_of(i));
            d["metadata"]["labels"] = labels.clone();
            d["spec"]["replicas"] = json!(per_service);
            for field in ["replicas", "readyReplicas", "availableReplicas", "updatedReplicas"] {
                d["status"][field] = json!(per_service);
            }
            let d = apply(d);
            let mut rs = rs_template.clone();
            let hash = format!("{:010x}", (i * 7_919 + 13) % 0xff_ffff_ffff);
            rs["metadata"]["name"] = json!(format!("{id}-{cluster}-{hash}"));
            rs["metadata"]["namespace"] = json!(namespace_of(i));
            rs["metadata"]["labels"] = labels.clone();
            rs["metadata"]["ownerReferences"] = owner(&d);
            rs["spec"]["replicas"] = json!(per_service);
            for field in ["replicas", "readyReplicas", "availableReplicas", "fullyLabeledReplicas"] {
                rs["status"][field] = json!(per_service);
            }
            apply(rs)
        });
        for n in 0..per_service {
            apply(pod(&pod_template, cluster, i, n, rs.as_ref()));
        }
    }
    bytes
}

/// VmRSS of this process, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: u64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).expect("VmRSS");
    kb * 1024
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// The cached objects of one cluster, serialized as JSON: (objects, bytes).
fn cached_json(cache: &ClusterCache) -> (usize, usize) {
    fn size<K: serde::Serialize + kube::Resource<DynamicType = ()> + Clone>(store: &kube::runtime::reflector::Store<K>) -> (usize, usize) {
        let state = store.state();
        (state.len(), state.iter().map(|o| serde_json::to_vec(o.as_ref()).map_or(0, |v| v.len())).sum())
    }
    let s = &cache.stores;
    let parts = [
        size(&s.pods),
        size(&s.services),
        size(&s.deployments),
        size(&s.replicasets),
        size(&s.statefulsets),
        size(&s.daemonsets),
        size(&s.hpas),
        size(&s.ingresses),
        size(&s.jobs),
        size(&s.cronjobs),
    ];
    parts.iter().fold((0, 0), |(n, b), (pn, pb)| (n + pn, b + pb))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

/// Times `views` calls of `view` (each returning OK), as (p50, p99).
async fn time_views<F, Fut>(views: usize, mut view: F) -> (Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StatusCode>,
{
    let mut times = Vec::with_capacity(views);
    for _ in 0..views {
        let started = Instant::now();
        assert_eq!(view().await, StatusCode::OK);
        times.push(started.elapsed());
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: cargo test --release -p portolan --test it bench_watch_10k_pods -- --ignored --nocapture"]
async fn bench_watch_10k_pods() {
    let (eu, _) = FakeKube::start().await;
    let (us, _) = FakeKube::start().await;
    let filled = Instant::now();
    let source_json = fill(&eu, "eu") + fill(&us, "us");
    eprintln!("MEASURED: filled the two fake clusters in {} ms", filled.elapsed().as_millis());

    // (a) Memory of the caches.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let kubernetes = Kubernetes::start(vec![target("eu", &eu), target("us", &us)], "backstage.io/kubernetes-id", &stop_rx);
    let k = Arc::clone(&kubernetes);
    wait_for("both clusters synced with 5,000 pods each", Duration::from_secs(300), move || {
        k.clusters().iter().all(|c| c.connection() == Connection::Connected && c.stores.pods.len() == PODS_PER_CLUSTER)
    })
    .await;
    eprintln!("MEASURED: initial list of 2 × {PODS_PER_CLUSTER} pods (+ deployments, replicasets) synced in {} ms", started.elapsed().as_millis());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = rss();
    let pods: usize = kubernetes.clusters().iter().map(|c| c.stores.pods.len()).sum();
    assert_eq!(pods, 2 * PODS_PER_CLUSTER, "the caches hold all 10,000 pods");
    let (objects, json_bytes) = kubernetes.clusters().iter().map(|c| cached_json(c)).fold((0, 0), |(n, b), (cn, cb)| (n + cn, b + cb));
    eprintln!(
        "MEASURED: cache memory: RSS {:.1} MB before the watchers, {:.1} MB synced → {:.1} MB for {objects} cached objects ({:.0} bytes/object)",
        mb(before),
        mb(after),
        mb(after.saturating_sub(before)),
        after.saturating_sub(before) as f64 / objects as f64,
    );
    eprintln!(
        "MEASURED: cached objects serialized as JSON (as cached): {:.1} MB ({:.0} bytes/object); the same objects as served by the API servers: {:.1} MB",
        mb(json_bytes as u64),
        json_bytes as f64 / objects as f64,
        mb(source_json as u64)
    );

    let app = TestApp::builder().with_example_catalog().with_kubernetes(Arc::clone(&kubernetes)).build().await.expect("app");
    let base = app.serve().await;

    // (b) Latency: watch event → SSE status event carrying the change.
    let url = format!("{base}/api/kubernetes/entities/default/component/payments-service/events?format=html");
    let mut stream = reqwest::get(&url).await.expect("sse");
    assert_eq!(stream.status(), 200);
    let mut buffer = String::new();
    let first = next_status(&mut stream, &mut buffer).await;
    let name = {
        let pods = kubernetes.clusters()[1].stores.pods.state();
        let mut names: Vec<String> = pods
            .iter()
            .filter(|p| p.metadata.labels.as_ref().and_then(|l| l.get("backstage.io/kubernetes-id")).is_some_and(|id| id == "payments-service"))
            .filter_map(|p| p.metadata.name.clone())
            .collect();
        names.sort();
        names.into_iter().next().expect("a payments-service pod in us")
    };
    assert!(first.contains(&name), "the first status shows {name}");
    eprintln!("MEASURED: one status event of payments-service (HTML panel): {} bytes", first.len());
    let comments = regex::Regex::new("<!--[^>]*-->").expect("regex");
    let mut latencies = Vec::new();
    let mut watch_to_sse = Vec::new();
    let mut changes = kubernetes.subscribe();
    for restarts in 1..=200 {
        let mut object = us.get("pods", "payments", &name).expect("the pod");
        object["metadata"].as_object_mut().expect("metadata").remove("resourceVersion");
        object["status"]["containerStatuses"][0]["restartCount"] = json!(restarts);
        let marker = format!("class=\"restarts restarts-some\">{restarts}</td>");
        let sent = Instant::now();
        us.apply(object);
        let at = loop {
            let status = next_status(&mut stream, &mut buffer).await;
            if comments.replace_all(&status, "").contains(&marker) {
                break Instant::now();
            }
        };
        latencies.push(at - sent);
        // When the watcher saw the event (the change's own timestamp), for the split.
        let mut seen = None;
        while let Ok(change) = changes.try_recv() {
            if change.plural == "pods" && change.labels.as_ref().is_some_and(|l| l.get("backstage.io/kubernetes-id").is_some_and(|v| v == "payments-service")) {
                seen = Some(change.at);
            }
        }
        if let Some(seen) = seen {
            watch_to_sse.push(at.saturating_duration_since(seen));
        }
    }
    latencies.sort();
    watch_to_sse.sort();
    eprintln!(
        "MEASURED: apply → SSE status with the change, 200 changes: p50 {} ms, p99 {} ms, max {} ms",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies[latencies.len() - 1])
    );
    if !watch_to_sse.is_empty() {
        eprintln!(
            "MEASURED: of which watch event received → SSE status: p50 {} ms, p99 {} ms",
            ms(percentile(&watch_to_sse, 0.5)),
            ms(percentile(&watch_to_sse, 0.99))
        );
    }
    drop(stream);

    // (c) Requests to the API servers per page view, and the views' times.
    eu.reset_requests();
    us.reset_requests();
    let views = 100;
    let (tab50, tab99) = time_views(views, || async { app.get("/catalog/default/component/payments-service?tab=deployments").await.0 }).await;
    let (fleet50, fleet99) = time_views(views, || async { app.get("/clusters").await.0 }).await;
    let body = json!({"entityRef": "component:default/payments-service"});
    let (api50, api99) = time_views(views, || async { api(&app, "POST", "/api/kubernetes/resources/workloads/query", Some(body.clone())).await.0 }).await;
    let requests = eu.requests() + us.requests();
    eprintln!("MEASURED: requests to the API servers per page view: {} ({requests} in {} views of the Deployments tab, /clusters and the workloads API)", requests as f64 / (3 * views) as f64, 3 * views);
    eprintln!(
        "MEASURED: view times p50/p99: Deployments tab {}/{} ms, /clusters {}/{} ms, workloads API {}/{} ms",
        ms(tab50),
        ms(tab99),
        ms(fleet50),
        ms(fleet99),
        ms(api50),
        ms(api99)
    );
    assert_eq!(requests, 0, "page views make no request to a cluster: {:?}", eu.request_log().iter().chain(us.request_log().iter()).take(5).collect::<Vec<_>>());
    drop(stop);

    // What 10,000 such pods cost as structs alone, as k8s-openapi's `Pod`
    // and as the caches' `SlimPod` — measured last, so that the memory these
    // probes free is not reused by the caches measured above (which would
    // make them look smaller than they are). Here, in turn, memory the run
    // freed may be reused: these figures are floors.
    let template = sample("Pod/healthy.yaml");
    let texts: Vec<String> = (0..2 * PODS_PER_CLUSTER)
        .map(|n| {
            let mut object = pod(&template, if n % 2 == 0 { "eu" } else { "us" }, n % SERVICES, n / SERVICES, None);
            object["metadata"]["uid"] = json!(format!("00000000-0000-4000-8000-{n:012}"));
            object["metadata"]["resourceVersion"] = json!((2000 + n).to_string());
            object.to_string()
        })
        .collect();
    fn probe<T: serde::de::DeserializeOwned + serde::Serialize>(texts: &[String]) -> (Vec<Arc<T>>, u64, usize) {
        let before = rss();
        let objects: Vec<Arc<T>> = texts.iter().map(|t| Arc::new(serde_json::from_str(t).expect("a pod"))).collect();
        let bytes = rss().saturating_sub(before);
        let json = serde_json::to_vec(objects[0].as_ref()).map_or(0, |v| v.len());
        (objects, bytes, json)
    }
    let (full, full_bytes, json_full) = probe::<Pod>(&texts);
    let (slim, slim_bytes, json_slim) = probe::<SlimPod>(&texts);
    eprintln!(
        "MEASURED: 10,000 pods as structs alone (RSS growth, a floor): {:.1} MB as k8s-openapi Pods ({:.0} bytes/pod, {json_full} as JSON), {:.1} MB as SlimPods ({:.0} bytes/pod, {json_slim} as JSON); size_of Pod {} B, SlimPod {} B, slim Container {} B, slim ContainerStatus {} B",
        mb(full_bytes),
        full_bytes as f64 / full.len() as f64,
        mb(slim_bytes),
        slim_bytes as f64 / slim.len() as f64,
        std::mem::size_of::<Pod>(),
        std::mem::size_of::<SlimPod>(),
        std::mem::size_of::<portolan::kubernetes::pod::Container>(),
        std::mem::size_of::<portolan::kubernetes::pod::ContainerStatus>(),
    );
    drop((full, slim));

}
