//! The explorer's in-memory index of the catalog: every entity's list fields,
//! facet values interned to small integers, and precomputed sort orders, so
//! one explorer page (filter, seven facet counts, sort, page) is a single
//! pass over plain arrays and takes a few milliseconds at 100,000 entities.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

use crate::search::Listed;
use portolan_frontend::{EntitySummary, ExplorePage, ExploreQuery, Facet, FacetKey, FacetValue, KindCount, SortKey};

/// How many values of a facet the panel lists before "and N more".
const FACET_VALUES_SHOWN: usize = 20;

/// The interned values of one facet.
#[derive(Debug, Default)]
struct FacetValues {
    /// Lower-cased value → id.
    ids: HashMap<String, u32>,
    /// Per id: the spellings seen and how often, to show the most common one.
    spellings: Vec<HashMap<String, u32>>,
}

impl FacetValues {
    fn intern(&mut self, value: &str) -> u32 {
        // Most values are lower case already: look them up without a copy.
        let lowered = value.chars().any(char::is_uppercase).then(|| value.to_lowercase());
        let key = lowered.as_deref().unwrap_or(value);
        let id = match self.ids.get(key) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.spellings.len()).unwrap_or(u32::MAX);
                self.ids.insert(key.to_owned(), id);
                self.spellings.push(HashMap::new());
                id
            }
        };
        if let Some(s) = self.spellings.get_mut(id as usize) {
            match s.get_mut(value) {
                Some(n) => *n += 1,
                None => {
                    s.insert(value.to_owned(), 1);
                }
            }
        }
        id
    }

    fn shown(&self, id: u32) -> String {
        self.spellings
            .get(id as usize)
            .and_then(|s| s.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0))))
            .map(|(v, _)| v.clone())
            .unwrap_or_default()
    }
}

#[derive(Debug)]
struct Entry {
    summary: Arc<EntitySummary>,
    /// The text the search box searches: the same as the catalog API's
    /// `fullTextFilterTerm` ([`crate::search::rows::search_text`]).
    haystack: Arc<str>,
    /// Interned values per facet, in [`FacetKey::ALL`] order.
    values: FacetIds,
}

/// An entry's interned values of every facet in one allocation (seven
/// small lists would cost seven, and 168 bytes of list headers).
#[derive(Debug)]
struct FacetIds {
    ids: Box<[u32]>,
    /// Where each facet's values end in `ids`.
    ends: [u16; 7],
}

impl FacetIds {
    fn new(per_facet: [Vec<u32>; 7]) -> FacetIds {
        let mut ends = [0u16; 7];
        let mut ids = Vec::with_capacity(per_facet.iter().map(Vec::len).sum());
        for (i, values) in per_facet.into_iter().enumerate() {
            ids.extend(values);
            ends[i] = u16::try_from(ids.len()).unwrap_or(u16::MAX);
        }
        ids.truncate(usize::from(ends[6]));
        FacetIds { ids: ids.into(), ends }
    }

    /// The values of facet `i`.
    fn of(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { usize::from(self.ends[i - 1]) };
        self.ids.get(start..usize::from(self.ends[i])).unwrap_or(&[])
    }

    /// The values of every facet, in order.
    fn iter(&self) -> impl Iterator<Item = &[u32]> {
        (0..7).map(|i| self.of(i))
    }
}

/// Display rank of a kind: Backstage's kinds in the order people look for
/// them, then any other kind.
fn kind_rank(kind: &str) -> u8 {
    const ORDER: [&str; 9] = ["component", "api", "system", "domain", "resource", "group", "user", "template", "location"];
    ORDER.iter().position(|k| k.eq_ignore_ascii_case(kind)).map_or(ORDER.len() as u8, |i| i as u8)
}

/// Explorer pages kept per snapshot before the cache starts over.
const CACHED_PAGES: usize = 512;

