//! The data the pages show, and the trait through which the server supplies it.
//!
//! These types belong to the frontend on purpose: the server converts its own
//! catalog model into them, so the pages never depend on the server crate.

use serde::{Deserialize, Serialize};

/// One catalog entity, reduced to what list pages show.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EntitySummary {
    /// Entity kind as written in the file, e.g. `Component` or `API`.
    pub kind: String,
    /// Namespace; `default` when the file does not set one.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.title`, a human-friendly display name.
    pub title: Option<String>,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `spec.owner`, as an entity reference string.
    pub owner: Option<String>,
    /// `spec.type`, e.g. `service`, `website` or `openapi`.
    pub spec_type: Option<String>,
    /// `spec.lifecycle`, e.g. `production` or `experimental`.
    pub lifecycle: Option<String>,
    /// `metadata.tags`.
    pub tags: Vec<String>,
}

impl EntitySummary {
    /// The name to show: the title when there is one, else the name.
    pub fn display_name(&self) -> &str {
        self.title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(&self.name)
    }
}

/// How many entities of one kind the catalog holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCount {
    /// Kind as written in the entities, e.g. `Component`.
    pub kind: String,
    /// Number of entities of that kind.
    pub count: usize,
}

/// The filter of the catalog list, read from the `kind` and `q` query parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CatalogFilter {
    /// Only entities of this kind (compared case-insensitively).
    #[serde(default)]
    pub kind: Option<String>,
    /// Only entities whose name, title or description contains this text
    /// (case-insensitively).
    #[serde(default)]
    pub q: Option<String>,
}

impl CatalogFilter {
    /// The same filter with blank values dropped and the rest trimmed, so that
    /// `?kind=&q=` from an untouched form means "no filter".
    pub fn normalized(&self) -> Self {
        fn clean(value: &Option<String>) -> Option<String> {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        }
        Self {
            kind: clean(&self.kind),
            q: clean(&self.q),
        }
    }

    /// Whether `entity` passes the filter. Blank values match everything.
    pub fn matches(&self, entity: &EntitySummary) -> bool {
        let filter = self.normalized();
        if let Some(kind) = &filter.kind
            && !entity.kind.eq_ignore_ascii_case(kind)
        {
            return false;
        }
        if let Some(q) = &filter.q {
            let needle = q.to_lowercase();
            let hit = |text: Option<&str>| text.is_some_and(|t| t.to_lowercase().contains(&needle));
            if !(hit(Some(&entity.name))
                || hit(entity.title.as_deref())
                || hit(entity.description.as_deref()))
            {
                return false;
            }
        }
        true
    }
}

/// Everything the pages need from the rest of the portal.
///
/// The server implements it over its loaded catalog; tests can implement it over
/// a handful of literals.
pub trait PortalData: Send + Sync + 'static {
    /// Entity counts per kind, in display order. Kinds with no entities may be left out.
    fn kind_counts(&self) -> Vec<KindCount>;

    /// The entities passing `filter`, in display order.
    fn entities(&self, filter: &CatalogFilter) -> Vec<EntitySummary>;

    /// Total number of entities in the catalog.
    fn total(&self) -> usize {
        self.kind_counts().iter().map(|k| k.count).sum()
    }
}
