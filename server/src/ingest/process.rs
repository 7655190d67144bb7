//! Processing one location: read its files and every file its Location
//! entities point at, and bring the stored catalog in line (see
//! [`super::pass`]) — new and changed entities written, entities no longer
//! emitted orphaned, and read or parse failures recorded on the entities they
//! touch while their last good version stays served.

use std::collections::{HashSet, VecDeque};

use portolan_catalog::{Entity, LocationRef, location_targets};
use tokio::sync::mpsc;

use super::pass::{PassWriter, ReadFailures, Scope};
use super::staged::{Staged, stage};
use super::reader::{ReadFile, Reader};
use super::unchanged::{FileNotes, Fingerprints, Sorted, clean_entities};
use crate::search::{LocalChanges, SearchIndex};
use crate::store::entities;
use crate::store::locations::LocationRow;
use crate::store::Db;

/// How many files are parsed at once, on every core.
const FILES_PER_PARSE: usize = 512;

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
    pub(super) fn allows(&self, kind: &str) -> bool {
        self.0.as_ref().is_none_or(|kinds| kinds.iter().any(|k| k.eq_ignore_ascii_case(kind)))
    }
}

/// What one processing pass did, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessOutcome {
    /// Files read.
    pub files: usize,
    /// Of those, files not parsed again: unchanged since the last pass.
    pub unchanged_files: usize,
    /// Entities emitted by those files.
    pub emitted: usize,
    /// Entities written because they are new or changed.
    pub written: usize,
    /// Entities deleted or marked as orphans.
    pub orphaned: usize,
    /// Problems recorded (read failures, invalid documents, conflicts).
    pub errors: Vec<String>,
    /// Local files read, stamped before reading, for the file watcher
    /// ([`crate::ingest::Catalog::process`] hands them to it and leaves this empty).
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

/// Everything read from a location's tree, for a dry run.
#[derive(Debug, Default)]
pub struct Collected {
    /// Valid entities, the generated Location entity first.
    pub emitted: Vec<Emitted>,
    /// Counts and problems.
    pub outcome: ProcessOutcome,
}

/// How many entities a pass stores per transaction: what bounds the parsed
/// entities held in memory, while a transaction stays short. With four
/// chunks in flight at once (read, staged, written, indexed), 2,048 took
/// the peak of a 100,000-entity ingest about 15 MB higher, for no time
/// that could be told from the noise.
const CHUNK: usize = 1_024;

