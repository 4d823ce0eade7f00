//! The verification cache and its policy: finished verdicts keyed by a SHA-256 digest of the configuration and
//! the token (never the token), how long each may be reused by each reader, and the format of (sealed)
//! shared-store entries. Pure: time is a parameter.

use super::outcome::Identity;
use super::GuardSettings;
use crate::core::json::Json;
use crate::core::reason::Reason;
use crate::core::sealed::{SealKey, STORE_KEY_PREFIX};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

/// The default bound on entries.
pub(crate) const DEFAULT_CAPACITY: usize = 10_000;

/// A 32-byte digest.
pub(crate) type Digest = [u8; 32];

/// Workers KV refuses `expirationTtl` below 60 s; entries carry their own deadline, so a longer store TTL is safe.
pub(crate) const MIN_STORE_TTL_S: u32 = 60;

/// SHA-256 of `parts`, each followed by a zero byte (so `["ab", "c"]` and `["a", "bc"]` differ).
pub(crate) fn digest_of(parts: &[&[u8]]) -> Digest {
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

/// A verdict as the isolate keeps it: with the time it was reached, so that every guard reading it applies its
/// own TTLs (a verdict cached by a guard with a long TTL never outlives a shorter-lived reader's).
#[derive(Clone, Debug)]
pub struct Cached {
    /// What was decided.
    pub verdict: Verdict,
    /// When, in milliseconds since the epoch.
    pub verified_at_ms: f64,
}

/// Until when a guard with `settings` may serve `verdict`, reached at `verified_at_ms`: a verified result until
/// the earlier of its expiration and the guard's cache TTL, a definitive rejection for its negative TTL.
pub(crate) fn serves_until(verdict: &Verdict, verified_at_ms: f64, settings: &GuardSettings) -> f64 {
    match verdict {
        Verdict::Accepted(identity) => {
            let ttl_end = verified_at_ms + f64::from(settings.cache_ttl_ms);
            identity.expiration.map_or(ttl_end, |exp| ttl_end.min(exp as f64))
        }
        Verdict::Rejected(_) => verified_at_ms + f64::from(settings.negative_cache_ttl_ms),
    }
}

/// Until when a verdict reached now may be kept; `None`: not at all.
pub(crate) fn cache_until(verdict: &Verdict, now_ms: f64, settings: &GuardSettings) -> Option<f64> {
    let until = serves_until(verdict, now_ms, settings);
    (until > now_ms).then_some(until)
}

/// Whether `cached` may answer a guard with `settings` at `now_ms` (the cache's own expiry is the writer's).
pub(crate) fn serves(cached: &Cached, now_ms: f64, settings: &GuardSettings) -> bool {
    serves_until(&cached.verdict, cached.verified_at_ms.min(now_ms), settings) > now_ms
}

/// The key under which a verdict is kept in a shared store.
pub(crate) fn verdict_store_key(digest: &Digest) -> String {
    [STORE_KEY_PREFIX, &hex::encode(digest)].concat()
}

/// An accepted verdict as a shared store holds it, inside a sealed entry ([`SealKey`]): who the token belongs
/// to, when it was verified and the writer's deadline, in milliseconds. Only opaque tokens' accepted verdicts are
/// stored: a JWT verifies locally for less than a store read costs, and a rejection stays in its isolate (junk
/// tokens must not cost KV writes).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredVerdict {
    verified_at: i64,
    until: i64,
    identity: Identity,
}

/// The sealed store entry for `identity`, verified at `verified_at_ms` and live until `until_ms`, under
/// `store_key`, and the TTL to ask the store for.
pub(crate) fn verdict_entry<J: Json>(
    seal: &SealKey,
    store_key: &str,
    identity: &Identity,
    verified_at_ms: f64,
    until_ms: f64,
) -> Option<(String, u32)> {
    let entry = StoredVerdict {
        verified_at: verified_at_ms.floor() as i64,
        until: until_ms.ceil() as i64,
        identity: identity.clone(),
    };
    let ttl_s = (((until_ms - verified_at_ms) / 1000.0).ceil() as u32).max(MIN_STORE_TTL_S);
    J::write(&entry).map(|text| (seal.seal(store_key, &text), ttl_s))
}

