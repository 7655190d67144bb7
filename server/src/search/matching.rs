//! Answering catalog queries from the index: predicates compiled to string
//! ids once per query, then one pass over the entries for the count, the
//! page (keyset paging in the query's order); facets are in `facets`.
//!
//! The semantics are those of Backstage's SQL over its `search` table:
//! matching is on lower-cased values; a sort key is the smallest value of
//! its field; entities without one come last in either direction; the uid
//! breaks ties; strings compare bytewise (the same on every database).

use std::cmp::Ordering;
use std::sync::Arc;

use super::intern::{Interner, NONE};
use super::postings::Bits;
use super::{Entry, SearchIndex, State};
use crate::api::catalog::query::{Direction, EntityQuery, FullTextFilter, Matcher, Position, Predicate, SortOrder};

/// A predicate with its keys and values looked up: a key or value the index
/// has never seen matches nothing, without a string comparison.
#[derive(Debug)]
pub(super) enum Compiled {
    Const(bool),
    All(Vec<Compiled>),
    Any(Vec<Compiled>),
    Not(Box<Compiled>),
    Exists(u32),
    Eq(u32, u32),
    In(u32, Vec<u32>),
    Prefix(u32, String),
    /// The term in the entity's haystack.
    Text(String),
    /// The term in any value of these keys.
    TextIn(Vec<u32>, String),
}

pub(super) fn compile(predicate: &Predicate, strings: &Interner) -> Compiled {
    match predicate {
        Predicate::All(items) => Compiled::All(items.iter().map(|p| compile(p, strings)).collect()),
        Predicate::Any(items) => Compiled::Any(items.iter().map(|p| compile(p, strings)).collect()),
        Predicate::Not(inner) => Compiled::Not(Box::new(compile(inner, strings))),
        Predicate::Field { key, matcher } => {
            let Some(key) = strings.get(key) else {
                return Compiled::Const(matches!(matcher, Matcher::Exists(false)));
            };
            match matcher {
                Matcher::Exists(true) => Compiled::Exists(key),
                Matcher::Exists(false) => Compiled::Not(Box::new(Compiled::Exists(key))),
                Matcher::Eq(value) => strings.get(value).map_or(Compiled::Const(false), |value| Compiled::Eq(key, value)),
                Matcher::In(values) => {
                    let mut ids: Vec<u32> = values.iter().filter_map(|v| strings.get(v)).collect();
                    ids.sort_unstable();
                    ids.dedup();
                    Compiled::In(key, ids)
                }
                Matcher::HasPrefix(prefix) => Compiled::Prefix(key, prefix.clone()),
            }
        }
    }
}

fn compile_text(filter: &FullTextFilter, strings: &Interner) -> Compiled {
    if filter.fields.is_empty() {
        return Compiled::Text(filter.term.clone());
    }
    let keys: Vec<u32> = filter.fields.iter().filter_map(|f| strings.get(f)).collect();
    Compiled::TextIn(keys, filter.term.clone())
}

fn compile_query(query: &EntityQuery, strings: &Interner) -> Compiled {
    let mut parts = Vec::new();
    if let Some(filter) = &query.filter {
        parts.push(compile(filter, strings));
    }
    if let Some(text) = &query.full_text {
        parts.push(compile_text(text, strings));
    }
    Compiled::All(parts)
}

fn holds(c: &Compiled, e: &Entry, strings: &Interner) -> bool {
    match c {
        Compiled::Const(b) => *b,
        Compiled::All(items) => items.iter().all(|c| holds(c, e, strings)),
        Compiled::Any(items) => items.iter().any(|c| holds(c, e, strings)),
        Compiled::Not(inner) => !holds(inner, e, strings),
        Compiled::Exists(key) => !e.rows_of(*key).is_empty(),
        Compiled::Eq(key, value) => e.rows_of(*key).iter().any(|r| r.value == *value),
        Compiled::In(key, values) => e.rows_of(*key).iter().any(|r| values.binary_search(&r.value).is_ok()),
        Compiled::Prefix(key, prefix) => {
            e.rows_of(*key).iter().any(|r| r.value != NONE && strings.resolve(r.value).starts_with(prefix.as_str()))
        }
        Compiled::Text(term) => e.text.contains(term.as_str()),
        Compiled::TextIn(keys, term) => keys
            .iter()
            .any(|&k| e.rows_of(k).iter().any(|r| r.value != NONE && strings.resolve(r.value).contains(term.as_str()))),
    }
}

