//! What selects and orders a list of entities, as parsed from a request
//! and carried in cursors; [`crate::search::SearchIndex`] answers it.

use serde::{Deserialize, Serialize};

use super::filter::FullTextFilter;
use super::order::OrderField;
use super::predicate::Predicate;
use crate::error::AppError;

/// Most `orderField`s accepted.
pub const MAX_ORDER_FIELDS: usize = 8;

/// Most predicate nodes accepted (leaves and `$in` values): keeps the work
/// of one query and the size of cursors bounded.
pub const MAX_PREDICATE_SIZE: usize = 1000;

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
}
