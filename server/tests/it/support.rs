//! Test doubles and fixtures shared by the test modules: real databases,
//! one per test (a SQLite file in a temporary folder; a fresh PostgreSQL
//! database on the local server).

use portolan::store::Db;

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
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("portolan.db").display());
        let db = Db::connect(&url).await.expect("sqlite");
        TestDb { db, _dir: Some(dir), pg_name: None }
    }

    /// A fresh PostgreSQL database, or `None` (said loudly) when no server answers.
    pub async fn postgres() -> Option<TestDb> {
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
    /// A scratch folder for catalog files the test writes.
    pub scratch: tempfile::TempDir,
    _db: TestDb,
}

/// Builds a [`TestApp`].
#[derive(Default)]
pub struct TestAppBuilder {
    example: bool,
    postgres: bool,
}

impl TestAppBuilder {
    /// Reads the example catalog as a configured location.
    pub fn with_example_catalog(mut self) -> Self {
        self.example = true;
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
        let catalog = Catalog::open(db.db.clone(), Arc::new(FileReader), settings).await.expect("catalog");
        if self.example {
            let root = repo().join("catalog/example/catalog-info.yaml").canonicalize().expect("example");
            locations::insert(&db.db.pool, "file", &root.to_string_lossy(), ORIGIN_CONFIG).await.expect("location");
            catalog.process_all().await.expect("process");
        }
        let portal = portolan::web::LivePortal::new(Arc::clone(&catalog));
        portal.reload().await.expect("index");
        let metrics = Arc::new(portolan::ops::Metrics::new());
        let router = portolan::app::router(Arc::clone(&catalog), portal.clone(), metrics);
        Some(TestApp { router, catalog, portal, scratch: tempfile::tempdir().expect("tempdir"), _db: db })
    }
}

impl TestApp {
    /// A builder: SQLite, empty catalog.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// Sends a request; returns status and body text.
    pub async fn send(&self, request: axum::http::Request<axum::body::Body>) -> (axum::http::StatusCode, String) {
        use tower::ServiceExt;
        let response = self.router.clone().oneshot(request).await.expect("router is infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// GETs `uri`.
    pub async fn get(&self, uri: &str) -> (axum::http::StatusCode, String) {
        self.send(axum::http::Request::get(uri).body(axum::body::Body::empty()).expect("request")).await
    }

    /// POSTs a form to `uri`.
    pub async fn post_form(&self, uri: &str, fields: &[(&str, &str)]) -> (axum::http::StatusCode, String) {
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let request = axum::http::Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .expect("request");
        self.send(request).await
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
