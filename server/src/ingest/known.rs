//! What a whole-location pass keeps of the location's stored entities.
//!
//! A pass over a location of 100,000 entities holds every one of them from
//! its first chunk to its last (to tell unchanged entities and to settle
//! those it no longer emits), on top of a full search index, except those
//! of files it found unchanged before its first chunk. A
//! [`StoredState`] of five strings took about 540 bytes an entity there; a
//! [`Known`] takes under half of that: the hash as bytes, the source shared
//! by the entities of one file, no copy of the reference or location id.

use hashbrown::HashMap;
use std::sync::Arc;

use crate::store::entities::StoredState;

/// A stored entity of the location being passed over.
#[derive(Debug)]
pub(super) struct Known {
    pub uid: Box<str>,
    pub source: Arc<str>,
    /// SHA-256 of what was read; zeros when the stored text was not a hash.
    pub hash: [u8; 32],
    pub orphan: bool,
    pub has_errors: bool,
    /// Whether this pass emitted it again.
    pub emitted: bool,
}

impl Known {
    /// Whether `hex` (a content hash as stored) is this entity's hash.
    pub fn has_hash(&self, hex: &str) -> bool {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex, &mut bytes).is_ok() && bytes == self.hash
    }

    /// The full state again, for the few a pass settles.
    pub fn to_state(&self, entity_ref: &str, location_id: &str) -> StoredState {
        StoredState {
            uid: self.uid.to_string(),
            entity_ref: entity_ref.to_owned(),
            location_id: location_id.to_owned(),
            source: self.source.to_string(),
            hash: hex::encode(self.hash),
            orphan: self.orphan,
            has_errors: self.has_errors,
        }
    }
}

/// The location's stored entities by reference, built as their rows arrive.
#[derive(Debug, Default)]
pub(super) struct KnownBuilder {
    sources: HashMap<String, Arc<str>>,
    known: HashMap<Box<str>, Known>,
}

impl KnownBuilder {
    /// Adds one stored entity.
    pub fn push(&mut self, s: StoredState) {
        let source = match self.sources.get(&s.source) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared: Arc<str> = Arc::from(s.source.as_str());
                self.sources.insert(s.source, Arc::clone(&shared));
                shared
            }
        };
        let mut hash = [0u8; 32];
        if hex::decode_to_slice(&s.hash, &mut hash).is_err() {
            hash = [0u8; 32];
        }
        let known = Known { uid: s.uid.into_boxed_str(), source, hash, orphan: s.orphan, has_errors: s.has_errors, emitted: false };
        self.known.insert(s.entity_ref.into_boxed_str(), known);
    }

    /// The entities by reference.
    pub fn finish(self) -> HashMap<Box<str>, Known> {
        self.known
    }
}
