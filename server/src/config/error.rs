//! What can go wrong while loading `portolan.yaml`, said so that the reader
//! can go straight to the line: every message starts with the file (or the
//! environment variable) and names the field path.

use std::fmt;
use std::path::PathBuf;

/// A 1-based line and column in the configuration file, when known.
///
/// YAML syntax errors always have one; errors found while reading values into
/// their types get one by looking the field path up in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

/// Writes `:line:column` after the file name, or nothing when unknown, the
/// way compilers do, so editors and terminals can jump to the spot.
struct At(Option<Position>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => write!(f, ":{}:{}", p.line, p.column),
            None => Ok(()),
        }
    }
}

/// Why the configuration could not be loaded.
///
/// Loading stops at the first problem: configuration is small and read at
/// start-up, so one precise message beats a list.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("{}: cannot read the configuration file: {source}", file.display())]
    Read {
        /// The file as it was given.
        file: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not well-formed YAML (or has a duplicate key).
    #[error("{}{}: {message}", file.display(), At(*position))]
    Syntax {
        /// The file as it was given.
        file: PathBuf,
        /// Where the YAML parser stopped.
        position: Option<Position>,
        /// What the YAML parser said.
        message: String,
    },
    /// A value does not fit its field: unknown key, wrong type, bad format.
    #[error("{}{}: {path}: {message}", file.display(), At(*position))]
    Invalid {
        /// The file as it was given.
        file: PathBuf,
        /// Where the offending key or value starts, when it could be found.
        position: Option<Position>,
        /// The field path, e.g. `catalog.locations[1].type`.
        path: String,
        /// What is wrong, e.g. the allowed keys or variants.
        message: String,
    },
    /// A `${VAR}` names a variable that the environment does not have.
    #[error(
        "{}{}: {path}: environment variable {variable} is not set",
        file.display(),
        At(*position)
    )]
    MissingVariable {
        /// The file as it was given.
        file: PathBuf,
        /// Where the string holding the reference starts.
        position: Option<Position>,
        /// The field path holding the reference.
        path: String,
        /// The variable's name.
        variable: String,
    },
    /// A `PORTOLAN_*` environment override has a value its field rejects.
    #[error("{variable} (overrides {path}): {message}")]
    Override {
        /// The environment variable, e.g. `PORTOLAN_LISTEN`.
        variable: String,
        /// The field it overrides, e.g. `backend.listen`.
        path: String,
        /// What is wrong with the value.
        message: String,
    },
}

impl ConfigError {
    /// The field path the error is about, for callers that want to point at
    /// it (e.g. `catalog.locations[1].type`); `None` for read and syntax
    /// errors.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Invalid { path, .. }
            | Self::MissingVariable { path, .. }
            | Self::Override { path, .. } => Some(path),
            Self::Read { .. } | Self::Syntax { .. } => None,
        }
    }

    /// Where in the file the error is, when known.
    pub fn position(&self) -> Option<Position> {
        match self {
            Self::Syntax { position, .. }
            | Self::Invalid { position, .. }
            | Self::MissingVariable { position, .. } => *position,
            Self::Read { .. } | Self::Override { .. } => None,
        }
    }
}
