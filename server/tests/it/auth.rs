//! Sign-in, sessions, permissions and audit: GitHub's OAuth flow against a
//! local HTTP double of GitHub (authorize redirect, token exchange, REST
//! user), the guest, CSRF, 401/403 refusals, owners versus non-owners,
//! API tokens (expired, revoked) and the open-redirect guard.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use portolan::auth::AuthSettings;
use portolan::auth::github::GithubOauth;
use portolan::config::auth::GithubAuth;
use serde_json::{Value, json};

use crate::support::{TestApp, admin_token};

const CLIENT_SECRET: &str = "shh-client-secret-7f3a";

/// GitHub's OAuth and REST endpoints, as a double: `code` is the login to
/// sign in as; every call is recorded.
#[derive(Clone, Default)]
struct FakeGithub {
    calls: Arc<Mutex<Vec<String>>>,
}

async fn token(State(gh): State<FakeGithub>, Form(form): Form<Vec<(String, String)>>) -> Json<Value> {
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    gh.calls.lock().expect("calls").push(format!("token code={}", field("code")));
    if field("client_id") != "portolan-test" || field("client_secret") != CLIENT_SECRET {
        return Json(json!({ "error": "incorrect_client_credentials" }));
    }
    Json(json!({ "access_token": format!("gho_{}", field("code")), "token_type": "bearer" }))
}

async fn user(State(gh): State<FakeGithub>, headers: HeaderMap) -> Result<Json<Value>, StatusCode> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    gh.calls.lock().expect("calls").push(format!("user {auth}"));
    let login = auth.strip_prefix("Bearer gho_").or_else(|| auth.strip_prefix("token gho_")).ok_or(StatusCode::UNAUTHORIZED)?;
    Ok(Json(json!({ "login": login, "name": format!("{login} (GitHub)"), "email": null })))
}

async fn emails() -> Json<Value> {
    Json(json!([]))
}

async fn teams(headers: HeaderMap) -> Json<Value> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if auth.ends_with("gho_teamster") {
        return Json(json!([{ "slug": "rider-apps", "organization": { "login": "Spokewise" } }]));
    }
    Json(json!([]))
}

async fn fake_github() -> (String, FakeGithub) {
    let gh = FakeGithub::default();
    let app = Router::new()
        .route("/login/oauth/access_token", post(token))
        .route("/api/v3/user", get(user))
        .route("/api/v3/user/emails", get(emails))
        .route("/api/v3/user/teams", get(teams))
        .with_state(gh.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), gh)
}

fn github_settings(base: &str, allow_unknown_users: bool) -> AuthSettings {
    let config = GithubAuth {
        client_id: "portolan-test".into(),
        client_secret: portolan::config::Secret::new(CLIENT_SECRET).expect("secret"),
        enterprise_instance_url: Some(base.to_owned().try_into().expect("url")),
        api_base_url: None,
    };
    AuthSettings {
        guest: false,
        allow_unknown_users,
        github: Some(GithubOauth::new(&config).expect("github")),
        base_url: "http://127.0.0.1:7007".into(),
    }
}

/// Runs GitHub sign-in for `login` through the double; returns where it lands.
async fn github_sign_in(app: &TestApp, login: &str) -> (StatusCode, String) {
    let (status, to) = app.get("/auth/github/start?returnTo=%2Fcatalog").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let authorize = url::Url::parse(to.strip_prefix("redirect:").expect("a redirect")).expect("url");
    assert_eq!(authorize.path(), "/login/oauth/authorize");
    let query: std::collections::HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "portolan-test");
    assert_eq!(query["redirect_uri"], "http://127.0.0.1:7007/auth/github/callback");
    app.get(&format!("/auth/github/callback?code={login}&state={}", query["state"])).await
}

