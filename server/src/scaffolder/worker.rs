//! The workers of one replica: claim open tasks, run them with a heartbeat,
//! and mark tasks whose server stopped under them as interrupted.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value as Json, json};
use tokio::sync::{Mutex as AsyncMutex, Semaphore, watch};

use super::runner::{Run, Sink, Stopped, steps_of};
use super::{Scaffolder, paths};
use crate::store::entities;
use crate::store::tasks::{self, TaskStatus};

/// How often a running task says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// After how long without a heartbeat a processing task counts as interrupted.
const STALE_AFTER: Duration = Duration::from_secs(30);
/// How often workers look for open tasks they were not told about.
const POLL: Duration = Duration::from_secs(2);

/// A real task's sink: events stored and broadcast, step statuses kept in the task's state.
struct TaskSink<'a> {
    scaffolder: &'a Scaffolder,
    task_id: &'a str,
    state: AsyncMutex<Json>,
}

#[async_trait::async_trait]
impl Sink for TaskSink<'_> {
    async fn log(&self, body: Json) {
        if let (Some(step), Some(status)) = (body.get("stepId").and_then(Json::as_str), body.get("status").and_then(Json::as_str)) {
            let mut state = self.state.lock().await;
            state["steps"][step] = json!({"status": status, "at": entities::now()});
            if let Err(e) = tasks::save_state(&self.scaffolder.db.pool, self.task_id, &state).await {
                tracing::warn!(task = self.task_id, "cannot save the task's state: {e}");
            }
        }
        if let Err(e) = self.scaffolder.emit(self.task_id, "log", body).await {
            tracing::warn!(task = self.task_id, "cannot store a task event: {e:#}");
        }
    }
}

