//! The flattened key/value rows of the `search` table, built exactly as
//! Backstage's stitcher builds them (`buildEntitySearch.ts`), because every
//! `filter`, predicate, facet and sort of the catalog API is answered from
//! them: if they differ from Backstage's, the same query returns different
//! entities here than there.
//!
//! Rules, all from Backstage:
//! - every leaf of the entity becomes `(dotted.path, value)`; objects recurse,
//!   arrays repeat their path for each item, and each *string* item also
//!   yields `(path.<item>, "true")` so that `metadata.tags.java` can be
//!   filtered on;
//! - `attachments`, `relations`, `status`, `metadata.name`,
//!   `metadata.namespace`, `metadata.uid` and `metadata.etag` are skipped by
//!   the walk; `metadata.name`, `metadata.namespace` and `metadata.uid` are
//!   then always added (NULL when missing), plus `metadata.namespace=default`
//!   when the namespace is missing or empty;
//! - each relation adds `(relations.<type>, <target ref>)`;
//! - keys and values are lower-cased; keys over 200 characters are dropped,
//!   values over 200 characters are stored as NULL (the columns are indexed);
//!   numbers and booleans are stringified, null stays NULL;
//! - identical `(key, value)` rows are kept once.
//!
//! Unlike Backstage, keys that differ only in case are not rejected here (the
//! catalog model's validation is the place for that); they simply merge.

use std::collections::HashSet;
use std::fmt::Display;

use serde_json::Value;

mod entity;
mod text;
pub use entity::flat_rows_of;
pub use text::{search_text, search_text_of};

/// Backstage's `MAX_KEY_LENGTH`: longer keys are not indexed at all.
pub const MAX_KEY_LENGTH: usize = 200;

/// Backstage's `MAX_VALUE_LENGTH`: longer values are indexed as NULL.
pub const MAX_VALUE_LENGTH: usize = 200;

/// Paths the generic walk skips: not worth indexing, or added specially.
const SPECIAL_KEYS: &[&str] = &[
    "attachments",
    "relations",
    "status",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "metadata.etag",
];

/// The `search` rows of `entity` with its outgoing `relations` as
/// `(type, target ref)` pairs (e.g. `(RelationType::OwnedBy, EntityRef)` or
/// `("ownedBy", "group:default/team-a")`): lower-cased `(key, value)` pairs,
/// deduplicated, in Backstage's order.
pub fn search_rows<T: Display, U: Display>(
    entity: &Value,
    relations: &[(T, U)],
) -> Vec<(String, Option<String>)> {
    search_rows_with_originals(entity, relations).into_iter().map(|r| (r.key, r.value)).collect()
}

/// A `search` row: the lower-cased key and value filters match on, and the
/// value as written, which facets show (Backstage's `original_value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRow {
    /// Lower-cased dotted key.
    pub key: String,
    /// Lower-cased value; `None` for null and over-long values.
    pub value: Option<String>,
    /// The value as written (the first spelling when several fold together).
    pub original_value: Option<String>,
}

/// [`search_rows`] with the values as written kept beside the lower-cased ones.
pub fn search_rows_with_originals<T: Display, U: Display>(entity: &Value, relations: &[(T, U)]) -> Vec<SearchRow> {
    let mut raw: Vec<(String, Option<String>)> = Vec::new();
    let mut seen_path_keys: HashSet<String> = HashSet::new();
    visit(String::new(), entity, &mut raw, &mut seen_path_keys);

    let metadata = entity.get("metadata");
    let special = |name: &str| metadata.and_then(|m| m.get(name)).and_then(scalar);
    raw.push(("metadata.name".into(), special("name")));
    let namespace = special("namespace");
    let namespace_missing = namespace.as_deref().is_none_or(str::is_empty);
    raw.push(("metadata.namespace".into(), namespace));
    raw.push(("metadata.uid".into(), special("uid")));
    if namespace_missing {
        raw.push(("metadata.namespace".into(), Some("default".into())));
    }
    for (relation_type, target) in relations {
        raw.push((format!("relations.{relation_type}"), Some(target.to_string())));
    }

    let mut seen: HashSet<(String, Option<String>)> = HashSet::new();
    let mut rows = Vec::with_capacity(raw.len());
    for (key, value) in raw {
        let key = key.to_lowercase();
        if key.chars().count() > MAX_KEY_LENGTH {
            continue;
        }
        let original_value = value.filter(|v| v.chars().count() <= MAX_VALUE_LENGTH);
        let value = original_value.as_ref().map(|v| v.to_lowercase());
        if seen.insert((key.clone(), value.clone())) {
            rows.push(SearchRow { key, value, original_value });
        }
    }
    rows
}

