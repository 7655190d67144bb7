//! `/locations`: registering, listing and removing where the catalog reads from.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use portolan_catalog::EntityRef;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::policy::Action;
use crate::auth::{Actor, AuthHandle};
use crate::error::{AppError, ApiJson, ApiQuery};
use crate::ingest::{Catalog, RegisterError};
use crate::store::entities;
use crate::store::locations::{self, LocationRow, ORIGIN_CONFIG};

fn location_json(l: &LocationRow) -> Value {
    json!({ "id": l.id, "type": l.location_type, "target": l.target })
}

/// `GET /locations`
pub async fn list(State(catalog): State<Arc<Catalog>>) -> Result<Json<Value>, AppError> {
    let rows = locations::list(&catalog.db.pool).await?;
    Ok(Json(Value::Array(rows.iter().map(|l| json!({ "data": location_json(l) })).collect())))
}

/// `GET /locations/:id`
pub async fn get(State(catalog): State<Arc<Catalog>>, Path(id): Path<String>) -> Result<Json<Value>, AppError> {
    let row = locations::get(&catalog.db.pool, &id).await?.ok_or_else(|| AppError::not_found(format!("Found no location with ID {id}")))?;
    Ok(Json(location_json(&row)))
}

/// `GET /locations/by-entity/:kind/:namespace/:name`
pub async fn by_entity(
    State(catalog): State<Arc<Catalog>>,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Result<Json<Value>, AppError> {
    let entity_ref = EntityRef::new(&kind, &namespace, &name).to_string();
    let row = entities::by_ref(&catalog.db.pool, &entity_ref).await?.ok_or_else(|| AppError::not_found(format!("Entity {entity_ref} not found")))?;
    let location = locations::get(&catalog.db.pool, &row.location_id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("No location for {entity_ref}")))?;
    Ok(Json(location_json(&location)))
}

/// Body of `POST /locations`.
#[derive(Debug, Deserialize)]
pub struct NewLocation {
    #[serde(rename = "type")]
    location_type: String,
    target: String,
}

/// Query of `POST /locations`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateQuery {
    #[serde(default)]
    dry_run: Option<String>,
}

/// `POST /locations[?dryRun=true]`: 201 `{location, entities, exists?}`; 409 if it exists.
pub async fn create(
    State(catalog): State<Arc<Catalog>>,
    AuthHandle(auth): AuthHandle,
    Actor(actor): Actor,
    ApiQuery(query): ApiQuery<CreateQuery>,
    ApiJson(body): ApiJson<NewLocation>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let dry_run = matches!(query.dry_run.as_deref(), Some("true" | "1" | ""));
    let what = format!("{}:{}", body.location_type, body.target);
    auth.check(&actor, Action::LocationCreate, &what, None).await?;
    if dry_run {
        let preview = catalog.preview(&body.location_type, &body.target).await.map_err(register_error)?;
        let collected = &preview.collected;
        if let Some(error) = collected.outcome.errors.first().filter(|_| collected.emitted.len() <= 1) {
            return Err(AppError::input(error.clone()));
        }
        let entities: Vec<Value> = collected.emitted.iter().filter_map(|e| serde_json::to_value(&e.entity).ok()).collect();
        return Ok((
            StatusCode::CREATED,
            Json(json!({ "location": location_json(&preview.location), "entities": entities, "exists": preview.exists })),
        ));
    }
    let location = match catalog.register(&body.location_type, &body.target).await {
        Ok(location) => location,
        Err(e) => {
            auth.audit(&actor, Action::LocationCreate.as_str(), Some(&what), "failed", Some(&e.to_string())).await;
            return Err(register_error(e));
        }
    };
    locations::set_created_by(&catalog.db.pool, &location.id, &actor.user_ref).await?;
    auth.audit(&actor, Action::LocationCreate.as_str(), Some(&what), "ok", None).await;
    let rows = entities_of(&catalog, &location.id).await?;
    let entities = super::entities::to_json(&catalog, &rows).await?;
    Ok((StatusCode::CREATED, Json(json!({ "location": location_json(&location), "entities": entities }))))
}

fn register_error(e: RegisterError) -> AppError {
    match e {
        RegisterError::Exists(m) => AppError::conflict(m),
        RegisterError::Invalid(m) => AppError::input(m),
        RegisterError::Failed(e) => AppError::from(e),
    }
}

async fn entities_of(catalog: &Catalog, location_id: &str) -> Result<Vec<entities::EntityRow>, AppError> {
    let sql = format!("SELECT {} FROM entities e WHERE e.location_id = $1 ORDER BY e.entity_ref", entities::ENTITY_COLUMNS);
    let rows = sqlx::query(&sql).bind(location_id).fetch_all(&catalog.db.pool).await?;
    Ok(rows.iter().map(entities::entity_row).collect::<Result<_, _>>()?)
}

/// `DELETE /locations/:id`: the location and every entity its tree emitted.
pub async fn delete(
    State(catalog): State<Arc<Catalog>>,
    AuthHandle(auth): AuthHandle,
    Actor(actor): Actor,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let location = locations::get(&catalog.db.pool, &id).await?.ok_or_else(|| AppError::not_found(format!("Found no location with ID {id}")))?;
    if location.origin == ORIGIN_CONFIG {
        return Err(AppError::NotAllowedError(format!("Location {id} comes from the configuration and cannot be deleted through the API")));
    }
    let what = format!("{}:{}", location.location_type, location.target);
    let owners = auth.location_owners(&actor, &id).await?;
    auth.check(&actor, Action::LocationDelete, &what, Some(&owners)).await?;
    catalog.remove_location(&id).await?;
    auth.audit(&actor, Action::LocationDelete.as_str(), Some(&what), "ok", None).await;
    Ok(StatusCode::NO_CONTENT)
}