/// An immutable, indexed snapshot of the catalog's list fields, with the
/// explorer pages asked of it so far (the snapshot never changes, so a page
/// computed once stays right until the index is replaced).
#[derive(Debug, Default)]
pub struct CatalogIndex {
    cache: std::sync::Mutex<HashMap<String, ExplorePage>>,
    /// In the default order: kind, namespace, name.
    entries: Vec<Entry>,
    facets: Vec<FacetValues>,
    /// Per sort key (in [`SortKey::ALL`] order), each entry's rank.
    ranks: Vec<Vec<u32>>,
    /// Entry positions by canonical reference. The table holds positions
    /// only and compares against the summaries: the references as keys
    /// would be 100,000 more strings at that size.
    by_ref: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
    counts: Vec<KindCount>,
}

impl CatalogIndex {
    /// Builds the index over `listed`. Nothing per entity is copied: the
    /// summaries and search texts are the search index's, and the sort
    /// orders compare ranks of the lower-cased texts (see
    /// [`lowercase_ranks`]), so a rebuild after an edit costs little memory
    /// beside the index it replaces.
    pub fn new(listed: Vec<Listed>) -> CatalogIndex {
        use rayon::prelude::*;
        let summaries: Vec<&EntitySummary> = listed.iter().map(|l| l.summary.as_ref()).collect();
        let kinds = lowercase_ranks(&summaries, |s| &s.kind);
        let namespaces = lowercase_ranks(&summaries, |s| &s.namespace);
        let names = lowercase_ranks(&summaries, |s| &s.name);
        let keys: Vec<(u8, u32, u32, u32)> =
            summaries.iter().enumerate().map(|(i, s)| (kind_rank(&s.kind), kinds[i], namespaces[i], names[i])).collect();
        drop(summaries);
        let mut keyed: Vec<((u8, u32, u32, u32), Listed)> = keys.into_iter().zip(listed).collect();
        keyed.par_sort_unstable_by(|(key_a, a), (key_b, b)| key_a.cmp(key_b).then_with(|| a.summary.name.cmp(&b.summary.name)));
        // Facet values are interned in order.
        let mut facets: Vec<FacetValues> = FacetKey::ALL.iter().map(|_| FacetValues::default()).collect();
        let entries: Vec<Entry> = keyed
            .into_iter()
            .map(|(_, Listed { summary, text })| {
                let values = FacetIds::new(std::array::from_fn(|i| {
                    let key = FacetKey::ALL[i];
                    key.values_of(&summary).into_iter().map(|v| facets[i].intern(v)).collect()
                }));
                Entry { summary, haystack: text, values }
            })
            .collect();
        let in_order: Vec<&EntitySummary> = entries.iter().map(|e| e.summary.as_ref()).collect();
        // One sort order at a time: each holds a lower-cased copy of its
        // field for every entity while it is built (about 3 MB at 100,000
        // entities, estimated), and a rebuild after an edit runs while the
        // old index is still served, at the server's peak memory.
        let ranks = SortKey::ALL.iter().map(|&key| ranks_by(&in_order, key)).collect();
        drop(in_order);
        let hasher = hashbrown::DefaultHashBuilder::default();
        let hashes: Vec<u64> = entries.par_iter().map(|e| hasher.hash_one(e.summary.entity_ref())).collect();
        let mut by_ref = hashbrown::HashTable::with_capacity(entries.len());
        for (i, &hash) in hashes.iter().enumerate() {
            by_ref.insert_unique(hash, u32::try_from(i).unwrap_or(u32::MAX), |&j| hashes[j as usize]);
        }
        let kind_facet = &facets[0];
        let mut counts: Vec<(u8, String, usize)> = vec![];
        let mut per_kind: HashMap<u32, usize> = HashMap::new();
        for e in &entries {
            for &id in e.values.of(0) {
                *per_kind.entry(id).or_default() += 1;
            }
        }
        for (id, n) in per_kind {
            let shown = kind_facet.shown(id);
            counts.push((kind_rank(&shown), shown, n));
        }
        counts.sort_by_cached_key(|(rank, kind, _)| (*rank, kind.to_lowercase()));
        let counts = counts.into_iter().map(|(_, kind, count)| KindCount { kind, count }).collect();
        CatalogIndex { cache: std::sync::Mutex::default(), entries, facets, ranks, by_ref, hasher, counts }
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entity counts per kind.
    pub fn kind_counts(&self) -> Vec<KindCount> {
        self.counts.clone()
    }

    /// The summary of an entity by canonical reference.
    pub fn get(&self, entity_ref: &str) -> Option<&EntitySummary> {
        let wanted = entity_ref.to_ascii_lowercase();
        let found = self.by_ref.find(self.hasher.hash_one(&wanted), |&i| self.entries.get(i as usize).is_some_and(|e| e.summary.entity_ref() == wanted));
        found.and_then(|&i| self.entries.get(i as usize)).map(|e| e.summary.as_ref())
    }

    /// One explorer page, from the cache when it was asked for before.
    pub fn explore(&self, query: &ExploreQuery) -> ExplorePage {
        let key = query.to_query_string();
        if let Some(page) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return page;
        }
        let page = self.compute(query);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHED_PAGES {
                cache.clear();
            }
            cache.insert(key, page.clone());
        }
        page
    }

    fn compute(&self, query: &ExploreQuery) -> ExplorePage {
        // Per facet: the ids selected (None when the facet does not filter).
        let wanted: Vec<Option<Vec<u32>>> = FacetKey::ALL
            .iter()
            .enumerate()
            .map(|(i, &key)| {
                let selected = query.selected(key);
                (!selected.is_empty()).then(|| {
                    selected.iter().filter_map(|v| self.facets[i].ids.get(&v.to_lowercase()).copied()).collect()
                })
            })
            .collect();
        let needle = query.q.as_deref().map(str::to_lowercase).filter(|q| !q.is_empty());
        let mut counts: Vec<Vec<u32>> = self.facets.iter().map(|f| vec![0; f.spellings.len()]).collect();
        let mut hits: Vec<u32> = Vec::new();
        for (index, entry) in self.entries.iter().enumerate() {
            if let Some(needle) = &needle
                && !entry.haystack.contains(needle.as_str())
            {
                continue;
            }
            let mut failing = None;
            let mut failures = 0;
            for (i, want) in wanted.iter().enumerate() {
                if let Some(want) = want
                    && !entry.values.of(i).iter().any(|v| want.contains(v))
                {
                    failures += 1;
                    failing = Some(i);
                    if failures > 1 {
                        break;
                    }
                }
            }
            match (failures, failing) {
                (0, _) => {
                    hits.push(u32::try_from(index).unwrap_or(u32::MAX));
                    for (i, values) in entry.values.iter().enumerate() {
                        for &v in values {
                            counts[i][v as usize] += 1;
                        }
                    }
                }
                (1, Some(i)) => {
                    for &v in entry.values.of(i) {
                        counts[i][v as usize] += 1;
                    }
                }
                _ => {}
            }
        }
        if query.sort != SortKey::Kind || query.desc {
            let position = SortKey::ALL.iter().position(|k| *k == query.sort).unwrap_or(0);
            let ranks = &self.ranks[position];
            hits.sort_unstable_by_key(|&i| ranks[i as usize]);
            if query.desc {
                hits.reverse();
            }
        }
        let total = hits.len();
        let limit = query.limit.clamp(1, 500);
        let start = query.cursor.as_deref().and_then(|c| c.parse::<usize>().ok()).unwrap_or(0).min(total.saturating_sub(1));
        let end = (start + limit).min(total);
        let rows = hits[start.min(end)..end].iter().map(|&i| EntitySummary::clone(&self.entries[i as usize].summary)).collect();
        let facets = FacetKey::ALL
            .iter()
            .enumerate()
            .map(|(i, &key)| self.facet(i, key, &counts[i], query))
            .collect();
        ExplorePage {
            rows,
            total,
            start,
            facets,
            next: (end < total).then(|| end.to_string()),
            prev: (start > 0).then(|| start.saturating_sub(limit).to_string()),
        }
    }

    fn facet(&self, i: usize, key: FacetKey, counts: &[u32], query: &ExploreQuery) -> Facet {
        let values = &self.facets[i];
        let mut present: Vec<(u32, u32)> = counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(id, n)| (u32::try_from(id).unwrap_or(0), *n)).collect();
        present.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| values.shown(a.0).to_lowercase().cmp(&values.shown(b.0).to_lowercase())));
        let total_values = present.len();
        let mut shown: Vec<FacetValue> = present
            .iter()
            .take(FACET_VALUES_SHOWN)
            .map(|&(id, n)| {
                let value = values.shown(id);
                FacetValue { selected: query.is_selected(key, &value), value, count: n as usize }
            })
            .collect();
        for selected in query.selected(key) {
            if !shown.iter().any(|v| v.value.eq_ignore_ascii_case(selected)) {
                let id = values.ids.get(&selected.to_lowercase()).copied();
                let count = id.map_or(0, |id| counts[id as usize] as usize);
                let value = id.map_or_else(|| selected.clone(), |id| values.shown(id));
                shown.push(FacetValue { value, count, selected: true });
            }
        }
        let more = total_values.saturating_sub(shown.iter().filter(|v| v.count > 0).count());
        Facet { key, values: shown, more }
    }

    /// Entities whose name or title is closest to `name`, preferring `kind`.
    pub fn close_matches(&self, kind: Option<&str>, name: &str, limit: usize) -> Vec<EntitySummary> {
        let name = name.to_lowercase();
        let mut scored: Vec<(f64, usize)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let by_name = strsim::jaro_winkler(&name, &e.summary.name.to_lowercase());
                let by_title = e.summary.title.as_deref().map_or(0.0, |t| strsim::jaro_winkler(&name, &t.to_lowercase()));
                let same_kind = kind.is_some_and(|k| k.eq_ignore_ascii_case(&e.summary.kind));
                let score = by_name.max(by_title) + if same_kind { 0.05 } else { 0.0 };
                (score >= 0.75).then_some((score, i))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().take(limit).map(|(_, i)| EntitySummary::clone(&self.entries[i].summary)).collect()
    }
}

