//! Answering catalog queries from the index: predicates compiled to string
//! ids once per query, then one pass over the entries for the count, the
//! page (keyset paging in the query's order) or the facet counts.
//!
//! The semantics are those of Backstage's SQL over its `search` table:
//! matching is on lower-cased values; a sort key is the smallest value of
//! its field; entities without one come last in either direction; the uid
//! breaks ties; strings compare bytewise (the same on every database).

use std::cmp::Ordering;
use std::collections::HashMap;

use super::intern::{Interner, NONE};
use super::{Entry, SearchIndex, State};
use crate::api::catalog::query::{Direction, EntityQuery, FullTextFilter, Matcher, Position, Predicate, SortOrder};

/// A predicate with its keys and values looked up: a key or value the index
/// has never seen matches nothing, without a string comparison.
#[derive(Debug)]
enum Compiled {
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

fn compile(predicate: &Predicate, strings: &Interner) -> Compiled {
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
        state.live().filter(|e| holds(&compiled, e, &state.strings)).count() as u64
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
        let keys: Vec<Option<u32>> = query.order.iter().map(|o| strings.get(&o.field)).collect();
        let orders: Vec<SortOrder> = query.order.iter().map(|o| o.order).collect();
        let backwards = direction == Direction::Prev;
        let after_values: Option<Vec<Option<&str>>> = after.map(|p| p.values.iter().map(Option::as_deref).collect());
        let fetch_order = |a: &SortKey<'_>, b: &SortKey<'_>| {
            let o = forward(&a.values, a.uid, &b.values, b.uid, &orders);
            if backwards { o.reverse() } else { o }
        };
        let mut total = 0u64;
        let mut candidates: Vec<SortKey<'_>> = state
            .live()
            .filter(|e| holds(&compiled, e, strings))
            .inspect(|_| total += 1)
            .map(|e| SortKey { values: keys.iter().map(|&k| state.sort_value(e, k)).collect(), uid: &e.uid, entry: e })
            .filter(|k| match (&after_values, after) {
                (Some(values), Some(position)) => {
                    let o = forward(&k.values, k.uid, values, &position.uid, &orders);
                    if backwards { o == Ordering::Less } else { o == Ordering::Greater }
                }
                _ => true,
            })
            .collect();
        let wanted = usize::try_from(offset.saturating_add(limit).saturating_add(1)).unwrap_or(usize::MAX);
        if candidates.len() > wanted {
            candidates.select_nth_unstable_by(wanted - 1, fetch_order);
            candidates.truncate(wanted);
        }
        candidates.sort_unstable_by(fetch_order);
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let rows = candidates
            .into_iter()
            .skip(skip)
            .map(|k| PageRow {
                uid: k.uid.to_owned(),
                entity_ref: k.entry.entity_ref.to_string(),
                position: Position { values: k.values.iter().map(|v| v.map(str::to_owned)).collect(), uid: k.uid.to_owned() },
            })
            .collect();
        (total, rows)
    }

    /// Counts per value of each facet key among the entities `filter`
    /// selects, most frequent first, then by value.
    pub fn facets(&self, facet_keys: &[String], filter: Option<&Predicate>) -> Vec<Vec<FacetCount>> {
        let state = self.read();
        let strings = &state.strings;
        let compiled = filter.map(|f| compile(f, strings));
        let keys: Vec<Option<u32>> = facet_keys.iter().map(|k| strings.get(&k.to_lowercase())).collect();
        // Per facet: value id → (count, smallest original spelling).
        let mut counts: Vec<HashMap<u32, (u64, u32)>> = keys.iter().map(|_| HashMap::new()).collect();
        for e in state.live() {
            if compiled.as_ref().is_some_and(|c| !holds(c, e, strings)) {
                continue;
            }
            for (key, counts) in keys.iter().zip(counts.iter_mut()) {
                let Some(key) = *key else { continue };
                for row in e.rows_of(key).iter().filter(|r| r.value != NONE) {
                    let slot = counts.entry(row.value).or_insert((0, row.original));
                    slot.0 += 1;
                    if strings.resolve(row.original) < strings.resolve(slot.1) {
                        slot.1 = row.original;
                    }
                }
            }
        }
        counts
            .into_iter()
            .map(|counts| {
                let mut values: Vec<FacetCount> = counts
                    .into_values()
                    .map(|(count, original)| FacetCount { value: strings.resolve(original).to_owned(), count })
                    .collect();
                values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                values
            })
            .collect()
    }
}
