//! The task pages: `/create/tasks` (recent runs) and `/create/tasks/:id`
//! (steps, log, output links; the page follows the run live over SSE, or
//! refreshes itself without JavaScript).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use portolan_frontend::{DataError, TaskLink, TaskLogLine, TaskRowView, TaskStepView, TaskText, TaskView};
use serde_json::Value;

use super::{ScaffoldPages, recent};
use crate::web::pages::{respond, sign_in_first};
use crate::auth::policy::Action;
use crate::auth::routes::PageViewer;
use crate::auth::{Auth, RequestIdentity};
use crate::scaffolder::runner::steps_of;
use crate::store::tasks::{self, TaskEvent, TaskRow};

/// The template's title and wizard page, from the task spec.
fn template_of(task: &TaskRow) -> (String, Option<String>) {
    let info = task.spec.get("templateInfo");
    let metadata = info.and_then(|i| i.pointer("/entity/metadata"));
    let title = metadata
        .and_then(|m| m.get("title").or_else(|| m.get("name")))
        .and_then(Value::as_str)
        .unwrap_or("Template")
        .to_owned();
    let href = info.and_then(|i| i.get("entityRef")).and_then(Value::as_str).and_then(|r| {
        let (_, rest) = r.split_once(':')?;
        let (namespace, name) = rest.split_once('/')?;
        Some(format!("/create/templates/{namespace}/{name}"))
    });
    (title, href)
}

/// Where an output link goes: its `url`, or the page of its `entityRef`.
fn link_of(link: &Value) -> Option<TaskLink> {
    let url = match (link.get("url").and_then(Value::as_str), link.get("entityRef").and_then(Value::as_str)) {
        (Some(url), _) if !url.is_empty() => url.to_owned(),
        (_, Some(reference)) if !reference.is_empty() => {
            let defaults = portolan_catalog::RefDefaults { kind: Some("component"), namespace: None };
            let parsed = portolan_catalog::EntityRef::parse(reference, defaults).ok()?;
            portolan_frontend::data::entity_href(parsed.kind(), parsed.namespace(), parsed.name())
        }
        _ => return None,
    };
    let title = link.get("title").and_then(Value::as_str).map_or_else(|| url.clone(), str::to_owned);
    Some(TaskLink { title, url, icon: link.get("icon").and_then(Value::as_str).map(str::to_owned) })
}

/// The page's view of a task and its events.
pub fn task_view(task: &TaskRow, events: &[TaskEvent], may_cancel: bool) -> TaskView {
    let (template_title, template_href) = template_of(task);
    let status_of = |id: &str| task.state.pointer(&format!("/steps/{}", id.replace('~', "~0").replace('/', "~1"))).and_then(|s| s.get("status")).and_then(Value::as_str).unwrap_or("open").to_owned();
    let steps = steps_of(&task.spec).into_iter().map(|s| TaskStepView { status: status_of(&s.id), id: s.id, name: s.name, action: s.action }).collect();
    let log = events
        .iter()
        .filter_map(|e| {
            let message = e.body.get("message").and_then(Value::as_str)?;
            Some(TaskLogLine { id: e.id, created_at: e.created_at.clone(), step_id: e.body.get("stepId").and_then(Value::as_str).map(str::to_owned), message: message.to_owned() })
        })
        .collect();
    let output = task.state.get("output");
    let links = output.and_then(|o| o.get("links")).and_then(Value::as_array).map(|ls| ls.iter().filter_map(link_of).collect()).unwrap_or_default();
    let texts = output
        .and_then(|o| o.get("text"))
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter_map(|t| {
                    let content = t.get("content").map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_owned))?;
                    Some(TaskText { title: t.get("title").and_then(Value::as_str).unwrap_or_default().to_owned(), content })
                })
                .collect()
        })
        .unwrap_or_default();
    TaskView {
        id: task.id.clone(),
        template_title,
        template_href,
        status: task.status.as_str().to_owned(),
        created_at: task.created_at.clone(),
        created_by: task.created_by.clone(),
        steps,
        log,
        links,
        texts,
        error: task.state.get("error").and_then(Value::as_str).map(str::to_owned),
        may_cancel: may_cancel && !task.status.is_final(),
    }
}

fn failed(viewer: &portolan_frontend::Viewer, e: impl std::fmt::Display) -> Response {
    tracing::error!("task page: {e}");
    respond(portolan_frontend::render_error(viewer, &DataError::Internal("The task could not be read; the error is in the server's log.".to_owned())))
}

/// The task `id`, or the page to answer instead (404, or the error).
async fn task_or_page(pages: &ScaffoldPages, viewer: &portolan_frontend::Viewer, id: &str) -> Result<TaskRow, Response> {
    match tasks::get(&pages.scaffolder.db().pool, id).await {
        Ok(Some(task)) => Ok(task),
        Ok(None) => Err(respond(portolan_frontend::render_error(viewer, &DataError::NotFound(format!("There is no task {id}."))))),
        Err(e) => Err(failed(viewer, e)),
    }
}

/// `GET /create/tasks/:id`.
pub(super) async fn task(
    State(pages): State<ScaffoldPages>,
    Extension(auth): Extension<Arc<Auth>>,
    Extension(RequestIdentity(identity)): Extension<RequestIdentity>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
) -> Response {
    let task = match task_or_page(&pages, &viewer, &id).await {
        Ok(task) => task,
        Err(page) => return page,
    };
    let events = match tasks::events(&pages.scaffolder.db().pool, &id, None).await {
        Ok(events) => events,
        Err(e) => return failed(&viewer, e),
    };
    let may_cancel = identity.as_ref().is_some_and(|i| auth.may(i, Action::TaskCancel, Some(&task.owners())));
    respond(portolan_frontend::render_task(&viewer, task_view(&task, &events, may_cancel)))
}

/// `GET /create/tasks`.
pub(super) async fn tasks(State(pages): State<ScaffoldPages>, PageViewer(viewer): PageViewer) -> Response {
    let rows = match recent(&pages.scaffolder).await {
        Ok(rows) => rows,
        Err(e) => return failed(&viewer, e),
    };
    let rows = rows
        .iter()
        .map(|task| {
            let (template_title, template_href) = template_of(task);
            TaskRowView { id: task.id.clone(), template_title, template_href, status: task.status.as_str().to_owned(), created_by: task.created_by.clone(), created_at: task.created_at.clone() }
        })
        .collect();
    respond(portolan_frontend::render_tasks(&viewer, rows))
}

/// `POST /create/tasks/:id/cancel`.
pub(super) async fn cancel(
    State(pages): State<ScaffoldPages>,
    Extension(auth): Extension<Arc<Auth>>,
    Extension(RequestIdentity(identity)): Extension<RequestIdentity>,
    PageViewer(viewer): PageViewer,
    Path(id): Path<String>,
) -> Response {
    let Some(identity) = identity else { return sign_in_first(&viewer) };
    let task = match task_or_page(&pages, &viewer, &id).await {
        Ok(task) => task,
        Err(page) => return page,
    };
    if auth.check(&identity, Action::TaskCancel, &id, Some(&task.owners())).await.is_err() {
        return respond(portolan_frontend::render_error(&viewer, &DataError::Forbidden("Only the task's creator and admins may cancel it.".to_owned())));
    }
    if let Err(e) = pages.scaffolder.cancel(&id).await {
        return failed(&viewer, format!("{e:#}"));
    }
    auth.audit(&identity, Action::TaskCancel.as_str(), Some(&id), "ok", None).await;
    Redirect::to(&portolan_frontend::pages::scaffold::task_href(&id)).into_response()
}
