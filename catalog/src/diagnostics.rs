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

/// The path of a field, e.g. `metadata.links[0].url`, as a chain of borrowed
/// segments: checking a field costs nothing, and text is made only when a
/// finding needs it.
#[derive(Debug, Clone, Copy, Default)]
pub enum FieldPath<'a> {
    /// The document itself.
    #[default]
    Root,
    /// A mapping key below a parent.
    Key(&'a FieldPath<'a>, &'a str),
    /// A sequence item below a parent.
    Index(&'a FieldPath<'a>, usize),
}

static ROOT: FieldPath<'static> = FieldPath::Root;

impl<'a> FieldPath<'a> {
    /// The path of a field at the root of the document.
    pub fn root(name: &'a str) -> Self {
        FieldPath::Key(&ROOT, name)
    }

    /// The path of `name` below this one.
    pub fn key<'b>(&'b self, name: &'b str) -> FieldPath<'b> {
        FieldPath::Key(self, name)
    }

    /// The path of item `i` below this one.
    pub fn index(&self, i: usize) -> FieldPath<'_> {
        FieldPath::Index(self, i)
    }
}

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldPath::Root => Ok(()),
            FieldPath::Key(FieldPath::Root, name) => f.write_str(name),
            FieldPath::Key(parent, name) => write!(f, "{parent}.{name}"),
            FieldPath::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}
