//! The scaffolder end to end: the golden paths published through a GitHub
//! double into real bare repositories, cloned back and built for real;
//! the task API, events and cancel; publishing to plain git remotes.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use portolan::ingest::url_reader::{CompositeReader, GithubIntegrationSettings, ReadingAllowList, UrlReader};
use serde_json::{Value, json};

use crate::fake_github::{self, FakeGithub};
use crate::support::{TestApp, tools_required};

const TOKEN: &str = "ghp_TESTtoken_never_shown_0123456789";

/// A signed-in app over the example catalog and the golden paths, publishing to a GitHub double.
pub async fn app_with_github() -> (TestApp, Arc<FakeGithub>, tempfile::TempDir) {
    let repos = tempfile::tempdir().expect("tempdir");
    let (gh, api) = fake_github::start(repos.path().to_path_buf()).await;
    let github = GithubIntegrationSettings { host: "github.com".into(), api_base_url: api.clone(), token: Some(TOKEN.into()) };
    let urls = UrlReader::new(vec![github], ReadingAllowList::default()).expect("reader");
    let reader = CompositeReader::new(urls.clone());
    let app = TestApp::builder().with_example_catalog().with_reader(Arc::new(reader)).with_url_reader(urls).with_github_publish(&api, TOKEN).build().await.expect("sqlite app");
    app.sign_in_as_guest().await;
    (app, gh, repos)
}

