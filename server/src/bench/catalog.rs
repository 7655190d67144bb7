//! `portolan bench catalog`: ingest a generated 100k-entity catalog into
//! SQLite or PostgreSQL, then time the API's main queries, start-up on a
//! stored catalog, and how fast a file edit reaches the API.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

use super::generate::{self, Shape};
use crate::ingest::{Catalog, CatalogSettings, FileReader};
use crate::store::Db;
use crate::store::locations::{self, ORIGIN_CONFIG};

/// Options of `portolan bench catalog`.
#[derive(Debug, clap::Args)]
pub struct CatalogBenchArgs {
    /// About how many entities to generate.
    #[arg(long, default_value_t = 100_000)]
    pub entities: usize,
    /// Where the generated catalog is (re)written; a temporary folder if not given.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// `sqlite` (a temporary file) or a PostgreSQL server URL such as
    /// `postgres://postgres@127.0.0.1:5432/test`; a fresh database is created on
    /// that server for the run and dropped afterwards.
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Requests per timed query.
    #[arg(long, default_value_t = 300)]
    pub requests: usize,
}

/// The `p` quantile of sorted durations.
pub(super) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Resident memory of this process now.
pub(super) fn rss_mb() -> f64 {
    proc_status_mb("VmRSS:")
}

/// Peak resident memory of this process.
pub(super) fn peak_rss_mb() -> f64 {
    proc_status_mb("VmHWM:")
}

/// CPU time this process has used so far, user and system together, from
/// `/proc/self/stat` (in clock ticks of 1/100 s).
pub(super) fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime: fields 14 and 15 of the line, so 11 and 12 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn proc_status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Requests sent untimed before each timed series: two per pooled database
/// connection, so that every connection has prepared its statements, which
/// a server does once per connection in its life and not once per request.
/// The pool hands out its idle connections in turn, so sequential requests
/// would otherwise pay for a prepare on each of the first eight.
const WARM_UP: usize = 16;

/// GETs `uri` and reads the whole body; how long that took. A response
/// that is not a success is an error.
async fn timed_get(app: &axum::Router, uri: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty())?).await?;
    let status = response.status();
    axum::body::to_bytes(response.into_body(), usize::MAX).await?;
    let took = started.elapsed();
    anyhow::ensure!(status.is_success(), "{uri}: {status}");
    Ok(took)
}

/// GETs each of `uris` in turn; p50 and p99 of the response times, after
/// [`WARM_UP`] untimed requests (printed: the slowest of them).
pub(super) async fn time_requests(app: &axum::Router, uris: &[String]) -> anyhow::Result<(Duration, Duration)> {
    let mut slowest_warm_up = Duration::ZERO;
    for uri in uris.iter().cycle().take(WARM_UP) {
        slowest_warm_up = slowest_warm_up.max(timed_get(app, uri).await?);
    }
    println!("  ({WARM_UP} untimed requests first, the slowest of them {slowest_warm_up:.2?})");
    let mut times = Vec::with_capacity(uris.len());
    for uri in uris {
        times.push(timed_get(app, uri).await?);
    }
    times.sort();
    Ok((percentile(&times, 0.5), percentile(&times, 0.99)))
}

/// A database for the run: a temporary SQLite file, or a fresh PostgreSQL database.
pub(super) struct BenchDb {
    pub(super) url: String,
    drop_with: Option<(String, String)>,
    _dir: Option<PathBuf>,
}

