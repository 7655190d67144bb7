//! Backstage's scaffolder REST API under `/api/scaffolder`, so Backstage's
//! scaffolder client and CLI work against Portolan.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use super::{CreateError, Scaffolder, TemplateEntity, actions::TemplateBase, dry_run};
use crate::auth::policy::Action;
use crate::auth::{Actor, AuthHandle};
use crate::error::{ApiJson, ApiQuery, AppError};
use crate::store::tasks::{self, TaskEvent, TaskFilter, TaskRow};

/// The scaffolder API's routes, to be nested under `/api/scaffolder`.
pub fn router(scaffolder: Arc<Scaffolder>) -> Router {
    Router::new()
        .route("/v2/templates/{namespace}/{kind}/{name}/parameter-schema", get(parameter_schema))
        .route("/v2/actions", get(list_actions))
        .route("/v2/templating-extensions", get(templating_extensions))
        .route("/v2/tasks", get(list_tasks).post(create_task))
        .route("/v2/tasks/{id}", get(get_task))
        .route("/v2/tasks/{id}/cancel", post(cancel_task))
        .route("/v2/tasks/{id}/events", get(task_events))
        .route("/v2/tasks/{id}/eventstream", get(task_eventstream))
        .route("/v2/dry-run", post(dry_run_template))
        .fallback(|| async { AppError::not_found("No such scaffolder endpoint") })
        .with_state(scaffolder)
        .layer(axum::middleware::from_fn(crate::error::error_envelope))
}

/// A task as `GET /v2/tasks/:id` shows it (never its secrets).
pub fn task_json(task: &TaskRow) -> Value {
    json!({
        "id": task.id,
        "spec": task.spec,
        "status": task.status.as_str(),
        "createdAt": task.created_at,
        "lastHeartbeatAt": task.last_heartbeat_at,
        "createdBy": task.created_by,
        "state": task.state,
    })
}

async fn template_or_404(scaffolder: &Scaffolder, reference: &str) -> Result<TemplateEntity, AppError> {
    scaffolder.template(reference).await?.ok_or_else(|| AppError::not_found(format!("Template {reference} was not found")))
}

/// `GET /v2/templates/:namespace/:kind/:name/parameter-schema`.
async fn parameter_schema(State(scaffolder): State<Arc<Scaffolder>>, Path((namespace, kind, name)): Path<(String, String, String)>) -> Result<Json<Value>, AppError> {
    if !kind.eq_ignore_ascii_case("template") {
        return Err(AppError::input(format!("{kind} is not a template kind")));
    }
    let template = template_or_404(&scaffolder, &format!("template:{namespace}/{name}")).await?;
    let form = template.form();
    let steps: Vec<Value> = form.steps.iter().map(|s| json!({"title": s.title, "description": s.description, "schema": s.schema})).collect();
    let metadata = template.entity.get("metadata");
    Ok(Json(json!({
        "title": metadata.and_then(|m| m.get("title")).or_else(|| metadata.and_then(|m| m.get("name"))),
        "description": metadata.and_then(|m| m.get("description")),
        "presentation": template.entity.pointer("/spec/presentation"),
        "steps": steps,
    })))
}

/// `GET /v2/actions`.
async fn list_actions(State(scaffolder): State<Arc<Scaffolder>>) -> Json<Value> {
    Json(scaffolder.actions().describe())
}

