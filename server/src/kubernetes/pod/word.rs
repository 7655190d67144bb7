//! Short values that repeat on every pod — a condition's `Ready` and
//! `True`, a phase's `Running` — kept as a pointer to one static copy
//! instead of an allocation per pod (ten or so per pod, 32 bytes each).

use std::fmt;

use serde::de::{Error, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The values Kubernetes itself writes into pod conditions and phases.
const KNOWN: &[&str] = &[
    "True",
    "False",
    "Unknown",
    "Ready",
    "ContainersReady",
    "Initialized",
    "PodScheduled",
    "PodReadyToStartContainers",
    "DisruptionTarget",
    "Running",
    "Pending",
    "Succeeded",
    "Failed",
];

/// A string that is one of the well-known values (no allocation) or any
/// other (its own copy); it reads, compares and serializes as a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    /// One of the well-known values.
    Known(&'static str),
    /// Anything else.
    Other(Box<str>),
}

impl Word {
    /// The text.
    pub fn as_str(&self) -> &str {
        match self {
            Word::Known(s) => *s,
            Word::Other(s) => &**s,
        }
    }
}

impl Default for Word {
    fn default() -> Self {
        Word::Known("")
    }
}

impl From<&str> for Word {
    fn from(text: &str) -> Self {
        match KNOWN.iter().find(|k| **k == text) {
            Some(known) => Word::Known(*known),
            None => Word::Other(text.into()),
        }
    }
}

impl PartialEq<str> for Word {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Word {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Word {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Word {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Word;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: Error>(self, text: &str) -> Result<Word, E> {
                Ok(Word::from(text))
            }
            fn visit_unit<E: Error>(self) -> Result<Word, E> {
                Ok(Word::default())
            }
            fn visit_none<E: Error>(self) -> Result<Word, E> {
                Ok(Word::default())
            }
        }
        deserializer.deserialize_any(Text)
    }
}
