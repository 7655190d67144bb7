//! The pages' data: [`LivePortal`] implements the frontend's [`PortalData`]
//! over the catalog service: list views from an in-memory [`CatalogIndex`]
//! that is rebuilt whenever the stored catalog changes, entity pages and
//! location actions from the database.

use std::sync::{Arc, RwLock};

use portolan_catalog::{Entity, EntityRef};
use portolan_frontend::{
    ApiDefinition, DataError, EntityDetail, EntitySummary, ExplorePage, ExploreQuery, KindCount, LinkView, LocationDetail,
    LocationPreview, LocationView, PortalData, RelationView,
};
use serde_json::Value;

use super::index::CatalogIndex;
use crate::ingest::Catalog;
use crate::store::entities;
use crate::store::locations::{self, LocationRow, ORIGIN_CONFIG};

/// The portal's data over a catalog service.
#[derive(Clone)]
pub struct LivePortal {
    catalog: Arc<Catalog>,
    index: Arc<RwLock<Arc<CatalogIndex>>>,
}

impl std::fmt::Debug for LivePortal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivePortal").field("entities", &self.current().len()).finish()
    }
}

/// The list fields of an entity (see [`crate::search::summary_of`], the one
/// mapping from an entity to its summary).
pub fn summary(e: &Entity) -> EntitySummary {
    serde_json::to_value(e).ok().and_then(|v| crate::search::summary_of(&v)).unwrap_or_else(|| EntitySummary {
        kind: e.kind.as_str().into(),
        namespace: e.metadata.namespace.as_str().into(),
        name: e.metadata.name.clone(),
        title: None,
        description: None,
        owner: None,
        spec_type: None,
        lifecycle: None,
        system: None,
        tags: Default::default(),
    })
}

fn internal(e: impl std::fmt::Display) -> DataError {
    tracing::error!("page data: {e}");
    DataError::Internal("The catalog could not be read; the error is in the server's log.".to_owned())
}

impl LivePortal {
    /// Pages over `catalog`; call [`LivePortal::reload`] before serving.
    pub fn new(catalog: Arc<Catalog>) -> LivePortal {
        LivePortal { catalog, index: Arc::default() }
    }

    /// Rebuilds the explorer's snapshot from the catalog's search index.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let summaries = self.catalog.index.summaries();
        let index = tokio::task::spawn_blocking(move || CatalogIndex::new(summaries)).await?;
        let replaced = self.index.write().map(|mut current| std::mem::replace(&mut *current, Arc::new(index)));
        // Dropped here, outside the lock; freed unless a request still holds it.
        drop(replaced);
        crate::memory::release_freed();
        Ok(())
    }

    /// Keeps the index in step with the database until `stop` turns true.
    pub async fn follow_changes(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut changes = self.catalog.subscribe();
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if let Err(e) = self.reload().await {
                        tracing::error!("cannot reload the pages' index: {e:#}");
                    }
                }
            }
        }
    }

    /// The index as of now.
    pub fn current(&self) -> Arc<CatalogIndex> {
        self.index.read().map(|s| Arc::clone(&s)).unwrap_or_default()
    }

    fn location_view(row: &LocationRow) -> LocationView {
        LocationView {
            id: row.id.clone(),
            location_type: row.location_type.clone(),
            target: row.target.clone(),
            from_config: row.origin == ORIGIN_CONFIG,
        }
    }

    async fn location_detail(&self, row: &LocationRow) -> Result<LocationDetail, DataError> {
        let sql = "SELECT body FROM entities WHERE location_id = $1 ORDER BY entity_ref";
        let rows = sqlx::query(sql).bind(&row.id).fetch_all(&self.catalog.db.pool).await.map_err(internal)?;
        let entities = rows
            .iter()
            .filter_map(|r| sqlx::Row::try_get::<String, _>(r, "body").ok())
            .filter_map(|b| serde_json::from_str::<Value>(&b).ok())
            .filter_map(|b| crate::search::summary_of(&b))
            .filter(|e| !(e.kind.eq_ignore_ascii_case("location") && e.name.starts_with("generated-")))
            .collect();
        Ok(LocationDetail { location: Self::location_view(row), entities })
    }
}

/// Backstage's generated root Location of a registered location: bookkeeping, not shown.
fn is_generated_location(e: &Entity) -> bool {
    e.kind.eq_ignore_ascii_case("location") && e.metadata.name.starts_with("generated-")
}

/// `file` for paths, `url` for http(s) URLs.
fn location_type_of(target: &str) -> &'static str {
    if target.starts_with("https://") || target.starts_with("http://") { "url" } else { "file" }
}

fn pairs(map: &indexmap::IndexMap<String, String>) -> Vec<(String, String)> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Where to browse an entity's source: `backstage.io/view-url`, else a URL source location.
fn view_url(e: &Entity) -> Option<String> {
    if let Some(url) = e.annotation("backstage.io/view-url") {
        return Some(url.to_owned());
    }
    let source = e.annotation("backstage.io/source-location")?;
    source.strip_prefix("url:").map(str::to_owned)
}

