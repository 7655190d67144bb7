//! The `entities` table: writing processed entities, reading them back in
//! Backstage's JSON shape, and what the search index is built from.

use std::collections::HashMap;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use portolan_catalog::EntityRef;
use serde_json::{Value, json};
use sqlx::{Any, AnyPool, Executor, Row};

use crate::search::IndexedEntity;

/// The current time as RFC 3339 text (stored as TEXT on both engines).
pub fn now() -> String {
    rfc3339(std::time::SystemTime::now())
}

/// A time as RFC 3339 text in UTC, to the millisecond (sorts as it reads).
pub fn rfc3339(at: std::time::SystemTime) -> String {
    let since_epoch = at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        since_epoch.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { era * 400 + yoe + 1 } else { era * 400 + yoe }, m, d)
}

/// What the processing loop knows of a stored entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredState {
    /// Its uid.
    pub uid: String,
    /// Its canonical reference.
    pub entity_ref: String,
    /// The location that emitted it.
    pub location_id: String,
    /// The file it was read from.
    pub source: String,
    /// Hash of what was read.
    pub hash: String,
    /// Whether it is orphaned.
    pub orphan: bool,
    /// Whether processing errors are recorded on it.
    pub has_errors: bool,
}

/// The columns [`state_from_row`] reads.
pub(super) const STATE_COLUMNS: &str = "uid, entity_ref, location_id, source, hash, orphan, errors";

/// The processing state of every entity emitted by a location.
pub async fn states_of_location<'c>(
    ex: impl Executor<'c, Database = Any>,
    location_id: &str,
) -> Result<Vec<StoredState>, sqlx::Error> {
    let mut states = Vec::new();
    each_state_of_location(ex, location_id, |state| states.push(state)).await?;
    Ok(states)
}

/// Calls `each` with the processing state of every entity emitted by a
/// location, row by row as the database returns them: a pass over a large
/// location keeps its own compact form and never holds all rows at once.
pub async fn each_state_of_location<'c>(
    ex: impl Executor<'c, Database = Any>,
    location_id: &str,
    mut each: impl FnMut(StoredState),
) -> Result<(), sqlx::Error> {
    use futures_util::TryStreamExt;
    let sql = format!("SELECT {STATE_COLUMNS} FROM entities WHERE location_id = $1");
    let mut rows = sqlx::query(&sql).bind(location_id).fetch(ex);
    while let Some(row) = rows.try_next().await? {
        each(state_from_row(&row)?);
    }
    Ok(())
}

/// Whether any entity is stored from a location other than this one. Two
/// seeks on the `(location_id, source)` index, however many entities the
/// location itself has.
pub async fn any_outside_location<'c>(ex: impl Executor<'c, Database = Any>, location_id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM entities WHERE location_id < $1) \
         OR EXISTS (SELECT 1 FROM entities WHERE location_id > $1) THEN 1 ELSE 0 END AS BIGINT) AS found",
    )
    .bind(location_id)
    .fetch_one(ex)
    .await?;
    Ok(row.try_get::<i64, _>("found")? == 1)
}

/// The processing state of the entities with these references, whichever
/// location emitted them.
pub async fn states_of_refs(conn: &mut sqlx::AnyConnection, refs: &[String]) -> Result<Vec<StoredState>, sqlx::Error> {
    let mut states = Vec::with_capacity(refs.len());
    for chunk in refs.chunks(IN_CHUNK) {
        let sql = format!("SELECT {STATE_COLUMNS} FROM entities WHERE entity_ref IN ({})", in_clause(chunk.len(), conn_is_sqlite(conn)));
        for row in bind_all(&sql, chunk).fetch_all(&mut *conn).await? {
            states.push(state_from_row(&row)?);
        }
    }
    Ok(states)
}

/// The processing state of the entities a location read from these files.
pub async fn states_of_sources(
    conn: &mut sqlx::AnyConnection,
    location_id: &str,
    sources: &[String],
) -> Result<Vec<StoredState>, sqlx::Error> {
    let mut states = Vec::new();
    let sql = format!("SELECT {STATE_COLUMNS} FROM entities WHERE location_id = $1 AND source = $2");
    for source in sources {
        let rows = sqlx::query(&sql).bind(location_id).bind(source.as_str()).fetch_all(&mut *conn).await?;
        for row in &rows {
            states.push(state_from_row(row)?);
        }
    }
    Ok(states)
}

