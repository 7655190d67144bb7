//! Portolan watching two clusters (local doubles of the Kubernetes API
//! server, fed with the real objects of `../shared/fixtures/k8s-samples`):
//! Backstage's workloads API, the Deployments tab, the fleet page, live
//! updates over SSE, a forbidden resource, a cluster that goes down and
//! comes back, a 410 — and no request to a cluster per page view.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use portolan::kubernetes::Kubernetes;
use portolan::kubernetes::cache::Connection;
use portolan::kubernetes::cluster::ClusterTarget;
use serde_json::{Value, json};

use crate::fake_kube::FakeKube;
use crate::scaffolder::api;
use crate::support::TestApp;

const SAMPLES: &str = "../shared/fixtures/k8s-samples";

/// A sample object, labelled as the example catalog's payments-service and put in `namespace`.
pub fn sample(file: &str, namespace: &str) -> Value {
    let path = crate::support::repo().join(SAMPLES).join(file);
    let (_, mut object) = crate::fake_kube::sample_objects(&path).into_iter().next().unwrap_or_else(|| panic!("no object in {file}"));
    object["metadata"]["namespace"] = json!(namespace);
    object["metadata"]["labels"]["backstage.io/kubernetes-id"] = json!("payments-service");
    if let Some(meta) = object["metadata"].as_object_mut() {
        meta.remove("resourceVersion");
        meta.remove("uid");
    }
    object
}

pub(crate) fn target(name: &str, kube: &FakeKube) -> ClusterTarget {
    ClusterTarget { name: name.into(), title: Some(format!("Cluster {name}")), dashboard_url: Some(format!("https://dash.example.com/{name}")), dashboard_app: None, config: kube.config(), auth_provider: "serviceAccount".into() }
}

/// Two clusters (`eu` with a crash-looping pod and a progressing deployment,
/// `us` with a healthy pod) watched by an app over the example catalog.
pub struct Fleet {
    pub app: TestApp,
    pub kubernetes: Arc<Kubernetes>,
    pub eu: Arc<FakeKube>,
    pub us: Arc<FakeKube>,
    _stop: tokio::sync::watch::Sender<bool>,
}

pub async fn fleet() -> Fleet {
    let (eu, _) = FakeKube::start().await;
    let (us, _) = FakeKube::start().await;
    eu.apply(sample("argoproj__gitops-engine/pkg/health/testdata/pod-crashloop.yaml", "payments"));
    eu.apply(sample("argoproj__gitops-engine/pkg/health/testdata/deployment-progressing.yaml", "payments"));
    us.apply(sample("flanksource__is-healthy/pkg/health/testdata/Kubernetes/Pod/healthy.yaml", "payments"));
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let kubernetes = Kubernetes::start(vec![target("eu", &eu), target("us", &us)], "backstage.io/kubernetes-id", &stop_rx);
    wait_until("both clusters connected", || kubernetes.clusters().iter().all(|c| c.connection() == Connection::Connected)).await;
    let app = TestApp::builder().with_example_catalog().with_kubernetes(Arc::clone(&kubernetes)).build().await.expect("app");
    Fleet { app, kubernetes, eu, us, _stop: stop }
}

pub async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn connection(k: &Kubernetes, cluster: &str) -> Connection {
    k.clusters().iter().find(|c| c.target.name == cluster).expect("cluster").connection()
}

