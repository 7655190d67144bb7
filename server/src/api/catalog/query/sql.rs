//! SQL for catalog queries, written once with `$N` placeholders so that the
//! same text runs on SQLite and PostgreSQL through `sqlx::Any`.
//!
//! Every condition is a sub-select on the lower-cased `search` table (as in
//! Backstage), rendered as a boolean expression over `entities e`. Every
//! value travels as a bound text parameter; only integers we computed
//! (limits, offsets, column numbers) are written into the text.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::{AnyArguments, AnyRow};

use super::cursor::{Direction, Position};
use super::filter::FullTextFilter;
use super::order::{OrderField, SortOrder};
use super::predicate::{Matcher, Predicate};
use crate::error::AppError;

/// Most `orderField`s accepted: each is a correlated sub-select.
pub const MAX_ORDER_FIELDS: usize = 8;

/// Most predicate nodes accepted (leaves and `$in` values): keeps the SQL
/// and its parameter count (SQLite allows 32766) bounded.
pub const MAX_PREDICATE_SIZE: usize = 1000;

/// SQL text and its parameters, numbered `$1, $2, ...` in push order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SqlQuery {
    /// The statement.
    pub sql: String,
    /// The values of `$1, $2, ...`, all bound as text.
    pub args: Vec<String>,
}

impl SqlQuery {
    /// An empty query, to push text and parameters into.
    pub fn new() -> SqlQuery {
        SqlQuery::default()
    }

    /// Adds a parameter and returns its placeholder (`$N`).
    pub fn arg(&mut self, value: impl Into<String>) -> String {
        self.args.push(value.into());
        format!("${}", self.args.len())
    }

    /// The statement with its parameters bound, ready to run on an `AnyPool`.
    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, AnyArguments<'_>> {
        let mut query = sqlx::query(&self.sql);
        for arg in &self.args {
            query = query.bind(arg.clone());
        }
        query
    }
}

/// `value` as a `LIKE` pattern matching it literally (with `ESCAPE '\'`).
pub fn like_escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A boolean SQL expression over `entities e` that holds for the entities
/// `predicate` matches; its parameters are pushed into `q`. Accepts an
/// [`super::EntityFilter`] through `&filter.to_predicate()`.
pub fn filter_sql(predicate: &Predicate, q: &mut SqlQuery) -> String {
    let join = |items: &[Predicate], q: &mut SqlQuery, op: &str| {
        let parts: Vec<String> = items.iter().map(|p| filter_sql(p, q)).collect();
        format!("({})", parts.join(op))
    };
    match predicate {
        Predicate::All(items) if items.is_empty() => "1=1".to_owned(),
        Predicate::Any(items) if items.is_empty() => "1=0".to_owned(),
        Predicate::All(items) => join(items, q, " AND "),
        Predicate::Any(items) => join(items, q, " OR "),
        Predicate::Not(inner) => format!("NOT ({})", filter_sql(inner, q)),
        // An empty `$in` matches nothing; its key must not become an unused
        // parameter (PostgreSQL refuses those).
        Predicate::Field { matcher: Matcher::In(values), .. } if values.is_empty() => "1=0".to_owned(),
        Predicate::Field { key, matcher } => {
            let key = q.arg(key.as_str());
            let rows = format!("SELECT s.uid FROM search s WHERE s.key = {key}");
            match matcher {
                Matcher::Exists(true) => format!("e.uid IN ({rows})"),
                Matcher::Exists(false) => format!("e.uid NOT IN ({rows})"),
                Matcher::Eq(value) => format!("e.uid IN ({rows} AND s.value = {})", q.arg(value.as_str())),
                Matcher::In(values) => {
                    let list: Vec<String> = values.iter().map(|v| q.arg(v.as_str())).collect();
                    format!("e.uid IN ({rows} AND s.value IN ({}))", list.join(", "))
                }
                Matcher::HasPrefix(prefix) => format!(
                    "e.uid IN ({rows} AND s.value LIKE {} ESCAPE '\\')",
                    q.arg(format!("{}%", like_escape(prefix)))
                ),
            }
        }
    }
}

