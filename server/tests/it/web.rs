//! The web server: routes, status codes and page content, driven through the
//! router without a socket.

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use portolan::web::{AppState, MemoryCatalog, router};
use portolan_frontend::EntitySummary;
use tower::ServiceExt;

fn entity(kind: &str, name: &str, description: &str) -> EntitySummary {
    EntitySummary {
        kind: kind.into(),
        namespace: "default".into(),
        name: name.into(),
        description: Some(description.into()),
        ..Default::default()
    }
}

fn state() -> AppState {
    let mut petstore = entity("API", "petstore", "Sells pets over HTTP");
    petstore.spec_type = Some("openapi".into());
    petstore.owner = Some("group:team-pets".into());
    petstore.lifecycle = Some("production".into());
    petstore.tags = vec!["rest".into()];
    let mut web = entity("Component", "web-shop", "The <b>shop</b> front end");
    web.title = Some("Web Shop".into());
    web.spec_type = Some("website".into());
    AppState::new(MemoryCatalog::new(vec![
        web,
        petstore,
        entity("API", "orders-api", "Places orders"),
        entity("Group", "team-pets", "Looks after the pets"),
    ]))
}

/// GETs `uri` and returns status, content type and body.
async fn get(uri: &str) -> (StatusCode, String, String) {
    let request = Request::get(uri)
        .body(Body::empty())
        .expect("valid request");
    let response = router(state())
        .oneshot(request)
        .await
        .expect("router is infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).expect("utf-8 body"),
    )
}

#[tokio::test]
async fn home_shows_counts_per_kind() {
    let (status, content_type, body) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(body.contains("<main"), "{body}");
    assert!(body.contains(r#"href="/style/portolan.css""#), "{body}");
    assert!(body.contains(r#"action="/catalog""#), "{body}");
    assert!(body.contains("4 entities of 3 kinds"), "{body}");
    assert!(body.contains(r#"href="/catalog?kind=api""#), "{body}");
    assert!(body.contains(r#"href="/catalog?kind=component""#), "{body}");
    assert!(body.contains(r#"href="/catalog?kind=group""#), "{body}");
}

#[tokio::test]
async fn empty_catalog_home_explains_itself() {
    let request = Request::get("/")
        .body(Body::empty())
        .expect("valid request");
    let response = router(AppState::new(MemoryCatalog::default()))
        .oneshot(request)
        .await
        .expect("ok");
    assert_eq!(response.status(), StatusCode::OK);
    let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("The catalog is empty."), "{body}");
    assert!(body.contains("Nothing to show yet"), "{body}");
}

#[tokio::test]
async fn catalog_lists_everything_sorted_by_kind_then_name() {
    let (status, _, body) = get("/catalog").await;
    assert_eq!(status, StatusCode::OK);
    let order: Vec<_> = ["Web Shop", "orders-api", "petstore", "team-pets"]
        .iter()
        .map(|name| {
            let cell = format!(r#"<span class="entity-display">{name}</span>"#);
            body.find(&cell)
                .unwrap_or_else(|| panic!("{cell} missing from {body}"))
        })
        .collect();
    assert!(order.is_sorted(), "{order:?}");
    assert!(body.contains("4 entities"), "{body}");
}

#[tokio::test]
async fn catalog_filters_by_kind() {
    let (status, _, body) = get("/catalog?kind=api").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("petstore") && body.contains("orders-api"),
        "{body}"
    );
    assert!(
        !body.contains("web-shop") && !body.contains("Looks after the pets"),
        "{body}"
    );
    assert!(body.contains("<h1>APIs</h1>"), "{body}");
    assert!(
        body.contains("openapi") && body.contains("group:team-pets") && body.contains("production")
    );
    // The APIs entry of the navigation is the current one.
    assert!(
        body.contains(r#"href="/catalog?kind=api" aria-current="page""#),
        "{body}"
    );
}

#[tokio::test]
async fn catalog_searches_name_title_and_description() {
    let (_, _, body) = get("/catalog?q=PETS").await;
    assert!(
        body.contains("petstore") && body.contains("team-pets"),
        "{body}"
    );
    assert!(
        !body.contains("orders-api") && !body.contains("web-shop"),
        "{body}"
    );
    assert!(
        body.contains(r#"value="PETS""#),
        "search box keeps the query: {body}"
    );

    let (_, _, body) = get("/catalog?q=web+shop&kind=").await;
    assert!(
        body.contains("Web Shop") && body.contains("1 entity"),
        "{body}"
    );

    let (status, _, body) = get("/catalog?kind=group&q=nothing-matches-this").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("No entities match."), "{body}");
}

#[tokio::test]
async fn entity_text_is_escaped() {
    let (_, _, body) = get("/catalog?kind=component").await;
    assert!(
        body.contains("The &lt;b&gt;shop&lt;/b&gt; front end"),
        "{body}"
    );
    let (_, _, body) = get("/catalog?q=%22%3E%3Cscript%3E").await;
    assert!(!body.contains("<script>"), "{body}");
}

#[tokio::test]
async fn unknown_path_is_a_real_404() {
    let (status, content_type, body) = get("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(content_type.starts_with("text/html"));
    assert!(
        body.contains("Page not found") && body.contains("/no/such/page"),
        "{body}"
    );
}

#[tokio::test]
async fn stylesheet_is_served() {
    let (status, content_type, body) = get("/style/portolan.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/css"), "{content_type}");
    assert!(body.contains("prefers-color-scheme: dark"));
}

#[tokio::test]
async fn placeholder_sections_answer() {
    for path in ["/create", "/clusters"] {
        let (status, _, body) = get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            body.contains("not available in this build yet"),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn serves_over_a_real_socket() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, router(state())).await });
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("<!DOCTYPE html>"), "{response}");
    server.abort();
}
