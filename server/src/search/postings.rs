//! Inverted lists over the index's slots: which entities have a key, and
//! which have a key with a given value, kept sorted so they turn into bit
//! sets at once. Equality, `$in` and `$exists` filters are answered from
//! them without looking at a single entity.

use hashbrown::HashMap;
use hashbrown::hash_map::Entry;

use super::Row;
use super::facets::{Tracked, ValueList};
use super::intern::NONE;

/// A set of slots as bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Bits(Vec<u64>);

impl Bits {
    /// No slot of `len`.
    pub(super) fn empty(len: usize) -> Bits {
        Bits(vec![0; len.div_ceil(64)])
    }

    /// The slots of a sorted list.
    pub(super) fn of(len: usize, slots: &[u32]) -> Bits {
        let mut bits = Bits::empty(len);
        for &slot in slots {
            bits.set(slot);
        }
        bits
    }

    pub(super) fn set(&mut self, slot: u32) {
        let (word, bit) = (slot as usize / 64, slot % 64);
        if let Some(w) = self.0.get_mut(word) {
            *w |= 1 << bit;
        } else {
            self.0.resize(word + 1, 0);
            self.0[word] |= 1 << bit;
        }
    }

    pub(super) fn clear(&mut self, slot: u32) {
        if let Some(w) = self.0.get_mut(slot as usize / 64) {
            *w &= !(1 << (slot % 64));
        }
    }

    pub(super) fn contains(&self, slot: u32) -> bool {
        self.0.get(slot as usize / 64).is_some_and(|w| w & (1 << (slot % 64)) != 0)
    }

    pub(super) fn and(mut self, other: &Bits) -> Bits {
        for (i, w) in self.0.iter_mut().enumerate() {
            *w &= other.0.get(i).copied().unwrap_or(0);
        }
        self
    }

    pub(super) fn or(mut self, other: &Bits) -> Bits {
        if other.0.len() > self.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (w, o) in self.0.iter_mut().zip(&other.0) {
            *w |= o;
        }
        self
    }

    /// The slots of `self` not in `other`.
    pub(super) fn and_not(mut self, other: &Bits) -> Bits {
        for (w, o) in self.0.iter_mut().zip(&other.0) {
            *w &= !o;
        }
        self
    }

    pub(super) fn count(&self) -> u64 {
        self.0.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    /// The slots, ascending.
    pub(super) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(i, &w)| {
            let base = u32::try_from(i * 64).unwrap_or(u32::MAX);
            BitIter(w).map(move |b| base + b)
        })
    }
}

struct BitIter(u64);

impl Iterator for BitIter {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.0 == 0 {
            return None;
        }
        let bit = self.0.trailing_zeros();
        self.0 &= self.0 - 1;
        Some(bit)
    }
}

/// Where the slots of one list are: most `(key, value)` pairs (names, uids,
/// descriptions) belong to one entity, whose slot is kept inline; longer
/// lists live in [`Postings::lists`]. Eight bytes, so a map entry is sixteen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slots {
    One(u32),
    Many(u32),
}

/// What is kept per key: which slots have it, and its values for facets.
#[derive(Debug)]
struct KeyEntry {
    slots: Slots,
    values: Tracked,
}

/// Sorted slot lists per `(key, value)` and per key.
#[derive(Debug, Default)]
pub(super) struct Postings {
    by_value: HashMap<(u32, u32), Slots>,
    by_key: HashMap<u32, KeyEntry>,
    /// The lists of two slots or more; each sorted.
    lists: Vec<Vec<u32>>,
    /// Indexes of `lists` free for reuse.
    free: Vec<u32>,
}

/// The lists of [`Postings`], apart from its maps so both can be borrowed.
struct Lists<'a> {
    lists: &'a mut Vec<Vec<u32>>,
    free: &'a mut Vec<u32>,
}

