//! The catalog query language against the search index: the fixture
//! entities are indexed from their JSON and relations, and every filter,
//! predicate, full-text search, order and cursor walk must select exactly
//! the entities Backstage would. Also parsing, cursors, `fields`, the
//! search rows and the error envelope.

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use portolan::api::catalog::query::*;
use portolan::error::{ApiJson, ApiQuery, AppError, error_envelope};
use portolan::search::rows::{search_rows, search_text};
use portolan::search::{IndexedEntity, SearchIndex};
use portolan_catalog::RelationType;
use serde_json::{Value, json};
use tower::ServiceExt;

/// An entity's uid, body and outgoing `(type, target)` relations.
type Fixture = (&'static str, Value, Vec<(&'static str, &'static str)>);

/// The entities every database holds. Uids sort in this order.
fn fixtures() -> Vec<Fixture> {
    let component = |name: &str, title: Option<&str>, tags: Value, ty: &str, owner: &str, lifecycle: &str| {
        let mut metadata = json!({ "name": name, "namespace": "default", "tags": tags });
        if let Some(title) = title {
            metadata["title"] = json!(title);
        }
        json!({ "apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": metadata,
                "spec": { "type": ty, "owner": owner, "lifecycle": lifecycle } })
    };
    let mut payments = component("payments", Some("Payments Service"), json!(["java", "Payments"]), "service", "team-a", "production");
    payments["metadata"]["annotations"] = json!({ "backstage.io/techdocs-ref": "dir:." });
    let mut legacy = component("Legacy-Billing", Some("Old billing"), json!(["JAVA"]), "service", "team-b", "deprecated");
    legacy["metadata"]["namespace"] = json!("other");
    let group = |name: &str| json!({ "apiVersion": "backstage.io/v1alpha1", "kind": "Group",
        "metadata": { "name": name }, "spec": { "type": "team", "children": [] } });
    vec![
        ("u1", payments, vec![("ownedBy", "group:default/team-a"), ("providesApi", "api:default/payments-api")]),
        ("u2", component("trips", None, json!(["rust"]), "service", "team-b", "experimental"), vec![("ownedBy", "group:default/team-b")]),
        ("u3", component("web-app", Some("Web App"), json!([]), "website", "team-a", "production"), vec![("ownedBy", "group:default/team-a")]),
        ("u4", json!({ "apiVersion": "backstage.io/v1alpha1", "kind": "API", "metadata": { "name": "payments-api", "title": "Payments API" },
            "spec": { "type": "openapi", "owner": "team-a", "lifecycle": "production", "definition": "openapi: 3.0.0" } }),
            vec![("ownedBy", "group:default/team-a"), ("apiProvidedBy", "component:default/payments")]),
        ("u5", group("team-a"), vec![("ownerOf", "component:default/payments")]),
        ("u6", group("team-b"), vec![("ownerOf", "component:default/trips")]),
        ("u7", legacy, vec![("ownedBy", "group:default/team-b")]),
    ]
}

/// The fixture entities, indexed.
fn index() -> SearchIndex {
    let index = SearchIndex::new();
    let entities = fixtures()
        .into_iter()
        .map(|(uid, mut entity, relations)| {
            entity["metadata"]["uid"] = json!(uid);
            let kind = entity["kind"].as_str().unwrap_or_default().to_lowercase();
            let namespace = entity["metadata"]["namespace"].as_str().unwrap_or("default").to_lowercase();
            let name = entity["metadata"]["name"].as_str().unwrap_or_default().to_lowercase();
            let relations =
                relations.iter().map(|(t, target)| (RelationType::from_name(t).expect("relation type"), target.to_string())).collect();
            IndexedEntity::new(uid, &format!("{kind}:{namespace}/{name}"), &entity, relations)
        })
        .collect();
    index.apply(entities, &[]);
    index
}

/// The refs of every entity `query` selects, in order.
fn run(index: &SearchIndex, query: &EntityQuery) -> Vec<String> {
    index.page(query, None, Direction::Next, 1000, 0).into_iter().map(|r| r.entity_ref).collect()
}

fn refs(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn params(pairs: &[(&str, &str)]) -> QueryParams {
    QueryParams(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

fn filtered(index: &SearchIndex, filters: &[&str]) -> Vec<String> {
    let filter = EntityFilter::parse(filters.iter().copied()).expect("filter").map(|f| f.to_predicate());
    run(index, &EntityQuery { filter, ..Default::default() })
}

fn predicate(index: &SearchIndex, query: Value) -> Vec<String> {
    let filter = Some(Predicate::from_json(&query).expect("predicate"));
    run(index, &EntityQuery { filter, ..Default::default() })
}

const PAYMENTS: &str = "component:default/payments";
const TRIPS: &str = "component:default/trips";
const WEB: &str = "component:default/web-app";
const API: &str = "api:default/payments-api";
const TEAM_A: &str = "group:default/team-a";
const TEAM_B: &str = "group:default/team-b";
const LEGACY: &str = "component:other/legacy-billing";

fn check_filters(p: &SearchIndex) {
    assert_eq!(filtered(p, &["kind=component"]), refs(&[PAYMENTS, TRIPS, WEB, LEGACY]));
    assert_eq!(filtered(p, &["kind=api", "kind=group"]), refs(&[API, TEAM_A, TEAM_B]));
    assert_eq!(filtered(p, &["kind=api,kind=group"]), refs(&[API, TEAM_A, TEAM_B]));
    assert_eq!(filtered(p, &["kind=component,spec.lifecycle=production"]), refs(&[PAYMENTS, WEB]));
    assert_eq!(filtered(p, &["metadata.annotations.backstage.io/techdocs-ref"]), refs(&[PAYMENTS]));
    assert_eq!(filtered(p, &["metadata.tags.java"]), refs(&[PAYMENTS, LEGACY]));
    assert_eq!(filtered(p, &["metadata.tags=java"]), refs(&[PAYMENTS, LEGACY]));
    assert_eq!(filtered(p, &["relations.ownedby=group:default/team-a"]), refs(&[PAYMENTS, WEB, API]));
    assert_eq!(filtered(p, &["Relations.OwnedBy=Group:Default/Team-A,KIND=Component"]), refs(&[PAYMENTS, WEB]));
    assert_eq!(filtered(p, &["metadata.name=LEGACY-billing"]), refs(&[LEGACY]));
    assert_eq!(filtered(p, &["metadata.namespace=default,spec.type=service"]), refs(&[PAYMENTS, TRIPS]));
    assert_eq!(filtered(p, &["spec.lifecycle="]), refs(&[]));
    assert_eq!(filtered(p, &[""]).len(), 7, "an empty filter is no filter");
    assert_eq!(filtered(p, &["metadata.uid=u3"]), refs(&[WEB]));

}

fn check_predicates(p: &SearchIndex) {
    assert_eq!(predicate(p, json!({ "$all": [] })).len(), 7);
    assert_eq!(predicate(p, json!({ "$any": [] })), refs(&[]));
    assert_eq!(predicate(p, json!({})).len(), 7);
    assert_eq!(predicate(p, json!({ "kind": "Component", "spec.type": "SERVICE" })), refs(&[PAYMENTS, TRIPS, LEGACY]));
    assert_eq!(
        predicate(p, json!({ "$all": [{ "kind": "component" }, { "$not": { "spec.lifecycle": "production" } }] })),
        refs(&[TRIPS, LEGACY])
    );
    assert_eq!(predicate(p, json!({ "$any": [{ "kind": "api" }, { "metadata.name": "trips" }] })), refs(&[TRIPS, API]));
    assert_eq!(predicate(p, json!({ "metadata.title": { "$exists": false } })), refs(&[TRIPS, TEAM_A, TEAM_B]));
    assert_eq!(predicate(p, json!({ "metadata.title": { "$exists": true }, "kind": "api" })), refs(&[API]));
    assert_eq!(predicate(p, json!({ "spec.owner": { "$in": ["TEAM-B", "nobody"] } })), refs(&[TRIPS, LEGACY]));
    assert_eq!(predicate(p, json!({ "spec.owner": { "$in": [] } })), refs(&[]));
    assert_eq!(predicate(p, json!({ "metadata.name": { "$hasPrefix": "PAY" } })), refs(&[PAYMENTS, API]));
    // `_` and `%` are literal: `web_` must not match `web-app`.
    assert_eq!(predicate(p, json!({ "metadata.name": { "$hasPrefix": "web_" } })), refs(&[]));
    assert_eq!(predicate(p, json!({ "metadata.name": { "$hasPrefix": "%" } })), refs(&[]));
    assert_eq!(predicate(p, json!({ "metadata.tags": { "$contains": "Java" } })), refs(&[PAYMENTS, LEGACY]));
    let owned_by_a = json!({ "relations": { "$contains": { "type": "ownedBy", "targetRef": "group:default/team-a" } } });
    assert_eq!(predicate(p, owned_by_a), refs(&[PAYMENTS, WEB, API]));
    let any_to_payments = json!({ "relations": { "$contains": { "targetRef": "component:default/payments" } } });
    assert_eq!(predicate(p, any_to_payments), refs(&[API, TEAM_A]));
    assert_eq!(predicate(p, json!({ "spec.children": { "$exists": true } })), refs(&[]), "empty arrays leave no rows");
}

fn check_full_text(p: &SearchIndex) {
    let text = |term: &str, fields: &[&str]| EntityQuery {
        full_text: FullTextFilter::new(Some(term), fields.iter().copied()),
        ..Default::default()
    };
    assert_eq!(run(p, &text(" PAYMENTS ", &[])), refs(&[PAYMENTS, API]));
    assert_eq!(run(p, &text("team-b", &["spec.owner"])), refs(&[TRIPS, LEGACY]));
    assert_eq!(run(p, &text("team", &["metadata.name", "spec.type"])), refs(&[TEAM_A, TEAM_B]));
    assert_eq!(run(p, &text("%", &[])), refs(&[]));
    let both = EntityQuery { filter: Some(Predicate::from_json(&json!({"kind": "api"})).expect("p")), ..text("payments", &[]) };
    assert_eq!(run(p, &both), refs(&[API]));
}

fn ordered(fields: &[&str]) -> EntityQuery {
    let order = OrderField::parse_all(fields.iter().copied()).expect("order");
    EntityQuery { order, ..Default::default() }
}

fn check_order_and_pages(p: &SearchIndex) {
    assert_eq!(run(p, &ordered(&[])), refs(&[PAYMENTS, TRIPS, WEB, API, TEAM_A, TEAM_B, LEGACY]));
    let asc = refs(&[LEGACY, TRIPS, PAYMENTS, WEB, API, TEAM_A, TEAM_B]);
    assert_eq!(run(p, &ordered(&["spec.lifecycle"])), asc);
    assert_eq!(run(p, &ordered(&["spec.lifecycle,asc"])), asc);
    let desc = refs(&[PAYMENTS, WEB, API, TRIPS, LEGACY, TEAM_A, TEAM_B]);
    assert_eq!(run(p, &ordered(&["spec.lifecycle,desc"])), desc, "NULLs stay last");
    let legacy = EntityQuery { order: vec![OrderField::parse_legacy("desc:metadata.title").expect("order")], ..Default::default() };
    assert_eq!(run(p, &legacy), refs(&[WEB, PAYMENTS, API, LEGACY, TRIPS, TEAM_A, TEAM_B]));

    assert_eq!(p.count(&ordered(&[])), 7);
    assert_eq!(p.count(&EntityQuery { filter: Some(Predicate::from_json(&json!({"kind": "group"})).expect("p")), ..Default::default() }), 2);

    let orders: [&[&str]; 5] = [&[], &["spec.lifecycle"], &["spec.lifecycle,desc"], &["kind", "metadata.title,desc"], &["metadata.tags"]];
    for order in orders {
        let mut query = ordered(order);
        query.filter = Some(Predicate::from_json(&json!({ "metadata.name": { "$exists": true } })).expect("p"));
        let everything = run(p, &query);
        for limit in 1..=4u64 {
            let pages = walk(p, &query, limit);
            let flat: Vec<String> = pages.iter().flatten().cloned().collect();
            assert_eq!(flat, everything, "order {order:?} limit {limit}");
        }
    }
}

/// Reads every page forwards through `nextCursor`s, then checks that
/// `prevCursor`s lead back through the same pages.
fn walk(p: &SearchIndex, query: &EntityQuery, limit: u64) -> Vec<Vec<String>> {
    let fields = &Fields::default();
    let fetch = |cursor: Option<&Cursor>| {
        let (position, direction) = cursor.map_or((None, Direction::Next), |c| (Some(&c.position), c.direction));
        let rows = p.page(query, position, direction, limit, 0);
        let f = Fetch { query, fields, total_items: 7, direction, from_cursor: cursor.is_some(), limit };
        finish_page(f, rows, |r| Ok::<_, AppError>(r.entity_ref)).expect("page")
    };
    let mut pages = vec![fetch(None)];
    assert!(pages[0].prev_cursor.is_none());
    while let Some(next) = pages.last().and_then(|p| p.next_cursor.clone()) {
        let cursor = Cursor::decode(&next).expect("cursor");
        assert_eq!(&cursor.query, query);
        pages.push(fetch(Some(&cursor)));
        assert!(pages.len() < 20, "pagination does not end");
    }
    let mut back = pages.last().and_then(|p| p.prev_cursor.clone());
    for expected in pages.iter().rev().skip(1) {
        let cursor = Cursor::decode(back.as_deref().expect("a prev cursor")).expect("cursor");
        let page = fetch(Some(&cursor));
        assert_eq!(page.items, expected.items, "walking back");
        assert!(page.next_cursor.is_some());
        back = page.prev_cursor;
    }
    assert!(back.is_none(), "the first page has no prev cursor");
    pages.into_iter().map(|p| p.items).collect()
}

#[test]
fn queries_select_the_right_entities() {
    let index = index();
    check_filters(&index);
    check_predicates(&index);
    check_full_text(&index);
    check_order_and_pages(&index);
}

#[test]
fn facets_count_values_as_written() {
    let index = index();
    let keys = vec!["kind".to_owned(), "spec.owner".to_owned(), "metadata.tags".to_owned(), "nothing".to_owned()];
    let facets = index.facets(&keys, None);
    let pairs = |i: usize| facets[i].iter().map(|f| (f.value.clone(), f.count)).collect::<Vec<_>>();
    assert_eq!(pairs(0), vec![("Component".to_owned(), 4), ("Group".to_owned(), 2), ("API".to_owned(), 1)]);
    assert_eq!(pairs(1), vec![("team-a".to_owned(), 3), ("team-b".to_owned(), 2)]);
    // `java` and `JAVA` fold together; the smallest spelling is shown.
    assert_eq!(pairs(2), vec![("JAVA".to_owned(), 2), ("Payments".to_owned(), 1), ("rust".to_owned(), 1)]);
    assert!(facets[3].is_empty());
    let filter = Predicate::from_json(&json!({ "spec.lifecycle": "production" })).expect("p");
    let owners = index.facets(&keys[1..2], Some(&filter));
    assert_eq!(owners[0].iter().map(|f| (f.value.as_str(), f.count)).collect::<Vec<_>>(), vec![("team-a", 3)]);
}

#[test]
fn relations_come_in_both_directions_and_follow_changes() {
    let index = index();
    let payments = index.relations_of("component:default/payments");
    assert!(payments.contains(&("ownedBy".to_owned(), "group:default/team-a".to_owned())), "{payments:?}");
    let owned_by = payments.iter().filter(|(t, target)| t == "ownedBy" && target == "group:default/team-a").count();
    assert_eq!(owned_by, 1, "its own ownedBy and the inverse of team-a's ownerOf are one relation");
    assert!(payments.contains(&("providesApi".to_owned(), "api:default/payments-api".to_owned())));
    let team_a = index.relations_of("group:default/team-a");
    assert!(team_a.contains(&("ownerOf".to_owned(), "component:default/web-app".to_owned())), "{team_a:?}");
    // Removing an entity takes its relations and search rows with it.
    index.apply(Vec::new(), &["u3".to_owned()]);
    assert!(!index.relations_of("group:default/team-a").iter().any(|(_, t)| t == "component:default/web-app"));
    assert_eq!(filtered(&index, &["spec.type=website"]), refs(&[]));
    assert_eq!(index.len(), 6);
}

#[test]
fn requests_parse_like_backstage() {
    let request = QueryEntitiesRequest::from_params(&params(&[
        ("filter", "kind=component"), ("filter", "kind=api"), ("fields", "metadata.name,kind"), ("fields", "spec.owner"),
        ("orderField", "metadata.name,desc"), ("fullTextFilterTerm", "Pay"), ("fullTextFilterFields", "metadata.name"),
        ("limit", "5"), ("offset", "2"),
    ]))
    .expect("request");
    assert_eq!(request.limit, 5);
    assert_eq!(request.offset, 2);
    assert_eq!(request.fields.paths(), ["metadata.name", "kind", "spec.owner"]);
    assert_eq!(request.query.order, vec![OrderField { field: "metadata.name".into(), order: SortOrder::Desc }]);
    assert_eq!(request.query.full_text, Some(FullTextFilter { term: "pay".into(), fields: vec!["metadata.name".into()] }));
    let expected = json!({ "$any": [{ "$all": [{ "kind": "component" }] }, { "$all": [{ "kind": "api" }] }] });
    assert_eq!(request.query.filter.as_ref().map(Predicate::to_json), Some(expected));

    let body: QueryByPredicateBody = serde_json::from_value(json!({
        "query": { "kind": "API" }, "orderField": ["metadata.title,asc"], "fullTextFilter": { "term": "x" }, "fields": ["kind"]
    }))
    .expect("body");
    let request = QueryEntitiesRequest::from_body(&body).expect("request");
    assert_eq!(request.limit, DEFAULT_LIMIT);
    let cursor = Cursor {
        v: 1, query: request.query.clone(), fields: request.fields.clone(),
        position: Position { values: vec![None], uid: "u1".into() }, direction: Direction::Prev, total_items: 3,
    };
    let continued = QueryEntitiesRequest::from_params(&params(&[("cursor", &cursor.encode()), ("filter", "kind=group")])).expect("c");
    assert_eq!(continued.query, request.query, "other parameters are ignored with a cursor");
    assert_eq!(continued.cursor, Some(cursor));
    assert_eq!(continued.position().1, Direction::Prev);

    let old = EntitiesRequest::from_params(&params(&[("order", "asc:metadata.name"), ("limit", "3")])).expect("old");
    assert_eq!(old.query.order[0].field, "metadata.name");
    assert_eq!(old.limit, Some(3));
}

#[test]
fn bad_input_is_an_input_error() {
    fn input<T>(result: Result<T, AppError>) -> bool {
        matches!(result, Err(AppError::InputError(_)))
    }
    assert!(input(EntityFilter::parse(["kind=component,=x"])));
    for bad in [json!("component"), json!({ "kind": { "$regex": "x" } }), json!({ "$all": {} }), json!({ "$nope": [] }),
                json!({ "$all": [], "kind": "x" }), json!({ "kind": null }), json!({ "kind": [1] }), json!({ "kind": { "$in": [{}] } }),
                json!({ "kind": { "$exists": "yes" } }), json!({ "relations": { "$contains": { "source": "x" } } })] {
        assert!(input(Predicate::from_json(&bad)), "{bad}");
    }
    let mut deep = json!({ "kind": "x" });
    for _ in 0..40 {
        deep = json!({ "$not": deep });
    }
    assert!(input(Predicate::from_json(&deep)));
    assert!(input(OrderField::parse("metadata.name,up")));
    assert!(input(OrderField::parse_legacy("metadata.name")));
    assert!(input(Fields::parse(["metadata.tags[0]"])));
    for cursor in ["", "!!!", "bm90IGpzb24", "eyJ2IjoxfQ"] {
        assert!(input(Cursor::decode(cursor)), "{cursor}");
    }
    assert!(input(QueryEntitiesRequest::from_params(&params(&[("limit", "-1")]))));
    assert!(input(QueryEntitiesRequest::from_params(&params(&[("limit", "1"), ("limit", "2")]))));
    let many: Vec<(&str, &str)> = (0..9).map(|_| ("orderField", "kind")).collect();
    assert!(input(QueryEntitiesRequest::from_params(&params(&many))));
}

#[test]
fn predicates_round_trip_through_json() {
    let query = json!({ "$all": [{ "kind": "Component", "spec.owner": { "$in": ["A", 1, true] } },
        { "$not": { "metadata.tags": { "$contains": "Java" } } }, { "metadata.name": { "$hasPrefix": "P" } },
        { "relations": { "$contains": { "type": "ownedBy", "targetRef": { "$exists": true } } } }] });
    let predicate = Predicate::from_json(&query).expect("predicate");
    assert_eq!(Predicate::from_json(&predicate.to_json()).expect("again"), predicate);
    assert!(predicate.to_json().to_string().contains(r#""spec.owner":{"$in":["a","1","true"]}"#));
}

#[test]
fn fields_keep_only_listed_subtrees() {
    let mut entity = json!({ "apiVersion": "v1", "kind": "Component",
        "metadata": { "name": "a", "tags": ["x"], "annotations": { "backstage.io/techdocs-ref": "dir:.", "other": "y" } },
        "spec": { "owner": "team", "type": "service" } });
    Fields::parse(["metadata.name,kind", "spec.owner,metadata.annotations.backstage.io/techdocs-ref,spec.nothing"])
        .expect("fields")
        .apply(&mut entity);
    assert_eq!(entity, json!({ "metadata": { "name": "a", "annotations": { "backstage.io/techdocs-ref": "dir:." } },
        "kind": "Component", "spec": { "owner": "team" } }));
    let mut untouched = json!({ "kind": "x" });
    Fields::parse([""]).expect("fields").apply(&mut untouched);
    assert_eq!(untouched, json!({ "kind": "x" }));
}

#[test]
fn search_rows_flatten_like_backstage() {
    let entity = json!({ "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
        "metadata": { "name": "Payments", "uid": "U-1", "etag": "e", "title": "T".repeat(201), "tags": ["Java", "java", "go"],
            "annotations": { "Backstage.io/Techdocs-Ref": "dir:." }, "links": [{ "url": "https://x", "title": "Docs" }] },
        "spec": { "type": "service", "replicas": 3, "ratio": 1.0, "public": true, "parent": null, "x": [[1, "a"]] },
        "relations": [{ "type": "ownedBy", "targetRef": "group:default/ignored" }], "status": { "items": [] } });
    let rows = search_rows(&entity, &[("ownedBy", "Group:Default/Team-A")]);
    let row = |k: &str, v: Option<&str>| (k.to_owned(), v.map(str::to_owned));
    let expected = vec![
        row("apiversion", Some("backstage.io/v1alpha1")), row("kind", Some("component")),
        row("metadata.title", None),
        row("metadata.tags", Some("java")), row("metadata.tags.java", Some("true")), row("metadata.tags", Some("go")),
        row("metadata.tags.go", Some("true")),
        row("metadata.annotations.backstage.io/techdocs-ref", Some("dir:.")),
        row("metadata.links.url", Some("https://x")), row("metadata.links.title", Some("docs")),
        row("spec.type", Some("service")), row("spec.replicas", Some("3")), row("spec.ratio", Some("1")),
        row("spec.public", Some("true")), row("spec.parent", None), row("spec.x", Some("1")), row("spec.x", Some("a")),
        row("spec.x.a", Some("true")),
        row("metadata.name", Some("payments")), row("metadata.namespace", None), row("metadata.uid", Some("u-1")),
        row("metadata.namespace", Some("default")), row("relations.ownedby", Some("group:default/team-a")),
    ];
    assert_eq!(rows, expected);
    let text = search_text(&entity);
    assert!(text.starts_with("payments\nttt") && text.ends_with("java\njava\ngo\nservice"), "{text}");
}

async fn call(app: axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.oneshot(request).await.expect("response");
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn errors_come_out_in_backstages_envelope() {
    use axum::routing::{get, post};
    #[derive(serde::Deserialize)]
    struct Limit {
        #[allow(dead_code)]
        limit: u32,
    }
    let app = || {
        axum::Router::new()
            .route("/missing", get(|| async { Err::<(), _>(AppError::not_found("No entity named x")) }))
            .route("/boom", get(|| async { Err::<(), _>(AppError::from(anyhow::anyhow!("password=secret"))) }))
            .route("/json", post(|ApiJson(v): ApiJson<Value>| async move { ApiJson(v) }))
            .route("/query", get(|ApiQuery(_): ApiQuery<Limit>| async { "ok" }))
            .route("/params", get(|p: QueryParams| async move { EntityFilter::parse(p.all("filter")).map(|_| "ok") }))
            .layer(axum::middleware::from_fn(error_envelope))
    };
    let (status, body) = call(app(), Request::get("/missing?x=1").body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({ "error": { "name": "NotFoundError", "message": "No entity named x" },
        "request": { "method": "GET", "url": "/missing?x=1" }, "response": { "statusCode": 404 } }));
    let (status, body) = call(app(), Request::get("/boom").body(Body::empty()).expect("req")).await;
    assert_eq!((status, &body["error"]["name"]), (StatusCode::INTERNAL_SERVER_ERROR, &json!("Error")));
    assert!(!body.to_string().contains("secret"));
    let bad_json = Request::post("/json").header("content-type", "application/json").body(Body::from("{")).expect("req");
    let (status, body) = call(app(), bad_json).await;
    assert_eq!((status, &body["error"]["name"], &body["request"]["method"]), (StatusCode::BAD_REQUEST, &json!("InputError"), &json!("POST")));
    let (status, body) = call(app(), Request::get("/query?limit=x").body(Body::empty()).expect("req")).await;
    assert_eq!((status, &body["error"]["name"]), (StatusCode::BAD_REQUEST, &json!("InputError")));
    let (status, body) = call(app(), Request::get("/params?filter=%3Dx").body(Body::empty()).expect("req")).await;
    assert_eq!((status, &body["response"]["statusCode"]), (StatusCode::BAD_REQUEST, &json!(400)));
    let (status, body) = call(app(), Request::get("/nowhere").body(Body::empty()).expect("req")).await;
    assert_eq!((status, &body["error"]["name"]), (StatusCode::NOT_FOUND, &json!("NotFoundError")));
}

#[test]
fn flat_rows_are_the_search_rows_for_every_realworld_entity() {
    use portolan::search::rows::{flat_rows, flat_rows_of, search_rows_with_originals, search_text, search_text_of};
    use portolan::search::{summary_of, summary_of_entity};
    let root = crate::support::repo().join("../shared/fixtures/realworld");
    let mut checked = 0;
    for file in walkdir::WalkDir::new(&root).into_iter().filter_map(Result::ok) {
        let path = file.path();
        if !path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let folder = path.parent().expect("folder");
        let report = portolan_catalog::parse_catalog_file(&text, &portolan::ingest::reader::FileResolver { folder });
        for entity in report.entities() {
            let mut value = serde_json::to_value(entity).expect("json");
            value["metadata"]["uid"] = json!("Some-UID");
            let relations: Vec<(String, String)> =
                entity.relations.iter().map(|r| (r.relation_type.as_str().to_owned(), r.target_ref.to_string())).collect();
            let expected: Vec<(String, Option<String>, Option<String>)> =
                search_rows_with_originals(&value, &relations).into_iter().map(|r| (r.key, r.value, r.original_value)).collect();
            let flat = flat_rows(&value, &relations);
            let got: Vec<(String, Option<String>, Option<String>)> =
                flat.iter().map(|(k, v, o)| (k.to_owned(), v.map(str::to_owned), o.map(str::to_owned))).collect();
            assert_eq!(got, expected, "{}", path.display());
            // Walked from the typed entity, as an ingest stages it: the
            // same rows, search text and summary as from its JSON.
            let mut typed = entity.clone();
            typed.metadata.uid = Some("Some-UID".to_owned());
            let typed_rows = flat_rows_of(&typed, &relations);
            assert_eq!(typed_rows.iter().collect::<Vec<_>>(), flat.iter().collect::<Vec<_>>(), "{}", path.display());
            assert_eq!(search_text_of(&typed), search_text(&value), "{}", path.display());
            assert_eq!(Some(summary_of_entity(&typed)), summary_of(&value), "{}", path.display());
            // An entry staged under one uid and stored under another.
            let mut moved = flat;
            moved.set_value("metadata.uid", "0190f5a2-7c1e-7d3a-9f00-123456789abc");
            value["metadata"]["uid"] = json!("0190f5a2-7c1e-7d3a-9f00-123456789abc");
            assert_eq!(moved.iter().collect::<Vec<_>>(), flat_rows(&value, &relations).iter().collect::<Vec<_>>(), "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} entities checked");
}