impl Scaffolder {
    /// Runs tasks until `shutdown`; tasks still running then end as interrupted.
    pub async fn run_workers(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let permits = Arc::new(Semaphore::new(self.settings.concurrent_tasks.max(1)));
        let mut running = tokio::task::JoinSet::new();
        let mut sweep = tokio::time::interval(Duration::from_secs(10));
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                () = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = sweep.tick() => self.mark_interrupted().await,
            }
            while running.try_join_next().is_some() {}
            let free = i64::try_from(permits.available_permits()).unwrap_or(0);
            let open = match tasks::open_ids(&self.db.pool, free).await {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!("cannot list open tasks: {e}");
                    continue;
                }
            };
            for id in open {
                let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else { break };
                match tasks::claim(&self.db.pool, &id, &entities::now()).await {
                    Ok(true) => {
                        let me = Arc::clone(&self);
                        running.spawn(async move {
                            me.execute(&id).await;
                            drop(permit);
                        });
                    }
                    Ok(false) => {}
                    Err(e) => tracing::warn!(task = %id, "cannot claim the task: {e}"),
                }
            }
        }
        let ids: Vec<String> = self.live.lock().map(|l| l.keys().cloned().collect()).unwrap_or_default();
        for id in &ids {
            if let Ok(live) = self.live.lock()
                && let Some(tx) = live.get(id)
            {
                let _ = tx.send(true);
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), async { while running.join_next().await.is_some() {} }).await;
    }

    /// Marks processing tasks whose worker has gone quiet as failed, saying why.
    pub async fn mark_interrupted(&self) {
        let before = entities::rfc3339(std::time::SystemTime::now() - STALE_AFTER);
        let stale = match tasks::stale_ids(&self.db.pool, &before).await {
            Ok(ids) => ids,
            Err(e) => return tracing::warn!("cannot look for interrupted tasks: {e}"),
        };
        for id in stale {
            let Ok(Some(task)) = tasks::get(&self.db.pool, &id).await else { continue };
            let step = task.state.get("steps").and_then(Json::as_object).and_then(|steps| {
                steps.iter().find(|(_, s)| s.get("status").and_then(Json::as_str) == Some("processing")).map(|(id, _)| id.clone())
            });
            let at = step.map(|s| format!(" during step {s}")).unwrap_or_default();
            let message = format!(
                "Interrupted: the server running this task stopped{at} (last heard of at {}). Steps that finished may have left changes behind, such as a created repository.",
                task.last_heartbeat_at.as_deref().unwrap_or("never")
            );
            let mut state = task.state.clone();
            state["error"] = Json::String(message.clone());
            if let Ok(true) = tasks::finish(&self.db.pool, &id, TaskStatus::Failed, &state).await {
                tracing::warn!(task = %id, "{message}");
                let _ = self.emit(&id, "completion", json!({"message": message, "status": "failed", "error": {"name": "Interrupted", "message": message}})).await;
            }
        }
    }

    /// Runs one claimed task to its end.
    pub async fn execute(&self, id: &str) {
        let (cancel_tx, cancel_rx) = watch::channel(false);
        if let Ok(mut live) = self.live.lock() {
            live.insert(id.to_owned(), cancel_tx);
        }
        let heartbeat = self.heartbeat(id);
        let outcome = tokio::select! {
            outcome = self.run_claimed(id, cancel_rx) => outcome,
            () = heartbeat => unreachable_heartbeat(),
        };
        if let Ok(mut live) = self.live.lock() {
            live.remove(id);
        }
        if let Err(e) = outcome {
            tracing::error!(task = %id, "the task could not be run: {e:#}");
            let message = format!("The task could not be run: {e:#}");
            let _ = tasks::finish(&self.db.pool, id, TaskStatus::Failed, &json!({"error": message})).await;
            let _ = self.emit(id, "completion", json!({"message": message, "status": "failed"})).await;
        }
    }

    async fn heartbeat(&self, id: &str) {
        let mut tick = tokio::time::interval(HEARTBEAT);
        loop {
            tick.tick().await;
            if let Err(e) = tasks::heartbeat(&self.db.pool, id, &entities::now()).await {
                tracing::warn!(task = %id, "heartbeat failed: {e}");
            }
            if let Ok(true) = tasks::cancel_requested(&self.db.pool, id).await {
                self.signal_cancel(id);
            }
        }
    }

    async fn run_claimed(&self, id: &str, cancelled: watch::Receiver<bool>) -> anyhow::Result<()> {
        let task = tasks::get(&self.db.pool, id).await?.ok_or_else(|| anyhow::anyhow!("task {id} vanished"))?;
        let secrets: Map<String, Json> = match tasks::secrets(&self.db.pool, id).await? {
            Json::Object(map) => map,
            _ => Map::new(),
        };
        let workspace = paths::inside(&self.settings.workspace_root, id).map_err(anyhow::Error::msg)?;
        std::fs::create_dir_all(&workspace)?;
        let base = Scaffolder::base_of(&task.spec);
        let template_ref = task.spec.pointer("/templateInfo/entityRef").and_then(Json::as_str).map(str::to_owned);
        let mut initial = json!({"steps": {}});
        for step in steps_of(&task.spec) {
            initial["steps"][step.id.as_str()] = json!({"status": "open"});
        }
        let sink = TaskSink { scaffolder: self, task_id: id, state: AsyncMutex::new(initial) };
        let run = Run {
            actions: &self.actions,
            workspace: &workspace,
            base: &base,
            services: Some(&self.services),
            template_ref: template_ref.as_deref(),
            dry_run: false,
            cancelled: cancelled.clone(),
            sink: &sink,
        };
        let result = run.execute(&task.spec, &secrets).await;
        if let Err(e) = std::fs::remove_dir_all(&workspace) {
            tracing::warn!(task = %id, "cannot remove the workspace {}: {e}", workspace.display());
        }
        let mut state = sink.state.into_inner();
        let stopping = *cancelled.borrow() && !tasks::cancel_requested(&self.db.pool, id).await.unwrap_or(false);
        let (status, event) = match result {
            Ok(output) => {
                state["output"] = output.clone();
                (TaskStatus::Completed, json!({"message": "Run completed", "status": "completed", "output": output}))
            }
            Err(Stopped::Cancelled) if stopping => {
                let message = "Interrupted: the server stopped while this task ran. Steps that finished may have left changes behind.".to_owned();
                state["error"] = Json::String(message.clone());
                (TaskStatus::Failed, json!({"message": message, "status": "failed", "error": {"name": "Interrupted", "message": message}}))
            }
            Err(Stopped::Cancelled) => {
                self.emit(id, "cancelled", json!({"message": "Run cancelled", "status": "cancelled"})).await?;
                (TaskStatus::Cancelled, json!({"message": "Run cancelled", "status": "cancelled"}))
            }
            Err(Stopped::Failed(message)) => {
                state["error"] = Json::String(message.clone());
                (TaskStatus::Failed, json!({"message": format!("Run failed: {message}"), "status": "failed", "error": {"name": "Error", "message": message}}))
            }
        };
        tasks::finish(&self.db.pool, id, status, &state).await?;
        self.emit(id, "completion", event).await?;
        tracing::info!(task = %id, template = template_ref.as_deref().unwrap_or("?"), status = status.as_str(), "task ended");
        Ok(())
    }
}

/// The heartbeat loop never ends on its own.
fn unreachable_heartbeat() -> anyhow::Result<()> {
    Err(anyhow::anyhow!("the heartbeat stopped"))
}
