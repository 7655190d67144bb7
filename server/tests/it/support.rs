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