/// The string Backstage's `String(value)` gives a scalar; `None` for null and
/// for objects and arrays (which are not scalars).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(js_number(n)),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// A number as JavaScript prints it: `1.0` is `1`.
fn js_number(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        _ => n.to_string(),
    }
}

fn visit(
    path: String,
    current: &Value,
    out: &mut Vec<(String, Option<String>)>,
    seen_path_keys: &mut HashSet<String>,
) {
    if SPECIAL_KEYS.contains(&path.as_str()) {
        return;
    }
    match current {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            out.push((path, scalar(current)));
        }
        Value::Array(items) => {
            for item in items {
                visit(path.clone(), item, out, seen_path_keys);
                if let Value::String(s) = item {
                    let path_key = format!("{path}.{s}");
                    if seen_path_keys.insert(path_key.to_lowercase()) {
                        out.push((path_key, Some("true".into())));
                    }
                }
            }
        }
        Value::Object(map) => {
            for (key, value) in map {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                visit(child, value, out, seen_path_keys);
            }
        }
    }
}

/// A slice of [`FlatRows::arena`]; `start == u32::MAX` stands for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: u32,
    len: u32,
}

impl Span {
    const NONE: Span = Span { start: u32::MAX, len: 0 };
}

/// One row of [`FlatRows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlatRow {
    key: Span,
    value: Span,
    original: Span,
}

/// The same rows as [`search_rows_with_originals`], with every string in
/// one buffer: what the index is built from, at a fraction of the
/// allocations (one buffer and one row list per entity, not three strings
/// per row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlatRows {
    arena: String,
    rows: Vec<FlatRow>,
}

impl FlatRows {
    fn text(&self, span: Span) -> Option<&str> {
        if span.start == u32::MAX {
            return None;
        }
        let start = span.start as usize;
        self.arena.get(start..start + span.len as usize)
    }

    /// The rows as `(key, value, original value)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>, Option<&str>)> {
        self.rows.iter().map(|r| (self.text(r.key).unwrap_or_default(), self.text(r.value), self.text(r.original)))
    }

    /// Gives the rows with `key` (lower-cased, as stored) this value
    /// instead, as [`flat_rows`] would have built them with it: what a
    /// staged entry needs when the entity turns out to be stored under
    /// another uid. Rows with other keys keep their place and spans.
    pub fn set_value(&mut self, key: &str, value: &str) {
        let at: Vec<usize> = (0..self.rows.len()).filter(|&i| self.text(self.rows[i].key) == Some(key)).collect();
        if at.is_empty() {
            return;
        }
        let (value_span, original_span) = self.push_value(Some(value));
        for i in at {
            self.rows[i].value = value_span;
            self.rows[i].original = original_span;
        }
    }

    /// Appends a row's value to the arena, lower-cased and as written (one
    /// span for both when they are the same text); `None` for a null or
    /// over-long value.
    fn push_value(&mut self, value: Option<&str>) -> (Span, Span) {
        let Some(v) = value.filter(|v| !too_long(v, MAX_VALUE_LENGTH)) else { return (Span::NONE, Span::NONE) };
        let start = self.arena.len();
        push_lower(&mut self.arena, v);
        let lower = self.span(start);
        if self.text(lower) == Some(v) {
            return (lower, lower);
        }
        let start = self.arena.len();
        self.arena.push_str(v);
        (lower, self.span(start))
    }

    fn span(&self, start: usize) -> Span {
        Span { start: u32::try_from(start).unwrap_or(u32::MAX - 1), len: u32::try_from(self.arena.len() - start).unwrap_or(0) }
    }
}

