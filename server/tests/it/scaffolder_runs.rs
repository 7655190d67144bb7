//! How tasks run: expressions keep JSON types, steps honour `if` and
//! `each`, an unknown action fails its step by name, values are checked with
//! Backstage's 400, events replay over SSE, cancel, interrupted tasks, and
//! `publish:git` — on SQLite and on PostgreSQL.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use portolan::scaffolder::expr::Templater;
use portolan::store::locations::{self, ORIGIN_CONFIG};
use portolan::store::tasks::{self, TaskRow, TaskStatus};
use serde_json::{Value, json};

use crate::scaffolder::{api, wait_for};
use crate::support::TestApp;

#[test]
fn a_lone_expression_keeps_its_json_type_and_filters_work() {
    let t = Templater::backstage();
    let ctx = json!({"parameters": {"port": 8080, "tags": ["a", "b"], "on": false, "repoUrl": "github.com?owner=acme&repo=svc", "owner": "group:payments/team-a"}});
    let render = |v: Value| t.render_value(&v, &ctx, "input").expect("renders");
    assert_eq!(render(json!("${{ parameters.port }}")), Some(json!(8080)));
    assert_eq!(render(json!(" ${{ parameters.tags }} ")), Some(json!(["a", "b"])));
    assert_eq!(render(json!("${{ parameters.on }}")), Some(json!(false)));
    assert_eq!(render(json!("port ${{ parameters.port }}")), Some(json!("port 8080")));
    assert_eq!(render(json!("${{ parameters.missing }}")), None, "undefined leaves the key out");
    assert_eq!(render(json!("${{ parameters.missing.deeper }}")), None, "undefined chains");
    assert_eq!(render(json!("${{ parameters.repoUrl | parseRepoUrl }}")), Some(json!({"host": "github.com", "owner": "acme", "repo": "svc"})));
    assert_eq!(render(json!("${{ parameters.repoUrl | projectSlug }}")), Some(json!("acme/svc")));
    assert_eq!(render(json!("${{ parameters.owner | parseEntityRef | pick('name') }}")), Some(json!("team-a")));
    assert_eq!(render(json!("${{ 'team-b' | parseEntityRef({'defaultKind': 'group'}) }}")), Some(json!({"kind": "group", "namespace": "default", "name": "team-b"})));
    assert_eq!(render(json!({"list": ["${{ parameters.port }}", "x"]})), Some(json!({"list": [8080, "x"]})));
    let broken = t.render_value(&json!("${{ parameters.port | nosuchfilter }}"), &ctx, "input.values.port").expect_err("unknown filter");
    assert!(broken.to_string().starts_with("input.values.port:"), "{broken}");
    let bad_url = t.render_value(&json!("${{ 'github.com' | parseRepoUrl }}"), &ctx, "input.x").expect_err("bad repo url");
    assert!(bad_url.to_string().contains("host?owner"), "{bad_url}");
}

const PROBE: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: probe
  title: Probe
spec:
  owner: group:default/platform-eng
  type: service
  parameters:
    - title: Knobs
      properties:
        count: {type: integer, default: 3}
        items: {type: array, items: {type: string}, default: [a, b]}
        skip: {type: boolean, default: true}
        wait: {type: number, default: 0}
        fail: {type: boolean, default: false}
  steps:
    - id: log
      action: debug:log
      input: {message: "count is ${{ parameters.count }}"}
    - id: each
      each: "${{ parameters.items }}"
      action: debug:log
      input: {message: "item ${{ each.key }}=${{ each.value }}"}
    - id: skipped
      if: "${{ not parameters.skip }}"
      action: nope:nothing
    - id: wait
      action: debug:wait
      input: {seconds: "${{ parameters.wait }}"}
    - id: last
      if: "${{ parameters.fail }}"
      action: does:not-exist
  output:
    text:
      - title: Count
        content: "${{ parameters.count }}"
"#;

/// An app (SQLite, or PostgreSQL when `pg`) whose catalog holds the probe template; signed in.
async fn probe_app(pg: bool, remotes: &[&str]) -> Option<TestApp> {
    let builder = TestApp::builder().with_git_remotes(remotes);
    let app = if pg { builder.on_postgres() } else { builder }.build().await?;
    let file = app.scratch.path().join("probe/template.yaml");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
    std::fs::write(&file, PROBE).expect("write");
    std::fs::create_dir_all(app.scratch.path().join("probe/skeleton")).expect("mkdir");
    std::fs::write(app.scratch.path().join("probe/skeleton/README.md"), "# ${{ values.name }}\n").expect("write");
    locations::insert(&app.catalog.db.pool, "file", &file.to_string_lossy(), ORIGIN_CONFIG).await.expect("location");
    app.catalog.process_all().await.expect("process");
    app.sign_in_as_guest().await;
    Some(app)
}

