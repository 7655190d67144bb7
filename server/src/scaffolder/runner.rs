//! Running a task's steps in order: `if` and `each`, inputs rendered with
//! `${{ }}`, each action given the workspace, its log lines sent as events
//! while it runs, outputs collected for later steps and the task's output.
//! Real runs and dry runs share this; only the [`Sink`] and flags differ.

use std::sync::Mutex;

use serde_json::{Map, Value as Json, json};
use tokio::sync::{mpsc, watch};

use super::actions::{ActionContext, ActionRegistry, DryRun, Services, TemplateBase};
use super::expr::Templater;

/// Where step changes and log lines go.
#[async_trait::async_trait]
pub trait Sink: Send + Sync {
    /// One `log` event: `{message, stepId?, status?}`.
    async fn log(&self, body: Json);
}

/// A dry run's sink: the lines, in order.
#[derive(Debug, Default)]
pub struct Collected(pub Mutex<Vec<Json>>);

#[async_trait::async_trait]
impl Sink for Collected {
    async fn log(&self, body: Json) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push(json!({"body": body}));
        }
    }
}

/// A step as it is run: its id, name and action, with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct StepInfo {
    /// `id`, or `step-<n>`.
    pub id: String,
    /// `name`, or the action.
    pub name: String,
    /// The action id.
    pub action: String,
    /// The step as written.
    pub raw: Map<String, Json>,
}

/// The steps of a task spec, with Backstage's defaults.
pub fn steps_of(spec: &Json) -> Vec<StepInfo> {
    let Some(Json::Array(steps)) = spec.get("steps") else { return Vec::new() };
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let raw = step.as_object().cloned().unwrap_or_default();
            let action = raw.get("action").and_then(Json::as_str).unwrap_or_default().to_owned();
            let id = raw.get("id").and_then(Json::as_str).map_or_else(|| format!("step-{}", i + 1), str::to_owned);
            let name = raw.get("name").and_then(Json::as_str).map_or_else(|| action.clone(), str::to_owned);
            StepInfo { id, name, action, raw }
        })
        .collect()
}

/// How a run ended, when it did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// A step failed, with the message.
    Failed(String),
    /// Someone cancelled it.
    Cancelled,
}

/// Everything one run needs.
pub struct Run<'a> {
    /// The actions steps may call.
    pub actions: &'a ActionRegistry,
    /// The task's workspace.
    pub workspace: &'a std::path::Path,
    /// Where relative template URLs point.
    pub base: &'a TemplateBase,
    /// Catalog and publishing targets.
    pub services: Option<&'a Services>,
    /// The template's entity ref.
    pub template_ref: Option<&'a str>,
    /// Whether actions that reach outside are skipped.
    pub dry_run: bool,
    /// Becomes true on cancel.
    pub cancelled: watch::Receiver<bool>,
    /// Where events go.
    pub sink: &'a dyn Sink,
}

