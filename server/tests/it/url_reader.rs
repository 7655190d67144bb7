//! Reading `url` locations against local servers: one that answers like
//! GitHub's REST API (contents and trees, bearer tokens, ETags and 304s,
//! 404s, rate limits) and a plain file server behind `backend.reading.allow`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use portolan::ingest::url_reader::{
    CompositeReader, GithubIntegrationSettings, ReadingAllowList, UrlReader, UrlResolver, parse_read_file,
};
use portolan::ingest::{KindRule, OrphanStrategy, Reader, process_location};
use portolan::store::entities;
use portolan::store::locations::{self, ORIGIN_CONFIG};
use portolan_catalog::{LocationRef, Resolution, Resolver};

use crate::support::TestDb;

const TOKEN: &str = "ghp_TESTtoken_never_shown_0123456789";
const RESET: i64 = 1_700_000_000;
const RESET_TEXT: &str = "2023-11-14T22:13:20Z";

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    uri: String,
    authorization: Option<String>,
    accept: Option<String>,
    not_modified: bool,
}

/// A stand-in for GitHub's REST API under `/api/v3` (GitHub Enterprise's shape).
#[derive(Default)]
struct FakeGithub {
    /// `(owner, repo, ref, path)` → text.
    files: Mutex<HashMap<(String, String, String, String), String>>,
    /// When set, requests must carry `Bearer <token>` (a private repository).
    token: Option<String>,
    rate_limited: AtomicBool,
    seen: Mutex<Vec<Seen>>,
}

impl FakeGithub {
    fn with_files(token: Option<&str>, files: &[(&str, &str, &str, &str, &str)]) -> Arc<FakeGithub> {
        let gh = FakeGithub { token: token.map(str::to_owned), ..FakeGithub::default() };
        for (owner, repo, git_ref, path, text) in files {
            gh.put(owner, repo, git_ref, path, text);
        }
        Arc::new(gh)
    }

