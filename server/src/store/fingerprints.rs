//! The `file_fingerprints` table: what a whole processing pass read from
//! each file, so the next one can skip parsing the files that did not
//! change (see `ingest::unchanged`).

use hashbrown::HashMap;

use sqlx::{Any, Executor, Row};

use super::entities::{IN_CHUNK, INSERT_ROWS, STATE_COLUMNS, StoredState, bind_all, conn_is_sqlite, in_clause, insert_rows, insert_statement, keep_prepared, state_from_row};

/// A file's row as the next pass reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFingerprint {
    /// SHA-256 of the text and of what else its parse depends on (zeros
    /// when the stored text is not a hash).
    pub fingerprint: [u8; 32],
    /// How many entities the file emitted.
    pub entities: usize,
    /// Whether the location still stores exactly that many entities from
    /// the file, none orphaned or with errors: only then may the file be
    /// skipped (an entity deleted through the API, say, makes it read again).
    pub trusted: bool,
    /// Whether another file's source has the same hash: then neither file
    /// is taken for unchanged, whatever `trusted` says.
    pub collided: bool,
}

/// Every file fingerprint of a location, by the hash of its source under
/// `hasher` (see [`sources_hashed`] for the sources themselves). Hashes,
/// not the sources, are the keys: at 100,000 entities the map held 33,000
/// paths, about 3 MB of a periodic pass's peak memory. Two sources with
/// the same hash share one entry, marked [`StoredFingerprint::collided`].
pub async fn of_location<'c>(
    ex: impl Executor<'c, Database = Any>,
    location_id: &str,
    hasher: &hashbrown::DefaultHashBuilder,
) -> Result<HashMap<u64, StoredFingerprint>, sqlx::Error> {
    use futures_util::TryStreamExt;
    let mut rows = sqlx::query(
        "SELECT f.source, f.fingerprint, f.entities, \
           (SELECT count(*) FROM entities e \
             WHERE e.source = f.source AND e.location_id = f.location_id AND e.orphan = 0 AND e.errors IS NULL) AS stored \
         FROM file_fingerprints f WHERE f.location_id = $1",
    )
    .bind(location_id)
    .fetch(ex);
    let mut out: HashMap<u64, StoredFingerprint> = HashMap::new();
    while let Some(row) = rows.try_next().await? {
        let entities: i64 = row.try_get("entities")?;
        let stored: i64 = row.try_get("stored")?;
        let mut fingerprint = [0u8; 32];
        if hex::decode_to_slice(row.try_get::<&str, _>("fingerprint")?, &mut fingerprint).is_err() {
            fingerprint = [0u8; 32];
        }
        let key = std::hash::BuildHasher::hash_one(hasher, row.try_get::<&str, _>("source")?);
        match out.entry(key) {
            hashbrown::hash_map::Entry::Occupied(mut taken) => taken.get_mut().collided = true,
            hashbrown::hash_map::Entry::Vacant(free) => {
                free.insert(StoredFingerprint {
                    fingerprint,
                    entities: usize::try_from(entities).unwrap_or(0),
                    trusted: entities == stored,
                    collided: false,
                });
            }
        }
    }
    out.shrink_to_fit();
    Ok(out)
}

/// The sources of a location's fingerprints whose hashes under `hasher`
/// are in `hashes` (those [`of_location`] keyed them by).
pub async fn sources_hashed<'c>(
    ex: impl Executor<'c, Database = Any>,
    location_id: &str,
    hasher: &hashbrown::DefaultHashBuilder,
    hashes: &hashbrown::HashSet<u64>,
) -> Result<Vec<String>, sqlx::Error> {
    use futures_util::TryStreamExt;
    let mut rows = sqlx::query("SELECT source FROM file_fingerprints WHERE location_id = $1").bind(location_id).fetch(ex);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let source: &str = row.try_get("source")?;
        if hashes.contains(&std::hash::BuildHasher::hash_one(hasher, source)) {
            out.push(source.to_owned());
        }
    }
    Ok(out)
}

/// Drops the fingerprints of `sources` and records `fresh` ones
/// (`(source, fingerprint, entities)`), in the caller's transaction.
pub async fn replace(
    conn: &mut sqlx::AnyConnection,
    location_id: &str,
    sources: &[String],
    fresh: &[(String, String, usize)],
) -> Result<(), sqlx::Error> {
    let sqlite = conn_is_sqlite(conn);
    for chunk in sources.chunks(IN_CHUNK) {
        let last = if sqlite { "?".to_owned() } else { format!("${}", chunk.len() + 1) };
        let sql = format!("DELETE FROM file_fingerprints WHERE source IN ({}) AND location_id = {last}", in_clause(chunk.len(), sqlite));
        bind_all(&sql, chunk).bind(location_id).execute(&mut *conn).await?;
    }
    for chunk in fresh.chunks(IN_CHUNK / 4) {
        let sql = insert_statement("file_fingerprints", &["location_id", "source", "fingerprint", "entities"], chunk.len(), sqlite);
        let mut query = sqlx::query(&sql).persistent(keep_prepared(chunk.len(), IN_CHUNK / 4));
        for (source, fingerprint, entities) in chunk {
            query = query.bind(location_id).bind(source.as_str()).bind(fingerprint.as_str()).bind(i64::try_from(*entities).unwrap_or(i64::MAX));
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Drops every fingerprint of a location (it is being deleted).
pub async fn forget_location<'c>(ex: impl Executor<'c, Database = Any>, location_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM file_fingerprints WHERE location_id = $1").bind(location_id).execute(ex).await?;
    Ok(())
}

/// Calls `each` with the processing state of every entity of a location
/// that was not read from one of `sources` (files a pass found unchanged,
/// whose entities it need not look at: most of them, in a periodic pass).
/// The sources go through a temporary table of the connection, a batch at
/// a time: an `IN` list of 33,000 is past both engines' limits on
/// parameters. Without a rowid, the table is one B-tree, not two.
pub async fn each_state_outside<'s>(
    conn: &mut sqlx::AnyConnection,
    location_id: &str,
    sources: impl IntoIterator<Item = &'s String>,
    mut each: impl FnMut(StoredState),
) -> Result<(), sqlx::Error> {
    use futures_util::TryStreamExt;
    let without_rowid = if conn_is_sqlite(conn) { " WITHOUT ROWID" } else { "" };
    let create = format!("CREATE TEMPORARY TABLE IF NOT EXISTS pass_sources (source TEXT PRIMARY KEY NOT NULL){without_rowid}");
    sqlx::query(&create).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM pass_sources").execute(&mut *conn).await?;
    let mut sources = sources.into_iter().peekable();
    while sources.peek().is_some() {
        let batch: Vec<[Option<String>; 1]> = sources.by_ref().take(INSERT_ROWS).map(|s| [Some(s.clone())]).collect();
        let rows: Vec<&[Option<String>]> = batch.iter().map(|r| r.as_slice()).collect();
        insert_rows(&mut *conn, "pass_sources", &["source"], &rows).await?;
    }
    let sql = format!("SELECT {STATE_COLUMNS} FROM entities WHERE location_id = $1 AND source NOT IN (SELECT source FROM pass_sources)");
    {
        let mut found = sqlx::query(&sql).bind(location_id).fetch(&mut *conn);
        while let Some(row) = found.try_next().await? {
            each(state_from_row(&row)?);
        }
    }
    sqlx::query("DELETE FROM pass_sources").execute(&mut *conn).await?;
    Ok(())
}
