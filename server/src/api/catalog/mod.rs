//! Backstage's catalog REST API under `/api/catalog`.

pub mod entities;
pub mod listing;
pub mod locations;
pub mod query;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::ingest::Catalog;

/// The catalog API's routes, to be nested under `/api/catalog`.
pub fn router(catalog: Arc<Catalog>) -> Router {
    Router::new()
        .route("/entities", get(listing::entities))
        .route("/entities/by-query", get(listing::by_query_get).post(listing::by_query_post))
        .route("/entities/by-uid/{uid}", get(entities::by_uid).delete(entities::delete_by_uid))
        .route("/entities/by-name/{kind}/{namespace}/{name}", get(entities::by_name))
        .route("/entities/by-name/{kind}/{namespace}/{name}/ancestry", get(entities::ancestry))
        .route("/entities/by-refs", post(entities::by_refs))
        .route("/entity-facets", get(listing::facets))
        .route("/refresh", post(entities::refresh))
        .route("/validate-entity", post(entities::validate_entity))
        .route("/locations", get(locations::list).post(locations::create))
        .route("/locations/{id}", get(locations::get).delete(locations::delete))
        .route("/locations/by-entity/{kind}/{namespace}/{name}", get(locations::by_entity))
        .fallback(|| async { crate::error::AppError::not_found("No such catalog endpoint") })
        .with_state(catalog)
        .layer(axum::middleware::from_fn(crate::error::error_envelope))
}
