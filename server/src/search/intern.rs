//! Strings interned to `u32` ids, each stored once, with reference counts so
//! that the values of deleted or edited entities are freed again.
//!
//! The index holds about 23 search rows per entity; most of their keys and
//! many of their values (kinds, types, owners, systems, annotations) are
//! shared, so rows of three ids take a tenth of the memory of rows of strings,
//! and comparing ids is what filters do most.
//!
//! The strings themselves sit back to back in large blocks rather than in an
//! allocation each: at 100,000 entities there are over 800,000 of them, and
//! a box per string cost 16 bytes of pointer and length plus the allocator's
//! rounding, and scattered long-lived strings among short-lived ones.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// The id that stands for "no value" (a NULL search value).
pub const NONE: u32 = u32::MAX;

/// Bytes per block of string text; a longer string gets a block of its own.
const BLOCK_BYTES: usize = 256 * 1024;

/// Freed bytes above which the blocks are rewritten without them, once they
/// also outweigh the live bytes.
const COMPACT_AFTER: usize = 4 * 1024 * 1024;

/// Where an id's text is: block, offset and length.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    block: u32,
    start: u32,
    len: u32,
}

/// An interner with reference counts; ids of released strings are reused.
#[derive(Default)]
pub struct Interner {
    table: HashTable<u32>,
    spans: Vec<Span>,
    counts: Vec<u32>,
    blocks: Vec<String>,
    free: Vec<u32>,
    /// Bytes of the live strings, and of released ones still in the blocks.
    live_bytes: usize,
    freed_bytes: usize,
    hasher: DefaultHashBuilder,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner").field("strings", &self.len()).finish()
    }
}

/// The text of `span` in `blocks`.
fn text(blocks: &[String], span: Span) -> &str {
    let start = span.start as usize;
    blocks.get(span.block as usize).and_then(|b| b.get(start..start + span.len as usize)).unwrap_or("")
}

/// Whether the text of `span` in `blocks` is `s`, compared as bytes: a
/// lookup need not check that the span starts and ends on characters.
fn holds(blocks: &[String], span: Span, s: &str) -> bool {
    let start = span.start as usize;
    span.len as usize == s.len() && blocks.get(span.block as usize).and_then(|b| b.as_bytes().get(start..start + s.len())) == Some(s.as_bytes())
}

/// Appends `s` to the last block with room, or to a new one.
fn store(blocks: &mut Vec<String>, s: &str) -> Span {
    let fits = blocks.last().is_some_and(|b| b.capacity() - b.len() >= s.len());
    if !fits {
        blocks.push(String::with_capacity(BLOCK_BYTES.max(s.len())));
    }
    let block = blocks.len() - 1;
    let text = &mut blocks[block];
    let start = text.len();
    text.push_str(s);
    let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Span { block: narrow(block), start: narrow(start), len: narrow(s.len()) }
}

impl Interner {
    /// The id of `s`, if it is interned.
    pub fn get(&self, s: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(s);
        let (spans, blocks) = (&self.spans, &self.blocks);
        self.table.find(hash, |&id| holds(blocks, spans[id as usize], s)).copied()
    }

    /// The id of `s`, interning it if needed; every call must be matched by
    /// one [`Interner::release`].
    pub fn intern(&mut self, s: &str) -> u32 {
        let hash = self.hasher.hash_one(s);
        let (spans, blocks) = (&self.spans, &self.blocks);
        if let Some(&id) = self.table.find(hash, |&id| holds(blocks, spans[id as usize], s)) {
            self.counts[id as usize] += 1;
            return id;
        }
        let span = store(&mut self.blocks, s);
        self.live_bytes += s.len();
        let id = match self.free.pop() {
            Some(id) => {
                self.spans[id as usize] = span;
                self.counts[id as usize] = 1;
                id
            }
            None => {
                let id = u32::try_from(self.spans.len()).ok().filter(|&id| id != NONE).unwrap_or(NONE - 1);
                self.spans.push(span);
                self.counts.push(1);
                id
            }
        };
        self.index(hash, id);
        id
    }