/// A JSON API call as the signed-in browser session makes it.
pub async fn api(app: &TestApp, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri).header("x-csrf-token", app.csrf());
    let body = match body {
        Some(b) => {
            request = request.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let (status, text) = app.send(request.body(body).expect("request")).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Polls a task until it ends (at most a minute); its JSON.
pub async fn wait_for(app: &TestApp, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, task) = api(app, "GET", &format!("/api/scaffolder/v2/tasks/{id}"), None).await;
        assert_eq!(status, StatusCode::OK, "{task}");
        if matches!(task["status"].as_str(), Some("completed" | "failed" | "cancelled")) {
            return task;
        }
        assert!(Instant::now() < deadline, "task {id} did not end: {task}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn log_of(app: &TestApp, id: &str) -> String {
    let (_, events) = api(app, "GET", &format!("/api/scaffolder/v2/tasks/{id}/events"), None).await;
    events.as_array().expect("events").iter().filter_map(|e| e["body"]["message"].as_str()).collect::<Vec<_>>().join("\n")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").args(args).current_dir(dir).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Starts the template through the API; the task id and when it was asked for.
async fn create(app: &TestApp, template: &str, values: Value) -> (String, Instant) {
    let started = Instant::now();
    let (status, created) = api(app, "POST", "/api/scaffolder/v2/tasks", Some(json!({"templateRef": template, "values": values}))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (created["id"].as_str().expect("id").to_owned(), started)
}

/// Checks what every generated repository must hold: a valid catalog file
/// and Kubernetes manifests that parse as the objects they say they are.
fn check_generated(dir: &Path, name: &str) {
    let validation = portolan::validate::validate_paths(&[dir.join("catalog-info.yaml")], false).expect("validate");
    assert_eq!(validation.errors(), 0, "{}", portolan::validate::render_text(&validation));
    assert_eq!(validation.entities(), 1);
    let mut kinds = Vec::new();
    for entry in std::fs::read_dir(dir.join("k8s")).expect("k8s/") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("manifest");
        for doc in serde_norway::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(doc).expect("yaml");
            let kind = value["kind"].as_str().expect("kind").to_owned();
            let labels = match kind.as_str() {
                "Deployment" => {
                    let d: k8s_openapi::api::apps::v1::Deployment = serde_json::from_value(value).expect("a Deployment");
                    let pod = d.spec.as_ref().and_then(|s| s.template.spec.as_ref()).expect("pod spec");
                    let container = &pod.containers[0];
                    assert!(container.liveness_probe.is_some() && container.readiness_probe.is_some(), "probes");
                    assert_eq!(d.spec.as_ref().and_then(|s| s.template.metadata.as_ref()).and_then(|m| m.labels.as_ref()).and_then(|l| l.get("backstage.io/kubernetes-id")).map(String::as_str), Some(name));
                    d.metadata.labels
                }
                "Service" => serde_json::from_value::<k8s_openapi::api::core::v1::Service>(value).expect("a Service").metadata.labels,
                "HorizontalPodAutoscaler" => serde_json::from_value::<k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler>(value).expect("an HPA").metadata.labels,
                other => panic!("unexpected kind {other}"),
            };
            assert_eq!(labels.as_ref().and_then(|l| l.get("backstage.io/kubernetes-id")).map(String::as_str), Some(name), "{kind} label");
            kinds.push(kind);
        }
    }
    kinds.sort();
    assert_eq!(kinds, ["Deployment", "HorizontalPodAutoscaler", "Service"]);
}

/// Runs a golden path to completion and clones the result; the clone's folder.
async fn scaffold_golden_path(app: &TestApp, gh: &FakeGithub, template: &str, name: &str) -> tempfile::TempDir {
    let values = json!({
        "name": name, "description": "Moves riders' \"receipts\" around", "owner": "group:default/platform-eng",
        "system": "system:default/billing", "port": 8080, "repoUrl": format!("github.com?owner=acme&repo={name}"),
    });
    let (id, started) = create(app, template, values).await;
    let task = wait_for(app, &id).await;
    let elapsed = started.elapsed();
    assert_eq!(task["status"], "completed", "{task}\n{}", log_of(app, &id).await);
    // The entity is in the catalog the moment the task completes.
    let (status, entity) = api(app, "GET", &format!("/api/catalog/entities/by-name/component/default/{name}"), None).await;
    assert_eq!(status, StatusCode::OK, "{entity}");
    eprintln!("MEASURED: {template}: Create → entity in the catalog in {} ms", elapsed.as_millis());
    assert_eq!(entity["spec"]["owner"], "group:default/platform-eng");
    assert_eq!(entity["metadata"]["annotations"]["backstage.io/kubernetes-id"], name);
    let links = &task["state"]["output"]["links"];
    assert_eq!(links[0]["url"], url::Url::from_file_path(gh.bare("acme", name)).expect("url").to_string());
    assert_eq!(links[1]["entityRef"], format!("component:default/{name}"));

    let calls = gh.calls();
    let created = calls.iter().find(|c| c.method == "POST" && c.path == "/orgs/acme/repos").expect("repository created");
    assert_eq!(created.body["name"], name);
    assert_eq!(created.body["private"], true);
    assert_eq!(created.body["description"], "Moves riders' \"receipts\" around");
    assert_eq!(created.authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    assert!(calls.iter().any(|c| c.method == "PUT" && c.path == format!("/repos/acme/{name}/topics")), "topics set");
    assert!(calls.iter().any(|c| c.method == "PUT" && c.path == format!("/repos/acme/{name}/branches/main/protection")), "branch protected");

    let clone = tempfile::tempdir().expect("tempdir");
    let bare = gh.bare("acme", name);
    git(clone.path(), &["clone", "--quiet", "--branch", "main", &bare.to_string_lossy(), "."]);
    assert_eq!(git(clone.path(), &["log", "--format=%s"]).trim(), "initial commit");
    check_generated(clone.path(), name);
    clone
}

fn command_exists(name: &str) -> bool {
    std::process::Command::new(name).arg("version").output().is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn go_service_is_published_registered_and_its_code_passes_go_test() {
    let (app, gh, _repos) = app_with_github().await;
    let clone = scaffold_golden_path(&app, &gh, "template:default/go-service", "demo-go").await;
    let main = std::fs::read_to_string(clone.path().join("main.go")).expect("main.go");
    assert!(!main.contains("${{"), "everything is rendered");
    if !command_exists("go") {
        assert!(!tools_required(), "Go is required (PORTOLAN_REQUIRE_TOOLS=1) but `go` is not on PATH");
        eprintln!("SKIPPED: `go test` of the generated service: no Go toolchain on PATH");
        return;
    }
    let out = std::process::Command::new("go")
        .args(["test", "./..."])
        .current_dir(clone.path())
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .output()
        .expect("go test");
    assert!(out.status.success(), "go test failed:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn rust_service_is_published_registered_and_its_code_passes_cargo_test() {
    let (app, gh, _repos) = app_with_github().await;
    let clone = scaffold_golden_path(&app, &gh, "template:default/rust-service", "demo-rust").await;
    let target = crate::support::repo().join("target").join("golden-rust-service");
    let out = std::process::Command::new(env!("CARGO"))
        .args(["test", "--quiet"])
        .current_dir(clone.path())
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo test");
    assert!(out.status.success(), "cargo test of the generated service failed:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

const REMOTE_TEMPLATE: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: remote-skeleton}
spec:
  owner: group:default/platform-eng
  type: service
  parameters:
    - properties:
        name: {type: string, default: far-away}
  steps:
    - id: fetch
      action: fetch:template
      input: {url: ./skeleton, values: {name: "${{ parameters.name }}"}}
    - id: one
      action: fetch:plain:file
      input: {url: ./extra/notes.txt, targetPath: docs/notes.txt}
    - id: show
      action: debug:log
      input: {listWorkspace: with-contents}
"#;

#[tokio::test]
async fn a_template_registered_from_github_fetches_its_skeleton_through_the_api() {
    let (app, gh, _repos) = app_with_github().await;
    let bare = gh.bare("acme", "templates");
    std::fs::create_dir_all(&bare).expect("mkdir");
    git(&bare, &["init", "--bare", "--quiet"]);
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(work.path().join("tpl/skeleton/src")).expect("mkdir");
    std::fs::create_dir_all(work.path().join("tpl/extra")).expect("mkdir");
    std::fs::write(work.path().join("tpl/template.yaml"), REMOTE_TEMPLATE).expect("write");
    std::fs::write(work.path().join("tpl/skeleton/src/${{ values.name }}.txt"), "hello ${{ values.name }}\n").expect("write");
    std::fs::write(work.path().join("tpl/extra/notes.txt"), "plain ${{ not rendered }}\n").expect("write");
    git(work.path(), &["init", "--quiet", "--initial-branch", "main"]);
    git(work.path(), &["add", "--all"]);
    git(work.path(), &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "templates"]);
    git(work.path(), &["push", "--quiet", &bare.to_string_lossy(), "main"]);

    let target = "https://github.com/acme/templates/blob/main/tpl/template.yaml";
    let (status, body) = api(&app, "POST", "/api/catalog/locations", Some(json!({"type": "url", "target": target}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (id, _) = create(&app, "template:default/remote-skeleton", json!({})).await;
    let task = wait_for(&app, &id).await;
    let log = log_of(&app, &id).await;
    assert_eq!(task["status"], "completed", "{task}\n{log}");
    assert!(log.contains("src/far-away.txt:\nhello far-away"), "{log}");
    assert!(log.contains("docs/notes.txt:\nplain ${{ not rendered }}"), "{log}");
    assert!(gh.calls().iter().any(|c| c.path == "/repos/acme/templates/git/trees/main"), "the tree was listed through the API");
}
