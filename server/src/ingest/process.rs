//! Processing one location: read its files and every file its Location
//! entities point at, then bring the stored catalog in line in one
//! transaction — new and changed entities written, entities no longer emitted
//! orphaned, and read or parse failures recorded on the entities they touch
//! while their last good version stays served.

use std::collections::{HashMap, HashSet, VecDeque};

use portolan_catalog::{Entity, LocationRef, location_targets};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::reader::Reader;
use crate::search::{LocalChanges, SearchIndex};
use crate::store::entities::{self, EntityWrite, StoredState};
use crate::store::locations::LocationRow;
use crate::store::{Db, changes};

/// How many files are parsed at once (on tokio's blocking pool).
const PARALLEL_PARSES: usize = 16;

/// What happens to entities no location emits any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrphanStrategy {
    /// Delete them (Backstage's default).
    #[default]
    Delete,
    /// Keep them, annotated `backstage.io/orphan: "true"`.
    Keep,
}

/// Which kinds a location may emit; `None` allows every kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindRule(pub Option<Vec<String>>);

impl KindRule {
    fn allows(&self, kind: &str) -> bool {
        self.0.as_ref().is_none_or(|kinds| kinds.iter().any(|k| k.eq_ignore_ascii_case(kind)))
    }
}

/// What one processing pass did, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessOutcome {
    /// Files read.
    pub files: usize,
    /// Entities emitted by those files.
    pub emitted: usize,
    /// Entities written because they are new or changed.
    pub written: usize,
    /// Entities deleted or marked as orphans.
    pub orphaned: usize,
    /// Problems recorded (read failures, invalid documents, conflicts).
    pub errors: Vec<String>,
    /// Local files read, stamped before reading, for the file watcher.
    pub local_files: Vec<super::reader::FileStamp>,
}

/// An entity read from a file.
#[derive(Debug, Clone)]
pub struct Emitted {
    /// The entity, with its managed-by annotations.
    pub entity: Entity,
    /// The file it came from, `<type>:<target>`.
    pub source: String,
    /// The Location entity whose target led to that file (none for the generated root).
    pub parent: Option<String>,
}

/// Everything read from a location's tree, before it is stored.
#[derive(Debug, Default)]
pub struct Collected {
    /// Valid entities, the generated Location entity first.
    pub emitted: Vec<Emitted>,
    failed: HashMap<String, String>,
    unsure_sources: HashSet<String>,
    invalid: HashMap<String, Vec<String>>,
    /// Counts and problems so far.
    pub outcome: ProcessOutcome,
}

/// The entity of a registered location, as Backstage generates it:
/// `location:default/generated-<sha1 of "<type>:<target>">`.
pub fn generated_location_entity(location: &LocationRow) -> Entity {
    use sha1::Digest as _;
    let key = format!("{}:{}", location.location_type, location.target);
    let name = format!("generated-{}", hex::encode(sha1::Sha1::digest(key.as_bytes())));
    let mut spec = serde_json::Map::new();
    spec.insert("type".into(), location.location_type.clone().into());
    spec.insert("target".into(), location.target.clone().into());
    let mut annotations = indexmap::IndexMap::new();
    annotations.insert("backstage.io/managed-by-location".to_owned(), key.clone());
    annotations.insert("backstage.io/managed-by-origin-location".to_owned(), key);
    Entity {
        api_version: "backstage.io/v1alpha1".into(),
        kind: "Location".into(),
        metadata: portolan_catalog::Metadata {
            name,
            namespace: "default".into(),
            uid: None,
            etag: None,
            title: None,
            description: None,
            labels: Default::default(),
            annotations,
            tags: Vec::new(),
            links: Vec::new(),
            extra: Default::default(),
        },
        spec: Some(spec),
        relations: Vec::new(),
        status: None,
    }
}