/// Whether `c` can be answered from the postings alone.
fn indexed(c: &Compiled) -> bool {
    match c {
        Compiled::Const(_) | Compiled::Exists(_) | Compiled::Eq(..) | Compiled::In(..) => true,
        Compiled::All(items) | Compiled::Any(items) => items.iter().all(indexed),
        Compiled::Not(inner) => indexed(inner),
        Compiled::Prefix(..) | Compiled::Text(_) | Compiled::TextIn(..) => false,
    }
}

impl State {
    fn len_bits(&self) -> usize {
        self.entries.len()
    }

    /// The slots `c` holds for: from the postings where it can, by looking
    /// at the entities only for what they cannot answer (prefixes, text),
    /// and then only at those the rest of a conjunction left.
    pub(super) fn select(&self, c: &Compiled) -> Bits {
        let n = self.len_bits();
        match c {
            Compiled::Const(true) => self.live.clone(),
            Compiled::Const(false) => Bits::empty(n),
            Compiled::Exists(key) => Bits::of(n, self.postings.with_key(*key)),
            Compiled::Eq(key, value) => Bits::of(n, self.postings.with_value(*key, *value)),
            Compiled::In(key, values) => {
                values.iter().fold(Bits::empty(n), |acc, v| acc.or(&Bits::of(n, self.postings.with_value(*key, *v))))
            }
            Compiled::Not(inner) => self.live.clone().and_not(&self.select(inner)),
            Compiled::Any(items) => items.iter().fold(Bits::empty(n), |acc, c| acc.or(&self.select(c))),
            Compiled::All(items) => {
                let (fast, slow): (Vec<&Compiled>, Vec<&Compiled>) = items.iter().partition(|c| indexed(c));
                let candidates = fast.iter().fold(self.live.clone(), |acc, c| acc.and(&self.select(c)));
                if slow.is_empty() {
                    return candidates;
                }
                let mut out = Bits::empty(n);
                for slot in candidates.iter() {
                    if let Some(Some(e)) = self.entries.get(slot as usize)
                        && slow.iter().all(|c| holds(c, e, &self.strings))
                    {
                        out.set(slot);
                    }
                }
                out
            }
            Compiled::Prefix(..) | Compiled::Text(_) | Compiled::TextIn(..) => {
                let mut out = Bits::empty(n);
                for (slot, e) in self.entries.iter().enumerate() {
                    if let Some(e) = e
                        && holds(c, e, &self.strings)
                    {
                        out.set(u32::try_from(slot).unwrap_or(u32::MAX));
                    }
                }
                out
            }
        }
    }
}

/// One entity of a page: what the caller needs to fetch it and to make cursors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRow {
    /// The entity's uid.
    pub uid: String,
    /// Its `kind:namespace/name`, lower-cased.
    pub entity_ref: String,
    /// Where it sits in the order, for cursors.
    pub position: Position,
}

/// A facet value and how many entities have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCount {
    /// The value as written (the smallest spelling when several fold together).
    pub value: String,
    /// Entities with that value.
    pub count: u64,
}

/// An entity's sort values and uid, borrowed from the index.
struct SortKey<'a> {
    values: Vec<Option<&'a str>>,
    uid: &'a str,
    entry: &'a Entry,
}

/// Compares by the query's order: per field, values before none, then the
/// values (reversed for `desc`); then the uid.
fn forward(a_values: &[Option<&str>], a_uid: &str, b_values: &[Option<&str>], b_uid: &str, orders: &[SortOrder]) -> Ordering {
    for ((a, b), order) in a_values.iter().zip(b_values).zip(orders) {
        let o = match (a, b) {
            (Some(x), Some(y)) if *order == SortOrder::Desc => y.cmp(x),
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a_uid.cmp(b_uid)
}

impl State {
    fn sort_value<'a>(&'a self, e: &Entry, key: Option<u32>) -> Option<&'a str> {
        let key = key?;
        e.rows_of(key).iter().filter(|r| r.value != NONE).map(|r| self.strings.resolve(r.value)).min()
    }
}