/// Per summary (in the default order), its position when sorted by `key`.
fn ranks_by(summaries: &[&EntitySummary], key: SortKey) -> Vec<u32> {
    fn field(s: &EntitySummary, key: SortKey) -> &str {
        match key {
            SortKey::Kind => "",
            SortKey::Name => s.display_name(),
            SortKey::Type => s.spec_type.as_deref().unwrap_or_default(),
            SortKey::Owner => s.owner.as_deref().unwrap_or_default(),
            SortKey::Lifecycle => s.lifecycle.as_deref().unwrap_or_default(),
        }
    }
    use rayon::prelude::*;
    let index = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
    if key == SortKey::Kind {
        return (0..summaries.len()).map(index).collect();
    }
    let values = lowercase_ranks(summaries, |s| field(s, key));
    // Empty values sort last; ties keep the default order, since the
    // position breaks them. The keys themselves are sorted, on every core,
    // rather than positions by keys looked up in the summaries at each
    // comparison: a start builds four of these orders.
    let mut keyed: Vec<(bool, u32, u32)> =
        summaries.par_iter().zip(values.par_iter()).enumerate().map(|(i, (s, &value))| (field(s, key).is_empty(), value, index(i))).collect();
    drop(values);
    keyed.par_sort_unstable();
    let mut ranks = vec![0u32; summaries.len()];
    for (rank, (_, _, i)) in keyed.into_iter().enumerate() {
        ranks[i as usize] = index(rank);
    }
    ranks
}