impl Run<'_> {
    /// Runs every step of `spec` with `secrets`; the rendered `output`.
    pub async fn execute(&self, spec: &Json, secrets: &Map<String, Json>) -> Result<Json, Stopped> {
        let templater = Templater::backstage();
        let user = spec.get("user").cloned().unwrap_or_else(|| json!({}));
        let mut context = json!({
            "parameters": spec.get("parameters").cloned().unwrap_or_else(|| json!({})),
            "steps": {},
            "secrets": secrets,
            "user": user,
        });
        for step in steps_of(spec) {
            if *self.cancelled.borrow() {
                self.sink.log(json!({"stepId": step.id, "status": "cancelled", "message": "Cancelled before this step started"})).await;
                return Err(Stopped::Cancelled);
            }
            if let Some(condition) = step.raw.get("if") {
                match templater.condition(condition, &context, &format!("steps.{}.if", step.id)) {
                    Ok(false) => {
                        self.sink.log(json!({"stepId": step.id, "status": "skipped", "message": format!("Skipping step {}: its if is false", step.id)})).await;
                        continue;
                    }
                    Ok(true) => {}
                    Err(e) => return self.fail(&step, e.to_string()).await,
                }
            }
            self.sink.log(json!({"stepId": step.id, "status": "processing", "message": format!("Beginning step {}", step.name)})).await;
            match self.run_step(&templater, &step, &mut context, secrets, &user).await {
                Ok(()) => {
                    self.sink.log(json!({"stepId": step.id, "status": "completed", "message": format!("Finished step {}", step.name)})).await;
                }
                Err(Stopped::Cancelled) => {
                    self.sink.log(json!({"stepId": step.id, "status": "cancelled", "message": format!("Step {} was cancelled", step.name)})).await;
                    return Err(Stopped::Cancelled);
                }
                Err(Stopped::Failed(message)) => return self.fail(&step, message).await,
            }
        }
        render_output(&templater, spec.get("output"), &context).map_err(Stopped::Failed)
    }

    async fn fail(&self, step: &StepInfo, message: String) -> Result<Json, Stopped> {
        let message = format!("Step {} ({}) failed: {message}", step.id, step.action);
        self.sink.log(json!({"stepId": step.id, "status": "failed", "message": message})).await;
        Err(Stopped::Failed(message))
    }

    async fn run_step(&self, templater: &Templater, step: &StepInfo, context: &mut Json, secrets: &Map<String, Json>, user: &Json) -> Result<(), Stopped> {
        let failed = |e: super::expr::TemplateError| Stopped::Failed(e.to_string());
        if step.action.is_empty() {
            return Err(Stopped::Failed("the step names no action (an unresolved $yaml or $text reference leaves it empty)".to_owned()));
        }
        let Some(action) = self.actions.get(&step.action) else {
            return Err(Stopped::Failed(format!("unknown action \"{}\"; GET /api/scaffolder/v2/actions lists the ones this portal has", step.action)));
        };
        if self.dry_run && action.dry_run() == DryRun::Skip {
            self.sink.log(json!({"stepId": step.id, "message": format!("Skipping {} in a dry run: it would reach outside the workspace", step.action)})).await;
            return Ok(());
        }
        let items: Vec<(Json, Json)> = match step.raw.get("each") {
            None => vec![(Json::Null, Json::Null)],
            Some(each) => match templater.render_value(each, context, &format!("steps.{}.each", step.id)).map_err(failed)? {
                Some(Json::Array(items)) => items.into_iter().enumerate().map(|(i, v)| (Json::String(i.to_string()), v)).collect(),
                Some(Json::Object(map)) => map.into_iter().map(|(k, v)| (Json::String(k), v)).collect(),
                other => return Err(Stopped::Failed(format!("each must give an array or an object, got {}", other.unwrap_or(Json::Null)))),
            },
        };
        let repeated = step.raw.contains_key("each");
        let mut outputs = Map::new();
        for (key, value) in items {
            if repeated {
                context["each"] = json!({"key": key, "value": value});
                self.sink.log(json!({"stepId": step.id, "message": format!("Running {} for {key}", step.action)})).await;
            }
            let input = step.raw.get("input").cloned().unwrap_or_else(|| json!({}));
            let input = templater.render_value(&input, context, &format!("steps.{}.input", step.id)).map_err(failed)?;
            let Some(Json::Object(input)) = input else {
                return Err(Stopped::Failed("input must be an object".to_owned()));
            };
            let output = self.run_action(action, step, &input, secrets, user).await?;
            for (k, v) in output {
                if repeated {
                    let list = outputs.entry(k).or_insert_with(|| Json::Array(Vec::new()));
                    if let Json::Array(list) = list {
                        list.push(v);
                    }
                } else {
                    outputs.insert(k, v);
                }
            }
        }
        if let Some(map) = context.as_object_mut() {
            map.remove("each");
        }
        context["steps"][step.id.as_str()] = json!({"output": outputs});
        Ok(())
    }

    async fn run_action(&self, action: &dyn super::actions::Action, step: &StepInfo, input: &Map<String, Json>, secrets: &Map<String, Json>, user: &Json) -> Result<Map<String, Json>, Stopped> {
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        let mut cancelled = self.cancelled.clone();
        let run = async {
            let mut ctx = ActionContext::new(self.workspace, self.base, self.services, user, secrets, self.template_ref, self.dry_run, self.cancelled.clone(), tx);
            // A cancel wins over whatever the action says as it stops (an
            // action that watches the signal itself fails with "cancelled").
            let result = tokio::select! {
                biased;
                _ = cancelled.wait_for(|c| *c) => Err(Stopped::Cancelled),
                result = action.run(&mut ctx, input) => result.map_err(|e| if *self.cancelled.borrow() { Stopped::Cancelled } else { Stopped::Failed(e) }),
            };
            result.map(|()| ctx.output)
        };
        let drain = async {
            while let Some(line) = rx.recv().await {
                self.sink.log(json!({"stepId": step.id, "message": line})).await;
            }
        };
        let (result, ()) = tokio::join!(run, drain);
        result
    }
}

/// The template's `output`, rendered; `links` and `text` entries whose `if` is false left out.
fn render_output(templater: &Templater, output: Option<&Json>, context: &Json) -> Result<Json, String> {
    let Some(Json::Object(output)) = output else { return Ok(json!({})) };
    let mut rendered = Map::new();
    for (key, value) in output {
        let value = match (key.as_str(), value) {
            ("links" | "text", Json::Array(items)) => {
                let mut kept = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let path = format!("output.{key}[{i}]");
                    if let Some(condition) = item.get("if")
                        && !templater.condition(condition, context, &path).map_err(|e| e.to_string())?
                    {
                        continue;
                    }
                    let mut item = item.clone();
                    if let Some(map) = item.as_object_mut() {
                        map.remove("if");
                    }
                    kept.extend(templater.render_value(&item, context, &path).map_err(|e| e.to_string())?);
                }
                Some(Json::Array(kept))
            }
            _ => templater.render_value(value, context, &format!("output.{key}")).map_err(|e| e.to_string())?,
        };
        if let Some(value) = value {
            rendered.insert(key.clone(), value);
        }
    }
    Ok(Json::Object(rendered))
}
