//! The whole catalog REST API over HTTP, on SQLite and on PostgreSQL, with
//! the example catalog and every real-world fixture file ingested.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use portolan::ingest::{Catalog, CatalogSettings, FileReader, KindRule};
use portolan::store::locations::{self, ORIGIN_CONFIG};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{TestDb, repo};

async fn call(app: &Router, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    let body = match body {
        Some(v) => {
            request = request.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let response = app.clone().oneshot(request.body(body).expect("request")).await.expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into())) };
    (status, value)
}

async fn example_app(t: &TestDb) -> (Router, Arc<Catalog>) {
    let settings = CatalogSettings { registered_rule: KindRule(None), ..CatalogSettings::default() };
    let catalog = Catalog::open(t.db.clone(), Arc::new(FileReader), settings).await.expect("catalog");
    let root = repo().join("catalog/example/catalog-info.yaml").canonicalize().expect("example");
    locations::insert(&t.db.pool, "file", &root.to_string_lossy(), ORIGIN_CONFIG).await.expect("location");
    catalog.process_all().await.expect("process");
    (as_admin(t, portolan::api::catalog::router(Arc::clone(&catalog)), &catalog).await, catalog)
}

/// `router` behind the auth layers, every request carrying an API token
/// with every scope (the auth tests check the refusals).
async fn as_admin(t: &TestDb, router: Router, catalog: &Arc<Catalog>) -> Router {
    let secret = crate::support::admin_token(&t.db, "user:default/ci", None).await;
    let bearer: axum::http::HeaderValue = format!("Bearer {secret}").parse().expect("header");
    crate::support::test_auth(catalog, None).await.wrap(router).layer(axum::middleware::map_request(move |mut r: Request<Body>| {
        let bearer = bearer.clone();
        async move {
            r.headers_mut().entry("authorization").or_insert(bearer);
            r
        }
    }))
}

