//! The filter predicate of `POST /entities/by-query` (Backstage's
//! `@backstage/filter-predicates`), parsed into a small normal form that the
//! SQL generator and the cursor share. `filter` query parameters are
//! converted into the same form ([`super::EntityFilter::to_predicate`]), so
//! there is one SQL generator for both.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::error::AppError;
use portolan_catalog::RelationType;

/// Deeper predicates are refused: nobody writes them by hand, and recursion
/// over client input must be bounded.
pub const MAX_DEPTH: usize = 32;

/// A parsed predicate. Keys are lower-cased dotted search keys and values
/// are lower-cased strings, because the `search` table holds both
/// lower-cased: matching is case-insensitive, as in Backstage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Predicate {
    /// `$all`: every one holds; empty matches everything.
    All(Vec<Predicate>),
    /// `$any`: at least one holds; empty matches nothing.
    Any(Vec<Predicate>),
    /// `$not`: the inner one does not hold.
    Not(Box<Predicate>),
    /// One `path: matcher` of a field expression.
    Field {
        /// The lower-cased search key, e.g. `spec.type` or `relations.ownedby`.
        key: String,
        /// What its value must satisfy.
        matcher: Matcher,
    },
}

/// What a field's value must satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    /// Equal (case-insensitively) to this; also "the array contains it".
    Eq(String),
    /// The key exists (`true`) or does not (`false`).
    Exists(bool),
    /// Equal to one of these; empty matches nothing.
    In(Vec<String>),
    /// Starts with this.
    HasPrefix(String),
}

impl Predicate {
    /// Parses the JSON `query` of `POST /entities/by-query`; anything
    /// Backstage would refuse, or that this catalog cannot answer exactly,
    /// is an [`AppError::InputError`] naming the culprit.
    pub fn from_json(value: &Value) -> Result<Predicate, AppError> {
        match value {
            Value::Object(_) => parse(value, 0),
            _ => Err(AppError::input("Invalid query: the predicate must be an object")),
        }
    }

    /// The predicate as Backstage's JSON, which [`Predicate::from_json`]
    /// reads back to an equal value (cursors carry it this way).
    pub fn to_json(&self) -> Value {
        match self {
            Predicate::All(items) => json!({ "$all": items.iter().map(Self::to_json).collect::<Vec<_>>() }),
            Predicate::Any(items) => json!({ "$any": items.iter().map(Self::to_json).collect::<Vec<_>>() }),
            Predicate::Not(inner) => json!({ "$not": inner.to_json() }),
            Predicate::Field { key, matcher } => {
                let value = match matcher {
                    Matcher::Eq(v) => json!(v),
                    Matcher::Exists(b) => json!({ "$exists": b }),
                    Matcher::In(vs) => json!({ "$in": vs }),
                    Matcher::HasPrefix(p) => json!({ "$hasPrefix": p }),
                };
                let mut map = Map::new();
                map.insert(key.clone(), value);
                Value::Object(map)
            }
        }
    }

    /// The number of nodes, to bound the size of generated SQL.
    pub fn size(&self) -> usize {
        match self {
            Predicate::All(items) | Predicate::Any(items) => {
                1 + items.iter().map(Predicate::size).sum::<usize>()
            }
            Predicate::Not(inner) => 1 + inner.size(),
            Predicate::Field { matcher: Matcher::In(vs), .. } => 1 + vs.len(),
            Predicate::Field { .. } => 1,
        }
    }
}

impl Serialize for Predicate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Predicate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Predicate::from_json(&value).map_err(serde::de::Error::custom)
    }
}

fn depth_check(depth: usize) -> Result<(), AppError> {
    if depth > MAX_DEPTH {
        return Err(AppError::input(format!(
            "Invalid query: predicates may be nested at most {MAX_DEPTH} levels deep"
        )));
    }
    Ok(())
}

fn parse(value: &Value, depth: usize) -> Result<Predicate, AppError> {
    depth_check(depth)?;
    let Value::Object(map) = value else {
        return Err(AppError::input(format!(
            "Invalid query: top-level primitive values are not supported, wrap {value} in a field expression such as {{\"kind\": {value}}}"
        )));
    };
    for op in ["$all", "$any", "$not"] {
        if let Some(inner) = map.get(op) {
            if map.len() != 1 {
                return Err(AppError::input(format!(
                    "Invalid query: operator {op} must be the only key in its object, wrap in $all to combine it with other conditions"
                )));
            }
            return match (op, inner) {
                ("$not", inner) => Ok(Predicate::Not(Box::new(parse(inner, depth + 1)?))),
                ("$all", Value::Array(items)) => Ok(Predicate::All(
                    items.iter().map(|i| parse(i, depth + 1)).collect::<Result<_, _>>()?,
                )),
                ("$any", Value::Array(items)) => Ok(Predicate::Any(
                    items.iter().map(|i| parse(i, depth + 1)).collect::<Result<_, _>>()?,
                )),
                _ => Err(AppError::input(format!("Invalid query: {op} must be an array"))),
            };
        }
    }
    let mut parts = Vec::with_capacity(map.len());
    for (key, value) in map {
        if key.starts_with('$') {
            return Err(AppError::input(format!("Invalid query: unknown operator {key}")));
        }
        if key.is_empty() {
            return Err(AppError::input("Invalid query: field paths must not be empty"));
        }
        parts.push(parse_field(&key.to_lowercase(), value, depth + 1)?);
    }
    Ok(match parts.len() {
        1 => parts.pop().unwrap_or(Predicate::All(Vec::new())),
        _ => Predicate::All(parts),
    })
}

