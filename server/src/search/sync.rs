//! Keeping the index in step with the database: a full load from
//! `entities`, then the `catalog_changes` rows after the last one applied.

use hashbrown::{HashMap, HashSet};
use std::path::Path;

use futures_util::StreamExt;

use super::snapshot::{self, SnapshotPoint};
use super::{IndexedEntity, SearchIndex, State};
use crate::store::entities::{self, IndexSource};
use crate::store::{Db, changes};

/// Entities built per batch when loading or syncing.
const BATCH: usize = 4_096;

/// What a server just committed, so its own index need not read it back:
/// the change rows it appended and, per uid, the entries it built. Other
/// uids of the range (deletions not listed, entries of a bulk pass not
/// kept) are read from the database.
#[derive(Debug, Default)]
pub struct LocalChanges {
    /// The sequence numbers of the rows the write appended.
    pub range: Option<(i64, i64)>,
    /// The entries written, by uid (all of them, some, or none).
    pub upserts: HashMap<String, IndexedEntity>,
    /// Uids the write deleted and did not write again (all, some or none).
    pub removed: Vec<String>,
}

impl LocalChanges {
    /// Whether these changes are the whole of their range, one row per
    /// entry or removal, so that nothing of it need be read back.
    fn cover_their_range(&self) -> bool {
        self.range.is_some_and(|(first, end)| {
            usize::try_from(end - first + 1).is_ok_and(|rows| rows == self.upserts.len() + self.removed.len())
        })
    }
}

fn build(rows: &[IndexSource]) -> Vec<IndexedEntity> {
    use rayon::prelude::*;
    rows.par_iter()
        .filter_map(|r| match IndexedEntity::from_stored(&r.uid, &r.entity_ref, &r.body, &r.relations) {
            Ok(entity) => Some(entity),
            Err(e) => {
                tracing::warn!(entity = %r.entity_ref, "stored entity cannot be indexed: {e}");
                None
            }
        })
        .collect()
}

impl SearchIndex {
    /// Fills the index from the snapshot at `snapshot` when the file is
    /// current to a change this database has, then applies the changes
    /// since; otherwise (no file, an unusable one) from every stored entity.
    pub async fn open(&self, db: &Db, snapshot: Option<&Path>) -> anyhow::Result<()> {
        if let Some(path) = snapshot.filter(|p| p.exists()) {
            match self.load_snapshot(db, path).await {
                Ok(true) => {
                    self.sync(db, None).await?;
                    return Ok(());
                }
                Ok(false) => tracing::info!(path = %path.display(), "the index snapshot is not of this database's changes; building the index"),
                Err(e) => tracing::warn!(path = %path.display(), "cannot use the index snapshot, building the index: {e:#}"),
            }
        }
        self.load(db).await
    }

    /// Replaces the index with the snapshot at `path`; `false` when it is
    /// not current to a change `db` still has.
    async fn load_snapshot(&self, db: &Db, path: &Path) -> anyhow::Result<bool> {
        let point = snapshot::point_of(path)?;
        let oldest = changes::oldest(&db.pool).await?;
        let kept = oldest.is_some_and(|oldest| oldest <= point.seq + 1);
        if !kept || changes::uid_at(&db.pool, point.seq).await?.as_deref() != Some(point.uid.as_str()) {
            return Ok(false);
        }
        let file = path.to_owned();
        let (read_point, state) = tokio::task::spawn_blocking(move || snapshot::read(&file)).await??;
        if read_point != point {
            return Ok(false);
        }
        let mut synced = self.synced.lock().await;
        *self.write() = state;
        *synced = point.seq;
        Ok(true)
    }

    /// Saves the index to `path`, current to the last change it applied;
    /// `None` when there is no change to be current to. Blocks (the file
    /// is written here): call it off the async runtime, with `runtime` a
    /// handle to it for the one query.
    pub fn write_snapshot(&self, runtime: &tokio::runtime::Handle, db: &Db, path: &Path) -> anyhow::Result<Option<i64>> {
        let synced = self.synced.blocking_lock();
        if *synced == 0 {
            return Ok(None);
        }
        let Some(uid) = runtime.block_on(changes::uid_at(&db.pool, *synced))? else { return Ok(None) };
        let point = SnapshotPoint { seq: *synced, uid };
        snapshot::write(&self.read(), &point, path)?;
        Ok(Some(point.seq))
    }

