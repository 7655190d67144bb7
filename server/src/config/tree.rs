//! Work on the parsed YAML tree before it becomes typed: field paths,
//! `${VAR}` substitution (done here, where the path of every string is known)
//! and finding a path's line and column in the source text.

use std::fmt;

use portolan_catalog::yaml::{self, Node};
use serde_norway::Value;

use super::error::Position;

/// One step of a field path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A field path, written like `serde_path_to_error` writes them
/// (`catalog.locations[1].type`) so every error reads the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldPath(pub(crate) Vec<Seg>);

impl FieldPath {
    /// A path from dotted keys, for fields the loader names itself.
    pub(crate) fn of(keys: &[&str]) -> Self {
        Self(keys.iter().map(|k| Seg::Key((*k).to_owned())).collect())
    }

    /// This path with a key appended.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(key.to_owned()));
        p
    }

    /// This path with an index appended.
    pub(crate) fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }

    /// Converts the path `serde_path_to_error` reports.
    pub(crate) fn from_serde(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment;
        Self(
            path.iter()
                .map(|s| match s {
                    Segment::Seq { index } => Seg::Index(*index),
                    Segment::Map { key } => Seg::Key(key.clone()),
                    Segment::Enum { variant } => Seg::Key(variant.clone()),
                    Segment::Unknown => Seg::Key("?".to_owned()),
                })
                .collect(),
        )
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Why substitution failed.
#[derive(Debug)]
pub(crate) enum SubstError {
    /// `${NAME}` where the environment has no `NAME`.
    Missing { path: FieldPath, variable: String },
    /// A `${` without its `}`, or an empty name.
    Malformed { path: FieldPath, message: String },
}

/// Replaces `${VAR}` in every string value of the tree (keys are left
/// alone) with the variable's value; `$${VAR}` stands for a literal `${VAR}`,
/// as in Backstage's app-config.
pub(crate) fn substitute(
    value: &mut Value,
    path: &FieldPath,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), SubstError> {
    match value {
        Value::String(s) => {
            if s.contains("${") {
                *s = substitute_str(s, path, env)?;
            }
            Ok(())
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                substitute(item, &path.index(i), env)?;
            }
            Ok(())
        }
        Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                let key = match k {
                    Value::String(s) => s.clone(),
                    other => serde_norway::to_string(other)
                        .map(|s| s.trim_end().to_owned())
                        .unwrap_or_else(|_| "?".to_owned()),
                };
                substitute(v, &path.key(&key), env)?;
            }
            Ok(())
        }
        Value::Tagged(tagged) => substitute(&mut tagged.value, path, env),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

fn substitute_str(
    s: &str,
    path: &FieldPath,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, SubstError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                return Err(SubstError::Malformed {
                    path: path.clone(),
                    message: format!("unterminated \"${{\" in {s:?} (write \"$${{\" for a literal \"${{\")"),
                });
            };
            let name = after[..end].trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(SubstError::Malformed {
                    path: path.clone(),
                    message: format!("\"${{{}}}\" does not name an environment variable", &after[..end]),
                });
            }
            match env(name) {
                Some(v) => out.push_str(&v),
                None => {
                    return Err(SubstError::Missing { path: path.clone(), variable: name.to_owned() });
                }
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Where `path` is in the YAML `text`: the value's start when the path
/// exists, the key's start for the last key when only the key does (unknown
/// keys are reported at the key), else the deepest node that exists.
/// `None` when the text does not parse with the positional parser.
pub(crate) fn locate(text: &str, path: &FieldPath) -> Option<Position> {
    let doc = yaml::parse_documents(text).into_iter().next()?;
    let root = doc.root.ok()??;
    let mut node: &Node = &root;
    for seg in &path.0 {
        let next = match seg {
            Seg::Key(k) => {
                let entries = node.as_map()?;
                match entries.iter().find(|(key, _)| &key.text == k) {
                    Some((_, v)) => v,
                    None => break,
                }
            }
            Seg::Index(i) => match node.as_seq().and_then(|items| items.get(*i)) {
                Some(v) => v,
                None => break,
            },
        };
        node = next;
    }
    Some(Position { line: node.pos.line as usize, column: node.pos.column as usize })
}

/// Like [`locate`], but for an unknown key: the position of the key named
/// `key` inside the mapping at `path`, so the message points at the typo.
pub(crate) fn locate_key(text: &str, path: &FieldPath, key: &str) -> Option<Position> {
    let doc = yaml::parse_documents(text).into_iter().next()?;
    let root = doc.root.ok()??;
    let mut node: &Node = &root;
    for seg in &path.0 {
        node = match seg {
            Seg::Key(k) => node.get(k)?,
            Seg::Index(i) => node.as_seq()?.get(*i)?,
        };
    }
    let (k, _) = node.as_map()?.iter().find(|(k, _)| k.text == key)?;
    Some(Position { line: k.pos.line as usize, column: k.pos.column as usize })
}
