//! The pages, driven through the router over a real SQLite database with the
//! example catalog: status codes, the explorer's filters, facets, sort and
//! paging, an entity page of every kind, API definitions, the register and
//! unregister flow, and snapshots of what users see.

use axum::http::StatusCode;

use crate::support::{TestApp, repo};

async fn example() -> TestApp {
    TestApp::builder().with_example_catalog().build().await.expect("sqlite app")
}

/// The `<main>` element of a page, with the checkout's path and the stored
/// uids/etags replaced, for snapshots that hold on any machine.
fn main_of(body: &str) -> String {
    let start = body.find("<main").unwrap_or(0);
    let end = body.find("</main>").map_or(body.len(), |i| i + 7);
    let repo = repo().canonicalize().expect("repo").to_string_lossy().into_owned();
    let text = body[start..end].replace(&repo, "[repo]");
    let ids = regex::Regex::new("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}").expect("regex");
    ids.replace_all(&text, "[id]").replace("><", ">\n<")
}

#[tokio::test]
async fn home_counts_kinds_and_links_the_explorer() {
    let app = example().await;
    let (status, body) = app.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with("<!DOCTYPE html>") && body.contains("<main"), "{body}");
    assert!(body.contains(r#"href="/catalog?kind=component""#) && body.contains(r#"href="/catalog-import""#));
    assert!(body.contains("entities of 9 kinds"), "{body}");
}

#[tokio::test]
async fn explorer_filters_by_facets_with_counts() {
    let app = example().await;
    let (status, body) = app.get("/catalog?kind=component&owner=group:default/trip-engine").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<h1>Components</h1>"), "{body}");
    assert!(body.contains(">Trip service<"), "{body}");
    assert!(!body.contains(">Billing admin<"), "other owners are filtered out");
    // Facet values toggle through links that keep the rest of the state.
    assert!(body.contains(r#"href="/catalog?owner=group%3Adefault%2Ftrip-engine""#), "kind off, owner kept: {body}");
    assert!(body.contains(r#"aria-pressed="true""#));
    // The kind facet counts what the owner filter leaves, over every kind.
    let api_count = regex::Regex::new(r#"aria-label="Kind API: (\d+)""#).expect("regex");
    let n: usize = api_count.captures(&body).and_then(|c| c[1].parse().ok()).expect("API facet value");
    assert!(n >= 1, "trip-engine owns APIs");
    // Text search keeps facets as hidden fields.
    assert!(body.contains(r#"<input type="hidden" name="kind" value="component""#), "{body}");
}

#[tokio::test]
async fn explorer_sorts_and_pages_with_cursors() {
    let app = example().await;
    let (_, first) = app.get("/catalog?limit=25&sort=name").await;
    assert!(first.contains("1–25 of "), "{first}");
    assert!(first.contains(r#"aria-sort="ascending""#));
    let next = regex::Regex::new(r#"rel="next" href="([^"]+)""#).expect("regex");
    let href = next.captures(&first).map(|c| c[1].replace("&amp;", "&")).expect("next link");
    assert!(href.contains("cursor=25") && href.contains("sort=name"), "{href}");
    let (status, second) = app.get(&href).await;
    assert_eq!(status, StatusCode::OK);
    assert!(second.contains("26–50 of "), "{second}");
    assert!(second.contains(r#"rel="prev""#));
    let (_, desc) = app.get("/catalog?sort=name&order=desc&kind=domain").await;
    let pos = |name: &str| desc.find(&format!(">{name}<")).unwrap_or_else(|| panic!("{name} in {desc}"));
    assert!(pos("Rider Experience") < pos("Platform") && pos("Platform") < pos("Fleet Operations"), "descending by name");
    let (_, found) = app.get("/catalog?q=GBFS").await;
    assert!(found.contains(">Stations API<") && found.contains("1–1 of 1 entity"), "{found}");
    let (_, none) = app.get("/catalog?q=no-such-thing-anywhere").await;
    assert!(none.contains("No entities match."));
}

#[tokio::test]
async fn entity_page_of_every_kind() {
    let app = example().await;
    let pages = [
        ("component", "trip-service", &["Provided APIs", "Consumed APIs", "Depends on", "<svg"][..]),
        ("api", "trips-api", &["Provided by", "Read the definition"][..]),
        ("system", "trips", &["Components", "APIs"][..]),
        ("domain", "rider-experience", &["Systems"][..]),
        ("resource", "trips-db", &["Dependency of"][..]),
        ("group", "trip-engine", &["Members", "Owns", "Parent group"][..]),
        ("user", "olga.ivanova", &["Groups", "Profile"][..]),
        ("template", "go-service", &["Choose this template", "/create/templates/default/go-service", "Steps"][..]),
        ("location", "spokewise-example", &["Targets"][..]),
    ];
    for (kind, name, expected) in pages {
        let (status, body) = app.get(&format!("/catalog/default/{kind}/{name}")).await;
        assert_eq!(status, StatusCode::OK, "{kind}/{name}");
        assert!(body.contains("<h2 id=\"about-title\">About</h2>"), "{kind}/{name}");
        assert!(body.contains(r#"id="relations""#), "{kind}/{name}");
        for text in expected {
            assert!(body.contains(text), "{kind}/{name} lacks {text}");
        }
    }
    let (_, yaml) = app.get("/catalog/default/component/trip-service?tab=yaml").await;
    assert!(yaml.contains("apiVersion: backstage.io/v1alpha1") && yaml.contains("name: trip-service"), "{yaml}");
}

#[tokio::test]
async fn api_definitions_are_rendered() {
    let app = example().await;
    let (status, body) = app.get("/catalog/default/api/trips-api?tab=definition").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("/trips/{tripId}") && body.contains("listTrips") && body.contains("TripPage"), "{body}");
    let (_, asyncapi) = app.get("/catalog/default/api/trip-events?tab=definition").await;
    assert!(asyncapi.contains("trip.started") || asyncapi.contains("trips"), "{asyncapi}");
    let (_, graphql) = app.get("/catalog/default/api/rider-graphql?tab=definition").await;
    assert!(graphql.contains("apidef-tok"), "graphql is highlighted: {graphql}");
    let (_, grpc) = app.get("/catalog/default/api/station-availability-grpc?tab=definition").await;
    assert!(grpc.contains("apidef-tok"), "{grpc}");
    let (_, apis) = app.get("/api-docs").await;
    assert!(apis.contains("<h1>APIs</h1>") && apis.contains(">Trips API<") && !apis.contains(">Trip service<"), "{apis}");
    assert!(apis.contains(r#"href="/api-docs" aria-current="page""#), "{apis}");
}

#[tokio::test]
async fn unknown_entity_is_a_404_with_close_matches() {
    let app = example().await;
    let (status, body) = app.get("/catalog/default/component/trip-servce").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Did you mean") && body.contains(r#"href="/catalog/default/component/trip-service""#), "{body}");
    let (status, body) = app.get("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("/no/such/page"), "{body}");
}

#[tokio::test]
async fn register_preview_then_unregister() {
    let app = example().await;
    let file = app.scratch.path().join("catalog-info.yaml");
    std::fs::write(
        &file,
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: imported-svc\n  description: The <b>imported</b> one\nspec:\n  type: service\n  lifecycle: experimental\n  owner: group:default/trip-engine\n",
    )
    .expect("write");
    let target = file.to_string_lossy().into_owned();

    let (status, redirect) = app.get("/catalog-import").await;
    assert_eq!((status, redirect.as_str()), (StatusCode::SEE_OTHER, "redirect:/sign-in?returnTo=%2Fcatalog-import"), "sign in first");
    app.sign_in_as_guest().await;
    let (status, form) = app.get("/catalog-import").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"method="post" action="/catalog-import""#));

    let (status, preview) = app.post_form("/catalog-import", &[("action", "analyze"), ("target", &target)]).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(preview.contains("imported-svc") && preview.contains("Register 1 entity"), "{preview}");
    assert_eq!(app.get("/catalog/default/component/imported-svc").await.0, StatusCode::NOT_FOUND, "a preview stores nothing");

    let (status, done) = app.post_form("/catalog-import", &[("action", "register"), ("target", &target)]).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert!(done.contains(r#"href="/catalog/default/component/imported-svc""#), "{done}");
    let (status, page) = app.get("/catalog/default/component/imported-svc").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("The &lt;b&gt;imported&lt;/b&gt; one"), "text is escaped: {page}");
    let (_, again) = app.post_form("/catalog-import", &[("action", "register"), ("target", &target)]).await;
    assert!(again.contains("already exists"), "{again}");

    let unregister = regex::Regex::new(r#"href="(/catalog-import/locations/[^"]+/unregister)""#).expect("regex");
    let href = unregister.captures(&page).map(|c| c[1].to_owned()).expect("unregister link");
    let (status, confirm) = app.get(&href).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Unregister and remove 1 entity") && confirm.contains("imported-svc"), "{confirm}");
    let (status, gone) = app.post_form(&href, &[]).await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    assert!(gone.contains("The location was removed"));
    assert_eq!(app.get("/catalog/default/component/imported-svc").await.0, StatusCode::NOT_FOUND);

    let (status, bad) = app.post_form("/catalog-import", &[("action", "analyze"), ("target", "")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains(r#"role="alert""#), "{bad}");
    // Configured locations are not unregistered from the portal.
    let (_, trip) = app.get("/catalog/default/component/trip-service").await;
    assert!(trip.contains("configured in portolan.yaml") && !trip.contains("Unregister this location"));
}

#[tokio::test]
async fn stylesheet_and_security_headers() {
    let app = example().await;
    let (status, css) = app.get("/style/portolan.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(css.contains("prefers-color-scheme: dark") && css.contains(".explorer") && css.contains(".graph-"));
    let request = axum::http::Request::get("/catalog").body(axum::body::Body::empty()).expect("request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.expect("response");
    let csp = response.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("default-src 'none'"), "{csp}");
}

#[tokio::test]
async fn snapshots_of_entity_pages() {
    let app = example().await;
    for (name, uri) in [
        ("component_trip_service", "/catalog/default/component/trip-service"),
        ("group_trip_engine", "/catalog/default/group/trip-engine"),
        ("api_trips_definition", "/catalog/default/api/trips-api?tab=definition"),
    ] {
        let (status, body) = app.get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        insta::assert_snapshot!(name, main_of(&body));
    }
}

#[tokio::test]
async fn pages_on_postgres_follow_catalog_changes() {
    let Some(app) = TestApp::builder().with_example_catalog().on_postgres().build().await else { return };
    let (status, body) = app.get("/catalog/default/component/trip-service").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Provided APIs"), "{body}");
    let file = app.scratch.path().join("catalog-info.yaml");
    let write = |description: &str| {
        let text = format!("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: live-edit\n  description: {description}\nspec:\n  type: service\n  lifecycle: production\n  owner: trip-engine\n");
        std::fs::write(&file, text).expect("write");
    };
    write("First words");
    app.sign_in_as_guest().await;
    let (status, _) = app.post_form("/catalog-import", &[("action", "register"), ("target", &file.to_string_lossy())]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(app.get("/catalog?q=first+words").await.1.contains(">live-edit<"));
    // An edit reaches the explorer once the catalog has re-read it and the index follows.
    write("Second words");
    app.catalog.process_all().await.expect("refresh");
    app.portal.reload().await.expect("reload");
    let (_, after) = app.get("/catalog?q=second+words").await;
    assert!(after.contains(">live-edit<"), "{after}");
    assert!(app.get("/catalog?q=first+words").await.1.contains("No entities match."));
}