/// Reads a location's tree, stores what it emits and brings `index` up to date.
pub async fn process_location(
    db: &Db,
    index: &SearchIndex,
    reader: &dyn Reader,
    location: &LocationRow,
    rule: &KindRule,
    orphans: OrphanStrategy,
) -> anyhow::Result<ProcessOutcome> {
    let started = std::time::Instant::now();
    let collected = collect(reader, location, rule).await?;
    let read = started.elapsed();
    let Collected { emitted, failed, unsure_sources, invalid, mut outcome } = collected;
    outcome.emitted = emitted.len();
    let stored = Stored { db, index, location, orphans };
    stored.store(Scope::Location, emitted, &failed, &unsure_sources, &invalid, &mut outcome).await?;
    tracing::debug!(target = %location.target, ?read, stored = ?(started.elapsed() - read), "location processed");
    Ok(outcome)
}

/// Reads a location's tree: its files, and the files its Location entities
/// point at, transitively. Nothing is stored (this is also the dry run).
pub async fn collect(reader: &dyn Reader, location: &LocationRow, rule: &KindRule) -> anyhow::Result<Collected> {
    let root = LocationRef::new(&location.location_type, &location.target);
    let mut outcome = ProcessOutcome::default();
    let generated = generated_location_entity(location);
    let generated_ref = generated.entity_ref().to_string();
    let mut emitted = vec![Emitted { entity: generated, source: root.to_string(), parent: None }];
    let mut failed: HashMap<String, String> = HashMap::new();
    let mut unsure_sources: HashSet<String> = HashSet::new();
    let mut invalid: HashMap<String, Vec<String>> = HashMap::new();
    let mut queue = VecDeque::from([(root.clone(), generated_ref)]);
    let mut seen = HashSet::new();
    while let Some((loc, parent_ref)) = queue.pop_front() {
        if !seen.insert(loc.clone()) {
            continue;
        }
        let files = match reader.read(&loc).await {
            Ok(files) => files,
            Err(message) => {
                outcome.errors.push(format!("{loc}: {message}"));
                failed.insert(loc.to_string(), message);
                continue;
            }
        };
        // Files parse in parallel on the blocking pool; results keep their order.
        let reports: Vec<_> = futures_util::stream::iter(files)
            .map(|super::reader::ReadFile { location, text, stamp }| async move {
                let report = super::url_reader::parse_read_file(reader, &location, text).await;
                (location, stamp, report)
            })
            .buffered(PARALLEL_PARSES)
            .collect()
            .await;
        for (file_location, stamp, report) in reports {
            let report = report?;
            if let Some(stamp) = stamp {
                outcome.local_files.push(stamp);
            }
            let mut sink = FileSink { emitted: &mut emitted, invalid: &mut invalid, unsure_sources: &mut unsure_sources, outcome: &mut outcome };
            for (target, me) in absorb_file(report, &file_location, &root, &parent_ref, rule, &mut sink) {
                queue.push_back((target, me));
            }
        }
    }
    Ok(Collected { emitted, failed, unsure_sources, invalid, outcome })
}

/// Where [`absorb_file`] puts what one file yields.
struct FileSink<'a> {
    emitted: &'a mut Vec<Emitted>,
    invalid: &'a mut HashMap<String, Vec<String>>,
    unsure_sources: &'a mut HashSet<String>,
    outcome: &'a mut ProcessOutcome,
}