fn definition(e: &Entity) -> Option<ApiDefinition> {
    if !e.kind.eq_ignore_ascii_case("api") {
        return None;
    }
    let text = e.spec_str("definition")?.to_owned();
    let spec_type = e.spec_str("type").unwrap_or_default().to_owned();
    let parsed = match spec_type.to_ascii_lowercase().as_str() {
        "openapi" | "asyncapi" => serde_norway::from_str::<Value>(&text).ok().filter(Value::is_object),
        _ => None,
    };
    Some(ApiDefinition { spec_type, text, parsed })
}

#[async_trait::async_trait]
impl PortalData for LivePortal {
    fn kind_counts(&self) -> Vec<KindCount> {
        self.current().kind_counts()
    }

    fn explore(&self, query: &ExploreQuery) -> ExplorePage {
        self.current().explore(query)
    }

    fn close_matches(&self, kind: Option<&str>, name: &str, limit: usize) -> Vec<EntitySummary> {
        self.current().close_matches(kind, name, limit)
    }

    fn total(&self) -> usize {
        self.current().len()
    }

    async fn entity(&self, kind: &str, namespace: &str, name: &str) -> Result<Option<EntityDetail>, DataError> {
        let pool = &self.catalog.db.pool;
        let entity_ref = EntityRef::new(kind, namespace, name).to_string();
        let Some(row) = entities::by_ref(pool, &entity_ref).await.map_err(internal)? else { return Ok(None) };
        let Ok(entity) = serde_json::from_str::<Entity>(&row.body) else {
            return Err(internal(format!("stored entity {entity_ref} is not valid JSON")));
        };
        let index = self.current();
        let relations = self
            .catalog
            .index
            .relations_of(&entity_ref)
            .into_iter()
            .map(|(relation, target)| RelationView { target: index.get(&target).cloned(), relation, target_ref: target })
            .collect();
        let location = locations::get(pool, &row.location_id).await.map_err(internal)?;
        let errors = row.errors.as_deref().and_then(|e| serde_json::from_str::<Vec<String>>(e).ok()).unwrap_or_default();
        let body: Value = serde_json::from_str(&row.body).unwrap_or(Value::Null);
        let yaml = serde_norway::to_string(&body).unwrap_or_else(|_| row.body.clone());
        Ok(Some(EntityDetail {
            summary: summary(&entity),
            may_unregister: false,
            api_version: entity.api_version.clone(),
            uid: row.uid.clone(),
            labels: pairs(&entity.metadata.labels),
            annotations: pairs(&entity.metadata.annotations),
            links: entity
                .metadata
                .links
                .iter()
                .map(|l| LinkView { url: l.url.clone(), title: l.title.clone().unwrap_or_else(|| l.url.clone()) })
                .collect(),
            spec: entity.spec.clone().map_or(Value::Null, Value::Object),
            relations,
            errors,
            orphan: row.orphan,
            yaml,
            view_url: view_url(&entity),
            edit_url: entity.annotation("backstage.io/edit-url").map(str::to_owned),
            location: location.as_ref().map(Self::location_view),
            definition: definition(&entity),
            kubernetes: None,
        }))
    }

    async fn preview_location(&self, target: &str) -> Result<LocationPreview, DataError> {
        let target = target.trim();
        if target.is_empty() {
            return Err(DataError::Input("Enter the URL or path of a catalog-info.yaml file.".to_owned()));
        }
        let location_type = location_type_of(target);
        let preview = self.catalog.preview(location_type, target).await.map_err(|e| DataError::Input(format!("{e:#}")))?;
        let collected = &preview.collected;
        let entities: Vec<EntitySummary> =
            collected.emitted.iter().map(|e| &e.entity).filter(|e| !is_generated_location(e)).map(summary).collect();
        if entities.is_empty()
            && let Some(first) = collected.outcome.errors.first()
        {
            return Err(DataError::Input(first.clone()));
        }
        Ok(LocationPreview {
            location_type: location_type.to_owned(),
            target: target.to_owned(),
            entities,
            errors: collected.outcome.errors.clone(),
            exists: preview.exists,
        })
    }

    async fn register_location(&self, target: &str) -> Result<LocationDetail, DataError> {
        let target = target.trim();
        let location_type = location_type_of(target);
        let row = self.catalog.register(location_type, target).await.map_err(|e| match e {
            crate::ingest::RegisterError::Exists(m) => DataError::Conflict(m),
            crate::ingest::RegisterError::Invalid(m) => DataError::Input(m),
            crate::ingest::RegisterError::Failed(e) => internal(format!("{e:#}")),
        })?;
        self.reload().await.map_err(internal)?;
        self.location_detail(&row).await
    }

    async fn location(&self, id: &str) -> Result<Option<LocationDetail>, DataError> {
        match locations::get(&self.catalog.db.pool, id).await.map_err(internal)? {
            Some(row) => Ok(Some(self.location_detail(&row).await?)),
            None => Ok(None),
        }
    }

    async fn unregister_location(&self, id: &str) -> Result<LocationDetail, DataError> {
        let Some(row) = locations::get(&self.catalog.db.pool, id).await.map_err(internal)? else {
            return Err(DataError::NotFound(format!("There is no location with id {id}.")));
        };
        if row.origin == ORIGIN_CONFIG {
            return Err(DataError::Forbidden("This location comes from portolan.yaml; remove it there.".to_owned()));
        }
        let detail = self.location_detail(&row).await?;
        self.catalog.remove_location(id).await.map_err(|e| internal(format!("{e:#}")))?;
        self.reload().await.map_err(internal)?;
        Ok(detail)
    }
}