    fn put(&self, owner: &str, repo: &str, git_ref: &str, path: &str, text: &str) {
        let key = (owner.to_owned(), repo.to_owned(), git_ref.to_owned(), path.to_owned());
        self.files.lock().expect("lock").insert(key, text.to_owned());
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// Records the request; answers the rate limit and authentication failures GitHub would.
    fn gate(&self, uri: String, headers: &HeaderMap) -> Result<usize, Box<Response>> {
        let header_text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let authorization = header_text(header::AUTHORIZATION);
        let index = {
            let mut seen = self.seen.lock().expect("lock");
            seen.push(Seen { uri, authorization: authorization.clone(), accept: header_text(header::ACCEPT), not_modified: false });
            seen.len() - 1
        };
        assert!(
            header_text(header::USER_AGENT).is_some_and(|ua| ua.starts_with("portolan/")),
            "GitHub refuses requests without a User-Agent"
        );
        if self.rate_limited.load(Ordering::SeqCst) {
            return Err(Box::new(Response::builder()
                .status(StatusCode::FORBIDDEN)
                .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
                .header("x-ratelimit-limit", "60")
                .header("x-ratelimit-remaining", "0")
                .header("x-ratelimit-reset", RESET.to_string())
                .header("x-ratelimit-resource", "core")
                .body(Body::from(
                    r#"{"message":"API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}"#,
                ))
                .expect("response")));
        }
        match (&self.token, authorization) {
            (Some(token), Some(given)) if given != format!("Bearer {token}") => Err(Box::new(github_error(StatusCode::UNAUTHORIZED, "Bad credentials"))),
            // A private repository is invisible without a token.
            (Some(_), None) => Err(Box::new(github_error(StatusCode::NOT_FOUND, "Not Found"))),
            _ => Ok(index),
        }
    }

    fn mark_not_modified(&self, index: usize) {
        self.seen.lock().expect("lock")[index].not_modified = true;
    }
}

fn github_error(status: StatusCode, message: &str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header("x-ratelimit-remaining", "4999")
        .body(Body::from(format!(
            r#"{{"message":"{message}","documentation_url":"https://docs.github.com/rest","status":"{}"}}"#,
            status.as_u16()
        )))
        .expect("response")
}

fn etag_of(text: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    format!("\"{:016x}\"", h.finish())
}

/// `GET /repos/{owner}/{repo}/contents/{path}?ref=`: the raw file with
/// `Accept: application/vnd.github.raw`, otherwise the JSON form with base64 content.
async fn contents(
    State(gh): State<Arc<FakeGithub>>,
    Path((owner, repo, path)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let uri = format!("/repos/{owner}/{repo}/contents/{path}?{}", query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"));
    let index = match gh.gate(uri, &headers) {
        Ok(i) => i,
        Err(response) => return *response,
    };
    let git_ref = query.get("ref").cloned().unwrap_or_else(|| "main".to_owned());
    let Some(text) = gh.files.lock().expect("lock").get(&(owner, repo, git_ref, path.clone())).cloned() else {
        return github_error(StatusCode::NOT_FOUND, "Not Found");
    };
    let etag = etag_of(&text);
    let inm = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if inm == Some(etag.as_str()) {
        gh.mark_not_modified(index);
        return Response::builder().status(StatusCode::NOT_MODIFIED).header(header::ETAG, etag).body(Body::empty()).expect("304");
    }
    let raw = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/vnd.github.raw"));
    let builder = Response::builder().status(StatusCode::OK).header(header::ETAG, etag).header("x-ratelimit-remaining", "4998");
    if raw {
        builder.header(header::CONTENT_TYPE, "application/vnd.github.raw").body(Body::from(text)).expect("raw")
    } else {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
        let wrapped: Vec<String> = encoded.as_bytes().chunks(60).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
        let json = serde_json::json!({
            "type": "file", "encoding": "base64", "size": text.len(), "name": name, "path": path,
            "content": format!("{}\n", wrapped.join("\n")), "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
        });
        builder.header(header::CONTENT_TYPE, "application/json; charset=utf-8").body(Body::from(json.to_string())).expect("json")
    }
}

/// `GET /repos/{owner}/{repo}/git/trees/{ref}?recursive=1`.
async fn trees(
    State(gh): State<Arc<FakeGithub>>,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = gh.gate(format!("/repos/{owner}/{repo}/git/trees/{git_ref}"), &headers) {
        return *response;
    }
    assert_eq!(query.get("recursive").map(String::as_str), Some("1"));
    let mut entries = Vec::new();
    let mut folders = std::collections::BTreeSet::new();
    for (o, r, g, path) in gh.files.lock().expect("lock").keys() {
        if (o, r, g) != (&owner, &repo, &git_ref) {
            continue;
        }
        entries.push(serde_json::json!({"path": path, "mode": "100644", "type": "blob", "sha": "0".repeat(40)}));
        let mut folder = path.as_str();
        while let Some((parent, _)) = folder.rsplit_once('/') {
            folders.insert(parent.to_owned());
            folder = parent;
        }
    }
    if entries.is_empty() {
        return github_error(StatusCode::NOT_FOUND, "Not Found");
    }
    for f in folders {
        entries.push(serde_json::json!({"path": f, "mode": "040000", "type": "tree", "sha": "1".repeat(40)}));
    }
    let json = serde_json::json!({"sha": "2".repeat(40), "tree": entries, "truncated": false});
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(json.to_string()))
        .expect("tree")
}

/// A plain file server with ETags, counting requests.
#[derive(Default)]
struct FileServer {
    files: Mutex<HashMap<String, String>>,
    requests: AtomicUsize,
    not_modified: AtomicUsize,
}

async fn plain_file(State(fs): State<Arc<FileServer>>, Path(path): Path<String>, headers: HeaderMap) -> Response {
    fs.requests.fetch_add(1, Ordering::SeqCst);
    let Some(text) = fs.files.lock().expect("lock").get(&path).cloned() else {
        return Response::builder().status(StatusCode::NOT_FOUND).body(Body::from("no such file")).expect("404");
    };
    if let Some(to) = text.strip_prefix("REDIRECT ") {
        return Response::builder().status(StatusCode::FOUND).header(header::LOCATION, to).body(Body::empty()).expect("302");
    }
    let etag = etag_of(&text);
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        fs.not_modified.fetch_add(1, Ordering::SeqCst);
        return Response::builder().status(StatusCode::NOT_MODIFIED).header(header::ETAG, etag).body(Body::empty()).expect("304");
    }
    Response::builder()
        .header(header::ETAG, etag)
        .header(header::CONTENT_TYPE, "text/yaml")
        .body(Body::from(text))
        .expect("200")
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

async fn start_github(gh: Arc<FakeGithub>) -> SocketAddr {
    let router = Router::new()
        .route("/api/v3/repos/{owner}/{repo}/contents/{*path}", get(contents))
        .route("/api/v3/repos/{owner}/{repo}/git/trees/{git_ref}", get(trees))
        .with_state(gh);
    serve(router).await
}

async fn start_files(files: &[(&str, &str)]) -> (Arc<FileServer>, SocketAddr) {
    let fs = Arc::new(FileServer::default());
    for (path, text) in files {
        fs.files.lock().expect("lock").insert((*path).to_owned(), (*text).to_owned());
    }
    let router = Router::new().route("/{*path}", get(plain_file)).with_state(fs.clone());
    (fs, serve(router).await)
}

/// A reader for `github.com` answered by the fake at `addr`, with this token and allow-list.
fn reader(addr: SocketAddr, token: Option<&str>, allow: Vec<(String, Vec<String>)>) -> UrlReader {
    UrlReader::new(
        vec![GithubIntegrationSettings {
            host: "github.com".into(),
            api_base_url: format!("http://{addr}/api/v3"),
            token: token.map(str::to_owned),
        }],
        ReadingAllowList { entries: allow },
    )
    .expect("reader")
}

const COMPONENT: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n";

#[tokio::test]
async fn blob_urls_read_through_the_contents_api_and_revalidate_with_etags() {
    let gh = FakeGithub::with_files(None, &[("acme", "svc", "main", "catalog-info.yaml", COMPONENT)]);
    let addr = start_github(gh.clone()).await;
    let reader = reader(addr, None, vec![]);
    let url = "https://github.com/acme/svc/blob/main/catalog-info.yaml";

    let files = reader.read(&LocationRef::new("url", url)).await.expect("read");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].text, COMPONENT);
    assert_eq!(files[0].location, LocationRef::new("url", url));