/// Takes in one parsed file: its valid entities (annotated with where they
/// came from), its invalid documents and their errors. Returns the Location
/// targets its Location entities point at, with the referring entity's ref.
fn absorb_file(
    report: portolan_catalog::FileReport,
    file_location: &LocationRef,
    root: &LocationRef,
    parent_ref: &str,
    rule: &KindRule,
    sink: &mut FileSink<'_>,
) -> Vec<(LocationRef, String)> {
    let mut targets = Vec::new();
    sink.outcome.files += 1;
    let source = file_location.to_string();
    for doc in report.documents {
        let doc_errors: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.document == doc.index && d.severity == portolan_catalog::Severity::Error)
            .map(|d| format!("{}:{}:{}: {}", file_location.target, d.line, d.column, d.message))
            .collect();
        match doc.entity {
            Some(mut entity) if rule.allows(&entity.kind) => {
                let me = entity.entity_ref().to_string();
                for target in location_targets(&entity, file_location) {
                    targets.push((target.location, me.clone()));
                }
                let annotations = &mut entity.metadata.annotations;
                annotations.insert("backstage.io/managed-by-location".into(), source.clone());
                annotations.insert("backstage.io/managed-by-origin-location".into(), root.to_string());
                sink.emitted.push(Emitted { entity, source: source.clone(), parent: Some(parent_ref.to_owned()) });
            }
            Some(entity) => sink
                .outcome
                .errors
                .push(format!("{source}: kind {} is not allowed by the catalog rules for this location", entity.kind)),
            None if doc_errors.is_empty() => {}
            None => {
                let known = doc.envelope.as_ref().and_then(|env| {
                    let name = env.name.as_deref()?;
                    Some(portolan_catalog::EntityRef::new(&env.kind, "default", name).to_string())
                });
                match known {
                    Some(r) => sink.invalid.entry(r).or_default().extend(doc_errors.iter().cloned()),
                    None => {
                        sink.unsure_sources.insert(source.clone());
                    }
                }
                sink.outcome.errors.extend(doc_errors);
            }
        }
    }
    targets
}

/// Re-reads only `paths`, local files of `location` that changed while the
/// rest of its tree did not, and brings just their entities up to date.
/// `Ok(None)` when that is not enough and the whole location must be
/// processed: a file is gone or unreadable, it holds (or held) a Location
/// entity, or nothing was stored from it before.
pub async fn process_files(
    db: &Db,
    index: &SearchIndex,
    reader: &dyn Reader,
    location: &LocationRow,
    rule: &KindRule,
    orphans: OrphanStrategy,
    paths: &[std::path::PathBuf],
) -> anyhow::Result<Option<ProcessOutcome>> {
    let root = LocationRef::new(&location.location_type, &location.target);
    let mut collected = Collected::default();
    let mut sources = Vec::new();
    for path in paths {
        let file = LocationRef::new("file", path.to_string_lossy());
        let source = file.to_string();
        let Some(parent_ref) = entities::parent_of_source(&db.pool, &location.id, &source).await? else { return Ok(None) };
        let Ok(files) = reader.read(&file).await else { return Ok(None) };
        for super::reader::ReadFile { location: file_location, text, stamp } in files {
            let report = super::url_reader::parse_read_file(reader, &file_location, text).await?;
            if let Some(stamp) = stamp {
                collected.outcome.local_files.push(stamp);
            }
            let mut sink = FileSink {
                emitted: &mut collected.emitted,
                invalid: &mut collected.invalid,
                unsure_sources: &mut collected.unsure_sources,
                outcome: &mut collected.outcome,
            };
            if !absorb_file(report, &file_location, &root, &parent_ref, rule, &mut sink).is_empty() {
                return Ok(None);
            }
        }
        sources.push(source);
    }
    if collected.emitted.iter().any(|e| e.entity.kind.eq_ignore_ascii_case("location")) {
        return Ok(None);
    }
    let Collected { emitted, failed, unsure_sources, invalid, mut outcome } = collected;
    outcome.emitted = emitted.len();
    let scope = Scope::Sources(&sources);
    let stored = Stored { db, index, location, orphans };
    if !stored.store(scope, emitted, &failed, &unsure_sources, &invalid, &mut outcome).await? {
        return Ok(None);
    }
    Ok(Some(outcome))
}

/// Which stored entities a pass answers for: every one the location emitted,
/// or only those read from some of its files.
#[derive(Debug, Clone, Copy)]
enum Scope<'a> {
    Location,
    Sources(&'a [String]),
}

