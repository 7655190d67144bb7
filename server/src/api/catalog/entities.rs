//! Single-entity endpoints: by name, by uid, ancestry, by refs, refresh and
//! validate-entity.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use portolan_catalog::{EntityRef, RefDefaults, Severity};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::policy::Action;
use crate::auth::{Actor, AuthHandle};
use crate::error::{AppError, ApiJson};
use crate::ingest::Catalog;
use crate::store::entities::{self, EntityRow};

/// Adds rows' relations (from the index) and turns them into API JSON.
pub async fn to_json(catalog: &Catalog, rows: &[EntityRow]) -> Result<Vec<Value>, AppError> {
    Ok(rows.iter().map(|row| entities::to_api_json(row, &catalog.index.relations_of(&row.entity_ref))).collect())
}

async fn one(catalog: &Catalog, row: Option<EntityRow>, missing: impl FnOnce() -> String) -> Result<Json<Value>, AppError> {
    let row = row.ok_or_else(|| AppError::not_found(missing()))?;
    let mut items = to_json(catalog, std::slice::from_ref(&row)).await?;
    Ok(Json(items.pop().unwrap_or(Value::Null)))
}

/// `GET /entities/by-name/:kind/:namespace/:name`
pub async fn by_name(
    State(catalog): State<Arc<Catalog>>,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Result<Json<Value>, AppError> {
    let entity_ref = EntityRef::new(&kind, &namespace, &name).to_string();
    let row = entities::by_ref(&catalog.db.pool, &entity_ref).await?;
    one(&catalog, row, || format!("No entity named '{name}' found, with kind '{kind}' in namespace '{namespace}'")).await
}

/// `GET /entities/by-uid/:uid`
pub async fn by_uid(State(catalog): State<Arc<Catalog>>, Path(uid): Path<String>) -> Result<Json<Value>, AppError> {
    let row = entities::by_uid(&catalog.db.pool, &uid).await?;
    one(&catalog, row, || format!("No entity with uid {uid}")).await
}

/// `DELETE /entities/by-uid/:uid`: always 204; the entity comes back on the
/// next refresh if its location still emits it.
pub async fn delete_by_uid(
    State(catalog): State<Arc<Catalog>>,
    AuthHandle(auth): AuthHandle,
    Actor(actor): Actor,
    Path(uid): Path<String>,
) -> Result<StatusCode, AppError> {
    if let Some(row) = entities::by_uid(&catalog.db.pool, &uid).await? {
        let owners = auth.owners_of(&row.entity_ref);
        auth.check(&actor, Action::EntityDelete, &row.entity_ref, Some(&owners)).await?;
        catalog.delete_entity(&uid).await?;
        auth.audit(&actor, Action::EntityDelete.as_str(), Some(&row.entity_ref), "ok", None).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /entities/by-name/:kind/:namespace/:name/ancestry`: the entity and the
/// chain of Location entities that led to it, up to the registered location.
pub async fn ancestry(
    State(catalog): State<Arc<Catalog>>,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Result<Json<Value>, AppError> {
    let root_ref = EntityRef::new(&kind, &namespace, &name).to_string();
    let mut items = Vec::new();
    let mut next = Some(root_ref.clone());
    while let Some(current) = next.take() {
        let Some(row) = entities::by_ref(&catalog.db.pool, &current).await? else {
            if items.is_empty() {
                return Err(AppError::not_found(format!("No entity named '{name}' found, with kind '{kind}' in namespace '{namespace}'")));
            }
            break;
        };
        if items.len() > 64 {
            break;
        }
        let parents: Vec<String> = row.parent_ref.iter().cloned().collect();
        next = row.parent_ref.clone();
        let entity = to_json(&catalog, std::slice::from_ref(&row)).await?.pop().unwrap_or(Value::Null);
        items.push(json!({ "entity": entity, "parentEntityRefs": parents }));
    }
    Ok(Json(json!({ "rootEntityRef": root_ref, "items": items })))
}

/// Body of `POST /entities/by-refs`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ByRefsRequest {
    entity_refs: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
}

/// `POST /entities/by-refs`: the entities in the order asked, `null` where missing.
pub async fn by_refs(State(catalog): State<Arc<Catalog>>, ApiJson(body): ApiJson<ByRefsRequest>) -> Result<Json<Value>, AppError> {
    let fields = super::query::Fields::parse(body.fields.iter().map(String::as_str))?;
    let mut items = Vec::with_capacity(body.entity_refs.len());
    for text in &body.entity_refs {
        let entity_ref = EntityRef::parse(text, RefDefaults::default()).map_err(|e| AppError::input(e.to_string()))?;
        let row = entities::by_ref(&catalog.db.pool, &entity_ref.to_string()).await?;
        let value = match row {
            Some(row) => {
                let mut v = to_json(&catalog, std::slice::from_ref(&row)).await?.pop().unwrap_or(Value::Null);
                fields.apply(&mut v);
                v
            }
            None => Value::Null,
        };
        items.push(value);
    }
    Ok(Json(json!({ "items": items })))
}

/// Body of `POST /refresh`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    entity_ref: String,
}

/// `POST /refresh`: re-reads the location that emits the entity, now.
pub async fn refresh(
    State(catalog): State<Arc<Catalog>>,
    AuthHandle(auth): AuthHandle,
    Actor(actor): Actor,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<StatusCode, AppError> {
    let entity_ref = EntityRef::parse(&body.entity_ref, RefDefaults::default()).map_err(|e| AppError::input(e.to_string()))?;
    let owners = auth.owners_of(&entity_ref.to_string());
    auth.check(&actor, Action::EntityRefresh, &entity_ref.to_string(), Some(&owners)).await?;
    let row = entities::by_ref(&catalog.db.pool, &entity_ref.to_string())
        .await?
        .ok_or_else(|| AppError::not_found(format!("Entity {entity_ref} not found")))?;
    let location = crate::store::locations::get(&catalog.db.pool, &row.location_id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("The location of {entity_ref} is gone")))?;
    catalog.process(&location).await?;
    auth.audit(&actor, Action::EntityRefresh.as_str(), Some(&entity_ref.to_string()), "ok", None).await;
    Ok(StatusCode::OK)
}

/// Body of `POST /validate-entity`.
#[derive(Debug, Deserialize)]
pub struct ValidateRequest {
    location: String,
    entity: Value,
}

/// `POST /validate-entity`: 200 when valid, 400 `{errors: [...]}` otherwise.
pub async fn validate_entity(ApiJson(body): ApiJson<ValidateRequest>) -> Result<(StatusCode, Json<Value>), AppError> {
    if portolan_catalog::LocationRef::parse(&body.location).is_none() {
        return Err(AppError::input(format!("Invalid location ref '{}', expected <type>:<target>", body.location)));
    }
    let node = portolan_catalog::substitution::from_json(&body.entity, portolan_catalog::yaml::Pos::new(1, 1));
    let mut diagnostics = Vec::new();
    portolan_catalog::check_entity(&node, 1, &mut diagnostics);
    let errors: Vec<Value> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| json!({ "name": "InputError", "message": d.message, "field": d.field }))
        .collect();
    if errors.is_empty() {
        Ok((StatusCode::OK, Json(json!({}))))
    } else {
        Ok((StatusCode::BAD_REQUEST, Json(json!({ "errors": errors }))))
    }
}