    let again = reader.read_url(url).await.expect("second read");
    assert_eq!(again, COMPONENT);

    let seen = gh.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].uri, "/repos/acme/svc/contents/catalog-info.yaml?ref=main");
    assert_eq!(seen[0].accept.as_deref(), Some("application/vnd.github.raw"));
    assert_eq!(seen[0].authorization, None, "no token configured, none sent");
    assert!(!seen[0].not_modified);
    assert!(seen[1].not_modified, "the second read is a conditional request answered 304: {seen:?}");

    // A change upstream is seen (a new ETag, a 200).
    gh.put("acme", "svc", "main", "catalog-info.yaml", &COMPONENT.replace("production", "experimental"));
    let changed = reader.read_url(url).await.expect("third read");
    assert!(changed.contains("experimental"));
    assert!(!gh.seen()[2].not_modified);

    // Other refs and nested paths map onto the API's path and ref.
    gh.put("acme", "svc", "v1.2", "docs/api/openapi.yaml", "openapi: 3.0.0\n");
    let text = reader.read_url("https://github.com/acme/svc/blob/v1.2/docs/api/openapi.yaml").await.expect("nested");
    assert_eq!(text, "openapi: 3.0.0\n");
    assert_eq!(gh.seen()[3].uri, "/repos/acme/svc/contents/docs/api/openapi.yaml?ref=v1.2");
}

