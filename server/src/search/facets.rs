//! Facet counts: how many of the selected entities have each value of a key.
//!
//! Keys with few distinct values (kind, `spec.type`, `spec.owner`, tags,
//! lifecycles: the keys facets are asked for) keep their values and
//! spellings up to date as entities come and go ([`Tracked`]). A facet on
//! such a key is counted from the inverted lists, one list per value, and
//! never looks at an entity. Keys with many values (names, uids,
//! descriptions) drop that record once they pass [`MAX_TRACKED`] values and
//! are counted by looking at every selected entity, as all keys once were.

use hashbrown::HashMap;
use hashbrown::hash_map::Entry as MapEntry;

use super::intern::NONE;
use super::matching::{FacetCount, compile};
use super::postings::Bits;
use super::{Entry, Row, SearchIndex, State};
use crate::api::catalog::query::Predicate;

/// Distinct values a key may have and still be counted from the lists:
/// beyond this many, looking at every entity is about as quick.
const MAX_TRACKED: usize = 4096;

/// A spelling of a lower-cased value, with the number of search rows that
/// carry it.
type Spelling = (u32, u32);

/// The spellings one lower-cased value was written with.
type Spellings = Vec<Spelling>;

/// What is known of one key's values, kept beside the key's inverted list
/// ([`super::postings::Postings`]) as entities come and go. Most keys have
/// a single value written one way: every string item of an array also
/// makes a key of its own (`spec.dependson.<ref>` = `true`, Backstage's
/// rule), about one per entity, so that case is kept inline, not in a map.
#[derive(Debug)]
pub(super) enum Tracked {
    /// One value, one spelling.
    One { value: u32, spelling: Spelling },
    /// Every value id, with its spellings.
    Values(Box<HashMap<u32, Spellings>>),
    /// More than [`MAX_TRACKED`] values were seen at once.
    TooMany,
}

/// The values of one tracked key: `(value id, its spellings)`.
pub(super) type ValueList<'a> = Vec<(u32, &'a [Spelling])>;

/// Counts `row` in among `values`.
fn count_in(values: &mut HashMap<u32, Spellings>, row: &Row) {
    let spellings = values.entry(row.value).or_default();
    match spellings.iter_mut().find(|(original, _)| *original == row.original) {
        Some((_, rows)) => *rows += 1,
        None => spellings.push((row.original, 1)),
    }
}

/// Counts `row` out of `values`.
fn count_out(values: &mut HashMap<u32, Spellings>, row: &Row) {
    let MapEntry::Occupied(mut entry) = values.entry(row.value) else { return };
    let spellings = entry.get_mut();
    if let Some(i) = spellings.iter().position(|(original, _)| *original == row.original) {
        spellings[i].1 -= 1;
        if spellings[i].1 == 0 {
            spellings.swap_remove(i);
        }
    }
    if spellings.is_empty() {
        entry.remove();
    }
}

impl Tracked {
    /// The values of a key one entity's rows (`group`, all of that key)
    /// bring in first.
    pub(super) fn of(group: &[Row]) -> Tracked {
        let mut valued = group.iter().filter(|r| r.value != NONE);
        match (valued.next(), valued.next()) {
            (Some(row), None) => Tracked::One { value: row.value, spelling: (row.original, 1) },
            _ => {
                let mut tracked = Tracked::Values(Box::default());
                tracked.add(group);
                tracked
            }
        }
    }

    /// Counts in another entity's rows of the key.
    pub(super) fn add(&mut self, group: &[Row]) {
        if let Tracked::One { value, spelling } = *self {
            let mut values = Box::<HashMap<u32, Spellings>>::default();
            values.insert(value, vec![spelling]);
            *self = Tracked::Values(values);
        }
        let Tracked::Values(values) = self else { return };
        group.iter().filter(|r| r.value != NONE).for_each(|row| count_in(values, row));
        if values.len() > MAX_TRACKED {
            *self = Tracked::TooMany;
        }
    }

    /// Counts out an entity's rows of the key, as [`Tracked::add`] counted
    /// them in (the key stays: other entities still have it).
    pub(super) fn remove(&mut self, group: &[Row]) {
        match self {
            Tracked::One { value, spelling } => {
                let rows = group.iter().filter(|r| r.value == *value && r.original == spelling.0).count();
                spelling.1 = spelling.1.saturating_sub(u32::try_from(rows).unwrap_or(u32::MAX));
                if spelling.1 == 0 {
                    *self = Tracked::Values(Box::default());
                }
            }
            Tracked::Values(values) => group.iter().filter(|r| r.value != NONE).for_each(|row| count_out(values, row)),
            Tracked::TooMany => {}
        }
    }

