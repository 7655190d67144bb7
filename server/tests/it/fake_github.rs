//! A local double of GitHub's REST API for the scaffolder: it creates
//! repositories as real bare git repositories (so `publish:github` pushes
//! for real), serves their files through the contents API (so
//! `catalog:register` reads them like github.com), and records every call.

use std::net::SocketAddr;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{Value, json};

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    /// `GET`, `POST`, `PUT`.
    pub method: String,
    /// The path, without `/api/v3`.
    pub path: String,
    /// The JSON body, `null` when none.
    pub body: Value,
    /// The `Authorization` header.
    pub authorization: Option<String>,
}

/// The fake's state: where repositories live, and the calls made.
pub struct FakeGithub {
    /// Folder of the bare repositories (`<owner>/<repo>.git`).
    pub root: PathBuf,
    calls: Mutex<Vec<Call>>,
}

impl FakeGithub {
    /// The calls so far.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("calls").clone()
    }

    /// The bare repository of `owner/repo`.
    pub fn bare(&self, owner: &str, repo: &str) -> PathBuf {
        self.root.join(owner).join(format!("{repo}.git"))
    }

    fn record(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) {
        let path = uri.path().trim_start_matches("/api/v3").to_owned();
        let body = serde_json::from_slice(body).unwrap_or(Value::Null);
        let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
        self.calls.lock().expect("calls").push(Call { method: method.to_string(), path, body, authorization });
    }
}

type Shared = State<Arc<FakeGithub>>;

fn git(dir: &FsPath, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git").args(args).current_dir(dir).output().expect("git runs")
}

async fn user(State(gh): Shared, method: Method, uri: Uri, headers: HeaderMap, Path(owner): Path<String>) -> Json<Value> {
    gh.record(&method, &uri, &headers, b"");
    Json(json!({"login": owner, "type": if owner == "alice" { "User" } else { "Organization" }}))
}

async fn create_repo(State(gh): Shared, method: Method, uri: Uri, headers: HeaderMap, Path(owner): Path<String>, body: Bytes) -> Response {
    gh.record(&method, &uri, &headers, &body);
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(name) = request.get("name").and_then(Value::as_str) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"message": "name is required"}))).into_response();
    };
    let bare = gh.bare(&owner, name);
    if bare.exists() {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"message": "Repository creation failed.", "errors": [{"message": "name already exists on this account"}]}))).into_response();
    }
    std::fs::create_dir_all(&bare).expect("mkdir");
    assert!(git(&bare, &["init", "--bare", "--quiet"]).status.success(), "git init --bare");
    let clone_url = url::Url::from_file_path(&bare).expect("file url").to_string();
    (StatusCode::CREATED, Json(json!({"name": name, "full_name": format!("{owner}/{name}"), "clone_url": clone_url, "html_url": format!("https://github.com/{owner}/{name}")}))).into_response()
}

async fn record_put(State(gh): Shared, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    gh.record(&method, &uri, &headers, &body);
    (StatusCode::OK, Json(json!({}))).into_response()
}

#[derive(serde::Deserialize)]
struct RefQuery {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
}

async fn contents(State(gh): Shared, method: Method, uri: Uri, headers: HeaderMap, Path((owner, repo, path)): Path<(String, String, String)>, Query(q): Query<RefQuery>) -> Response {
    gh.record(&method, &uri, &headers, b"");
    let bare = gh.bare(&owner, &repo);
    if !bare.exists() {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response();
    }
    let spec = format!("{}:{path}", q.git_ref.as_deref().unwrap_or("HEAD"));
    let out = git(&bare, &["show", &spec]);
    if !out.status.success() {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response();
    }
    ([("content-type", "application/vnd.github.raw")], out.stdout).into_response()
}

#[derive(serde::Deserialize)]
struct TreeQuery {
    recursive: Option<String>,
}

async fn tree(State(gh): Shared, method: Method, uri: Uri, headers: HeaderMap, Path((owner, repo, git_ref)): Path<(String, String, String)>, Query(q): Query<TreeQuery>) -> Response {
    gh.record(&method, &uri, &headers, b"");
    let bare = gh.bare(&owner, &repo);
    let mut args = vec!["ls-tree", "--full-tree"];
    if q.recursive.is_some() {
        args.push("-r");
    }
    args.push(&git_ref);
    let out = git(&bare, &args);
    if !bare.exists() || !out.status.success() {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response();
    }
    let entries: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let (meta, path) = line.split_once('\t')?;
            let kind = meta.split_whitespace().nth(1)?;
            Some(json!({"path": path, "type": kind}))
        })
        .collect();
    Json(json!({"sha": git_ref, "tree": entries, "truncated": false})).into_response()
}

/// Starts the fake; its API base URL (`http://addr/api/v3`).
pub async fn start(root: PathBuf) -> (Arc<FakeGithub>, String) {
    let gh = Arc::new(FakeGithub { root, calls: Mutex::new(Vec::new()) });
    let router = Router::new()
        .route("/api/v3/users/{owner}", get(user))
        .route("/api/v3/orgs/{owner}/repos", post(create_repo))
        .route("/api/v3/repos/{owner}/{repo}/topics", put(record_put))
        .route("/api/v3/repos/{owner}/{repo}/branches/{branch}/protection", put(record_put))
        .route("/api/v3/repos/{owner}/{repo}/contents/{*path}", get(contents))
        .route("/api/v3/repos/{owner}/{repo}/git/trees/{git_ref}", get(tree))
        .with_state(Arc::clone(&gh));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (gh, format!("http://{addr}/api/v3"))
}
