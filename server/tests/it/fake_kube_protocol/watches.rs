//! WATCH through `Api::watch`, and kube-runtime's watcher + reflector on top.

use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, WatchEvent, WatchParams};
use kube::runtime::watcher;
use serde_json::json;

use super::{ID, Reflector, eventually, fake, pod, within};

fn describe(event: &WatchEvent<Pod>) -> String {
    match event {
        WatchEvent::Added(p) => format!("ADDED {}", p.metadata.name.clone().unwrap_or_default()),
        WatchEvent::Modified(p) => format!("MODIFIED {}", p.metadata.name.clone().unwrap_or_default()),
        WatchEvent::Deleted(p) => format!("DELETED {}", p.metadata.name.clone().unwrap_or_default()),
        WatchEvent::Bookmark(b) => format!("BOOKMARK {}", b.metadata.resource_version),
        WatchEvent::Error(s) => format!("ERROR {} {}", s.code, s.reason),
    }
}

#[tokio::test]
async fn watch_replays_history_then_streams_live_events() {
    let (kube, client) = fake().await;
    kube.apply(pod("a", "default", &[(ID, "x")]));
    let after_a = kube.resource_version().to_string();
    kube.apply(pod("b", "default", &[(ID, "x")]));
    kube.apply(pod("other", "default", &[(ID, "y")]));
    kube.set_bookmark_interval(Duration::from_millis(500));
    let api: Api<Pod> = Api::all(client);
    let stream = api.watch(&WatchParams::default().labels(&format!("{ID}=x")).timeout(3), &after_a).await.expect("watch");
    let mut stream = std::pin::pin!(stream);
    // The next event, BOOKMARKs skipped unless `bookmark` (they come every second).
    let mut next_of = async |bookmark: bool| loop {
        let event = describe(&within("event", Duration::from_secs(2), stream.next()).await.expect("open").expect("event"));
        if bookmark == event.starts_with("BOOKMARK") {
            return event;
        }
    };
    assert_eq!(next_of(false).await, "ADDED b", "replayed from the history after the version");
    let mut b = kube.get("pods", "default", "b").expect("b");
    b["status"]["phase"] = json!("Failed");
    kube.apply(b.clone());
    assert_eq!(next_of(false).await, "MODIFIED b");
    b["metadata"]["labels"][ID] = json!("z");
    kube.apply(b.clone());
    assert_eq!(next_of(false).await, "DELETED b", "an object that stops matching the selector is DELETED");
    b["metadata"]["labels"][ID] = json!("x");
    kube.apply(b);
    assert_eq!(next_of(false).await, "ADDED b", "and ADDED when it matches again");
    kube.apply(pod("c", "default", &[(ID, "y")]));
    kube.delete("pod", "default", "a");
    assert_eq!(next_of(false).await, "DELETED a");
    let last = kube.resource_version();
    assert_eq!(next_of(true).await, format!("BOOKMARK {last}"), "bookmarks carry the latest version, filtered changes included");
    kube.bookmark_now();
    assert_eq!(next_of(true).await, format!("BOOKMARK {last}"));
    // timeoutSeconds=3: the server ends the stream (after a last bookmark).
    let rest: Vec<String> = within("stream end", Duration::from_secs(4), stream.by_ref().collect::<Vec<_>>()).await
        .iter().map(|e| describe(e.as_ref().expect("event"))).collect();
    assert!(rest.iter().all(|e| e.starts_with("BOOKMARK")), "{rest:?}");

    let from_zero = api.watch(&WatchParams::default().timeout(1).disable_bookmarks(), "0").await.expect("watch");
    let events: Vec<String> = from_zero.map(|e| describe(&e.expect("event"))).collect().await;
    assert_eq!(events, ["ADDED b", "ADDED c", "ADDED other"], "version 0: the current objects as ADDED");
    assert_eq!(kube.requests_for("watch", "pods"), 2);
    assert_eq!(kube.requests_for("list", "pods"), 0);
}

#[tokio::test]
async fn watch_from_a_compacted_version_gets_410_expired_in_the_stream() {
    let (kube, client) = fake().await;
    kube.apply(pod("a", "default", &[]));
    let old = kube.resource_version().to_string();
    kube.expire_history();
    let api: Api<Pod> = Api::all(client);
    let stream = api.watch(&WatchParams::default(), &old).await.expect("HTTP 200 even when expired");
    let events: Vec<String> = within("410", Duration::from_secs(2), stream.map(|e| describe(&e.expect("event"))).collect()).await;
    assert_eq!(events, ["ERROR 410 Expired"]);
    let current = kube.resource_version().to_string();
    let stream = api.watch(&WatchParams::default().timeout(1).disable_bookmarks(), &current).await.expect("watch");
    assert_eq!(stream.count().await, 0, "a current version still watches");
}

