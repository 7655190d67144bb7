//! The operational endpoints (`/healthz`, `/readyz`, `/metrics`) over the
//! app as `portolan serve` puts it together: pages, the catalog API and the
//! metrics middleware, on a real SQLite database with the example catalog.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use portolan::ingest::{Catalog, CatalogSettings, FileReader, KindRule};
use portolan::ops::{self, Metrics};
use portolan::store::locations::{self, ORIGIN_CONFIG};
use serde_json::{Value, json};
use sqlx::Row;
use tower::ServiceExt;

use crate::support::{TestDb, repo};

/// The app as `crate::app` mounts it, over the example catalog's location,
/// not processed yet.
async fn app(t: &TestDb) -> (Router, Arc<Catalog>) {
    let metrics = Arc::new(Metrics::new());
    let settings = CatalogSettings { registered_rule: KindRule(None), ..CatalogSettings::default() };
    let catalog = Catalog::open(t.db.clone(), Arc::new(FileReader), settings).await.expect("catalog");
    catalog.set_metrics(Arc::clone(&metrics));
    let root = repo().join("catalog/example/catalog-info.yaml").canonicalize().expect("example");
    locations::insert(&t.db.pool, "file", &root.to_string_lossy(), ORIGIN_CONFIG).await.expect("location");
    let portal = portolan::web::LivePortal::new(Arc::clone(&catalog));
    let auth = crate::support::test_auth(&catalog, None).await;
    (portolan::app::router(Arc::clone(&catalog), portal, metrics, auth, portolan::app::Services::defaults(&catalog)), catalog)
}

/// GETs `uri`: status, content type, body.
async fn get(app: &Router, uri: &str) -> (StatusCode, String, String) {
    let request = Request::get(uri).body(Body::empty()).expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, content_type, String::from_utf8(body.to_vec()).expect("utf-8"))
}

#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// `{a="x",b="y\"z"}` (the braces included) into its labels, unescaped.
fn parse_labels(s: &str) -> Result<BTreeMap<String, String>, String> {
    let mut labels = BTreeMap::new();
    let mut rest = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')).ok_or("labels not in braces")?;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").ok_or("label without =\"")?;
        if !is_name(name) || name.starts_with("__") {
            return Err(format!("bad label name {name:?}"));
        }
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().ok_or("unterminated label value")? {
                (i, '"') => break i,
                (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'n' => value.push('\n'),
                    c => return Err(format!("bad escape \\{c}")),
                },
                (_, '\n') => return Err("raw newline in label value".into()),
                (_, c) => value.push(c),
            }
        };
        if labels.insert(name.to_owned(), value).is_some() {
            return Err(format!("label {name} twice"));
        }
        rest = &after[end + 1..];
        if let Some(next) = rest.strip_prefix(',') {
            rest = next;
        } else if !rest.is_empty() {
            return Err("labels not separated by ,".into());
        }
    }
    Ok(labels)
}

/// Checks the text exposition format line by line (`# HELP`/`# TYPE`
/// comments, `name{labels} value` samples, each sample of a declared family,
/// histograms complete) and returns the samples.
fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut samples = Vec::new();
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.trim_start().splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("HELP"), Some(name), Some(_)) => assert!(is_name(name), "line {n}: {line}"),
                (Some("TYPE"), Some(name), Some(kind)) => {
                    assert!(is_name(name), "line {n}: {line}");
                    assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind), "line {n}: {line}");
                    assert!(types.insert(name.to_owned(), kind.to_owned()).is_none(), "line {n}: TYPE of {name} twice");
                }
                _ => {}
            }
            continue;
        }
        assert!(!line.trim().is_empty(), "line {n} is blank");
        let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("line {n}: no value: {line}"));
        let name = &line[..name_end];
        assert!(is_name(name), "line {n}: bad metric name {name:?}");
        let (labels, rest) = if line[name_end..].starts_with('{') {
            let close = line.rfind('}').unwrap_or_else(|| panic!("line {n}: unclosed labels: {line}"));
            let labels = parse_labels(&line[name_end..=close]).unwrap_or_else(|e| panic!("line {n}: {e}: {line}"));
            (labels, &line[close + 1..])
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let fields: Vec<&str> = rest.strip_prefix(' ').unwrap_or_else(|| panic!("line {n}: no space before the value: {line}")).split(' ').collect();
        assert!((1..=2).contains(&fields.len()), "line {n}: value [timestamp] expected: {line}");
        let value = parse_value(fields[0]).unwrap_or_else(|| panic!("line {n}: bad value: {line}"));
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix).filter(|base| types.get(*base).is_some_and(|t| t == "histogram")))
            .unwrap_or(name);
        assert!(types.contains_key(family), "line {n}: sample of {family} before its TYPE");
        if name.ends_with("_bucket") && family != name {
            assert!(labels.get("le").and_then(|le| parse_value(le)).is_some(), "line {n}: bucket without a valid le: {line}");
        }
        samples.push(Sample { name: name.to_owned(), labels, value });
    }
    // Every histogram series has a +Inf bucket equal to its count.
    for count in samples.iter().filter(|s| s.name.ends_with("_count")) {
        let base = count.name.trim_end_matches("_count");
        if types.get(base).is_none_or(|t| t != "histogram") {
            continue;
        }
        let inf = samples.iter().find(|s| {
            s.name == format!("{base}_bucket")
                && s.labels.get("le").is_some_and(|le| le == "+Inf")
                && s.labels.iter().filter(|(k, _)| *k != "le").eq(count.labels.iter())
        });
        assert_eq!(inf.map(|s| s.value), Some(count.value), "{base} {:?}: +Inf bucket = count", count.labels);
    }
    samples
}