/// What the reading half of a pass hands the writing half.
enum Read {
    /// Entities to store, in the order they were read, with what was learnt
    /// of the fingerprints of their files and of the unchanged files before them.
    Chunk(Vec<Emitted>, FileNotes),
    /// Every file is read; what went wrong decides about the rest.
    Done(ReadFailures),
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

/// Reads a location's tree, stores what it emits and brings `index` up to
/// date. Reading and writing run at once: chunks of parsed entities are
/// stored while the next files are parsed.
pub async fn process_location(
    db: &Db,
    index: &SearchIndex,
    reader: &dyn Reader,
    location: &LocationRow,
    rule: &KindRule,
    orphans: OrphanStrategy,
) -> anyhow::Result<ProcessOutcome> {
    let started = std::time::Instant::now();
    let root = LocationRef::new(&location.location_type, &location.target).to_string();
    let fingerprints = Fingerprints::load(&db.pool, &location.id, &root, rule).await?;
    let (sender, mut chunks) = mpsc::channel::<Read>(1);
    let (to_index, mut written) = mpsc::channel::<LocalChanges>(1);
    let mut writer = PassWriter::new(db, location, orphans, Scope::Location);
    // The index applies each chunk while the next one is written.
    let indexing = async {
        let mut busy = std::time::Duration::ZERO;
        while let Some(changes) = written.recv().await {
            let started = std::time::Instant::now();
            index.sync(db, Some(changes)).await?;
            // What the chunk's staging, rows and entries freed goes back now,
            // not after the pass (see `crate::memory`): the peak of a
            // 100,000-entity ingest was 293-300 MB with this and 304-307 MB
            // without, in alternating runs of the same time.
            crate::memory::release_freed();
            busy += started.elapsed();
        }
        tracing::debug!(target = %location.target, indexing = ?busy, "location indexed");
        anyhow::Ok(())
    };
    let writing = async {
        let mut stored = ProcessOutcome::default();
        // One chunk is held back, so that the last is written with the
        // failures; it is staged meanwhile, while the one before is written.
        let mut pending: Option<(tokio::task::JoinHandle<anyhow::Result<Vec<Staged>>>, FileNotes)> = None;
        let mut busy = std::time::Duration::ZERO;
        while let Some(read) = chunks.recv().await {
            let (ready, failures) = match read {
                Read::Chunk(chunk, notes) => {
                    stored.emitted += chunk.len() + notes.unchanged_entities;
                    (pending.replace((tokio::spawn(stage(chunk)), notes)), None)
                }
                Read::Done(failures) => (pending.take(), Some(failures)),
            };
            let (ready, notes) = match ready {
                Some((staging, notes)) => (staging.await??, notes),
                None => (Vec::new(), FileNotes::default()),
            };
            let writing = std::time::Instant::now();
            if (!ready.is_empty() || !notes.is_empty() || failures.is_some())
                && let Ok(changes) = writer.write(ready, notes, failures.as_ref(), &mut stored).await?
            {
                to_index.send(changes).await.map_err(|_| anyhow::anyhow!("indexing the location stopped"))?;
            }
            busy += writing.elapsed();
        }
        tracing::debug!(target = %location.target, writing = ?busy, steps = ?writer.timing, "location stored");
        drop(to_index);
        // Closed without `Done`: the reading failed, and says why.
        anyhow::Ok(stored)
    };
    let (read, stored, indexed) = tokio::join!(read_tree(reader, location, rule, Some(fingerprints), sender), writing, indexing);
    // An indexing failure is what stopped the writing, if both failed.
    indexed?;
    let stored = stored?;
    let mut outcome = read?;
    outcome.emitted = stored.emitted;
    outcome.written = stored.written;
    outcome.orphaned = stored.orphaned;
    outcome.errors.extend(stored.errors);
    tracing::debug!(target = %location.target, elapsed = ?started.elapsed(), "location processed");
    Ok(outcome)
}

/// Reads a location's tree: its files, and the files its Location entities
/// point at, transitively. Nothing is stored (this is also the dry run).
pub async fn collect(reader: &dyn Reader, location: &LocationRow, rule: &KindRule) -> anyhow::Result<Collected> {
    let (sender, mut chunks) = mpsc::channel::<Read>(1);
    let mut emitted = Vec::new();
    let gathering = async {
        while let Some(read) = chunks.recv().await {
            if let Read::Chunk(chunk, _) = read {
                emitted.extend(chunk);
            }
        }
    };
    let (read, ()) = tokio::join!(read_tree(reader, location, rule, None, sender), gathering);
    Ok(Collected { emitted, outcome: read? })
}

/// The reading half of a pass: reads the tree breadth first and sends what
/// it emits in chunks, then the failures. With `fingerprints`, files that
/// did not change since the last pass are not parsed. Returns the counts
/// and problems of reading.
async fn read_tree(
    reader: &dyn Reader,
    location: &LocationRow,
    rule: &KindRule,
    fingerprints: Option<Fingerprints>,
    chunks: mpsc::Sender<Read>,
) -> anyhow::Result<ProcessOutcome> {
    let root = LocationRef::new(&location.location_type, &location.target);
    let generated = generated_location_entity(location);
    let generated_ref = generated.entity_ref().to_string();
    let mut tree = TreeRead {
        reader,
        rule,
        root: root.to_string(),
        chunks,
        outcome: ProcessOutcome::default(),
        failures: ReadFailures::default(),
        emitted: vec![Emitted { entity: generated, source: root.to_string(), parent: None }],
        queue: VecDeque::from([(root, generated_ref)]),
        fingerprints,
        notes: FileNotes::default(),
        timing: ReadTiming::default(),
    };
    let mut seen = HashSet::new();
    while let Some((loc, parent_ref)) = tree.queue.pop_front() {
        if !seen.insert(loc.clone()) {
            continue;
        }
        let reading = std::time::Instant::now();
        match reader.list(&loc).await {
            // A local glob: its files are read a group at a time, so only one
            // group's texts are held at once.
            Some(Ok(files)) => {
                tree.timing.reading += reading.elapsed();
                for group in files.chunks(FILES_PER_PARSE) {
                    let reading = std::time::Instant::now();
                    let read = reader.read_each(group).await;
                    tree.timing.reading += reading.elapsed();
                    let mut texts = Vec::with_capacity(group.len());
                    for (file, read) in group.iter().zip(read) {
                        match read {
                            Ok(files) => texts.extend(files),
                            Err(message) => tree.failed(file, message),
                        }
                    }
                    tree.parse(texts, &parent_ref).await?;
                }
            }
            Some(Err(message)) => tree.failed(&loc, message),
            None => {
                let read = reader.read(&loc).await;
                tree.timing.reading += reading.elapsed();
                match read {
                    Ok(files) => {
                        // Files parse in groups, each on every core; results keep their order.
                        let mut files = files.into_iter().peekable();
                        while files.peek().is_some() {
                            tree.parse(files.by_ref().take(FILES_PER_PARSE).collect(), &parent_ref).await?;
                        }
                    }
                    Err(message) => tree.failed(&loc, message),
                }
            }
        }
    }
    let TreeRead { chunks, emitted, failures, outcome, timing, fingerprints, mut notes, .. } = tree;
    if let Some(fingerprints) = fingerprints {
        notes.forget.extend(fingerprints.unmatched().await?);
    }
    if !emitted.is_empty() || !notes.is_empty() {
        chunks.send(Read::Chunk(emitted, notes)).await.map_err(|_| stopped())?;
    }
    chunks.send(Read::Done(failures)).await.map_err(|_| stopped())?;
    tracing::debug!(target = %location.target, reading = ?timing.reading, parsing = ?timing.parsing, waiting_for_writes = ?timing.waiting, "location read");
    Ok(outcome)
}

fn stopped() -> anyhow::Error {
    anyhow::anyhow!("storing the location stopped")
}

/// The state of [`read_tree`] as it goes through a location's tree.
struct TreeRead<'a> {
    reader: &'a dyn Reader,
    rule: &'a KindRule,
    /// The location's own ref, as text: every entity's origin annotation.
    root: String,
    chunks: mpsc::Sender<Read>,
    outcome: ProcessOutcome,
    failures: ReadFailures,
    emitted: Vec<Emitted>,
    /// Location targets still to read, with the ref of the entity naming them.
    queue: VecDeque<(LocationRef, String)>,
    /// The stored fingerprints, in a pass that skips unchanged files.
    fingerprints: Option<Fingerprints>,
    /// What goes to the writer with the next chunk.
    notes: FileNotes,
    timing: ReadTiming,
}

