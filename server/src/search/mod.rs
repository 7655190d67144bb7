//! The catalog's in-memory search index: every stored entity's search rows
//! (Backstage's flattened `key = value` pairs), full-text haystack, relations
//! in both directions and list fields, so that filters, predicates, facets,
//! full-text search, sorting, cursors and relation lookups never scan tables.
//!
//! The database stays the truth: the index is built from `entities` at start
//! ([`SearchIndex::load`]) and follows `catalog_changes` afterwards
//! ([`SearchIndex::sync`]), so several servers on one PostgreSQL database
//! all see every write. A server that wrote something hands the index what it
//! already built ([`LocalChanges`]) instead of having it read back.

mod facets;
mod intern;
mod matching;
mod postings;
pub mod rows;
mod snapshot;
mod summary;
mod sync;

use std::collections::BTreeMap;

use hashbrown::HashMap;
use std::sync::{Arc, RwLock};

use portolan_catalog::RelationType;
use portolan_frontend::EntitySummary;
use serde_json::Value;

use intern::{Interner, NONE};
pub use matching::{FacetCount, PageRow};
pub use summary::{summary_of, summary_of_entity};
pub use snapshot::{SnapshotError, SnapshotPoint};
pub use sync::LocalChanges;

/// One search row as ids: key, lower-cased value, value as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    key: u32,
    value: u32,
    original: u32,
}

/// What the index holds of one entity, before it is interned: built from the
/// entity (typed as parsed, or its stored JSON) and outgoing relations, on
/// any thread.
#[derive(Debug, Clone)]
pub struct IndexedEntity {
    /// The entity's uid.
    pub uid: String,
    /// Its canonical, lower-cased `kind:namespace/name`.
    pub entity_ref: String,
    rows: rows::FlatRows,
    text: String,
    relations: Vec<(RelationType, String)>,
    summary: Option<Arc<EntitySummary>>,
}

impl IndexedEntity {
    /// The index entry of an entity: `body` is its stored JSON (with uid),
    /// `relations` its outgoing `(type, target ref)` relations.
    pub fn new(uid: &str, entity_ref: &str, body: &Value, relations: Vec<(RelationType, String)>) -> IndexedEntity {
        IndexedEntity {
            uid: uid.to_owned(),
            entity_ref: entity_ref.to_owned(),
            rows: rows::flat_rows(body, &relations),
            text: rows::search_text(body),
            summary: summary_of(body).map(Arc::new),
            relations,
        }
    }

    /// [`IndexedEntity::new`] of the entity's JSON, built from the typed
    /// entity (its `metadata.uid` is the uid): what an ingest stages, without
    /// building a JSON value of each entity only to walk it.
    pub fn of_entity(entity_ref: &str, entity: &portolan_catalog::Entity, relations: Vec<(RelationType, String)>) -> IndexedEntity {
        IndexedEntity {
            uid: entity.metadata.uid.clone().unwrap_or_default(),
            entity_ref: entity_ref.to_owned(),
            rows: rows::flat_rows_of(entity, &relations),
            text: rows::search_text_of(entity),
            summary: Some(Arc::new(summary_of_entity(entity))),
            relations,
        }
    }

    /// The same entry for the entity stored as `uid` (its `uid` and its
    /// `metadata.uid` row), without building it again.
    pub fn set_uid(&mut self, uid: &str) {
        self.rows.set_value("metadata.uid", uid);
        uid.clone_into(&mut self.uid);
    }

    /// The index entry of a stored row: its body and relations as JSON text.
    pub fn from_stored(uid: &str, entity_ref: &str, body: &str, relations: &str) -> Result<IndexedEntity, serde_json::Error> {
        let body: Value = serde_json::from_str(body)?;
        let pairs: Vec<(String, String)> = serde_json::from_str(relations)?;
        let relations = pairs.into_iter().filter_map(|(t, target)| Some((RelationType::from_name(&t)?, target))).collect();
        Ok(IndexedEntity::new(uid, entity_ref, &body, relations))
    }
}

/// An entity as the index holds it.
#[derive(Debug)]
struct Entry {
    /// One allocation shared with the uid map's key.
    uid: Arc<str>,
    /// The interned reference (relation targets share the string).
    entity_ref: u32,
    /// Sorted by key, then value id.
    rows: Box<[Row]>,
    /// Shared with the explorer's snapshot, which searches the same text.
    text: Arc<str>,
    /// Outgoing relations, with interned target refs.
    relations: Box<[(RelationType, u32)]>,
    /// Shared with the explorer's snapshot.
    summary: Option<Arc<EntitySummary>>,
}