/// `GET /v2/templating-extensions`.
async fn templating_extensions() -> Json<Value> {
    let filters: Map<String, Value> = super::expr::FILTERS.iter().map(|(name, description)| ((*name).to_owned(), json!({"description": description}))).collect();
    Json(json!({"filters": filters, "globals": {"functions": {}, "values": {}}}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateTask {
    template_ref: String,
    #[serde(default)]
    values: Map<String, Value>,
    #[serde(default)]
    secrets: Map<String, Value>,
}

/// The 400 Backstage answers when values do not match the parameters.
pub fn validation_response(errors: &[portolan_catalog::template::FieldError]) -> Response {
    let errors: Vec<Value> = errors
        .iter()
        .map(|e| json!({"path": e.path.split('.').collect::<Vec<_>>(), "property": e.property, "message": e.message, "name": e.name, "argument": e.argument, "instance": e.instance, "schema": e.schema, "stack": format!("{} {}", e.property, e.message)}))
        .collect();
    (StatusCode::BAD_REQUEST, Json(json!({"errors": errors}))).into_response()
}

/// `POST /v2/tasks` `{templateRef, values, secrets?}` → 201 `{id}`.
async fn create_task(State(scaffolder): State<Arc<Scaffolder>>, AuthHandle(auth): AuthHandle, Actor(actor): Actor, ApiJson(body): ApiJson<CreateTask>) -> Result<Response, AppError> {
    auth.check(&actor, Action::TaskCreate, &body.template_ref, None).await?;
    match scaffolder.create_task(&body.template_ref, &body.values, &body.secrets, Some(&actor.user_ref)).await {
        Ok(id) => {
            auth.audit(&actor, Action::TaskCreate.as_str(), Some(&body.template_ref), "ok", Some(&id)).await;
            Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
        }
        Err(CreateError::Invalid(errors)) => Ok(validation_response(&errors)),
        Err(CreateError::NotFound(message)) => Err(AppError::not_found(message)),
        Err(CreateError::BadRequest(message)) => Err(AppError::input(message)),
        Err(CreateError::Failed(e)) => Err(AppError::Internal(e)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    created_by: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
    order: Option<String>,
}

/// `GET /v2/tasks?createdBy=&status=&limit=&offset=&order=`.
async fn list_tasks(State(scaffolder): State<Arc<Scaffolder>>, ApiQuery(query): ApiQuery<ListQuery>) -> Result<Json<Value>, AppError> {
    let ascending = match query.order.as_deref() {
        None | Some("desc") | Some("createdAt:desc") => false,
        Some("asc") | Some("createdAt:asc") => true,
        Some(other) => return Err(AppError::input(format!("order must be asc or desc, got {other}"))),
    };
    let filter = TaskFilter {
        created_by: query.created_by,
        status: query.status,
        limit: query.limit.unwrap_or(100).clamp(1, 1000),
        offset: query.offset.unwrap_or(0).max(0),
        ascending,
    };
    let (rows, total) = tasks::list(&scaffolder.db().pool, &filter).await?;
    Ok(Json(json!({"tasks": rows.iter().map(task_json).collect::<Vec<_>>(), "totalTasks": total})))
}

async fn task_or_404(scaffolder: &Scaffolder, id: &str) -> Result<TaskRow, AppError> {
    tasks::get(&scaffolder.db().pool, id).await?.ok_or_else(|| AppError::not_found(format!("Task {id} does not exist")))
}

/// `GET /v2/tasks/:id`.
async fn get_task(State(scaffolder): State<Arc<Scaffolder>>, Path(id): Path<String>) -> Result<Json<Value>, AppError> {
    Ok(Json(task_json(&task_or_404(&scaffolder, &id).await?)))
}

/// `POST /v2/tasks/:id/cancel`: the task's creator, owners' rules and admins.
async fn cancel_task(State(scaffolder): State<Arc<Scaffolder>>, AuthHandle(auth): AuthHandle, Actor(actor): Actor, Path(id): Path<String>) -> Result<Json<Value>, AppError> {
    let task = task_or_404(&scaffolder, &id).await?;
    auth.check(&actor, Action::TaskCancel, &id, Some(&task.owners())).await?;
    let status = scaffolder.cancel(&id).await?.map_or("cancelled", |s| s.as_str());
    auth.audit(&actor, Action::TaskCancel.as_str(), Some(&id), "ok", None).await;
    Ok(Json(json!({"status": status})))
}

#[derive(Debug, Deserialize)]
struct AfterQuery {
    after: Option<i64>,
}

/// `GET /v2/tasks/:id/events?after=`.
async fn task_events(State(scaffolder): State<Arc<Scaffolder>>, Path(id): Path<String>, ApiQuery(query): ApiQuery<AfterQuery>) -> Result<Json<Vec<TaskEvent>>, AppError> {
    task_or_404(&scaffolder, &id).await?;
    Ok(Json(tasks::events(&scaffolder.db().pool, &id, query.after).await?))
}

/// Follows one task's events: the stored ones after `after`, then live ones
/// (and, every second, any another replica stored), until `completion`.
struct Follow {
    scaffolder: Arc<Scaffolder>,
    task_id: String,
    last: i64,
    live: broadcast::Receiver<TaskEvent>,
    pending: VecDeque<TaskEvent>,
    done: bool,
}

impl Follow {
    async fn reload(&mut self) {
        match tasks::events(&self.scaffolder.db().pool, &self.task_id, Some(self.last)).await {
            Ok(events) => self.pending.extend(events),
            Err(e) => tracing::warn!(task = %self.task_id, "cannot read task events: {e}"),
        }
    }

    async fn next(mut self) -> Option<(Result<Event, Infallible>, Follow)> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                if event.id <= self.last {
                    continue;
                }
                self.last = event.id;
                self.done = event.event_type == "completion";
                let frame = Event::default().event(event.event_type.clone()).id(event.id.to_string()).data(serde_json::to_string(&event).unwrap_or_default());
                return Some((Ok(frame), self));
            }
            if self.done {
                return None;
            }
            tokio::select! {
                received = self.live.recv() => match received {
                    Ok(event) if event.task_id == self.task_id => self.pending.push_back(event),
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => self.reload().await,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                () = tokio::time::sleep(Duration::from_secs(1)) => self.reload().await,
            }
        }
    }
}

/// `GET /v2/tasks/:id/eventstream?after=` (or `Last-Event-ID` on reconnect).
async fn task_eventstream(State(scaffolder): State<Arc<Scaffolder>>, Path(id): Path<String>, headers: HeaderMap, ApiQuery(query): ApiQuery<AfterQuery>) -> Result<Response, AppError> {
    task_or_404(&scaffolder, &id).await?;
    let resumed = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    let after = resumed.or(query.after).unwrap_or(-1);
    let live = scaffolder.subscribe();
    let mut follow = Follow { scaffolder, task_id: id, last: after, live, pending: VecDeque::new(), done: false };
    follow.reload().await;
    let stream = futures_util::stream::unfold(follow, Follow::next);
    let mut response = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response();
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-cache"));
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DryRunBody {
    template: Value,
    #[serde(default)]
    values: Map<String, Value>,
    #[serde(default)]
    secrets: Map<String, Value>,
    #[serde(default)]
    directory_contents: Vec<Value>,
}

/// `POST /v2/dry-run` `{template, values, secrets?, directoryContents}`.
async fn dry_run_template(State(scaffolder): State<Arc<Scaffolder>>, Actor(actor): Actor, ApiJson(body): ApiJson<DryRunBody>) -> Result<Response, AppError> {
    if body.template.get("kind").and_then(Value::as_str) != Some("Template") {
        return Err(AppError::input("template must be a Template entity"));
    }
    let form = super::TemplateForm::from_parameters(body.template.pointer("/spec/parameters")).0;
    let values = form.with_defaults(&body.values);
    let errors = form.validate(&values);
    if !errors.is_empty() {
        return Ok(validation_response(&errors));
    }
    let scratch = scaffolder.settings.workspace_root.join(format!("dry-run-input-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&scratch).map_err(|e| AppError::Internal(e.into()))?;
    let written = dry_run::write_contents(&scratch, &body.directory_contents);
    let result = match written {
        Ok(()) => {
            let user = json!({"ref": actor.user_ref});
            let base = TemplateBase::Dir(scratch.clone());
            dry_run::run(scaffolder.actions(), Some(scaffolder.services()), &scaffolder.settings.workspace_root, &body.template, &values, &body.secrets, &base, &user).await
        }
        Err(message) => {
            let _ = std::fs::remove_dir_all(&scratch);
            return Err(AppError::input(message));
        }
    };
    let _ = std::fs::remove_dir_all(&scratch);
    let result = result.map_err(|e| AppError::Internal(e.into()))?;
    Ok(Json(result.to_json()).into_response())
}
