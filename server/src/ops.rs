//! Operational endpoints: liveness (`/healthz`), readiness (`/readyz`) and
//! Prometheus metrics (`/metrics`), and the middleware that measures every
//! request.
//!
//! [`Metrics`] is created once by `crate::app`, shared in an [`Arc`] with
//! the catalog service (which records its processing passes) and with the
//! middleware; [`mount`] adds the routes and the middleware to the app.
//!
//! The exposition is Prometheus' text format 0.0.4, written here by hand:
//! a few counters, gauges and fixed-bucket histograms do not need a metrics
//! crate (and its registry) behind them.

use std::collections::BTreeMap;
use std::fmt::{Display, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use sqlx::Row;

use crate::ingest::Catalog;

/// `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `route` label of requests that matched no route (404 pages and the like).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// How long `/readyz` waits for the database.
pub const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// The stored catalog counts shown by `/metrics` are read again when the
/// catalog changed, or at the latest after this long (other replicas may
/// write to a shared PostgreSQL database).
pub const CATALOG_COUNTS_MAX_AGE: Duration = Duration::from_secs(15);

const HTTP_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
const PROCESSING_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

/// Every metric the process exposes.
pub struct Metrics {
    /// Requests and their durations, per matched route.
    http: Mutex<BTreeMap<String, RouteStats>>,
    /// Durations of location processing passes.
    processing: Mutex<Histogram>,
    processing_errors: AtomicU64,
    /// Entities per kind and locations, as last read from the database.
    catalog: tokio::sync::Mutex<CatalogCounts>,
    page_size: u64,
}

#[derive(Default)]
struct RouteStats {
    /// Requests per (method, status).
    requests: BTreeMap<(&'static str, u16), u64>,
    duration: Histogram,
}

#[derive(Default)]
struct CatalogCounts {
    entities: BTreeMap<String, i64>,
    locations: i64,
    /// When the counts were read, and the catalog's change number then.
    read: Option<(Instant, u64)>,
}

struct Histogram {
    bounds: &'static [f64],
    /// Observations per bucket (not cumulative); one more than `bounds` for +Inf.
    counts: Vec<u64>,
    sum: f64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new(HTTP_BUCKETS)
    }
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram { bounds, counts: vec![0; bounds.len() + 1], sum: 0.0 }
    }

    fn observe(&mut self, value: f64) {
        let bucket = self.bounds.iter().position(|b| value <= *b).unwrap_or(self.bounds.len());
        self.counts[bucket] += 1;
        self.sum += value;
    }

    fn write(&self, out: &mut String, name: &str, labels: &[(&str, &str)]) {
        let mut cumulative = 0;
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count;
            let le = self.bounds.get(i).map_or_else(|| "+Inf".to_owned(), |b| float(*b));
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            sample(out, &format!("{name}_bucket"), &with_le, cumulative);
        }
        sample(out, &format!("{name}_sum"), labels, float(self.sum));
        sample(out, &format!("{name}_count"), labels, cumulative);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Empty metrics.
    pub fn new() -> Self {
        Metrics {
            http: Mutex::new(BTreeMap::new()),
            processing: Mutex::new(Histogram::new(PROCESSING_BUCKETS)),
            processing_errors: AtomicU64::new(0),
            catalog: tokio::sync::Mutex::new(CatalogCounts::default()),
            page_size: page_size().unwrap_or(4096),
        }
    }

    /// Counts one answered request. `route` is the matched route template
    /// (never the raw path, to keep the label set bounded).
    pub fn record_request(&self, method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
        let mut http = self.http.lock().unwrap_or_else(PoisonError::into_inner);
        let stats = match http.get_mut(route) {
            Some(stats) => stats,
            None => http.entry(route.to_owned()).or_default(),
        };
        *stats.requests.entry((method_label(method), status.as_u16())).or_default() += 1;
        stats.duration.observe(elapsed.as_secs_f64());
    }

    /// Records one location processing pass and the problems it met
    /// (a failed pass counts as one).
    pub fn record_processing(&self, elapsed: Duration, errors: usize) {
        self.processing.lock().unwrap_or_else(PoisonError::into_inner).observe(elapsed.as_secs_f64());
        self.processing_errors.fetch_add(errors as u64, Ordering::Relaxed);
    }

    /// The exposition, reading the catalog counts again when they are stale.
    pub async fn render(&self, catalog: &Catalog) -> String {
        let mut out = String::with_capacity(8 * 1024);
        self.write_http(&mut out);
        self.write_catalog(&mut out, catalog).await;
        if let Some(rss) = self.resident_memory_bytes() {
            family(&mut out, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge");
            sample(&mut out, "process_resident_memory_bytes", &[], rss);
        }
        out
    }

    fn write_http(&self, out: &mut String) {
        let http = self.http.lock().unwrap_or_else(PoisonError::into_inner);
        family(out, "portolan_http_requests_total", "HTTP requests answered, by method, matched route and status.", "counter");
        for (route, stats) in http.iter() {
            for ((method, status), count) in &stats.requests {
                let status = status.to_string();
                sample(out, "portolan_http_requests_total", &[("method", method), ("route", route), ("status", &status)], count);
            }
        }
        family(out, "portolan_http_request_duration_seconds", "Time to answer an HTTP request (until the response head), by matched route.", "histogram");
        for (route, stats) in http.iter() {
            stats.duration.write(out, "portolan_http_request_duration_seconds", &[("route", route)]);
        }
    }

    async fn write_catalog(&self, out: &mut String, catalog: &Catalog) {
        let mut counts = self.catalog.lock().await;
        let version = *catalog.subscribe().borrow();
        let stale = counts.read.is_none_or(|(at, seen)| seen != version || at.elapsed() >= CATALOG_COUNTS_MAX_AGE);
        if stale {
            match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, read_catalog_counts(catalog)).await {
                Ok(Ok((entities, locations))) => {
                    *counts = CatalogCounts { entities, locations, read: Some((Instant::now(), version)) };
                }
                Ok(Err(e)) => tracing::warn!("metrics: cannot count the catalog: {e}"),
                Err(_) => tracing::warn!("metrics: counting the catalog took over {DATABASE_CHECK_TIMEOUT:?}"),
            }
        }
        family(out, "portolan_catalog_entities", "Stored catalog entities, by kind (lower-cased).", "gauge");
        for (kind, n) in &counts.entities {
            sample(out, "portolan_catalog_entities", &[("kind", kind)], n);
        }
        family(out, "portolan_catalog_locations", "Registered catalog locations.", "gauge");
        sample(out, "portolan_catalog_locations", &[], counts.locations);
        drop(counts);

        family(out, "portolan_catalog_processing_seconds", "Time to process one catalog location.", "histogram");
        self.processing.lock().unwrap_or_else(PoisonError::into_inner).write(out, "portolan_catalog_processing_seconds", &[]);
        family(
            out,
            "portolan_catalog_processing_errors_total",
            "Problems met processing catalog locations: failed passes, and read failures, invalid documents and conflicts recorded by a pass.",
            "counter",
        );
        sample(out, "portolan_catalog_processing_errors_total", &[], self.processing_errors.load(Ordering::Relaxed));
    }

    fn resident_memory_bytes(&self) -> Option<u64> {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        Some(pages * self.page_size)
    }
}