#[tokio::test]
async fn the_token_is_sent_as_bearer_and_never_shown() {
    let gh = FakeGithub::with_files(Some(TOKEN), &[("acme", "private", "main", "catalog-info.yaml", COMPONENT)]);
    let addr = start_github(gh.clone()).await;

    let with_token = reader(addr, Some(TOKEN), vec![]);
    let text = with_token.read_url("https://github.com/acme/private/blob/main/catalog-info.yaml").await.expect("read");
    assert_eq!(text, COMPONENT);
    assert_eq!(gh.seen()[0].authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    assert!(!format!("{with_token:?}").contains(TOKEN), "Debug hides the token");

    // 404 with a token: NotFoundError, no token in it.
    let missing = with_token.read_url("https://github.com/acme/private/blob/main/nope.yaml").await.expect_err("404");
    assert!(missing.starts_with("NotFoundError: "), "{missing}");
    assert!(missing.contains("https://github.com/acme/private/blob/main/nope.yaml"), "{missing}");
    assert!(!missing.contains(TOKEN), "{missing}");

    // A wrong token: 401, naming the host and that a token was sent.
    let wrong = "ghp_WRONGtoken_also_secret";
    let bad = reader(addr, Some(wrong), vec![]);
    let refused = bad.read_url("https://github.com/acme/private/blob/main/catalog-info.yaml").await.expect_err("401");
    assert!(refused.starts_with("AuthenticationError: "), "{refused}");
    assert!(refused.contains("github.com") && refused.contains("a token was sent"), "{refused}");
    assert!(!refused.contains(wrong) && !refused.contains(TOKEN), "{refused}");

    // No token: the private repository answers 404, and the message says no token was configured.
    let anonymous = reader(addr, None, vec![]);
    let hidden = anonymous.read_url("https://github.com/acme/private/blob/main/catalog-info.yaml").await.expect_err("404");
    assert!(hidden.starts_with("NotFoundError: "), "{hidden}");
    assert!(hidden.contains("no token is configured for github.com"), "{hidden}");
}

#[tokio::test]
async fn unknown_paths_are_not_found_errors() {
    let gh = FakeGithub::with_files(None, &[("acme", "svc", "main", "catalog-info.yaml", COMPONENT)]);
    let addr = start_github(gh.clone()).await;
    let reader = reader(addr, None, vec![]);
    for url in [
        "https://github.com/acme/svc/blob/main/missing.yaml",
        "https://github.com/acme/svc/blob/other-branch/catalog-info.yaml",
        "https://github.com/acme/nope/blob/main/catalog-info.yaml",
    ] {
        let message = reader.read(&LocationRef::new("url", url)).await.expect_err("not found");
        assert!(message.starts_with("NotFoundError: "), "{message}");
        assert!(message.contains(url), "{message}");
    }
}

#[tokio::test]
async fn an_exhausted_rate_limit_says_so_with_the_reset_time() {
    let gh = FakeGithub::with_files(Some(TOKEN), &[("acme", "svc", "main", "catalog-info.yaml", COMPONENT)]);
    gh.rate_limited.store(true, Ordering::SeqCst);
    let addr = start_github(gh.clone()).await;
    let reader = reader(addr, Some(TOKEN), vec![]);
    let message = reader.read_url("https://github.com/acme/svc/blob/main/catalog-info.yaml").await.expect_err("rate limited");
    assert!(message.starts_with("RateLimitError: "), "{message}");
    assert!(message.contains("rate limit") && message.contains("github.com"), "{message}");
    assert!(message.contains(RESET_TEXT), "{message}");
    assert!(message.contains("a token was sent") && !message.contains(TOKEN), "{message}");

    // Once the limit resets, reading works again.
    gh.rate_limited.store(false, Ordering::SeqCst);
    assert_eq!(reader.read_url("https://github.com/acme/svc/blob/main/catalog-info.yaml").await.expect("read"), COMPONENT);
}

#[tokio::test]
async fn hosts_outside_the_allow_list_are_refused_without_a_request() {
    let (fs, files_addr) = start_files(&[("catalog/team.yaml", COMPONENT)]).await;
    let gh = FakeGithub::with_files(None, &[]);
    let gh_addr = start_github(gh.clone()).await;
    let reader = reader(gh_addr, None, vec![("*.example.com".into(), vec![])]);

    let message = reader.read_url("https://evil.example.net/catalog-info.yaml").await.expect_err("refused");
    assert_eq!(message, "NotAllowedError: reading from evil.example.net is not allowed; add it to backend.reading.allow");

    let local = format!("http://{files_addr}/catalog/team.yaml");
    let message = reader.read(&LocationRef::new("url", &local)).await.expect_err("refused");
    assert_eq!(message, format!("NotAllowedError: reading from {files_addr} is not allowed; add it to backend.reading.allow"));

    // Not the bare domain of a wildcard, nor other schemes.
    assert!(reader.read_url("https://example.com/a.yaml").await.expect_err("bare").starts_with("NotAllowedError: "));
    assert!(reader.read_url("file:///etc/passwd").await.expect_err("file").starts_with("NotAllowedError: "));
    // A GitHub host's non-blob pages are plain https reads, and http is not allowed for them.
    assert!(reader.read_url("http://github.com/acme/svc/raw/main/x.yaml").await.expect_err("http").starts_with("NotAllowedError: "));

    assert_eq!(fs.requests.load(Ordering::SeqCst), 0, "nothing was requested");
    assert!(gh.seen().is_empty());
}

#[tokio::test]
async fn allowed_plain_urls_are_read_and_revalidated() {
    let (fs, addr) = start_files(&[("catalog/team.yaml", COMPONENT), ("other/x.yaml", COMPONENT)]).await;
    let reader = reader(addr, None, vec![(addr.to_string(), vec!["/catalog/".into()])]);

    let url = format!("http://{addr}/catalog/team.yaml");
    let files = reader.read(&LocationRef::new("url", &url)).await.expect("read");
    assert_eq!(files[0].text, COMPONENT);
    assert_eq!(reader.read_url(&url).await.expect("again"), COMPONENT);
    assert_eq!(fs.requests.load(Ordering::SeqCst), 2);
    assert_eq!(fs.not_modified.load(Ordering::SeqCst), 1, "the second read was a 304 served from memory");

    // Outside the allowed path prefix: refused, no request.
    let outside = reader.read_url(&format!("http://{addr}/other/x.yaml")).await.expect_err("outside the paths");
    assert!(outside.starts_with("NotAllowedError: "), "{outside}");
    assert_eq!(fs.requests.load(Ordering::SeqCst), 2);

    let missing = reader.read_url(&format!("http://{addr}/catalog/missing.yaml")).await.expect_err("404");
    assert!(missing.starts_with("NotFoundError: "), "{missing}");

    // Redirects are followed only where a URL could be read directly.
    fs.files.lock().expect("lock").insert("catalog/moved.yaml".into(), format!("REDIRECT http://{addr}/catalog/team.yaml"));
    fs.files.lock().expect("lock").insert("catalog/away.yaml".into(), format!("REDIRECT http://{addr}/other/x.yaml"));
    fs.files.lock().expect("lock").insert("catalog/far.yaml".into(), "REDIRECT http://metadata.internal.test/latest".into());
    assert_eq!(reader.read_url(&format!("http://{addr}/catalog/moved.yaml")).await.expect("moved"), COMPONENT);
    let before = fs.requests.load(Ordering::SeqCst);
    for path in ["away", "far"] {
        let refused = reader.read_url(&format!("http://{addr}/catalog/{path}.yaml")).await.expect_err("redirect refused");
        assert!(refused.starts_with("Error: ") && refused.contains("not allowed"), "{refused}");
    }
    assert_eq!(fs.requests.load(Ordering::SeqCst), before + 2, "the refused targets were never requested");
}

#[tokio::test]
async fn tree_urls_read_the_catalog_files_under_the_folder() {
    let gh = FakeGithub::with_files(
        None,
        &[
            ("acme", "mono", "main", "catalog-info.yaml", COMPONENT),
            ("acme", "mono", "main", "services/a/catalog-info.yaml", &COMPONENT.replace("svc", "a")),
            ("acme", "mono", "main", "services/b/catalog-info.yml", &COMPONENT.replace("svc", "b")),
            ("acme", "mono", "main", "services/b/openapi.yaml", "openapi: 3.0.0\n"),
        ],
    );
    let addr = start_github(gh.clone()).await;
    let reader = reader(addr, None, vec![]);
    let files = reader.read(&LocationRef::new("url", "https://github.com/acme/mono/tree/main/services")).await.expect("tree");
    let targets: Vec<&str> = files.iter().map(|f| f.location.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "https://github.com/acme/mono/blob/main/services/a/catalog-info.yaml",
            "https://github.com/acme/mono/blob/main/services/b/catalog-info.yml"
        ]
    );
    assert!(files[0].text.contains("name: a") && files[1].text.contains("name: b"));

    let missing = reader.read_url("https://github.com/acme/mono/tree/main/nothing").await.expect_err("a folder is no file");
    assert!(missing.starts_with("InputError: "), "{missing}");
    let missing = reader.read(&LocationRef::new("url", "https://github.com/acme/mono/tree/main/nothing")).await.expect_err("absent");
    assert!(missing.starts_with("NotFoundError: "), "{missing}");
}

