//! Handlers that render the frontend's pages: read the request (query string,
//! path, form), ask the frontend to render, answer with its status.

use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use portolan_frontend::{DataError, EntityTab, ExploreQuery, Rendered};
use serde::Deserialize;

use std::sync::Arc;

use axum::Extension;
use portolan_frontend::Viewer;

use super::AppState;
use crate::auth::policy::Action;
use crate::auth::routes::PageViewer;
use crate::auth::{Auth, RequestIdentity};

/// Turns a rendered page into an HTML response with its status.
pub(super) fn respond(page: Rendered) -> Response {
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Html(page.html)).into_response()
}

/// The query string's pairs, decoded; a malformed one reads as what can be read.
fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect()
}

/// The explorer's query from a query string.
pub(super) fn explore_query(query: Option<&str>) -> ExploreQuery {
    let pairs = pairs(query);
    ExploreQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// `GET /`.
pub(super) async fn home(State(state): State<AppState>, PageViewer(viewer): PageViewer) -> Response {
    respond(portolan_frontend::render_home(&viewer, state.data.as_ref()))
}

/// `GET /catalog?kind=…&owner=…&q=…&sort=…&order=…&cursor=…&limit=…`.
pub(super) async fn catalog(State(state): State<AppState>, PageViewer(viewer): PageViewer, RawQuery(query): RawQuery) -> Response {
    respond(portolan_frontend::render_catalog(&viewer, state.data.as_ref(), &explore_query(query.as_deref())))
}

/// `GET /api-docs?…`: the explorer over APIs.
pub(super) async fn api_docs(State(state): State<AppState>, PageViewer(viewer): PageViewer, RawQuery(query): RawQuery) -> Response {
    respond(portolan_frontend::render_api_docs(&viewer, state.data.as_ref(), &explore_query(query.as_deref())))
}

/// `GET /catalog/:namespace/:kind/:name[?tab=definition|yaml]`.
pub(super) async fn entity(
    State(state): State<AppState>,
    Extension(auth): Extension<Arc<Auth>>,
    Extension(RequestIdentity(identity)): Extension<RequestIdentity>,
    PageViewer(viewer): PageViewer,
    Path((namespace, kind, name)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = pairs(query.as_deref());
    let tab = EntityTab::from_param(pairs.iter().find(|(k, _)| k == "tab").map(|(_, v)| v.as_str()));
    let mut fetched = state.data.entity(&kind, &namespace, &name).await;
    if let Ok(Some(entity)) = &mut fetched {
        entity.kubernetes = deployments_of(&state, entity, (&namespace, &kind, &name), tab == EntityTab::Deployments);
    }
    if let (Some(identity), Ok(Some(entity))) = (&identity, &mut fetched)
        && let Some(location) = &entity.location
    {
        entity.may_unregister = match auth.location_owners(identity, &location.id).await {
            Ok(owners) => auth.may(identity, Action::LocationDelete, Some(&owners)),
            Err(_) => false,
        };
    }
    respond(portolan_frontend::render_entity(&viewer, state.data.as_ref(), (&kind, &namespace, &name), tab, fetched))
}

/// The sign-in page for a viewer who is not signed in.
pub(super) fn sign_in_first(viewer: &Viewer) -> Response {
    Redirect::to(&viewer.sign_in_href()).into_response()
}

/// `GET /catalog-import` (signed-in users).
pub(super) async fn import_form(PageViewer(viewer): PageViewer) -> Response {
    if viewer.user.is_none() {
        return sign_in_first(&viewer);
    }
    respond(portolan_frontend::render_import(&viewer, "", None, None))
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
pub(super) async fn import_submit(
    State(state): State<AppState>,
    Extension(auth): Extension<Arc<Auth>>,
    Extension(RequestIdentity(identity)): Extension<RequestIdentity>,
    PageViewer(viewer): PageViewer,
    Form(form): Form<ImportForm>,
) -> Response {
    let Some(identity) = identity else { return sign_in_first(&viewer) };
    let target = form.target.trim().to_owned();
    if auth.check(&identity, Action::LocationCreate, &target, None).await.is_err() {
        let denied = DataError::Forbidden("You may not register locations on this portal.".to_owned());
        return respond(portolan_frontend::render_import(&viewer, &target, None, Some(&denied)));
    }
    match form.action.as_str() {
        "register" => match state.data.register_location(&target).await {
            Ok(detail) => {
                if let Err(e) = crate::store::locations::set_created_by(&auth.catalog.db.pool, &detail.location.id, &identity.user_ref).await {
                    tracing::error!("cannot record who registered {target}: {e}");
                }
                auth.audit(&identity, Action::LocationCreate.as_str(), Some(&target), "ok", None).await;
                respond(portolan_frontend::render_registered(&viewer, detail))
            }
            Err(e) => {
                auth.audit(&identity, Action::LocationCreate.as_str(), Some(&target), "failed", Some(e.message())).await;
                respond(portolan_frontend::render_import(&viewer, &target, None, Some(&e)))
            }
        },
        _ => match state.data.preview_location(&target).await {
            Ok(preview) => respond(portolan_frontend::render_import(&viewer, &target, Some(preview), None)),
            Err(e) => respond(portolan_frontend::render_import(&viewer, &target, None, Some(&e))),
        },
    }
}

/// Whether the viewer may unregister location `id`; a page saying why not otherwise.
async fn may_unregister(auth: &Auth, identity: Option<&crate::auth::Identity>, viewer: &Viewer, id: &str) -> Result<crate::auth::Identity, Response> {
    let Some(identity) = identity else { return Err(sign_in_first(viewer)) };
    let owners = match auth.location_owners(identity, id).await {
        Ok(owners) => owners,
        Err(e) => return Err(e.into_response()),
    };
    if auth.check(identity, Action::LocationDelete, id, Some(&owners)).await.is_err() {
        let denied = DataError::Forbidden("Only the owners of this location's entities and admins may unregister it.".to_owned());
        return Err(respond(portolan_frontend::render_error(viewer, &denied)));
    }
    Ok(identity.clone())
}

/// `GET /catalog-import/locations/:id/unregister`: what would go, and a confirm button.
pub(super) async fn unregister_confirm(
    State(state): State<AppState>,
    Extension(auth): Extension<Arc<Auth>>,
    Extension(RequestIdentity(identity)): Extension<RequestIdentity>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = may_unregister(&auth, identity.as_ref(), &viewer, &id).await {
        return refused;
    }
    match state.data.location(&id).await {
        Ok(Some(detail)) => respond(portolan_frontend::render_unregister(&viewer, detail)),
        Ok(None) => respond(portolan_frontend::render_error(&viewer, &DataError::NotFound(format!("There is no location with id {id}.")))),
        Err(e) => respond(portolan_frontend::render_error(&viewer, &e)),
    }
}

/// `POST /catalog-import/locations/:id/unregister`.
pub(super) async fn unregister(
    State(state): State<AppState>,
    Extension(auth): Extension<Arc<Auth>>,
    Extension(RequestIdentity(identity)): Extension<RequestIdentity>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
) -> Response {
    let identity = match may_unregister(&auth, identity.as_ref(), &viewer, &id).await {
        Ok(identity) => identity,
        Err(refused) => return refused,
    };
    match state.data.unregister_location(&id).await {
        Ok(detail) => {
            let what = format!("{}:{}", detail.location.location_type, detail.location.target);
            auth.audit(&identity, Action::LocationDelete.as_str(), Some(&what), "ok", None).await;
            respond(portolan_frontend::render_unregistered(&viewer, detail))
        }
        Err(e) => respond(portolan_frontend::render_error(&viewer, &e)),
    }
}

/// `GET /catalog/:namespace/:kind` and other partial entity paths: the explorer for that kind.
pub(super) async fn kind_list(Path((namespace, kind)): Path<(String, String)>) -> Redirect {
    let query = ExploreQuery::from_pairs([("kind", kind.as_str()), ("namespace", namespace.as_str())]);
    Redirect::to(&query.href())
}

/// The Deployments tab of an entity with Kubernetes annotations, from the
/// watch caches. Other tabs only show that the tab exists, so the caches are
/// read (`shown`) only when it is the tab asked for.
fn deployments_of(state: &AppState, entity: &portolan_frontend::EntityDetail, (namespace, kind, name): (&str, &str, &str), shown: bool) -> Option<portolan_frontend::DeploymentsView> {
    let annotations: serde_json::Map<String, serde_json::Value> = entity.annotations.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
    let shell = serde_json::json!({"metadata": {"name": entity.summary.name, "annotations": annotations}});
    let target = crate::kubernetes::matching::EntityTarget::of(&shell).ok().flatten()?;
    let url = crate::kubernetes::api::events_url(namespace, kind, name);
    if !shown {
        return Some(portolan_frontend::DeploymentsView { entity_ref: entity.summary.entity_ref(), events_url: url, ..Default::default() });
    }
    let now = crate::kubernetes::Kubernetes::now();
    Some(crate::kubernetes::view::deployments_view(&state.kubernetes, &target, &entity.summary.entity_ref(), url, now))
}

/// `GET /clusters`: the fleet, from the watch caches.
pub(super) async fn clusters(State(state): State<AppState>, PageViewer(viewer): PageViewer) -> Response {
    match crate::kubernetes::fleet::fleet_view(&state.kubernetes, &state.catalog, crate::kubernetes::Kubernetes::now()).await {
        Ok(fleet) => respond(portolan_frontend::render_clusters(&viewer, fleet)),
        Err(e) => {
            tracing::error!("fleet page: {e:#}");
            respond(portolan_frontend::render_error(&viewer, &DataError::Internal("The clusters could not be read; the error is in the server's log.".to_owned())))
        }
    }
}

/// Any path no route matches.
pub(super) async fn not_found(PageViewer(viewer): PageViewer, uri: Uri) -> Response {
    respond(portolan_frontend::render_not_found(&viewer, uri.path()))
}
