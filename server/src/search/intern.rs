//! Strings interned to `u32` ids, each stored once, with reference counts so
//! that the values of deleted or edited entities are freed again.
//!
//! The index holds about 27 search rows per entity; most of their keys and
//! many of their values (kinds, types, owners, systems, annotations) are
//! shared, so rows of three ids take a tenth of the memory of rows of strings,
//! and comparing ids is what filters do most.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// The id that stands for "no value" (a NULL search value).
pub const NONE: u32 = u32::MAX;

/// An interner with reference counts; ids of released strings are reused.
#[derive(Default)]
pub struct Interner {
    table: HashTable<u32>,
    strings: Vec<Box<str>>,
    counts: Vec<u32>,
    free: Vec<u32>,
    hasher: DefaultHashBuilder,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner").field("strings", &self.len()).finish()
    }
}

impl Interner {
    /// The id of `s`, if it is interned.
    pub fn get(&self, s: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(s);
        let strings = &self.strings;
        self.table.find(hash, |&id| &*strings[id as usize] == s).copied()
    }

    /// The id of `s`, interning it if needed; every call must be matched by
    /// one [`Interner::release`].
    pub fn intern(&mut self, s: &str) -> u32 {
        let hash = self.hasher.hash_one(s);
        let strings = &self.strings;
        if let Some(&id) = self.table.find(hash, |&id| &*strings[id as usize] == s) {
            self.counts[id as usize] += 1;
            return id;
        }
        let id = match self.free.pop() {
            Some(id) => {
                self.strings[id as usize] = s.into();
                self.counts[id as usize] = 1;
                id
            }
            None => {
                let id = u32::try_from(self.strings.len()).ok().filter(|&id| id != NONE).unwrap_or(NONE - 1);
                self.strings.push(s.into());
                self.counts.push(1);
                id
            }
        };
        let (strings, hasher) = (&self.strings, &self.hasher);
        self.table.insert_unique(hash, id, |&id| hasher.hash_one(&*strings[id as usize]));
        id
    }

    /// One more reference to an id [`Interner::intern`] returned (and not
    /// yet released); [`NONE`] stays [`NONE`].
    pub fn intern_again(&mut self, id: u32) -> u32 {
        if let Some(count) = self.counts.get_mut(id as usize) {
            *count += 1;
        }
        id
    }

    /// Drops one reference to `id`; the string is freed with the last one.
    /// [`NONE`] is ignored.
    pub fn release(&mut self, id: u32) {
        let Some(count) = self.counts.get_mut(id as usize) else { return };
        *count = count.saturating_sub(1);
        if *count > 0 {
            return;
        }
        let hash = self.hasher.hash_one(&*self.strings[id as usize]);
        if let Ok(entry) = self.table.find_entry(hash, |&other| other == id) {
            entry.remove();
        }
        self.strings[id as usize] = Box::default();
        self.free.push(id);
    }

    /// The string of `id` (empty for [`NONE`] or a freed id).
    pub fn resolve(&self, id: u32) -> &str {
        self.strings.get(id as usize).map_or("", |s| s)
    }

    /// The bytes of the strings held.
    pub fn bytes(&self) -> usize {
        self.strings.iter().map(|s| s.len()).sum()
    }

    /// How many distinct strings are held.
    pub fn len(&self) -> usize {
        self.table.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_shared_counted_and_reused() {
        let mut strings = Interner::default();
        let a = strings.intern("component");
        assert_eq!(strings.intern("component"), a);
        let b = strings.intern("api");
        assert_ne!(a, b);
        strings.release(a);
        assert_eq!(strings.get("component"), Some(a), "one reference is left");
        strings.release(a);
        assert_eq!(strings.get("component"), None);
        let c = strings.intern("group");
        assert_eq!(c, a, "the freed id is reused");
        assert_eq!(strings.resolve(c), "group");
        assert_eq!(strings.resolve(b), "api");
        assert_eq!(strings.len(), 2);
    }
}
