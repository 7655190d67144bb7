//! Listing endpoints: `GET /entities`, `GET|POST /entities/by-query` and
//! `GET /entity-facets`, picked from the search index; the page's entities
//! are then read from the database.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::query::{EntitiesRequest, EntityFilter, Fetch, QueryByPredicateBody, QueryEntitiesRequest, QueryParams, finish_page};
use crate::error::{ApiJson, AppError};
use crate::ingest::Catalog;
use crate::store::entities;

/// `GET /entities` (deprecated in Backstage, still used): a JSON array.
pub async fn entities(State(catalog): State<Arc<Catalog>>, params: QueryParams) -> Result<Json<Value>, AppError> {
    let request = EntitiesRequest::from_params(&params)?;
    let limit = request.limit.unwrap_or(u64::MAX - 1);
    let mut rows = catalog.index.page(&request.query, None, super::query::Direction::Next, limit, request.offset);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let uids: Vec<String> = rows.into_iter().map(|r| r.uid).collect();
    let full = entities::rows_by_uids(&catalog.db.pool, &uids).await?;
    let mut items = super::entities::to_json(&catalog, &full).await?;
    for item in &mut items {
        request.fields.apply(item);
    }
    Ok(Json(Value::Array(items)))
}

async fn by_query(catalog: &Catalog, request: QueryEntitiesRequest) -> Result<Json<Value>, AppError> {
    let (position, direction) = request.position();
    let limit = request.limit.min(10_000);
    let (matching, rows) = catalog.index.page_and_count(&request.query, position, direction, limit, request.offset);
    // A cursor carries the total its first page counted, as in Backstage.
    let total_items = request.cursor.as_ref().map_or(matching, |c| c.total_items);
    let fetch = Fetch {
        query: &request.query,
        fields: &request.fields,
        total_items,
        direction,
        from_cursor: request.cursor.is_some(),
        limit,
    };
    let page = finish_page(fetch, rows, |r| Ok::<_, AppError>(r.uid))?;
    let full = entities::rows_by_uids(&catalog.db.pool, &page.items).await?;
    let mut items = super::entities::to_json(catalog, &full).await?;
    for item in &mut items {
        request.fields.apply(item);
    }
    let mut page_info = serde_json::Map::new();
    if let Some(next) = page.next_cursor {
        page_info.insert("nextCursor".into(), next.into());
    }
    if let Some(prev) = page.prev_cursor {
        page_info.insert("prevCursor".into(), prev.into());
    }
    Ok(Json(json!({ "items": items, "totalItems": total_items, "pageInfo": page_info })))
}

/// `GET /entities/by-query`
pub async fn by_query_get(State(catalog): State<Arc<Catalog>>, params: QueryParams) -> Result<Json<Value>, AppError> {
    by_query(&catalog, QueryEntitiesRequest::from_params(&params)?).await
}

/// `POST /entities/by-query`
pub async fn by_query_post(
    State(catalog): State<Arc<Catalog>>,
    ApiJson(body): ApiJson<QueryByPredicateBody>,
) -> Result<Json<Value>, AppError> {
    by_query(&catalog, QueryEntitiesRequest::from_body(&body)?).await
}

/// `GET /entity-facets?facet=kind&facet=spec.type&filter=…`: counts per value.
pub async fn facets(State(catalog): State<Arc<Catalog>>, params: QueryParams) -> Result<Json<Value>, AppError> {
    let facets: Vec<&str> = params.all("facet").collect();
    if facets.is_empty() {
        return Err(AppError::input("Missing facet parameter"));
    }
    let filter = EntityFilter::parse(params.all("filter"))?.map(|f| f.to_predicate());
    let keys: Vec<String> = facets.iter().map(|f| f.to_lowercase()).collect();
    let counts = catalog.index.facets(&keys, filter.as_ref());
    let mut out = serde_json::Map::new();
    for (facet, values) in facets.iter().zip(counts) {
        let values: Vec<Value> = values.into_iter().map(|v| json!({ "value": v.value, "count": v.count })).collect();
        out.insert((*facet).to_owned(), Value::Array(values));
    }
    Ok(Json(json!({ "facets": out })))
}