const API_WITH_TEXT: &str = "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: payments-api\nspec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n  definition:\n    $text: ./openapi.yaml\n";
const OPENAPI: &str = "openapi: 3.0.0\ninfo:\n  title: Payments\n  version: 1.0.0\npaths: {}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_references_resolve_against_the_url_of_their_file() {
    let gh = FakeGithub::with_files(
        None,
        &[
            ("acme", "payments", "main", "catalog-info.yaml", API_WITH_TEXT),
            ("acme", "payments", "main", "openapi.yaml", OPENAPI),
        ],
    );
    let addr = start_github(gh.clone()).await;
    let composite = CompositeReader::new(reader(addr, None, vec![]));
    let url = "https://github.com/acme/payments/blob/main/catalog-info.yaml";

    let files = composite.read(&LocationRef::new("url", url)).await.expect("read");
    let report = parse_read_file(&composite, &files[0].location, files[0].text.clone()).await.expect("parse");
    let entity = report.entities().next().expect("the API entity");
    let definition = entity.spec.as_ref().and_then(|s| s.get("definition")).and_then(|d| d.as_str()).unwrap_or_default();
    assert_eq!(definition, OPENAPI);
    assert!(gh.seen().iter().any(|s| s.uri == "/repos/acme/payments/contents/openapi.yaml?ref=main"), "{:?}", gh.seen());

    // The resolver used directly, from a blocking thread, through the same reader.
    let shared: Arc<dyn Reader> = Arc::new(composite.clone());
    let resolver = UrlResolver::new(shared, &LocationRef::new("url", url));
    let (relative, absolute, refused) = tokio::task::spawn_blocking(move || {
        (
            resolver.read("./openapi.yaml"),
            resolver.read("https://github.com/acme/payments/blob/main/openapi.yaml"),
            resolver.read("https://elsewhere.example.org/x.yaml"),
        )
    })
    .await
    .expect("join");
    assert_eq!(relative, Resolution::Text(OPENAPI.to_owned()));
    assert_eq!(absolute, Resolution::Text(OPENAPI.to_owned()));
    assert!(matches!(&refused, Resolution::Failed(m) if m.starts_with("NotAllowedError: ")), "{refused:?}");

    // A missing reference is an error diagnostic naming the NotFoundError.
    let broken = API_WITH_TEXT.replace("./openapi.yaml", "./missing.yaml");
    let report = parse_read_file(&composite, &LocationRef::new("url", url), broken).await.expect("parse");
    assert!(
        report.diagnostics.iter().any(|d| d.severity == portolan_catalog::Severity::Error && d.message.contains("NotFoundError")),
        "{:?}",
        report.diagnostics
    );
}

