//! The failure modes: RBAC 403, 401 without the token, 503, cluster down,
//! and compaction (410) — each seen through kube's client and watcher.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::runtime::watcher;
use serde_json::json;

use super::{ID, Reflector, eventually, fake, pod, within};

fn api_code(error: &kube::Error) -> Option<u16> {
    match error {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

#[tokio::test]
async fn a_forbidden_resource_answers_403_and_the_watcher_reports_it() {
    let (kube, client) = fake().await;
    kube.apply(pod("a", "default", &[(ID, "x")]));
    kube.forbid("pods");
    let pods: Api<Pod> = Api::all(client.clone());
    let error = pods.list(&ListParams::default()).await.expect_err("403");
    let kube::Error::Api(status) = &error else { panic!("{error:?}") };
    assert_eq!((status.code, status.reason.as_str()), (403, "Forbidden"));
    assert!(status.message.contains("cannot list resource \"pods\""), "{}", status.message);
    let deployments: Api<Deployment> = Api::all(client.clone());
    deployments.list(&ListParams::default()).await.expect("other resources still answer");

    let reflector = Reflector::start(pods, watcher::Config::default().labels(&format!("{ID}=x")));
    eventually("a watcher error", Duration::from_secs(2), || reflector.error_count() > 0).await;
    let first = reflector.errors.lock().expect("errors").remove(0);
    match &first {
        watcher::Error::InitialListFailed(e) => assert_eq!(api_code(e), Some(403)),
        other => panic!("expected InitialListFailed(403), got {other:?}"),
    }
    assert!(reflector.store.state().is_empty());
    kube.allow("pods");
    within("store ready after allow", Duration::from_secs(8), reflector.store.wait_until_ready()).await.expect("ready");
    assert_eq!(reflector.names(), ["a"]);
}

#[tokio::test]
async fn a_required_token_answers_401_without_it() {
    let (kube, client) = fake().await;
    kube.require_token(Some("fake-kube-token"));
    let pods: Api<Pod> = Api::all(client);
    let error = pods.list(&ListParams::default()).await.expect_err("401");
    assert_eq!(api_code(&error), Some(401), "{error:?}");
    let mut config = kube.config();
    config.auth_info = serde_json::from_value(json!({"token": "fake-kube-token"})).expect("auth info");
    let pods: Api<Pod> = Api::all(kube::Client::try_from(config).expect("client"));
    pods.list(&ListParams::default()).await.expect("with the token");
    let last = kube.request_log().pop().expect("request");
    assert_eq!(last.authorization.as_deref(), Some("Bearer fake-kube-token"));
}

#[tokio::test]
async fn a_503_is_retried_by_kube_unless_default_retry_is_off() {
    let (kube, client) = fake().await;
    kube.apply(pod("a", "default", &[]));
    kube.set_unavailable(true);
    let mut config = kube.config();
    config.default_retry = false;
    let no_retry: Api<Pod> = Api::all(kube::Client::try_from(config).expect("client"));
    let error = within("503", Duration::from_secs(2), no_retry.list(&ListParams::default())).await.expect_err("503");
    assert_eq!(api_code(&error), Some(503), "{error:?}");
    assert_eq!(kube.requests_for("list", "pods"), 1);

    let retrying: Api<Pod> = Api::all(client);
    let pending = tokio::spawn(async move { retrying.list(&ListParams::default()).await });
    eventually("kube's own retries", Duration::from_secs(3), || kube.requests_for("list", "pods") >= 4).await;
    assert!(!pending.is_finished(), "the caller is still waiting while kube retries");
    kube.set_unavailable(false);
    let list = within("the retried list", Duration::from_secs(10), pending).await.expect("join").expect("list");
    assert_eq!(list.items.len(), 1);
}

/// Starts a ready reflector on three labelled pods.
async fn watched() -> (std::sync::Arc<crate::fake_kube::FakeKube>, Reflector<Pod>) {
    let (kube, client) = fake().await;
    for name in ["a", "b", "c"] {
        kube.apply(pod(name, "default", &[(ID, "x")]));
    }
    let reflector = Reflector::start(Api::<Pod>::all(client), watcher::Config::default().labels(&format!("{ID}=x")));
    within("store ready", Duration::from_secs(5), reflector.store.wait_until_ready()).await.expect("ready");
    eventually("watching", Duration::from_secs(1), || kube.requests_for("watch", "pods") == 1).await;
    (kube, reflector)
}

/// While the cluster is down: `a` fails, `b` goes, `d` comes.
fn change_during_outage(kube: &crate::fake_kube::FakeKube) {
    let mut a = kube.get("pods", "default", "a").expect("a");
    a["status"]["phase"] = json!("Failed");
    kube.apply(a);
    kube.delete("pods", "default", "b");
    kube.apply(pod("d", "default", &[(ID, "x")]));
}

fn caught_up(reflector: &Reflector<Pod>) -> bool {
    let failed = reflector.store.state().iter().any(|p| {
        p.metadata.name.as_deref() == Some("a") && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Failed")
    });
    failed && reflector.names() == ["a", "c", "d"]
}

#[tokio::test]
async fn an_outage_gives_errors_then_the_watch_resumes_from_the_history() {
    let (kube, reflector) = watched().await;
    kube.set_down(true);
    eventually("errors while down", Duration::from_secs(3), || reflector.error_count() > 0).await;
    let refused = reflector.errors.lock().expect("errors").iter().any(|e| matches!(e, watcher::Error::WatchStartFailed(_)));
    assert!(refused, "{:?}", reflector.error_texts());
    change_during_outage(&kube);
    assert_eq!(reflector.names(), ["a", "b", "c"], "nothing reaches the store while down");
    kube.set_down(false);
    eventually("caught up after the outage", Duration::from_secs(10), || caught_up(&reflector)).await;
    assert_eq!(kube.requests_for("list", "pods"), 1, "resumed by watching from its version: no relist");
}

#[tokio::test]
async fn compaction_during_an_outage_gives_410_and_a_relist() {
    let (kube, reflector) = watched().await;
    kube.set_down(true);
    eventually("errors while down", Duration::from_secs(3), || reflector.error_count() > 0).await;
    change_during_outage(&kube);
    kube.expire_history();
    kube.set_down(false);
    eventually("caught up after the relist", Duration::from_secs(10), || caught_up(&reflector)).await;
    assert_eq!(kube.requests_for("list", "pods"), 2, "one relist");
    let expired = reflector.errors.lock().expect("errors").iter().any(|e| matches!(e, watcher::Error::WatchError(s) if s.code == 410));
    assert!(expired, "{:?}", reflector.error_texts());
}

#[tokio::test]
async fn rbac_revoked_mid_watch_keeps_the_old_store_and_retries_the_watch() {
    let (kube, reflector) = watched().await;
    kube.forbid("pods");
    kube.close_watches();
    eventually("a 403 on the re-watch", Duration::from_secs(3), || {
        reflector.errors.lock().expect("errors").iter().any(|e| matches!(e, watcher::Error::WatchStartFailed(k) if api_code(k) == Some(403)))
    })
    .await;
    assert_eq!(reflector.names(), ["a", "b", "c"], "kube keeps serving the last known objects");
    kube.apply(pod("d", "default", &[(ID, "x")]));
    kube.allow("pods");
    eventually("resumed after allow", Duration::from_secs(10), || reflector.names().len() == 4).await;
    assert_eq!(kube.requests_for("list", "pods"), 1, "a 403 on watch does not relist");
}
