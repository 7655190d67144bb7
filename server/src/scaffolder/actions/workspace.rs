//! Actions on the workspace itself: `fs:delete`, `fs:rename`, `debug:log`, `debug:wait`.

use std::time::Duration;

use serde_json::{Map, Value as Json, json};

use super::{Action, ActionContext, flag, strings, text};
use crate::scaffolder::paths;

/// `fs:delete`.
pub struct FsDelete;

#[async_trait::async_trait]
impl Action for FsDelete {
    fn id(&self) -> &'static str {
        "fs:delete"
    }
    fn description(&self) -> &'static str {
        "Deletes files and folders (paths or globs) from the workspace."
    }
    fn input_schema(&self) -> Json {
        json!({"type": "object", "required": ["files"], "properties": {"files": {"type": "array", "items": {"type": "string"}}}})
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        let files = strings(input, "files");
        if files.is_empty() {
            return Err("input.files must list at least one path".to_owned());
        }
        for pattern in files {
            paths::inside(ctx.workspace, &pattern)?;
            let matches: Vec<_> = if pattern.contains(['*', '?', '[']) {
                let glob = glob::Pattern::new(pattern.trim_start_matches("./")).map_err(|e| format!("bad glob {pattern:?}: {e}"))?;
                paths::list_files(ctx.workspace).into_iter().filter(|f| glob.matches(f)).collect()
            } else {
                vec![pattern.clone()]
            };
            for relative in matches {
                let path = paths::inside(ctx.workspace, &relative)?;
                let removed = match path.symlink_metadata() {
                    Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
                    Ok(_) => std::fs::remove_file(&path),
                    Err(_) => continue,
                };
                removed.map_err(|e| format!("cannot delete {relative}: {e}"))?;
                ctx.log(format!("Deleted {relative}"));
            }
        }
        Ok(())
    }
}

/// `fs:rename`.
pub struct FsRename;

#[async_trait::async_trait]
impl Action for FsRename {
    fn id(&self) -> &'static str {
        "fs:rename"
    }
    fn description(&self) -> &'static str {
        "Renames files and folders in the workspace."
    }
    fn input_schema(&self) -> Json {
        json!({"type": "object", "required": ["files"], "properties": {"files": {"type": "array", "items": {
            "type": "object", "required": ["from", "to"],
            "properties": {"from": {"type": "string"}, "to": {"type": "string"}, "overwrite": {"type": "boolean"}}
        }}}})
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        let Some(Json::Array(files)) = input.get("files") else {
            return Err("input.files must be an array of {from, to}".to_owned());
        };
        for (i, file) in files.iter().enumerate() {
            let Some(file) = file.as_object() else { return Err(format!("input.files[{i}] must be an object")) };
            let (Some(from), Some(to)) = (text(file, "from"), text(file, "to")) else {
                return Err(format!("input.files[{i}] needs from and to"));
            };
            let (src, dst) = (paths::inside(ctx.workspace, from)?, paths::inside(ctx.workspace, to)?);
            if src.symlink_metadata().is_err() {
                return Err(format!("input.files[{i}].from: {from} does not exist"));
            }
            if dst.symlink_metadata().is_ok() && !flag(file, "overwrite", false) {
                return Err(format!("input.files[{i}].to: {to} exists; set overwrite: true to replace it"));
            }
            if let Some(parent) = dst.parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            std::fs::rename(&src, &dst).map_err(|e| format!("cannot rename {from} to {to}: {e}"))?;
            ctx.log(format!("Renamed {from} to {to}"));
        }
        Ok(())
    }
}

/// `debug:log`.
pub struct DebugLog;

#[async_trait::async_trait]
impl Action for DebugLog {
    fn id(&self) -> &'static str {
        "debug:log"
    }
    fn description(&self) -> &'static str {
        "Writes a message, and optionally the workspace's files, to the task log."
    }
    fn input_schema(&self) -> Json {
        json!({"type": "object", "properties": {"message": {"type": "string"}, "listWorkspace": {"type": ["boolean", "string"], "description": "true or \"with-filenames\" lists the files; \"with-contents\" prints them too."}}})
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        if let Some(message) = input.get("message") {
            ctx.log(match message {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            });
        }
        let list = match input.get("listWorkspace") {
            Some(Json::Bool(true)) => Some(false),
            Some(Json::String(s)) if s == "with-filenames" => Some(false),
            Some(Json::String(s)) if s == "with-contents" => Some(true),
            _ => None,
        };
        if let Some(contents) = list {
            for file in paths::list_files(ctx.workspace) {
                if contents {
                    let body = std::fs::read_to_string(ctx.workspace.join(&file)).unwrap_or_else(|_| "(binary)".to_owned());
                    ctx.log(format!("{file}:\n{body}"));
                } else {
                    ctx.log(file);
                }
            }
        }
        Ok(())
    }
}

/// `debug:wait`.
pub struct DebugWait;

/// The longest wait `debug:wait` accepts.
const LONGEST_WAIT: Duration = Duration::from_secs(600);

#[async_trait::async_trait]
impl Action for DebugWait {
    fn id(&self) -> &'static str {
        "debug:wait"
    }
    fn description(&self) -> &'static str {
        "Waits a while (at most ten minutes); a cancel ends the wait."
    }
    fn input_schema(&self) -> Json {
        json!({"type": "object", "properties": {"minutes": {"type": "number"}, "seconds": {"type": "number"}, "milliseconds": {"type": "number"}}})
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        let number = |k: &str| input.get(k).and_then(Json::as_f64).unwrap_or(0.0).max(0.0);
        let seconds = number("minutes") * 60.0 + number("seconds") + number("milliseconds") / 1000.0;
        let wait = Duration::try_from_secs_f64(seconds).unwrap_or(LONGEST_WAIT);
        if wait > LONGEST_WAIT {
            return Err(format!("debug:wait waits at most {} seconds", LONGEST_WAIT.as_secs()));
        }
        ctx.log(format!("Waiting {seconds} seconds"));
        let mut cancelled = ctx.cancelled.clone();
        tokio::select! {
            () = tokio::time::sleep(wait) => Ok(()),
            _ = cancelled.wait_for(|c| *c) => Err("cancelled while waiting".to_owned()),
        }
    }
}
