//! Backstage's Kubernetes API under `/api/kubernetes`, answered from the
//! watch caches, and a stream of an entity's status changes.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::Kubernetes;
use super::matching::EntityTarget;
use super::snapshot::cluster_item;
use crate::error::{ApiJson, AppError};
use crate::ingest::Catalog;
use crate::store::entities;

/// What the Kubernetes routes reach.
#[derive(Clone)]
pub struct KubernetesApi {
    /// The caches.
    pub kubernetes: Arc<Kubernetes>,
    /// The catalog, for the entities' annotations.
    pub catalog: Arc<Catalog>,
}

/// The routes, to be nested under `/api/kubernetes`.
pub fn router(state: KubernetesApi) -> Router {
    Router::new()
        .route("/clusters", get(clusters))
        .route("/resources/workloads/query", post(workloads))
        .route("/entities/{namespace}/{kind}/{name}/events", get(entity_events))
        .fallback(|| async { AppError::not_found("No such kubernetes endpoint") })
        .with_state(state)
        .layer(axum::middleware::from_fn(crate::error::error_envelope))
}

/// `GET /clusters`: `{items: [{name, title?, dashboardUrl?, authProvider, connection, resources}]}`.
async fn clusters(State(state): State<KubernetesApi>) -> Json<Value> {
    let items: Vec<Value> = state
        .kubernetes
        .clusters()
        .iter()
        .map(|c| {
            let mut info = serde_json::to_value(c.target.info()).unwrap_or_else(|_| json!({}));
            info["connection"] = serde_json::to_value(c.connection()).unwrap_or(Value::Null);
            info["resources"] = serde_json::to_value(c.states()).unwrap_or(Value::Null);
            info["objects"] = serde_json::to_value(c.counts()).unwrap_or(Value::Null);
            info
        })
        .collect();
    Json(json!({"items": items}))
}

/// The entity `text` names, and its Kubernetes target.
pub async fn entity_target(catalog: &Catalog, text: &str) -> Result<(Value, Option<EntityTarget>), AppError> {
    let parsed = portolan_catalog::EntityRef::parse(text, portolan_catalog::RefDefaults { kind: Some("component"), namespace: None })
        .map_err(|e| AppError::input(format!("Invalid entity ref, {e}")))?;
    let row = entities::by_ref(&catalog.db.pool, &parsed.to_string()).await?.ok_or_else(|| AppError::not_found(format!("Entity {parsed} was not found")))?;
    let entity: Value = serde_json::from_str(&row.body).map_err(|e| AppError::Internal(e.into()))?;
    let target = EntityTarget::of(&entity).map_err(AppError::input)?;
    Ok((entity, target))
}

/// Backstage's answer for an entity: one item per cluster with objects or errors.
pub fn workloads_of(kubernetes: &Kubernetes, target: &EntityTarget) -> Value {
    let items: Vec<Value> = kubernetes.clusters().iter().filter_map(|c| cluster_item(c, target)).collect();
    json!({"items": items})
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorkloadsQuery {
    entity_ref: Option<String>,
}

/// `POST /resources/workloads/query` `{entityRef}`.
async fn workloads(State(state): State<KubernetesApi>, ApiJson(body): ApiJson<WorkloadsQuery>) -> Result<Json<Value>, AppError> {
    let reference = body.entity_ref.filter(|r| !r.is_empty()).ok_or_else(|| AppError::input("entity is a required field"))?;
    let (_, target) = entity_target(&state.catalog, &reference).await?;
    Ok(Json(match target {
        Some(target) => workloads_of(&state.kubernetes, &target),
        None => json!({"items": []}),
    }))
}

#[derive(Debug, Deserialize)]
struct EventsQuery {
    format: Option<String>,
}

/// The events URL of an entity's Deployments tab.
pub fn events_url(namespace: &str, kind: &str, name: &str) -> String {
    let enc = portolan_frontend::pages::encode_path_segment;
    format!("/api/kubernetes/entities/{}/{}/{}/events?format=html", enc(namespace), enc(&kind.to_ascii_lowercase()), enc(name))
}

/// `GET /entities/:namespace/:kind/:name/events[?format=html]`: SSE, one
/// `status` event now and one each time a change in a cluster alters what the
/// entity's status says: Backstage's workloads JSON, or with `format=html` the
/// Deployments tab's panel as the page renders it.
async fn entity_events(
    State(state): State<KubernetesApi>,
    Path((namespace, kind, name)): Path<(String, String, String)>,
    crate::error::ApiQuery(query): crate::error::ApiQuery<EventsQuery>,
) -> Result<Response, AppError> {
    let entity_ref = format!("{kind}:{namespace}/{name}");
    let (_, target) = entity_target(&state.catalog, &entity_ref).await?;
    let target = target.ok_or_else(|| AppError::not_found(format!("{entity_ref} has no Kubernetes annotations")))?;
    let changes = state.kubernetes.subscribe();
    let html = (query.format.as_deref() == Some("html")).then(|| (entity_ref.to_ascii_lowercase(), events_url(&namespace, &kind, &name)));
    let follow = Follow { kubernetes: Arc::clone(&state.kubernetes), target, changes, last: None, html };
    let stream = futures_util::stream::unfold(follow, Follow::next);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response())
}

/// Follows the changes that can touch one entity and sends its status when it differs.
struct Follow {
    kubernetes: Arc<Kubernetes>,
    target: EntityTarget,
    changes: broadcast::Receiver<super::watch::Change>,
    last: Option<String>,
    /// With `format=html`: the entity's ref and the events URL the panel carries.
    html: Option<(String, String)>,
}

impl Follow {
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Follow)> {
        loop {
            if self.last.is_some() {
                match self.changes.recv().await {
                    Ok(change) if !self.target.affected_by(&change.cluster, change.labels.as_ref()) => continue,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
            let status = match &self.html {
                Some((entity_ref, url)) => {
                    let view = super::view::deployments_view(&self.kubernetes, &self.target, entity_ref, url.clone(), Kubernetes::now());
                    portolan_frontend::render_deployments_fragment(&view)
                }
                None => workloads_of(&self.kubernetes, &self.target).to_string(),
            };
            if self.last.as_deref() == Some(status.as_str()) {
                continue;
            }
            self.last = Some(status.clone());
            return Some((Ok(Event::default().event("status").data(status)), self));
        }
    }
}