async fn me(app: &TestApp) -> (StatusCode, Value) {
    let (status, body) = app.get("/api/auth/me").await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A JSON API call with the session cookie, and the form token as header when `csrf`.
async fn api(app: &TestApp, method: &str, uri: &str, body: Value, csrf: bool) -> (StatusCode, String) {
    let mut request = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if csrf {
        request = request.header("x-csrf-token", app.csrf());
    }
    app.send(request.body(Body::from(body.to_string())).expect("request")).await
}

#[tokio::test]
async fn github_sign_in_resolves_catalog_users_and_survives_a_restart() {
    let (base, gh) = fake_github().await;
    let app = TestApp::builder().with_example_catalog().with_auth(github_settings(&base, false)).build().await.expect("app");

    assert_eq!(me(&app).await.0, StatusCode::UNAUTHORIZED);
    let (status, landed) = github_sign_in(&app, "spokewise-tbergmann").await;
    assert_eq!((status, landed.as_str()), (StatusCode::SEE_OTHER, "redirect:/catalog"));
    let (status, who) = me(&app).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(who["userRef"], "user:default/theo.bergmann", "matched by the github.com/user-login annotation: {who}");
    let calls = gh.calls.lock().expect("calls").clone();
    assert_eq!(calls, vec!["token code=spokewise-tbergmann".to_owned(), "user Bearer gho_spokewise-tbergmann".to_owned()]);
    let (_, page) = app.get("/catalog").await;
    assert!(page.contains("spokewise-tbergmann (GitHub)"), "the header names the user");

    // The session is in the database: a new server process over it still knows the user.
    let restarted = {
        let catalog = Arc::clone(&app.catalog);
        let portal = portolan::web::LivePortal::new(Arc::clone(&catalog));
        let auth = crate::support::test_auth_with(&catalog, None, Some(github_settings(&base, false))).await;
        portolan::app::router(Arc::clone(&catalog), portal, Arc::new(portolan::ops::Metrics::new()), auth, portolan::app::Services::defaults(&catalog))
    };
    let cookie = app.cookie().expect("a session cookie");
    let request = Request::get("/api/auth/me").header("cookie", cookie).body(Body::empty()).expect("request");
    let response = tower::ServiceExt::oneshot(restarted, request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK, "the session survived the restart");

    // Sign-out ends it.
    let (status, to) = app.post_form("/sign-out", &[]).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "redirect:/"));
    assert_eq!(me(&app).await.0, StatusCode::UNAUTHORIZED);

    // A GitHub user the catalog does not know is refused, and it is audited.
    let (status, page) = github_sign_in(&app, "stranger").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("not in the catalog"), "{page}");
    let events = portolan::store::audit::list(&app.catalog.db.pool, &portolan::store::audit::AuditFilter { limit: 10, ..Default::default() })
        .await
        .expect("audit");
    assert!(events.iter().any(|e| e.actor == "github:stranger" && e.result == "denied"), "{events:?}");
    assert!(events.iter().any(|e| e.actor == "user:default/theo.bergmann" && e.action == "auth.sign-in" && e.result == "ok"));

    // A state that does not match the session's is refused.
    let (status, _) = app.get("/auth/github/callback?code=spokewise-tbergmann&state=forged").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn unknown_github_users_sign_in_when_allowed() {
    let (base, _gh) = fake_github().await;
    let app = TestApp::builder().with_example_catalog().with_auth(github_settings(&base, true)).build().await.expect("app");
    let (status, _) = github_sign_in(&app, "Stranger").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(me(&app).await.1["userRef"], "user:default/stranger");
    // GitHub teams map to the catalog groups annotated with their slug.
    app.post_form("/sign-out", &[]).await;
    github_sign_in(&app, "teamster").await;
    let (_, who) = me(&app).await;
    assert_eq!(who["groups"], json!(["group:default/rider-apps"]), "{who}");
}

