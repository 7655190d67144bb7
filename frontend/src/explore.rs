//! The catalog explorer's state, kept whole in the query string so that every
//! view is a URL one can share: `/catalog?kind=component&owner=team-a&sort=owner`.

use crate::data::EntitySummary;
use crate::pages::encode_query_value;

/// A facet of the explorer: a field the list can be narrowed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FacetKey {
    /// `kind`.
    Kind,
    /// `spec.type`.
    Type,
    /// `spec.owner`.
    Owner,
    /// `spec.lifecycle`.
    Lifecycle,
    /// `spec.system`.
    System,
    /// `metadata.namespace`.
    Namespace,
    /// `metadata.tags`.
    Tag,
}

impl FacetKey {
    /// Every facet, in the order the filter panel shows them.
    pub const ALL: [FacetKey; 7] = [
        FacetKey::Kind,
        FacetKey::Type,
        FacetKey::Owner,
        FacetKey::Lifecycle,
        FacetKey::System,
        FacetKey::Namespace,
        FacetKey::Tag,
    ];

    /// The query-string parameter.
    pub fn param(self) -> &'static str {
        match self {
            FacetKey::Kind => "kind",
            FacetKey::Type => "type",
            FacetKey::Owner => "owner",
            FacetKey::Lifecycle => "lifecycle",
            FacetKey::System => "system",
            FacetKey::Namespace => "namespace",
            FacetKey::Tag => "tag",
        }
    }

    /// The heading in the filter panel.
    pub fn label(self) -> &'static str {
        match self {
            FacetKey::Kind => "Kind",
            FacetKey::Type => "Type",
            FacetKey::Owner => "Owner",
            FacetKey::Lifecycle => "Lifecycle",
            FacetKey::System => "System",
            FacetKey::Namespace => "Namespace",
            FacetKey::Tag => "Tag",
        }
    }

    fn from_param(param: &str) -> Option<FacetKey> {
        FacetKey::ALL.into_iter().find(|k| k.param() == param)
    }

    /// The values an entity has for this facet (several for tags).
    pub fn values_of(self, e: &EntitySummary) -> Vec<&str> {
        fn one(v: &Option<std::sync::Arc<str>>) -> Vec<&str> {
            v.as_deref().filter(|s| !s.is_empty()).into_iter().collect()
        }
        match self {
            FacetKey::Kind => vec![&*e.kind],
            FacetKey::Type => one(&e.spec_type),
            FacetKey::Owner => one(&e.owner),
            FacetKey::Lifecycle => one(&e.lifecycle),
            FacetKey::System => one(&e.system),
            FacetKey::Namespace => vec![&*e.namespace],
            FacetKey::Tag => e.tags.iter().map(|t| &**t).collect(),
        }
    }
}

/// The column the list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Kind (Backstage's kinds first), then name: the default.
    #[default]
    Kind,
    /// Title or name.
    Name,
    /// `spec.type`.
    Type,
    /// `spec.owner`.
    Owner,
    /// `spec.lifecycle`.
    Lifecycle,
}

impl SortKey {
    /// Every sort key, in the order of the table's columns.
    pub const ALL: [SortKey; 5] = [SortKey::Name, SortKey::Kind, SortKey::Type, SortKey::Owner, SortKey::Lifecycle];

    /// The query-string value.
    pub fn param(self) -> &'static str {
        match self {
            SortKey::Kind => "kind",
            SortKey::Name => "name",
            SortKey::Type => "type",
            SortKey::Owner => "owner",
            SortKey::Lifecycle => "lifecycle",
        }
    }

    fn from_param(param: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.param() == param)
    }
}

/// Page sizes the explorer offers; the first is the default.
pub const PAGE_SIZES: [usize; 4] = [50, 25, 100, 500];

/// The explorer's state: selected facet values, text, sort and position.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExploreQuery {
    /// Selected values per facet; an entity passes a facet when it has any of them.
    pub selected: Vec<(FacetKey, Vec<String>)>,
    /// Text that name, title, description or tags must contain.
    pub q: Option<String>,
    /// Sort column.
    pub sort: SortKey,
    /// Descending instead of ascending.
    pub desc: bool,
    /// Where the page starts: an opaque cursor from a previous page.
    pub cursor: Option<String>,
    /// Rows per page.
    pub limit: usize,
}

