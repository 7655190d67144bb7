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

/// A sorted list of slots; most `(key, value)` pairs (names, uids,
/// descriptions) belong to one entity, so one slot is kept inline.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slots {
    One(u32),
    Many(Vec<u32>),
}

impl Slots {
    fn as_slice(&self) -> &[u32] {
        match self {
            Slots::One(slot) => std::slice::from_ref(slot),
            Slots::Many(list) => list,
        }
    }

    fn add(&mut self, slot: u32) {
        match self {
            Slots::One(one) if *one == slot => {}
            Slots::One(one) => {
                let one = *one;
                *self = Slots::Many(if one < slot { vec![one, slot] } else { vec![slot, one] });
            }
            Slots::Many(list) => match list.last() {
                Some(&last) if last >= slot => {
                    if let Err(i) = list.binary_search(&slot) {
                        list.insert(i, slot);
                    }
                }
                _ => list.push(slot),
            },
        }
    }

    /// Takes `slot` out; `true` when nothing is left.
    fn remove(&mut self, slot: u32) -> bool {
        match self {
            Slots::One(one) => *one == slot,
            Slots::Many(list) => {
                if let Ok(i) = list.binary_search(&slot) {
                    list.remove(i);
                }
                match list.as_slice() {
                    [] => true,
                    &[only] => {
                        *self = Slots::One(only);
                        false
                    }
                    _ => false,
                }
            }
        }
    }
}

/// Sorted slot lists per `(key, value)` and per key.
#[derive(Debug, Default)]
pub(super) struct Postings {
    by_value: HashMap<(u32, u32), Slots>,
    by_key: HashMap<u32, Slots>,
}

fn add_to<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Slots>, key: K, slot: u32) {
    match map.get_mut(&key) {
        Some(slots) => slots.add(slot),
        None => {
            map.insert(key, Slots::One(slot));
        }
    }
}

fn remove_from<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Slots>, key: K, slot: u32) {
    if let Some(slots) = map.get_mut(&key)
        && slots.remove(slot)
    {
        map.remove(&key);
    }
}

impl Postings {
    /// Lists `slot` under its rows (sorted by key, as entries keep them).
    pub(super) fn add(&mut self, slot: u32, rows: &[Row]) {
        let mut last_key = None;
        for row in rows {
            if row.value != NONE {
                add_to(&mut self.by_value, (row.key, row.value), slot);
            }
            if last_key != Some(row.key) {
                add_to(&mut self.by_key, row.key, slot);
                last_key = Some(row.key);
            }
        }
    }

    /// Takes `slot` off the lists of its rows.
    pub(super) fn remove(&mut self, slot: u32, rows: &[Row]) {
        let mut last_key = None;
        for row in rows {
            if row.value != NONE {
                remove_from(&mut self.by_value, (row.key, row.value), slot);
            }
            if last_key != Some(row.key) {
                remove_from(&mut self.by_key, row.key, slot);
                last_key = Some(row.key);
            }
        }
    }

    /// Slots with `key = value`.
    pub(super) fn with_value(&self, key: u32, value: u32) -> &[u32] {
        self.by_value.get(&(key, value)).map_or(&[], Slots::as_slice)
    }

    /// Slots with `key`.
    pub(super) fn with_key(&self, key: u32) -> &[u32] {
        self.by_key.get(&key).map_or(&[], Slots::as_slice)
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
    fn slots_stay_sorted_and_fold_back_to_one() {
        let mut slots = Slots::One(5);
        for s in [3, 9, 7, 5] {
            slots.add(s);
        }
        assert_eq!(slots.as_slice(), &[3, 5, 7, 9]);
        assert!(!slots.remove(3) && !slots.remove(5) && !slots.remove(7));
        assert_eq!(slots, Slots::One(9));
        assert!(slots.remove(9));
    }
}
