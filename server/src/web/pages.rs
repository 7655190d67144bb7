//! Handlers that render the frontend's pages: read the request (query string,
//! path, form), ask the frontend to render, answer with its status.

use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use portolan_frontend::{DataError, EntityTab, ExploreQuery, Rendered};
use serde::Deserialize;

use super::AppState;

/// Turns a rendered page into an HTML response with its status.
fn respond(page: Rendered) -> Response {
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Html(page.html)).into_response()
}

/// The query string's pairs, decoded; a malformed one reads as what can be read.
fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect()
}

fn explore_query(query: Option<&str>) -> ExploreQuery {
    let pairs = pairs(query);
    ExploreQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// `GET /`.
pub(super) async fn home(State(state): State<AppState>) -> Response {
    respond(portolan_frontend::render_home(state.data.as_ref()))
}

/// `GET /catalog?kind=…&owner=…&q=…&sort=…&order=…&cursor=…&limit=…`.
pub(super) async fn catalog(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    respond(portolan_frontend::render_catalog(state.data.as_ref(), &explore_query(query.as_deref())))
}

/// `GET /api-docs?…`: the explorer over APIs.
pub(super) async fn api_docs(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    respond(portolan_frontend::render_api_docs(state.data.as_ref(), &explore_query(query.as_deref())))
}

/// `GET /catalog/:namespace/:kind/:name[?tab=definition|yaml]`.
pub(super) async fn entity(
    State(state): State<AppState>,
    Path((namespace, kind, name)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = pairs(query.as_deref());
    let tab = EntityTab::from_param(pairs.iter().find(|(k, _)| k == "tab").map(|(_, v)| v.as_str()));
    respond(portolan_frontend::render_entity(state.data.as_ref(), &kind, &namespace, &name, tab).await)
}

/// `GET /catalog-import`.
pub(super) async fn import_form() -> Response {
    respond(portolan_frontend::render_import("", None, None))
}

/// The register form's fields.
#[derive(Debug, Deserialize)]
pub(super) struct ImportForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
}

/// `POST /catalog-import`: `action=analyze` previews, `action=register` registers.
pub(super) async fn import_submit(State(state): State<AppState>, Form(form): Form<ImportForm>) -> Response {
    let target = form.target.trim().to_owned();
    match form.action.as_str() {
        "register" => match state.data.register_location(&target).await {
            Ok(detail) => respond(portolan_frontend::render_registered(detail)),
            Err(e) => respond(portolan_frontend::render_import(&target, None, Some(&e))),
        },
        _ => match state.data.preview_location(&target).await {
            Ok(preview) => respond(portolan_frontend::render_import(&target, Some(preview), None)),
            Err(e) => respond(portolan_frontend::render_import(&target, None, Some(&e))),
        },
    }
}

/// `GET /catalog-import/locations/:id/unregister`: what would go, and a confirm button.
pub(super) async fn unregister_confirm(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.data.location(&id).await {
        Ok(Some(detail)) => respond(portolan_frontend::render_unregister(detail)),
        Ok(None) => respond(portolan_frontend::render_error(&DataError::NotFound(format!("There is no location with id {id}.")))),
        Err(e) => respond(portolan_frontend::render_error(&e)),
    }
}

/// `POST /catalog-import/locations/:id/unregister`.
pub(super) async fn unregister(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.data.unregister_location(&id).await {
        Ok(detail) => respond(portolan_frontend::render_unregistered(detail)),
        Err(e) => respond(portolan_frontend::render_error(&e)),
    }
}

/// `GET /catalog/:namespace/:kind` and other partial entity paths: the explorer for that kind.
pub(super) async fn kind_list(Path((namespace, kind)): Path<(String, String)>) -> Redirect {
    let query = ExploreQuery::from_pairs([("kind", kind.as_str()), ("namespace", namespace.as_str())]);
    Redirect::to(&query.href())
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
