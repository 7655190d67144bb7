//! The scaffolder's pages: the template list (`/create`), a template's
//! wizard (`/create/templates/:namespace/:name`), a task as it runs
//! (`/create/tasks/:id`) and the recent tasks (`/create/tasks`).
//!
//! The server fills the view types below; the form itself, its field
//! names and what a post means come from [`portolan_catalog::template`], so
//! that the page and the server that reads it back agree.

pub mod inputs;
pub mod review;
pub mod task;
pub mod templates;
pub mod wizard;

use std::collections::BTreeMap;

use portolan_catalog::template::{FieldError, TemplateForm};
use serde_json::{Map, Value};

use crate::data::EntitySummary;

/// Where the live task page's script is served; the server must answer this path.
pub const TASK_FOLLOW_SCRIPT_PATH: &str = "/static/task-follow.js";

/// The task page's script: follows the task's event stream and updates the page.
pub const TASK_FOLLOW_SCRIPT: &str = include_str!("../../../assets/task-follow.js");

/// The wizard of `template`: its address, used as the form's action.
pub fn template_href(template: &EntitySummary) -> String {
    format!("/create/templates/{}/{}", super::encode_path_segment(&template.namespace), super::encode_path_segment(&template.name))
}

/// The page of task `id`.
pub fn task_href(id: &str) -> String {
    format!("/create/tasks/{}", super::encode_path_segment(id))
}

/// One choice of an entity picker (`OwnerPicker`, `EntityPicker`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerOption {
    /// The value the form posts: an entity reference, e.g. `group:default/payments`.
    pub value: String,
    /// What to show, e.g. the entity's title.
    pub label: String,
}

/// `spec.presentation.buttonLabels`: what the template calls the wizard's buttons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonLabels {
    /// `backButtonText`.
    pub back: String,
    /// `reviewButtonText`.
    pub review: String,
    /// `createButtonText`.
    pub create: String,
}

impl Default for ButtonLabels {
    fn default() -> Self {
        ButtonLabels { back: "Back".to_owned(), review: "Review".to_owned(), create: "Create".to_owned() }
    }
}

impl ButtonLabels {
    /// Reads `spec.presentation` (missing or empty labels keep the defaults).
    pub fn from_presentation(presentation: Option<&Value>) -> ButtonLabels {
        let labels = presentation.and_then(|p| p.get("buttonLabels"));
        let text = |key: &str, fallback: String| {
            labels.and_then(|l| l.get(key)).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).map_or(fallback, str::to_owned)
        };
        let d = ButtonLabels::default();
        ButtonLabels { back: text("backButtonText", d.back), review: text("reviewButtonText", d.review), create: text("createButtonText", d.create) }
    }
}

/// Everything the wizard page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WizardView {
    /// The template.
    pub template: EntitySummary,
    /// Its form.
    pub form: TemplateForm,
    /// The step shown; the number of steps means the review.
    pub step: usize,
    /// The values entered so far (carried in the form's hidden state).
    pub values: Map<String, Value>,
    /// Problems of the submitted values, shown next to their fields.
    pub errors: Vec<FieldError>,
    /// Choices per field path for the entity pickers, computed by the server from `catalogFilter`.
    pub options: BTreeMap<String, Vec<PickerOption>>,
    /// The buttons' labels.
    pub labels: ButtonLabels,
    /// A page-level problem, e.g. the task could not start.
    pub problem: Option<String>,
}

/// A step of a running task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStepView {
    /// The step's `id`.
    pub id: String,
    /// Its `name`.
    pub name: String,
    /// Its action, e.g. `fetch:template`.
    pub action: String,
    /// `open`, `processing`, `completed`, `failed`, `skipped` or `cancelled`.
    pub status: String,
}

/// A line of a task's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskLogLine {
    /// The event's id (increasing), so the script can continue after the last one shown.
    pub id: i64,
    /// When, as RFC 3339.
    pub created_at: String,
    /// The step it belongs to.
    pub step_id: Option<String>,
    /// The text.
    pub message: String,
}

/// A link of the task's output (`output.links`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskLink {
    /// What to call it.
    pub title: String,
    /// Where: absolute, or a portal path such as `/catalog/default/component/x`.
    pub url: String,
    /// Backstage's icon name, e.g. `github`, `catalog`.
    pub icon: Option<String>,
}

/// A text of the task's output (`output.text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskText {
    /// Its heading.
    pub title: String,
    /// The text (Markdown in Backstage; shown as written).
    pub content: String,
}

/// Everything the task page shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskView {
    /// The task id.
    pub id: String,
    /// The template's title.
    pub template_title: String,
    /// The template's wizard, to start another.
    pub template_href: Option<String>,
    /// `open`, `processing`, `completed`, `failed` or `cancelled`.
    pub status: String,
    /// When it was created, RFC 3339.
    pub created_at: String,
    /// Who started it (an entity reference).
    pub created_by: Option<String>,
    /// Its steps in order.
    pub steps: Vec<TaskStepView>,
    /// The log so far.
    pub log: Vec<TaskLogLine>,
    /// Output links, once completed.
    pub links: Vec<TaskLink>,
    /// Output texts, once completed.
    pub texts: Vec<TaskText>,
    /// Why it failed.
    pub error: Option<String>,
    /// Whether the viewer may cancel it.
    pub may_cancel: bool,
}

impl TaskView {
    /// Whether it is still running (so the page follows it).
    pub fn is_running(&self) -> bool {
        matches!(self.status.as_str(), "open" | "processing")
    }
}

/// A row of the recent tasks list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskRowView {
    /// The task id.
    pub id: String,
    /// The template's title.
    pub template_title: String,
    /// The template's wizard.
    pub template_href: Option<String>,
    /// Its status.
    pub status: String,
    /// Who started it.
    pub created_by: Option<String>,
    /// When, RFC 3339.
    pub created_at: String,
}

/// `2024-05-01T10:20:30.123Z` as `2024-05-01 10:20:30` (the way people read it; the `datetime` attribute keeps the exact time).
pub fn short_time(rfc3339: &str) -> String {
    let t = rfc3339.replacen('T', " ", 1);
    t.get(..19).map_or(t.clone(), str::to_owned)
}

#[cfg(test)]
mod tests;
