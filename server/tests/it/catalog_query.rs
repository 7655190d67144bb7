//! The catalog query language against real databases: entities, their
//! search rows and relations are written to SQLite (always) and PostgreSQL
//! (when reachable), and the generated SQL must select exactly the entities
//! Backstage would. Also parsing, cursors, `fields`, `search_rows` and the
//! error envelope.

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use portolan::api::catalog::query::*;
use portolan::error::{ApiJson, ApiQuery, AppError, error_envelope};
use portolan::store::search_rows::{search_rows, search_text};
use serde_json::{Value, json};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use tower::ServiceExt;

const SQLITE_SCHEMA: &str = include_str!("../../../migrations/sqlite/0001_catalog.sql");
const POSTGRES_SCHEMA: &str = include_str!("../../../migrations/postgres/0001_catalog.sql");
const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database with the catalog tables and the fixture entities.
struct Db {
    name: &'static str,
    pool: AnyPool,
    /// For PostgreSQL: the admin pool and the schema to drop afterwards.
    cleanup: Option<(AnyPool, String)>,
}

async fn sqlite() -> Db {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new().max_connections(1).connect("sqlite::memory:").await.expect("sqlite");
    sqlx::raw_sql(SQLITE_SCHEMA).execute(&pool).await.expect("sqlite schema");
    fill(&pool).await;
    Db { name: "sqlite", pool, cleanup: None }
}

async fn postgres() -> Option<Db> {
    sqlx::any::install_default_drivers();
    let admin = AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect(POSTGRES_URL)
        .await;
    let admin = match admin {
        Ok(admin) => admin,
        Err(err) => {
            eprintln!("SKIPPED: PostgreSQL not reachable at {POSTGRES_URL}: {err}");
            assert!(
                std::env::var("PORTOLAN_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "PostgreSQL is required (PORTOLAN_REQUIRE_TOOLS=1) but not reachable: {err}"
            );
            return None;
        }
    };
    let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.expect("create schema");
    let search_path = schema.clone();
    let pool = AnyPoolOptions::new()
        .max_connections(2)
        .after_connect(move |conn, _| {
            let sql = format!("SET search_path TO {search_path}");
            Box::pin(async move { sqlx::query(&sql).execute(conn).await.map(|_| ()) })
        })
        .connect(POSTGRES_URL)
        .await
        .expect("postgres pool");
    sqlx::raw_sql(POSTGRES_SCHEMA).execute(&pool).await.expect("postgres schema");
    fill(&pool).await;
    Some(Db { name: "postgres", pool, cleanup: Some((admin, schema)) })
}

async fn databases() -> Vec<Db> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(postgres().await);
    dbs
}

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

async fn fill(pool: &AnyPool) {
    for (uid, mut entity, relations) in fixtures() {
        entity["metadata"]["uid"] = json!(uid);
        let kind = entity["kind"].as_str().unwrap_or_default().to_lowercase();
        let namespace = entity["metadata"]["namespace"].as_str().unwrap_or("default").to_lowercase();
        let name = entity["metadata"]["name"].as_str().unwrap_or_default().to_lowercase();
        let entity_ref = format!("{kind}:{namespace}/{name}");
        sqlx::query(
            "INSERT INTO entities (uid, entity_ref, kind, namespace, name, location_id, source, etag, hash, body, search_text, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'loc', 'file:/x', 'etag', 'hash', $6, $7, 'now')",
        )
        .bind(uid).bind(&entity_ref).bind(kind).bind(namespace).bind(name)
        .bind(entity.to_string()).bind(search_text(&entity))
        .execute(pool).await.expect("insert entity");
        for (key, value) in search_rows(&entity, &relations) {
            sqlx::query("INSERT INTO search (uid, key, value) VALUES ($1, $2, $3)")
                .bind(uid).bind(key).bind(value).execute(pool).await.expect("insert search row");
        }
        for (ty, target) in &relations {
            sqlx::query("INSERT INTO relations (origin_uid, source_ref, type, target_ref) VALUES ($1, $2, $3, $4)")
                .bind(uid).bind(&entity_ref).bind(*ty).bind(*target).execute(pool).await.expect("insert relation");
        }
    }
}