#[tokio::test]
async fn local_files_resolve_paths_on_disk_and_urls_through_the_reader() {
    let (_fs, addr) = start_files(&[("catalog/openapi.yaml", OPENAPI)]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("local.yaml"), "openapi: 3.1.0\n").expect("write");
    let catalog = dir.path().join("catalog-info.yaml");
    let text = format!(
        "{API_WITH_TEXT}---\n{}",
        API_WITH_TEXT.replace("payments-api", "remote-api").replace("./openapi.yaml", &format!("http://{addr}/catalog/openapi.yaml"))
    )
    .replace("./openapi.yaml", "./local.yaml");
    std::fs::write(&catalog, &text).expect("write");

    let composite = CompositeReader::new(reader(addr, None, vec![(addr.to_string(), vec![])]));
    let location = LocationRef::new("file", catalog.to_string_lossy());
    let report = parse_read_file(&composite, &location, text.clone()).await.expect("parse");
    let definitions: Vec<&str> =
        report.entities().filter_map(|e| e.spec.as_ref()?.get("definition")?.as_str()).collect();
    assert_eq!(definitions, ["openapi: 3.1.0\n", OPENAPI]);

    // With a reader that has no URL support, URLs stay unread (a warning), as before.
    let report = parse_read_file(&portolan::ingest::FileReader, &location, text).await.expect("parse");
    assert_eq!(report.entities().count(), 2);
    assert!(report.diagnostics.iter().any(|d| d.message.contains("was not read")), "{:?}", report.diagnostics);
}

