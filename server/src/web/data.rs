//! Where the portal's pages get their data: loading the catalog from disk and
//! the in-memory [`PortalData`] implementation over it.

use std::collections::BTreeMap;
use std::path::Path;

use portolan_catalog::{Entity, Severity};
use portolan_frontend::{CatalogFilter, EntitySummary, KindCount, PortalData};

/// Reads the catalog under `path` (a file, or a folder searched for
/// catalog-info files, following Location targets) and reduces every valid
/// entity to what the pages show. Invalid documents are logged and left out.
pub fn load_catalog(path: &Path) -> anyhow::Result<Vec<EntitySummary>> {
    let validation = crate::validate::validate_paths(&[path.to_path_buf()], false)?;
    for file in &validation.files {
        for d in file.report.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            tracing::warn!(file = %file.display, line = d.line, column = d.column, field = %d.field, "{}", d.message);
        }
    }
    Ok(validation.files.iter().flat_map(|f| f.report.entities()).map(summary).collect())
}

fn summary(e: &Entity) -> EntitySummary {
    let spec = |field: &str| e.spec_str(field).map(str::to_owned);
    EntitySummary {
        kind: e.kind.clone(),
        namespace: e.metadata.namespace.clone(),
        name: e.metadata.name.clone(),
        title: e.metadata.title.clone(),
        description: e.metadata.description.clone(),
        owner: spec("owner"),
        spec_type: spec("type"),
        lifecycle: spec("lifecycle"),
        tags: e.metadata.tags.clone(),
    }
}

/// Display rank of a kind: Backstage's kinds in the order people look for
/// them, then any other kind (alphabetically, by the caller's tie-break).
fn kind_rank(kind_lowercase: &str) -> usize {
    const ORDER: [&str; 9] = [
        "component",
        "api",
        "system",
        "domain",
        "resource",
        "group",
        "user",
        "template",
        "location",
    ];
    ORDER
        .iter()
        .position(|k| *k == kind_lowercase)
        .unwrap_or(ORDER.len())
}

/// A catalog held in memory, sorted by kind (Component, API, System, Domain,
/// Resource, Group, User, Template, Location, then other kinds alphabetically),
/// then namespace, then name.
#[derive(Debug, Clone, Default)]
pub struct MemoryCatalog {
    entities: Vec<EntitySummary>,
    counts: Vec<KindCount>,
}

impl MemoryCatalog {
    /// Takes ownership of `entities` and sorts them for display.
    pub fn new(mut entities: Vec<EntitySummary>) -> Self {
        entities.sort_by_cached_key(|e| {
            let kind = e.kind.to_lowercase();
            (
                kind_rank(&kind),
                kind,
                e.namespace.to_lowercase(),
                e.name.to_lowercase(),
                e.name.clone(),
            )
        });
        // Group kinds case-insensitively; show the most common spelling
        // (ties: the one that sorts first, so `API` beats `api`).
        let mut by_kind: BTreeMap<(usize, String), BTreeMap<&str, usize>> = BTreeMap::new();
        for e in &entities {
            let kind = e.kind.to_lowercase();
            *by_kind
                .entry((kind_rank(&kind), kind))
                .or_default()
                .entry(&e.kind)
                .or_default() += 1;
        }
        let counts = by_kind
            .into_values()
            .map(|spellings| {
                let count = spellings.values().sum();
                let kind = spellings
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                    .map(|(spelling, _)| (*spelling).to_owned())
                    .unwrap_or_default();
                KindCount { kind, count }
            })
            .collect();
        Self { entities, counts }
    }

    /// Number of entities held.
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// Whether the catalog holds no entities.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }
}

impl PortalData for MemoryCatalog {
    fn kind_counts(&self) -> Vec<KindCount> {
        self.counts.clone()
    }

    fn entities(&self, filter: &CatalogFilter) -> Vec<EntitySummary> {
        let filter = filter.normalized();
        self.entities
            .iter()
            .filter(|e| filter.matches(e))
            .cloned()
            .collect()
    }

    fn total(&self) -> usize {
        self.entities.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(kind: &str, name: &str, description: &str) -> EntitySummary {
        EntitySummary {
            kind: kind.into(),
            namespace: "default".into(),
            name: name.into(),
            description: Some(description.into()),
            ..Default::default()
        }
    }

    #[test]
    fn sorts_counts_and_filters() {
        let catalog = MemoryCatalog::new(vec![
            entity("Component", "zeta", "last"),
            entity("API", "petstore", "pets over HTTP"),
            entity("Component", "alpha", "first"),
            entity("api", "orders", "orders"),
        ]);
        let names: Vec<_> = catalog
            .entities(&CatalogFilter::default())
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["alpha", "zeta", "orders", "petstore"]);
        assert_eq!(
            catalog.kind_counts(),
            [
                KindCount {
                    kind: "Component".into(),
                    count: 2
                },
                KindCount {
                    kind: "API".into(),
                    count: 2
                }
            ]
        );
        let apis = catalog.entities(&CatalogFilter {
            kind: Some("API".into()),
            q: None,
        });
        assert_eq!(apis.len(), 2);
        let pets = catalog.entities(&CatalogFilter {
            kind: Some(" ".into()),
            q: Some("PETS".into()),
        });
        assert_eq!(pets.len(), 1);
        assert_eq!(catalog.total(), 4);
    }

    #[test]
    fn load_catalog_is_not_wired_yet() {
        assert!(load_catalog(Path::new(".")).is_err());
    }
}