impl TreeRead<'_> {
    /// Records that `loc` could not be read; what it emitted before stays.
    fn failed(&mut self, loc: &LocationRef, message: String) {
        self.outcome.errors.push(format!("{loc}: {message}"));
        self.failures.failed.insert(loc.to_string(), message);
    }

    /// Parses a group of files on every core, takes in what they emit and
    /// sends a chunk to the writer once there is enough.
    async fn parse(&mut self, group: Vec<ReadFile>, parent_ref: &str) -> anyhow::Result<()> {
        let parsing = std::time::Instant::now();
        let (group, fingerprints) = self.skip_unchanged(group, parent_ref).await?;
        let parsed = super::url_reader::parse_read_files(self.reader, group).await?;
        self.timing.parsing += parsing.elapsed();
        for ((file_location, stamp, report), fingerprint) in parsed.into_iter().zip(fingerprints) {
            if let Some(stamp) = stamp {
                self.outcome.local_files.push(stamp);
            }
            if let Some(fingerprint) = fingerprint
                && let Some(entities) = clean_entities(&report, self.rule)
            {
                self.notes.record.push((file_location.to_string(), fingerprint, entities));
            }
            let mut sink = FileSink { emitted: &mut self.emitted, failures: &mut self.failures, outcome: &mut self.outcome };
            for (target, me) in absorb_file(report, &file_location, &self.root, parent_ref, self.rule, &mut sink) {
                self.queue.push_back((target, me));
            }
        }
        if self.emitted.len() >= CHUNK {
            let sending = std::time::Instant::now();
            let chunk = Read::Chunk(std::mem::take(&mut self.emitted), std::mem::take(&mut self.notes));
            self.chunks.send(chunk).await.map_err(|_| stopped())?;
            self.timing.waiting += sending.elapsed();
        }
        Ok(())
    }

    /// Takes the files that did not change out of `group` (counted as read,
    /// their entities as emitted by the writer); returns the rest, each with
    /// the fingerprint to record if it parses cleanly.
    async fn skip_unchanged(&mut self, group: Vec<ReadFile>, parent_ref: &str) -> anyhow::Result<(Vec<ReadFile>, Vec<Option<String>>)> {
        let Some(fingerprints) = self.fingerprints.as_mut() else {
            let none = vec![None; group.len()];
            return Ok((group, none));
        };
        let mut to_parse = Vec::with_capacity(group.len());
        let mut prints = Vec::with_capacity(group.len());
        for sorted in fingerprints.sort_out(group, parent_ref, &mut self.notes).await? {
            match sorted {
                Sorted::Unchanged(file) => {
                    self.outcome.files += 1;
                    self.outcome.unchanged_files += 1;
                    self.outcome.local_files.extend(file.stamp);
                }
                Sorted::Parse(file, fingerprint) => {
                    to_parse.push(file);
                    prints.push(fingerprint);
                }
            }
        }
        Ok((to_parse, prints))
    }
}

