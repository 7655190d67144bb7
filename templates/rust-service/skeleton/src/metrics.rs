//! A small, dependency-free Prometheus registry: request counts by method,
//! route and status, a request duration histogram by route, the process start
//! time and build information, rendered in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The Prometheus text exposition format, version 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds (seconds) of the duration histogram: Prometheus' default buckets.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Methods counted under their own name; anything else is `OTHER`, which keeps
/// the number of series bounded.
const KNOWN_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

#[derive(Default)]
struct Histogram {
    /// Per bucket, not cumulative; the last one is `+Inf`.
    buckets: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Series {
    requests: BTreeMap<(String, String, u16), u64>,
    durations: BTreeMap<String, Histogram>,
}

pub struct Metrics {
    service: &'static str,
    version: &'static str,
    start_time_seconds: f64,
    series: Mutex<Series>,
}

impl Metrics {
    pub fn new(service: &'static str, version: &'static str, start: SystemTime) -> Self {
        let start_time_seconds = start
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        Metrics {
            service,
            version,
            start_time_seconds,
            series: Mutex::default(),
        }
    }

    /// Records one finished request; `path` is the route, not the raw URL.
    pub fn observe(&self, method: &str, path: &str, status: u16, elapsed: Duration) {
        let method = if KNOWN_METHODS.contains(&method) {
            method
        } else {
            "OTHER"
        };
        let seconds = elapsed.as_secs_f64();
        let mut series = self
            .series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *series
            .requests
            .entry((method.to_owned(), path.to_owned(), status))
            .or_default() += 1;
        let histogram = series.durations.entry(path.to_owned()).or_default();
        let bucket = BUCKETS
            .iter()
            .position(|&le| seconds <= le)
            .unwrap_or(BUCKETS.len());
        histogram.buckets[bucket] += 1;
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// Every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP build_info Build information about the service; the value is always 1.\n",
        );
        out.push_str("# TYPE build_info gauge\n");
        let _ = writeln!(
            out,
            "build_info{} 1",
            labels(&[("service", self.service), ("version", self.version)])
        );

        out.push_str("# HELP process_start_time_seconds Start time of the process since the Unix epoch in seconds.\n");
        out.push_str("# TYPE process_start_time_seconds gauge\n");
        let _ = writeln!(
            out,
            "process_start_time_seconds {:.3}",
            self.start_time_seconds
        );

        let series = self
            .series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        out.push_str(
            "# HELP http_requests_total HTTP requests handled, by method, route and status code.\n",
        );
        out.push_str("# TYPE http_requests_total counter\n");
        let mut requests: Vec<_> = series.requests.iter().collect();
        requests.sort_by(|((m1, p1, s1), _), ((m2, p2, s2), _)| (p1, m1, s1).cmp(&(p2, m2, s2)));
        for ((method, path, status), count) in requests {
            let status = status.to_string();
            let set = labels(&[("method", method), ("path", path), ("status", &status)]);
            let _ = writeln!(out, "http_requests_total{set} {count}");
        }

        out.push_str(
            "# HELP http_request_duration_seconds Time spent handling HTTP requests, by route.\n",
        );
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for (path, histogram) in &series.durations {
            let mut cumulative = 0;
            for (i, n) in histogram.buckets.iter().enumerate() {
                cumulative += n;
                let le = BUCKETS
                    .get(i)
                    .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
                let set = labels(&[("path", path), ("le", &le)]);
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{set} {cumulative}"
                );
            }
            let set = labels(&[("path", path)]);
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{set} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{set} {}",
                histogram.count
            );
        }
        out
    }
}

/// Renders name/value pairs as a Prometheus label set, values escaped.
fn labels(pairs: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::new(
            "svc",
            "1.0.0",
            UNIX_EPOCH + Duration::from_millis(1_700_000_000_250),
        );
        metrics.observe("GET", "/x", 200, Duration::from_millis(3));
        metrics.observe("GET", "/x", 200, Duration::from_millis(300));
        metrics.observe("GET", "/x", 200, Duration::from_secs(20));
        let text = metrics.render();
        for line in [
            r#"http_request_duration_seconds_bucket{path="/x",le="0.005"} 1"#,
            r#"http_request_duration_seconds_bucket{path="/x",le="0.25"} 1"#,
            r#"http_request_duration_seconds_bucket{path="/x",le="0.5"} 2"#,
            r#"http_request_duration_seconds_bucket{path="/x",le="10"} 2"#,
            r#"http_request_duration_seconds_bucket{path="/x",le="+Inf"} 3"#,
            r#"http_request_duration_seconds_count{path="/x"} 3"#,
            r#"http_requests_total{method="GET",path="/x",status="200"} 3"#,
            "process_start_time_seconds 1700000000.250",
            r#"build_info{service="svc",version="1.0.0"} 1"#,
        ] {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let metrics = Metrics::new("svc", "1", SystemTime::now());
        metrics.observe("BREW", "/x", 405, Duration::ZERO);
        metrics.observe("PROPFIND", "/x", 405, Duration::ZERO);
        assert!(
            metrics
                .render()
                .contains(r#"http_requests_total{method="OTHER",path="/x",status="405"} 2"#)
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(labels(&[("a", "x\"y\\z\n")]), r#"{a="x\"y\\z\n"}"#);
    }
}
