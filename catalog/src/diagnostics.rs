//! Diagnostics: what is wrong, how bad, and exactly where.

use std::fmt;

use serde::Serialize;

use crate::yaml::Pos;

/// How bad a finding is. Errors fail `portolan validate`; warnings don't.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The entity (or document) is rejected, as Backstage would reject it.
    Error,
    /// Accepted, but probably not what the author meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A finding in one document of a catalog file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in words a catalog author understands.
    pub message: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Dotted path of the field, e.g. `spec.providesApis[1]`; empty for the whole document.
    pub field: String,
    /// 1-based index of the document in its file; 0 for the file as a whole.
    pub document: usize,
}

impl Diagnostic {
    /// An error at `pos` on `field`.
    pub fn error(document: usize, pos: Pos, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, document, pos, field.into(), message.into())
    }

    /// A warning at `pos` on `field`.
    pub fn warning(document: usize, pos: Pos, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, document, pos, field.into(), message.into())
    }

    fn new(severity: Severity, document: usize, pos: Pos, field: String, message: String) -> Self {
        Self { severity, message, line: pos.line, column: pos.column, field, document }
    }

    /// Where the finding is.
    pub fn pos(&self) -> Pos {
        Pos::new(self.line, self.column)
    }
}

/// Builds dotted field paths (`metadata.links[0].url`) without reallocating at each level.
#[derive(Debug, Clone, Default)]
pub struct FieldPath(String);

impl FieldPath {
    /// The path of a field below the root.
    pub fn root(name: &str) -> Self {
        Self(name.to_owned())
    }

    /// The path of `name` below this one.
    pub fn key(&self, name: &str) -> Self {
        if self.0.is_empty() {
            return Self::root(name);
        }
        Self(format!("{}.{name}", self.0))
    }

    /// The path of item `i` below this one.
    pub fn index(&self, i: usize) -> Self {
        Self(format!("{}[{i}]", self.0))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