/// The Location entity that led a location to this file (its entities' parent),
/// `None` when nothing is stored from the file.
pub async fn parent_of_source<'c>(
    ex: impl Executor<'c, Database = Any>,
    location_id: &str,
    source: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT parent_ref FROM entities WHERE location_id = $1 AND source = $2 AND parent_ref IS NOT NULL LIMIT 1")
        .bind(location_id)
        .bind(source)
        .fetch_optional(ex)
        .await?;
    row.map(|r| r.try_get::<String, _>("parent_ref")).transpose()
}

/// The processing state of the entity with this reference, whoever emitted it.
pub async fn state_of_ref<'c>(ex: impl Executor<'c, Database = Any>, entity_ref: &str) -> Result<Option<StoredState>, sqlx::Error> {
    let sql = format!("SELECT {STATE_COLUMNS} FROM entities WHERE entity_ref = $1");
    let row = sqlx::query(&sql)
        .bind(entity_ref)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(state_from_row).transpose()
}

pub(super) fn state_from_row(row: &sqlx::any::AnyRow) -> Result<StoredState, sqlx::Error> {
    Ok(StoredState {
        uid: row.try_get("uid")?,
        entity_ref: row.try_get("entity_ref")?,
        location_id: row.try_get("location_id")?,
        source: row.try_get("source")?,
        hash: row.try_get("hash")?,
        orphan: row.try_get::<i64, _>("orphan")? != 0,
        has_errors: row.try_get::<Option<String>, _>("errors")?.is_some(),
    })
}

/// A processed entity ready to be written: what its row holds beyond the
/// staged texts. The source, parent and hash are owned, so that the row
/// takes them without a copy.
#[derive(Debug, Clone)]
pub struct EntityWrite<'a> {
    /// Its uid (new, or the stored one when updating).
    pub uid: String,
    /// Its reference.
    pub entity_ref: &'a EntityRef,
    /// The location that emitted it.
    pub location_id: &'a str,
    /// The file it was read from, `<type>:<target>`.
    pub source: String,
    /// The Location entity that led to the file.
    pub parent_ref: Option<String>,
    /// Hash of what was read.
    pub hash: String,
}

/// The row one entity adds to `entities` and its index entry, built ahead
/// of the transaction (it is the CPU-heavy part of a write).
#[derive(Debug, Clone)]
pub struct PreparedEntity {
    /// Its uid.
    pub uid: String,
    entity: Vec<Option<String>>,
    /// What the search index holds of it, handed over after the commit.
    pub indexed: IndexedEntity,
}

const ENTITY_INSERT_COLUMNS: &[&str] = &[
    "uid", "entity_ref", "kind", "namespace", "name", "location_id", "source", "parent_ref", "etag", "hash", "body", "relations",
    "updated_at",
];

/// The text columns of an entity write, built while staging it.
#[derive(Debug, Clone)]
pub struct StoredText {
    /// The body (the entity JSON with its uid and etag, without relations
    /// and status).
    pub body: String,
    /// The outgoing relations, `[[type, target ref], …]`.
    pub relations: String,
    /// The fresh etag the body holds.
    pub etag: String,
}

/// Builds the row of an entity write beside its search index entry, which
/// was built for the same entity (its reference text is the row's) from
/// the same body and relations as `text`.
pub fn prepare(e: EntityWrite<'_>, indexed: IndexedEntity, text: StoredText, now: &str) -> PreparedEntity {
    let entity = vec![
        Some(e.uid.clone()),
        Some(indexed.entity_ref.clone()),
        Some(e.entity_ref.kind().to_owned()),
        Some(e.entity_ref.namespace().to_owned()),
        Some(e.entity_ref.name().to_owned()),
        Some(e.location_id.to_owned()),
        Some(e.source),
        e.parent_ref,
        Some(text.etag),
        Some(e.hash),
        Some(text.body),
        Some(text.relations),
        Some(now.to_owned()),
    ];
    PreparedEntity { uid: e.uid, entity, indexed }
}

