//! Where the portal's pages get their data: loading the catalog from disk and
//! the in-memory [`PortalData`] implementation over it.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use portolan_catalog::Entity;
use portolan_frontend::{CatalogFilter, EntitySummary, KindCount, PortalData};

/// The pages' view of the stored catalog: a snapshot in memory, replaced
/// whenever processing changes the database, so page views never wait on it.
#[derive(Debug, Clone, Default)]
pub struct LivePortal {
    snapshot: Arc<RwLock<Arc<MemoryCatalog>>>,
}

impl LivePortal {
    /// Replaces the snapshot with the entities now in the database.
    pub async fn reload(&self, db: &crate::store::Db) -> anyhow::Result<()> {
        let rows = sqlx::query("SELECT body FROM entities").fetch_all(&db.pool).await?;
        let mut summaries = Vec::with_capacity(rows.len());
        for row in &rows {
            let body: String = sqlx::Row::try_get(row, "body")?;
            if let Ok(entity) = serde_json::from_str::<Entity>(&body) {
                summaries.push(summary(&entity));
            }
        }
        let catalog = Arc::new(MemoryCatalog::new(summaries));
        if let Ok(mut snapshot) = self.snapshot.write() {
            *snapshot = catalog;
        }
        Ok(())
    }

    fn current(&self) -> Arc<MemoryCatalog> {
        self.snapshot.read().map(|s| Arc::clone(&s)).unwrap_or_default()
    }
}

impl PortalData for LivePortal {
    fn kind_counts(&self) -> Vec<KindCount> {
        self.current().kind_counts()
    }

    fn entities(&self, filter: &CatalogFilter) -> Vec<EntitySummary> {
        self.current().entities(filter)
    }

    fn total(&self) -> usize {
        self.current().total()
    }
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

}
