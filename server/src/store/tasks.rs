//! The `scaffolder_tasks` and `scaffolder_task_events` tables: template runs
//! and what they said, so a run survives the page that started it, can be
//! followed from any replica, and is marked when a server stops under it.

use serde::Serialize;
use serde_json::Value;
use sqlx::{Any, Executor, Row};

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    /// Waiting for a worker.
    Open,
    /// A worker runs it.
    Processing,
    /// Every step ran.
    Completed,
    /// A step failed, or the server stopped under it.
    Failed,
    /// Someone cancelled it.
    Cancelled,
}

impl TaskStatus {
    /// The stored and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Processing => "processing",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// Reads the stored spelling; anything else reads as failed.
    pub fn parse(text: &str) -> TaskStatus {
        match text {
            "open" => TaskStatus::Open,
            "processing" => TaskStatus::Processing,
            "completed" => TaskStatus::Completed,
            "cancelled" => TaskStatus::Cancelled,
            _ => TaskStatus::Failed,
        }
    }

    /// Whether the task has ended and will not change again.
    pub fn is_final(self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled)
    }
}

/// A stored task (its secrets are never read back through this type).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    /// Its id (a UUID).
    pub id: String,
    /// The task spec: steps, output, parameters, user, templateInfo.
    pub spec: Value,
    /// Where it is.
    pub status: TaskStatus,
    /// When it was created, RFC 3339.
    pub created_at: String,
    /// Who created it, a user entity ref.
    pub created_by: Option<String>,
    /// The last sign of life of the worker running it.
    pub last_heartbeat_at: Option<String>,
    /// Whether a cancel was asked for while it ran.
    pub cancel_requested: bool,
    /// Step statuses and the rendered output, for pages and the API.
    pub state: Value,
}

impl TaskRow {
    /// Who owns the task for permission rules: its creator.
    pub fn owners(&self) -> Vec<String> {
        self.created_by.iter().cloned().collect()
    }
}

/// One thing a task said.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskEvent {
    /// Increases with every event of every task.
    pub id: i64,
    /// The task it belongs to.
    pub task_id: String,
    /// `log`, `completion`, `cancelled` or `recovered`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When, RFC 3339.
    pub created_at: String,
    /// `{message, stepId?, status?, output?}`.
    pub body: Value,
}

const COLUMNS: &str = "id, spec, status, created_at, created_by, last_heartbeat_at, CAST(cancel_requested AS BIGINT) AS cancel_requested, state";

fn json_of(text: Option<String>) -> Value {
    text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null)
}

fn task_of(r: &sqlx::any::AnyRow) -> Result<TaskRow, sqlx::Error> {
    let status: String = r.try_get("status")?;
    let cancel: i64 = r.try_get("cancel_requested")?;
    Ok(TaskRow {
        id: r.try_get("id")?,
        spec: json_of(r.try_get("spec")?),
        status: TaskStatus::parse(&status),
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        last_heartbeat_at: r.try_get("last_heartbeat_at")?,
        cancel_requested: cancel != 0,
        state: json_of(r.try_get("state")?),
    })
}

fn event_of(r: &sqlx::any::AnyRow) -> Result<TaskEvent, sqlx::Error> {
    Ok(TaskEvent {
        id: r.try_get("id")?,
        task_id: r.try_get("task_id")?,
        event_type: r.try_get("event_type")?,
        created_at: r.try_get("created_at")?,
        body: json_of(r.try_get("body")?),
    })
}

/// Stores a new open task.
pub async fn insert<'c>(ex: impl Executor<'c, Database = Any>, task: &TaskRow, secrets: &Value) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO scaffolder_tasks (id, spec, secrets, status, created_at, created_by, cancel_requested, state) VALUES ($1, $2, $3, $4, $5, $6, 0, $7)")
        .bind(&task.id)
        .bind(task.spec.to_string())
        .bind(secrets.to_string())
        .bind(task.status.as_str())
        .bind(&task.created_at)
        .bind(&task.created_by)
        .bind(task.state.to_string())
        .execute(ex)
        .await?;
    Ok(())
}

/// One task.
pub async fn get<'c>(ex: impl Executor<'c, Database = Any>, id: &str) -> Result<Option<TaskRow>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM scaffolder_tasks WHERE id = $1")).bind(id).fetch_optional(ex).await?;
    row.as_ref().map(task_of).transpose()
}

/// The secrets a task was started with (only the worker reads them).
pub async fn secrets<'c>(ex: impl Executor<'c, Database = Any>, id: &str) -> Result<Value, sqlx::Error> {
    let row = sqlx::query("SELECT secrets FROM scaffolder_tasks WHERE id = $1").bind(id).fetch_optional(ex).await?;
    Ok(match row {
        Some(r) => json_of(r.try_get("secrets")?),
        None => Value::Null,
    })
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only tasks created by this user ref.
    pub created_by: Option<String>,
    /// Only tasks in this status.
    pub status: Option<String>,
    /// At most this many.
    pub limit: i64,
    /// Skipping this many.
    pub offset: i64,
    /// Oldest first instead of newest first.
    pub ascending: bool,
}