    /// Adds `id` (its span already set) to the table under `hash`.
    fn index(&mut self, hash: u64, id: u32) {
        let (spans, blocks, hasher) = (&self.spans, &self.blocks, &self.hasher);
        self.table.insert_unique(hash, id, |&id| hasher.hash_one(text(blocks, spans[id as usize])));
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
        let span = self.spans[id as usize];
        let hash = self.hasher.hash_one(text(&self.blocks, span));
        if let Ok(entry) = self.table.find_entry(hash, |&other| other == id) {
            entry.remove();
        }
        self.spans[id as usize] = Span::default();
        self.free.push(id);
        self.live_bytes -= span.len as usize;
        self.freed_bytes += span.len as usize;
        if self.freed_bytes > COMPACT_AFTER && self.freed_bytes > self.live_bytes {
            self.compact();
        }
    }

    /// Rewrites the blocks with the live strings only; ids do not change.
    fn compact(&mut self) {
        let mut blocks = Vec::new();
        for (span, &count) in self.spans.iter_mut().zip(&self.counts) {
            if count > 0 {
                *span = store(&mut blocks, text(&self.blocks, *span));
            }
        }
        self.blocks = blocks;
        self.freed_bytes = 0;
    }

    /// The string of `id` (empty for [`NONE`] or a freed id).
    pub fn resolve(&self, id: u32) -> &str {
        self.spans.get(id as usize).map_or("", |&span| text(&self.blocks, span))
    }

    /// The bytes of the strings held.
    pub fn bytes(&self) -> usize {
        self.live_bytes
    }

    /// Estimated heap bytes: the blocks, spans, counts and table.
    pub fn heap_estimate(&self) -> usize {
        self.blocks.iter().map(String::capacity).sum::<usize>()
            + self.spans.capacity() * std::mem::size_of::<Span>()
            + self.counts.capacity() * 4
            + self.table.capacity() * 5
            + self.free.capacity() * 4
    }

    /// Every id's reference count and string, in id order (freed ids with
    /// a count of 0), as a snapshot saves them: walked, not collected (a
    /// list of 870,000 pairs would add 21 MB to the peak while saving).
    pub fn entries(&self) -> impl ExactSizeIterator<Item = (u32, &str)> + Clone + '_ {
        self.spans.iter().zip(&self.counts).map(|(&span, &count)| (count, if count == 0 { "" } else { text(&self.blocks, span) }))
    }

    /// An empty interner with room for `slots` ids, to be filled in id
    /// order by [`Interner::push_restored`] (reading a snapshot back).
    pub fn with_slots(slots: usize) -> Interner {
        let mut strings = Interner::default();
        strings.spans.reserve(slots);
        strings.counts.reserve(slots);
        strings.table.reserve(slots, |_| 0);
        strings
    }

    /// Appends the next id of what [`Interner::entries`] described: its
    /// count and string (a count of 0 is a free id).
    pub fn push_restored(&mut self, count: u32, s: &str) {
        let id = u32::try_from(self.spans.len()).unwrap_or(NONE - 1);
        if count == 0 {
            self.spans.push(Span::default());
            self.counts.push(0);
            self.free.push(id);
            return;
        }
        let span = store(&mut self.blocks, s);
        self.live_bytes += s.len();
        self.spans.push(span);
        self.counts.push(count);
        self.index(self.hasher.hash_one(s), id);
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
        assert_eq!(strings.intern(""), 2, "the empty string is a string too");
        assert_eq!(strings.get(""), Some(2));
    }

    #[test]
    fn compaction_keeps_every_live_string_and_its_id() {
        let mut strings = Interner::default();
        let long = "x".repeat(BLOCK_BYTES + 10);
        let big = strings.intern(&long);
        let ids: Vec<u32> = (0..400_000).map(|i| strings.intern(&format!("value-{i:08}"))).collect();
        // Free most of them: enough freed bytes to compact.
        for (i, &id) in ids.iter().enumerate() {
            if i % 10 != 0 {
                strings.release(id);
            }
        }
        let held: usize = strings.blocks.iter().map(String::len).sum();
        assert!(held < 3_000_000, "the blocks were rewritten without the freed strings: {held} bytes held");
        for (i, &id) in ids.iter().enumerate().filter(|(i, _)| i % 10 == 0) {
            assert_eq!(strings.resolve(id), format!("value-{i:08}"));
            assert_eq!(strings.get(&format!("value-{i:08}")), Some(id));
        }
        assert_eq!(strings.resolve(big), long);
        assert_eq!(strings.get("value-00000001"), None);
        assert_eq!(strings.len(), 40_001);
    }
}
