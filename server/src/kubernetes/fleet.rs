//! The fleet page `/clusters`: every cluster's connection, and every catalog
//! entity with Kubernetes annotations that is not healthy.

use portolan_frontend::{ClusterRowView, FleetView, UnhealthyEntityView};
use serde_json::{Value, json};

use super::Kubernetes;
use super::cache::ResourceState;
use super::health::{Health, Timestamp};
use super::matching::{EntityTarget, ID_ANNOTATION, SELECTOR_ANNOTATION};
use super::view::{connection_word, entity_status};
use crate::api::catalog::query::{Direction, EntityQuery, Predicate};
use crate::ingest::Catalog;

/// At most this many annotated entities are judged for one fleet page.
const MAX_ENTITIES: u64 = 2_000;

fn state_word(state: &ResourceState) -> String {
    match state {
        ResourceState::Syncing => "syncing".to_owned(),
        ResourceState::Ready { .. } => "ready".to_owned(),
        ResourceState::Forbidden { message } => format!("forbidden: {message}"),
        ResourceState::Failing { message } => format!("failing: {message}"),
    }
}

/// The fleet page's data.
pub async fn fleet_view(kubernetes: &Kubernetes, catalog: &Catalog, now: Timestamp) -> anyhow::Result<FleetView> {
    let clusters = kubernetes
        .clusters()
        .iter()
        .map(|c| ClusterRowView {
            name: c.target.name.clone(),
            title: c.target.title.clone(),
            dashboard_url: c.target.dashboard_url.clone(),
            connection: connection_word(c.connection()).to_owned(),
            resources: c.states().into_iter().map(|(plural, state)| (plural.to_owned(), state_word(&state))).collect(),
            objects: c.counts().values().sum(),
        })
        .collect();
    let mut unhealthy = Vec::new();
    if !kubernetes.clusters().is_empty() {
        let annotated = json!({"$any": [
            {format!("metadata.annotations.{ID_ANNOTATION}"): {"$exists": true}},
            {format!("metadata.annotations.{SELECTOR_ANNOTATION}"): {"$exists": true}},
        ]});
        let query = EntityQuery { filter: Predicate::from_json(&annotated).ok(), ..EntityQuery::default() };
        let uids: Vec<String> = catalog.index.page(&query, None, Direction::Next, MAX_ENTITIES, 0).into_iter().map(|r| r.uid).collect();
        for row in crate::store::entities::rows_by_uids(&catalog.db.pool, &uids).await? {
            let Ok(entity) = serde_json::from_str::<Value>(&row.body) else { continue };
            let Ok(Some(target)) = EntityTarget::of(&entity) else { continue };
            let (per_cluster, health, reason) = entity_status(kubernetes, &target, now);
            // Healthy entities, and entities with nothing running anywhere
            // (annotated but not deployed), are not the fleet's trouble.
            if health == Health::Healthy || per_cluster.iter().all(|(_, w)| w.is_empty()) {
                continue;
            }
            let Some(summary) = crate::search::summary_of(&entity) else { continue };
            let clusters = per_cluster.into_iter().filter(|(_, w)| w.iter().any(|w| w.health != Health::Healthy)).map(|(name, _)| name).collect();
            unhealthy.push((health, UnhealthyEntityView { entity: summary, health: health.as_str().to_owned(), reason, clusters }));
        }
        unhealthy.sort_by(|(a, va), (b, vb)| b.cmp(a).then_with(|| va.entity.name.cmp(&vb.entity.name)));
    }
    Ok(FleetView { clusters, unhealthy: unhealthy.into_iter().map(|(_, v)| v).collect() })
}