/// What a shared-store entry is worth to one reader.
#[derive(Debug)]
pub enum StoreRead {
    /// An authentic verdict this reader may serve until the time given (the earliest of the writer's deadline,
    /// the time it was verified plus the reader's TTL, and the token's expiration).
    Serves(Cached, f64),
    /// Authentic, but past what the reader allows.
    Spent,
    /// Not an entry of ours: forged, edited, copied from another key, written under another secret, or not a
    /// verdict. A miss, counted.
    Refused,
}

/// Reads the entry found under `store_key` with the reader's sealing key and settings.
pub fn read_verdict_entry<J: Json>(
    seal: &SealKey,
    store_key: &str,
    text: &str,
    now_ms: f64,
    settings: &GuardSettings,
) -> StoreRead {
    let Some(entry) = seal.open(store_key, text).and_then(J::parse::<StoredVerdict>) else {
        return StoreRead::Refused;
    };
    let cached = Cached {
        verdict: Verdict::Accepted(Rc::new(entry.identity)),
        // An entry dated in the future (another isolate's clock) counts from now, never later.
        verified_at_ms: (entry.verified_at as f64).min(now_ms),
    };
    let until = serves_until(&cached.verdict, cached.verified_at_ms, settings).min(entry.until as f64);
    if until > now_ms {
        StoreRead::Serves(cached, until)
    } else {
        StoreRead::Spent
    }
}

/// Digests are already uniform: hash them by their first 8 bytes (mixed, so structured keys spread too)
/// instead of SipHashing 32 bytes again.
#[derive(Default)]
pub(crate) struct DigestHasher(u64);

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
pub(crate) struct TtlLru<V> {
    index: HashMap<Digest, usize, BuildHasherDefault<DigestHasher>>,
    slots: Vec<Slot<V>>,
    free: Vec<usize>,
    head: usize,
    tail: usize,
    capacity: usize,
}