/// Builds every entity's rows on all cores.
fn prepare_all(to_write: &[(String, Emitted, String)], location_id: &str, for_index: bool) -> anyhow::Result<Vec<entities::PreparedEntity>> {
    use rayon::prelude::*;
    let now = entities::now();
    to_write
        .par_iter()
        .map(|(uid, e, hash)| {
            let entity_ref = e.entity.entity_ref();
            let mut body = serde_json::to_value(&e.entity)?;
            if let Some(obj) = body.as_object_mut() {
                obj.remove("relations");
                obj.remove("status");
            }
            if let Some(meta) = body.get_mut("metadata").and_then(serde_json::Value::as_object_mut) {
                meta.insert("uid".into(), uid.clone().into());
            }
            let write = EntityWrite {
                uid,
                entity_ref: &entity_ref,
                location_id,
                source: &e.source,
                parent_ref: e.parent.as_deref(),
                hash,
                body: &body,
                relations: &e.entity.relations,
            };
            Ok(entities::prepare(&write, &now, for_index))
        })
        .collect()
}

/// Passes writing more entities than this do not keep their index entries
/// until the commit: the index reads them back afterwards, a batch at a
/// time, which bounds the memory of a bulk load.
const KEEP_FOR_INDEX: usize = 20_000;

/// Entities prepared and inserted per round: bounds the rows held in memory.
const WRITE_CHUNK: usize = 2_000;

/// Prepares rows on all cores and inserts them, one chunk at a time, with the
/// next chunk prepared while the current one is inserted. Returns the
/// entities' index entries, for after the commit.
async fn write_in_chunks(
    tx: &mut sqlx::AnyConnection,
    to_write: Vec<(String, Emitted, String)>,
    location_id: &str,
) -> anyhow::Result<HashMap<String, crate::search::IndexedEntity>> {
    let for_index = to_write.len() <= KEEP_FOR_INDEX;
    let mut indexed = HashMap::with_capacity(if for_index { to_write.len() } else { 0 });
    // Each chunk is moved into its preparing task, so the parsed entities
    // are freed chunk by chunk as their rows are built.
    let mut chunks: VecDeque<Vec<(String, Emitted, String)>> = VecDeque::new();
    let mut rest = to_write.into_iter().peekable();
    while rest.peek().is_some() {
        chunks.push_back(rest.by_ref().take(WRITE_CHUNK).collect());
    }
    let spawn_prepare = |items: Vec<(String, Emitted, String)>| {
        let location_id = location_id.to_owned();
        tokio::task::spawn_blocking(move || prepare_all(&items, &location_id, for_index))
    };
    let mut next = chunks.pop_front().map(spawn_prepare);
    while let Some(pending) = next.take() {
        let prepared = pending.await??;
        next = chunks.pop_front().map(spawn_prepare);
        entities::insert_prepared(tx, &prepared).await?;
        indexed.extend(prepared.into_iter().filter_map(|p| Some((p.uid, p.indexed?))));
    }
    Ok(indexed)
}

fn hash_of(entity: &Entity) -> String {
    let text = serde_json::to_string(entity).unwrap_or_default();
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Where a pass stores what it read.
struct Stored<'a> {
    db: &'a Db,
    index: &'a SearchIndex,
    location: &'a LocationRow,
    orphans: OrphanStrategy,
}

