//! The `filter` query parameter (`GET /entities`, `/entities/by-query`,
//! `/entity-facets`) and the full-text filter of `by-query`, parsed the way
//! Backstage's `parseEntityFilterParams` and `parseFullTextFilterFields` do.

use serde::{Deserialize, Serialize};

use super::predicate::{Matcher, Predicate};
use crate::error::AppError;

/// `filter` parameters: the outer list is OR-ed (one entry per `filter`
/// parameter), each inner list is AND-ed (one entry per distinct key of that
/// parameter).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntityFilter {
    /// One conjunction per non-empty `filter` parameter.
    pub any_of: Vec<Vec<FilterCondition>>,
}

/// One key of a `filter` parameter, e.g. `kind=component,kind=api` →
/// `{key: "kind", values: ["component", "api"]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterCondition {
    /// The lower-cased search key (`metadata.tags.java`, `relations.ownedby`).
    pub key: String,
    /// Lower-cased accepted values, OR-ed; empty means "the key exists".
    pub values: Vec<String>,
}

impl EntityFilter {
    /// Parses every `filter` parameter; `None` when there is none with a
    /// condition in it (Backstage then applies no filter at all).
    ///
    /// Each parameter is split on `,`; each statement is `key=value`,
    /// `key=` (the empty value) or `key` (exists); the first `=` splits, so
    /// values may contain `=`. A statement with an empty key is an
    /// [`AppError::InputError`]. A key given both with and without a value
    /// matches its values (as in Backstage).
    pub fn parse<'a>(params: impl IntoIterator<Item = &'a str>) -> Result<Option<EntityFilter>, AppError> {
        let mut any_of = Vec::new();
        for param in params {
            let mut all_of: Vec<FilterCondition> = Vec::new();
            for statement in param.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (key, value) = match statement.split_once('=') {
                    Some((k, v)) => (k.trim(), Some(v.trim())),
                    None => (statement, None),
                };
                if key.is_empty() {
                    return Err(AppError::input(format!(
                        "Invalid filter, '{statement}' is not a valid statement (expected a string on the form a=b or a= or a)"
                    )));
                }
                let key = key.to_lowercase();
                let index = match all_of.iter().position(|c| c.key == key) {
                    Some(i) => i,
                    None => {
                        all_of.push(FilterCondition { key, values: Vec::new() });
                        all_of.len() - 1
                    }
                };
                if let (Some(value), Some(condition)) = (value, all_of.get_mut(index)) {
                    let value = value.to_lowercase();
                    if !condition.values.contains(&value) {
                        condition.values.push(value);
                    }
                }
            }
            if !all_of.is_empty() {
                any_of.push(all_of);
            }
        }
        Ok((!any_of.is_empty()).then_some(EntityFilter { any_of }))
    }

    /// The same filter as a [`Predicate`], which is what SQL is generated
    /// from and what cursors carry.
    pub fn to_predicate(&self) -> Predicate {
        let conjunction = |all_of: &Vec<FilterCondition>| {
            Predicate::All(
                all_of
                    .iter()
                    .map(|c| Predicate::Field {
                        key: c.key.clone(),
                        matcher: match c.values.as_slice() {
                            [] => Matcher::Exists(true),
                            [one] => Matcher::Eq(one.clone()),
                            many => Matcher::In(many.to_vec()),
                        },
                    })
                    .collect(),
            )
        };
        Predicate::Any(self.any_of.iter().map(conjunction).collect())
    }
}

impl From<&EntityFilter> for Predicate {
    fn from(filter: &EntityFilter) -> Predicate {
        filter.to_predicate()
    }
}

/// `fullTextFilterTerm` and `fullTextFilterFields`: entities whose fields
/// contain the term (case-insensitively). Without fields, the entity's
/// `search_text` column (name, title, description, tags, type, owner,
/// lifecycle, display name) is searched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullTextFilter {
    /// The trimmed, lower-cased term; never empty.
    pub term: String,
    /// Lower-cased search keys to look in; empty means `search_text`.
    #[serde(default)]
    pub fields: Vec<String>,
}

impl FullTextFilter {
    /// The filter for `term` (absent or blank means no filter) and the
    /// comma-separated, repeatable `fields` parameters.
    pub fn new<'a>(term: Option<&str>, fields: impl IntoIterator<Item = &'a str>) -> Option<FullTextFilter> {
        let term = term.map(str::trim).filter(|t| !t.is_empty())?.to_lowercase();
        let mut keys: Vec<String> = Vec::new();
        for field in fields.into_iter().flat_map(|f| f.split(',')) {
            let field = field.trim().to_lowercase();
            if !field.is_empty() && !keys.contains(&field) {
                keys.push(field);
            }
        }
        Some(FullTextFilter { term, fields: keys })
    }
}