async fn read_catalog_counts(catalog: &Catalog) -> Result<(BTreeMap<String, i64>, i64), sqlx::Error> {
    let pool = &catalog.db.pool;
    let rows = sqlx::query("SELECT kind, COUNT(*) AS n FROM entities GROUP BY kind").fetch_all(pool).await?;
    let mut entities = BTreeMap::new();
    for row in rows {
        entities.insert(row.try_get::<String, _>("kind")?, row.try_get::<i64, _>("n")?);
    }
    let locations = sqlx::query("SELECT COUNT(*) AS n FROM locations").fetch_one(pool).await?.try_get("n")?;
    Ok((entities, locations))
}

/// The memory page size, from the auxiliary vector the kernel hands the
/// process (`AT_PAGESZ`); `None` off Linux.
fn page_size() -> Option<u64> {
    const AT_NULL: usize = 0;
    const AT_PAGESZ: usize = 6;
    let auxv = std::fs::read("/proc/self/auxv").ok()?;
    let width = size_of::<usize>();
    let word = |bytes: &[u8]| bytes.try_into().ok().map(usize::from_ne_bytes);
    for pair in auxv.chunks_exact(2 * width) {
        let (key, value) = (word(&pair[..width])?, word(&pair[width..])?);
        match key {
            AT_NULL => return None,
            AT_PAGESZ => return Some(value as u64),
            _ => {}
        }
    }
    None
}

