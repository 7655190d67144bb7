//! Backstage's catalog query language — `filter`, the `query` predicate,
//! `fields`, `orderField`/`order`, full-text filters and cursors — parsed
//! into typed values that [`crate::search::SearchIndex`] answers.
//!
//! The handlers' path: extract [`QueryParams`] (or `ApiJson<QueryByPredicateBody>`),
//! parse a [`QueryEntitiesRequest`], count with `SearchIndex::count`
//! (unless the cursor carries the total), pick the page with
//! `SearchIndex::page`, and build the response with [`finish_page`] and
//! [`Fields::apply`].

pub mod cursor;
pub mod entity_query;
pub mod fields;
pub mod filter;
pub mod order;
pub mod predicate;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;
use serde_json::Value;

pub use cursor::{Cursor, Direction, Fetch, Page, Position, finish_page};
pub use fields::Fields;
pub use filter::{EntityFilter, FilterCondition, FullTextFilter};
pub use order::{OrderField, SortOrder};
pub use predicate::{Matcher, Predicate};
pub use entity_query::{EntityQuery, MAX_ORDER_FIELDS, MAX_PREDICATE_SIZE};

use crate::error::{ApiQuery, AppError};

/// Backstage's page size for `by-query` when no `limit` is given.
pub const DEFAULT_LIMIT: u64 = 20;

/// The raw query-string pairs, repeated keys kept (`filter=a&filter=b`),
/// because axum's `Query<T>` into a struct cannot express repeatable
/// parameters. Malformed query strings are [`AppError::InputError`]s.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryParams(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ApiQuery(pairs) = ApiQuery::<Vec<(String, String)>>::from_request_parts(parts, state).await?;
        Ok(QueryParams(pairs))
    }
}

impl QueryParams {
    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The single value of `name`; given twice is an InputError, as in Backstage.
    pub fn one(&self, name: &str) -> Result<Option<&str>, AppError> {
        let mut values = self.all(name);
        match (values.next(), values.next()) {
            (first, None) => Ok(first),
            _ => Err(AppError::input(format!("Invalid {name}, not a single string"))),
        }
    }

    /// The single non-negative integer value of `name`.
    pub fn integer(&self, name: &str) -> Result<Option<u64>, AppError> {
        self.one(name)?.map(|v| parse_integer(name, v)).transpose()
    }
}

fn parse_integer(name: &str, value: &str) -> Result<u64, AppError> {
    value
        .trim()
        .parse::<u64>()
        .map_err(|_| AppError::input(format!("Invalid {name}, not an integer on the form 123")))
}

/// A parsed `GET` or `POST /entities/by-query`, with a cursor already
/// resolved: when `cursor` is set, `query` is the cursor's and `offset` is 0
/// (Backstage ignores the other parameters then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryEntitiesRequest {
    /// Filter, full-text filter and order.
    pub query: EntityQuery,
    /// The fields to return (the request's, else the cursor's).
    pub fields: Fields,
    /// Page size ([`DEFAULT_LIMIT`] when not given).
    pub limit: u64,
    /// Rows to skip (first page only).
    pub offset: u64,
    /// The decoded cursor, when continuing a list.
    pub cursor: Option<Cursor>,
}

/// The JSON body of `POST /entities/by-query` (Backstage's
/// `QueryEntitiesByPredicateRequest`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryByPredicateBody {
    /// A cursor from a previous page.
    pub cursor: Option<String>,
    /// Field paths to return.
    pub fields: Option<Vec<String>>,
    /// Page size.
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: Option<u64>,
    /// The filter predicate.
    pub query: Option<Value>,
    /// `<path>[,asc|desc]` entries.
    pub order_field: Option<Vec<String>>,
    /// `{term, fields?}`.
    pub full_text_filter: Option<FullTextBody>,
}

/// The `fullTextFilter` of [`QueryByPredicateBody`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct FullTextBody {
    /// The term.
    pub term: Option<String>,
    /// Search keys to look in.
    pub fields: Option<Vec<String>>,
}