    /// The values with their spellings, if there are few enough.
    pub(super) fn list(&self) -> Option<ValueList<'_>> {
        match self {
            Tracked::One { value, spelling } => Some(vec![(*value, std::slice::from_ref(spelling))]),
            Tracked::Values(values) => Some(values.iter().map(|(&value, spellings)| (value, spellings.as_slice())).collect()),
            Tracked::TooMany => None,
        }
    }

    /// How many values are known.
    pub(super) fn len(&self) -> usize {
        match self {
            Tracked::One { .. } => 1,
            Tracked::Values(values) => values.len(),
            Tracked::TooMany => 0,
        }
    }

    /// Estimated heap bytes beyond the value itself.
    pub(super) fn heap_estimate(&self) -> usize {
        match self {
            Tracked::Values(values) => 48 + values.capacity() * 29 + values.values().map(|s| s.capacity() * 8 + 16).sum::<usize>(),
            Tracked::One { .. } | Tracked::TooMany => 0,
        }
    }
}

/// Per facet value id: entities counted, and the smallest spelling seen.
type Counts = HashMap<u32, (u64, u32)>;

impl State {
    /// The counts of `key` among `selected` (`None`: every live entity),
    /// from the inverted lists.
    fn count_from_lists(&self, key: u32, values: ValueList<'_>, selected: Option<&Bits>) -> Counts {
        let mut counts = Counts::with_capacity(values.len());
        for (value, spellings) in values {
            let slots = self.postings.with_value(key, value);
            let count = match selected {
                None => slots.len() as u64,
                Some(bits) => slots.iter().filter(|&&slot| bits.contains(slot)).count() as u64,
            };
            if count == 0 {
                continue;
            }
            let original = match (spellings, selected) {
                ([(only, _)], _) => *only,
                (_, None) => self.smallest(spellings.iter().map(|&(original, _)| original)),
                (_, Some(bits)) => self.smallest(
                    slots
                        .iter()
                        .filter(|&&slot| bits.contains(slot))
                        .filter_map(|&slot| self.entries.get(slot as usize).and_then(Option::as_ref))
                        .flat_map(|e| e.rows_of(key).iter().filter(|r| r.value == value).map(|r| r.original)),
                ),
            };
            counts.insert(value, (count, original));
        }
        counts
    }

    /// The counts of `key` among `entries`, by looking at each.
    fn count_by_scan<'a>(&self, key: u32, entries: impl Iterator<Item = &'a Entry>) -> Counts {
        let mut counts = Counts::new();
        for e in entries {
            let mut last = NONE;
            for row in e.rows_of(key).iter().filter(|r| r.value != NONE) {
                let slot = counts.entry(row.value).or_insert((0, row.original));
                // Rows are sorted by value: an entity counts once per value.
                if row.value != last {
                    slot.0 += 1;
                    last = row.value;
                }
                if row.original != slot.1 && self.strings.resolve(row.original) < self.strings.resolve(slot.1) {
                    slot.1 = row.original;
                }
            }
        }
        counts
    }

    /// The spelling that sorts first among `originals`.
    fn smallest(&self, originals: impl Iterator<Item = u32>) -> u32 {
        originals.min_by(|&a, &b| self.strings.resolve(a).cmp(self.strings.resolve(b))).unwrap_or(NONE)
    }
}

