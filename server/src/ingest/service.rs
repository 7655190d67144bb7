//! The catalog at run time: processes every location, re-reads them on an
//! interval, and re-reads a location within half a second when one of its
//! local files changes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::watch;

use super::process::{Collected, KindRule, OrphanStrategy, ProcessOutcome, collect, process_files, process_location};
use super::file_events::{Checks, FileEvents};
use super::reader::{FileStamp, Reader, stamp};
use crate::search::{LocalChanges, SearchIndex};
use crate::store::{Db, changes};
use crate::store::locations::{self, LocationRow, ORIGIN_API};

/// How the catalog treats locations and their entities.
#[derive(Debug, Clone, Default)]
pub struct CatalogSettings {
    /// What happens to entities no longer emitted.
    pub orphans: OrphanStrategy,
    /// Kinds allowed from locations registered through the API.
    pub registered_rule: KindRule,
    /// Kinds allowed per static location target (config), when it has its own rules.
    pub static_rules: HashMap<String, KindRule>,
    /// Kinds allowed from static locations without their own rules.
    pub static_default_rule: KindRule,
    /// How often every location is re-read.
    pub refresh_interval: Duration,
    /// Where the search index is saved for the next start (none: not saved).
    pub index_snapshot: Option<std::path::PathBuf>,
}

impl CatalogSettings {
    fn rule_for(&self, location: &LocationRow) -> &KindRule {
        if location.origin == ORIGIN_API {
            return &self.registered_rule;
        }
        self.static_rules.get(&location.target).unwrap_or(&self.static_default_rule)
    }
}


/// Entities written or removed in one pass after which PostgreSQL's table
/// statistics are refreshed.
const REANALYZE_AFTER: usize = 5_000;

/// Entities written in one pass after which the search index gives back
/// the room its lists grew into (see [`SearchIndex::shrink_to_fit`]).
const SHRINK_AFTER: usize = 5_000;

/// Changes after which the refresh loop saves the index snapshot again.
const SNAPSHOT_AFTER_CHANGES: i64 = 1_000;

/// How often, at most, the snapshot is saved for fewer changes than that.
const SNAPSHOT_AT_MOST_EVERY: Duration = Duration::from_secs(600);

/// The catalog service shared by the API, the pages and the refresh loop.
pub struct Catalog {
    /// The database.
    pub db: Db,
    /// The in-memory index every query and relation lookup reads.
    pub index: SearchIndex,
    reader: Arc<dyn Reader>,
    settings: CatalogSettings,
    /// Local files each location read last time, with their modification stamps.
    watched: Mutex<HashMap<String, Vec<FileStamp>>>,
    /// Which of those files the OS says something happened to.
    file_events: Mutex<FileEvents>,
    /// Serialises processing so two passes never interleave their writes.
    processing: tokio::sync::Mutex<()>,
    /// Bumped after every change to the stored catalog.
    changes: watch::Sender<u64>,
    /// Set once the first pass over every location has finished (`/readyz`).
    ready: AtomicBool,
    /// Where processing passes are recorded, once set.
    metrics: OnceLock<Arc<crate::ops::Metrics>>,
    /// When the last pass over every location finished.
    last_full_pass: Mutex<Option<std::time::Instant>>,
    /// The change the saved index snapshot is current to, and when it was saved.
    snapshot_saved: tokio::sync::Mutex<(i64, std::time::Instant)>,
}

impl Catalog {
    /// A catalog over `db`, reading through `reader`, with its index loaded
    /// from what is stored.
    pub async fn open(db: Db, reader: Arc<dyn Reader>, settings: CatalogSettings) -> anyhow::Result<Arc<Catalog>> {
        let index = SearchIndex::new();
        index.open(&db, settings.index_snapshot.as_deref()).await?;
        let loaded_at = index.synced_seq().await;
        Ok(Arc::new(Catalog {
            db,
            index,
            reader,
            settings,
            watched: Mutex::new(HashMap::new()),
            file_events: Mutex::new(FileEvents::default()),
            processing: tokio::sync::Mutex::new(()),
            changes: watch::channel(0).0,
            ready: AtomicBool::new(false),
            metrics: OnceLock::new(),
            last_full_pass: Mutex::new(None),
            snapshot_saved: tokio::sync::Mutex::new((loaded_at, std::time::Instant::now())),
        }))
    }

