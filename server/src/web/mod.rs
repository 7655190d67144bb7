//! The web server: `portolan serve`.
//!
//! [`serve`] loads the catalog, binds the listener and serves [`router`] until
//! Ctrl-C or SIGTERM. Pages are rendered by `portolan-frontend`; this module
//! only routes requests and hands the pages their data through [`AppState`].

mod assets;
pub mod data;
mod pages;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Once};

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::get;
use portolan_frontend::PortalData;
use tower_http::trace::TraceLayer;

pub use data::{MemoryCatalog, load_catalog};

/// The example catalog shipped in the source tree, served when no `--catalog` is given.
pub const DEFAULT_CATALOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../catalog/example");

/// Where the server listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7007";

/// Options of `portolan serve`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Directory (searched recursively for catalog files) or single catalog file to serve.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_CATALOG)]
    pub catalog: PathBuf,
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("DEFAULT_LISTEN is a valid socket address"),
            catalog: PathBuf::from(DEFAULT_CATALOG),
        }
    }
}

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The data the pages show.
    pub data: Arc<dyn PortalData>,
}

impl AppState {
    /// State over any [`PortalData`] implementation.
    pub fn new(data: impl PortalData) -> Self {
        Self {
            data: Arc::new(data),
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("entities", &self.data.total())
            .finish()
    }
}

/// All routes of the portal: pages, `/healthz` and the stylesheet.
/// Unknown paths get the 404 page.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/catalog", get(pages::catalog))
        .route("/create", get(pages::create))
        .route("/clusters", get(pages::clusters))
        .route("/healthz", get(|| async { "ok" }))
        .route(portolan_frontend::STYLESHEET_PATH, get(assets::stylesheet))
        .fallback(pages::not_found)
        .with_state(state)
        .layer(axum::middleware::map_response(security_headers))
        .layer(TraceLayer::new_for_http())
}

/// Headers every response carries. The pages use no scripts at all, so the
/// content security policy forbids them outright.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response
}

/// Runs the portal until Ctrl-C or SIGTERM. Returns failure when the runtime
/// cannot start or the address cannot be bound.
pub fn serve(args: ServeArgs) -> ExitCode {
    init_tracing();
    let catalog = match load_catalog(&args.catalog) {
        Ok(entities) => {
            tracing::info!(path = %args.catalog.display(), entities = entities.len(), "catalog loaded");
            MemoryCatalog::new(entities)
        }
        Err(err) => {
            tracing::warn!(path = %args.catalog.display(), "serving an empty catalog: {err:#}");
            MemoryCatalog::default()
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!("cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args.listen, AppState::new(catalog)))
}

async fn run(listen: SocketAddr, state: AppState) -> ExitCode {
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::error!("cannot listen on {listen}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(listen);
    tracing::info!("Portolan is listening on http://{addr}/");
    match axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
    {
        Ok(()) => {
            tracing::info!("shut down");
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!("server failed: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Installs the log subscriber, once per process. `RUST_LOG` selects what is
/// logged; the default is `info`.
pub fn init_tracing() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        // Another subscriber may already be installed (e.g. by a test harness).
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
    });
}
