//! The scaffolder's pages: the template list `/create`, a template's wizard
//! `/create/templates/:namespace/:name` (one POST form per step, the values
//! so far carried in a hidden field, checked on the server), and the task
//! pages `/create/tasks[/:id]` that follow a run.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use portolan_catalog::template::{PickerQuery, TemplateForm, WizardOutcome, read_wizard_post};
use portolan_frontend::{ButtonLabels, DataError, FacetKey, PickerOption, PortalData, Viewer, WizardView};
use serde_json::{Map, Value, json};

use crate::api::catalog::query::{Direction, EntityQuery, Predicate};
use crate::auth::policy::Action;
use crate::auth::routes::PageViewer;
use crate::auth::{Auth, RequestIdentity};
use crate::scaffolder::{CreateError, Scaffolder, TemplateEntity};
use crate::store::tasks;
use super::pages::{explore_query, respond, sign_in_first};

mod task_view;

/// What the scaffolder pages reach.
#[derive(Clone)]
pub struct ScaffoldPages {
    /// The portal's data (the template list is the explorer over kind Template).
    pub data: Arc<dyn PortalData>,
    /// The scaffolder.
    pub scaffolder: Arc<Scaffolder>,
}

/// The scaffolder pages' routes.
pub fn router(pages: ScaffoldPages) -> Router {
    Router::new()
        .route("/create", get(templates))
        .route("/create/templates/{namespace}/{name}", get(wizard).post(wizard_post).layer(axum::middleware::map_response(no_store)))
        .route("/create/tasks", get(task_view::tasks))
        .route("/create/tasks/{id}", get(task_view::task))
        .route("/create/tasks/{id}/cancel", post(task_view::cancel))
        .with_state(pages)
}

/// The wizard's pages carry what was typed so far, secrets included (in the
/// hidden state): no cache, the browser's or a proxy's, may keep them.
async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    response
}

/// `GET /create?q=…&tag=…`: the templates, searched and filtered like the explorer.
async fn templates(State(pages): State<ScaffoldPages>, PageViewer(viewer): PageViewer, RawQuery(query): RawQuery) -> Response {
    let mut query = explore_query(query.as_deref());
    query.selected.retain(|(k, _)| *k != FacetKey::Kind);
    query.select(FacetKey::Kind, "Template");
    let page = pages.data.explore(&query);
    respond(portolan_frontend::render_templates(&viewer, page, &query))
}

async fn template_or_page(pages: &ScaffoldPages, viewer: &Viewer, namespace: &str, name: &str) -> Result<TemplateEntity, Response> {
    match pages.scaffolder.template(&format!("template:{namespace}/{name}")).await {
        Ok(Some(template)) => Ok(template),
        Ok(None) => Err(respond(portolan_frontend::render_error(viewer, &DataError::NotFound(format!("There is no template {namespace}/{name} in the catalog."))))),
        Err(e) => {
            tracing::error!("reading template {namespace}/{name}: {e:#}");
            Err(respond(portolan_frontend::render_error(viewer, &DataError::Internal("The template could not be read; the error is in the server's log.".to_owned()))))
        }
    }
}

/// A picker's filters (any of them; each field any of its values, or present
/// when it lists none) as a catalog predicate; `None` matches every entity.
fn picker_predicate(query: &PickerQuery) -> Option<Predicate> {
    if query.filters.is_empty() {
        return None;
    }
    let any: Vec<Value> = query
        .filters
        .iter()
        .map(|filter| {
            let all: Vec<Value> = filter
                .iter()
                .map(|(key, values)| if values.is_empty() { json!({ key: {"$exists": true} }) } else { json!({ key: {"$in": values} }) })
                .collect();
            json!({"$all": all})
        })
        .collect();
    Predicate::from_json(&json!({"$any": any})).ok()
}

/// The choices of every entity picker of the form, from the catalog.
fn picker_options(auth: &Auth, form: &TemplateForm) -> BTreeMap<String, Vec<PickerOption>> {
    let index = &auth.catalog.index;
    let mut out = BTreeMap::new();
    for step in &form.steps {
        for field in step.all_fields() {
            let Some(picker) = field.picker() else { continue };
            let query = EntityQuery { filter: picker_predicate(&picker), ..EntityQuery::default() };
            let rows = index.page(&query, None, Direction::Next, PICKER_CHOICES, 0);
            let options = rows.into_iter().map(|r| PickerOption { label: r.entity_ref.clone(), value: r.entity_ref }).collect();
            out.insert(field.path.clone(), options);
        }
    }
    out
}