/// Per summary, the rank of `field` lower-cased among all of them (equal
/// texts share a rank), so that sorting compares integers. Only texts with
/// capitals or beyond ASCII are copied to be lower-cased; most are neither.
fn lowercase_ranks(summaries: &[&EntitySummary], field: impl Fn(&EntitySummary) -> &str + Sync) -> Vec<u32> {
    use rayon::prelude::*;
    let mut sorted: Vec<(std::borrow::Cow<'_, str>, u32)> = summaries
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let text = field(s);
            let lowered = if text.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) { text.to_lowercase().into() } else { text.into() };
            (lowered, u32::try_from(i).unwrap_or(u32::MAX))
        })
        .collect();
    sorted.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut ranks = vec![0u32; summaries.len()];
    let mut rank = 0;
    for (position, (text, i)) in sorted.iter().enumerate() {
        if position > 0 && *text != sorted[position - 1].0 {
            rank = u32::try_from(position).unwrap_or(u32::MAX);
        }
        ranks[*i as usize] = rank;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Listed as the search index lists a stored entity of that shape.
    fn entity(kind: &str, name: &str, owner: &str, tags: &[&str]) -> Listed {
        let body = serde_json::json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": kind,
            "metadata": { "name": name, "namespace": "default", "tags": tags },
            "spec": { "owner": owner },
        });
        let summary = crate::search::summary_of(&body).expect("a summary");
        Listed { summary: Arc::new(summary), text: crate::search::rows::search_text(&body).into() }
    }

    fn index() -> CatalogIndex {
        CatalogIndex::new(vec![
            entity("Component", "zeta", "team-b", &["go"]),
            entity("API", "petstore", "team-a", &["rest"]),
            entity("Component", "alpha", "team-a", &["rust", "go"]),
            entity("api", "orders", "team-b", &[]),
        ])
    }

    #[test]
    fn default_order_and_kind_counts() {
        let index = index();
        let page = index.explore(&ExploreQuery::from_pairs([]));
        let names: Vec<_> = page.rows.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["alpha", "zeta", "orders", "petstore"]);
        let counts: Vec<_> = index.kind_counts().into_iter().map(|k| (k.kind, k.count)).collect();
        assert_eq!(counts, [("Component".to_owned(), 2), ("API".to_owned(), 2)]);
    }

    #[test]
    fn facets_count_without_their_own_selection() {
        let index = index();
        let page = index.explore(&ExploreQuery::from_pairs([("kind", "component"), ("owner", "group:default/team-a")]));
        assert_eq!(page.total, 1);
        let kind = &page.facets[0];
        // Kind counts ignore the kind selection: team-a owns one component and one API.
        assert_eq!(kind.values.iter().map(|v| (v.value.as_str(), v.count, v.selected)).collect::<Vec<_>>(), [("API", 1, false), ("Component", 1, true)]);
        let owner = &page.facets[2];
        assert_eq!(owner.values.iter().map(|v| (v.value.as_str(), v.count)).collect::<Vec<_>>(), [("group:default/team-a", 1), ("group:default/team-b", 1)]);
        let tags = &page.facets[6];
        assert_eq!(tags.values.iter().map(|v| (v.value.as_str(), v.count)).collect::<Vec<_>>(), [("go", 1), ("rust", 1)]);
    }

    #[test]
    fn sorts_pages_and_searches() {
        let index = index();
        let mut q = ExploreQuery::from_pairs([("sort", "name"), ("order", "desc"), ("limit", "3")]);
        let page = index.explore(&q);
        assert_eq!(page.rows.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["zeta", "petstore", "orders"]);
        assert_eq!(page.next.as_deref(), Some("3"));
        q.cursor = page.next;
        let page = index.explore(&q);
        assert_eq!(page.rows.len(), 1);
        assert_eq!((page.start, page.prev.as_deref(), page.next.as_deref()), (3, Some("0"), None));
        let page = index.explore(&ExploreQuery::from_pairs([("q", "RUST")]));
        assert_eq!(page.rows.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["alpha"]);
        // The same text as the API's full-text filter: the owner too, as written.
        let page = index.explore(&ExploreQuery::from_pairs([("q", "team-b")]));
        assert_eq!(page.rows.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["zeta", "orders"]);
        let page = index.explore(&ExploreQuery::from_pairs([("owner", "nobody")]));
        assert_eq!(page.total, 0);
        assert!(page.facets[2].values.iter().any(|v| v.value == "nobody" && v.selected && v.count == 0));
    }

    #[test]
    fn ranks_fold_case_and_share_ties() {
        let listed: Vec<Listed> = ["b", "A", "a", "Ärger", "zed"].iter().map(|n| entity("Component", n, "x", &[])).collect();
        let summaries: Vec<&EntitySummary> = listed.iter().map(|l| l.summary.as_ref()).collect();
        // "a" and "A" tie; "ärger" sorts after every ASCII name, as its lower case does.
        assert_eq!(lowercase_ranks(&summaries, |s| &s.name), [2, 0, 0, 4, 3]);
    }

    #[test]
    fn close_matches_find_typos() {
        let index = index();
        let close = index.close_matches(Some("api"), "petstor", 3);
        assert_eq!(close.first().map(|e| e.name.as_str()), Some("petstore"));
        assert!(index.close_matches(None, "qqqqqqqq", 3).is_empty());
    }
}