#[tokio::test]
async fn state_changing_requests_need_a_session_a_token_and_permission() {
    let mut permission = portolan::config::auth::PermissionConfig::default();
    permission.roles.insert("admin".into(), vec!["user:default/root".into()]);
    permission.rules.push(portolan::config::auth::PermissionRule {
        actions: vec!["catalog.entity.refresh".into()],
        allow: vec!["admin".into()],
        tags: vec![],
    });
    let app = TestApp::builder().with_example_catalog().with_permission(permission).build().await.expect("app");
    let target = app.scratch.path().join("catalog-info.yaml");
    std::fs::write(&target, "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: auth-probe\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/rider-apps\n").expect("write");
    let new_location = json!({ "type": "file", "target": target.to_string_lossy() });

    // No session: 401 on every state-changing endpoint, in Backstage's envelope.
    for (method, uri) in [
        ("POST", "/api/catalog/locations"),
        ("DELETE", "/api/catalog/locations/x"),
        ("DELETE", "/api/catalog/entities/by-uid/x"),
        ("POST", "/api/catalog/refresh"),
        ("POST", "/api/auth/tokens"),
        ("POST", "/catalog-import"),
        ("POST", "/catalog-import/locations/x/unregister"),
    ] {
        let (status, body) = api(&app, method, uri, new_location.clone(), false).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}: {body}");
    }
    // Reads stay open.
    assert_eq!(api(&app, "POST", "/api/catalog/entities/by-query", json!({}), false).await.0, StatusCode::OK);

    // A session without the form token: 403.
    app.sign_in_as_guest().await;
    let (status, body) = api(&app, "POST", "/api/catalog/locations", new_location.clone(), false).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("anti-forgery"), "{body}");
    let (status, _) = app.post_form_without_token("/catalog-import", &[("action", "analyze"), ("target", "x")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // With it: allowed by the defaults, and recorded.
    let (status, body) = api(&app, "POST", "/api/catalog/locations", new_location.clone(), true).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let location_id = serde_json::from_str::<Value>(&body).expect("json")["location"]["id"].as_str().expect("id").to_owned();

    // A rule that reserves refresh to admins: the guest gets 403, and it is audited.
    let (status, body) = api(&app, "POST", "/api/catalog/refresh", json!({ "entityRef": "component:default/auth-probe" }), true).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, audit) = app.get("/api/audit?action=catalog.&limit=20").await;
    let audit: Value = serde_json::from_str(&audit).expect("audit json");
    let results: Vec<(String, String)> = audit["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (e["action"].as_str().unwrap_or_default().to_owned(), e["result"].as_str().unwrap_or_default().to_owned()))
        .collect();
    assert!(results.contains(&("catalog.entity.refresh".into(), "denied".into())), "{results:?}");
    assert!(results.contains(&("catalog.location.create".into(), "ok".into())), "{results:?}");

    // Tokens: a live one works without any session or form token; an expired one is a 401.
    app.forget_session();
    let live = admin_token(&app.catalog.db, "user:default/root", None).await;
    let expired = admin_token(&app.catalog.db, "user:default/root", Some("2020-01-01T00:00:00.000Z")).await;
    let with_token = |secret: &str| {
        Request::post("/api/catalog/refresh")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {secret}"))
            .body(Body::from(json!({ "entityRef": "component:default/auth-probe" }).to_string()))
            .expect("request")
    };
    assert_eq!(app.send(with_token(&expired)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.send(with_token(&live)).await.0, StatusCode::OK, "root is an admin");
    let delete = Request::delete(format!("/api/catalog/locations/{location_id}"))
        .header("authorization", format!("Bearer {live}"))
        .body(Body::empty())
        .expect("request");
    assert_eq!(app.send(delete).await.0, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn owners_may_unregister_and_others_may_not() {
    let (base, _gh) = fake_github().await;
    let app = TestApp::builder().with_example_catalog().with_auth(github_settings(&base, false)).build().await.expect("app");
    let target = app.scratch.path().join("catalog-info.yaml");
    std::fs::write(&target, "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: rider-thing\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/rider-apps\n").expect("write");
    let ci = admin_token(&app.catalog.db, "user:default/ci", None).await;
    let create = Request::post("/api/catalog/locations")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {ci}"))
        .body(Body::from(json!({ "type": "file", "target": target.to_string_lossy() }).to_string()))
        .expect("request");
    let (status, body) = app.send(create).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = serde_json::from_str::<Value>(&body).expect("json")["location"]["id"].as_str().expect("id").to_owned();
    let unregister = format!("/catalog-import/locations/{id}/unregister");

    // Mara is in the company group, not in rider-apps: no button, and a 403.
    github_sign_in(&app, "spokewise-mlindqvist").await;
    let (_, page) = app.get("/catalog/default/component/rider-thing").await;
    assert!(!page.contains("Unregister this location"), "the denied action is not offered");
    let (status, _) = app.post_form(&unregister, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api(&app, "DELETE", &format!("/api/catalog/locations/{id}"), json!({}), true).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Theo is in rider-apps, which owns everything the location holds.
    app.post_form("/sign-out", &[]).await;
    github_sign_in(&app, "spokewise-tbergmann").await;
    let (_, page) = app.get("/catalog/default/component/rider-thing").await;
    assert!(page.contains("Unregister this location"), "the owner is offered the action");
    let (status, page) = app.post_form(&unregister, &[]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("The location was removed"));

    // The audit page lists both attempts, filtered by action.
    let (status, audit) = app.get("/audit?action=catalog.location.delete").await;
    assert_eq!(status, StatusCode::OK);
    assert!(audit.contains("user:default/mara.lindqvist") && audit.contains("audit-denied"), "{audit}");
    assert!(audit.contains("user:default/theo.bergmann") && audit.contains("audit-ok"), "{audit}");
    assert!(!audit.contains("auth.sign-in"), "the filter applies");
}

#[tokio::test]
async fn sign_in_never_redirects_off_site() {
    let app = TestApp::builder().build().await.expect("app");
    for evil in ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"] {
        assert_eq!(portolan::auth::routes::safe_return_to(Some(evil)), "/", "{evil}");
        let (_, page) = app.get(&format!("/sign-in?returnTo={}", url::form_urlencoded::byte_serialize(evil.as_bytes()).collect::<String>())).await;
        assert!(page.contains(r#"name="returnTo" value="/""#), "{evil}: {page}");
        let (status, to) = app.post_form("/sign-in/guest", &[("returnTo", evil)]).await;
        assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "redirect:/"), "{evil}");
    }
    assert_eq!(portolan::auth::routes::safe_return_to(Some("/catalog?kind=api")), "/catalog?kind=api");
    // The pages carry the security headers, and no secret ever reaches them.
    let (_, page) = app.get("/sign-in").await;
    assert!(!page.contains(CLIENT_SECRET));
}

#[tokio::test]
async fn denied_actions_are_not_offered_and_every_page_is_hardened() {
    let mut permission = portolan::config::auth::PermissionConfig::default();
    permission.roles.insert("admin".into(), vec!["group:default/platform-eng".into()]);
    permission.rules.push(portolan::config::auth::PermissionRule {
        actions: vec!["catalog.location.create".into(), "audit.read".into()],
        allow: vec!["admin".into()],
        tags: vec![],
    });
    let app = TestApp::builder().with_example_catalog().with_permission(permission).build().await.expect("app");
    let (_, home) = app.get("/").await;
    assert!(home.contains("Register an existing component"), "offered before sign-in (it leads there)");
    app.sign_in_as_guest().await;
    let (_, home) = app.get("/").await;
    assert!(!home.contains("Register an existing component") && !home.contains(r#"href="/audit""#), "not offered to the guest");
    let (status, _) = app.get("/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    for path in ["/sign-in", "/api/catalog/entities?limit=1", "/catalog"] {
        let response = tower::ServiceExt::oneshot(app.router.clone(), Request::get(path).body(Body::empty()).expect("request")).await.expect("response");
        let csp = response.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp:?}");
        let cookie = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        if !cookie.is_empty() {
            assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{path}: {cookie}");
        }
    }
}