    /// The last `catalog_changes` row applied.
    pub async fn synced_seq(&self) -> i64 {
        *self.synced.lock().await
    }

    /// Replaces the index with every stored entity. Queries keep the old
    /// contents until the new ones are complete.
    pub async fn load(&self, db: &Db) -> anyhow::Result<()> {
        let mut synced = self.synced.lock().await;
        let seq = changes::latest(&db.pool).await?;
        // Three stages at once: rows read from the database, entries built on
        // every core, and entries inserted (interning is single-threaded).
        let (built_tx, built_rx) = std::sync::mpsc::sync_channel::<Vec<IndexedEntity>>(2);
        let inserter = tokio::task::spawn_blocking(move || {
            let mut fresh = State::default();
            for batch in built_rx {
                for entity in batch {
                    fresh.insert(entity);
                }
            }
            fresh.shrink_to_fit();
            fresh
        });
        let mut stream = entities::index_sources(&db.pool);
        let mut building: Option<tokio::task::JoinHandle<bool>> = None;
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let row = stream.next().await.transpose()?;
            let done = row.is_none();
            batch.extend(row);
            if batch.len() < BATCH && !done {
                continue;
            }
            if let Some(task) = building.take() {
                task.await?;
            }
            let rows = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            let built_tx = built_tx.clone();
            building = Some(tokio::task::spawn_blocking(move || built_tx.send(build(&rows)).is_ok()));
            if done {
                break;
            }
        }
        if let Some(task) = building {
            task.await?;
        }
        drop(built_tx);
        *self.write() = inserter.await?;
        *synced = seq;
        Ok(())
    }

    /// Applies the changes committed since the last sync: `local` ones from
    /// what this server built, others read from the database — up to the
    /// end of `local`'s range when it has one (later rows are the next
    /// sync's), else all. Returns how many entities changed in the index.
    pub async fn sync(&self, db: &Db, local: Option<LocalChanges>) -> anyhow::Result<usize> {
        let mut local = local.unwrap_or_default();
        let mut synced = self.synced.lock().await;
        // The usual case of a pass's chunks: this server's own write, right
        // after what the index has, applied without a query (writers hold
        // a lock while they append, so the range is the write's alone).
        if let Some((first, end)) = local.range
            && *synced + 1 == first
            && local.cover_their_range()
        {
            let upserts: Vec<IndexedEntity> = local.upserts.into_values().collect();
            let applied = upserts.len() + local.removed.len();
            self.apply_off_runtime(upserts, local.removed).await?;
            *synced = end;
            return Ok(applied);
        }
        if changes::oldest(&db.pool).await?.is_some_and(|oldest| oldest > *synced + 1) {
            // Rows this index never saw were trimmed: start over.
            drop(synced);
            self.load(db).await?;
            return Ok(self.len());
        }
        let until = local.range.map(|(_, end)| end);
        let mut applied = 0;
        loop {
            if until.is_some_and(|until| *synced >= until) {
                break;
            }
            let mut batch = changes::since(&db.pool, *synced, BATCH as i64 * 4).await?;
            if let Some(until) = until {
                batch.retain(|&(seq, _)| seq <= until);
            }
            let Some(&(last, _)) = batch.last() else { break };
            let mut latest: HashMap<String, i64> = HashMap::with_capacity(batch.len());
            for (seq, uid) in batch {
                latest.insert(uid, seq);
            }
            let mut upserts = Vec::new();
            let mut fetch = Vec::new();
            for (uid, seq) in latest {
                let local_entry = match local.range {
                    Some((first, end)) if (first..=end).contains(&seq) => local.upserts.remove(&uid),
                    _ => None,
                };
                // Deletions and entries the writer did not keep are read back:
                // an entity no longer stored is removed.
                match local_entry {
                    Some(entity) => upserts.push(entity),
                    None => fetch.push(uid),
                }
            }
            let sources = entities::index_sources_of(&db.pool, &fetch).await?;
            let removals: Vec<String> = {
                let found: HashSet<&str> = sources.iter().map(|s| s.uid.as_str()).collect();
                fetch.iter().filter(|u| !found.contains(u.as_str())).cloned().collect()
            };
            let built = tokio::task::spawn_blocking(move || build(&sources)).await?;
            upserts.extend(built);
            applied += upserts.len() + removals.len();
            self.apply_off_runtime(upserts, removals).await?;
            *synced = last;
        }
        Ok(applied)
    }
}
