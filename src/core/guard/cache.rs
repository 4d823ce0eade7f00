//! The verification cache and its policy: finished verdicts keyed by a SHA-256 digest of the configuration and
//! the token (never the token), how long each may be reused, and the format of shared-store entries. Pure: time
//! is a parameter.

use super::outcome::Identity;
use super::GuardSettings;
use crate::core::json::Json;
use crate::core::reason::Reason;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

/// The default bound on entries.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// A 32-byte digest.
pub type Digest = [u8; 32];

/// Workers KV refuses `expirationTtl` below 60 s; entries carry their own deadline, so a longer store TTL is safe.
pub const MIN_STORE_TTL_S: u32 = 60;

/// SHA-256 of `parts`, each followed by a zero byte (so `["ab", "c"]` and `["a", "bc"]` differ).
pub fn digest_of(parts: &[&[u8]]) -> Digest {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
        h.update([0]);
    }
    h.finalize().into()
}

/// A finished result: only finished results are shared between requests, never in-flight work.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// The token was verified; this is who it belongs to.
    Accepted(Rc<Identity>),
    /// The token was definitively refused.
    Rejected(Reason),
}

/// Until when a verdict may be reused: verified results until the earlier of their expiration and the cache TTL;
/// definitive rejections for the negative TTL. `None`: not at all.
pub fn cache_until(verdict: &Verdict, now_ms: f64, settings: &GuardSettings) -> Option<f64> {
    let until = match verdict {
        Verdict::Accepted(identity) => {
            let ttl_end = now_ms + f64::from(settings.cache_ttl_ms);
            identity.expiration.map_or(ttl_end, |exp| ttl_end.min(exp as f64))
        }
        Verdict::Rejected(_) => now_ms + f64::from(settings.negative_cache_ttl_ms),
    };
    (until > now_ms).then_some(until)
}

/// The key under which a verdict is kept in a shared store.
pub fn store_key(digest: &Digest) -> String {
    ["clerk-m2m-edge:v1:", &hex::encode(digest)].concat()
}

/// A verdict as a shared store holds it: `{"until":…,"identity":{…}}` or `{"until":…,"reason":"…"}`, where
/// `until` is the entry's own deadline in milliseconds (the store's TTL may be longer).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredVerdict {
    until: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<Reason>,
}

/// The store entry for `verdict`, live until `until_ms`, and the TTL to ask the store for.
pub fn stored_entry<J: Json>(verdict: &Verdict, until_ms: f64, now_ms: f64) -> Option<(String, u32)> {
    let entry = StoredVerdict {
        until: until_ms.ceil() as i64,
        identity: match verdict {
            Verdict::Accepted(identity) => Some((**identity).clone()),
            Verdict::Rejected(_) => None,
        },
        reason: match verdict {
            Verdict::Accepted(_) => None,
            Verdict::Rejected(reason) => Some(*reason),
        },
    };
    let ttl_s = (((until_ms - now_ms) / 1000.0).ceil() as u32).max(MIN_STORE_TTL_S);
    J::write(&entry).map(|text| (text, ttl_s))
}

/// Reads a store entry: the verdict and its deadline, or `None` when the entry is not one of ours or has passed.
pub fn read_stored<J: Json>(text: &str, now_ms: f64) -> Option<(Verdict, f64)> {
    let entry: StoredVerdict = J::parse(text)?;
    let verdict = match (entry.identity, entry.reason) {
        (Some(identity), None) => Verdict::Accepted(Rc::new(identity)),
        (None, Some(reason)) => Verdict::Rejected(reason),
        _ => return None,
    };
    let until = entry.until as f64;
    (until > now_ms).then_some((verdict, until))
}

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
    use crate::core::json::SerdeJson;
    use crate::core::model::TokenFormat;

    fn identity(expiration: Option<i64>) -> Rc<Identity> {
        Rc::new(Identity {
            token_format: TokenFormat::Opaque,
            id: "mt_1".into(),
            subject: "mch_1".into(),
            scopes: vec!["mch_2".into()],
            claims: Some(serde_json::json!({"a":[1]})),
            expiration,
        })
    }

    #[test]
    fn policy_bounds_each_verdict() {
        let s = GuardSettings::default();
        assert_eq!(cache_until(&Verdict::Accepted(identity(None)), 1000.0, &s), Some(31_000.0));
        assert_eq!(cache_until(&Verdict::Accepted(identity(Some(2000))), 1000.0, &s), Some(2000.0));
        assert_eq!(cache_until(&Verdict::Accepted(identity(Some(1000))), 1000.0, &s), None);
        assert_eq!(cache_until(&Verdict::Rejected(Reason::TokenInvalid), 1000.0, &s), Some(6000.0));
        let off = GuardSettings { negative_cache_ttl_ms: 0, ..GuardSettings::default() };
        assert_eq!(cache_until(&Verdict::Rejected(Reason::TokenInvalid), 1000.0, &off), None);
    }

    #[test]
    fn store_entries_round_trip_and_carry_their_deadline() {
        let (text, ttl) = stored_entry::<SerdeJson>(&Verdict::Accepted(identity(None)), 31_000.5, 1000.0).unwrap();
        assert_eq!(ttl, MIN_STORE_TTL_S);
        let (verdict, until) = read_stored::<SerdeJson>(&text, 1000.0).unwrap();
        assert!(
            matches!(verdict, Verdict::Accepted(ref i) if i.subject == "mch_1" && i.claims == identity(None).claims)
        );
        assert_eq!(until, 31_001.0);
        assert!(read_stored::<SerdeJson>(&text, 31_001.0).is_none(), "past its own deadline");
        let (text, _) = stored_entry::<SerdeJson>(&Verdict::Rejected(Reason::TokenRevoked), 600_000.0, 0.0).unwrap();
        assert_eq!(text, r#"{"until":600000,"reason":"token-revoked"}"#);
        assert!(matches!(read_stored::<SerdeJson>(&text, 0.0), Some((Verdict::Rejected(Reason::TokenRevoked), _))));
        for bad in [
            "",
            "{}",
            r#"{"until":9e15}"#,
            r#"{"until":1e15,"reason":"nope"}"#,
            r#"{"until":1e15,"reason":"token-invalid","x":1}"#,
        ] {
            assert!(read_stored::<SerdeJson>(bad, 0.0).is_none(), "{bad}");
        }
        assert_eq!(store_key(&[0xab; 32]), format!("clerk-m2m-edge:v1:{}", "ab".repeat(32)));
    }

    #[test]
    fn digests_separate_their_parts() {
        assert_ne!(digest_of(&[b"ab", b"c"]), digest_of(&[b"a", b"bc"]));
        assert_eq!(
            hex::encode(digest_of(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "SHA-256 of nothing"
        );
    }

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
        assert_eq!(c.len(), 0);
    }
}