#[tokio::test]
async fn reflector_lists_in_pages_then_follows_changes() {
    let (kube, client) = fake().await;
    for i in 0..5 {
        kube.apply(pod(&format!("p{i}"), "default", &[(ID, "x")]));
    }
    kube.apply(pod("unrelated", "default", &[(ID, "y")]));
    let config = watcher::Config::default().labels(&format!("{ID}=x")).page_size(2);
    let reflector = Reflector::start(Api::<Pod>::all(client.clone()), config);
    within("store ready", Duration::from_secs(5), reflector.store.wait_until_ready()).await.expect("ready");
    assert_eq!(reflector.names(), ["p0", "p1", "p2", "p3", "p4"]);
    assert_eq!(kube.requests_for("list", "pods"), 3, "5 objects in pages of 2");
    eventually("the watch request", Duration::from_secs(1), || kube.requests_for("watch", "pods") == 1).await;

    let mut p1 = kube.get("pods", "default", "p1").expect("p1");
    p1["status"]["phase"] = json!("Failed");
    kube.apply(p1);
    let phase = |r: &Reflector<Pod>| {
        r.store.state().iter().find(|p| p.metadata.name.as_deref() == Some("p1")).and_then(|p| p.status.clone()?.phase)
    };
    eventually("the modified pod in the store", Duration::from_secs(1), || phase(&reflector).as_deref() == Some("Failed")).await;
    kube.delete("pods", "default", "p3");
    eventually("the deleted pod gone", Duration::from_secs(1), || !reflector.names().contains(&"p3".to_owned())).await;
    kube.apply(pod("p9", "default", &[(ID, "x")]));
    kube.apply(pod("p8", "default", &[(ID, "y")]));
    eventually("the new pod in", Duration::from_secs(1), || reflector.names().contains(&"p9".to_owned())).await;
    assert_eq!(reflector.names(), ["p0", "p1", "p2", "p4", "p9"]);
    assert_eq!(kube.requests_for("list", "pods"), 3, "no relist: changes come through the one watch");
    assert_eq!(kube.requests_for("watch", "pods"), 1);
    assert_eq!(reflector.error_count(), 0, "{:?}", reflector.error_texts());
    let log = kube.request_log();
    let list_query = &log.iter().find(|r| r.verb == "list").expect("list").query;
    // kube 5's default ListSemantic::MostRecent: a consistent read, no resourceVersion.
    assert!(list_query.contains("limit=2") && !list_query.contains("resourceVersion"), "{list_query}");
    let watch_query = &log.iter().find(|r| r.verb == "watch").expect("watch").query;
    assert!(watch_query.contains("allowWatchBookmarks=true") && watch_query.contains("timeoutSeconds=290"), "{watch_query}");

    // A watch that the server ends (its timeout) is resumed from the last version, not relisted.
    kube.close_watches();
    eventually("a second watch", Duration::from_secs(2), || kube.requests_for("watch", "pods") == 2).await;
    kube.delete("pods", "default", "p0");
    eventually("p0 gone", Duration::from_secs(1), || !reflector.names().contains(&"p0".to_owned())).await;
    assert_eq!(kube.requests_for("list", "pods"), 3);
}

#[tokio::test]
async fn streaming_list_fills_the_store_without_a_list_request() {
    let (kube, client) = fake().await;
    kube.apply(pod("a", "default", &[(ID, "x")]));
    kube.apply(pod("b", "shop", &[(ID, "x")]));
    let config = watcher::Config::default().labels(&format!("{ID}=x")).streaming_lists();
    let reflector = Reflector::start(Api::<Pod>::all(client), config);
    within("store ready", Duration::from_secs(5), reflector.store.wait_until_ready()).await.expect("ready");
    assert_eq!(reflector.names(), ["a", "b"]);
    kube.apply(pod("c", "default", &[(ID, "x")]));
    eventually("c", Duration::from_secs(1), || reflector.names().len() == 3).await;
    assert_eq!(kube.requests_for("list", "pods"), 0);
    assert_eq!(kube.requests_for("watch", "pods"), 1);
}
