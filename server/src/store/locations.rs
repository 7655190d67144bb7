//! The `locations` table: where the catalog reads from.

use sqlx::{Any, Executor, Row};

/// Who registered a location.
pub const ORIGIN_CONFIG: &str = "config";
/// Registered through `POST /locations`.
pub const ORIGIN_API: &str = "api";

/// A registered or configured location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRow {
    /// Stable id (a UUID).
    pub id: String,
    /// `file` or `url`.
    pub location_type: String,
    /// Path or URL.
    pub target: String,
    /// [`ORIGIN_CONFIG`] or [`ORIGIN_API`].
    pub origin: String,
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<LocationRow, sqlx::Error> {
    Ok(LocationRow {
        id: row.try_get("id")?,
        location_type: row.try_get("type")?,
        target: row.try_get("target")?,
        origin: row.try_get("origin")?,
    })
}

/// Every location, oldest first.
pub async fn list<'c>(ex: impl Executor<'c, Database = Any>) -> Result<Vec<LocationRow>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, type, target, origin FROM locations ORDER BY created_at, id").fetch_all(ex).await?;
    rows.iter().map(from_row).collect()
}

/// The location with this id.
pub async fn get<'c>(ex: impl Executor<'c, Database = Any>, id: &str) -> Result<Option<LocationRow>, sqlx::Error> {
    let row = sqlx::query("SELECT id, type, target, origin FROM locations WHERE id = $1").bind(id).fetch_optional(ex).await?;
    row.as_ref().map(from_row).transpose()
}

/// The location with this type and target.
pub async fn find<'c>(
    ex: impl Executor<'c, Database = Any>,
    location_type: &str,
    target: &str,
) -> Result<Option<LocationRow>, sqlx::Error> {
    let row = sqlx::query("SELECT id, type, target, origin FROM locations WHERE type = $1 AND target = $2")
        .bind(location_type)
        .bind(target)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Adds a location; fails on a duplicate (type, target).
pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    location_type: &str,
    target: &str,
    origin: &str,
) -> Result<LocationRow, sqlx::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query("INSERT INTO locations (id, type, target, origin, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(location_type)
        .bind(target)
        .bind(origin)
        .bind(super::entities::now())
        .execute(ex)
        .await?;
    Ok(LocationRow { id, location_type: location_type.to_owned(), target: target.to_owned(), origin: origin.to_owned() })
}

/// Removes a location; true when it existed.
pub async fn delete<'c>(ex: impl Executor<'c, Database = Any>, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM locations WHERE id = $1").bind(id).execute(ex).await?;
    Ok(done.rows_affected() > 0)
}

/// Records who registered a location.
pub async fn set_created_by<'c>(ex: impl Executor<'c, Database = Any>, id: &str, who: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE locations SET created_by = $1 WHERE id = $2").bind(who).bind(id).execute(ex).await?;
    Ok(())
}

/// Who registered a location, when known.
pub async fn created_by<'c>(ex: impl Executor<'c, Database = Any>, id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT created_by FROM locations WHERE id = $1").bind(id).fetch_optional(ex).await?;
    Ok(row.and_then(|r| sqlx::Row::try_get::<Option<String>, _>(&r, "created_by").ok().flatten()))
}