/// The method label: the standard methods by name, anything else as
/// `other` (methods are client-chosen tokens and must not grow the label set).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

fn family(out: &mut String, name: &str, help: &str, kind: &str) {
    let help = help.replace('\\', r"\\").replace('\n', r"\n");
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl Display) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(label);
            out.push_str("=\"");
            out.push_str(&escape_label_value(value));
            out.push('"');
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// A label value with `\`, `"` and newlines escaped, as the text format wants.
pub fn escape_label_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str(r"\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str(r"\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

fn float(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        value.to_string()
    }
}

/// What the operational handlers reach.
#[derive(Clone)]
struct OpsState {
    catalog: Arc<Catalog>,
    metrics: Arc<Metrics>,
}

/// `/healthz`, `/readyz` and `/metrics`.
pub fn router(catalog: Arc<Catalog>, metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(OpsState { catalog, metrics })
}

/// Adds the operational routes to `app` and measures every request of the
/// result. Routes added to the returned router afterwards are not measured:
/// call this last.
pub fn mount(app: Router, catalog: Arc<Catalog>, metrics: Arc<Metrics>) -> Router {
    app.merge(router(catalog, Arc::clone(&metrics)))
        .layer(axum::middleware::from_fn_with_state(metrics, track))
}

/// The middleware behind [`mount`]: counts and times each request under
/// its matched route template.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let response = next.run(request).await;
    metrics.record_request(&method, route.as_deref().unwrap_or(UNMATCHED_ROUTE), response.status(), started.elapsed());
    response
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Liveness: the process answers. No I/O.
async fn healthz() -> Response {
    no_store("ok".into_response())
}

/// Readiness: the database answers `SELECT 1` within a second and the
/// catalog has finished its first processing pass.
async fn readyz(State(state): State<OpsState>) -> Response {
    let query = sqlx::query("SELECT 1").execute(&state.catalog.db.pool);
    let database = match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, query).await {
        Ok(Ok(_)) => "ok",
        Ok(Err(e)) => {
            tracing::warn!("readiness: the database check failed: {e}");
            "error"
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer within {DATABASE_CHECK_TIMEOUT:?}");
            "timeout"
        }
    };
    let catalog = if state.catalog.is_ready() { "ok" } else { "starting" };
    let ready = database == "ok" && catalog == "ok";
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if ready { "ok" } else { "unavailable" },
        "checks": { "database": database, "catalog": catalog },
    });
    no_store((status, axum::Json(body)).into_response())
}

async fn metrics_text(State(state): State<OpsState>) -> Response {
    let body = state.metrics.render(&state.catalog).await;
    no_store(([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label_value("a\\b\"c\nd"), r#"a\\b\"c\nd"#);
        let mut out = String::new();
        sample(&mut out, "x", &[("k", "say \"hi\"\n")], 1);
        assert_eq!(out, "x{k=\"say \\\"hi\\\"\\n\"} 1\n");
    }

    #[test]
    fn histograms_are_cumulative() {
        let mut h = Histogram::new(&[0.1, 1.0]);
        for v in [0.0625, 0.09375, 0.5, 7.0] {
            h.observe(v);
        }
        let mut out = String::new();
        h.write(&mut out, "t", &[("route", "/")]);
        assert_eq!(
            out,
            "t_bucket{route=\"/\",le=\"0.1\"} 2\nt_bucket{route=\"/\",le=\"1\"} 3\nt_bucket{route=\"/\",le=\"+Inf\"} 4\n\
             t_sum{route=\"/\"} 7.65625\nt_count{route=\"/\"} 4\n"
        );
    }

    #[test]
    fn page_size_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let size = page_size().expect("AT_PAGESZ");
            assert!(size.is_power_of_two() && size >= 4096, "{size}");
        }
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let custom = Method::from_bytes(b"BREW").expect("method");
        assert_eq!(method_label(&custom), "other");
        assert_eq!(method_label(&Method::GET), "GET");
    }
}