impl ExploreQuery {
    /// Reads the query string's pairs; unknown parameters and bad values are ignored,
    /// so an edited URL still shows a list.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> ExploreQuery {
        let mut query = ExploreQuery { limit: PAGE_SIZES[0], ..ExploreQuery::default() };
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if let Some(facet) = FacetKey::from_param(key) {
                query.select(facet, value);
                continue;
            }
            match key {
                "q" => query.q = Some(value.to_owned()),
                "sort" => query.sort = SortKey::from_param(value).unwrap_or_default(),
                "order" => query.desc = value == "desc",
                "cursor" => query.cursor = Some(value.to_owned()),
                "limit" => {
                    if let Ok(n) = value.parse::<usize>() {
                        query.limit = n.clamp(1, 500);
                    }
                }
                _ => {}
            }
        }
        query
    }

    /// Adds `value` to the selected values of `facet` (case-insensitively once).
    pub fn select(&mut self, facet: FacetKey, value: &str) {
        let values = match self.selected.iter_mut().find(|(k, _)| *k == facet) {
            Some((_, values)) => values,
            None => {
                self.selected.push((facet, Vec::new()));
                self.selected.sort_by_key(|(k, _)| *k);
                match self.selected.iter_mut().find(|(k, _)| *k == facet) {
                    Some((_, values)) => values,
                    None => return,
                }
            }
        };
        if !values.iter().any(|v| v.eq_ignore_ascii_case(value)) {
            values.push(value.to_owned());
        }
    }

    /// The selected values of `facet`.
    pub fn selected(&self, facet: FacetKey) -> &[String] {
        self.selected
            .iter()
            .find(|(k, _)| *k == facet)
            .map_or(&[][..], |(_, v)| v.as_slice())
    }

    /// Whether `value` is selected in `facet`.
    pub fn is_selected(&self, facet: FacetKey, value: &str) -> bool {
        self.selected(facet).iter().any(|v| v.eq_ignore_ascii_case(value))
    }

    /// Whether any facet value or text narrows the list.
    pub fn is_filtered(&self) -> bool {
        self.q.is_some() || self.selected.iter().any(|(_, v)| !v.is_empty())
    }

    /// The same view with `value` of `facet` switched on or off, back on the first page.
    pub fn toggled(&self, facet: FacetKey, value: &str) -> ExploreQuery {
        let mut next = self.clone();
        next.cursor = None;
        if next.is_selected(facet, value) {
            for (k, values) in &mut next.selected {
                if *k == facet {
                    values.retain(|v| !v.eq_ignore_ascii_case(value));
                }
            }
            next.selected.retain(|(_, v)| !v.is_empty());
        } else {
            next.select(facet, value);
        }
        next
    }

    /// The same view sorted by `sort` (flipping the order when it already is).
    pub fn sorted_by(&self, sort: SortKey) -> ExploreQuery {
        let mut next = self.clone();
        next.cursor = None;
        next.desc = self.sort == sort && !self.desc;
        next.sort = sort;
        next
    }

    /// The same view at another position.
    pub fn at(&self, cursor: Option<String>) -> ExploreQuery {
        ExploreQuery { cursor, ..self.clone() }
    }

    /// The query string, `?kind=api&owner=team-a`, or `""` for the default view.
    pub fn to_query_string(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (facet, values) in &self.selected {
            for v in values {
                parts.push(format!("{}={}", facet.param(), encode_query_value(v)));
            }
        }
        if let Some(q) = &self.q {
            parts.push(format!("q={}", encode_query_value(q)));
        }
        if self.sort != SortKey::default() {
            parts.push(format!("sort={}", self.sort.param()));
        }
        if self.desc {
            parts.push("order=desc".to_owned());
        }
        if self.limit != PAGE_SIZES[0] && self.limit != 0 {
            parts.push(format!("limit={}", self.limit));
        }
        if let Some(c) = &self.cursor {
            parts.push(format!("cursor={}", encode_query_value(c)));
        }
        if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
    }

    /// The explorer URL of this view.
    pub fn href(&self) -> String {
        format!("/catalog{}", self.to_query_string())
    }
}

/// One value of a facet with the number of entities that have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetValue {
    /// As written in the entities (most common spelling).
    pub value: String,
    /// Entities passing every other facet and the text filter that have this value.
    pub count: usize,
    /// Whether it is selected.
    pub selected: bool,
}

/// A facet's values, most common first (selected ones always included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facet {
    /// Which facet.
    pub key: FacetKey,
    /// Its values.
    pub values: Vec<FacetValue>,
    /// How many further values were left out of `values`.
    pub more: usize,
}

/// One page of the explorer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExplorePage {
    /// The rows of this page.
    pub rows: Vec<EntitySummary>,
    /// Entities passing the filter, on all pages.
    pub total: usize,
    /// Index of the first row among them (0-based).
    pub start: usize,
    /// The facets with counts.
    pub facets: Vec<Facet>,
    /// Cursor of the next page.
    pub next: Option<String>,
    /// Cursor of the previous page.
    pub prev: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_string_round_trips() {
        let pairs = [("kind", "component"), ("owner", "team a"), ("owner", "team-b"), ("q", "pay"), ("sort", "owner"), ("order", "desc"), ("limit", "25"), ("bogus", "x"), ("type", "")];
        let q = ExploreQuery::from_pairs(pairs);
        assert_eq!(q.selected(FacetKey::Owner), ["team a", "team-b"]);
        assert_eq!(q.to_query_string(), "?kind=component&owner=team+a&owner=team-b&q=pay&sort=owner&order=desc&limit=25");
        let off = q.toggled(FacetKey::Owner, "TEAM A");
        assert_eq!(off.selected(FacetKey::Owner), ["team-b"]);
        let on = ExploreQuery::from_pairs([]).toggled(FacetKey::Kind, "API");
        assert_eq!(on.href(), "/catalog?kind=API");
        assert_eq!(ExploreQuery::from_pairs([]).href(), "/catalog");
        assert!(!q.sorted_by(SortKey::Owner).desc && q.sorted_by(SortKey::Name).sort == SortKey::Name);
    }
}