/// Tasks matching `filter`, and how many match in all.
pub async fn list(pool: &sqlx::AnyPool, filter: &TaskFilter) -> Result<(Vec<TaskRow>, i64), sqlx::Error> {
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    if let Some(who) = &filter.created_by {
        binds.push(who.clone());
        clauses.push(format!("created_by = ${}", binds.len()));
    }
    if let Some(status) = &filter.status {
        binds.push(status.clone());
        clauses.push(format!("status = ${}", binds.len()));
    }
    let filter_sql = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    let order = if filter.ascending { "ASC" } else { "DESC" };
    let sql = format!("SELECT {COLUMNS} FROM scaffolder_tasks{filter_sql} ORDER BY created_at {order}, id {order} LIMIT {} OFFSET {}", filter.limit.max(0), filter.offset.max(0));
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(pool).await?;
    let count_sql = format!("SELECT COUNT(*) AS n FROM scaffolder_tasks{filter_sql}");
    let mut count = sqlx::query(&count_sql);
    for b in &binds {
        count = count.bind(b);
    }
    let total: i64 = count.fetch_one(pool).await?.try_get("n")?;
    Ok((rows.iter().map(task_of).collect::<Result<_, _>>()?, total))
}

/// Moves an open task to processing; whether this caller won it.
pub async fn claim<'c>(ex: impl Executor<'c, Database = Any>, id: &str, now: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE scaffolder_tasks SET status = 'processing', last_heartbeat_at = $2 WHERE id = $1 AND status = 'open'")
        .bind(id)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ids of open tasks, oldest first.
pub async fn open_ids<'c>(ex: impl Executor<'c, Database = Any>, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT id FROM scaffolder_tasks WHERE status = 'open' ORDER BY created_at LIMIT {}", limit.max(0)))
        .fetch_all(ex)
        .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}

/// Records that the worker running `id` is alive.
pub async fn heartbeat<'c>(ex: impl Executor<'c, Database = Any>, id: &str, now: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE scaffolder_tasks SET last_heartbeat_at = $2 WHERE id = $1 AND status = 'processing'").bind(id).bind(now).execute(ex).await?;
    Ok(())
}

/// Saves step statuses and output while the task runs.
pub async fn save_state<'c>(ex: impl Executor<'c, Database = Any>, id: &str, state: &Value) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE scaffolder_tasks SET state = $2 WHERE id = $1").bind(id).bind(state.to_string()).execute(ex).await?;
    Ok(())
}

/// Ends a task: its final status and state; its secrets are dropped.
pub async fn finish<'c>(ex: impl Executor<'c, Database = Any>, id: &str, status: TaskStatus, state: &Value) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE scaffolder_tasks SET status = $2, state = $3, secrets = NULL WHERE id = $1 AND status IN ('open', 'processing')")
        .bind(id)
        .bind(status.as_str())
        .bind(state.to_string())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Asks a running task to stop; whether it was still running.
pub async fn request_cancel<'c>(ex: impl Executor<'c, Database = Any>, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE scaffolder_tasks SET cancel_requested = 1 WHERE id = $1 AND status IN ('open', 'processing')").bind(id).execute(ex).await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a cancel was asked for.
pub async fn cancel_requested<'c>(ex: impl Executor<'c, Database = Any>, id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT CAST(cancel_requested AS BIGINT) AS cancel_requested FROM scaffolder_tasks WHERE id = $1").bind(id).fetch_optional(ex).await?;
    Ok(match row {
        Some(r) => r.try_get::<i64, _>("cancel_requested")? != 0,
        None => false,
    })
}

/// Processing tasks whose worker has not been heard of since `before`.
pub async fn stale_ids<'c>(ex: impl Executor<'c, Database = Any>, before: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT id FROM scaffolder_tasks WHERE status = 'processing' AND (last_heartbeat_at IS NULL OR last_heartbeat_at < $1)")
        .bind(before)
        .fetch_all(ex)
        .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}

/// Appends an event and returns it with its id.
pub async fn append_event<'c>(ex: impl Executor<'c, Database = Any>, task_id: &str, event_type: &str, body: &Value, now: &str) -> Result<TaskEvent, sqlx::Error> {
    let row = sqlx::query("INSERT INTO scaffolder_task_events (task_id, event_type, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(task_id)
        .bind(event_type)
        .bind(body.to_string())
        .bind(now)
        .fetch_one(ex)
        .await?;
    Ok(TaskEvent {
        id: row.try_get("id")?,
        task_id: task_id.to_owned(),
        event_type: event_type.to_owned(),
        created_at: now.to_owned(),
        body: body.clone(),
    })
}

/// A task's events after event `after` (all with `None`), in order.
pub async fn events<'c>(ex: impl Executor<'c, Database = Any>, task_id: &str, after: Option<i64>) -> Result<Vec<TaskEvent>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, task_id, event_type, body, created_at FROM scaffolder_task_events WHERE task_id = $1 AND id > $2 ORDER BY id")
        .bind(task_id)
        .bind(after.unwrap_or(-1))
        .fetch_all(ex)
        .await?;
    rows.iter().map(event_of).collect()
}