impl PreparedEntity {
    /// The stored body's text.
    #[cfg(test)]
    pub(crate) fn body_text(&self) -> &str {
        self.entity[10].as_deref().unwrap_or_default()
    }
}

/// Inserts prepared entities with multi-row statements (their uids must not be stored).
pub async fn insert_prepared(conn: &mut sqlx::AnyConnection, items: &[PreparedEntity]) -> Result<(), sqlx::Error> {
    let entity_rows: Vec<&[Option<String>]> = items.iter().map(|p| p.entity.as_slice()).collect();
    insert_rows(conn, "entities", ENTITY_INSERT_COLUMNS, &entity_rows).await
}

/// Values bound per `IN (…)` statement: far under both engines' limits on
/// parameters.
pub(super) const IN_CHUNK: usize = 1000;

/// The placeholders of an `IN (…)` list of `n` values: `$1, $2, …, $n`,
/// or `?, ?, …` on SQLite, which looks numbered parameters up in time
/// linear in their count (a list of 1,000 took it quadratic time).
pub(super) fn in_clause(n: usize, sqlite: bool) -> String {
    if sqlite {
        return vec!["?"; n].join(", ");
    }
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// `sql` with each of `values` bound, in order (an `IN (…)` list's values,
/// at most [`IN_CHUNK`] of them). Only a full list's statement is kept
/// prepared on the connection (see [`keep_prepared`]).
pub(super) fn bind_all<'q>(sql: &'q str, values: &'q [String]) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    let query = sqlx::query(sql).persistent(keep_prepared(values.len(), IN_CHUNK));
    values.iter().fold(query, |query, value| query.bind(value.as_str()))
}

/// Whether a multi-row or `IN (…)` statement of `n` rows or values, sent
/// in batches of `full`, is kept prepared on its connection. A full
/// batch's statement comes back and is worth keeping; the remainder's size
/// differs from one call to the next, and each size kept would be another
/// compiled statement of up to thousands of parameters held by the
/// connection's statement cache (several MB apiece for an entity insert).
pub(super) fn keep_prepared(n: usize, full: usize) -> bool {
    n == full
}

/// Rows per multi-row `INSERT` at most (fewer for tables with so many
/// columns that this many rows would pass 30,000 parameters).
pub(super) const INSERT_ROWS: usize = 512;