pub(super) async fn bench_db(spec: &str) -> anyhow::Result<BenchDb> {
    if spec == "sqlite" {
        let dir = std::env::temp_dir().join(format!("portolan-bench-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        return Ok(BenchDb { url: format!("sqlite://{}", dir.join("portolan.db").display()), drop_with: None, _dir: Some(dir) });
    }
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(spec).await.context("cannot reach the PostgreSQL server")?;
    let name = format!("portolan_bench_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await?;
    admin.close().await;
    let base = spec.rsplit_once('/').map_or(spec, |(b, _)| b);
    Ok(BenchDb { url: format!("{base}/{name}"), drop_with: Some((spec.to_owned(), name)), _dir: None })
}

impl BenchDb {
    pub(super) async fn cleanup(self) {
        if let Some((admin_url, name)) = self.drop_with {
            if let Ok(admin) = sqlx::AnyPool::connect(&admin_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin).await;
            }
        }
        if let Some(dir) = self._dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Generates a catalog of about `entities` entities (in `dir`, or a temporary
/// folder removed afterwards), makes the database `database` names, runs
/// `bench` on them, and cleans up whatever `bench` returns.
pub(super) async fn on_generated_catalog(
    entities: usize,
    dir: Option<&Path>,
    database: &str,
    bench: impl AsyncFnOnce(&str, &Path, Shape) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let shape = Shape::for_entities(entities);
    let folder = dir.map_or_else(|| std::env::temp_dir().join(format!("portolan-bench-{}", std::process::id())), Path::to_path_buf);
    generate::write_catalog(&folder, shape)?;
    // The files are on disk before anything is timed: an ingest right after
    // writing them would share the disk with the kernel's write-back.
    let _ = std::process::Command::new("sync").status();
    let root = folder.join("catalog-info.yaml").canonicalize()?;
    let db_spec = bench_db(database).await?;
    let result = bench(&db_spec.url, &root, shape).await;
    db_spec.cleanup().await;
    if dir.is_none() {
        let _ = std::fs::remove_dir_all(&folder);
    }
    result
}

/// Options of the hidden `portolan bench start`.
#[derive(Debug, clap::Args)]
pub struct StartBenchArgs {
    /// The database URL with a stored catalog.
    #[arg(long)]
    pub database: String,
    /// The index snapshot to start from, if any.
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
}

/// Starts the way `portolan serve` does on a stored catalog — connect,
/// migrate, load the search index, build the pages' snapshot, bind — and
/// prints how long that took and the memory it holds.
pub async fn start_bench(args: &StartBenchArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = Db::connect(&args.database).await?;
    let settings = CatalogSettings { refresh_interval: Duration::from_secs(3600), index_snapshot: args.snapshot.clone(), ..CatalogSettings::default() };
    let catalog = Catalog::open(db, Arc::new(FileReader), settings).await?;
    let indexed = started.elapsed();
    let rss_indexed = rss_mb();
    let portal = crate::web::LivePortal::new(Arc::clone(&catalog));
    portal.reload().await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let serving = started.elapsed();
    drop(listener);
    println!("start to serving with the catalog stored: {serving:.2?} (search index loaded after {indexed:.2?})");
    println!(
        "  resident memory then: {:.0} MB ({rss_indexed:.0} MB with the search index alone; peak {:.0} MB); {:?}",
        rss_mb(),
        peak_rss_mb(),
        catalog.index.stats()
    );
    Ok(())
}

/// Runs the benchmark and prints one line per figure.
pub async fn catalog_bench(args: &CatalogBenchArgs) -> anyhow::Result<()> {
    on_generated_catalog(args.entities, args.dir.as_deref(), &args.database, async |url, root, shape| run(args, url, root, shape).await).await
}

async fn run(args: &CatalogBenchArgs, url: &str, root: &std::path::Path, shape: Shape) -> anyhow::Result<()> {
    let db = Db::connect(url).await?;
    println!("database: {:?}, {} service files", db.backend, shape.service_files);
    let snapshot = std::env::temp_dir().join(format!("portolan-bench-index-{}.bin", std::process::id()));
    let settings = CatalogSettings { index_snapshot: Some(snapshot.clone()), ..CatalogSettings::default() };
    let catalog = Catalog::open(db.clone(), Arc::new(FileReader), settings).await?;
    locations::insert(&db.pool, "file", &root.to_string_lossy(), ORIGIN_CONFIG).await?;
    let started = Instant::now();
    let cpu = cpu_time();
    catalog.process_all().await?;
    let ingest = started.elapsed();
    let cpu = cpu_time().saturating_sub(cpu);
    let stored = crate::store::entities::count(&db.pool).await?;
    println!(
        "ingest from files: {stored} entities in {ingest:.2?} ({:.0} entities/s), {cpu:.2?} of CPU in this process",
        stored as f64 / ingest.as_secs_f64()
    );
    println!("resident memory after the ingest: {:.0} MB (peak so far {:.0} MB)", rss_mb(), peak_rss_mb());
    anyhow::ensure!(catalog.index.len() as i64 == stored, "the index holds {} entities, the database {stored}", catalog.index.len());
    // The pages' index, which `portolan serve` keeps beside the search index
    // and rebuilds after every change (the edit below makes one).
    let portal = crate::web::LivePortal::new(Arc::clone(&catalog));
    portal.reload().await?;
    println!("resident memory with the pages' index too: {:.0} MB (peak so far {:.0} MB)", rss_mb(), peak_rss_mb());

    let app = crate::api::catalog::router(Arc::clone(&catalog));
    let n = args.requests.max(1);
    let files = shape.service_files.max(1);
    let by_name: Vec<String> = (0..n).map(|i| format!("/entities/by-name/component/default/service-{}", (i * 7919) % files)).collect();
    let by_query: Vec<String> = (0..n).map(|_| "/entities/by-query?filter=kind=component&limit=100".to_owned()).collect();
    let facets: Vec<String> = (0..n.min(50)).map(|_| "/entity-facets?facet=kind&facet=spec.type&facet=spec.owner".to_owned()).collect();
    let text: Vec<String> = (0..n.min(100)).map(|i| format!("/entities/by-query?fullTextFilterTerm=part%20{}&limit=20", (i * 31) % files)).collect();
    {
        use crate::api::catalog::query::{Direction, EntityFilter, EntityQuery};
        let filter = EntityFilter::parse(["kind=component"])?.map(|f| f.to_predicate());
        let query = EntityQuery { filter, ..EntityQuery::default() };
        let started = Instant::now();
        for _ in 0..20 {
            std::hint::black_box(catalog.index.page_and_count(&query, None, Direction::Next, 100, 0));
        }
        println!("  of which the index's page and count: {:.2?} per query", started.elapsed() / 20);
    }
    for (label, uris) in [("by-name", &by_name), ("by-query kind=component limit=100", &by_query), ("facets kind,type,owner", &facets), ("full-text", &text)] {
        let (p50, p99) = time_requests(&app, uris).await?;
        println!("{label}: p50 {p50:.2?}, p99 {p99:.2?} ({} requests)", uris.len());
    }

    let saving = Instant::now();
    catalog.save_index_snapshot(true).await;
    let size = std::fs::metadata(&snapshot).map_or(0, |m| m.len());
    println!("index snapshot saved in {:.2?} ({:.0} MB; peak RSS so far {:.0} MB)", saving.elapsed(), size as f64 / 1e6, peak_rss_mb());
    let repass = Instant::now();
    let cpu = cpu_time();
    catalog.process_all().await?;
    println!(
        "re-pass of the unchanged catalog (every file read; only those with Location entities or $text references parsed again; nothing written): {:.2?}, {:.2?} of CPU (peak RSS so far {:.0} MB)",
        repass.elapsed(),
        cpu_time().saturating_sub(cpu),
        peak_rss_mb()
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let refresher = tokio::spawn(Arc::clone(&catalog).run_refresh_loop(stop_rx.clone()));
    let reloader = tokio::spawn(portal.clone().follow_changes(stop_rx));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let file = root.parent().context("root folder")?.join("services/000/service-0.yaml");
    let text = std::fs::read_to_string(&file)?;
    let edited_at = Instant::now();
    std::fs::write(&file, text.replacen("title: Service 0\n", "title: Service 0 (edited)\n", 1))?;
    let latency = loop {
        let response = app.clone().oneshot(Request::get("/entities/by-name/component/default/service-0").body(Body::empty())?).await?;
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        if String::from_utf8_lossy(&body).contains("(edited)") {
            break edited_at.elapsed();
        }
        anyhow::ensure!(edited_at.elapsed() < Duration::from_secs(120), "the edit never showed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    // The pages' index is rebuilt after the change, as in a server.
    while !portal.current().get("component:default/service-0").and_then(|s| s.title.as_deref()).is_some_and(|t| t.contains("(edited)")) {
        anyhow::ensure!(edited_at.elapsed() < Duration::from_secs(120), "the pages never showed the edit");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    std::fs::write(&file, text)?;
    let _ = stop_tx.send(true);
    let _ = refresher.await;
    let _ = reloader.await;
    println!("file edit visible in the API after {latency:.2?}");

    println!(
        "peak RSS of the serving process (ingest, the pages' index, queries, a re-pass, an edit and the rebuild it causes, a snapshot save): {:.0} MB",
        peak_rss_mb()
    );

    // A restart is a new process, timed in one: from the snapshot, then without it.
    drop((app, portal, catalog));
    db.pool.close().await;
    db.writer.close().await;
    // What the ingest wrote is flushed first: a start right after it would
    // time the kernel's write-back of ~250 MB too (about 0.3-0.5 s here).
    let _ = std::process::Command::new("sync").status();
    let exe = std::env::current_exe()?;
    let snapshot_arg = snapshot.to_string_lossy().into_owned();
    for (label, extra) in [("from the index snapshot", vec!["--snapshot", snapshot_arg.as_str()]), ("without a snapshot", vec![])] {
        let started = std::process::Command::new(&exe).args(["bench", "start", "--database", url]).args(extra).output()?;
        anyhow::ensure!(started.status.success(), "the start benchmark failed: {}", String::from_utf8_lossy(&started.stderr));
        print!("{label}: {}", String::from_utf8_lossy(&started.stdout));
    }
    let _ = std::fs::remove_file(&snapshot);

    Ok(())
}
