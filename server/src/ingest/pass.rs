//! Storing what a processing pass read, one chunk of entities at a time.
//!
//! Each chunk is one short transaction: the stored states of its entities
//! are looked up by reference, new and changed ones are written, and the
//! entries built for the search index are handed back for after the commit.
//! Only a chunk's entities are held in memory, and the writers' lock is
//! never held while files are read or parsed. The last chunk's transaction
//! also settles what the pass no longer emits: errors recorded where a read
//! failed, orphans deleted or marked.

use hashbrown::{HashMap, HashSet};

use super::known::{Known, KnownBuilder};
use super::process::{OrphanStrategy, ProcessOutcome};
use super::staged::{Staged, prepare_all};
use super::unchanged::FileNotes;
use crate::search::LocalChanges;
use crate::store::entities::{self, StoredState};
use crate::store::fingerprints;
use crate::store::locations::LocationRow;
use crate::store::{Db, changes};

/// Which stored entities a pass answers for: every one the location emitted,
/// or only those read from some of its files.
#[derive(Debug, Clone, Copy)]
pub(super) enum Scope<'a> {
    Location,
    Sources(&'a [String]),
}

/// What the reading found wrong, known once every file is read: it decides
/// what happens to stored entities the pass did not emit.
#[derive(Debug, Default)]
pub(super) struct ReadFailures {
    /// Location refs that could not be read, with the message.
    pub failed: HashMap<String, String>,
    /// Files with documents whose entity could not be told.
    pub unsure_sources: HashSet<String>,
    /// Entity refs whose document is invalid, with its errors.
    pub invalid: HashMap<String, Vec<String>>,
}

/// Why a scoped pass gave up without writing: only a whole pass can settle it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NeedsWholePass {
    /// A Location entity is stored from one of the files.
    StoredLocation,
    /// An entity moved between files of the location.
    Moved,
}

/// Writes one pass's entities chunk by chunk (see the module docs).
pub(super) struct PassWriter<'a> {
    pub db: &'a Db,
    pub location: &'a LocationRow,
    pub orphans: OrphanStrategy,
    pub scope: Scope<'a>,
    /// References emitted so far in this pass that `stored` does not have
    /// (those it has are marked there).
    kept: HashSet<String>,
    /// For a whole-location pass: the location's stored entities by
    /// reference, read once in the first chunk's transaction (one query
    /// instead of a lookup per chunk), and settled with the last. Those of
    /// files found unchanged by then are left out: they are emitted as
    /// stored, and a chunk's entity missing here is looked up by reference.
    /// Not read ahead while the files are: with the files' texts, that
    /// raised the peak memory of a re-pass by 20-45 MB for no measurable time.
    stored: Option<HashMap<Box<str>, Known>>,
    /// Files this pass found unchanged (not parsed): their stored entities
    /// count as emitted.
    unchanged: HashSet<String>,
    /// Set while `stored` holds every stored entity: in the first chunk's
    /// transaction nothing was stored from another location nor from a
    /// file found unchanged, and every change row since is this pass's
    /// own. It is the last change row seen then; a chunk's transaction
    /// that finds a later one (another writer's) clears it. While it is set,
    /// a chunk's entities missing from `stored` are new, and are not looked
    /// up: on a first ingest, that lookup was a fifth of the writer's time.
    alone_until: Option<i64>,
    /// Where the chunks' time went, for the debug log.
    pub timing: WriteTiming,
}

/// Time spent per step over a pass's chunks.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct WriteTiming {
    /// Waiting for the writers' lock.
    beginning: std::time::Duration,
    looking_up: std::time::Duration,
    writing: std::time::Duration,
    committing: std::time::Duration,
}

