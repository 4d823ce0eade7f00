//! The verification cache: finished results keyed by a SHA-256 digest (never the token), each with its own
//! expiry, at most `capacity` entries with the least recently used evicted first. Pure: time is a parameter.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The default bound on entries.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// A 32-byte digest.
pub type Digest = [u8; 32];

/// Digests are already uniform: hash them by their first 8 bytes (mixed, so structured keys spread too)
/// instead of SipHashing 32 bytes again.
#[derive(Default)]
pub struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        // splitmix64's finaliser.
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().take(8) {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
}

const NONE: usize = usize::MAX;

struct Slot<V> {
    key: Digest,
    value: V,
    expires_at_ms: f64,
    prev: usize,
    next: usize,
}

/// A bounded LRU map with per-entry expiry. `get` refreshes recency; expired entries are never returned.
pub struct TtlLru<V> {
    index: HashMap<Digest, usize, BuildHasherDefault<DigestHasher>>,
    slots: Vec<Slot<V>>,
    free: Vec<usize>,
    head: usize,
    tail: usize,
    capacity: usize,
}

impl<V: Clone> TtlLru<V> {
    /// An empty cache holding at most `capacity` entries (at least 1).
    pub fn new(capacity: usize) -> Self {
        TtlLru {
            index: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            head: NONE,
            tail: NONE,
            capacity: capacity.max(1),
        }
    }

    /// How many entries are held (expired ones included until touched or evicted).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The live value for `key`, marking it most recently used; an expired entry is dropped.
    pub fn get(&mut self, key: &Digest, now_ms: f64) -> Option<V> {
        let i = *self.index.get(key)?;
        let expired = self.slots.get(i).is_none_or(|s| s.expires_at_ms <= now_ms);
        if expired {
            self.remove_at(i);
            return None;
        }
        self.unlink(i);
        self.push_front(i);
        self.slots.get(i).map(|s| s.value.clone())
    }

    /// Inserts or replaces `key`, live until `expires_at_ms`; evicts the least recently used entry when full.
    pub fn insert(&mut self, key: Digest, value: V, expires_at_ms: f64) {
        if let Some(&i) = self.index.get(&key) {
            self.unlink(i);
            if let Some(slot) = self.slots.get_mut(i) {
                slot.value = value;
                slot.expires_at_ms = expires_at_ms;
            }
            self.push_front(i);
            return;
        }
        if self.index.len() >= self.capacity && self.tail != NONE {
            self.remove_at(self.tail);
        }
        let slot = Slot { key, value, expires_at_ms, prev: NONE, next: NONE };
        let i = match self.free.pop() {
            Some(i) => {
                if let Some(s) = self.slots.get_mut(i) {
                    *s = slot;
                }
                i
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.index.insert(key, i);
        self.push_front(i);
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        *self = TtlLru::new(self.capacity);
    }

    fn remove_at(&mut self, i: usize) {
        self.unlink(i);
        if let Some(slot) = self.slots.get(i) {
            self.index.remove(&slot.key);
        }
        self.free.push(i);
    }

    fn unlink(&mut self, i: usize) {
        let Some((prev, next)) = self.slots.get(i).map(|s| (s.prev, s.next)) else { return };
        match self.slots.get_mut(prev) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.slots.get_mut(next) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
        if let Some(s) = self.slots.get_mut(i) {
            s.prev = NONE;
            s.next = NONE;
        }
    }

    fn push_front(&mut self, i: usize) {
        let old_head = self.head;
        if let Some(s) = self.slots.get_mut(i) {
            s.prev = NONE;
            s.next = old_head;
        }
        match self.slots.get_mut(old_head) {
            Some(h) => h.prev = i,
            None => self.tail = i,
        }
        self.head = i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u32) -> Digest {
        let mut d = [0u8; 32];
        d[..4].copy_from_slice(&n.to_be_bytes());
        d[31] = 1;
        d
    }

    #[test]
    fn entries_expire_at_their_own_time() {
        let mut c = TtlLru::new(10);
        c.insert(key(1), "a", 1_000.0);
        c.insert(key(2), "b", 2_000.0);
        assert_eq!(c.get(&key(1), 999.0), Some("a"));
        assert_eq!(c.get(&key(1), 1_000.0), None);
        assert_eq!(c.len(), 1, "an expired entry is dropped when touched");
        assert_eq!(c.get(&key(2), 1_500.0), Some("b"));
        c.insert(key(2), "b2", 3_000.0);
        assert_eq!(c.get(&key(2), 2_500.0), Some("b2"));
    }

    #[test]
    fn least_recently_used_is_evicted_at_capacity() {
        let mut c = TtlLru::new(3);
        for n in 1..=3 {
            c.insert(key(n), n, f64::MAX);
        }
        assert_eq!(c.get(&key(1), 0.0), Some(1)); // 2 is now the least recently used
        c.insert(key(4), 4, f64::MAX);
        assert_eq!(c.len(), 3);
        assert_eq!(c.get(&key(2), 0.0), None);
        for n in [1, 3, 4] {
            assert_eq!(c.get(&key(n), 0.0), Some(n));
        }
    }

    #[test]
    fn the_bound_holds_under_a_flood_of_distinct_keys() {
        let mut c = TtlLru::new(DEFAULT_CAPACITY);
        for n in 0..100_000u32 {
            c.insert(key(n), n, f64::MAX);
            assert!(c.len() <= DEFAULT_CAPACITY);
        }
        assert_eq!(c.len(), DEFAULT_CAPACITY);
        assert_eq!(c.get(&key(99_999), 0.0), Some(99_999));
        assert_eq!(c.get(&key(0), 0.0), None);
        assert!(c.slots.len() <= DEFAULT_CAPACITY, "slots are reused, memory stays bounded");
    }

    #[test]
    fn single_entry_and_clear() {
        let mut c = TtlLru::new(0);
        c.insert(key(1), 1, 10.0);
        c.insert(key(2), 2, 10.0);
        assert_eq!((c.len(), c.get(&key(2), 0.0)), (1, Some(2)));
        c.clear();
        assert!(c.is_empty());
    }
}
