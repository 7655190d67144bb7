//! Listing endpoints: `GET /entities`, `GET|POST /entities/by-query` and
//! `GET /entity-facets`, all answered by SQL over the search table.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use sqlx::Row;

use super::query::{
    EntitiesRequest, EntityFilter, Fetch, PageRow, QueryByPredicateBody, QueryEntitiesRequest, QueryParams, SqlQuery,
    finish_page,
};
use crate::error::{ApiJson, AppError};
use crate::ingest::Catalog;
use crate::store::entities::{self, ENTITY_COLUMNS, EntityRow};

/// Full rows (errors, orphan flag) for the page's uids, in the page's order.
async fn rows_in_order(catalog: &Catalog, uids: &[String]) -> Result<Vec<EntityRow>, AppError> {
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = SqlQuery::new();
    let placeholders: Vec<String> = uids.iter().map(|u| q.arg(u.clone())).collect();
    q.sql = format!("SELECT {ENTITY_COLUMNS} FROM entities e WHERE e.uid IN ({})", placeholders.join(", "));
    let fetched = q.query().fetch_all(&catalog.db.pool).await?;
    let mut by_uid: HashMap<String, EntityRow> = HashMap::with_capacity(fetched.len());
    for row in &fetched {
        let row = entities::entity_row(row)?;
        by_uid.insert(row.uid.clone(), row);
    }
    Ok(uids.iter().filter_map(|u| by_uid.remove(u)).collect())
}

async fn page_rows(catalog: &Catalog, q: &SqlQuery, order_fields: usize) -> Result<Vec<PageRow>, AppError> {
    let rows = q.query().fetch_all(&catalog.db.pool).await?;
    Ok(rows.iter().map(|r| PageRow::from_row(r, order_fields)).collect::<Result<_, _>>()?)
}

/// `GET /entities` (deprecated in Backstage, still used): a JSON array.
pub async fn entities(State(catalog): State<Arc<Catalog>>, params: QueryParams) -> Result<Json<Value>, AppError> {
    let request = EntitiesRequest::from_params(&params)?;
    let limit = request.limit.unwrap_or(i64::MAX as u64);
    let q = request.query.page_sql(None, super::query::Direction::Next, limit, request.offset);
    let rows = page_rows(&catalog, &q, request.query.order.len()).await?;
    let uids: Vec<String> = rows.into_iter().map(|r| r.uid).collect();
    let full = rows_in_order(&catalog, &uids).await?;
    let mut items = super::entities::to_json(&catalog, &full).await?;
    for item in &mut items {
        request.fields.apply(item);
    }
    Ok(Json(Value::Array(items)))
}

async fn by_query(catalog: &Catalog, request: QueryEntitiesRequest) -> Result<Json<Value>, AppError> {
    let total_items = match &request.cursor {
        Some(cursor) => cursor.total_items,
        None => {
            let q = request.query.count_sql();
            let row = q.query().fetch_one(&catalog.db.pool).await?;
            u64::try_from(row.try_get::<i64, _>("total")?).unwrap_or(0)
        }
    };
    let (position, direction) = request.position();
    let limit = request.limit.min(10_000);
    let q = request.query.page_sql(position, direction, limit, request.offset);
    let rows = page_rows(catalog, &q, request.query.order.len()).await?;
    let fetch = Fetch {
        query: &request.query,
        fields: &request.fields,
        total_items,
        direction,
        from_cursor: request.cursor.is_some(),
        limit,
    };
    let page = finish_page(fetch, rows, |r| Ok::<_, AppError>(r.uid))?;
    let full = rows_in_order(catalog, &page.items).await?;
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
    let mut out = serde_json::Map::new();
    for facet in facets {
        let mut q = SqlQuery::new();
        let key = q.arg(facet.to_ascii_lowercase());
        // Without a filter the facet is one scan of the (key, value, uid) index;
        // with one, the filter picks the uids first.
        let restriction = match &filter {
            Some(p) => format!(" AND s.uid IN (SELECT e.uid FROM entities e WHERE {})", super::query::filter_sql(p, &mut q)),
            None => String::new(),
        };
        q.sql = format!(
            "SELECT MIN(s.original_value) AS value, COUNT(DISTINCT s.uid) AS n FROM search s \
             WHERE s.key = {key} AND s.value IS NOT NULL{restriction} GROUP BY s.value ORDER BY n DESC, MIN(s.original_value)"
        );
        let rows = q.query().fetch_all(&catalog.db.pool).await?;
        let values: Vec<Value> = rows
            .iter()
            .map(|r| Ok::<_, sqlx::Error>(json!({ "value": r.try_get::<String, _>("value")?, "count": r.try_get::<i64, _>("n")? })))
            .collect::<Result<_, _>>()?;
        out.insert(facet.to_owned(), Value::Array(values));
    }
    Ok(Json(json!({ "facets": out })))
}