async fn start(app: &TestApp, values: Value) -> String {
    let (status, created) = api(app, "POST", "/api/scaffolder/v2/tasks", Some(json!({"templateRef": "template:default/probe", "values": values}))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().expect("id").to_owned()
}

async fn steps_and_log(app: &TestApp, id: &str) -> (Value, Vec<String>) {
    let (_, task) = api(app, "GET", &format!("/api/scaffolder/v2/tasks/{id}"), None).await;
    let (_, events) = api(app, "GET", &format!("/api/scaffolder/v2/tasks/{id}/events"), None).await;
    let log = events.as_array().expect("events").iter().filter_map(|e| e["body"]["message"].as_str().map(str::to_owned)).collect();
    (task["state"]["steps"].clone(), log)
}

async fn runs_steps_with_if_and_each(pg: bool) {
    let Some(app) = probe_app(pg, &[]).await else { return };
    let id = start(&app, json!({})).await;
    let task = wait_for(&app, &id).await;
    assert_eq!(task["status"], "completed", "{task}");
    assert_eq!(task["state"]["output"]["text"][0]["content"], 3, "output keeps the number");
    assert_eq!(task["createdBy"], "user:default/guest");
    let (steps, log) = steps_and_log(&app, &id).await;
    for line in ["count is 3", "item 0=a", "item 1=b", "Skipping step skipped: its if is false"] {
        assert!(log.iter().any(|l| l == line), "{line:?} not in {log:?}");
    }
    assert_eq!(steps["skipped"]["status"], "skipped");
    assert_eq!(steps["each"]["status"], "completed");

    let failing = start(&app, json!({"fail": true})).await;
    let task = wait_for(&app, &failing).await;
    assert_eq!(task["status"], "failed");
    let error = task["state"]["error"].as_str().expect("error");
    assert!(error.contains("unknown action \"does:not-exist\""), "{error}");
    let (steps, _) = steps_and_log(&app, &failing).await;
    assert_eq!(steps["last"]["status"], "failed");

    // SSE: every event again, in order, closing after the completion.
    let request = Request::builder().uri(format!("/api/scaffolder/v2/tasks/{failing}/eventstream")).body(Body::empty()).expect("request");
    let (status, stream) = app.send(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(stream.contains("event: log\n") && stream.trim_end().ends_with('}'), "{stream}");
    let last = stream.rsplit("event: ").next().expect("frame");
    assert!(last.starts_with("completion\n"), "the stream ends with the completion: {last}");
    let (_, events) = api(&app, "GET", &format!("/api/scaffolder/v2/tasks/{failing}/events"), None).await;
    let ids: Vec<i64> = events.as_array().expect("events").iter().filter_map(|e| e["id"].as_i64()).collect();
    let after = ids[ids.len() - 2];
    let (_, later) = api(&app, "GET", &format!("/api/scaffolder/v2/tasks/{failing}/events?after={after}"), None).await;
    assert_eq!(later.as_array().expect("events").len(), 1, "only what came after");

    let (status, list) = api(&app, "GET", "/api/scaffolder/v2/tasks?status=failed", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["totalTasks"], 1, "{list}");
}

#[tokio::test]
async fn steps_honour_if_and_each_and_an_unknown_action_fails_by_name() {
    runs_steps_with_if_and_each(false).await;
}

#[tokio::test]
async fn steps_honour_if_and_each_and_an_unknown_action_fails_by_name_on_postgres() {
    runs_steps_with_if_and_each(true).await;
}

#[tokio::test]
async fn values_that_break_the_parameters_get_backstages_400() {
    let Some(app) = probe_app(false, &[]).await else { return };
    let (status, body) = api(&app, "POST", "/api/scaffolder/v2/tasks", Some(json!({"templateRef": "template:default/probe", "values": {"count": "many"}}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["property"], "instance.count", "{body}");
    assert_eq!(error["name"], "type");
    let (status, body) = api(&app, "POST", "/api/scaffolder/v2/tasks", Some(json!({"templateRef": "template:default/nope", "values": {}}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["name"], "NotFoundError");
    let (status, schema) = api(&app, "GET", "/api/scaffolder/v2/templates/default/template/probe/parameter-schema", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(schema["title"], "Probe");
    assert_eq!(schema["steps"][0]["title"], "Knobs");
    assert_eq!(schema["steps"][0]["schema"]["properties"]["count"]["default"], 3);
    let (_, actions) = api(&app, "GET", "/api/scaffolder/v2/actions", None).await;
    let ids: Vec<&str> = actions.as_array().expect("actions").iter().filter_map(|a| a["id"].as_str()).collect();
    for id in ["fetch:template", "fetch:plain", "fetch:template:file", "fs:delete", "fs:rename", "debug:log", "catalog:write", "catalog:register", "publish:github", "publish:git"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(actions[0]["schema"]["input"]["properties"].is_object());
}

async fn cancels_a_running_task(pg: bool) {
    let Some(app) = probe_app(pg, &[]).await else { return };
    let id = start(&app, json!({"wait": 30, "fail": true})).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while steps_and_log(&app, &id).await.0["wait"]["status"] != "processing" {
        assert!(Instant::now() < deadline, "the wait step never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let asked = Instant::now();
    let (status, body) = api(&app, "POST", &format!("/api/scaffolder/v2/tasks/{id}/cancel"), Some(json!({}))).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{body}");
    let task = wait_for(&app, &id).await;
    assert_eq!(task["status"], "cancelled");
    assert!(asked.elapsed() < Duration::from_secs(5), "cancel took {:?}", asked.elapsed());
    let (steps, _) = steps_and_log(&app, &id).await;
    assert_eq!(steps["wait"]["status"], "cancelled");
    assert_eq!(steps["last"]["status"], "open", "later steps never ran");
}

#[tokio::test]
async fn a_running_task_is_cancelled_between_and_within_steps() {
    cancels_a_running_task(false).await;
}

#[tokio::test]
async fn a_running_task_is_cancelled_on_postgres() {
    cancels_a_running_task(true).await;
}

#[tokio::test]
async fn a_task_whose_server_stopped_is_marked_interrupted() {
    let Some(app) = probe_app(false, &[]).await else { return };
    let pool = &app.catalog.db.pool;
    let old = portolan::store::entities::rfc3339(std::time::SystemTime::now() - Duration::from_secs(600));
    let task = TaskRow {
        id: "11111111-2222-3333-4444-555555555555".into(),
        spec: json!({"steps": [{"id": "publish", "action": "publish:github"}], "templateInfo": {"entityRef": "template:default/probe"}}),
        status: TaskStatus::Open,
        created_at: old.clone(),
        created_by: Some("user:default/guest".into()),
        last_heartbeat_at: None,
        cancel_requested: false,
        state: json!({"steps": {"publish": {"status": "processing"}}}),
    };
    tasks::insert(pool, &task, &json!({})).await.expect("insert");
    assert!(tasks::claim(pool, &task.id, &old).await.expect("claim"), "moved to processing long ago");
    app.scaffolder.mark_interrupted().await;
    let stored = tasks::get(pool, &task.id).await.expect("read").expect("task");
    assert_eq!(stored.status, TaskStatus::Failed);
    let error = stored.state["error"].as_str().expect("error");
    assert!(error.starts_with("Interrupted: the server running this task stopped during step publish"), "{error}");
    let events = tasks::events(pool, &task.id, None).await.expect("events");
    assert_eq!(events.last().map(|e| e.event_type.as_str()), Some("completion"));
    let (_, page) = app.get(&format!("/create/tasks/{}", task.id)).await;
    assert!(page.contains("Interrupted: the server running this task stopped"), "the task page says so");
}

const PUSH: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: push}
spec:
  owner: group:default/platform-eng
  type: service
  parameters:
    - properties:
        remote: {type: string}
  steps:
    - id: fetch
      action: fetch:template
      input: {url: ./skeleton, values: {name: pushed}}
    - id: publish
      action: publish:git
      input: {remoteUrl: "${{ parameters.remote }}", defaultBranch: trunk, gitAuthorName: Robot}
  output:
    links: [{title: Repository, url: "${{ steps.publish.output.remoteUrl }}"}]
"#;

#[tokio::test]
async fn publish_git_pushes_to_an_allowed_remote_and_refuses_others() {
    let remotes = tempfile::tempdir().expect("tempdir");
    let allowed = remotes.path().join("allowed");
    let Some(app) = probe_app(false, &[&format!("{}/", allowed.display())]).await else { return };
    let file = app.scratch.path().join("probe/push.yaml");
    std::fs::write(&file, PUSH).expect("write");
    locations::insert(&app.catalog.db.pool, "file", &file.to_string_lossy(), ORIGIN_CONFIG).await.expect("location");
    app.catalog.process_all().await.expect("process");
    let bare = allowed.join("pushed.git");
    std::fs::create_dir_all(&bare).expect("mkdir");
    assert!(std::process::Command::new("git").args(["init", "--bare", "--quiet"]).current_dir(&bare).status().expect("git").success());

    let run = |remote: String| {
        let app = &app;
        async move {
            let (status, created) = api(app, "POST", "/api/scaffolder/v2/tasks", Some(json!({"templateRef": "template:default/push", "values": {"remote": remote}}))).await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            wait_for(app, created["id"].as_str().expect("id")).await
        }
    };
    let done = run(bare.to_string_lossy().into_owned()).await;
    assert_eq!(done["status"], "completed", "{done}");
    let show = std::process::Command::new("git").args(["show", "trunk:README.md"]).current_dir(&bare).output().expect("git show");
    assert_eq!(String::from_utf8_lossy(&show.stdout), "# pushed\n");
    let author = std::process::Command::new("git").args(["log", "-1", "--format=%an", "trunk"]).current_dir(&bare).output().expect("git log");
    assert_eq!(String::from_utf8_lossy(&author.stdout).trim(), "Robot");

    let refused = run(remotes.path().join("elsewhere.git").to_string_lossy().into_owned()).await;
    assert_eq!(refused["status"], "failed");
    assert!(refused["state"]["error"].as_str().expect("error").contains("scaffolder.git.allowedRemotes"), "{refused}");
}
