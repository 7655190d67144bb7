//! The scaffolder's pages without a browser, through the router: the
//! template list and its search and tag filter, the wizard step by step as
//! its HTML forms post it (errors, Back, review, Create), the task page
//! until the run completes, the recent tasks, a missing template, and
//! cancelling a waiting task from its page.

use std::time::{Duration, Instant};

use axum::http::{Request, StatusCode, header};
use portolan::store::locations::{self, ORIGIN_CONFIG};
use tower::ServiceExt;

use crate::scaffolder::{api, app_with_github, wait_for};
use crate::support::TestApp;

const GO_WIZARD: &str = "/create/templates/default/go-service";

/// Undoes the HTML escaping of an attribute value.
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&#x27;", "'").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// The value of the input named `name` (the first one), unescaped.
fn input_value(body: &str, name: &str) -> Option<String> {
    let re = regex::Regex::new(&format!(r#"<input[^>]*\bname="{}"[^>]*>"#, regex::escape(name))).expect("regex");
    let tag = re.find(body)?.as_str();
    let value = regex::Regex::new(r#"\bvalue="([^"]*)""#).expect("regex");
    Some(value.captures(tag).map_or_else(String::new, |c| unescape(&c[1])))
}

/// The wizard's hidden fields (`_step`, `_state`, `_shown`) as the page carries them.
fn hidden_fields(body: &str) -> Vec<(String, String)> {
    ["_step", "_state", "_shown"].iter().filter_map(|name| input_value(body, name).map(|v| ((*name).to_owned(), v))).collect()
}

/// Posts the wizard form shown in `page` with `fields` and the button `go`, as a browser would.
async fn submit(app: &TestApp, uri: &str, page: &str, fields: &[(&str, &str)], go: &str) -> (StatusCode, String) {
    let hidden = hidden_fields(page);
    let mut all: Vec<(&str, &str)> = hidden.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.extend_from_slice(fields);
    all.push(("_go", go));
    app.post_form(uri, &all).await
}

/// The task page's status badge.
fn page_status(body: &str) -> String {
    let re = regex::Regex::new(r#"id="task-status"[^>]*data-status="([a-z]+)""#).expect("regex");
    re.captures(body).map(|c| c[1].to_owned()).unwrap_or_else(|| panic!("no task status on the page: {body}"))
}

/// GETs the task page until its status is final (at most a minute); the last page.
async fn poll_task_page(app: &TestApp, href: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = app.get(href).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if matches!(page_status(&body).as_str(), "completed" | "failed" | "cancelled") {
            return body;
        }
        assert!(Instant::now() < deadline, "{href} did not end: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A GET's headers, with the session's cookie.
async fn headers_of(app: &TestApp, request: Request<axum::body::Body>) -> (StatusCode, axum::http::HeaderMap) {
    let mut request = request;
    if let Some(cookie) = app.cookie() {
        request.headers_mut().insert(header::COOKIE, cookie.parse().expect("cookie"));
    }
    let response = app.router.clone().oneshot(request).await.expect("router is infallible");
    (response.status(), response.headers().clone())
}

/// Whether the page has a link to `href` that says `text`.
fn has_link(body: &str, href: &str, text: &str) -> bool {
    let re = regex::Regex::new(&format!(r#"<a [^>]*\bhref="{}"[^>]*>{}</a>"#, regex::escape(href), regex::escape(text))).expect("regex");
    re.is_match(body)
}

/// The text between the input `id` and the end of its field's `<div>`.
fn field_block<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body.find(&format!(r#"id="{id}""#)).unwrap_or_else(|| panic!("no #{id} in {body}"));
    let end = body[start..].find("</div>").map_or(body.len(), |i| start + i);
    &body[start..end]
}

#[tokio::test]
async fn template_list_search_and_tag_filter() {
    let (app, _gh, _repos) = app_with_github().await;
    let (status, all) = app.get("/create").await;
    assert_eq!(status, StatusCode::OK);
    assert!(all.contains(">Go service<") && all.contains(">Rust service<"), "{all}");
    assert!(all.contains(r#"href="/create/templates/default/go-service""#), "a Choose link per template: {all}");
    assert!(all.contains("2 templates"), "{all}");

    let (_, rust) = app.get("/create?q=rust").await;
    assert!(rust.contains(">Rust service<") && !rust.contains(">Go service<"), "q=rust narrows: {rust}");
    assert!(rust.contains("1 template"), "{rust}");
    assert!(rust.contains(r#"name="q" value="rust""#), "the box keeps the query");

    let (_, go) = app.get("/create?tag=go").await;
    assert!(go.contains(">Go service<") && !go.contains(">Rust service<"), "tag=go filters: {go}");
    assert!(go.contains(r#"<input type="hidden" name="tag" value="go""#), "search keeps the tag");

    let (_, none) = app.get("/create?q=no-such-template").await;
    assert!(none.contains("No templates match.") && none.contains("Show all templates"), "{none}");
}

#[tokio::test]
async fn wizard_needs_a_signed_in_user_and_a_template_that_exists() {
    let (app, _gh, _repos) = app_with_github().await;
    app.forget_session();
    let (status, to) = app.get(GO_WIZARD).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert!(to.starts_with("redirect:/sign-in?returnTo=") && to.contains("go-service"), "{to}");

    app.sign_in_as_guest().await;
    let (status, body) = app.get("/create/templates/default/no-such-template").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("There is no template default/no-such-template in the catalog."), "{body}");
    let (status, _) = app.get("/create/tasks/00000000-0000-0000-0000-000000000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn wizard_pages_are_not_cached() {
    let (app, _gh, _repos) = app_with_github().await;
    let (status, headers) = headers_of(&app, Request::get(GO_WIZARD).body(axum::body::Body::empty()).expect("request")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("no-store"), "GET: {headers:?}");

    app.get(GO_WIZARD).await; // a fresh form token
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("_step", "0"), ("_state", "{}"), ("p.name", "Bad Name"), ("_go", "next"), ("_csrf", app.csrf().as_str())])
        .finish();
    let request = Request::post(GO_WIZARD).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(axum::body::Body::from(form)).expect("request");
    let (status, headers) = headers_of(&app, request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("no-store"), "POST: {headers:?}");
}

#[tokio::test]
async fn wizard_to_completed_task_and_the_entity_in_the_catalog() {
    let (app, gh, _repos) = app_with_github().await;
    let name = "wiz-pages";

    // Step 1: the fields and the owner picker's choices from the catalog.
    let (status, step1) = app.get(GO_WIZARD).await;
    assert_eq!(status, StatusCode::OK);
    for field in ["p.name", "p.description", "p.owner", "p.system"] {
        assert!(step1.contains(&format!(r#"name="{field}""#)), "{field} on step 1: {step1}");
    }
    assert!(!step1.contains(r#"name="p.port""#), "step 2's fields are not on step 1");
    assert!(step1.contains(r#"<option value="group:default/platform-eng">"#), "OwnerPicker choices: {step1}");
    assert!(!step1.contains(r#"<option value="user:default/"#), "catalogFilter kind: Group leaves out users");
    assert!(step1.contains(r#"<option value="system:default/billing">"#), "EntityPicker choices (kind System)");
    assert_eq!(input_value(&step1, "_step").as_deref(), Some("0"));

    // An invalid name: 422, the message by the field, what was typed kept.
    let bad = [("p.name", "Bad Name"), ("p.description", "Keeps \"quotes\" & all"), ("p.owner", "group:default/platform-eng"), ("p.system", "")];
    let (status, invalid) = submit(&app, GO_WIZARD, &step1, &bad, "next").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{invalid}");
    assert!(invalid.contains("There is a problem"), "the error summary: {invalid}");
    let block = field_block(&invalid, "f-name");
    assert!(block.contains(r#"value="Bad Name""#) && block.contains(r#"aria-invalid="true""#), "{block}");
    let error = regex::Regex::new(r#"<p (id="f-name-error" class="field-error"|class="field-error" id="f-name-error")>must match the pattern"#).expect("regex");
    assert!(error.is_match(block), "the error next to the field: {block}");
    assert_eq!(input_value(&invalid, "p.description").as_deref(), Some("Keeps \"quotes\" & all"));
    assert_eq!(input_value(&invalid, "p.owner").as_deref(), Some("group:default/platform-eng"));
    assert_eq!(input_value(&invalid, "_step").as_deref(), Some("0"), "still step 1");

    // Valid: step 2 with the repository picker and the port's default.
    let good = [("p.name", name), ("p.description", "Keeps \"quotes\" & all"), ("p.owner", "group:default/platform-eng"), ("p.system", "system:default/billing")];
    let (status, step2) = submit(&app, GO_WIZARD, &invalid, &good, "next").await;
    assert_eq!(status, StatusCode::OK, "{step2}");
    assert_eq!(input_value(&step2, "_step").as_deref(), Some("1"));
    let host = regex::Regex::new(r#"<select[^>]*name="p.repoUrl.host"[^>]*><option value="github.com"[^>]*>github.com</option>(<!>)?</select>"#).expect("regex");
    assert!(host.is_match(&step2), "the host is a select of the allowed hosts: {step2}");
    assert!(step2.contains(r#"name="p.repoUrl.owner""#) && step2.contains(r#"name="p.repoUrl.repo""#), "{step2}");
    assert_eq!(input_value(&step2, "p.port").as_deref(), Some("8080"), "the port's default");

    // Back keeps step 1's values, and what step 2 had.
    let repo = [("p.port", "8080"), ("p.repoUrl.host", "github.com"), ("p.repoUrl.owner", "acme"), ("p.repoUrl.repo", name)];
    let (status, back) = submit(&app, GO_WIZARD, &step2, &repo, "back").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(input_value(&back, "_step").as_deref(), Some("0"));
    assert_eq!(input_value(&back, "p.name").as_deref(), Some(name));
    assert_eq!(input_value(&back, "p.description").as_deref(), Some("Keeps \"quotes\" & all"));
    let (_, step2) = submit(&app, GO_WIZARD, &back, &good, "next").await;
    assert_eq!(input_value(&step2, "p.repoUrl.owner").as_deref(), Some("acme"), "step 2 kept too");
    assert_eq!(input_value(&step2, "p.repoUrl.repo").as_deref(), Some(name));

    // Review shows every value.
    let (status, review) = submit(&app, GO_WIZARD, &step2, &repo, "next").await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert!(review.contains("<h2>Review</h2>"), "{review}");
    for shown in [name, "Keeps &quot;quotes&quot; &amp; all", "group:default/platform-eng", "system:default/billing", "8080", &format!("github.com/acme/{name}")] {
        assert!(review.contains(shown) || review.contains(&shown.replace("&quot;", "\"")), "review shows {shown}: {review}");
    }

    // Create: a redirect to the task page, which ends completed with its links.
    let (status, to) = submit(&app, GO_WIZARD, &review, &[], "create").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let href = to.strip_prefix("redirect:").expect("a redirect").to_owned();
    let id = href.strip_prefix("/create/tasks/").expect("to the task page").to_owned();
    let started = Instant::now();
    let done = poll_task_page(&app, &href).await;
    eprintln!("MEASURED: wizard Create → task page says completed in {} ms", started.elapsed().as_millis());
    assert_eq!(page_status(&done), "completed", "{done}");
    assert!(!done.contains(r#"http-equiv="refresh""#), "a finished task page does not refresh itself");
    assert!(!done.contains("task-follow.js"), "nor follows the task");
    assert!(has_link(&done, &format!("/catalog/default/component/{name}"), "Open in catalog"), "{done}");
    let bare = url::Url::from_file_path(gh.bare("acme", name)).expect("url").to_string();
    assert!(has_link(&done, &bare, "Repository"), "{done}");

    let (status, entity) = app.get(&format!("/catalog/default/component/{name}")).await;
    assert_eq!(status, StatusCode::OK, "the entity is in the catalog: {entity}");
    assert!(entity.contains("Keeps"), "{entity}");
    let (status, task) = api(&app, "GET", &format!("/api/scaffolder/v2/tasks/{id}"), None).await;
    assert_eq!((status, task["spec"]["parameters"]["repoUrl"].as_str()), (StatusCode::OK, Some(format!("github.com?owner=acme&repo={name}").as_str())), "{task}");
    assert_eq!(task["spec"]["parameters"]["port"], 8080, "the port is a number");

    let (status, recent) = app.get("/create/tasks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(recent.contains(&format!(r#"href="{href}""#)) && has_link(&recent, GO_WIZARD, "Go service"), "{recent}");
    assert!(recent.contains(r#"data-status="completed""#), "{recent}");
}

/// A template of one `debug:wait` step of 30 s, registered from the test's own folder.
async fn register_slow_template(app: &TestApp) {
    let file = app.scratch.path().join("slow-template.yaml");
    std::fs::write(
        &file,
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: slow-wait\n  title: Slow wait\nspec:\n  owner: group:default/platform-eng\n  type: service\n  parameters:\n    - title: A note\n      properties:\n        note:\n          title: Note\n          type: string\n  steps:\n    - id: wait\n      name: Wait half a minute\n      action: debug:wait\n      input:\n        seconds: 30\n",
    )
    .expect("write the template");
    let target = file.canonicalize().expect("template path");
    locations::insert(&app.catalog.db.pool, "file", &target.to_string_lossy(), ORIGIN_CONFIG).await.expect("location");
    app.catalog.process_all().await.expect("process");
}

#[tokio::test]
async fn cancel_from_the_task_page_ends_a_waiting_task() {
    let (app, _gh, _repos) = app_with_github().await;
    register_slow_template(&app).await;
    let uri = "/create/templates/default/slow-wait";
    let (status, step) = app.get(uri).await;
    assert_eq!(status, StatusCode::OK, "{step}");
    let (_, review) = submit(&app, uri, &step, &[("p.note", "wait")], "next").await;
    let (status, to) = submit(&app, uri, &review, &[], "create").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let href = to.strip_prefix("redirect:").expect("a redirect").to_owned();
    let id = href.rsplit('/').next().expect("id").to_owned();

    // Running: the page follows the task and offers Cancel.
    let deadline = Instant::now() + Duration::from_secs(20);
    let running = loop {
        let (_, body) = app.get(&href).await;
        if body.contains("Waiting 30 seconds") {
            break body;
        }
        assert!(Instant::now() < deadline, "the wait did not start: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(page_status(&running), "processing", "{running}");
    assert!(running.contains(r#"<noscript><meta http-equiv="refresh" content="2"></noscript>"#), "{running}");
    assert!(running.contains(r#"src="/static/task-follow.js""#), "{running}");
    let action = format!("{href}/cancel");
    assert!(running.contains(&format!(r#"action="{action}""#)) && running.contains("Cancel task"), "{running}");

    let (status, missing_token) = app.post_form_without_token(&action, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "cancel needs the form token: {missing_token}");
    let asked = Instant::now();
    let (status, to) = app.post_form(&action, &[]).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, format!("redirect:{href}").as_str()));
    let task = wait_for(&app, &id).await;
    let took = asked.elapsed();
    eprintln!("MEASURED: cancel → task cancelled in {} ms", took.as_millis());
    assert_eq!(task["status"], "cancelled", "{task}");
    assert!(took < Duration::from_secs(5), "cancelled quickly, not after the 30 s wait: {took:?}");
    let (_, page) = app.get(&href).await;
    assert_eq!(page_status(&page), "cancelled", "{page}");
    assert!(!page.contains("Cancel task") && !page.contains(r#"http-equiv="refresh""#), "nothing left to cancel or follow: {page}");
}