    /// Saves the search index for the next start, when a snapshot file is
    /// configured and the index changed since the last save: at once with
    /// `force`, else after many changes or a while. Failures are logged;
    /// the next start then builds the index from the entities.
    pub async fn save_index_snapshot(self: &Arc<Self>, force: bool) {
        let Some(path) = self.settings.index_snapshot.clone() else { return };
        let mut saved = self.snapshot_saved.lock().await;
        let seq = self.index.synced_seq().await;
        let due = seq - saved.0 >= SNAPSHOT_AFTER_CHANGES || saved.1.elapsed() >= SNAPSHOT_AT_MOST_EVERY;
        if seq == saved.0 || !(force || due) {
            return;
        }
        let catalog = Arc::clone(self);
        let runtime = tokio::runtime::Handle::current();
        let started = std::time::Instant::now();
        let written = tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            catalog.index.write_snapshot(&runtime, &catalog.db, &path)
        })
        .await;
        match written {
            Ok(Ok(Some(seq))) => {
                crate::memory::release_freed();
                *saved = (seq, std::time::Instant::now());
                tracing::debug!(seq, elapsed = ?started.elapsed(), "search index snapshot saved");
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::warn!("cannot save the search index snapshot: {e:#}"),
            Err(e) => tracing::warn!("cannot save the search index snapshot: {e}"),
        }
    }

    /// Reads one location into the database. The local files it read go
    /// to the file watcher: the outcome's `local_files` comes back empty.
    pub async fn process(&self, location: &LocationRow) -> anyhow::Result<ProcessOutcome> {
        let _guard = self.processing.lock().await;
        let rule = self.settings.rule_for(location);
        let started = std::time::Instant::now();
        let outcome = process_location(&self.db, &self.index, self.reader.as_ref(), location, rule, self.settings.orphans).await;
        if let Some(metrics) = self.metrics.get() {
            metrics.record_processing(started.elapsed(), outcome.as_ref().map_or(1, |o| o.errors.len()));
        }
        if outcome.as_ref().is_ok_and(|o| o.written >= SHRINK_AFTER) {
            let shrinking = std::time::Instant::now();
            // The pass is stored: a failure here must not fail it.
            match self.index.shrink_to_fit().await {
                Ok(()) => tracing::debug!(elapsed = ?shrinking.elapsed(), "search index shrunk to fit"),
                Err(e) => tracing::warn!("cannot shrink the search index: {e}"),
            }
        }
        self.db.shrink_writer_cache().await;
        crate::memory::release_freed();
        let mut outcome = outcome?;
        // Moved, not copied: 33,000 paths at 100,000 entities.
        let stamps = std::mem::take(&mut outcome.local_files);
        if let Ok(mut events) = self.file_events.lock() {
            events.watch(stamps.iter().map(|s| s.0.as_path()));
        }
        if let Ok(mut watched) = self.watched.lock() {
            watched.insert(location.id.clone(), stamps);
        }
        if outcome.written + outcome.orphaned >= REANALYZE_AFTER {
            self.refresh_statistics().await;
        }
        if outcome.written > 0 || outcome.orphaned > 0 {
            self.notify_changed();
        }
        for error in &outcome.errors {
            tracing::warn!(location = %location.target, "{error}");
        }
        tracing::debug!(location = %location.target, files = outcome.files, unchanged_files = outcome.unchanged_files, written = outcome.written, orphaned = outcome.orphaned, "processed");
        Ok(outcome)
    }

    /// PostgreSQL plans the catalog's queries from table statistics, which a
    /// bulk write leaves stale until autovacuum comes by (right after a first
    /// ingest it estimated 40 rows for a filter matching 33,000).
    async fn refresh_statistics(&self) {
        if self.db.backend != crate::store::Backend::Postgres {
            return;
        }
        if let Err(e) = sqlx::query("ANALYZE entities, catalog_changes").execute(&self.db.pool).await {
            tracing::warn!("cannot refresh the table statistics: {e}");
        }
    }

    /// Reads a location without storing anything (`POST /locations?dryRun=true`).
    pub async fn dry_run(&self, location: &LocationRow) -> anyhow::Result<Collected> {
        collect(self.reader.as_ref(), location, &self.settings.registered_rule).await
    }

    /// Reads every location once.
    pub async fn process_all(&self) -> anyhow::Result<()> {
        for location in locations::list(&self.db.pool).await? {
            if let Err(e) = self.process(&location).await {
                tracing::error!(location = %location.target, "processing failed: {e:#}");
            }
        }
        self.ready.store(true, Ordering::Release);
        if let Ok(mut last) = self.last_full_pass.lock() {
            *last = Some(std::time::Instant::now());
        }
        Ok(())
    }

    /// Whether a full pass finished less than `within` ago.
    fn passed_within(&self, within: Duration) -> bool {
        self.last_full_pass.lock().ok().and_then(|l| *l).is_some_and(|at| at.elapsed() < within)
    }

    /// Whether a pass over every location has finished since start.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Records processing passes in `metrics` from now on (the first call wins).
    pub fn set_metrics(&self, metrics: Arc<crate::ops::Metrics>) {
        let _ = self.metrics.set(metrics);
    }

    /// Tells subscribers (the pages' snapshot) that the stored catalog changed.
    pub fn notify_changed(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    /// A receiver that sees every change to the stored catalog.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Deletes a location with every entity its tree emitted.
    pub async fn remove_location(&self, location_id: &str) -> anyhow::Result<()> {
        let _guard = self.processing.lock().await;
        let mut tx = changes::begin_write(&self.db).await?;
        let uids: Vec<String> =
            crate::store::entities::states_of_location(&mut *tx, location_id).await?.into_iter().map(|s| s.uid).collect();
        crate::store::entities::delete_many(&mut tx, &uids).await?;
        crate::store::fingerprints::forget_location(&mut *tx, location_id).await?;
        locations::delete(&mut *tx, location_id).await?;
        let range = changes::record(&mut tx, &uids).await?;
        changes::commit(&self.db, tx).await?;
        if let Ok(mut watched) = self.watched.lock() {
            watched.remove(location_id);
        }
        self.index.sync(&self.db, Some(LocalChanges { range, removed: uids, ..LocalChanges::default() })).await?;
        self.notify_changed();
        Ok(())
    }

    /// Deletes one entity (`DELETE /entities/by-uid`); `false` when there was none.
    pub async fn delete_entity(&self, uid: &str) -> anyhow::Result<bool> {
        let mut tx = changes::begin_write(&self.db).await?;
        let existed = crate::store::entities::delete(&mut tx, uid).await?;
        let range = changes::record(&mut tx, &[uid.to_owned()]).await?;
        changes::commit(&self.db, tx).await?;
        self.index.sync(&self.db, Some(LocalChanges { range, removed: vec![uid.to_owned()], ..LocalChanges::default() })).await?;
        if existed {
            self.notify_changed();
        }
        Ok(existed)
    }

    /// Follows other servers' writes (several replicas on one PostgreSQL
    /// database) until `shutdown` turns true: the index reads new change
    /// rows every second, and old rows are trimmed now and then.
    pub async fn follow_other_writers(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut poll = tokio::time::interval(Duration::from_secs(1));
        let mut trim = tokio::time::interval(Duration::from_secs(600));
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = poll.tick() => match self.index.sync(&self.db, None).await {
                    Ok(0) => {}
                    Ok(_) => self.notify_changed(),
                    Err(e) => tracing::warn!("cannot follow the catalog's changes: {e:#}"),
                },
                _ = trim.tick() => {
                    if let Err(e) = changes::trim(&self.db.pool).await {
                        tracing::warn!("cannot trim the catalog's change log: {e}");
                    }
                }
            }
        }
    }

    fn forget(&self, location_id: &str) {
        if let Ok(mut watched) = self.watched.lock() {
            watched.remove(location_id);
        }
    }

    /// Locations with local files that changed since they were read, and
    /// those files. Only files the OS reported an event for are checked,
    /// except now and then (see [`FileEvents`]).
    fn changed_locations(&self) -> Vec<(String, Vec<std::path::PathBuf>)> {
        let checks = match self.file_events.lock() {
            Ok(mut events) => events.look(),
            Err(_) => Checks::All,
        };
        if checks == Checks::Only(Default::default()) {
            return Vec::new();
        }
        let Ok(watched) = self.watched.lock() else { return Vec::new() };
        watched
            .iter()
            .map(|(id, stamps)| {
                let changed: Vec<std::path::PathBuf> = stamps
                    .iter()
                    .filter(|s| checks.includes(&s.0) && stamp(s.0.clone()) != **s)
                    .map(|s| s.0.clone())
                    .collect();
                (id.clone(), changed)
            })
            .filter(|(_, changed)| !changed.is_empty())
            .collect()
    }

    /// Re-reads the changed files of a location on their own when that is
    /// enough (see [`process_files`]), else the whole location.
    pub async fn process_changed(&self, location: &LocationRow, paths: &[std::path::PathBuf]) -> anyhow::Result<ProcessOutcome> {
        let partial = {
            let _guard = self.processing.lock().await;
            let rule = self.settings.rule_for(location);
            let started = std::time::Instant::now();
            let outcome = process_files(&self.db, &self.index, self.reader.as_ref(), location, rule, self.settings.orphans, paths).await?;
            if let (Some(outcome), Some(metrics)) = (&outcome, self.metrics.get()) {
                metrics.record_processing(started.elapsed(), outcome.errors.len());
            }
            outcome
        };
        let Some(outcome) = partial else { return self.process(location).await };
        if let Ok(mut watched) = self.watched.lock()
            && let Some(stamps) = watched.get_mut(&location.id)
        {
            for fresh in &outcome.local_files {
                if let Some(old) = stamps.iter_mut().find(|s| s.0 == fresh.0) {
                    *old = fresh.clone();
                }
            }
        }
        if outcome.written > 0 || outcome.orphaned > 0 {
            self.notify_changed();
        }
        for error in &outcome.errors {
            tracing::warn!(location = %location.target, "{error}");
        }
        tracing::debug!(location = %location.target, files = outcome.files, unchanged_files = outcome.unchanged_files, written = outcome.written, "changed files processed");
        Ok(outcome)
    }

    /// Runs the refresh loop until `shutdown` turns true: every location on
    /// the refresh interval, and a location whose local files changed within
    /// half a second.
    pub async fn run_refresh_loop(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let interval = self.settings.refresh_interval.max(Duration::from_secs(1));
        let mut full = tokio::time::interval(interval);
        let mut poll = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = shutdown.changed() => {
                    self.save_index_snapshot(true).await;
                    return;
                }
                _ = full.tick() => {
                    // The first tick fires at once: skip it when a pass just ran (at start-up).
                    if self.passed_within(interval / 2) {
                        continue;
                    }
                    if let Err(e) = self.process_all().await {
                        tracing::error!("refresh failed: {e:#}");
                    }
                    self.save_index_snapshot(false).await;
                }
                _ = poll.tick() => {
                    let changed = tokio::task::block_in_place(|| self.changed_locations());
                    for (id, paths) in changed {
                        match locations::get(&self.db.pool, &id).await {
                            Ok(Some(location)) => {
                                if let Err(e) = self.process_changed(&location, &paths).await {
                                    tracing::error!(location = %location.target, "processing failed: {e:#}");
                                }
                            }
                            Ok(None) => self.forget(&id),
                            Err(e) => tracing::error!("cannot read locations: {e}"),
                        }
                    }
                }
            }
        }
    }
}