impl Lists<'_> {
    fn new_list(&mut self, list: Vec<u32>) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.lists[i as usize] = list;
                i
            }
            None => {
                self.lists.push(list);
                u32::try_from(self.lists.len() - 1).unwrap_or(u32::MAX)
            }
        }
    }

    fn add(&mut self, slots: &mut Slots, slot: u32) {
        match *slots {
            Slots::One(one) if one == slot => {}
            Slots::One(one) => *slots = Slots::Many(self.new_list(if one < slot { vec![one, slot] } else { vec![slot, one] })),
            Slots::Many(i) => {
                let list = &mut self.lists[i as usize];
                match list.last() {
                    Some(&last) if last >= slot => {
                        if let Err(at) = list.binary_search(&slot) {
                            list.insert(at, slot);
                        }
                    }
                    _ => list.push(slot),
                }
            }
        }
    }

    /// Takes `slot` out; `true` when nothing is left.
    fn remove(&mut self, slots: &mut Slots, slot: u32) -> bool {
        match *slots {
            Slots::One(one) => one == slot,
            Slots::Many(i) => {
                let list = &mut self.lists[i as usize];
                if let Ok(at) = list.binary_search(&slot) {
                    list.remove(at);
                }
                match list.as_slice() {
                    [] => {
                        self.release(i);
                        true
                    }
                    &[only] => {
                        self.release(i);
                        *slots = Slots::One(only);
                        false
                    }
                    _ => false,
                }
            }
        }
    }

    fn release(&mut self, i: u32) {
        self.lists[i as usize] = Vec::new();
        self.free.push(i);
    }

    /// Lists `slot` under `key` in `map`.
    fn add_to<K: std::hash::Hash + Eq>(&mut self, map: &mut HashMap<K, Slots>, key: K, slot: u32) {
        match map.entry(key) {
            Entry::Occupied(mut e) => self.add(e.get_mut(), slot),
            Entry::Vacant(e) => {
                e.insert(Slots::One(slot));
            }
        }
    }

    /// Takes `slot` off the list under `key` in `map`, and the key with its last slot.
    fn remove_from<K: std::hash::Hash + Eq>(&mut self, map: &mut HashMap<K, Slots>, key: K, slot: u32) {
        if let Entry::Occupied(mut e) = map.entry(key)
            && self.remove(e.get_mut(), slot)
        {
            e.remove();
        }
    }
}

impl Postings {
    fn split(&mut self) -> (&mut HashMap<(u32, u32), Slots>, &mut HashMap<u32, KeyEntry>, Lists<'_>) {
        (&mut self.by_value, &mut self.by_key, Lists { lists: &mut self.lists, free: &mut self.free })
    }

    /// Lists `slot` under its rows (sorted by key, as entries keep them).
    pub(super) fn add(&mut self, slot: u32, rows: &[Row]) {
        let (by_value, by_key, mut lists) = self.split();
        for group in rows.chunk_by(|a, b| a.key == b.key) {
            for row in group.iter().filter(|r| r.value != NONE) {
                lists.add_to(by_value, (row.key, row.value), slot);
            }
            match by_key.entry(group[0].key) {
                Entry::Occupied(mut e) => {
                    let entry = e.get_mut();
                    lists.add(&mut entry.slots, slot);
                    entry.values.add(group);
                }
                Entry::Vacant(e) => {
                    e.insert(KeyEntry { slots: Slots::One(slot), values: Tracked::of(group) });
                }
            }
        }
    }

    /// Takes `slot` off the lists of its rows.
    pub(super) fn remove(&mut self, slot: u32, rows: &[Row]) {
        let (by_value, by_key, mut lists) = self.split();
        for group in rows.chunk_by(|a, b| a.key == b.key) {
            for row in group.iter().filter(|r| r.value != NONE) {
                lists.remove_from(by_value, (row.key, row.value), slot);
            }
            if let Entry::Occupied(mut e) = by_key.entry(group[0].key) {
                let entry = e.get_mut();
                if lists.remove(&mut entry.slots, slot) {
                    e.remove();
                } else {
                    entry.values.remove(group);
                }
            }
        }
    }

    fn slice<'a>(&'a self, slots: Option<&'a Slots>) -> &'a [u32] {
        match slots {
            None => &[],
            Some(Slots::One(slot)) => std::slice::from_ref(slot),
            Some(Slots::Many(i)) => self.lists.get(*i as usize).map_or(&[], Vec::as_slice),
        }
    }

    /// Gives back what the lists grew into and do not use: a list grows
    /// by doubling as entities are added one by one.
    pub(super) fn shrink_to_fit(&mut self) {
        for list in &mut self.lists {
            list.shrink_to_fit();
        }
        self.lists.shrink_to_fit();
    }

