//! Inverted lists over the index's slots: which entities have a key, and
//! which have a key with a given value, kept sorted so they turn into bit
//! sets at once. Equality, `$in` and `$exists` filters are answered from
//! them without looking at a single entity.

use std::collections::HashMap;

use super::Row;
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

fn add(list: &mut Vec<u32>, slot: u32) {
    match list.last() {
        Some(&last) if last >= slot => {
            if let Err(i) = list.binary_search(&slot) {
                list.insert(i, slot);
            }
        }
        _ => list.push(slot),
    }
}

fn remove(list: &mut Vec<u32>, slot: u32) {
    if let Ok(i) = list.binary_search(&slot) {
        list.remove(i);
    }
}

/// Sorted slot lists per `(key, value)` and per key.
#[derive(Debug, Default)]
pub(super) struct Postings {
    by_value: HashMap<(u32, u32), Vec<u32>>,
    by_key: HashMap<u32, Vec<u32>>,
}

impl Postings {
    /// Lists `slot` under its rows (sorted by key, as entries keep them).
    pub(super) fn add(&mut self, slot: u32, rows: &[Row]) {
        let mut last_key = None;
        for row in rows {
            if row.value != NONE {
                add(self.by_value.entry((row.key, row.value)).or_default(), slot);
            }
            if last_key != Some(row.key) {
                add(self.by_key.entry(row.key).or_default(), slot);
                last_key = Some(row.key);
            }
        }
    }

    /// Takes `slot` off the lists of its rows.
    pub(super) fn remove(&mut self, slot: u32, rows: &[Row]) {
        let mut last_key = None;
        for row in rows {
            if row.value != NONE
                && let Some(list) = self.by_value.get_mut(&(row.key, row.value))
            {
                remove(list, slot);
                if list.is_empty() {
                    self.by_value.remove(&(row.key, row.value));
                }
            }
            if last_key != Some(row.key) {
                if let Some(list) = self.by_key.get_mut(&row.key) {
                    remove(list, slot);
                    if list.is_empty() {
                        self.by_key.remove(&row.key);
                    }
                }
                last_key = Some(row.key);
            }
        }
    }

    /// Slots with `key = value`.
    pub(super) fn with_value(&self, key: u32, value: u32) -> &[u32] {
        self.by_value.get(&(key, value)).map_or(&[], Vec::as_slice)
    }

    /// Slots with `key`.
    pub(super) fn with_key(&self, key: u32) -> &[u32] {
        self.by_key.get(&key).map_or(&[], Vec::as_slice)
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
}