/// Builds [`FlatRows`] row by row, deduplicating as it goes.
struct FlatBuilder {
    out: FlatRows,
    scratch: Scratch,
}

/// What a [`FlatBuilder`] needs only while it builds one entity's rows.
#[derive(Default)]
struct Scratch {
    seen: hashbrown::HashTable<u32>,
    seen_path_keys: hashbrown::HashSet<String>,
    hasher: hashbrown::DefaultHashBuilder,
    path: String,
}

impl Scratch {
    /// Emptied for the next builder; `None` when an uncommon entity grew
    /// it so large that it is not worth keeping.
    fn emptied(mut self) -> Option<Scratch> {
        if self.seen.capacity() > SCRATCH_ROWS || self.seen_path_keys.capacity() > SCRATCH_ROWS {
            return None;
        }
        self.seen.clear();
        self.seen_path_keys.clear();
        self.path.clear();
        Some(self)
    }
}

/// Rows above which a builder's scratch space is dropped rather than kept.
const SCRATCH_ROWS: usize = 1024;

thread_local! {
    /// The last builder's [`Scratch`] on this thread, emptied, for the
    /// next one: an ingest builds the rows of every entity, and
    /// allocating these for each was a sixth of building them.
    static SCRATCH: std::cell::Cell<Option<Scratch>> = const { std::cell::Cell::new(None) };
}

fn push_lower(arena: &mut String, s: &str) {
    if s.is_ascii() {
        // Copied whole, then lowered in place: pushing it char by char
        // took ten times the instructions.
        let start = arena.len();
        arena.push_str(s);
        arena[start..].make_ascii_lowercase();
    } else {
        arena.push_str(&s.to_lowercase());
    }
}

fn too_long(s: &str, max: usize) -> bool {
    s.len() > max && s.chars().count() > max
}

impl FlatBuilder {
    fn hash_of(&self, key: &str, value: Option<&str>) -> u64 {
        use std::hash::BuildHasher;
        self.scratch.hasher.hash_one((key, value))
    }

    /// Adds `(key, value)` the way [`search_rows_with_originals`]' second
    /// pass does: lower-cased, length-limited, first spelling kept.
    fn push(&mut self, key: &str, value: Option<&str>) {
        if too_long(key, MAX_KEY_LENGTH) {
            return;
        }
        let mark = self.out.arena.len();
        push_lower(&mut self.out.arena, key);
        let key_span = self.out.span(mark);
        let (value_span, original_span) = self.out.push_value(value);
        let hash = self.hash_of(self.out.text(key_span).unwrap_or_default(), self.out.text(value_span));
        let FlatBuilder { out, scratch: Scratch { seen, hasher, .. } } = self;
        let duplicate = seen
            .find(hash, |&i| {
                let row = out.rows[i as usize];
                out.text(row.key) == out.text(key_span) && out.text(row.value) == out.text(value_span)
            })
            .is_some();
        if duplicate {
            out.arena.truncate(mark);
            return;
        }
        let index = u32::try_from(out.rows.len()).unwrap_or(u32::MAX);
        out.rows.push(FlatRow { key: key_span, value: value_span, original: original_span });
        let rows = &out.rows;
        let arena = &out.arena;
        let text = |span: Span| {
            (span.start != u32::MAX).then(|| &arena[span.start as usize..(span.start + span.len) as usize])
        };
        seen.insert_unique(hash, index, |&i| {
            use std::hash::BuildHasher;
            let row = rows[i as usize];
            hasher.hash_one((text(row.key).unwrap_or_default(), text(row.value)))
        });
    }