impl Stored<'_> {
    /// Brings the stored entities of `scope` in line with `emitted`, in one
    /// transaction, then the index. `false` (nothing written) when a scoped pass
    /// finds a stored Location entity among its entities: the caller then
    /// processes it all.
    async fn store(
        &self,
        scope: Scope<'_>,
        emitted: Vec<Emitted>,
        failed: &HashMap<String, String>,
        unsure_sources: &HashSet<String>,
        invalid: &HashMap<String, Vec<String>>,
        outcome: &mut ProcessOutcome,
    ) -> anyhow::Result<bool> {
        let Stored { db, index, location, orphans } = *self;
        let phase = std::time::Instant::now();
        // References and content hashes on all cores, before the transaction.
        let (emitted, keys) = tokio::task::spawn_blocking(move || {
            use rayon::prelude::*;
            let keys: Vec<(String, String)> = emitted.par_iter().map(|e| (e.entity.entity_ref().to_string(), hash_of(&e.entity))).collect();
            (emitted, keys)
        })
        .await?;
        let hashed = phase.elapsed();
        let mut tx = db.pool.begin().await?;
        changes::lock_writers(&mut tx, db.backend).await?;
        let states = match scope {
            Scope::Location => entities::states_of_location(&mut *tx, &location.id).await?,
            Scope::Sources(sources) => {
                let states = entities::states_of_sources(&mut tx, &location.id, sources).await?;
                if states.iter().any(|s| s.entity_ref.starts_with("location:")) {
                    return Ok(false);
                }
                states
            }
        };
        let stored: HashMap<String, StoredState> = states.into_iter().map(|s| (s.entity_ref.clone(), s)).collect();
        let unknown: Vec<String> = keys.iter().map(|(r, _)| r).filter(|r| !stored.contains_key(*r)).cloned().collect();
        let owners = entities::owners_of(&mut tx, &unknown).await?;
        let looked_up = phase.elapsed();
        if matches!(scope, Scope::Sources(_)) && owners.values().any(|owner| *owner == location.id) {
            // An entity moved between files of this location: only a whole pass sees both.
            return Ok(false);
        }
        let mut kept: HashSet<String> = HashSet::new();
        let mut to_write: Vec<(String, Emitted, String)> = Vec::new();
        let mut replaced: Vec<String> = Vec::new();
        let mut cleared: Vec<String> = Vec::new();
        for (e, (key, hash)) in emitted.into_iter().zip(keys) {
            if !kept.insert(key.clone()) {
                outcome.errors.push(format!("{}: {key} is defined twice; the first definition is kept", e.source));
                continue;
            }
            if owners.contains_key(&key) {
                outcome.errors.push(format!("ConflictError: {key} from {} is already provided by another location", e.source));
                continue;
            }
            let uid = match stored.get(&key) {
                Some(s) if s.hash == hash && !s.orphan && !invalid.contains_key(&key) => {
                    if s.has_errors {
                        cleared.push(s.uid.clone());
                    }
                    continue;
                }
                Some(s) => {
                    replaced.push(s.uid.clone());
                    s.uid.clone()
                }
                // Time-ordered uids: new rows land at the end of every uid index.
                None => uuid::Uuid::now_v7().to_string(),
            };
            to_write.push((uid, e, hash));
        }
        outcome.written = to_write.len();
        let mut touched: Vec<String> = to_write.iter().map(|(uid, _, _)| uid.clone()).collect();
        entities::delete_many(&mut tx, &replaced).await?;
        let upserts = write_in_chunks(&mut tx, to_write, &location.id).await?;
        entities::clear_errors_many(&mut tx, &cleared).await?;
        let written = phase.elapsed();
        for (key, state) in &stored {
            if kept.contains(key) {
                continue;
            }
            if let Some(errors) = invalid.get(key) {
                entities::set_errors(&mut *tx, &state.uid, errors).await?;
            } else if let Some(message) = failed.get(&state.source) {
                entities::set_errors(&mut *tx, &state.uid, std::slice::from_ref(message)).await?;
            } else if unsure_sources.contains(&state.source) {
                let message = format!("{}: the file has documents that could not be read; the last good version is kept", state.source);
                entities::set_errors(&mut *tx, &state.uid, &[message]).await?;
            } else {
                outcome.orphaned += 1;
                match orphans {
                    OrphanStrategy::Delete => {
                        entities::delete(&mut tx, &state.uid).await?;
                        touched.push(state.uid.clone());
                    }
                    OrphanStrategy::Keep => entities::set_orphan(&mut *tx, &state.uid).await?,
                }
            }
        }
        let range = changes::record(&mut tx, &touched).await?;
        tx.commit().await?;
        let committed = phase.elapsed();
        index.sync(db, Some(LocalChanges { range, upserts })).await?;
        tracing::debug!(
            entities = outcome.written, ?hashed, ?looked_up, ?written, ?committed, indexed = ?phase.elapsed(),
            "entities stored (times since the start of the pass)"
        );
        Ok(true)
    }
}
