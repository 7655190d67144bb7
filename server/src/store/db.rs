//! Connecting to the database and bringing its schema up to date.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

/// Which database engine is behind the pool; the SQL is shared, the
/// migrations and connection settings are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite, the default.
    Sqlite,
    /// PostgreSQL, for production and several replicas.
    Postgres,
}

/// The catalog database.
#[derive(Debug, Clone)]
pub struct Db {
    /// The connection pool; repository functions take any executor of it.
    pub pool: AnyPool,
    /// Where catalog writes begin ([`super::changes::begin_write`]). On
    /// SQLite, which has one writer at a time anyway, a pool of a single
    /// connection: its page cache stays warm from one transaction to the
    /// next, and the readers' caches can stay small (eight connections
    /// taking turns at writing each filled an 8 MiB cache). Elsewhere the
    /// same pool as `pool`.
    pub writer: AnyPool,
    /// The engine behind it.
    pub backend: Backend,
    /// The URL it was opened with (other pools, e.g. sessions', use it too).
    pub url: String,
    /// On an SQLite file: set while a background checkpoint runs (see
    /// [`Db::checkpoint_in_background`]).
    checkpointing: Option<Arc<AtomicBool>>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Db {
    /// Connects to `url` (`sqlite://path`, `sqlite::memory:`, `postgres://…`)
    /// and applies the migrations that have not run yet.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            anyhow::bail!("unsupported database URL (expected sqlite:// or postgres://)");
        };
        let mut url = url.to_owned();
        if backend == Backend::Sqlite && !url.contains(":memory:") && !url.contains("mode=") {
            url.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
        }
        let options = AnyConnectOptions::from_str(&url).context("invalid database URL")?;
        let opened_with = url.clone();
        let in_memory = url.contains(":memory:");
        let pool = open_pool(backend, options.clone(), if in_memory { 1 } else { 8 }, Settings::reader()).await?;
        let (writer, checkpointing) = match backend {
            Backend::Sqlite if !in_memory => (open_pool(backend, options, 1, Settings::writer()).await?, Some(Arc::default())),
            _ => (pool.clone(), None),
        };
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await.context("cannot apply the database migrations")?;
        Ok(Db { pool, writer, backend, url: opened_with, checkpointing })
    }

    /// On an SQLite file, after a catalog write: copies the write-ahead log
    /// into the database file on a reading connection, in the background,
    /// unless a copy is already under way. The writer's own checkpoints
    /// start late (see [`WRITER_AUTOCHECKPOINT_PAGES`]) because they run
    /// inside its commits: at 1,000 pages they took about 0.8 s of a
    /// 100,000-entity ingest, all of it while the writer waited. This one
    /// runs beside the next transaction; `PASSIVE`, it waits for no reader
    /// or writer and blocks none.
    pub(crate) fn checkpoint_in_background(&self) {
        let Some(running) = &self.checkpointing else { return };
        if running.swap(true, Ordering::AcqRel) {
            return;
        }
        let (pool, running) = (self.pool.clone(), Arc::clone(running));
        tokio::spawn(async move {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                tracing::warn!("cannot checkpoint the database's write-ahead log: {e}");
            }
            running.store(false, Ordering::Release);
        });
    }

    /// On an SQLite file, after a processing pass: empties the writer's
    /// page cache (up to [`WRITER_CACHE_KIB`]), which the next pass (of the
    /// next location, or of this one an hour later by default) fills again
    /// from the OS's file cache.
    /// [`crate::memory::release_freed`] then gives it back to the OS.
    pub(crate) async fn shrink_writer_cache(&self) {
        // Only a database file has `checkpointing`: in memory, the cache is the database.
        if self.checkpointing.is_none() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA shrink_memory").execute(&self.writer).await {
            tracing::warn!("cannot shrink the database writer's page cache: {e}");
        }
    }
}

/// Page cache of each reading SQLite connection. Queries are answered from
/// the in-memory index: readers fetch single entities by key, and bulk
/// reads (at start, and a pass's fingerprints) stream through. At 2 MiB
/// each, the eight readers held 9-13 MB more after the benchmark's queries
/// and re-pass than at 256 KiB, and by-name answered no faster; what a
/// reader misses comes from the OS's file cache.
const READER_CACHE_KIB: u32 = 256;

/// Page cache of the SQLite writer, whose inserts into the entity table and
/// its indexes touch pages all over them.
const WRITER_CACHE_KIB: u32 = 8192;

/// Write-ahead log pages (4 KiB each) past which the writer's commit
/// copies the log into the database itself: SQLite's default is 1,000.
/// Normally [`Db::checkpoint_in_background`] has copied it long before;
/// this bounds the log (at 40 MiB) if that falls behind.
const WRITER_AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// What differs between SQLite's reading and writing connections.
#[derive(Debug, Clone, Copy)]
struct Settings {
    cache_kib: u32,
    autocheckpoint_pages: u32,
}

impl Settings {
    fn reader() -> Settings {
        Settings { cache_kib: READER_CACHE_KIB, autocheckpoint_pages: 1000 }
    }

    fn writer() -> Settings {
        Settings { cache_kib: WRITER_CACHE_KIB, autocheckpoint_pages: WRITER_AUTOCHECKPOINT_PAGES }
    }
}

/// A pool of up to `connections` with the engine's connection settings.
async fn open_pool(backend: Backend, options: AnyConnectOptions, connections: u32, settings: Settings) -> anyhow::Result<AnyPool> {
    AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    // A page cache of `cache_kib`, and no memory-mapped reads
                    // (mapped pages would count as the server's memory).
                    conn.execute(format!("PRAGMA cache_size = -{}", settings.cache_kib).as_str()).await?;
                    conn.execute(format!("PRAGMA wal_autocheckpoint = {}", settings.autocheckpoint_pages).as_str()).await?;
                    conn.execute("PRAGMA temp_store = MEMORY").await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .context("cannot connect to the database")
}