    /// Runs `walk` with `key` appended to the path, unless the walk skips
    /// that path (see [`SPECIAL_KEYS`]): an object's field.
    fn field(&mut self, key: &str, walk: impl FnOnce(&mut Self)) {
        let mark = self.scratch.path.len();
        if mark > 0 {
            self.scratch.path.push('.');
        }
        self.scratch.path.push_str(key);
        if !SPECIAL_KEYS.contains(&self.scratch.path.as_str()) {
            walk(self);
        }
        self.scratch.path.truncate(mark);
    }

    /// A scalar at the current path.
    fn leaf(&mut self, value: Option<&str>) {
        let path = std::mem::take(&mut self.scratch.path);
        self.push(&path, value);
        self.scratch.path = path;
    }

    /// A string item of the array at the current path: its row, and the
    /// first time, its `path.<item> = true` row.
    fn string_item(&mut self, s: &str) {
        self.leaf(Some(s));
        // The path with the item, built on the path itself and taken back
        // off after (a `format!` here was a tenth of building the rows).
        let mark = self.scratch.path.len();
        self.scratch.path.push('.');
        self.scratch.path.push_str(s);
        let mut lower = String::with_capacity(self.scratch.path.len());
        push_lower(&mut lower, &self.scratch.path);
        if self.scratch.seen_path_keys.insert(lower) {
            let path_key = std::mem::take(&mut self.scratch.path);
            self.push(&path_key, Some("true"));
            self.scratch.path = path_key;
        }
        self.scratch.path.truncate(mark);
    }

    fn visit(&mut self, current: &Value) {
        match current {
            Value::Null => self.leaf(None),
            Value::Bool(b) => self.leaf(Some(if *b { "true" } else { "false" })),
            Value::Number(n) => self.leaf(Some(&js_number(n))),
            Value::String(s) => self.leaf(Some(s)),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::String(s) => self.string_item(s),
                        other => self.visit(other),
                    }
                }
            }
            Value::Object(map) => {
                for (key, value) in map {
                    self.field(key, |b| b.visit(value));
                }
            }
        }
    }

    fn new() -> FlatBuilder {
        let out = FlatRows { arena: String::with_capacity(1024), rows: Vec::with_capacity(32) };
        FlatBuilder { out, scratch: SCRATCH.take().unwrap_or_default() }
    }

    /// The rows built, handing the scratch space back for the next builder.
    fn into_rows(self) -> FlatRows {
        SCRATCH.set(self.scratch.emptied());
        self.out
    }

    /// The rows the walk skipped and always adds, then the relations'.
    fn finish<T: AsRef<str>, U: AsRef<str>>(
        mut self,
        name: Option<&str>,
        namespace: Option<&str>,
        uid: Option<&str>,
        relations: &[(T, U)],
    ) -> FlatRows {
        self.push("metadata.name", name);
        self.push("metadata.namespace", namespace);
        self.push("metadata.uid", uid);
        if namespace.is_none_or(str::is_empty) {
            self.push("metadata.namespace", Some("default"));
        }
        let mut key = String::with_capacity(40);
        for (relation_type, target) in relations {
            key.clear();
            key.push_str("relations.");
            key.push_str(relation_type.as_ref());
            self.push(&key, Some(target.as_ref()));
        }
        self.into_rows()
    }
}

/// [`search_rows_with_originals`] as [`FlatRows`]: the same rows in the same order.
pub fn flat_rows<T: AsRef<str>, U: AsRef<str>>(entity: &Value, relations: &[(T, U)]) -> FlatRows {
    let mut b = FlatBuilder::new();
    b.visit(entity);
    let metadata = entity.get("metadata");
    let special = |name: &str| metadata.and_then(|m| m.get(name)).and_then(scalar);
    b.finish(special("name").as_deref(), special("namespace").as_deref(), special("uid").as_deref(), relations)
}
