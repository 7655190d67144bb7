//! ${{ values.name }}: ${{ values.description }}

mod metrics;

use std::{
    future::Future,
    net::{Ipv4Addr, SocketAddr},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};

use axum::{
    Json, Router,
    extract::{MatchedPath, Request, State},
    http::{StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::metrics::Metrics;

const SERVICE_NAME: &str = env!("CARGO_PKG_NAME");
/// The version reported by `/` and `build_info`: BUILD_VERSION at compile time
/// (CI passes the commit), else the package version.
const VERSION: &str = match option_env!("BUILD_VERSION") {
    Some(version) => version,
    None => env!("CARGO_PKG_VERSION"),
};
const DEFAULT_PORT: u16 = ${{ values.port }};

/// What the service reads from its environment.
#[derive(Debug, Clone, PartialEq)]
struct Config {
    /// TCP port to listen on (PORT).
    port: u16,
    /// tracing filter: RUST_LOG if set, else LOG_LEVEL (debug, info, warn, error).
    log_filter: String,
    /// How long readiness fails before the server stops accepting connections,
    /// so that load balancers take the pod out first (SHUTDOWN_DELAY, seconds).
    drain_delay: Duration,
}

impl Config {
    fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let port = match var("PORT") {
            Some(value) => value
                .parse()
                .map_err(|err| format!("PORT must be a port number, got {value:?}: {err}"))?,
            None => DEFAULT_PORT,
        };
        let log_filter = var("RUST_LOG")
            .or_else(|| var("LOG_LEVEL"))
            .unwrap_or_else(|| "info".to_owned());
        EnvFilter::try_new(&log_filter)
            .map_err(|err| format!("invalid log level {log_filter:?}: {err}"))?;
        let drain_delay = match var("SHUTDOWN_DELAY") {
            Some(value) => value
                .trim_end_matches('s')
                .parse::<f64>()
                .ok()
                .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
                .ok_or_else(|| {
                    format!("SHUTDOWN_DELAY must be seconds such as 5 or 5s, got {value:?}")
                })?,
            None => Duration::from_secs(5),
        };
        Ok(Config {
            port,
            log_filter,
            drain_delay,
        })
    }
}

/// Shared state: whether the service should receive traffic, and its metrics.
#[derive(Clone)]
struct AppState {
    ready: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
}

impl AppState {
    fn new() -> Self {
        AppState {
            ready: Arc::default(),
            metrics: Arc::new(Metrics::new(SERVICE_NAME, VERSION, SystemTime::now())),
        }
    }
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

async fn root() -> impl IntoResponse {
    Json(json!({ "service": SERVICE_NAME, "version": VERSION }))
}

/// Liveness: the process is up and the runtime answers.
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Readiness: 503 during start-up and while draining on shutdown.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.ready.load(Ordering::Acquire) {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready" })),
        )
    }
}

/// Prometheus scrape endpoint.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        state.metrics.render(),
    )
}

/// Counts and times every request by route, and logs it. Requests that match
/// no route share the path label "unmatched", so unknown URLs cannot blow up
/// the number of series. Probe and scrape requests are logged at debug level.
async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let uri_path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    state
        .metrics
        .observe(method.as_str(), &route, status, elapsed);
    let duration_ms = elapsed.as_secs_f64() * 1000.0;
    if matches!(route.as_str(), "/healthz" | "/readyz" | "/metrics") {
        tracing::debug!(method = %method, path = %uri_path, status, duration_ms, "request");
    } else {
        tracing::info!(method = %method, path = %uri_path, status, duration_ms, "request");
    }
    response
}

/// Serves until `shutdown` completes, then fails readiness, waits
/// `drain_delay`, stops accepting connections and waits for in-flight
/// requests to finish.
async fn serve(
    listener: TcpListener,
    state: AppState,
    drain_delay: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let drain_state = state.clone();
    state.ready.store(true, Ordering::Release);
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!(
                drain_delay_secs = drain_delay.as_secs_f64(),
                "shutdown requested"
            );
            drain_state.ready.store(false, Ordering::Release);
            tokio::time::sleep(drain_delay).await;
        })
        .await
}