/// Where the reading half of a pass spent its time, for the debug log.
#[derive(Debug, Default)]
struct ReadTiming {
    reading: std::time::Duration,
    parsing: std::time::Duration,
    waiting: std::time::Duration,
}

/// Where [`absorb_file`] puts what one file yields.
struct FileSink<'a> {
    emitted: &'a mut Vec<Emitted>,
    failures: &'a mut ReadFailures,
    outcome: &'a mut ProcessOutcome,
}

/// Takes in one parsed file: its valid entities (annotated with where they
/// came from), its invalid documents and their errors. Returns the Location
/// targets its Location entities point at, with the referring entity's ref.
fn absorb_file(
    report: portolan_catalog::FileReport,
    file_location: &LocationRef,
    root: &str,
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
                let found = location_targets(&entity, file_location);
                if !found.is_empty() {
                    let me = entity.entity_ref().to_string();
                    targets.extend(found.into_iter().map(|target| (target.location, me.clone())));
                }
                let annotations = &mut entity.metadata.annotations;
                annotations.insert("backstage.io/managed-by-location".into(), source.clone());
                annotations.insert("backstage.io/managed-by-origin-location".into(), root.to_owned());
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
                    Some(r) => sink.failures.invalid.entry(r).or_default().extend(doc_errors.iter().cloned()),
                    None => {
                        sink.failures.unsure_sources.insert(source.clone());
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
    let root = LocationRef::new(&location.location_type, &location.target).to_string();
    let mut emitted = Vec::new();
    let mut failures = ReadFailures::default();
    let mut outcome = ProcessOutcome::default();
    let mut sources = Vec::new();
    for path in paths {
        let file = LocationRef::new("file", path.to_string_lossy());
        let source = file.to_string();
        let Some(parent_ref) = entities::parent_of_source(&db.pool, &location.id, &source).await? else { return Ok(None) };
        let Ok(files) = reader.read(&file).await else { return Ok(None) };
        for super::reader::ReadFile { location: file_location, text, stamp } in files {
            let report = super::url_reader::parse_read_file(reader, &file_location, text).await?;
            if let Some(stamp) = stamp {
                outcome.local_files.push(stamp);
            }
            let mut sink = FileSink { emitted: &mut emitted, failures: &mut failures, outcome: &mut outcome };
            if !absorb_file(report, &file_location, &root, &parent_ref, rule, &mut sink).is_empty() {
                return Ok(None);
            }
        }
        sources.push(source);
    }
    if emitted.iter().any(|e| e.entity.kind.eq_ignore_ascii_case("location")) {
        return Ok(None);
    }
    outcome.emitted = emitted.len();
    let mut writer = PassWriter::new(db, location, orphans, Scope::Sources(&sources));
    // The whole pass after this one parses these files again and records them.
    let notes = FileNotes { forget: sources.clone(), ..FileNotes::default() };
    let Ok(changes) = writer.write(stage(emitted).await?, notes, Some(&failures), &mut outcome).await? else { return Ok(None) };
    index.sync(db, Some(changes)).await?;
    Ok(Some(outcome))
}

