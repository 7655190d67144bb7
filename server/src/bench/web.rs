//! `portolan bench web`: the portal's pages over a generated catalog. Times
//! entity pages and the explorer in process (server time), then serves the
//! portal on loopback and loads it with `wrk` when it is installed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::catalog::{on_generated_catalog, peak_rss_mb, time_requests};
use super::generate::Shape;
use crate::ingest::{Catalog, CatalogSettings, FileReader};
use crate::store::Db;
use crate::store::locations::{self, ORIGIN_CONFIG};
use crate::web::LivePortal;

/// Options of `portolan bench web`.
#[derive(Debug, clap::Args)]
pub struct WebBenchArgs {
    /// About how many entities to generate.
    #[arg(long, default_value_t = 100_000)]
    pub entities: usize,
    /// `sqlite` or a PostgreSQL server URL (a fresh database is made and dropped).
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Requests per timed page in process.
    #[arg(long, default_value_t = 300)]
    pub requests: usize,
    /// Seconds of each `wrk` run (0 skips the load test).
    #[arg(long, default_value_t = 10)]
    pub wrk_seconds: u64,
    /// Open connections of each `wrk` run.
    #[arg(long, default_value_t = 16)]
    pub connections: u32,
    /// Where the generated catalog is written; a temporary folder if not given.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Runs the benchmark and prints one line per figure.
pub async fn web_bench(args: &WebBenchArgs) -> anyhow::Result<()> {
    on_generated_catalog(args.entities, args.dir.as_deref(), &args.database, async |url, root, shape| run(args, url, root, shape).await).await
}

async fn run(args: &WebBenchArgs, url: &str, root: &std::path::Path, shape: Shape) -> anyhow::Result<()> {
    let db = Db::connect(url).await?;
    let catalog = Catalog::open(db.clone(), Arc::new(FileReader), CatalogSettings { refresh_interval: Duration::from_secs(3600), ..CatalogSettings::default() }).await?;
    locations::insert(&db.pool, "file", &root.to_string_lossy(), ORIGIN_CONFIG).await?;
    let started = Instant::now();
    catalog.process_all().await?;
    println!("database: {:?}; ingested {} entities in {:.2?}", db.backend, crate::store::entities::count(&db.pool).await?, started.elapsed());
    let portal = LivePortal::new(Arc::clone(&catalog));
    let started = Instant::now();
    portal.reload().await?;
    println!("explorer index built in {:.2?}", started.elapsed());
    let config = crate::config::Config::load(None, &|_: &str| None)?;
    let auth = crate::app::auth_layers(&config, Arc::clone(&catalog)).await?;
    let app = crate::app::router(Arc::clone(&catalog), portal, Arc::new(crate::ops::Metrics::new()), auth, crate::app::Services::defaults(&catalog));

    let n = args.requests.max(1);
    let files = shape.service_files.max(1);
    let teams = shape.teams.max(1);
    let entity: Vec<String> = (0..n).map(|i| format!("/catalog/default/component/service-{}", (i * 7919) % files)).collect();
    let api: Vec<String> = (0..n).map(|i| format!("/catalog/default/api/service-{}-api?tab=definition", (i * 104_729) % files)).collect();
    let explorer: Vec<String> = (0..n).map(|_| "/catalog".to_owned()).collect();
    let two_facets: Vec<String> =
        (0..n).map(|i| format!("/catalog?kind=component&owner=group%3Adefault%2Fteam-{}", i % teams)).collect();
    let text: Vec<String> = (0..n.min(100)).map(|i| format!("/catalog?q=part+{}", (i * 31) % files)).collect();
    let sorted: Vec<String> = (0..n.min(100)).map(|_| "/catalog?kind=component&sort=owner&order=desc".to_owned()).collect();
    for (label, uris) in [
        ("entity page (component)", &entity),
        ("entity page (API definition tab)", &api),
        ("explorer, no filter", &explorer),
        ("explorer, kind + owner facets", &two_facets),
        ("explorer, text search", &text),
        ("explorer, kind facet sorted by owner", &sorted),
    ] {
        let (p50, p99) = time_requests(&app, uris).await?;
        println!("{label}: p50 {p50:.2?}, p99 {p99:.2?} ({} requests, server time)", uris.len());
    }
    println!("peak RSS so far: {:.0} MB", peak_rss_mb());

    if args.wrk_seconds == 0 {
        return Ok(());
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    for (label, path) in [("entity page", "/catalog/default/component/service-42".to_owned()), ("explorer, kind + owner facets", "/catalog?kind=component&owner=group%3Adefault%2Fteam-1".to_owned())] {
        let url = format!("http://{addr}{path}");
        let wrk_args = ["-t2".to_owned(), format!("-c{}", args.connections), format!("-d{}s", args.wrk_seconds), "--latency".to_owned(), url];
        let output = tokio::task::spawn_blocking(move || std::process::Command::new("wrk").args(&wrk_args).output()).await?;
        match output {
            Ok(out) if out.status.success() => {
                let text = String::from_utf8_lossy(&out.stdout);
                let find = |prefix: &str| text.lines().find(|l| l.trim_start().starts_with(prefix)).map(|l| l.trim().to_owned()).unwrap_or_default();
                println!("wrk {label}: {} | p50 {} | p99 {} | {}", find("Requests/sec"), find("50%"), find("99%"), find("Non-2xx").trim());
            }
            Ok(out) => println!("wrk {label}: failed: {}", String::from_utf8_lossy(&out.stderr).trim()),
            Err(e) => {
                println!("wrk is not installed ({e}); skipping the load test (Debian package `wrk`)");
                break;
            }
        }
    }
    server.abort();
    println!("peak RSS: {:.0} MB", peak_rss_mb());
    Ok(())
}