    /// Estimated heap bytes of the lists and their maps.
    pub(super) fn heap_estimate(&self) -> usize {
        self.by_value.capacity() * (std::mem::size_of::<((u32, u32), Slots)>() + 1)
            + self.by_key.capacity() * (std::mem::size_of::<(u32, KeyEntry)>() + 1)
            + self.lists.capacity() * 24
            + self.lists.iter().map(|l| if l.capacity() == 0 { 0 } else { l.capacity() * 4 + 16 }).sum::<usize>()
    }

    /// Slots with `key = value`.
    pub(super) fn with_value(&self, key: u32, value: u32) -> &[u32] {
        self.slice(self.by_value.get(&(key, value)))
    }

    /// Slots with `key`.
    pub(super) fn with_key(&self, key: u32) -> &[u32] {
        self.slice(self.by_key.get(&key).map(|e| &e.slots))
    }

    /// The values of `key` with their spellings, if it has few enough.
    pub(super) fn values_of(&self, key: u32) -> Option<ValueList<'_>> {
        self.by_key.get(&key).and_then(|e| e.values.list())
    }

    /// Keys, and the values known for facets over all of them.
    pub(super) fn tracked(&self) -> (usize, usize) {
        (self.by_key.len(), self.by_key.values().map(|e| e.values.len()).sum())
    }

    /// Estimated heap bytes of the values known for facets, beyond the
    /// key entries themselves.
    pub(super) fn values_heap_estimate(&self) -> usize {
        self.by_key.values().map(|e| e.values.heap_estimate()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_combine_and_list_in_order() {
        let a = Bits::of(200, &[1, 64, 130]);
        let b = Bits::of(200, &[64, 150]);
        assert_eq!(a.clone().and(&b).iter().collect::<Vec<_>>(), vec![64]);
        assert_eq!(a.clone().or(&b).iter().collect::<Vec<_>>(), vec![1, 64, 130, 150]);
        assert_eq!(a.clone().and_not(&b).iter().collect::<Vec<_>>(), vec![1, 130]);
        assert_eq!(a.count(), 3);
        assert!(a.contains(130) && !a.contains(131));
    }

    #[test]
    fn lists_stay_sorted_fold_back_to_one_and_are_reused() {
        let rows = |key: u32, value: u32| [Row { key, value, original: value }];
        let mut postings = Postings::default();
        for s in [5, 3, 9, 7, 5] {
            postings.add(s, &rows(1, 2));
        }
        assert_eq!(postings.with_value(1, 2), &[3, 5, 7, 9]);
        assert_eq!(postings.with_key(1), &[3, 5, 7, 9]);
        for s in [3, 5, 7] {
            postings.remove(s, &rows(1, 2));
        }
        assert_eq!(postings.with_value(1, 2), &[9]);
        assert_eq!(postings.by_value.get(&(1, 2)), Some(&Slots::One(9)), "one slot is inline again");
        postings.remove(9, &rows(1, 2));
        assert!(postings.with_value(1, 2).is_empty() && postings.with_key(1).is_empty());
        assert!(postings.by_value.is_empty() && postings.by_key.is_empty());
        postings.add(1, &rows(4, 4));
        postings.add(2, &rows(4, 4));
        assert_eq!(postings.lists.len(), 2, "freed lists are reused");
        assert_eq!(postings.with_value(4, 4), &[1, 2]);
    }

    #[test]
    fn shrinking_keeps_every_list_and_drops_the_spare_room() {
        let rows = |key: u32, value: u32| [Row { key, value, original: value }];
        let mut postings = Postings::default();
        for s in 0..100 {
            postings.add(s, &rows(1, s % 3));
        }
        assert!(postings.lists.iter().any(|l| l.capacity() > l.len()), "lists grew by doubling");
        postings.shrink_to_fit();
        assert!(postings.lists.iter().all(|l| l.capacity() == l.len()));
        assert_eq!(postings.with_value(1, 1), (0..100).filter(|s| s % 3 == 1).collect::<Vec<u32>>());
        assert_eq!(postings.with_key(1).len(), 100);
    }
}
