//! The `catalog_changes` log: one row per entity written or deleted, which
//! every server's search index follows (see [`crate::search`]).
//!
//! Rows must appear in commit order, or a reader could pass over a row that
//! commits later with a smaller number. Writers therefore hold a lock from
//! [`begin_write`] until they commit: SQLite's own write lock, and a
//! transaction-scoped advisory lock on PostgreSQL.

use sqlx::{Any, Executor, Row};

use super::Backend;

/// The advisory lock key catalog writers share on PostgreSQL ("PRTL").
const WRITER_LOCK: i64 = 0x5052_544C;

/// How many change rows are kept; older ones are trimmed, and a server that
/// fell further behind reloads its index from the entities instead.
pub const KEEP_ROWS: i64 = 500_000;

/// Begins a transaction that holds the catalog writers' lock until it ends.
///
/// On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken (waiting out
/// the busy timeout) before the first read. A deferred transaction that
/// reads first and writes later fails at once with "database is locked"
/// when any other connection wrote in between (its snapshot is stale), and
/// the busy timeout does not help. On PostgreSQL it is a transaction-scoped
/// advisory lock.
pub async fn begin_write(db: &super::Db) -> Result<sqlx::Transaction<'static, Any>, sqlx::Error> {
    match db.backend {
        Backend::Sqlite => db.writer.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => {
            let mut tx = db.pool.begin().await?;
            sqlx::query(&format!("SELECT pg_advisory_xact_lock({WRITER_LOCK})")).execute(&mut *tx).await?;
            Ok(tx)
        }
    }
}

/// Commits a transaction of [`begin_write`], then has the write-ahead log
/// copied into the database file in the background (see
/// [`super::Db::checkpoint_in_background`]): every catalog write ends here.
pub async fn commit(db: &super::Db, tx: sqlx::Transaction<'static, Any>) -> Result<(), sqlx::Error> {
    tx.commit().await?;
    db.checkpoint_in_background();
    Ok(())
}

/// Appends a row per uid (call after the entity writes, holding the
/// writers' lock); returns the range of sequence numbers they got, `None`
/// when `uids` is empty.
pub async fn record(conn: &mut sqlx::AnyConnection, uids: &[String]) -> Result<Option<(i64, i64)>, sqlx::Error> {
    if uids.is_empty() {
        return Ok(None);
    }
    let before = latest(&mut *conn).await?;
    let rows: Vec<[Option<String>; 1]> = uids.iter().map(|u| [Some(u.clone())]).collect();
    let rows: Vec<&[Option<String>]> = rows.iter().map(|r| r.as_slice()).collect();
    super::entities::insert_rows(conn, "catalog_changes", &["uid"], &rows).await?;
    let after = latest(&mut *conn).await?;
    Ok(Some((before + 1, after)))
}

/// The highest sequence number written so far (0 for none).
pub async fn latest<'c>(ex: impl Executor<'c, Database = Any>) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM catalog_changes").fetch_one(ex).await?.try_get("seq")
}

/// The uid of change row `seq`, `None` when there is no such row.
pub async fn uid_at<'c>(ex: impl Executor<'c, Database = Any>, seq: i64) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT uid FROM catalog_changes WHERE seq = $1").bind(seq).fetch_optional(ex).await?;
    row.map(|r| r.try_get("uid")).transpose()
}

/// The lowest sequence number still kept, `None` when the log is empty.
pub async fn oldest<'c>(ex: impl Executor<'c, Database = Any>) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query("SELECT MIN(seq) AS seq FROM catalog_changes").fetch_one(ex).await?.try_get("seq")
}

/// Up to `limit` changes after `after`, in order, as `(seq, uid)`.
pub async fn since<'c>(ex: impl Executor<'c, Database = Any>, after: i64, limit: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows = sqlx::query("SELECT seq, uid FROM catalog_changes WHERE seq > $1 ORDER BY seq LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter().map(|r| Ok((r.try_get("seq")?, r.try_get("uid")?))).collect()
}

/// Drops all but the last [`KEEP_ROWS`] rows.
pub async fn trim<'c>(ex: impl Executor<'c, Database = Any>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM catalog_changes WHERE seq <= (SELECT MAX(seq) FROM catalog_changes) - $1")
        .bind(KEEP_ROWS)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}
