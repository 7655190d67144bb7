//! A JSON map the caches keep as a list of `(key, value)` pairs sorted by
//! key, of exactly its length: the same JSON as k8s-openapi's `BTreeMap`
//! fields, without a tree node with room for eleven per object.

use serde::{Serialize, Serializer};

/// Pairs sorted by key, each key once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortedPairs<V>(Vec<(String, V)>);

impl<V> Default for SortedPairs<V> {
    fn default() -> Self {
        SortedPairs(Vec::new())
    }
}

impl<V> SortedPairs<V> {
    /// The pairs as read: a key read again replaces its earlier value, as
    /// in a map.
    pub fn from_read(pairs: impl IntoIterator<Item = (String, V)>) -> Self {
        let mut out: Vec<(String, V)> = Vec::new();
        for (key, value) in pairs {
            out.retain(|(k, _)| *k != key);
            out.push((key, value));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.shrink_to_fit();
        SortedPairs(out)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Serialize> Serialize for SortedPairs<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}