fn names(items: &Value) -> Vec<String> {
    items.as_array().into_iter().flatten().filter_map(|e| e["metadata"]["name"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn entities_by_name_with_relations_both_ways() {
    for t in TestDb::all().await {
        let (app, _) = example_app(&t).await;
        let (status, system) = call(&app, "GET", "/entities/by-name/system/default/trips", None).await;
        assert_eq!(status, StatusCode::OK, "{system}");
        assert!(system["metadata"]["uid"].is_string() && system["metadata"]["etag"].is_string());
        let rels = system["relations"].as_array().expect("relations");
        let parts: Vec<&str> = rels.iter().filter(|r| r["type"] == "hasPart").filter_map(|r| r["targetRef"].as_str()).collect();
        assert!(!parts.is_empty(), "inverse hasPart from the components' spec.system");
        let (_, part) = call(&app, "GET", &format!("/entities/by-name/{}", parts[0].replacen(':', "/", 1)), None).await;
        assert!(part["relations"].as_array().into_iter().flatten().any(|r| r["type"] == "partOf" && r["targetRef"] == "system:default/trips"));

        let uid = system["metadata"]["uid"].as_str().unwrap_or_default();
        let (status, same) = call(&app, "GET", &format!("/entities/by-uid/{uid}"), None).await;
        assert_eq!((status, &same["metadata"]["name"]), (StatusCode::OK, &json!("trips")));

        let (status, ancestry) = call(&app, "GET", "/entities/by-name/system/default/trips/ancestry", None).await;
        assert_eq!(status, StatusCode::OK);
        let chain: Vec<&str> = ancestry["items"].as_array().into_iter().flatten().filter_map(|i| i["entity"]["kind"].as_str()).collect();
        assert_eq!(chain.first(), Some(&"System"));
        assert_eq!(chain.last(), Some(&"Location"), "{ancestry}");

        let (status, refs) = call(
            &app,
            "POST",
            "/entities/by-refs",
            Some(json!({"entityRefs": ["system:trips", "component:default/does-not-exist", "group:default/spokewise"], "fields": ["kind"]})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(refs["items"], json!([{"kind": "System"}, null, {"kind": "Group"}]));
    }
}

#[tokio::test]
async fn filters_facets_and_cursors() {
    for t in TestDb::all().await {
        let (app, _) = example_app(&t).await;
        let (_, components) = call(&app, "GET", "/entities?filter=kind=component", None).await;
        assert_eq!(components.as_array().map(Vec::len), Some(30));
        let (_, either) = call(&app, "GET", "/entities?filter=kind=domain&filter=kind=system&fields=kind", None).await;
        assert_eq!(either.as_array().map(Vec::len), Some(9));
        let (_, libraries) = call(&app, "GET", "/entities?filter=kind=Component,spec.type=LIBRARY", None).await;
        assert!(libraries.as_array().is_some_and(|l| !l.is_empty() && l.iter().all(|e| e["spec"]["type"] == "library")));
        let (_, owned) = call(&app, "GET", "/entities?filter=relations.ownedby=group:default/platform-eng", None).await;
        assert!(owned.as_array().is_some_and(|o| o.len() >= 2), "{owned}");

        let (status, facets) = call(&app, "GET", "/entity-facets?facet=kind&facet=spec.lifecycle&filter=kind=component", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(facets["facets"]["kind"], json!([{"value": "Component", "count": 30}]));
        let lifecycles: i64 = facets["facets"]["spec.lifecycle"].as_array().into_iter().flatten().filter_map(|v| v["count"].as_i64()).sum();
        assert_eq!(lifecycles, 30);

        // Cursor paging through every component, in name order, 7 at a time.
        let mut seen = Vec::new();
        let (status, mut page) = call(&app, "GET", "/entities/by-query?filter=kind=component&limit=7&orderField=metadata.name,asc", None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["totalItems"], 30);
        loop {
            seen.extend(names(&page["items"]));
            let Some(next) = page["pageInfo"]["nextCursor"].as_str().map(str::to_owned) else { break };
            let (status, p) = call(&app, "GET", &format!("/entities/by-query?cursor={next}"), None).await;
            assert_eq!(status, StatusCode::OK);
            page = p;
        }
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "ordered by name");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 30, "every component once");

        let (status, body) = call(
            &app,
            "POST",
            "/entities/by-query",
            Some(json!({"query": {"$all": [{"kind": "api"}, {"spec.type": {"$in": ["graphql", "grpc"]}}]}, "fields": ["metadata.name"]})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["totalItems"], 2);

        let (_, text) = call(&app, "GET", "/entities/by-query?fullTextFilterTerm=TELEMETRY&filter=kind=api", None).await;
        assert!(text["totalItems"].as_u64().is_some_and(|n| n >= 1), "{text}");
    }
}

#[tokio::test]
async fn bad_requests_get_backstage_error_envelope() {
    let t = TestDb::sqlite().await;
    let (app, _) = example_app(&t).await;
    let (status, body) = call(&app, "GET", "/entities/by-query?cursor=not-a-cursor", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["name"], "InputError");
    assert_eq!(body["request"]["method"], "GET");
    assert_eq!(body["response"]["statusCode"], 400);
    let (status, body) = call(&app, "POST", "/entities/by-query", Some(json!({"query": {"$nope": []}}))).await;
    assert_eq!((status, &body["error"]["name"]), (StatusCode::BAD_REQUEST, &json!("InputError")));
    let (status, body) = call(&app, "GET", "/entities/by-name/component/default/missing", None).await;
    assert_eq!((status, &body["error"]["name"]), (StatusCode::NOT_FOUND, &json!("NotFoundError")));
    let (status, body) = call(&app, "POST", "/locations", Some(json!({"type": "ftp", "target": "x"}))).await;
    assert_eq!((status, &body["error"]["name"]), (StatusCode::BAD_REQUEST, &json!("InputError")));
}

#[tokio::test]
async fn locations_register_dry_run_conflict_and_delete() {
    for t in TestDb::all().await {
        let (app, _) = example_app(&t).await;
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("catalog-info.yaml");
        std::fs::write(
            &file,
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: newcomer\nspec:\n  type: service\n  lifecycle: experimental\n  owner: platform-eng\n",
        )
        .expect("write");
        let target = file.to_string_lossy().to_string();
        let (status, dry) = call(&app, "POST", "/locations?dryRun=true", Some(json!({"type": "file", "target": target}))).await;
        assert_eq!(status, StatusCode::CREATED, "{dry}");
        assert!(dry["entities"].as_array().is_some_and(|e| e.iter().any(|x| x["metadata"]["name"] == "newcomer")));
        let (status, _) = call(&app, "GET", "/entities/by-name/component/default/newcomer", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "a dry run writes nothing");

        let (status, created) = call(&app, "POST", "/locations", Some(json!({"type": "file", "target": target}))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["location"]["id"].as_str().unwrap_or_default().to_owned();
        let (status, _) = call(&app, "GET", "/entities/by-name/component/default/newcomer", None).await;
        assert_eq!(status, StatusCode::OK, "registered entities are there at once");
        let (status, _) = call(&app, "POST", "/locations", Some(json!({"type": "file", "target": target}))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (_, list) = call(&app, "GET", "/locations", None).await;
        assert!(list.as_array().is_some_and(|l| l.iter().any(|x| x["data"]["id"] == id.as_str())));
        let (status, by_entity) = call(&app, "GET", "/locations/by-entity/component/default/newcomer", None).await;
        assert_eq!((status, by_entity["id"].as_str()), (StatusCode::OK, Some(id.as_str())));

        let (status, _) = call(&app, "DELETE", &format!("/locations/{id}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = call(&app, "GET", "/entities/by-name/component/default/newcomer", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "unregistering removes its entities");
    }
}

#[tokio::test]
async fn validate_entity_and_refresh() {
    let t = TestDb::sqlite().await;
    let (app, _) = example_app(&t).await;
    let good = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "x"}, "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}});
    let (status, _) = call(&app, "POST", "/validate-entity", Some(json!({"location": "url:https://example.com/x.yaml", "entity": good}))).await;
    assert_eq!(status, StatusCode::OK);
    let bad = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "bad name"}, "spec": {}});
    let (status, body) = call(&app, "POST", "/validate-entity", Some(json!({"location": "url:https://example.com/x.yaml", "entity": bad}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errors"].as_array().is_some_and(|e| e.len() >= 4), "{body}");
    let (status, _) = call(&app, "POST", "/refresh", Some(json!({"entityRef": "component:default/trip-service"}))).await;
    assert!(status == StatusCode::OK || status == StatusCode::NOT_FOUND);
    let (status, _) = call(&app, "POST", "/refresh", Some(json!({"entityRef": "system:default/trips"}))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn every_realworld_file_ingests() {
    use portolan_catalog::{NoResolver, parse_catalog_file};
    let root = repo().join("../shared/fixtures/realworld").canonicalize().expect("fixtures");
    let files: Vec<std::path::PathBuf> = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    // Oracle: every valid entity of every file, parsed without following anything.
    let mut expected: HashSet<String> = HashSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        let folder = f.parent().expect("folder");
        let report = parse_catalog_file(&text, &portolan::ingest::reader::FileResolver { folder });
        expected.extend(report.entities().map(|e| e.entity_ref().to_string()));
    }
    let _ = NoResolver;
    for t in TestDb::all().await {
        let catalog = Catalog::open(t.db.clone(), Arc::new(FileReader), CatalogSettings::default()).await.expect("catalog");
        for f in &files {
            locations::insert(&t.db.pool, "file", &f.to_string_lossy(), ORIGIN_CONFIG).await.expect("location");
        }
        catalog.process_all().await.expect("every location processes");
        let stored: Vec<String> = {
            use sqlx::Row;
            sqlx::query("SELECT entity_ref FROM entities WHERE entity_ref NOT LIKE 'location:default/generated-%'")
                .fetch_all(&t.db.pool)
                .await
                .expect("refs")
                .iter()
                .map(|r| r.get::<String, _>("entity_ref"))
                .collect()
        };
        let stored: HashSet<String> = stored.into_iter().collect();
        let missing: Vec<&String> = expected.difference(&stored).collect();
        let extra: Vec<&String> = stored.difference(&expected).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{:?}: missing {missing:?}, extra {extra:?}", t.db.backend);
        assert!(stored.len() > 900, "{}", stored.len());
    }
}