impl Entry {
    /// The rows with this key.
    fn rows_of(&self, key: u32) -> &[Row] {
        let start = self.rows.partition_point(|r| r.key < key);
        let end = start + self.rows[start..].partition_point(|r| r.key == key);
        &self.rows[start..end]
    }
}

/// The index's contents; queries read it under a shared lock.
#[derive(Debug)]
struct State {
    strings: Interner,
    /// Slots; `None` where an entity was removed (reused by the next one).
    entries: Vec<Option<Entry>>,
    free: Vec<u32>,
    /// Live slots.
    live: postings::Bits,
    /// Which slots have which keys and values.
    postings: postings::Postings,
    /// In uid order: the default order of every list.
    by_uid: BTreeMap<Arc<str>, u32>,
    /// Interned ref → slot.
    by_ref: HashMap<u32, u32>,
    /// Interned target ref → the relations other entities' specs point at
    /// it with, as `(type as written, source slot)`.
    incoming: HashMap<u32, Vec<(RelationType, u32)>>,
    /// The text the summaries share.
    shared: summary::SharedText,
}

impl Default for State {
    fn default() -> State {
        State {
            strings: Interner::default(),
            entries: Vec::new(),
            free: Vec::new(),
            live: postings::Bits::empty(0),
            postings: postings::Postings::default(),
            by_uid: BTreeMap::new(),
            by_ref: HashMap::new(),
            incoming: HashMap::new(),
            shared: summary::SharedText::default(),
        }
    }
}

impl State {
    /// The state of these strings and entries, with the lists and maps
    /// derived from them (as a snapshot is read back).
    fn from_parts(strings: Interner, entries: Vec<Option<Entry>>, shared: summary::SharedText) -> State {
        let mut state = State { strings, shared, ..State::default() };
        state.live = postings::Bits::empty(entries.len());
        state.by_ref.reserve(entries.len());
        for (slot, entry) in entries.iter().enumerate() {
            let slot = u32::try_from(slot).unwrap_or(u32::MAX);
            let Some(e) = entry else {
                state.free.push(slot);
                continue;
            };
            state.link(slot, e);
        }
        state.free.reverse();
        state.entries = entries;
        state
    }

    /// Makes the entry at `slot` found: live, in the inverted lists, the
    /// uid and ref maps, and as the source of its targets' incoming relations.
    fn link(&mut self, slot: u32, entry: &Entry) {
        self.live.set(slot);
        self.postings.add(slot, &entry.rows);
        for &(relation_type, target) in entry.relations.iter() {
            self.incoming.entry(target).or_default().push((relation_type, slot));
        }
        self.by_uid.insert(Arc::clone(&entry.uid), slot);
        self.by_ref.insert(entry.entity_ref, slot);
    }

    /// Gives back the room the lists grew into as entities were added
    /// one at a time, once many were.
    fn shrink_to_fit(&mut self) {
        self.postings.shrink_to_fit();
        self.entries.shrink_to_fit();
        for sources in self.incoming.values_mut() {
            sources.shrink_to_fit();
        }
    }

    fn live(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().flatten()
    }

    fn remove_uid(&mut self, uid: &str) {
        let Some(slot) = self.by_uid.remove(uid) else { return };
        let Some(entry) = self.entries.get_mut(slot as usize).and_then(Option::take) else { return };
        self.live.clear(slot);
        self.postings.remove(slot, &entry.rows);
        for row in entry.rows.iter() {
            for id in [row.key, row.value, row.original] {
                if id != NONE {
                    self.strings.release(id);
                }
            }
        }
        for &(_, target) in entry.relations.iter() {
            if let Some(list) = self.incoming.get_mut(&target) {
                list.retain(|&(_, source)| source != slot);
                if list.is_empty() {
                    self.incoming.remove(&target);
                }
            }
            self.strings.release(target);
        }
        if self.by_ref.get(&entry.entity_ref) == Some(&slot) {
            self.by_ref.remove(&entry.entity_ref);
        }
        self.strings.release(entry.entity_ref);
        self.free.push(slot);
    }

