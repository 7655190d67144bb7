//! `POST /v2/dry-run`: a template run in a throwaway workspace, actions that
//! would reach outside skipped, the resulting files returned. Template
//! authors see what their skeleton renders to before anything is published.

use std::path::Path;

use base64::Engine as _;
use serde_json::{Map, Value as Json, json};
use tokio::sync::watch;

use super::actions::{ActionRegistry, Services, TemplateBase};
use super::paths;
use super::runner::{Collected, Run, Stopped, steps_of};

/// One file of a dry run's workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRunFile {
    /// Path relative to the workspace, `/`-separated.
    pub path: String,
    /// Contents.
    pub contents: Vec<u8>,
    /// Whether its mode makes it executable.
    pub executable: bool,
}

/// What a dry run gives back.
#[derive(Debug, Clone, PartialEq)]
pub struct DryRunResult {
    /// The log events' bodies, in order, as `{body}`.
    pub log: Vec<Json>,
    /// The workspace's files at the end.
    pub files: Vec<DryRunFile>,
    /// The rendered output (empty when a step failed).
    pub output: Json,
    /// The steps: `{id, name, action}`.
    pub steps: Vec<Json>,
    /// Why it did not complete, if it did not.
    pub error: Option<String>,
}

impl DryRunResult {
    /// Backstage's response: `{log, directoryContents, output, steps}`.
    pub fn to_json(&self) -> Json {
        let engine = base64::engine::general_purpose::STANDARD;
        let contents: Vec<Json> = self
            .files
            .iter()
            .map(|f| json!({"path": f.path, "base64Content": engine.encode(&f.contents), "executable": f.executable}))
            .collect();
        let mut out = json!({"log": self.log, "directoryContents": contents, "output": self.output, "steps": self.steps});
        if let Some(error) = &self.error {
            out["error"] = Json::String(error.clone());
        }
        out
    }
}

/// The task spec a dry run of `template` with `values` runs.
fn spec_of(template: &Json, values: &Map<String, Json>, user: &Json) -> Json {
    json!({
        "apiVersion": template.get("apiVersion").cloned().unwrap_or(Json::Null),
        "steps": template.pointer("/spec/steps").cloned().unwrap_or_else(|| json!([])),
        "output": template.pointer("/spec/output").cloned().unwrap_or_else(|| json!({})),
        "parameters": values,
        "user": user,
    })
}

/// Runs `template` in a fresh workspace under `scratch`; skeletons come from `base`.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    actions: &ActionRegistry,
    services: Option<&Services>,
    scratch: &Path,
    template: &Json,
    values: &Map<String, Json>,
    secrets: &Map<String, Json>,
    base: &TemplateBase,
    user: &Json,
) -> std::io::Result<DryRunResult> {
    let workspace = scratch.join(format!("dry-run-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&workspace)?;
    let spec = spec_of(template, values, user);
    let sink = Collected::default();
    let (_cancel_tx, cancelled) = watch::channel(false);
    let template_ref = template.pointer("/metadata/name").and_then(Json::as_str).map(|n| format!("template:default/{n}"));
    let run = Run { actions, workspace: &workspace, base, services, template_ref: template_ref.as_deref(), dry_run: true, cancelled, sink: &sink };
    let result = run.execute(&spec, secrets).await;
    let files = paths::list_files(&workspace)
        .into_iter()
        .filter_map(|path| {
            let full = workspace.join(&path);
            let contents = std::fs::read(&full).ok()?;
            Some(DryRunFile { executable: is_executable(&full), path, contents })
        })
        .collect();
    let _ = std::fs::remove_dir_all(&workspace);
    let (output, error) = match result {
        Ok(output) => (output, None),
        Err(Stopped::Failed(message)) => (json!({}), Some(message)),
        Err(Stopped::Cancelled) => (json!({}), Some("cancelled".to_owned())),
    };
    let steps = steps_of(&spec).into_iter().map(|s| json!({"id": s.id, "name": s.name, "action": s.action})).collect();
    Ok(DryRunResult { log: sink.0.into_inner().unwrap_or_default(), files, output, steps, error })
}

/// Writes Backstage's `directoryContents` (`[{path, base64Content}]`) under `dir`, refusing paths that leave it.
pub fn write_contents(dir: &Path, contents: &[Json]) -> Result<(), String> {
    let engine = base64::engine::general_purpose::STANDARD;
    for (i, item) in contents.iter().enumerate() {
        let path = item.get("path").and_then(Json::as_str).ok_or_else(|| format!("directoryContents[{i}].path is required"))?;
        let data = item.get("base64Content").and_then(Json::as_str).unwrap_or_default();
        let bytes = engine.decode(data).map_err(|e| format!("directoryContents[{i}].base64Content is not base64: {e}"))?;
        let target = paths::inside(dir, path).map_err(|e| format!("directoryContents[{i}].path: {e}"))?;
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("directoryContents[{i}]: {e}"))?;
        }
        std::fs::write(&target, bytes).map_err(|e| format!("directoryContents[{i}]: {e}"))?;
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> bool {
    false
}
