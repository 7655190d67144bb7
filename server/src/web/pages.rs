//! Handlers that render the frontend's pages.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use portolan_frontend::{CatalogFilter, Rendered};

use super::AppState;

/// Turns a rendered page into an HTML response with its status.
fn respond(page: Rendered) -> Response {
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Html(page.html)).into_response()
}

/// `GET /`.
pub(super) async fn home(State(state): State<AppState>) -> Response {
    respond(portolan_frontend::render_home(state.data.as_ref()))
}

/// `GET /catalog?kind=…&q=…`. A malformed query (e.g. a repeated parameter)
/// shows the unfiltered list rather than an error.
pub(super) async fn catalog(
    State(state): State<AppState>,
    query: Result<Query<CatalogFilter>, QueryRejection>,
) -> Response {
    let filter = query.map(|Query(filter)| filter).unwrap_or_default();
    respond(portolan_frontend::render_catalog(
        state.data.as_ref(),
        &filter,
    ))
}

/// `GET /create`.
pub(super) async fn create() -> Response {
    respond(portolan_frontend::render_create())
}

/// `GET /clusters`.
pub(super) async fn clusters() -> Response {
    respond(portolan_frontend::render_clusters())
}

/// Any path no route matches.
pub(super) async fn not_found(uri: Uri) -> Response {
    respond(portolan_frontend::render_not_found(uri.path()))
}
