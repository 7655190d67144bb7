//! LIST and GET through `kube::Api`: selectors, namespaces, pagination, raw shape.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use serde_json::{Value, json};

use super::{ID, fake, pod};

async fn names(api: &Api<Pod>, selector: &str) -> Vec<String> {
    let list = api.list(&ListParams::default().labels(selector)).await.unwrap_or_else(|e| panic!("{selector}: {e}"));
    list.items.into_iter().map(|p| p.metadata.name.unwrap_or_default()).collect()
}

#[tokio::test]
async fn label_selectors_select_like_the_api_server() {
    let (kube, client) = fake().await;
    kube.apply(pod("a", "default", &[(ID, "x"), ("tier", "web")]));
    kube.apply(pod("b", "default", &[(ID, "x"), ("tier", "db")]));
    kube.apply(pod("c", "shop", &[(ID, "y"), ("tier", "web")]));
    kube.apply(pod("d", "shop", &[("tier", "cache")]));
    let all: Api<Pod> = Api::all(client.clone());
    assert_eq!(names(&all, &format!("{ID}=x")).await, ["a", "b"]);
    assert_eq!(names(&all, &format!("{ID}==y")).await, ["c"]);
    assert_eq!(names(&all, &format!("{ID}!=x")).await, ["c", "d"], "!= also matches objects without the label");
    assert_eq!(names(&all, ID).await, ["a", "b", "c"]);
    assert_eq!(names(&all, &format!("!{ID}")).await, ["d"]);
    assert_eq!(names(&all, "tier in (web, cache)").await, ["a", "c", "d"]);
    assert_eq!(names(&all, "tier notin (web,cache)").await, ["b"]);
    assert_eq!(names(&all, &format!("{ID}=x,tier=web")).await, ["a"], "comma is AND");
    assert_eq!(names(&all, &format!("{ID} in (x,y),tier!=web")).await, ["b"]);
    let shop: Api<Pod> = Api::namespaced(client.clone(), "shop");
    assert_eq!(names(&shop, "").await, ["c", "d"]);
    assert_eq!(kube.request_log().last().and_then(|r| r.namespace.clone()).as_deref(), Some("shop"));
    let by_field = all.list(&ListParams::default().fields("metadata.namespace=shop,metadata.name!=d")).await.expect("fields");
    assert_eq!(by_field.items.len(), 1);

    let error = all.list(&ListParams::default().labels("tier in web")).await.expect_err("bad selector");
    assert!(matches!(error, kube::Error::Api(ref s) if s.code == 400), "{error:?}");
    let deployments: Api<Deployment> = Api::all(client);
    assert!(deployments.list(&ListParams::default()).await.expect("empty list").items.is_empty());
    assert_eq!(kube.requests_for("list", "pods"), 12);
    assert_eq!(kube.requests_for("list", "deployments"), 1);
    assert_eq!(kube.requests_for("watch", "pods"), 0);
}

#[tokio::test]
async fn pages_follow_continue_tokens_on_one_snapshot() {
    let (kube, client) = fake().await;
    for i in 0..7 {
        kube.apply(pod(&format!("p{i}"), "default", &[(ID, "x")]));
    }
    let api: Api<Pod> = Api::all(client);
    let first = api.list(&ListParams::default().limit(3)).await.expect("page 1");
    assert_eq!(first.items.len(), 3);
    let rv = first.metadata.resource_version.clone().expect("rv");
    assert_eq!(first.metadata.remaining_item_count, Some(4));
    // Changes between pages do not show up in the rest of this list.
    kube.apply(pod("p0b", "default", &[(ID, "x")]));
    kube.delete("pods", "default", "p5");
    let mut seen: Vec<String> = first.items.into_iter().filter_map(|p| p.metadata.name).collect();
    let mut token = first.metadata.continue_;
    while let Some(next) = token.filter(|t| !t.is_empty()) {
        let page = api.list(&ListParams::default().limit(3).continue_token(&next)).await.expect("next page");
        assert_eq!(page.metadata.resource_version.as_deref(), Some(rv.as_str()), "every page is of the first page's version");
        seen.extend(page.items.into_iter().filter_map(|p| p.metadata.name));
        token = page.metadata.continue_;
    }
    assert_eq!(seen, ["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
    assert_eq!(kube.requests_for("list", "pods"), 3);
    let now = api.list(&ListParams::default()).await.expect("fresh list");
    assert_eq!(now.items.len(), 7);
    assert!(now.metadata.resource_version.expect("rv").parse::<u64>().expect("number") > rv.parse::<u64>().expect("number"));

    // A compacted continue token is 410 Expired, as on a real server.
    let page = api.list(&ListParams::default().limit(2)).await.expect("page");
    kube.expire_history();
    let token = page.metadata.continue_.expect("token");
    let error = api.list(&ListParams::default().limit(2).continue_token(&token)).await.expect_err("expired");
    assert!(matches!(error, kube::Error::Api(ref s) if s.code == 410 && s.reason == "Expired"), "{error:?}");
}

#[tokio::test]
async fn objects_get_server_fields_and_lists_have_the_real_shape() {
    let (kube, client) = fake().await;
    let stored = kube.apply(pod("a", "default", &[(ID, "x")]));
    let meta = &stored["metadata"];
    assert!(meta["uid"].is_string() && meta["creationTimestamp"].is_string() && meta["generation"] == 1);
    let again = kube.apply(stored.clone());
    assert_eq!(again["metadata"]["uid"], meta["uid"]);
    assert_eq!(again["metadata"]["generation"], 1, "same spec, same generation");
    let mut changed = again.clone();
    changed["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    let changed = kube.apply(changed);
    assert_eq!(changed["metadata"]["generation"], 2);
    assert!(changed["metadata"]["resourceVersion"].as_str() > again["metadata"]["resourceVersion"].as_str());

    let api: Api<Pod> = Api::namespaced(client, "default");
    let got = api.get("a").await.expect("get");
    assert_eq!(got.spec.expect("spec").containers[0].image.as_deref(), Some("nginx:1.28"));
    let error = api.get("nope").await.expect_err("404");
    assert!(matches!(error, kube::Error::Api(ref s) if s.code == 404 && s.reason == "NotFound"), "{error:?}");

    let raw: Value = reqwest::get(format!("{}/api/v1/namespaces/default/pods", kube.url())).await.expect("get").json().await.expect("json");
    assert_eq!(raw["kind"], "PodList");
    assert_eq!(raw["apiVersion"], "v1");
    assert!(raw["metadata"]["resourceVersion"].is_string());
    assert!(raw["items"][0].get("kind").is_none() && raw["items"][0].get("apiVersion").is_none(), "list items carry no type");
    let version = client_version(&kube).await;
    assert_eq!(version, "v1.34.0");
    let apis: Value = reqwest::get(format!("{}/apis", kube.url())).await.expect("get").json().await.expect("json");
    assert!(apis["groups"].as_array().expect("groups").iter().any(|g| g["name"] == "autoscaling" && g["preferredVersion"]["version"] == "v2"));
    assert_eq!(kube.requests_for("get", "pods"), 2);
    assert!(kube.requests() >= 5);
    kube.reset_requests();
    assert_eq!(kube.requests(), 0);
}

async fn client_version(kube: &crate::fake_kube::FakeKube) -> String {
    let client = kube::Client::try_from(kube.config()).expect("client");
    client.apiserver_version().await.expect("version").git_version
}