/// Resolves on Ctrl+C or SIGTERM (what Kubernetes sends before killing a pod).
async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c()
            .await
            .expect("failed to install the Ctrl+C handler");
    };
    #[cfg(unix)]
    let terminate = async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("failed to install the SIGTERM handler")
            .recv()
            .await;
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env(|name| std::env::var(name).ok())?;
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::new(&config.log_filter))
        .init();

    let listener =
        TcpListener::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.port))).await?;
    tracing::info!(service = SERVICE_NAME, version = VERSION, addr = %listener.local_addr()?, "listening");

    serve(
        listener,
        AppState::new(),
        config.drain_delay,
        shutdown_signal(),
    )
    .await?;
    tracing::info!("shutdown complete");
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use axum::body::{Body, to_bytes};
    use serde_json::Value;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tower::ServiceExt;

    async fn send(app: Router, method: &str, path: &str) -> (StatusCode, String) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1024 * 1024).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn get_json(app: Router, path: &str) -> (StatusCode, Value) {
        let (status, body) = send(app, "GET", path).await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn healthz_is_ok() {
        let (status, body) = get_json(app(AppState::new()), "/healthz").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ok");
    }

    #[tokio::test]
    async fn readyz_follows_the_ready_flag() {
        let state = AppState::new();
        let (status, _) = get_json(app(state.clone()), "/readyz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

        state.ready.store(true, Ordering::Release);
        let (status, body) = get_json(app(state), "/readyz").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ready");
    }

    #[tokio::test]
    async fn root_names_the_service() {
        let (status, body) = get_json(app(AppState::new()), "/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["service"], SERVICE_NAME);
        assert_eq!(body["version"], VERSION);
    }

    #[tokio::test]
    async fn unknown_route_is_404_and_wrong_method_405() {
        let (status, _) = get_json(app(AppState::new()), "/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = send(app(AppState::new()), "POST", "/healthz").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    }

    #[tokio::test]
    async fn metrics_count_requests_by_route_and_status() {
        let state = AppState::new();
        let router = app(state.clone());
        for (method, path) in [
            ("GET", "/healthz"),
            ("GET", "/healthz"),
            ("GET", "/readyz"),
            ("GET", "/no/such/page"),
            ("GET", "/another-unknown-page"),
            ("POST", "/healthz"),
        ] {
            send(router.clone(), method, path).await;
        }

        let response = router
            .clone()
            .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            metrics::CONTENT_TYPE
        );
        let body = to_bytes(response.into_body(), 1024 * 1024).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        for line in [
            "# TYPE http_requests_total counter",
            r#"http_requests_total{method="GET",path="/healthz",status="200"} 2"#,
            r#"http_requests_total{method="GET",path="/readyz",status="503"} 1"#,
            r#"http_requests_total{method="GET",path="unmatched",status="404"} 2"#,
            r#"http_requests_total{method="POST",path="/healthz",status="405"} 1"#,
            "# TYPE http_request_duration_seconds histogram",
            r#"http_request_duration_seconds_bucket{path="/healthz",le="+Inf"} 3"#,
            r#"http_request_duration_seconds_count{path="unmatched"} 2"#,
            "# TYPE process_start_time_seconds gauge",
            "# TYPE build_info gauge",
            &format!(r#"build_info{{service="{SERVICE_NAME}",version="{VERSION}"}} 1"#),
        ] {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }

        // The scrape itself is counted once it has finished.
        let (_, text) = send(router, "GET", "/metrics").await;
        assert!(
            text.contains(r#"http_requests_total{method="GET",path="/metrics",status="200"} 1"#)
        );
    }

    #[tokio::test]
    async fn metrics_are_well_formed() {
        let router = app(AppState::new());
        send(router.clone(), "GET", "/healthz").await;
        let (_, text) = send(router, "GET", "/metrics").await;

        let mut typed = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                typed.push(rest.split(' ').next().unwrap().to_owned());
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let name = line.split(['{', ' ']).next().unwrap();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    name.strip_suffix(suffix)
                        .filter(|base| typed.iter().any(|t| t == base))
                })
                .unwrap_or(name);
            assert!(
                typed.iter().any(|t| t == family),
                "{line:?} has no # TYPE line before it"
            );
            let value = line.rsplit(' ').next().unwrap();
            assert!(
                value.parse::<f64>().is_ok(),
                "{line:?} does not end in a number"
            );
        }
    }

    #[test]
    fn config_comes_from_the_environment() {
        let env = |pairs: &[(&str, &str)]| {
            let map: HashMap<String, String> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            move |name: &str| map.get(name).cloned()
        };

        let config = Config::from_env(env(&[])).unwrap();
        assert_eq!(config.port, DEFAULT_PORT);
        assert_eq!(config.log_filter, "info");
        assert_eq!(config.drain_delay, Duration::from_secs(5));

        let config = Config::from_env(env(&[
            ("PORT", "9000"),
            ("LOG_LEVEL", "debug"),
            ("SHUTDOWN_DELAY", "0"),
        ]))
        .unwrap();
        assert_eq!(
            config,
            Config {
                port: 9000,
                log_filter: "debug".into(),
                drain_delay: Duration::ZERO
            }
        );

        let config = Config::from_env(env(&[
            ("LOG_LEVEL", "debug"),
            ("RUST_LOG", "warn,tower=debug"),
        ]))
        .unwrap();
        assert_eq!(config.log_filter, "warn,tower=debug");

        for bad in [
            [("PORT", "not-a-port")],
            [("PORT", "70000")],
            [("LOG_LEVEL", "very=loud=x")],
            [("SHUTDOWN_DELAY", "soon")],
        ] {
            assert!(Config::from_env(env(&bad)).is_err(), "{bad:?} was accepted");
        }
    }

    #[tokio::test]
    async fn serves_over_tcp_and_shuts_down_gracefully() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, state.clone(), Duration::ZERO, async move {
            let _ = stop_rx.await;
        }));

        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /readyz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "got: {response}");

        stop_tx.send(()).unwrap();
        server.await.unwrap().unwrap();
        assert!(
            !state.ready.load(Ordering::Acquire),
            "not ready after shutdown"
        );
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "still accepting after shutdown"
        );
    }
}
