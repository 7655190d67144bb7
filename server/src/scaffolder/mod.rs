//! The scaffolder: Backstage `scaffolder.backstage.io/v1beta3` templates run
//! as tasks stored in the database, by workers in every replica.
//!
//! [`Scaffolder::create_task`] stores an open task; a worker claims it
//! (`open → processing`), runs its steps in a fresh workspace and ends it
//! `completed`, `failed` or `cancelled`. Events go to the database and to
//! live followers at once; a heartbeat tells a running task from one a
//! stopped server left behind, which is marked failed with a clear message.

pub mod actions;
pub mod api;
pub mod dry_run;
pub mod expr;
pub mod paths;
pub mod runner;
mod worker;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value as Json, json};
use tokio::sync::{Notify, broadcast, watch};

use crate::store::Db;
use crate::store::entities;
use crate::store::tasks::{self, TaskEvent, TaskRow, TaskStatus};
use actions::{ActionRegistry, Services, TemplateBase};
use portolan_catalog::template::{FieldError, TemplateForm};

/// Limits and places of the scaffolder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaffolderSettings {
    /// Where task workspaces are made (each removed when its task ends).
    pub workspace_root: PathBuf,
    /// Tasks one replica runs at once.
    pub concurrent_tasks: usize,
}

impl Default for ScaffolderSettings {
    fn default() -> Self {
        Self { workspace_root: std::env::temp_dir().join("portolan-scaffolder"), concurrent_tasks: 10 }
    }
}

/// Why a task was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// No such template in the catalog.
    #[error("{0}")]
    NotFound(String),
    /// The values do not match the template's parameters.
    #[error("the values do not match the template's parameters")]
    Invalid(Vec<FieldError>),
    /// The request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Storing failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// A template from the catalog, with where its skeletons are.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateEntity {
    /// The entity's canonical ref.
    pub entity_ref: String,
    /// The entity, as stored.
    pub entity: Json,
    /// `file:///dir/` or the URL of its folder.
    pub base_url: Option<String>,
}

impl TemplateEntity {
    /// The parameters form.
    pub fn form(&self) -> TemplateForm {
        TemplateForm::from_parameters(self.entity.pointer("/spec/parameters")).0
    }
}

/// The folder of the file an entity was read from, as a URL.
fn base_url_of(entity: &Json) -> Option<String> {
    let location = entity.pointer("/metadata/annotations/backstage.io~1managed-by-location")?.as_str()?;
    let (kind, target) = location.split_once(':')?;
    match kind {
        "file" => {
            let dir = std::path::Path::new(target).parent()?;
            url::Url::from_directory_path(dir).ok().map(|u| u.to_string())
        }
        "url" => url::Url::parse(target).ok()?.join("./").ok().map(|u| u.to_string()),
        _ => None,
    }
}

/// The scaffolder of one replica.
pub struct Scaffolder {
    db: Db,
    actions: ActionRegistry,
    services: Services,
    settings: ScaffolderSettings,
    live: Mutex<HashMap<String, watch::Sender<bool>>>,
    events: broadcast::Sender<TaskEvent>,
    wake: Notify,
}

impl std::fmt::Debug for Scaffolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scaffolder").field("settings", &self.settings).field("actions", &self.actions).finish()
    }
}

impl Scaffolder {
    /// A scaffolder over the catalog's database.
    pub fn new(services: Services, settings: ScaffolderSettings) -> Arc<Scaffolder> {
        let (events, _) = broadcast::channel(1024);
        Arc::new(Scaffolder {
            db: services.catalog.db.clone(),
            actions: ActionRegistry::default(),
            services,
            settings,
            live: Mutex::new(HashMap::new()),
            events,
            wake: Notify::new(),
        })
    }

    /// A scaffolder with no publishing targets and workspaces in the temp folder
    /// (benchmarks and tests that do not run templates).
    pub fn with_defaults(catalog: Arc<crate::ingest::Catalog>) -> Arc<Scaffolder> {
        Scaffolder::new(Services { catalog, github: Vec::new(), git: actions::GitSettings::default(), urls: None }, ScaffolderSettings::default())
    }

    /// The built-in actions.
    pub fn actions(&self) -> &ActionRegistry {
        &self.actions
    }

    /// The catalog and publishing targets actions use.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The template `ref` (`[template:][namespace/]name`), if the catalog has it.
    pub async fn template(&self, reference: &str) -> anyhow::Result<Option<TemplateEntity>> {
        let defaults = portolan_catalog::RefDefaults { kind: Some("template"), namespace: None };
        let Ok(parsed) = portolan_catalog::EntityRef::parse(reference, defaults) else { return Ok(None) };
        if parsed.kind() != "template" {
            return Ok(None);
        }
        let Some(row) = entities::by_ref(&self.db.pool, &parsed.to_string()).await? else { return Ok(None) };
        let entity: Json = serde_json::from_str(&row.body)?;
        let base_url = base_url_of(&entity);
        Ok(Some(TemplateEntity { entity_ref: row.entity_ref, entity, base_url }))
    }