/// A primitive as the lower-cased string the search table holds.
fn primitive(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.to_lowercase()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_field(key: &str, value: &Value, depth: usize) -> Result<Predicate, AppError> {
    depth_check(depth)?;
    let field = |matcher| Ok(Predicate::Field { key: key.to_owned(), matcher });
    if let Some(v) = primitive(value) {
        return field(Matcher::Eq(v));
    }
    let bad = || {
        AppError::input(format!(
            "Invalid query: the value for field \"{key}\" must be a primitive or one of $exists, $in, $hasPrefix, $contains, but got {value}"
        ))
    };
    let Value::Object(map) = value else { return Err(bad()) };
    let mut entries = map.iter();
    let (Some((op, operand)), None) = (entries.next(), entries.next()) else {
        return Err(bad());
    };
    match op.as_str() {
        "$exists" => match operand {
            Value::Bool(b) => field(Matcher::Exists(*b)),
            _ => Err(AppError::input(format!("Invalid query: $exists of \"{key}\" must be true or false"))),
        },
        "$in" => {
            let Value::Array(items) = operand else {
                return Err(AppError::input(format!("Invalid query: $in of \"{key}\" must be an array")));
            };
            let values = items.iter().map(primitive).collect::<Option<Vec<_>>>().ok_or_else(|| {
                AppError::input(format!("Invalid query: $in of \"{key}\" must hold only strings, numbers and booleans"))
            })?;
            field(Matcher::In(values))
        }
        "$hasPrefix" => match operand {
            Value::String(s) => field(Matcher::HasPrefix(s.to_lowercase())),
            _ => Err(AppError::input(format!("Invalid query: $hasPrefix of \"{key}\" must be a string"))),
        },
        "$contains" if key == "relations" => contains_relation(operand),
        "$contains" => contains(key, operand, depth + 1),
        other if other.starts_with('$') => Err(AppError::input(format!(
            "Invalid query: unknown operator {other} for field \"{key}\""
        ))),
        _ => Err(bad()),
    }
}

/// `{path: {$contains: x}}`: the search table repeats `path` once per array
/// item, so a primitive `x` is an equality on `path`, and an object `x` is
/// its field expression with every key prefixed by `path.`.
fn contains(key: &str, operand: &Value, depth: usize) -> Result<Predicate, AppError> {
    if let Some(v) = primitive(operand) {
        return Ok(Predicate::Field { key: key.to_owned(), matcher: Matcher::Eq(v) });
    }
    if !operand.is_object() {
        return Err(AppError::input(format!(
            "Invalid query: $contains of \"{key}\" must be a primitive or a predicate object"
        )));
    }
    Ok(prefix_keys(parse(operand, depth)?, key))
}

fn prefix_keys(predicate: Predicate, prefix: &str) -> Predicate {
    match predicate {
        Predicate::All(items) => Predicate::All(items.into_iter().map(|p| prefix_keys(p, prefix)).collect()),
        Predicate::Any(items) => Predicate::Any(items.into_iter().map(|p| prefix_keys(p, prefix)).collect()),
        Predicate::Not(inner) => Predicate::Not(Box::new(prefix_keys(*inner, prefix))),
        Predicate::Field { key, matcher } => Predicate::Field { key: format!("{prefix}.{key}"), matcher },
    }
}

/// `{relations: {$contains: {type?, targetRef?}}}`: the search table has
/// `relations.<type> = <target ref>` rows, so the type picks the key and the
/// target ref is matched on the value. Without a type, every known relation
/// type is tried.
fn contains_relation(operand: &Value) -> Result<Predicate, AppError> {
    let bad = |why: &str| AppError::input(format!("Invalid query: $contains of \"relations\" {why}"));
    let Value::Object(map) = operand else {
        return Err(bad("must be an object with type and/or targetRef"));
    };
    let mut relation_type = None;
    let mut target = Matcher::Exists(true);
    for (k, v) in map {
        match k.to_lowercase().as_str() {
            "type" => {
                relation_type = Some(primitive(v).filter(|_| v.is_string()).ok_or_else(|| bad("needs type to be a string"))?)
            }
            "targetref" => match parse_field("targetref", v, 1)? {
                Predicate::Field { matcher, .. } => target = matcher,
                _ => return Err(bad("supports only a primitive, $exists, $in or $hasPrefix for targetRef")),
            },
            other => return Err(bad(&format!("supports only type and targetRef, not {other}"))),
        }
    }
    let field = |t: &str| Predicate::Field { key: format!("relations.{t}"), matcher: target.clone() };
    Ok(match relation_type {
        Some(t) => field(&t),
        None => Predicate::Any(RelationType::ALL.iter().map(|t| field(&t.as_str().to_lowercase())).collect()),
    })
}