    fn insert(&mut self, entity: IndexedEntity) {
        self.remove_uid(&entity.uid);
        // Interned first, so that the check below needs no lookup of its own.
        let entity_ref = self.strings.intern(&entity.entity_ref);
        // References are unique in the database: an entry still holding this
        // one belongs to an entity that is gone.
        if let Some(&old) = self.by_ref.get(&entity_ref)
            && let Some(Some(stale)) = self.entries.get(old as usize)
        {
            let stale_uid = stale.uid.to_string();
            self.remove_uid(&stale_uid);
        }
        let strings = &mut self.strings;
        let mut rows: Vec<Row> = entity
            .rows
            .iter()
            .map(|(key, value, original)| {
                let value_id = value.map_or(NONE, |v| strings.intern(v));
                // Most values are written in lower case already: one lookup, not two.
                let original = match (original, value) {
                    (Some(o), Some(v)) if o == v => strings.intern_again(value_id),
                    (Some(o), _) => strings.intern(o),
                    (None, _) => NONE,
                };
                Row { key: strings.intern(key), value: value_id, original }
            })
            .collect();
        rows.sort_unstable();
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.entries.push(None);
                u32::try_from(self.entries.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let relations: Box<[(RelationType, u32)]> =
            entity.relations.iter().map(|(relation_type, target)| (*relation_type, self.strings.intern(target))).collect();
        // What the entry keeps is copied here rather than moved: the parts
        // were built on the parsing threads among short-lived garbage, and
        // kept there they pinned the allocator's pages after an ingest
        // (about 130 MB more than the same index read back at start).
        let entry = Entry {
            uid: Arc::from(entity.uid.as_str()),
            entity_ref,
            rows: rows.into(),
            text: Arc::from(entity.text.as_str()),
            relations,
            summary: entity.summary.map(|s| Arc::new(self.shared.share(&s))),
        };
        self.link(slot, &entry);
        self.entries[slot as usize] = Some(entry);
    }
}

fn apply_to(state: &RwLock<State>, upserts: Vec<IndexedEntity>, removals: &[String]) {
    let mut state = state.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    for uid in removals {
        state.remove_uid(uid);
    }
    for entity in upserts {
        state.insert(entity);
    }
}

/// The in-memory index of the stored catalog; cheap to query from any task.
#[derive(Debug, Default)]
pub struct SearchIndex {
    /// Shared with the blocking threads that apply changes.
    state: Arc<RwLock<State>>,
    /// The last `catalog_changes` row applied; syncs take turns on it.
    synced: tokio::sync::Mutex<i64>,
}

impl SearchIndex {
    /// An empty index; [`SearchIndex::load`] fills it.
    pub fn new() -> SearchIndex {
        SearchIndex::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds or replaces entities and removes others, in one step that
    /// queries see whole.
    pub fn apply(&self, upserts: Vec<IndexedEntity>, removals: &[String]) {
        apply_to(&self.state, upserts, removals);
    }

    /// [`SearchIndex::apply`] on a blocking thread, so that the task
    /// awaiting it (and the work joined with it) goes on meanwhile.
    async fn apply_off_runtime(&self, upserts: Vec<IndexedEntity>, removals: Vec<String>) -> Result<(), tokio::task::JoinError> {
        let state = Arc::clone(&self.state);
        tokio::task::spawn_blocking(move || apply_to(&state, upserts, &removals)).await
    }

    /// After many entities were added (a large pass): gives back the room
    /// the index's lists grew into. Queries wait meanwhile, about
    /// 5 ms at 100,000 entities.
    pub async fn shrink_to_fit(&self) -> Result<(), tokio::task::JoinError> {
        let state = Arc::clone(&self.state);
        tokio::task::spawn_blocking(move || state.write().unwrap_or_else(std::sync::PoisonError::into_inner).shrink_to_fit()).await
    }

    /// How many entities are indexed.
    pub fn len(&self) -> usize {
        self.read().by_uid.len()
    }

    /// Whether no entity is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every relation whose source is `entity_ref`: those its own spec
    /// makes, and the inverse of those other entities' specs point at it
    /// with, as sorted, distinct `(type, target ref)` pairs — the rows
    /// Backstage's `relations` table holds for that source.
    pub fn relations_of(&self, entity_ref: &str) -> Vec<(String, String)> {
        let state = self.read();
        let mut out: Vec<(String, String)> = Vec::new();
        let Some(id) = state.strings.get(entity_ref) else { return out };
        if let Some(entry) = state.by_ref.get(&id).and_then(|&slot| state.entries[slot as usize].as_ref()) {
            out.extend(entry.relations.iter().map(|&(t, target)| (t.as_str().to_owned(), state.strings.resolve(target).to_owned())));
        }
        for &(relation_type, source) in state.incoming.get(&id).into_iter().flatten() {
            if let Some(source) = state.entries.get(source as usize).and_then(Option::as_ref) {
                out.push((relation_type.inverse().as_str().to_owned(), state.strings.resolve(source.entity_ref).to_owned()));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The list fields of every indexed entity (for the explorer's snapshot,
    /// which shares them).
    pub fn summaries(&self) -> Vec<Listed> {
        self.read().live().filter_map(|e| Some(Listed { summary: e.summary.clone()?, text: Arc::clone(&e.text) })).collect()
    }
}

/// An entity as the explorer lists it: its summary, and the lower-cased
/// text `fullTextFilterTerm` searches, both shared with the index rather
/// than copied (the explorer's snapshot of 100,000 entities would otherwise
/// hold a second copy of every haystack).
#[derive(Debug, Clone)]
pub struct Listed {
    /// The list fields.
    pub summary: Arc<EntitySummary>,
    /// See [`rows::search_text`].
    pub text: Arc<str>,
}

/// Rough sizes of what the index holds, for the benchmark's memory report.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndexStats {
    /// Entities.
    pub entities: usize,
    /// Search rows over all entities.
    pub rows: usize,
    /// Distinct interned strings and their bytes.
    pub strings: usize,
    /// Bytes of the interned strings.
    pub string_bytes: usize,
    /// Bytes of the full-text haystacks.
    pub text_bytes: usize,
    /// Relations written by entities' specs.
    pub relations: usize,
    /// Keys, and the values known for facets over all of them.
    pub facet_keys: (usize, usize),
    /// Estimated heap bytes per part, to see where the memory goes.
    pub heap: HeapEstimate,
}

/// Estimated heap bytes of the index's parts (lengths and capacities times
/// element sizes, with 16 bytes per allocation for the allocator's own).
#[derive(Debug, Clone, Copy, Default)]
pub struct HeapEstimate {
    /// The interned strings, their table and counts.
    pub strings: usize,
    /// The entries: uid, ref, search rows, full-text text, relations.
    pub entries: usize,
    /// The search rows alone (part of `entries`).
    pub rows: usize,
    /// The list summaries shared with the explorer.
    pub summaries: usize,
    /// The inverted lists.
    pub postings: usize,
    /// The values and spellings of the keys facets are counted from lists
    /// for (beyond the key entries, which `postings` counts).
    pub facet_values: usize,
    /// The uid, ref and incoming-relation maps.
    pub maps: usize,
}

/// Heap bytes of one allocation of `n` bytes (none for zero).
fn alloc(n: usize) -> usize {
    if n == 0 { 0 } else { n.next_multiple_of(8) + 16 }
}

/// Heap bytes of one summary apart from the text it shares.
fn summary_heap(s: &EntitySummary) -> usize {
    let opt = |o: &Option<String>| o.as_ref().map_or(0, |s| alloc(s.capacity()));
    alloc(std::mem::size_of::<EntitySummary>() + 16) + alloc(s.name.capacity()) + opt(&s.title) + opt(&s.description)
}

impl SearchIndex {
    /// What the index holds, counted.
    pub fn stats(&self) -> IndexStats {
        let state = self.read();
        let mut stats = IndexStats {
            strings: state.strings.len(),
            string_bytes: state.strings.bytes(),
            facet_keys: state.postings.tracked(),
            ..IndexStats::default()
        };
        let mut heap = HeapEstimate {
            strings: state.strings.heap_estimate(),
            entries: alloc(state.entries.capacity() * std::mem::size_of::<Option<Entry>>()),
            postings: state.postings.heap_estimate(),
            facet_values: state.postings.values_heap_estimate(),
            ..HeapEstimate::default()
        };
        for e in state.live() {
            stats.entities += 1;
            stats.rows += e.rows.len();
            stats.text_bytes += e.text.len();
            stats.relations += e.relations.len();
            let rows = alloc(e.rows.len() * std::mem::size_of::<Row>());
            heap.rows += rows;
            heap.entries += alloc(16 + e.uid.len()) + rows + alloc(16 + e.text.len()) + alloc(e.relations.len() * 8);
            heap.summaries += e.summary.as_deref().map_or(0, summary_heap);
        }
        heap.summaries += state.shared.heap_estimate();
        // A B-tree or hash map entry: the key (the entry's uid), the slot,
        // the node's share.
        heap.maps = state.by_uid.len() * 32
            + state.by_ref.capacity() * 9
            + state.incoming.capacity() * 33
            + state.incoming.values().map(|v| alloc(v.capacity() * 8)).sum::<usize>();
        stats.heap = heap;
        stats
    }
}
