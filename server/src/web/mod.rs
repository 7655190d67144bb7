//! The web server: `portolan serve`.
//!
//! [`router`] serves the pages; [`run`] serves a router until Ctrl-C or
//! SIGTERM (`crate::app` puts the pieces together). Pages are rendered by `portolan-frontend`; this module
//! only routes requests and hands the pages their data through [`AppState`].

mod assets;
pub mod data;
pub mod index;
mod pages;
pub mod scaffold;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::get;
use portolan_frontend::PortalData;
use tower_http::trace::TraceLayer;

pub use data::LivePortal;
pub use index::CatalogIndex;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The data the pages show.
    pub data: Arc<dyn PortalData>,
    /// The cluster caches (the Deployments tab, the fleet page).
    pub kubernetes: Arc<crate::kubernetes::Kubernetes>,
    /// The catalog, for the fleet page's entities.
    pub catalog: Arc<crate::ingest::Catalog>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("entities", &self.data.total())
            .finish()
    }
}

/// All routes of the portal: pages and the stylesheet (`/healthz` and the
/// other operational endpoints are in `crate::ops`). Unknown paths get the 404 page.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/catalog", get(pages::catalog))
        .route("/api-docs", get(pages::api_docs))
        .route("/catalog/{namespace}/{kind}/{name}", get(pages::entity))
        .route("/catalog/{namespace}/{kind}", get(pages::kind_list))
        .route("/catalog-import", get(pages::import_form).post(pages::import_submit))
        .route("/catalog-import/locations/{id}/unregister", get(pages::unregister_confirm).post(pages::unregister))
        .route("/clusters", get(pages::clusters))
        .route(portolan_frontend::STYLESHEET_PATH, get(assets::stylesheet))
        .route(portolan_frontend::DEPLOYMENTS_SCRIPT_PATH, get(assets::deployments_script))
        .route(portolan_frontend::TASK_FOLLOW_SCRIPT_PATH, get(assets::task_follow_script))
        .fallback(pages::not_found)
        .with_state(state)
}

/// `app` with what every response needs: the security headers and a
/// trace span per request.
pub fn harden(app: Router) -> Router {
    app.layer(axum::middleware::map_response(security_headers)).layer(TraceLayer::new_for_http())
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
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response
}

/// Serves `app` on `listen` until Ctrl-C or SIGTERM.
pub async fn run(listen: SocketAddr, app: Router) -> ExitCode {
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::error!("cannot listen on {listen}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(listen);
    tracing::info!("Portolan is listening on http://{addr}/");
    match axum::serve(listener, app)
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
pub async fn shutdown_signal() {
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
