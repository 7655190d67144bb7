//! Opaque `cursor`s of `/entities/by-query`: base64url of a JSON document
//! holding the query, the position of the item at the page edge (keyset
//! pagination, so pages neither skip nor repeat entities when others are
//! added before them), the total and the direction.
//!
//! Cursors are client input: decoding validates them fully and every
//! failure is an [`AppError::InputError`].

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

use super::fields::Fields;
use super::entity_query::EntityQuery;
use crate::search::PageRow;
use crate::error::AppError;

/// Longest cursor accepted, in characters: far above any real one.
pub const MAX_CURSOR_LENGTH: usize = 64 * 1024;

/// The version written into cursors, so a future format can refuse old ones clearly.
const VERSION: u32 = 1;

/// Which way a cursor continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The page after the position (`nextCursor`).
    #[default]
    Next,
    /// The page before the position (`prevCursor`).
    Prev,
}

/// Where an entity sits in a query's order: its sort values (one per order
/// field, `None` when it has none) and its uid (the tie-break).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The sort values (lower-cased search values).
    pub values: Vec<Option<String>>,
    /// The entity's uid.
    pub uid: String,
}

/// A decoded cursor: everything needed to fetch the next or previous page
/// without the original parameters (Backstage ignores them once a cursor is
/// given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cursor {
    /// Format version.
    pub v: u32,
    /// The filter, full-text filter and order of the list.
    pub query: EntityQuery,
    /// The `fields` of the first request; a request's own non-empty
    /// `fields` take precedence.
    #[serde(default)]
    pub fields: Fields,
    /// The edge item: the last of the page for `next`, the first for `prev`.
    pub position: Position,
    /// Which side of `position` to read.
    pub direction: Direction,
    /// `totalItems`, counted once by the first request.
    pub total_items: u64,
}

impl Cursor {
    /// The cursor as the opaque string clients pass back.
    pub fn encode(&self) -> String {
        // Serialising plain data to JSON cannot fail; an empty cursor would
        // be refused on decode rather than misread.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads a cursor string; anything that is not a cursor this server
    /// wrote (or one for a query it would refuse) is an InputError.
    pub fn decode(text: &str) -> Result<Cursor, AppError> {
        let bad = |why: &str| AppError::input(format!("Malformed cursor: {why}"));
        let text = text.trim();
        if text.is_empty() {
            return Err(AppError::input("Cursor cannot be empty"));
        }
        if text.len() > MAX_CURSOR_LENGTH {
            return Err(bad("too long"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .or_else(|_| URL_SAFE.decode(text))
            .map_err(|_| bad("not base64url"))?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|e| bad(&e.to_string()))?;
        if cursor.v != VERSION {
            return Err(bad("unsupported version"));
        }
        if cursor.position.values.len() != cursor.query.order.len() {
            return Err(bad("position does not match the order fields"));
        }
        cursor.query.validate()?;
        Ok(cursor)
    }
}

/// A page of results and the cursors around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in the query's order.
    pub items: Vec<T>,
    /// The encoded cursor of the following page, if there is one.
    pub next_cursor: Option<String>,
    /// The encoded cursor of the preceding page, if there is one.
    pub prev_cursor: Option<String>,
}

/// How a page was fetched, to decide which cursors to hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetch<'a> {
    /// The query (carried into the new cursors).
    pub query: &'a EntityQuery,
    /// The fields (carried into the new cursors).
    pub fields: &'a Fields,
    /// `totalItems` (carried into the new cursors).
    pub total_items: u64,
    /// The direction the page was picked in.
    pub direction: Direction,
    /// Whether the page started from a cursor (else: the first page).
    pub from_cursor: bool,
    /// The page size asked for.
    pub limit: u64,
}

/// Turns the rows of `SearchIndex::page` (up to `limit + 1`, in fetch
/// order) into a page in the query's order with its next/prev cursors;
/// `map` turns each row into an item (e.g. parses and projects the body).
pub fn finish_page<T, E>(
    fetch: Fetch<'_>,
    rows: Vec<PageRow>,
    mut map: impl FnMut(PageRow) -> Result<T, E>,
) -> Result<Page<T>, E> {
    let limit = usize::try_from(fetch.limit).unwrap_or(usize::MAX);
    let mut rows = rows;
    let more_beyond = rows.len() > limit;
    rows.truncate(limit);
    let (more_after, more_before) = match fetch.direction {
        Direction::Next => (more_beyond, fetch.from_cursor),
        Direction::Prev => {
            rows.reverse();
            (true, more_beyond)
        }
    };
    let cursor = |position: &Position, direction| {
        Cursor {
            v: VERSION,
            query: fetch.query.clone(),
            fields: fetch.fields.clone(),
            position: position.clone(),
            direction,
            total_items: fetch.total_items,
        }
        .encode()
    };
    let next_cursor = rows.last().filter(|_| more_after).map(|r| cursor(&r.position, Direction::Next));
    let prev_cursor = rows.first().filter(|_| more_before).map(|r| cursor(&r.position, Direction::Prev));
    let items = rows.into_iter().map(&mut map).collect::<Result<Vec<_>, E>>()?;
    Ok(Page { items, next_cursor, prev_cursor })
}
