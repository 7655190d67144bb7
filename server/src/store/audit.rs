//! The `audit_events` table: who did what, when, and how it ended.

use serde::Serialize;
use sqlx::{Any, Executor, Row};

/// One audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// Its id.
    pub id: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Who: a user entity ref, or `token:<id>`.
    pub actor: String,
    /// What, e.g. `catalog.location.create` or `auth.sign-in`.
    pub action: String,
    /// On what (a location, entity ref, token id), if anything.
    pub target: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub result: String,
    /// More, e.g. why it failed.
    pub detail: Option<String>,
}

/// Filters of [`list`]; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact actor.
    pub actor: Option<String>,
    /// Action, or an action prefix ending in `.` (e.g. `catalog.`).
    pub action: Option<String>,
    /// Exact result.
    pub result: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Most events returned, newest first.
    pub limit: i64,
}

/// Appends an event.
pub async fn record<'c>(
    ex: impl Executor<'c, Database = Any>,
    actor: &str,
    action: &str,
    target: Option<&str>,
    result: &str,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_events (id, at, actor, action, target, result, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(super::entities::now())
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(result)
        .bind(detail)
        .execute(ex)
        .await?;
    Ok(())
}

/// Events matching `filter`, newest first.
pub async fn list<'c>(ex: impl Executor<'c, Database = Any>, filter: &AuditFilter) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let mut sql = "SELECT id, at, actor, action, target, result, detail FROM audit_events WHERE 1=1".to_owned();
    let mut args: Vec<String> = Vec::new();
    let arg = |value: String, args: &mut Vec<String>| {
        args.push(value);
        format!("${}", args.len())
    };
    if let Some(actor) = &filter.actor {
        sql.push_str(&format!(" AND actor = {}", arg(actor.clone(), &mut args)));
    }
    if let Some(action) = &filter.action {
        if action.ends_with('.') {
            let escaped = action.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            sql.push_str(&format!(" AND action LIKE {} ESCAPE '\\'", arg(format!("{escaped}%"), &mut args)));
        } else {
            sql.push_str(&format!(" AND action = {}", arg(action.clone(), &mut args)));
        }
    }
    if let Some(result) = &filter.result {
        sql.push_str(&format!(" AND result = {}", arg(result.clone(), &mut args)));
    }
    if let Some(since) = &filter.since {
        sql.push_str(&format!(" AND at >= {}", arg(since.clone(), &mut args)));
    }
    sql.push_str(&format!(" ORDER BY at DESC, id DESC LIMIT {}", filter.limit.clamp(1, 1000)));
    let mut query = sqlx::query(&sql);
    for a in &args {
        query = query.bind(a.as_str());
    }
    let rows = query.fetch_all(ex).await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEvent {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                target: r.try_get("target")?,
                result: r.try_get("result")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}