/// A boolean SQL expression over `entities e` for a full-text filter: the
/// term anywhere in the listed fields' search values, or in `e.search_text`.
pub fn full_text_sql(filter: &FullTextFilter, q: &mut SqlQuery) -> String {
    let pattern = format!("%{}%", like_escape(&filter.term));
    if filter.fields.is_empty() {
        return format!("e.search_text LIKE {} ESCAPE '\\'", q.arg(pattern));
    }
    let keys: Vec<String> = filter.fields.iter().map(|f| q.arg(f.as_str())).collect();
    format!(
        "e.uid IN (SELECT s.uid FROM search s WHERE s.key IN ({}) AND s.value LIKE {} ESCAPE '\\')",
        keys.join(", "),
        q.arg(pattern)
    )
}

/// What selects and orders a list of entities: everything a cursor must
/// carry to continue the same list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityQuery {
    /// The `filter` parameters or `query` predicate; `None` matches all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Predicate>,
    /// The full-text filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_text: Option<FullTextFilter>,
    /// Sort keys, most significant first; uid always breaks ties.
    #[serde(default)]
    pub order: Vec<OrderField>,
}

/// One row of [`EntityQuery::page_sql`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRow {
    /// The entity's uid.
    pub uid: String,
    /// Its `kind:namespace/name`, lower-cased.
    pub entity_ref: String,
    /// The stored entity JSON (without relations and status).
    pub body: String,
    /// Where it sits in the order, for cursors.
    pub position: Position,
}

impl PageRow {
    /// Reads a row of [`EntityQuery::page_sql`] for a query with
    /// `order_fields` sort keys.
    pub fn from_row(row: &AnyRow, order_fields: usize) -> Result<PageRow, sqlx::Error> {
        let values = (0..order_fields)
            .map(|i| row.try_get::<Option<String>, _>(format!("sort{i}").as_str()))
            .collect::<Result<Vec<_>, _>>()?;
        let uid: String = row.try_get("uid")?;
        Ok(PageRow {
            entity_ref: row.try_get("entity_ref")?,
            body: row.try_get("body")?,
            position: Position { values, uid: uid.clone() },
            uid,
        })
    }
}

impl EntityQuery {
    /// Refuses queries too large to run: more than [`MAX_ORDER_FIELDS`] sort
    /// keys or a predicate over [`MAX_PREDICATE_SIZE`] nodes.
    pub fn validate(&self) -> Result<(), AppError> {
        if self.order.len() > MAX_ORDER_FIELDS {
            return Err(AppError::input(format!("At most {MAX_ORDER_FIELDS} order fields are supported")));
        }
        if self.filter.as_ref().is_some_and(|f| f.size() > MAX_PREDICATE_SIZE) {
            return Err(AppError::input(format!(
                "The filter is too large, at most {MAX_PREDICATE_SIZE} conditions are supported"
            )));
        }
        Ok(())
    }

    /// The WHERE expression over `entities e` (`1=1` when unfiltered).
    pub fn where_sql(&self, q: &mut SqlQuery) -> String {
        let mut parts = Vec::new();
        if let Some(filter) = &self.filter {
            parts.push(filter_sql(filter, q));
        }
        if let Some(full_text) = &self.full_text {
            parts.push(full_text_sql(full_text, q));
        }
        if parts.is_empty() {
            "1=1".to_owned()
        } else {
            parts.join(" AND ")
        }
    }

    /// `SELECT COUNT(*) AS total` of the matching entities (ignores order).
    pub fn count_sql(&self) -> SqlQuery {
        let mut q = SqlQuery::new();
        let condition = self.where_sql(&mut q);
        q.sql = format!("SELECT COUNT(*) AS total FROM entities e WHERE {condition}");
        q
    }