impl<'a> PassWriter<'a> {
    pub fn new(db: &'a Db, location: &'a LocationRow, orphans: OrphanStrategy, scope: Scope<'a>) -> PassWriter<'a> {
        PassWriter {
            db,
            location,
            orphans,
            scope,
            kept: HashSet::new(),
            stored: None,
            unchanged: HashSet::new(),
            alone_until: None,
            timing: WriteTiming::default(),
        }
    }

    /// Stores one chunk, and the fingerprints of the files it came from.
    /// With `last`, the same transaction also settles the stored entities
    /// the pass did not emit. Returns what the index must apply next (the
    /// caller hands it to [`SearchIndex::sync`], in order).
    pub async fn write(
        &mut self,
        chunk: Vec<Staged>,
        notes: FileNotes,
        last: Option<&ReadFailures>,
        outcome: &mut ProcessOutcome,
    ) -> anyhow::Result<Result<LocalChanges, NeedsWholePass>> {
        let phase = std::time::Instant::now();
        let mut tx = changes::begin_write(self.db).await?;
        let begun = phase.elapsed();
        self.unchanged.extend(notes.unchanged);
        if matches!(self.scope, Scope::Location) && self.stored.is_none() {
            self.stored = Some(known_of_location(&mut tx, &self.location.id, &self.unchanged).await?);
            if self.unchanged.is_empty() && !entities::any_outside_location(&mut *tx, &self.location.id).await? {
                self.alone_until = Some(changes::latest(&mut *tx).await?);
            }
        } else if let Some(seen) = self.alone_until
            && changes::latest(&mut *tx).await? != seen
        {
            self.alone_until = None;
        }
        // Entities not stored from this location may be another's (a conflict).
        let refs: Vec<String> = match self.alone_until {
            Some(_) => Vec::new(),
            None => chunk
                .iter()
                .map(|e| &e.key)
                .filter(|r| self.stored.as_ref().is_none_or(|k| !k.contains_key(r.as_str())))
                .cloned()
                .collect(),
        };
        let others: HashMap<String, StoredState> =
            entities::states_of_refs(&mut tx, &refs).await?.into_iter().map(|s| (s.entity_ref.clone(), s)).collect();
        if let Scope::Sources(sources) = self.scope
            && others.values().any(|s| s.location_id == self.location.id && !sources.contains(&s.source))
        {
            return Ok(Err(NeedsWholePass::Moved));
        }
        let looked_up = phase.elapsed();
        let mut to_write: Vec<(Option<String>, Staged)> = Vec::new();
        let mut replaced: Vec<String> = Vec::new();
        let mut cleared: Vec<String> = Vec::new();
        for e in chunk {
            let (key, hash) = (e.key.as_str(), e.hash.as_str());
            if !self.mark_emitted(key, &others) {
                outcome.errors.push(format!("{}: {key} is defined twice; the first definition is kept", e.source));
                continue;
            }
            let state = match self.stored.as_ref().and_then(|k| k.get(key)) {
                Some(k) => Some(Seen { uid: &k.uid, mine: true, same: k.has_hash(hash), orphan: k.orphan, has_errors: k.has_errors }),
                None => others.get(key).map(|s| Seen {
                    uid: &s.uid,
                    mine: s.location_id == self.location.id,
                    same: s.hash == hash,
                    orphan: s.orphan,
                    has_errors: s.has_errors,
                }),
            };
            let stored = match state {
                Some(s) if !s.mine => {
                    outcome.errors.push(format!("ConflictError: {key} from {} is already provided by another location", e.source));
                    continue;
                }
                Some(s) if s.same && !s.orphan => {
                    if s.has_errors {
                        cleared.push(s.uid.to_owned());
                    }
                    continue;
                }
                Some(s) => {
                    replaced.push(s.uid.to_owned());
                    Some(s.uid.to_owned())
                }
                None => None,
            };
            to_write.push((stored, e));
        }
        outcome.written += to_write.len();
        let mut touched: Vec<String> =
            to_write.iter().map(|(stored, e)| stored.as_deref().unwrap_or(e.new_uid()).to_owned()).collect();
        entities::delete_many(&mut tx, &replaced).await?;
        let upserts = self.insert(&mut tx, to_write).await?;
        entities::clear_errors_many(&mut tx, &cleared).await?;
        fingerprints::replace(&mut tx, &self.location.id, &notes.forget, &notes.record).await?;
        let written = phase.elapsed();
        let mut removed = Vec::new();
        if let Some(failures) = last {
            match self.settle_unemitted(&mut tx, failures, outcome).await? {
                Ok(deleted) => {
                    touched.extend(deleted.iter().cloned());
                    removed = deleted;
                }
                Err(reason) => return Ok(Err(reason)),
            }
        }
        let range = changes::record(&mut tx, &touched).await?;
        if let (Some(_), Some((_, end))) = (self.alone_until, range) {
            self.alone_until = Some(end);
        }
        changes::commit(self.db, tx).await?;
        let timing = &mut self.timing;
        timing.beginning += begun;
        timing.looking_up += looked_up - begun;
        timing.writing += written - looked_up;
        timing.committing += phase.elapsed() - written;
        Ok(Ok(LocalChanges { range, upserts, removed }))
    }

    /// Inserts the rows of `to_write`, each under its stored uid or as new;
    /// returns their index entries for after the commit.
    async fn insert(
        &self,
        tx: &mut sqlx::AnyConnection,
        to_write: Vec<(Option<String>, Staged)>,
    ) -> anyhow::Result<HashMap<String, crate::search::IndexedEntity>> {
        if to_write.is_empty() {
            return Ok(HashMap::new());
        }
        let prepared = prepare_all(to_write, &self.location.id);
        entities::insert_prepared(tx, &prepared).await?;
        Ok(prepared.into_iter().map(|p| (p.uid, p.indexed)).collect())
    }

    /// Notes that this pass emitted `entity_ref`; `false` when it already
    /// had (an unchanged file emitted it, or an earlier document). `others`
    /// are the chunk's stored entities that `stored` does not hold.
    fn mark_emitted(&mut self, entity_ref: &str, others: &HashMap<String, StoredState>) -> bool {
        match self.stored.as_mut().and_then(|k| k.get_mut(entity_ref)) {
            Some(known) => !std::mem::replace(&mut known.emitted, true) && !self.unchanged.contains(&*known.source),
            // Left out of `stored` because an unchanged file of this location emitted it.
            None if others.get(entity_ref).is_some_and(|s| s.location_id == self.location.id && self.unchanged.contains(&s.source)) => false,
            None => self.kept.insert(entity_ref.to_owned()),
        }
    }

    /// Whether this pass emitted `entity_ref`.
    fn was_emitted(&self, entity_ref: &str) -> bool {
        match self.stored.as_ref().and_then(|k| k.get(entity_ref)) {
            Some(known) => self.emitted_known(known),
            None => self.kept.contains(entity_ref),
        }
    }

    /// Whether this pass emitted a stored entity, read again or unchanged.
    fn emitted_known(&self, known: &Known) -> bool {
        known.emitted || self.unchanged.contains(&*known.source)
    }

    /// Records errors on, orphans or deletes the stored entities of the
    /// scope this pass did not emit. Returns the uids deleted.
    async fn settle_unemitted(
        &self,
        tx: &mut sqlx::AnyConnection,
        failures: &ReadFailures,
        outcome: &mut ProcessOutcome,
    ) -> anyhow::Result<Result<Vec<String>, NeedsWholePass>> {
        let states = match self.scope {
            Scope::Location => match &self.stored {
                // Only those not emitted again are settled: most are.
                Some(stored) => stored.iter().filter(|(_, k)| !self.emitted_known(k)).map(|(r, k)| k.to_state(r, &self.location.id)).collect(),
                None => entities::states_of_location(&mut *tx, &self.location.id).await?,
            },
            Scope::Sources(sources) => {
                let states = entities::states_of_sources(tx, &self.location.id, sources).await?;
                if states.iter().any(|s| s.entity_ref.starts_with("location:")) {
                    return Ok(Err(NeedsWholePass::StoredLocation));
                }
                states
            }
        };
        let mut deleted = Vec::new();
        for state in states.iter().filter(|s| !self.was_emitted(&s.entity_ref)) {
            if let Some(errors) = failures.invalid.get(&state.entity_ref) {
                entities::set_errors(&mut *tx, &state.uid, errors).await?;
            } else if let Some(message) = failures.failed.get(&state.source) {
                entities::set_errors(&mut *tx, &state.uid, std::slice::from_ref(message)).await?;
            } else if failures.unsure_sources.contains(&state.source) {
                let message = format!("{}: the file has documents that could not be read; the last good version is kept", state.source);
                entities::set_errors(&mut *tx, &state.uid, &[message]).await?;
            } else {
                outcome.orphaned += 1;
                match self.orphans {
                    OrphanStrategy::Delete => {
                        entities::delete(tx, &state.uid).await?;
                        deleted.push(state.uid.clone());
                    }
                    OrphanStrategy::Keep => entities::set_orphan(&mut *tx, &state.uid).await?,
                }
            }
        }
        Ok(Ok(deleted))
    }
}

/// A location's stored entities by reference, in their compact form,
/// leaving out those read from `unchanged` files (emitted again as stored).
async fn known_of_location(
    conn: &mut sqlx::AnyConnection,
    location_id: &str,
    unchanged: &HashSet<String>,
) -> Result<HashMap<Box<str>, Known>, sqlx::Error> {
    let mut builder = KnownBuilder::default();
    if unchanged.is_empty() {
        entities::each_state_of_location(&mut *conn, location_id, |state| builder.push(state)).await?;
    } else {
        fingerprints::each_state_outside(conn, location_id, unchanged, |state| builder.push(state)).await?;
    }
    Ok(builder.finish())
}

/// A stored entity as one chunk sees it, from either lookup.
#[derive(Clone, Copy)]
struct Seen<'s> {
    uid: &'s str,
    /// Stored from this pass's location (else it is a conflict).
    mine: bool,
    /// Its stored hash is the one just read.
    same: bool,
    orphan: bool,
    has_errors: bool,
}
