//! Test doubles and fixtures shared by the test modules: real databases,
//! one per test (a SQLite file in a temporary folder; a fresh PostgreSQL
//! database on the local server).

use portolan::store::Db;

/// Sends every log line of the test run, debug level and up, to the file
/// `PORTOLAN_TEST_LOG` names (`.ci/run` sets it and then searches the file
/// for the secrets the tests use: none may appear). Called by the
/// constructors every test goes through; later calls do nothing.
pub fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(path) = std::env::var("PORTOLAN_TEST_LOG") else { return };
        if let Some(dir) = std::path::Path::new(&path).parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(&path) else { return };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug,hyper=info,h2=info,rustls=info,sqlx=info"))
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .try_init();
    });
}

/// Whether tests that need an outside tool must fail rather than skip (set by `.ci/run`).
pub fn tools_required() -> bool {
    std::env::var("PORTOLAN_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// A database that is removed when the test ends.
pub struct TestDb {
    /// The database.
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

impl TestDb {
    /// A fresh SQLite file.
    pub async fn sqlite() -> TestDb {
        capture_logs();
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("portolan.db").display());
        let db = Db::connect(&url).await.expect("sqlite");
        TestDb { db, _dir: Some(dir), pg_name: None }
    }

    /// A fresh PostgreSQL database, or `None` (said loudly) when no server answers.
    pub async fn postgres() -> Option<TestDb> {
        capture_logs();
        sqlx::any::install_default_drivers();
        let admin = match sqlx::AnyPool::connect(PG_ADMIN_URL).await {
            Ok(pool) => pool,
            Err(e) => {
                assert!(!tools_required(), "PostgreSQL is required (PORTOLAN_REQUIRE_TOOLS=1) but not reachable: {e}");
                eprintln!("SKIPPED: PostgreSQL not reachable at {PG_ADMIN_URL}: {e}");
                return None;
            }
        };
        let name = format!("portolan_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.expect("create database");
        admin.close().await;
        let db = Db::connect(&format!("postgres://postgres@127.0.0.1:5432/{name}")).await.expect("postgres");
        Some(TestDb { db, _dir: None, pg_name: Some(name) })
    }

    /// Both engines: SQLite always, PostgreSQL when reachable.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        dbs
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else { return };
        // The pool belongs to the test's runtime, which is blocked in this drop:
        // FORCE ends its connections from the server side instead.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                if let Ok(admin) = sqlx::AnyPool::connect(PG_ADMIN_URL).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin).await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Copies a folder tree (the example catalog, templates) into `to`.
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for entry in walkdir::WalkDir::new(from).into_iter().filter_map(Result::ok) {
        let rel = entry.path().strip_prefix(from).expect("inside");
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// The repository root.
pub fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The whole portal (pages, catalog API, operational endpoints) over a real
/// database, built like `portolan serve` builds it.
pub struct TestApp {
    /// All routes.
    pub router: axum::Router,
    /// The catalog service behind them.
    pub catalog: std::sync::Arc<portolan::ingest::Catalog>,
    /// The pages' data.
    pub portal: portolan::web::LivePortal,
    /// The scaffolder, its workers running while the app lives.
    pub scaffolder: std::sync::Arc<portolan::scaffolder::Scaffolder>,
    /// A scratch folder for catalog files the test writes.
    pub scratch: tempfile::TempDir,
    _stop_workers: tokio::sync::watch::Sender<bool>,
    /// The browser-like session: the session cookie and the last form token seen.
    jar: std::sync::Mutex<(Option<String>, Option<String>)>,
    _db: TestDb,
}

/// Builds a [`TestApp`].
#[derive(Default)]
pub struct TestAppBuilder {
    example: bool,
    postgres: bool,
    permission: Option<portolan::config::auth::PermissionConfig>,
    auth: Option<portolan::auth::AuthSettings>,
    reader: Option<std::sync::Arc<dyn portolan::ingest::Reader>>,
    github: Vec<portolan::scaffolder::actions::GithubPublishTarget>,
    git_remotes: Vec<String>,
    urls: Option<portolan::ingest::url_reader::UrlReader>,
    kubernetes: Option<std::sync::Arc<portolan::kubernetes::Kubernetes>>,
}

/// The auth layers of a test app: guest sign-in on, `permission` (or none) in force.
pub async fn test_auth(
    catalog: &std::sync::Arc<portolan::ingest::Catalog>,
    permission: Option<portolan::config::auth::PermissionConfig>,
) -> portolan::auth::Layers {
    test_auth_with(catalog, permission, None).await
}

/// [`test_auth`] with these sign-in settings instead.
pub async fn test_auth_with(
    catalog: &std::sync::Arc<portolan::ingest::Catalog>,
    permission: Option<portolan::config::auth::PermissionConfig>,
    settings: Option<portolan::auth::AuthSettings>,
) -> portolan::auth::Layers {
    let settings = settings.unwrap_or_else(|| portolan::auth::AuthSettings { guest: true, base_url: "http://127.0.0.1:7007".into(), ..Default::default() });
    let policy = portolan::auth::policy::Policy::new(&permission.unwrap_or_default());
    portolan::auth::Layers::new(settings, policy, std::sync::Arc::clone(catalog), std::time::Duration::from_secs(3600)).await.expect("auth layers")
}

/// An API token with every scope, created by `user_ref`, straight in the database.
pub async fn admin_token(db: &portolan::store::Db, user_ref: &str, expires_at: Option<&str>) -> String {
    let secret = format!("ptl_test_{}", uuid::Uuid::new_v4().simple());
    let token = portolan::store::tokens::ApiToken {
        id: uuid::Uuid::new_v4().to_string(),
        name: "test".into(),
        scopes: portolan::auth::policy::Action::ALL.iter().map(|a| a.as_str().to_owned()).collect(),
        created_by: user_ref.into(),
        created_at: portolan::store::entities::now(),
        expires_at: expires_at.map(str::to_owned),
        revoked_at: None,
    };
    portolan::store::tokens::insert(&db.pool, &token, &secret).await.expect("token");
    secret
}

impl TestAppBuilder {
    /// Reads the example catalog as a configured location.
    pub fn with_example_catalog(mut self) -> Self {
        self.example = true;
        self
    }

    /// Signs in with these settings instead of guest-only.
    pub fn with_auth(mut self, settings: portolan::auth::AuthSettings) -> Self {
        self.auth = Some(settings);
        self
    }

    /// Puts `permission` in force instead of the defaults.
    pub fn with_permission(mut self, permission: portolan::config::auth::PermissionConfig) -> Self {
        self.permission = Some(permission);
        self
    }

    /// Reads locations with `reader` instead of local files only.
    pub fn with_reader(mut self, reader: std::sync::Arc<dyn portolan::ingest::Reader>) -> Self {
        self.reader = Some(reader);
        self
    }

    /// Serves these cluster caches.
    pub fn with_kubernetes(mut self, kubernetes: std::sync::Arc<portolan::kubernetes::Kubernetes>) -> Self {
        self.kubernetes = Some(kubernetes);
        self
    }

    /// Lets templates fetch skeletons through this URL reader.
    pub fn with_url_reader(mut self, urls: portolan::ingest::url_reader::UrlReader) -> Self {
        self.urls = Some(urls);
        self
    }

    /// Lets `publish:github` create repositories through this API.
    pub fn with_github_publish(mut self, api_base_url: &str, token: &str) -> Self {
        self.github.push(portolan::scaffolder::actions::GithubPublishTarget { host: "github.com".into(), api_base_url: api_base_url.into(), token: Some(token.into()) });
        self
    }

    /// Lets `publish:git` push to remotes under these prefixes.
    pub fn with_git_remotes(mut self, prefixes: &[&str]) -> Self {
        self.git_remotes = prefixes.iter().map(|p| (*p).to_owned()).collect();
        self
    }

    /// Uses PostgreSQL instead of SQLite (`None` from `build` when unreachable).
    pub fn on_postgres(mut self) -> Self {
        self.postgres = true;
        self
    }

    /// Starts the app; `None` only when PostgreSQL was asked for and is not there.
    pub async fn build(self) -> Option<TestApp> {
        use portolan::ingest::{Catalog, CatalogSettings, FileReader, KindRule};
        use portolan::store::locations::{self, ORIGIN_CONFIG};
        use std::sync::Arc;
        let db = if self.postgres { TestDb::postgres().await? } else { TestDb::sqlite().await };
        let settings = CatalogSettings { registered_rule: KindRule(None), ..CatalogSettings::default() };
        let reader = self.reader.unwrap_or_else(|| Arc::new(FileReader));
        let catalog = Catalog::open(db.db.clone(), reader, settings).await.expect("catalog");
        if self.example {
            let root = repo().join("catalog/example/catalog-info.yaml").canonicalize().expect("example");
            locations::insert(&db.db.pool, "file", &root.to_string_lossy(), ORIGIN_CONFIG).await.expect("location");
            let templates = repo().join("templates").canonicalize().expect("templates").join("*/template.yaml");
            locations::insert(&db.db.pool, "file", &templates.to_string_lossy(), ORIGIN_CONFIG).await.expect("location");
            catalog.process_all().await.expect("process");
        }
        let portal = portolan::web::LivePortal::new(Arc::clone(&catalog));
        portal.reload().await.expect("index");
        let metrics = Arc::new(portolan::ops::Metrics::new());
        let scratch = tempfile::tempdir().expect("tempdir");
        let git = portolan::scaffolder::actions::GitSettings { allowed_remotes: self.git_remotes, ..Default::default() };
        let services = portolan::scaffolder::actions::Services { catalog: Arc::clone(&catalog), github: self.github, git, urls: self.urls };
        let workspaces = portolan::scaffolder::ScaffolderSettings { workspace_root: scratch.path().join("workspaces"), concurrent_tasks: 4 };
        let scaffolder = portolan::scaffolder::Scaffolder::new(services, workspaces);
        let (stop_workers, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(Arc::clone(&scaffolder).run_workers(stop_rx));
        let auth = test_auth_with(&catalog, self.permission, self.auth).await;
        let kubernetes = self.kubernetes.unwrap_or_else(portolan::kubernetes::Kubernetes::none);
        let services = portolan::app::Services { scaffolder: Arc::clone(&scaffolder), kubernetes: Arc::clone(&kubernetes) };
        let router = portolan::app::router(Arc::clone(&catalog), portal.clone(), metrics, auth, services);
        Some(TestApp { router, catalog, portal, scaffolder, scratch, _stop_workers: stop_workers, jar: Default::default(), _db: db })
    }
}

impl TestApp {
    /// A builder: SQLite, empty catalog.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// Sends a request like a browser would: with the session cookie, which
    /// it keeps up to date, and remembering the last form token it saw.
    pub async fn send(&self, mut request: axum::http::Request<axum::body::Body>) -> (axum::http::StatusCode, String) {
        use tower::ServiceExt;
        if let Some(cookie) = self.jar.lock().expect("jar").0.clone() {
            request.headers_mut().insert("cookie", cookie.parse().expect("cookie"));
        }
        let response = self.router.clone().oneshot(request).await.expect("router is infallible");
        let status = response.status();
        if let Some(set) = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()) {
            let pair = set.split(';').next().unwrap_or_default().to_owned();
            self.jar.lock().expect("jar").0 = Some(pair);
        }
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        let body = String::from_utf8_lossy(&body).into_owned();
        let token = regex::Regex::new(r#"name="_csrf" value="([0-9a-f]+)""#).expect("regex");
        if let Some(found) = token.captures(&body) {
            self.jar.lock().expect("jar").1 = Some(found[1].to_owned());
        }
        (status, location.map_or(body, |to| format!("redirect:{to}")))
    }

    /// Signs in as the guest, as the sign-in page's button does.
    pub async fn sign_in_as_guest(&self) {
        self.get("/sign-in").await;
        let (status, body) = self.post_form("/sign-in/guest", &[("returnTo", "/")]).await;
        assert_eq!((status, body.as_str()), (axum::http::StatusCode::SEE_OTHER, "redirect:/"), "guest sign-in");
        self.get("/").await;
    }

    /// The session cookie (`name=value`), once there is one.
    pub fn cookie(&self) -> Option<String> {
        self.jar.lock().expect("jar").0.clone()
    }

    /// The session's current form token.
    pub fn csrf(&self) -> String {
        self.jar.lock().expect("jar").1.clone().unwrap_or_default()
    }

    /// Forgets the session cookie, as a new browser would.
    pub fn forget_session(&self) {
        *self.jar.lock().expect("jar") = (None, None);
    }

    /// POSTs a form to `uri` without adding the form token.
    pub async fn post_form_without_token(&self, uri: &str, fields: &[(&str, &str)]) -> (axum::http::StatusCode, String) {
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let request = axum::http::Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .expect("request");
        self.send(request).await
    }

    /// GETs `uri`.
    pub async fn get(&self, uri: &str) -> (axum::http::StatusCode, String) {
        self.send(axum::http::Request::get(uri).body(axum::body::Body::empty()).expect("request")).await
    }

    /// POSTs a form to `uri` with the session's form token, as the page's form would.
    pub async fn post_form(&self, uri: &str, fields: &[(&str, &str)]) -> (axum::http::StatusCode, String) {
        let token = self.csrf();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_csrf", token.as_str()));
        self.post_form_without_token(uri, &all).await
    }

    /// Serves the app on a loopback port until the test ends; returns its base URL.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = self.router.clone();
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{addr}")
    }
}