impl QueryEntitiesRequest {
    /// Parses the query string of `GET /entities/by-query`.
    pub fn from_params(params: &QueryParams) -> Result<QueryEntitiesRequest, AppError> {
        let fields = Fields::parse(params.all("fields"))?;
        let limit = params.integer("limit")?;
        if let Some(cursor) = params.one("cursor")? {
            return Self::continuing(Cursor::decode(cursor)?, fields, limit);
        }
        let filter = EntityFilter::parse(params.all("filter"))?.map(|f| f.to_predicate());
        let full_text = FullTextFilter::new(params.one("fullTextFilterTerm")?, params.all("fullTextFilterFields"));
        let order = OrderField::parse_all(params.all("orderField"))?;
        let query = EntityQuery { filter, full_text, order };
        query.validate()?;
        let offset = params.integer("offset")?.unwrap_or(0);
        Ok(QueryEntitiesRequest { query, fields, limit: limit.unwrap_or(DEFAULT_LIMIT), offset, cursor: None })
    }

    /// Parses the body of `POST /entities/by-query`.
    pub fn from_body(body: &QueryByPredicateBody) -> Result<QueryEntitiesRequest, AppError> {
        let fields = Fields::parse(body.fields.iter().flatten().map(String::as_str))?;
        if let Some(cursor) = &body.cursor {
            return Self::continuing(Cursor::decode(cursor)?, fields, body.limit);
        }
        let filter = body.query.as_ref().map(Predicate::from_json).transpose()?;
        let full_text = body.full_text_filter.as_ref().and_then(|f| {
            FullTextFilter::new(f.term.as_deref(), f.fields.iter().flatten().map(String::as_str))
        });
        let order = OrderField::parse_all(body.order_field.iter().flatten().map(String::as_str))?;
        let query = EntityQuery { filter, full_text, order };
        query.validate()?;
        Ok(QueryEntitiesRequest {
            query,
            fields,
            limit: body.limit.unwrap_or(DEFAULT_LIMIT),
            offset: body.offset.unwrap_or(0),
            cursor: None,
        })
    }

    fn continuing(cursor: Cursor, fields: Fields, limit: Option<u64>) -> Result<QueryEntitiesRequest, AppError> {
        let fields = if fields.is_empty() { cursor.fields.clone() } else { fields };
        Ok(QueryEntitiesRequest {
            query: cursor.query.clone(),
            fields,
            limit: limit.unwrap_or(DEFAULT_LIMIT),
            offset: 0,
            cursor: Some(cursor),
        })
    }

    /// The arguments for `SearchIndex::page`: the position to continue
    /// from (none on the first page) and the direction.
    pub fn position(&self) -> (Option<&Position>, Direction) {
        match &self.cursor {
            Some(cursor) => (Some(&cursor.position), cursor.direction),
            None => (None, Direction::Next),
        }
    }
}

/// A parsed deprecated `GET /entities`: `filter`, `fields`, `order`,
/// `offset`, `limit` (the opaque `after` is left to the handler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitiesRequest {
    /// Filter and order (no full-text filter on this endpoint).
    pub query: EntityQuery,
    /// The fields to return.
    pub fields: Fields,
    /// Rows to skip.
    pub offset: u64,
    /// Page size; `None` returns everything, as Backstage does.
    pub limit: Option<u64>,
}

impl EntitiesRequest {
    /// Parses the query string of `GET /entities`.
    pub fn from_params(params: &QueryParams) -> Result<EntitiesRequest, AppError> {
        let filter = EntityFilter::parse(params.all("filter"))?.map(|f| f.to_predicate());
        let order = params.all("order").map(OrderField::parse_legacy).collect::<Result<Vec<_>, _>>()?;
        let query = EntityQuery { filter, full_text: None, order };
        query.validate()?;
        Ok(EntitiesRequest {
            query,
            fields: Fields::parse(params.all("fields"))?,
            offset: params.integer("offset")?.unwrap_or(0),
            limit: params.integer("limit")?,
        })
    }
}