    /// One page: columns `uid, entity_ref, body, sort0, sort1, ...` (read
    /// them with [`PageRow::from_row`]), at most `limit + 1` rows so that
    /// [`super::cursor::finish_page`] can tell whether more follow.
    ///
    /// With `after`, only rows strictly after that position in `direction`
    /// are returned; [`Direction::Prev`] walks the order backwards (rows come
    /// nearest-first, `finish_page` puts them back in order). Entities
    /// without a sort value come last; ties are broken by uid.
    pub fn page_sql(&self, after: Option<&Position>, direction: Direction, limit: u64, offset: u64) -> SqlQuery {
        let mut q = SqlQuery::new();
        let mut columns = vec!["e.uid AS uid".to_owned()];
        for (i, field) in self.order.iter().enumerate() {
            let key = q.arg(field.field.as_str());
            columns.push(format!(
                "(SELECT MIN(s.value) FROM search s WHERE s.uid = e.uid AND s.key = {key}) AS sort{i}"
            ));
        }
        let condition = self.where_sql(&mut q);
        let backwards = direction == Direction::Prev;
        let keyset = match after {
            Some(position) => self.keyset_sql(position, backwards, &mut q),
            None => "1=1".to_owned(),
        };
        let order_by = |alias: &str| {
            let mut order_by = Vec::new();
            for (i, field) in self.order.iter().enumerate() {
                let (nulls, order) = match backwards {
                    false => ("ASC", field.order),
                    true => ("DESC", field.order.reversed()),
                };
                order_by.push(format!("CASE WHEN {alias}.sort{i} IS NULL THEN 1 ELSE 0 END {nulls}"));
                order_by.push(format!("{alias}.sort{i} {}", order.sql()));
            }
            order_by.push(format!("{alias}.uid {}", if backwards { "DESC" } else { "ASC" }));
            order_by.join(", ")
        };
        let sort_columns = |alias: &str| -> String { (0..self.order.len()).map(|i| format!(", {alias}.sort{i}")).collect() };
        // The page is picked on uids and sort values alone; bodies are read
        // for its rows only, not for every entity that matches.
        q.sql = format!(
            "SELECT p.uid, b.entity_ref, b.body{} FROM (\
             SELECT t.uid{} FROM (SELECT {} FROM entities e WHERE {condition}) t \
             WHERE {keyset} ORDER BY {} LIMIT {} OFFSET {offset}) p \
             JOIN entities b ON b.uid = p.uid ORDER BY {}",
            sort_columns("p"),
            sort_columns("t"),
            columns.join(", "),
            order_by("t"),
            limit.saturating_add(1).min(i64::MAX as u64),
            order_by("p"),
        );
        q
    }

    /// Rows strictly after `position` when walking forwards (NULLs last), or
    /// strictly before it when walking backwards.
    fn keyset_sql(&self, position: &Position, backwards: bool, q: &mut SqlQuery) -> String {
        let mut alternatives = Vec::new();
        let mut equal_so_far: Vec<String> = Vec::new();
        for (i, field) in self.order.iter().enumerate() {
            let column = format!("t.sort{i}");
            let value = position.values.get(i).cloned().flatten();
            let beyond = match (&value, backwards) {
                (None, false) => None,
                (None, true) => Some(format!("{column} IS NOT NULL")),
                (Some(v), false) => {
                    let op = if field.order == SortOrder::Asc { ">" } else { "<" };
                    Some(format!("({column} IS NULL OR {column} {op} {})", q.arg(v.as_str())))
                }
                (Some(v), true) => {
                    let op = if field.order == SortOrder::Asc { "<" } else { ">" };
                    Some(format!("{column} {op} {}", q.arg(v.as_str())))
                }
            };
            if let Some(beyond) = beyond {
                alternatives.push(conjunction(&equal_so_far, beyond));
            }
            equal_so_far.push(match &value {
                None => format!("{column} IS NULL"),
                Some(v) => format!("{column} = {}", q.arg(v.as_str())),
            });
        }
        let op = if backwards { "<" } else { ">" };
        let uid = format!("t.uid {op} {}", q.arg(position.uid.as_str()));
        alternatives.push(conjunction(&equal_so_far, uid));
        format!("({})", alternatives.join(" OR "))
    }
}

fn conjunction(equal: &[String], last: String) -> String {
    let mut parts = equal.to_vec();
    parts.push(last);
    format!("({})", parts.join(" AND "))
}