/// The names (entity ref without kind prefix noise) of every entity `query` selects, in order.
async fn run(pool: &AnyPool, query: &EntityQuery) -> Vec<String> {
    let sql = query.page_sql(None, Direction::Next, 1000, 0);
    let rows = sql.query().fetch_all(pool).await.unwrap_or_else(|e| panic!("{e}: {}", sql.sql));
    rows.iter().map(|r| PageRow::from_row(r, query.order.len()).expect("row").entity_ref).collect()
}

fn refs(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn params(pairs: &[(&str, &str)]) -> QueryParams {
    QueryParams(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

async fn filtered(pool: &AnyPool, filters: &[&str]) -> Vec<String> {
    let filter = EntityFilter::parse(filters.iter().copied()).expect("filter").map(|f| f.to_predicate());
    run(pool, &EntityQuery { filter, ..Default::default() }).await
}

async fn predicate(pool: &AnyPool, query: Value) -> Vec<String> {
    let filter = Some(Predicate::from_json(&query).expect("predicate"));
    run(pool, &EntityQuery { filter, ..Default::default() }).await
}

const PAYMENTS: &str = "component:default/payments";
const TRIPS: &str = "component:default/trips";
const WEB: &str = "component:default/web-app";
const API: &str = "api:default/payments-api";
const TEAM_A: &str = "group:default/team-a";
const TEAM_B: &str = "group:default/team-b";
const LEGACY: &str = "component:other/legacy-billing";

async fn check_filters(db: &Db) {
    let p = &db.pool;
    assert_eq!(filtered(p, &["kind=component"]).await, refs(&[PAYMENTS, TRIPS, WEB, LEGACY]), "{}", db.name);
    assert_eq!(filtered(p, &["kind=api", "kind=group"]).await, refs(&[API, TEAM_A, TEAM_B]));
    assert_eq!(filtered(p, &["kind=api,kind=group"]).await, refs(&[API, TEAM_A, TEAM_B]));
    assert_eq!(filtered(p, &["kind=component,spec.lifecycle=production"]).await, refs(&[PAYMENTS, WEB]));
    assert_eq!(filtered(p, &["metadata.annotations.backstage.io/techdocs-ref"]).await, refs(&[PAYMENTS]));
    assert_eq!(filtered(p, &["metadata.tags.java"]).await, refs(&[PAYMENTS, LEGACY]));
    assert_eq!(filtered(p, &["metadata.tags=java"]).await, refs(&[PAYMENTS, LEGACY]));
    assert_eq!(filtered(p, &["relations.ownedby=group:default/team-a"]).await, refs(&[PAYMENTS, WEB, API]));
    assert_eq!(filtered(p, &["Relations.OwnedBy=Group:Default/Team-A,KIND=Component"]).await, refs(&[PAYMENTS, WEB]));
    assert_eq!(filtered(p, &["metadata.name=LEGACY-billing"]).await, refs(&[LEGACY]));
    assert_eq!(filtered(p, &["metadata.namespace=default,spec.type=service"]).await, refs(&[PAYMENTS, TRIPS]));
    assert_eq!(filtered(p, &["spec.lifecycle="]).await, refs(&[]));
    assert_eq!(filtered(p, &[""]).await.len(), 7, "an empty filter is no filter");
    assert_eq!(filtered(p, &["metadata.uid=u3"]).await, refs(&[WEB]));

    // The generated expression is plain SQL over `entities e`.
    let mut q = SqlQuery::new();
    let filter = EntityFilter::parse(["kind=group"]).expect("parse").expect("some");
    let condition = filter_sql(&filter.to_predicate(), &mut q);
    q.sql = format!("SELECT e.body FROM entities e WHERE {condition} ORDER BY e.uid");
    let bodies: Vec<String> = q.query().fetch_all(p).await.expect("query").iter()
        .map(|r| sqlx::Row::get::<String, _>(r, "body")).collect();
    let names: Vec<Value> = bodies.iter().map(|b| serde_json::from_str::<Value>(b).expect("json")["metadata"]["name"].clone()).collect();
    assert_eq!(names, vec![json!("team-a"), json!("team-b")]);
}

async fn check_predicates(db: &Db) {
    let p = &db.pool;
    assert_eq!(predicate(p, json!({ "$all": [] })).await.len(), 7, "{}", db.name);
    assert_eq!(predicate(p, json!({ "$any": [] })).await, refs(&[]));
    assert_eq!(predicate(p, json!({})).await.len(), 7);
    assert_eq!(predicate(p, json!({ "kind": "Component", "spec.type": "SERVICE" })).await, refs(&[PAYMENTS, TRIPS, LEGACY]));
    assert_eq!(
        predicate(p, json!({ "$all": [{ "kind": "component" }, { "$not": { "spec.lifecycle": "production" } }] })).await,
        refs(&[TRIPS, LEGACY])
    );
    assert_eq!(predicate(p, json!({ "$any": [{ "kind": "api" }, { "metadata.name": "trips" }] })).await, refs(&[TRIPS, API]));
    assert_eq!(predicate(p, json!({ "metadata.title": { "$exists": false } })).await, refs(&[TRIPS, TEAM_A, TEAM_B]));
    assert_eq!(predicate(p, json!({ "metadata.title": { "$exists": true }, "kind": "api" })).await, refs(&[API]));
    assert_eq!(predicate(p, json!({ "spec.owner": { "$in": ["TEAM-B", "nobody"] } })).await, refs(&[TRIPS, LEGACY]));
    assert_eq!(predicate(p, json!({ "spec.owner": { "$in": [] } })).await, refs(&[]));
    assert_eq!(predicate(p, json!({ "metadata.name": { "$hasPrefix": "PAY" } })).await, refs(&[PAYMENTS, API]));
    // `_` and `%` are literal: `web_` must not match `web-app`.
    assert_eq!(predicate(p, json!({ "metadata.name": { "$hasPrefix": "web_" } })).await, refs(&[]));
    assert_eq!(predicate(p, json!({ "metadata.name": { "$hasPrefix": "%" } })).await, refs(&[]));
    assert_eq!(predicate(p, json!({ "metadata.tags": { "$contains": "Java" } })).await, refs(&[PAYMENTS, LEGACY]));
    let owned_by_a = json!({ "relations": { "$contains": { "type": "ownedBy", "targetRef": "group:default/team-a" } } });
    assert_eq!(predicate(p, owned_by_a).await, refs(&[PAYMENTS, WEB, API]));
    let any_to_payments = json!({ "relations": { "$contains": { "targetRef": "component:default/payments" } } });
    assert_eq!(predicate(p, any_to_payments).await, refs(&[API, TEAM_A]));
    assert_eq!(predicate(p, json!({ "spec.children": { "$exists": true } })).await, refs(&[]), "empty arrays leave no rows");
}

async fn check_full_text(db: &Db) {
    let p = &db.pool;
    let text = |term: &str, fields: &[&str]| EntityQuery {
        full_text: FullTextFilter::new(Some(term), fields.iter().copied()),
        ..Default::default()
    };
    assert_eq!(run(p, &text(" PAYMENTS ", &[])).await, refs(&[PAYMENTS, API]), "{}", db.name);
    assert_eq!(run(p, &text("team-b", &["spec.owner"])).await, refs(&[TRIPS, LEGACY]));
    assert_eq!(run(p, &text("team", &["metadata.name", "spec.type"])).await, refs(&[TEAM_A, TEAM_B]));
    assert_eq!(run(p, &text("%", &[])).await, refs(&[]));
    let both = EntityQuery { filter: Some(Predicate::from_json(&json!({"kind": "api"})).expect("p")), ..text("payments", &[]) };
    assert_eq!(run(p, &both).await, refs(&[API]));
}

fn ordered(fields: &[&str]) -> EntityQuery {
    let order = OrderField::parse_all(fields.iter().copied()).expect("order");
    EntityQuery { order, ..Default::default() }
}

async fn check_order_and_pages(db: &Db) {
    let p = &db.pool;
    assert_eq!(run(p, &ordered(&[])).await, refs(&[PAYMENTS, TRIPS, WEB, API, TEAM_A, TEAM_B, LEGACY]), "{}", db.name);
    let asc = refs(&[LEGACY, TRIPS, PAYMENTS, WEB, API, TEAM_A, TEAM_B]);
    assert_eq!(run(p, &ordered(&["spec.lifecycle"])).await, asc);
    assert_eq!(run(p, &ordered(&["spec.lifecycle,asc"])).await, asc);
    let desc = refs(&[PAYMENTS, WEB, API, TRIPS, LEGACY, TEAM_A, TEAM_B]);
    assert_eq!(run(p, &ordered(&["spec.lifecycle,desc"])).await, desc, "NULLs stay last");
    let legacy = EntityQuery { order: vec![OrderField::parse_legacy("desc:metadata.title").expect("order")], ..Default::default() };
    assert_eq!(run(p, &legacy).await, refs(&[WEB, PAYMENTS, API, LEGACY, TRIPS, TEAM_A, TEAM_B]));

    let total = |q: &EntityQuery| {
        let sql = q.count_sql();
        async move { sqlx::Row::get::<i64, _>(&sql.query().fetch_one(p).await.expect("count"), "total") }
    };
    assert_eq!(total(&ordered(&[])).await, 7);

    let orders: [&[&str]; 5] = [&[], &["spec.lifecycle"], &["spec.lifecycle,desc"], &["kind", "metadata.title,desc"], &["metadata.tags"]];
    for order in orders {
        let mut query = ordered(order);
        query.filter = Some(Predicate::from_json(&json!({ "metadata.name": { "$exists": true } })).expect("p"));
        let everything = run(p, &query).await;
        for limit in 1..=4u64 {
            let pages = walk(p, &query, limit).await;
            let flat: Vec<String> = pages.iter().flatten().cloned().collect();
            assert_eq!(flat, everything, "{} order {order:?} limit {limit}", db.name);
        }
    }
}

/// Reads every page forwards through `nextCursor`s, then checks that
/// `prevCursor`s lead back through the same pages.
async fn walk(p: &AnyPool, query: &EntityQuery, limit: u64) -> Vec<Vec<String>> {
    let fields = &Fields::default();
    let fetch = |cursor: Option<&Cursor>| {
        let (position, direction) = cursor.map_or((None, Direction::Next), |c| (Some(&c.position), c.direction));
        let sql = query.page_sql(position, direction, limit, 0);
        let from_cursor = cursor.is_some();
        async move {
            let rows = sql.query().fetch_all(p).await.unwrap_or_else(|e| panic!("{e}: {}", sql.sql));
            let rows = rows.iter().map(|r| PageRow::from_row(r, query.order.len()).expect("row")).collect();
            let f = Fetch { query, fields, total_items: 7, direction, from_cursor, limit };
            finish_page(f, rows, |r| Ok::<_, AppError>(r.entity_ref)).expect("page")
        }
    };
    let mut pages = vec![fetch(None).await];
    assert!(pages[0].prev_cursor.is_none());
    while let Some(next) = pages.last().and_then(|p| p.next_cursor.clone()) {
        let cursor = Cursor::decode(&next).expect("cursor");
        assert_eq!(&cursor.query, query);
        pages.push(fetch(Some(&cursor)).await);
        assert!(pages.len() < 20, "pagination does not end");
    }
    let mut back = pages.last().and_then(|p| p.prev_cursor.clone());
    for expected in pages.iter().rev().skip(1) {
        let cursor = Cursor::decode(back.as_deref().expect("a prev cursor")).expect("cursor");
        let page = fetch(Some(&cursor)).await;
        assert_eq!(page.items, expected.items, "walking back");
        assert!(page.next_cursor.is_some());
        back = page.prev_cursor;
    }
    assert!(back.is_none(), "the first page has no prev cursor");
    pages.into_iter().map(|p| p.items).collect()
}

#[tokio::test]
async fn queries_select_the_right_entities_on_every_database() {
    for db in databases().await {
        let cleanup = db.cleanup.clone();
        // Checked in a task so that a failure still drops the PostgreSQL schema.
        let checked = tokio::spawn(async move {
            check_filters(&db).await;
            check_predicates(&db).await;
            check_full_text(&db).await;
            check_order_and_pages(&db).await;
            eprintln!("catalog_query: filters, predicates, full text, order and cursors checked on {}", db.name);
            db.pool.close().await;
        })
        .await;
        if let Some((admin, schema)) = cleanup {
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&admin).await.expect("drop schema");
        }
        if let Err(failure) = checked {
            std::panic::resume_unwind(failure.into_panic());
        }
    }
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