impl SearchIndex {
    /// How many entities `query` selects (its order is ignored).
    pub fn count(&self, query: &EntityQuery) -> u64 {
        let state = self.read();
        let compiled = compile_query(query, &state.strings);
        state.select(&compiled).count()
    }

    /// One page of `query`: with `after`, only entities strictly after that
    /// position in `direction` (for [`Direction::Prev`] nearest-first, as
    /// [`crate::api::catalog::query::finish_page`] expects), `offset` of
    /// them skipped, at most `limit + 1` so the caller can tell whether more
    /// follow.
    pub fn page(&self, query: &EntityQuery, after: Option<&Position>, direction: Direction, limit: u64, offset: u64) -> Vec<PageRow> {
        self.page_and_count(query, after, direction, limit, offset).1
    }

    /// [`SearchIndex::page`] and, from the same pass, how many entities the
    /// query selects in all (wherever the page is).
    pub fn page_and_count(
        &self,
        query: &EntityQuery,
        after: Option<&Position>,
        direction: Direction,
        limit: u64,
        offset: u64,
    ) -> (u64, Vec<PageRow>) {
        let state = self.read();
        let strings = &state.strings;
        let compiled = compile_query(query, strings);
        let selected = state.select(&compiled);
        let total = selected.count();
        let backwards = direction == Direction::Prev;
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let wanted = usize::try_from(offset.saturating_add(limit).saturating_add(1)).unwrap_or(usize::MAX);
        let row_of = |entry: &Entry, values: Vec<Option<&str>>| PageRow {
            uid: entry.uid.to_string(),
            entity_ref: state.strings.resolve(entry.entity_ref).to_owned(),
            position: Position { values: values.iter().map(|v| v.map(str::to_owned)).collect(), uid: entry.uid.to_string() },
        };
        if query.order.is_empty() {
            // Uid order: walk the uids from the position and stop at the page's end.
            use std::ops::Bound;
            let after_uid = after.map(|p| p.uid.as_str());
            let range: Box<dyn Iterator<Item = (&Arc<str>, &u32)>> = match (after_uid, backwards) {
                (None, false) => Box::new(state.by_uid.iter()),
                (None, true) => Box::new(state.by_uid.iter().rev()),
                (Some(uid), false) => Box::new(state.by_uid.range::<str, _>((Bound::Excluded(uid), Bound::Unbounded))),
                (Some(uid), true) => Box::new(state.by_uid.range::<str, _>((Bound::Unbounded, Bound::Excluded(uid))).rev()),
            };
            let rows = range
                .filter(|(_, slot)| selected.contains(**slot))
                .filter_map(|(_, slot)| state.entries.get(*slot as usize).and_then(Option::as_ref))
                .take(wanted)
                .skip(skip)
                .map(|e| row_of(e, Vec::new()))
                .collect();
            return (total, rows);
        }
        let keys: Vec<Option<u32>> = query.order.iter().map(|o| strings.get(&o.field)).collect();
        let orders: Vec<SortOrder> = query.order.iter().map(|o| o.order).collect();
        let after_values: Option<Vec<Option<&str>>> = after.map(|p| p.values.iter().map(Option::as_deref).collect());
        let fetch_order = |a: &SortKey<'_>, b: &SortKey<'_>| {
            let o = forward(&a.values, a.uid, &b.values, b.uid, &orders);
            if backwards { o.reverse() } else { o }
        };
        let mut candidates: Vec<SortKey<'_>> = selected
            .iter()
            .filter_map(|slot| state.entries.get(slot as usize).and_then(Option::as_ref))
            .map(|e| SortKey { values: keys.iter().map(|&k| state.sort_value(e, k)).collect(), uid: &e.uid, entry: e })
            .filter(|k| match (&after_values, after) {
                (Some(values), Some(position)) => {
                    let o = forward(&k.values, k.uid, values, &position.uid, &orders);
                    if backwards { o == Ordering::Less } else { o == Ordering::Greater }
                }
                _ => true,
            })
            .collect();
        if candidates.len() > wanted {
            candidates.select_nth_unstable_by(wanted - 1, fetch_order);
            candidates.truncate(wanted);
        }
        candidates.sort_unstable_by(fetch_order);
        let rows = candidates.into_iter().skip(skip).map(|k| row_of(k.entry, k.values)).collect();
        (total, rows)
    }
}
