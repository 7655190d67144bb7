//! The built-in actions a template's steps call, and what each is given.
//!
//! An action reads its rendered `input`, works in the task's workspace, logs
//! as it goes and sets outputs; `GET /v2/actions` lists each with its input
//! schema.

mod catalog;
mod fetch;
mod git;
mod publish;
mod workspace;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value as Json, json};
use tokio::sync::{mpsc, watch};

use crate::ingest::Catalog;

pub use git::GitSettings;
pub use publish::GithubPublishTarget;

/// Where the template's relative `url`s point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateBase {
    /// A folder on this machine (the template was read from a file).
    Dir(PathBuf),
    /// The URL of the folder the template was read from.
    Url(String),
    /// None known (a dry run without files).
    None,
}

impl TemplateBase {
    /// From a task's `templateInfo.baseUrl` (`file:///dir/` or a URL).
    pub fn from_base_url(base: Option<&str>) -> TemplateBase {
        match base {
            Some(b) if b.starts_with("file://") => match url::Url::parse(b).ok().and_then(|u| u.to_file_path().ok()) {
                Some(dir) => TemplateBase::Dir(dir),
                None => TemplateBase::None,
            },
            Some(b) if !b.is_empty() => TemplateBase::Url(b.to_owned()),
            _ => TemplateBase::None,
        }
    }
}

/// What actions reach beyond the workspace: the catalog and publishing targets.
#[derive(Clone)]
pub struct Services {
    /// The catalog `catalog:register` registers in.
    pub catalog: Arc<Catalog>,
    /// GitHub hosts `publish:github` may create repositories on.
    pub github: Vec<GithubPublishTarget>,
    /// How commits are made and which remotes `publish:git` may push to.
    pub git: GitSettings,
    /// Reads skeletons of templates that came from URLs (GitHub through its API).
    pub urls: Option<crate::ingest::url_reader::UrlReader>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").field("github", &self.github).field("git", &self.git).finish()
    }
}

/// What one run of an action is given and gives back.
pub struct ActionContext<'a> {
    /// The task's workspace; every path is relative to it.
    pub workspace: &'a Path,
    /// Where relative template URLs point.
    pub base: &'a TemplateBase,
    /// The catalog and publishing targets (absent in dry runs without a catalog).
    pub services: Option<&'a Services>,
    /// The user who started the task, as `{ref, entity?}`.
    pub user: &'a Json,
    /// The task's secrets.
    pub secrets: &'a Map<String, Json>,
    /// The template's entity ref, for `backstage.io/source-template`.
    pub template_ref: Option<&'a str>,
    /// Whether this is a dry run: nothing may leave the workspace.
    pub dry_run: bool,
    /// Outputs set so far.
    pub output: Map<String, Json>,
    /// Becomes true when the task is cancelled.
    pub cancelled: watch::Receiver<bool>,
    log: mpsc::UnboundedSender<String>,
}

impl<'a> ActionContext<'a> {
    /// A context whose log lines go to `log`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        workspace: &'a Path,
        base: &'a TemplateBase,
        services: Option<&'a Services>,
        user: &'a Json,
        secrets: &'a Map<String, Json>,
        template_ref: Option<&'a str>,
        dry_run: bool,
        cancelled: watch::Receiver<bool>,
        log: mpsc::UnboundedSender<String>,
    ) -> Self {
        Self { workspace, base, services, user, secrets, template_ref, dry_run, output: Map::new(), cancelled, log }
    }

    /// Writes one line to the task's log.
    pub fn log(&self, line: impl Into<String>) {
        let _ = self.log.send(line.into());
    }

    /// Sets an output of the step.
    pub fn set_output(&mut self, key: &str, value: impl Into<Json>) {
        self.output.insert(key.to_owned(), value.into());
    }

    /// The services, or an error saying the action needs them.
    pub fn services(&self, action: &str) -> Result<&'a Services, String> {
        self.services.ok_or_else(|| format!("{action} needs the catalog and publishing settings, which this run does not have"))
    }
}

/// What a dry run does with an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    /// It only touches the workspace: run it.
    Run,
    /// It would reach outside (publish, register): skip it and say so.
    Skip,
}

/// One built-in action.
#[async_trait::async_trait]
pub trait Action: Send + Sync {
    /// Its id, e.g. `fetch:template`.
    fn id(&self) -> &'static str;
    /// One sentence on what it does.
    fn description(&self) -> &'static str;
    /// JSON Schema of its input.
    fn input_schema(&self) -> Json;
    /// JSON Schema of its output.
    fn output_schema(&self) -> Json {
        json!({"type": "object", "properties": {}})
    }
    /// Whether dry runs run it.
    fn dry_run(&self) -> DryRun {
        DryRun::Run
    }
    /// Runs it; an error message fails the step.
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String>;
}

/// Every built-in action, by id.
pub struct ActionRegistry {
    actions: BTreeMap<&'static str, Box<dyn Action>>,
}

impl std::fmt::Debug for ActionRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.actions.keys()).finish()
    }
}

impl Default for ActionRegistry {
    fn default() -> Self {
        let list: Vec<Box<dyn Action>> = vec![
            Box::new(fetch::FetchTemplate),
            Box::new(fetch::FetchTemplateFile),
            Box::new(fetch::FetchPlain),
            Box::new(fetch::FetchPlainFile),
            Box::new(workspace::FsDelete),
            Box::new(workspace::FsRename),
            Box::new(workspace::DebugLog),
            Box::new(workspace::DebugWait),
            Box::new(catalog::CatalogWrite),
            Box::new(catalog::CatalogRegister),
            Box::new(catalog::CatalogFetch),
            Box::new(publish::PublishGit),
            Box::new(publish::PublishGithub),
        ];
        Self { actions: list.into_iter().map(|a| (a.id(), a)).collect() }
    }
}

impl ActionRegistry {
    /// The action with this id.
    pub fn get(&self, id: &str) -> Option<&dyn Action> {
        self.actions.get(id).map(|a| a.as_ref())
    }

    /// `GET /v2/actions`: `[{id, description, schema: {input, output}}]`.
    pub fn describe(&self) -> Json {
        Json::Array(
            self.actions
                .values()
                .map(|a| json!({"id": a.id(), "description": a.description(), "examples": [], "schema": {"input": a.input_schema(), "output": a.output_schema()}}))
                .collect(),
        )
    }
}

/// A string input, or `None` when absent or not a string.
pub fn text<'a>(input: &'a Map<String, Json>, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Json::as_str)
}

/// A required string input.
pub fn required_text<'a>(input: &'a Map<String, Json>, key: &str) -> Result<&'a str, String> {
    match input.get(key) {
        Some(Json::String(s)) if !s.is_empty() => Ok(s),
        Some(other) if !other.is_null() => Err(format!("input.{key} must be a string, got {other}")),
        _ => Err(format!("input.{key} is required")),
    }
}

/// A boolean input with its default.
pub fn flag(input: &Map<String, Json>, key: &str, default: bool) -> bool {
    input.get(key).and_then(Json::as_bool).unwrap_or(default)
}

/// An array-of-strings input (a lone string counts as one item).
pub fn strings(input: &Map<String, Json>, key: &str) -> Vec<String> {
    match input.get(key) {
        Some(Json::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(Json::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}