impl<V: Clone> TtlLru<V> {
    /// An empty cache holding at most `capacity` entries (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
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
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// The live value for `key`, marking it most recently used; an expired entry is dropped.
    pub(crate) fn get(&mut self, key: &Digest, now_ms: f64) -> Option<V> {
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
    pub(crate) fn insert(&mut self, key: Digest, value: V, expires_at_ms: f64) {
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
    pub(crate) fn clear(&mut self) {
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
    fn a_verdict_serves_each_reader_within_its_own_ttls() {
        let writer = GuardSettings { cache_ttl_ms: 300_000, ..GuardSettings::default() };
        let reader = GuardSettings { cache_ttl_ms: 1_000, negative_cache_ttl_ms: 0, ..GuardSettings::default() };
        let accepted = Cached { verdict: Verdict::Accepted(identity(None)), verified_at_ms: 0.0 };
        assert!(serves(&accepted, 1_499.0, &writer));
        assert!(serves(&accepted, 999.0, &reader));
        assert!(!serves(&accepted, 1_500.0, &reader), "the writer's 300 s TTL does not serve a 1 s reader");
        let rejected = Cached { verdict: Verdict::Rejected(Reason::TokenInvalid), verified_at_ms: 0.0 };
        assert!(serves(&rejected, 10.0, &writer));
        assert!(!serves(&rejected, 10.0, &reader), "a reader with the negative cache off");
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

    fn seal(secret: &str) -> SealKey {
        SealKey::derive(&crate::core::secret::Secret::from(secret))
    }

    fn served(read: StoreRead) -> Option<(Rc<Identity>, f64, f64)> {
        match read {
            StoreRead::Serves(Cached { verdict: Verdict::Accepted(identity), verified_at_ms }, until) => {
                Some((identity, verified_at_ms, until))
            }
            _ => None,
        }
    }

    #[test]
    fn store_entries_round_trip_sealed_and_carry_their_deadline() {
        let s = GuardSettings::default();
        let k = seal("sk_test_writer");
        let key = verdict_store_key(&[0xab; 32]);
        assert_eq!(key, format!("clerk-m2m-edge:v2:{}", "ab".repeat(32)));
        let (text, ttl) = verdict_entry::<SerdeJson>(&k, &key, &identity(None), 1000.0, 31_000.5).unwrap();
        assert_eq!(ttl, MIN_STORE_TTL_S);
        let (read, verified_at, until) = served(read_verdict_entry::<SerdeJson>(&k, &key, &text, 1000.0, &s)).unwrap();
        assert!(read.subject == "mch_1" && read.claims == identity(None).claims);
        assert_eq!((verified_at, until), (1000.0, 31_000.0), "the reader's TTL (30 s) ends before the writer's");
        assert!(matches!(read_verdict_entry::<SerdeJson>(&k, &key, &text, 31_000.0, &s), StoreRead::Spent));
    }

    #[test]
    fn the_readers_ttl_and_the_tokens_expiration_bound_a_stored_verdict() {
        let k = seal("sk_test_writer");
        let key = verdict_store_key(&[1; 32]);
        let long = verdict_entry::<SerdeJson>(&k, &key, &identity(Some(900_000)), 0.0, 300_000.0).unwrap().0;
        let short = GuardSettings { cache_ttl_ms: 1_000, ..GuardSettings::default() };
        assert_eq!(served(read_verdict_entry::<SerdeJson>(&k, &key, &long, 500.0, &short)).unwrap().2, 1_000.0);
        assert!(matches!(read_verdict_entry::<SerdeJson>(&k, &key, &long, 1_500.0, &short), StoreRead::Spent));
        let expiring = verdict_entry::<SerdeJson>(&k, &key, &identity(Some(2_000)), 0.0, 300_000.0).unwrap().0;
        let long_reader = GuardSettings { cache_ttl_ms: 600_000, ..GuardSettings::default() };
        assert_eq!(served(read_verdict_entry::<SerdeJson>(&k, &key, &expiring, 0.0, &long_reader)).unwrap().2, 2_000.0);
        let future = verdict_entry::<SerdeJson>(&k, &key, &identity(None), 1e15, 1e15 + 1.0).unwrap().0;
        let (_, verified_at, until) = served(read_verdict_entry::<SerdeJson>(&k, &key, &future, 0.0, &short)).unwrap();
        assert_eq!((verified_at, until), (0.0, 1_000.0), "a date in the future counts from now");
    }

    #[test]
    fn forged_copied_edited_and_foreign_entries_are_refused() {
        let s = GuardSettings::default();
        let k = seal("sk_test_writer");
        let key = verdict_store_key(&[2; 32]);
        let (text, _) = verdict_entry::<SerdeJson>(&k, &key, &identity(None), 0.0, 30_000.0).unwrap();
        let refused = |seal: &SealKey, key: &str, text: &str| {
            matches!(read_verdict_entry::<SerdeJson>(seal, key, text, 0.0, &s), StoreRead::Refused)
        };
        assert!(refused(&k, &verdict_store_key(&[3; 32]), &text), "copied to another key");
        assert!(refused(&seal("sk_test_other"), &key, &text), "written under another secret");
        assert!(refused(&k, &key, &text.replace("mch_1", "mch_9")), "edited");
        for forged in [
            r#"{"until":9000000000000000,"identity":{"tokenFormat":"opaque","id":"mt_1","subject":"mch_1","scopes":[],"claims":null,"expiration":null}}"#,
            "",
            "{}",
        ] {
            assert!(refused(&k, &key, forged), "{forged}");
        }
        let not_a_verdict = k.seal(&key, r#"{"until":1e15,"reason":"token-invalid"}"#);
        assert!(refused(&k, &key, &not_a_verdict), "sealed, but not an accepted verdict (v1's shape)");
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