/// Whether a connection is SQLite's.
pub(super) fn conn_is_sqlite(conn: &sqlx::AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// Whether a pool is SQLite's.
fn pool_is_sqlite(pool: &AnyPool) -> bool {
    pool.connect_options().database_url.scheme().starts_with("sqlite")
}

/// Deletes entities, in chunks.
pub async fn delete_many(conn: &mut sqlx::AnyConnection, uids: &[String]) -> Result<(), sqlx::Error> {
    for chunk in uids.chunks(IN_CHUNK) {
        let sql = format!("DELETE FROM entities WHERE uid IN ({})", in_clause(chunk.len(), conn_is_sqlite(conn)));
        bind_all(&sql, chunk).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Clears the processing errors of these entities, in chunks.
pub async fn clear_errors_many(conn: &mut sqlx::AnyConnection, uids: &[String]) -> Result<(), sqlx::Error> {
    for chunk in uids.chunks(IN_CHUNK) {
        let sql = format!("UPDATE entities SET errors = NULL WHERE uid IN ({})", in_clause(chunk.len(), conn_is_sqlite(conn)));
        bind_all(&sql, chunk).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts rows with multi-row statements of up to [`INSERT_ROWS`] rows,
/// under both engines' limits on bound parameters. SQLite gets anonymous
/// `?` parameters: looking up numbered ones costs it time linear in their count.
pub async fn insert_rows(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    columns: &[&str],
    rows: &[&[Option<String>]],
) -> Result<(), sqlx::Error> {
    let sqlite = conn_is_sqlite(conn);
    let per_chunk = (30_000 / columns.len().max(1)).clamp(1, INSERT_ROWS);
    for chunk in rows.chunks(per_chunk) {
        let sql = insert_statement(table, columns, chunk.len(), sqlite);
        let mut query = sqlx::query(&sql).persistent(keep_prepared(chunk.len(), per_chunk));
        for row in chunk {
            for value in row.iter() {
                query = query.bind(value.as_deref());
            }
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `INSERT INTO table (columns) VALUES (…), (…)` with placeholders for
/// `rows` rows: `?` on SQLite (see [`insert_rows`]), `$1, $2, …` elsewhere.
pub(super) fn insert_statement(table: &str, columns: &[&str], rows: usize, sqlite: bool) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for i in 0..rows {
        sql.push_str(if i > 0 { ", (" } else { "(" });
        for c in 0..columns.len() {
            n += 1;
            if c > 0 {
                sql.push_str(", ");
            }
            if sqlite {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&n.to_string());
            }
        }
        sql.push(')');
    }
    sql
}

/// Records processing errors on an entity, keeping its last good body.
pub async fn set_errors<'c>(ex: impl Executor<'c, Database = Any>, uid: &str, errors: &[String]) -> Result<(), sqlx::Error> {
    let json = if errors.is_empty() { None } else { Some(Value::from(errors.to_vec()).to_string()) };
    sqlx::query("UPDATE entities SET errors = $1 WHERE uid = $2").bind(json).bind(uid).execute(ex).await?;
    Ok(())
}

/// Marks an entity orphaned (no location emits it any more), for `orphanStrategy: keep`.
pub async fn set_orphan<'c>(ex: impl Executor<'c, Database = Any>, uid: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE entities SET orphan = 1 WHERE uid = $1").bind(uid).execute(ex).await?;
    Ok(())
}

/// Deletes an entity.
pub async fn delete(conn: &mut sqlx::AnyConnection, uid: &str) -> Result<bool, sqlx::Error> {
    let existed = by_uid(&mut *conn, uid).await?.is_some();
    delete_many(conn, &[uid.to_owned()]).await?;
    Ok(existed)
}

/// Stored columns needed to build the API's JSON.
#[derive(Debug, Clone)]
pub struct EntityRow {
    /// uid.
    pub uid: String,
    /// Canonical reference.
    pub entity_ref: String,
    /// Entity JSON text without relations and status.
    pub body: String,
    /// Processing errors JSON, if any.
    pub errors: Option<String>,
    /// Orphaned?
    pub orphan: bool,
    /// The location whose tree emitted it.
    pub location_id: String,
    /// The Location entity that led to its file.
    pub parent_ref: Option<String>,
}

/// Columns to select for [`EntityRow`], with `e` as the entities alias.
pub const ENTITY_COLUMNS: &str = "e.uid, e.entity_ref, e.body, e.errors, e.orphan, e.location_id, e.parent_ref";

/// Reads an [`EntityRow`] selected with [`ENTITY_COLUMNS`].
pub fn entity_row(row: &sqlx::any::AnyRow) -> Result<EntityRow, sqlx::Error> {
    Ok(EntityRow {
        uid: row.try_get("uid")?,
        entity_ref: row.try_get("entity_ref")?,
        body: row.try_get("body")?,
        errors: row.try_get("errors")?,
        orphan: row.try_get::<i64, _>("orphan")? != 0,
        location_id: row.try_get("location_id")?,
        parent_ref: row.try_get("parent_ref")?,
    })
}

/// How many entities are stored.
pub async fn count<'c>(ex: impl Executor<'c, Database = Any>) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM entities").fetch_one(ex).await?.try_get("n")
}

/// The entity with this reference.
pub async fn by_ref<'c>(ex: impl Executor<'c, Database = Any>, entity_ref: &str) -> Result<Option<EntityRow>, sqlx::Error> {
    let sql = format!("SELECT {ENTITY_COLUMNS} FROM entities e WHERE e.entity_ref = $1");
    let row = sqlx::query(&sql).bind(entity_ref).fetch_optional(ex).await?;
    row.as_ref().map(entity_row).transpose()
}

/// The entity with this uid.
pub async fn by_uid<'c>(ex: impl Executor<'c, Database = Any>, uid: &str) -> Result<Option<EntityRow>, sqlx::Error> {
    let sql = format!("SELECT {ENTITY_COLUMNS} FROM entities e WHERE e.uid = $1");
    let row = sqlx::query(&sql).bind(uid).fetch_optional(ex).await?;
    row.as_ref().map(entity_row).transpose()
}