    /// Validates `values` and stores an open task for the template; its id.
    pub async fn create_task(&self, template_ref: &str, values: &Map<String, Json>, secrets: &Map<String, Json>, user_ref: Option<&str>) -> Result<String, CreateError> {
        let Some(template) = self.template(template_ref).await? else {
            return Err(CreateError::NotFound(format!("Template {template_ref} was not found in the catalog")));
        };
        self.start(&template, &template.form(), values, secrets, user_ref).await
    }

    /// [`Scaffolder::create_task`] for a template already read, with its form.
    pub async fn start(&self, template: &TemplateEntity, form: &TemplateForm, values: &Map<String, Json>, secrets: &Map<String, Json>, user_ref: Option<&str>) -> Result<String, CreateError> {
        if template.entity.get("apiVersion").and_then(Json::as_str) != Some("scaffolder.backstage.io/v1beta3") {
            return Err(CreateError::BadRequest(format!("Template {} is not a scaffolder.backstage.io/v1beta3 template", template.entity_ref)));
        }
        let values = form.with_defaults(values);
        let errors = form.validate(&values);
        if !errors.is_empty() {
            return Err(CreateError::Invalid(errors));
        }
        let user = match user_ref {
            Some(r) => {
                let entity = entities::by_ref(&self.db.pool, r).await.map_err(anyhow::Error::from)?.and_then(|row| serde_json::from_str::<Json>(&row.body).ok());
                json!({"ref": r, "entity": entity})
            }
            None => json!({}),
        };
        let spec = json!({
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "steps": template.entity.pointer("/spec/steps").cloned().unwrap_or_else(|| json!([])),
            "output": template.entity.pointer("/spec/output").cloned().unwrap_or_else(|| json!({})),
            "parameters": values,
            "user": user,
            "templateInfo": {
                "entityRef": template.entity_ref,
                "baseUrl": template.base_url,
                "entity": {"metadata": template.entity.get("metadata").cloned().unwrap_or(Json::Null)},
            },
        });
        let task = TaskRow {
            id: uuid::Uuid::new_v4().to_string(),
            spec,
            status: TaskStatus::Open,
            created_at: entities::now(),
            created_by: user_ref.map(str::to_owned),
            last_heartbeat_at: None,
            cancel_requested: false,
            state: json!({}),
        };
        tasks::insert(&self.db.pool, &task, &Json::Object(secrets.clone())).await.map_err(anyhow::Error::from)?;
        self.wake.notify_one();
        Ok(task.id)
    }

    /// Cancels a task that has not ended; its status afterwards, `None` if there is no such task.
    pub async fn cancel(&self, id: &str) -> anyhow::Result<Option<TaskStatus>> {
        let Some(task) = tasks::get(&self.db.pool, id).await? else { return Ok(None) };
        if task.status == TaskStatus::Open && tasks::finish(&self.db.pool, id, TaskStatus::Cancelled, &task.state).await? {
            self.emit(id, "cancelled", json!({"message": "Run cancelled before it started", "status": "cancelled"})).await?;
            self.emit(id, "completion", json!({"message": "Run cancelled", "status": "cancelled"})).await?;
            return Ok(Some(TaskStatus::Cancelled));
        }
        if tasks::request_cancel(&self.db.pool, id).await? {
            self.signal_cancel(id);
            return Ok(Some(TaskStatus::Cancelled));
        }
        Ok(tasks::get(&self.db.pool, id).await?.map(|t| t.status))
    }

    fn signal_cancel(&self, id: &str) {
        if let Ok(live) = self.live.lock()
            && let Some(tx) = live.get(id)
        {
            let _ = tx.send(true);
        }
    }

    /// Stores an event and passes it to live followers.
    pub async fn emit(&self, task_id: &str, event_type: &str, body: Json) -> anyhow::Result<TaskEvent> {
        let event = tasks::append_event(&self.db.pool, task_id, event_type, &body, &entities::now()).await?;
        let _ = self.events.send(event.clone());
        Ok(event)
    }

    /// Events of every task as this replica stores them.
    pub fn subscribe(&self) -> broadcast::Receiver<TaskEvent> {
        self.events.subscribe()
    }

    /// Where a task's skeletons are.
    fn base_of(spec: &Json) -> TemplateBase {
        TemplateBase::from_base_url(spec.pointer("/templateInfo/baseUrl").and_then(Json::as_str))
    }
}