fn find<'a>(samples: &'a [Sample], name: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    samples.iter().find(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).is_some_and(|x| x == v)))
}

#[tokio::test]
async fn healthz_is_ok() {
    let t = TestDb::sqlite().await;
    let (app, _) = app(&t).await;
    let (status, _, body) = get(&app, "/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
}

#[tokio::test]
async fn readyz_waits_for_the_first_pass_and_the_database() {
    let t = TestDb::sqlite().await;
    let (app, catalog) = app(&t).await;

    let (status, content_type, body) = get(&app, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["checks"]["database"], "ok", "{body}");
    assert_ne!(body["checks"]["catalog"], "ok", "the failing check is named: {body}");
    assert_ne!(body["status"], "ok");

    catalog.process_all().await.expect("process");
    let (status, _, body) = get(&app, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body, json!({"status": "ok", "checks": {"database": "ok", "catalog": "ok"}}));

    // The database going away makes the process unready, and says so.
    t.db.pool.close().await;
    let (status, _, body) = get(&app, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_ne!(body["checks"]["database"], "ok", "{body}");
    assert_eq!(body["checks"]["catalog"], "ok", "{body}");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_the_catalog_by_kind() {
    let t = TestDb::sqlite().await;
    let (app, catalog) = app(&t).await;
    catalog.process_all().await.expect("process");

    let (status, _, _) = get(&app, "/api/catalog/entities/by-name/system/default/trips").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(&app, "/api/catalog/entities/by-name/system/default/trips").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(&app, "/api/catalog/entities/by-name/system/default/no-such-system").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(&app, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);

    let (status, content_type, text) = get(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let samples = parse_exposition(&text);

    let route = "/api/catalog/entities/by-name/{kind}/{namespace}/{name}";
    let requests = |route: &str, status: &str| {
        find(&samples, "portolan_http_requests_total", &[("method", "GET"), ("route", route), ("status", status)]).map(|s| s.value)
    };
    assert_eq!(requests(route, "200"), Some(2.0), "{text}");
    assert_eq!(requests(route, "404"), Some(1.0), "{text}");
    assert_eq!(requests("/healthz", "200"), Some(1.0), "{text}");
    assert_eq!(requests(ops::UNMATCHED_ROUTE, "404"), Some(1.0), "unmatched paths share one label: {text}");
    assert!(!text.contains("trips") && !text.contains("/no/such/page"), "raw paths never become labels: {text}");
    let durations = find(&samples, "portolan_http_request_duration_seconds_count", &[("route", route)]).expect("duration histogram");
    assert_eq!(durations.value, 3.0);

    // The entities gauge matches the database, kind by kind.
    let rows = sqlx::query("SELECT kind, COUNT(*) AS n FROM entities GROUP BY kind").fetch_all(&t.db.pool).await.expect("counts");
    assert!(rows.len() > 3, "the example catalog has many kinds");
    let mut stored = BTreeMap::new();
    for row in rows {
        stored.insert(row.try_get::<String, _>("kind").expect("kind"), row.try_get::<i64, _>("n").expect("n") as f64);
    }
    let gauged: BTreeMap<String, f64> = samples
        .iter()
        .filter(|s| s.name == "portolan_catalog_entities")
        .map(|s| (s.labels["kind"].clone(), s.value))
        .collect();
    assert_eq!(gauged, stored);
    assert_eq!(find(&samples, "portolan_catalog_locations", &[]).map(|s| s.value), Some(1.0));

    let passes = find(&samples, "portolan_catalog_processing_seconds_count", &[]).expect("processing histogram");
    assert_eq!(passes.value, 1.0, "one location processed once");
    assert!(find(&samples, "portolan_catalog_processing_errors_total", &[]).is_some());
    if cfg!(target_os = "linux") {
        let rss = find(&samples, "process_resident_memory_bytes", &[]).expect("rss");
        assert!(rss.value > 1_000_000.0, "{}", rss.value);
    }

    // The scrape itself is counted by the next one.
    let (_, _, text) = get(&app, "/metrics").await;
    let samples = parse_exposition(&text);
    assert_eq!(
        find(&samples, "portolan_http_requests_total", &[("route", "/metrics"), ("status", "200")]).map(|s| s.value),
        Some(1.0)
    );
}

#[tokio::test]
async fn the_entities_gauge_follows_catalog_changes() {
    let t = TestDb::sqlite().await;
    let (app, catalog) = app(&t).await;
    let (_, _, text) = get(&app, "/metrics").await;
    let samples = parse_exposition(&text);
    assert!(find(&samples, "portolan_catalog_entities", &[]).is_none(), "nothing stored yet: {text}");

    catalog.process_all().await.expect("process");
    let (_, _, text) = get(&app, "/metrics").await;
    let samples = parse_exposition(&text);
    let components = find(&samples, "portolan_catalog_entities", &[("kind", "component")]).expect("components");
    assert!(components.value >= 1.0, "counts are read again after a change, not kept for their max age");
}

#[test]
fn the_format_check_rejects_malformed_lines() {
    for bad in [
        "# TYPE x counter\nx{a=\"1\"}\n",
        "# TYPE x counter\nx{a=1} 1\n",
        "# TYPE x counter\nx{a=\"\\q\"} 1\n",
        "y 1\n",
        "# TYPE x counter\nx 1",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
    ] {
        assert!(std::panic::catch_unwind(|| parse_exposition(bad)).is_err(), "accepted {bad:?}");
    }
    let good = parse_exposition("# HELP x a \\\\ b\n# TYPE x counter\nx{a=\"q\\\"\\n\",b=\"\"} 1.5e3\n");
    assert_eq!(good[0].labels["a"], "q\"\n");
    assert_eq!(good[0].value, 1500.0);
}