#[tokio::test]
async fn workloads_api_and_pages_answer_from_the_caches() {
    let f = fleet().await;
    f.eu.reset_requests();
    f.us.reset_requests();
    let (status, body) = api(&f.app, "POST", "/api/kubernetes/resources/workloads/query", Some(json!({"entityRef": "component:default/payments-service"}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{body}");
    let eu = items.iter().find(|i| i["cluster"]["name"] == "eu").expect("eu");
    let pods = eu["resources"].as_array().expect("resources").iter().find(|r| r["type"] == "pods").expect("pods");
    assert_eq!(pods["resources"][0]["metadata"]["name"], "my-pod");
    assert_eq!(eu["cluster"]["dashboardUrl"], "https://dash.example.com/eu");
    let (status, none) = api(&f.app, "POST", "/api/kubernetes/resources/workloads/query", Some(json!({}))).await;
    assert_eq!((status, none["error"]["message"].as_str()), (StatusCode::BAD_REQUEST, Some("entity is a required field")));

    let (status, page) = f.app.get("/catalog/default/component/payments-service?tab=deployments").await;
    assert_eq!(status, StatusCode::OK);
    for expected in ["CrashLoopBackOff", "Cluster eu", "Cluster us", "my-pod", "deployments-live.js", "failed"] {
        assert!(page.contains(expected), "{expected:?} missing from the Deployments tab");
    }
    let (_, fleet_page) = f.app.get("/clusters").await;
    assert!(fleet_page.contains("Payments service") && fleet_page.contains("connected"), "the fleet page lists the unhealthy entity and the clusters");
    let (_, clusters) = api(&f.app, "GET", "/api/kubernetes/clusters", None).await;
    assert_eq!(clusters["items"][0]["name"], "eu");
    assert_eq!(clusters["items"][0]["connection"], "connected");

    for _ in 0..5 {
        f.app.get("/catalog/default/component/payments-service?tab=deployments").await;
        f.app.get("/clusters").await;
    }
    assert_eq!(f.eu.requests() + f.us.requests(), 0, "page views and API calls make no request to a cluster: {:?}", f.eu.request_log());
}

/// The data of the next `status` event of an SSE stream.
pub(crate) async fn next_status(stream: &mut reqwest::Response, buffer: &mut String) -> String {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            if frame.contains("event: status") {
                return frame.lines().filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:"))).collect::<Vec<_>>().join("\n");
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk()).await.expect("an event within 10 s").expect("chunk").expect("stream open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn a_change_in_a_cluster_reaches_the_open_page_within_a_second() {
    let f = fleet().await;
    let base = f.app.serve().await;
    let response = reqwest::get(format!("{base}/api/kubernetes/entities/default/component/payments-service/events?format=html")).await.expect("sse");
    assert_eq!(response.status(), 200);
    let mut stream = response;
    let mut buffer = String::new();
    let first = next_status(&mut stream, &mut buffer).await;
    assert!(first.contains("my-pod") && !first.contains("hotfix-pod"), "{first}");
    let mut pod = sample("flanksource__is-healthy/pkg/health/testdata/Kubernetes/Pod/healthy.yaml", "payments");
    pod["metadata"]["name"] = json!("hotfix-pod");
    let sent = Instant::now();
    f.us.apply(pod);
    let next = next_status(&mut stream, &mut buffer).await;
    let took = sent.elapsed();
    assert!(next.contains("hotfix-pod"), "{next}");
    eprintln!("MEASURED: cluster change → SSE status on the page in {} ms", took.as_millis());
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

#[tokio::test]
async fn a_forbidden_resource_and_a_cluster_that_goes_down_leave_the_others_alone() {
    let f = fleet().await;
    f.us.forbid("deployments");
    f.us.close_watches();
    wait_until("us is partial", || connection(&f.kubernetes, "us") == Connection::Partial).await;
    assert_eq!(connection(&f.kubernetes, "eu"), Connection::Connected);
    let (_, body) = api(&f.app, "POST", "/api/kubernetes/resources/workloads/query", Some(json!({"entityRef": "component:default/payments-service"}))).await;
    let us = body["items"].as_array().expect("items").iter().find(|i| i["cluster"]["name"] == "us").cloned().expect("us");
    assert_eq!(us["errors"][0]["errorType"], "UNAUTHORIZED_ERROR", "{us}");
    assert_eq!(us["errors"][0]["resourcePath"], "/apis/apps/v1/deployments");
    f.us.allow("deployments");

    f.eu.set_down(true);
    wait_until("eu is down", || connection(&f.kubernetes, "eu") == Connection::Down).await;
    assert_ne!(connection(&f.kubernetes, "us"), Connection::Down);
    let (_, page) = f.app.get("/clusters").await;
    assert!(page.contains("down"), "the fleet page says eu is down");
    f.eu.set_down(false);
    wait_until("eu is back", || connection(&f.kubernetes, "eu") == Connection::Connected).await;

    // 410 Gone: the watcher lists again and the cache stays right.
    f.us.expire_history();
    let mut pod = sample("flanksource__is-healthy/pkg/health/testdata/Kubernetes/Pod/healthy.yaml", "payments");
    pod["metadata"]["name"] = json!("after-410");
    f.us.apply(pod);
    let us = Arc::clone(&f.kubernetes);
    wait_until("the pod made after the 410 is cached", move || us.clusters()[1].stores.pods.state().iter().any(|p| p.metadata.name.as_deref() == Some("after-410"))).await;
    let _ = Path::new(SAMPLES);
}