/// At most this many entities are offered by one picker.
const PICKER_CHOICES: u64 = 500;

fn wizard_view(auth: &Auth, template: &TemplateEntity, form: &TemplateForm, step: usize, values: Map<String, Value>) -> WizardView {
    let summary = crate::search::summary_of(&template.entity).unwrap_or_default();
    WizardView {
        options: picker_options(auth, form),
        labels: ButtonLabels::from_presentation(template.entity.pointer("/spec/presentation")),
        template: summary,
        form: form.clone(),
        step,
        values,
        errors: Vec::new(),
        problem: None,
    }
}

/// `GET /create/templates/:namespace/:name`: the first step, defaults filled in.
async fn wizard(State(pages): State<ScaffoldPages>, Extension(auth): Extension<Arc<Auth>>, PageViewer(viewer): PageViewer, Path((namespace, name)): Path<(String, String)>) -> Response {
    if viewer.user.is_none() {
        return sign_in_first(&viewer);
    }
    let template = match template_or_page(&pages, &viewer, &namespace, &name).await {
        Ok(t) => t,
        Err(page) => return page,
    };
    let form = template.form();
    let values = form.with_defaults(&Map::new());
    respond(portolan_frontend::render_wizard(&viewer, wizard_view(&auth, &template, &form, 0, values)))
}

/// `POST /create/templates/:namespace/:name`: next, back, edit, or create.
async fn wizard_post(
    State(pages): State<ScaffoldPages>,
    Extension(auth): Extension<Arc<Auth>>,
    Extension(RequestIdentity(identity)): Extension<RequestIdentity>,
    PageViewer(viewer): PageViewer,
    Path((namespace, name)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(identity) = identity else { return sign_in_first(&viewer) };
    let template = match template_or_page(&pages, &viewer, &namespace, &name).await {
        Ok(t) => t,
        Err(page) => return page,
    };
    let form = template.form();
    let post = read_wizard_post(&form, &pairs);
    let (step, errors, values) = match post.outcome(&form) {
        WizardOutcome::Show { step, errors } => (step, errors, post.values),
        WizardOutcome::Create { values } => {
            if auth.check(&identity, Action::TaskCreate, &template.entity_ref, None).await.is_err() {
                let mut view = wizard_view(&auth, &template, &form, form.steps.len(), values);
                view.problem = Some("You may not run templates on this portal.".to_owned());
                return respond(portolan_frontend::render_wizard(&viewer, view));
            }
            match pages.scaffolder.start(&template, &form, &values, &Map::new(), Some(&identity.user_ref)).await {
                Ok(id) => {
                    auth.audit(&identity, Action::TaskCreate.as_str(), Some(&template.entity_ref), "ok", Some(&id)).await;
                    return Redirect::to(&portolan_frontend::pages::scaffold::task_href(&id)).into_response();
                }
                Err(CreateError::Invalid(errors)) => (form.step_of(&errors).unwrap_or(0), errors, values),
                Err(e) => {
                    tracing::error!(template = %template.entity_ref, "cannot start a task: {e:#}");
                    let mut view = wizard_view(&auth, &template, &form, form.steps.len(), values);
                    view.problem = Some(format!("The task could not be started: {e}"));
                    return respond(portolan_frontend::render_wizard(&viewer, view));
                }
            }
        }
    };
    let mut view = wizard_view(&auth, &template, &form, step, values);
    view.errors = errors;
    respond(portolan_frontend::render_wizard(&viewer, view))
}

/// How many tasks `/create/tasks` lists.
const RECENT_TASKS: i64 = 50;

/// The newest tasks, for `/create/tasks`.
async fn recent(scaffolder: &Scaffolder) -> Result<Vec<tasks::TaskRow>, sqlx::Error> {
    let filter = tasks::TaskFilter { limit: RECENT_TASKS, ..tasks::TaskFilter::default() };
    tasks::list(&scaffolder.db().pool, &filter).await.map(|(rows, _)| rows)
}