/// What the search index is built from: an entity's uid, reference, body
/// and outgoing relations as stored.
#[derive(Debug, Clone)]
pub struct IndexSource {
    /// uid.
    pub uid: String,
    /// Canonical reference.
    pub entity_ref: String,
    /// Entity JSON text.
    pub body: String,
    /// `[[type, target ref], ...]` JSON text.
    pub relations: String,
}

fn index_source(row: &sqlx::any::AnyRow) -> Result<IndexSource, sqlx::Error> {
    Ok(IndexSource {
        uid: row.try_get("uid")?,
        entity_ref: row.try_get("entity_ref")?,
        body: row.try_get("body")?,
        relations: row.try_get("relations")?,
    })
}

/// Every stored entity's [`IndexSource`], streamed.
pub fn index_sources(pool: &AnyPool) -> BoxStream<'_, Result<IndexSource, sqlx::Error>> {
    sqlx::query("SELECT uid, entity_ref, body, relations FROM entities")
        .fetch(pool)
        .map(|row| row.and_then(|r| index_source(&r)))
        .boxed()
}

/// The [`IndexSource`]s of these uids (those still stored).
pub async fn index_sources_of(pool: &AnyPool, uids: &[String]) -> Result<Vec<IndexSource>, sqlx::Error> {
    let mut out = Vec::with_capacity(uids.len());
    for chunk in uids.chunks(IN_CHUNK) {
        let sql = format!("SELECT uid, entity_ref, body, relations FROM entities WHERE uid IN ({})", in_clause(chunk.len(), pool_is_sqlite(pool)));
        for row in bind_all(&sql, chunk).fetch_all(pool).await? {
            out.push(index_source(&row)?);
        }
    }
    Ok(out)
}

/// The rows of these uids, in the order given (those still stored).
pub async fn rows_by_uids(pool: &AnyPool, uids: &[String]) -> Result<Vec<EntityRow>, sqlx::Error> {
    let mut by_uid: HashMap<String, EntityRow> = HashMap::with_capacity(uids.len());
    for chunk in uids.chunks(IN_CHUNK) {
        let sql = format!("SELECT {ENTITY_COLUMNS} FROM entities e WHERE e.uid IN ({})", in_clause(chunk.len(), pool_is_sqlite(pool)));
        for row in &bind_all(&sql, chunk).fetch_all(pool).await? {
            let row = entity_row(row)?;
            by_uid.insert(row.uid.clone(), row);
        }
    }
    Ok(uids.iter().filter_map(|u| by_uid.remove(u)).collect())
}

/// The API's JSON for a stored entity: body, relations, orphan annotation
/// and processing errors as `status.items`, as Backstage stitches them.
pub fn to_api_json(row: &EntityRow, relations: &[(String, String)]) -> Value {
    let mut entity: Value = serde_json::from_str(&row.body).unwrap_or_else(|_| json!({}));
    if row.orphan {
        if let Some(meta) = entity.get_mut("metadata").and_then(Value::as_object_mut) {
            let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
            if let Some(a) = annotations.as_object_mut() {
                a.insert("backstage.io/orphan".into(), Value::String("true".into()));
            }
        }
    }
    if let Some(obj) = entity.as_object_mut() {
        let rels: Vec<Value> = relations.iter().map(|(t, target)| json!({"type": t, "targetRef": target})).collect();
        obj.insert("relations".into(), Value::Array(rels));
        if let Some(errors) = row.errors.as_deref().and_then(|e| serde_json::from_str::<Vec<String>>(e).ok()) {
            let items: Vec<Value> = errors
                .iter()
                .map(|m| {
                    json!({
                        "type": "backstage.io/catalog-processing",
                        "level": "error",
                        "message": format!("InputError: {m}"),
                        "error": {"name": "InputError", "message": m},
                    })
                })
                .collect();
            obj.insert("status".into(), json!({ "items": items }));
        }
    }
    entity
}