#[tokio::test]
async fn a_url_location_and_the_urls_it_points_at_land_in_the_database() {
    let (fs, files_addr) = start_files(&[(
        "catalog/team.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n",
    )])
    .await;
    let root = format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: acme-portal\nspec:\n  targets:\n    - ./components/payments.yaml\n    - http://{files_addr}/catalog/team.yaml\n"
    );
    let payments = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n  providesApis: [payments-api]\n---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: payments-api\nspec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n  definition:\n    $text: ../openapi/payments.yaml\n";
    let gh = FakeGithub::with_files(
        Some(TOKEN),
        &[
            ("acme", "portal", "main", "catalog-info.yaml", &root),
            ("acme", "portal", "main", "components/payments.yaml", payments),
            ("acme", "portal", "main", "openapi/payments.yaml", OPENAPI),
        ],
    );
    let gh_addr = start_github(gh.clone()).await;
    let composite = CompositeReader::new(reader(gh_addr, Some(TOKEN), vec![(files_addr.to_string(), vec!["/catalog/".into()])]));

    let t = TestDb::sqlite().await;
    let root_url = "https://github.com/acme/portal/blob/main/catalog-info.yaml";
    let loc = locations::insert(&t.db.pool, "url", root_url, ORIGIN_CONFIG).await.expect("insert location");
    let outcome = process_location(&t.db, &portolan::search::SearchIndex::new(), &composite, &loc, &KindRule::default(), OrphanStrategy::Delete).await.expect("process");
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(outcome.files, 3, "{outcome:?}");
    assert!(outcome.local_files.is_empty());

    let api = entities::by_ref(&t.db.pool, "api:default/payments-api").await.expect("db").expect("the API");
    let api: serde_json::Value = serde_json::from_str(&api.body).expect("json body");
    assert_eq!(api["spec"]["definition"], OPENAPI);
    assert_eq!(
        api["metadata"]["annotations"]["backstage.io/managed-by-location"],
        "url:https://github.com/acme/portal/blob/main/components/payments.yaml"
    );
    assert_eq!(api["metadata"]["annotations"]["backstage.io/managed-by-origin-location"], format!("url:{root_url}"));
    for entity_ref in ["component:default/payments", "group:default/team-a", "location:default/acme-portal"] {
        assert!(entities::by_ref(&t.db.pool, entity_ref).await.expect("db").is_some(), "{entity_ref} stored");
    }
    assert!(gh.seen().iter().all(|s| s.authorization.as_deref() == Some(format!("Bearer {TOKEN}").as_str())));

    // A second pass revalidates every file with 304s and writes nothing.
    let github_before = gh.seen().len();
    let again = process_location(&t.db, &portolan::search::SearchIndex::new(), &composite, &loc, &KindRule::default(), OrphanStrategy::Delete).await.expect("again");
    assert_eq!(again.written, 0, "{again:?}");
    assert!(gh.seen()[github_before..].iter().all(|s| s.not_modified), "{:?}", gh.seen());
    assert_eq!(fs.not_modified.load(Ordering::SeqCst), 1);

    // A target that disappears upstream is a NotFoundError; its entities stay.
    gh.files.lock().expect("lock").retain(|k, _| k.3 != "components/payments.yaml");
    let broken = process_location(&t.db, &portolan::search::SearchIndex::new(), &composite, &loc, &KindRule::default(), OrphanStrategy::Delete).await.expect("broken");
    assert!(broken.errors.iter().any(|e| e.contains("NotFoundError")), "{broken:?}");
    assert!(broken.errors.iter().all(|e| !e.contains(TOKEN)));
    assert!(entities::by_ref(&t.db.pool, "component:default/payments").await.expect("db").is_some(), "last good version kept");
}
