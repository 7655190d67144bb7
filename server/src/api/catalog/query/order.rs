//! Sort order: `orderField=<path>,asc|desc` of `by-query` and the deprecated
//! `order=asc:<path>` of `GET /entities`.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Smallest first (the default).
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

impl SortOrder {
    fn parse(text: &str) -> Option<SortOrder> {
        match text {
            "asc" => Some(SortOrder::Asc),
            "desc" => Some(SortOrder::Desc),
            _ => None,
        }
    }
}

/// Sort by the (lower-cased) search value of `field`; entities without it
/// come last in either order, ties are broken by uid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderField {
    /// The lower-cased search key, e.g. `metadata.name`.
    pub field: String,
    /// The direction.
    pub order: SortOrder,
}

impl OrderField {
    /// Parses one `orderField` parameter, `<path>` or `<path>,asc|desc`.
    pub fn parse(param: &str) -> Result<OrderField, AppError> {
        let (field, order) = match param.split_once(',') {
            Some((field, order)) => {
                let order = SortOrder::parse(order.trim())
                    .ok_or_else(|| AppError::input("Invalid order field order, must be asc or desc"))?;
                (field, order)
            }
            None => (param, SortOrder::Asc),
        };
        Self::new(field, order, param)
    }

    /// Parses one deprecated `order` parameter of `GET /entities`,
    /// `asc:<path>` or `desc:<path>`.
    pub fn parse_legacy(param: &str) -> Result<OrderField, AppError> {
        let bad = || {
            AppError::input(format!(
                "Invalid order parameter \"{param}\", expected \"<asc or desc>:<field name>\""
            ))
        };
        let (order, field) = param.split_once(':').ok_or_else(bad)?;
        let order = SortOrder::parse(order).ok_or_else(bad)?;
        if field.is_empty() {
            return Err(bad());
        }
        Self::new(field, order, param)
    }

    /// Parses every `orderField` parameter.
    pub fn parse_all<'a>(params: impl IntoIterator<Item = &'a str>) -> Result<Vec<OrderField>, AppError> {
        params.into_iter().map(OrderField::parse).collect()
    }

    fn new(field: &str, order: SortOrder, param: &str) -> Result<OrderField, AppError> {
        let field = field.trim().to_lowercase();
        if field.is_empty() {
            return Err(AppError::input(format!("Invalid order field \"{param}\", the field is empty")));
        }
        Ok(OrderField { field, order })
    }
}