impl SearchIndex {
    /// Counts per value of each facet key among the entities `filter`
    /// selects, most frequent first, then by value.
    pub fn facets(&self, facet_keys: &[String], filter: Option<&Predicate>) -> Vec<Vec<FacetCount>> {
        let state = self.read();
        let strings = &state.strings;
        let selected = filter.map(|f| state.select(&compile(f, strings)));
        let entries = || {
            let bits = selected.as_ref().unwrap_or(&state.live);
            bits.iter().filter_map(|slot| state.entries.get(slot as usize).and_then(Option::as_ref))
        };
        facet_keys
            .iter()
            .map(|facet| {
                let Some(key) = strings.get(&facet.to_lowercase()) else { return Vec::new() };
                let counts = match state.postings.values_of(key) {
                    Some(values) => state.count_from_lists(key, values, selected.as_ref()),
                    None => state.count_by_scan(key, entries()),
                };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::IndexedEntity;
    use crate::search::postings::Postings;

    fn row(key: u32, value: u32, original: u32) -> Row {
        Row { key, value, original }
    }

    /// The values of `key` with their spellings, sorted.
    fn listed(postings: &Postings, key: u32) -> Option<Vec<(u32, Vec<Spelling>)>> {
        let mut list: Vec<(u32, Vec<Spelling>)> = postings.values_of(key)?.into_iter().map(|(v, s)| (v, s.to_vec())).collect();
        list.iter_mut().for_each(|(_, s)| s.sort());
        list.sort();
        Some(list)
    }

    #[test]
    fn values_and_spellings_follow_adds_and_removes() {
        let mut postings = Postings::default();
        let a = [row(1, 10, 10), row(1, 11, 12), row(2, 20, 20), row(3, 30, 30)];
        let b = [row(1, 11, 11), row(3, 30, 31)];
        postings.add(1, &a);
        assert_eq!(listed(&postings, 3), Some(vec![(30, vec![(30, 1)])]), "one value, one spelling");
        postings.add(2, &b);
        assert_eq!(listed(&postings, 1), Some(vec![(10, vec![(10, 1)]), (11, vec![(11, 1), (12, 1)])]));
        assert_eq!(listed(&postings, 3), Some(vec![(30, vec![(30, 1), (31, 1)])]), "a second spelling");
        postings.remove(1, &a);
        assert_eq!(listed(&postings, 1), Some(vec![(11, vec![(11, 1)])]));
        assert_eq!(listed(&postings, 2), None, "a key no entity has is gone");
        postings.add(3, &[row(2, 21, 21)]);
        postings.add(4, &[row(2, 21, 21), row(4, NONE, NONE)]);
        postings.remove(3, &[row(2, 21, 21)]);
        assert_eq!(listed(&postings, 2), Some(vec![(21, vec![(21, 1)])]), "rows are counted");
        assert_eq!(postings.tracked(), (4, 3));
        postings.add(5, &[row(5, 50, 50)]);
        postings.add(6, &[row(5, NONE, NONE)]);
        postings.remove(5, &[row(5, 50, 50)]);
        assert_eq!(listed(&postings, 5), Some(vec![]), "a key whose only value went stays, with none");
    }

    /// Lists and scans agree on every tracked key, over all entities and
    /// over a selection, after entities were replaced and removed.
    #[test]
    fn counts_from_lists_are_the_counts_of_a_scan() {
        let index = SearchIndex::new();
        let entity = |i: usize| {
            let tags: Vec<String> = (0..i % 4).map(|t| if (i + t) % 3 == 0 { format!("Tag-{t}") } else { format!("tag-{t}") }).collect();
            let body = serde_json::json!({
                "apiVersion": "backstage.io/v1alpha1",
                "kind": if i % 5 == 0 { "API" } else { "Component" },
                "metadata": { "name": format!("e-{i}"), "uid": format!("u{i}"), "tags": tags },
                "spec": { "owner": if i % 2 == 0 { format!("Team-{}", i % 7) } else { format!("team-{}", i % 7) }, "type": "service" },
            });
            IndexedEntity::new(&format!("u{i}"), &format!("component:default/e-{i}"), &body, Vec::new())
        };
        index.apply((0..300).map(entity).collect(), &[]);
        index.apply((0..40).map(|i| entity(i * 3 + 1)).collect(), &(200..260).map(|i| format!("u{i}")).collect::<Vec<_>>());
        let state = index.read();
        let some = state.select(&compile(&Predicate::from_json(&serde_json::json!({ "kind": "component" })).expect("filter"), &state.strings));
        let spelled = |counts: Counts| {
            let mut v: Vec<(u32, u64, &str)> = counts.into_iter().map(|(value, (n, o))| (value, n, state.strings.resolve(o))).collect();
            v.sort();
            v
        };
        for key in ["kind", "spec.owner", "metadata.tags", "spec.type", "metadata.name"] {
            let key = state.strings.get(key).expect("a key");
            for selected in [None, Some(&some)] {
                let values = state.postings.values_of(key).expect("tracked");
                let listed = spelled(state.count_from_lists(key, values, selected));
                let bits = selected.unwrap_or(&state.live);
                let scanned = spelled(state.count_by_scan(key, bits.iter().filter_map(|s| state.entries[s as usize].as_ref())));
                assert_eq!(listed, scanned, "key {}", state.strings.resolve(key));
                assert!(!listed.is_empty());
            }
        }
    }

    #[test]
    fn a_key_with_too_many_values_is_no_longer_tracked() {
        let mut postings = Postings::default();
        for v in 0..=MAX_TRACKED as u32 {
            postings.add(v, &[row(7, v, v)]);
        }
        assert!(postings.values_of(7).is_none());
        postings.remove(0, &[row(7, 0, 0)]);
        assert!(postings.values_of(7).is_none(), "stays counted by scan");
        for v in 1..=MAX_TRACKED as u32 {
            postings.remove(v, &[row(7, v, v)]);
        }
        // The key's id may be interned again for another key: it starts afresh.
        postings.add(1, &[row(7, 3, 3)]);
        assert_eq!(listed(&postings, 7), Some(vec![(3, vec![(3, 1)])]));
    }
}
