//! Sealed shared-store entries: whatever the package writes to a `cacheStore` (a verdict, a token source's token)
//! is authenticated with HMAC-SHA256 under a key derived (HKDF-SHA256) from the secret key the writer uses, over
//! the store key and the value. Whoever can write the store (any Worker bound to the KV namespace) can make an
//! entry, but not one that opens under our key: forged, edited, copied to another key or written under another
//! secret, it is a miss. Owns the entry format and the key derivation; must not do I/O, and never stores or prints
//! the secret or the derived key.

use crate::core::encoding::{base64url_decode, base64url_encode};
use crate::core::secret::Secret;
use hkdf::Hkdf;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// The prefix of every key the package writes to a shared store. v2: entries are sealed (v1 entries, unsealed,
/// are simply never read).
pub(crate) const STORE_KEY_PREFIX: &str = "clerk-m2m-edge:v2:";

/// HKDF's salt and info: a key derived for this purpose serves no other.
const SALT: &[u8] = b"clerk-m2m-edge:v2";
const INFO: &[u8] = b"shared-store entry authentication";

/// The MAC's length once base64url-encoded (32 bytes, no padding).
const MAC_TEXT_LEN: usize = 43;

/// The key that seals and opens store entries, derived from one secret key: a keyed HMAC, cloned per entry.
/// `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SealKey(Hmac<Sha256>);

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealKey([redacted])")
    }
}

impl SealKey {
    /// The sealing key of the writer whose secret key (`sk_…` or `ak_…`) is `secret`.
    pub fn derive(secret: &Secret) -> SealKey {
        // 64 bytes: HMAC-SHA256's block size, so the key is used as is (and keying cannot fail). Far below
        // HKDF-SHA256's output limit (255 × 32 bytes): expanding cannot fail either.
        let mut okm = [0u8; 64];
        let _ = Hkdf::<Sha256>::new(Some(SALT), secret.expose().as_bytes()).expand(INFO, &mut okm);
        SealKey(<Hmac<Sha256> as KeyInit>::new(&okm.into()))
    }

    /// HMAC over the store key (length-prefixed, so key and value cannot trade bytes) and the value.
    fn mac(&self, store_key: &str, value: &str) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(&(store_key.len() as u64).to_be_bytes());
        mac.update(store_key.as_bytes());
        mac.update(value.as_bytes());
        mac
    }

    /// The entry to store under `store_key`: `<base64url MAC>.<value>`.
    pub fn seal(&self, store_key: &str, value: &str) -> String {
        let tag = self.mac(store_key, value).finalize().into_bytes();
        [base64url_encode(&tag).as_str(), ".", value].concat()
    }

    /// The value of an entry read under `store_key`, when its MAC verifies (compared in constant time); `None`
    /// for anything else.
    pub fn open<'a>(&self, store_key: &str, entry: &'a str) -> Option<&'a str> {
        let tag_text = entry.get(..MAC_TEXT_LEN)?;
        let value = entry.get(MAC_TEXT_LEN..)?.strip_prefix('.')?;
        let tag = base64url_decode(tag_text)?;
        self.mac(store_key, value).verify_slice(&tag).ok()?;
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> SealKey {
        SealKey::derive(&Secret::from(secret))
    }

    #[test]
    fn an_entry_opens_only_under_its_key_and_secret_unchanged() {
        let k = key("sk_test_writer");
        let entry = k.seal("clerk-m2m-edge:v2:aa", r#"{"until":1}"#);
        assert_eq!(k.open("clerk-m2m-edge:v2:aa", &entry), Some(r#"{"until":1}"#));
        assert_eq!(k.open("clerk-m2m-edge:v2:bb", &entry), None, "copied to another key");
        assert_eq!(key("sk_test_other").open("clerk-m2m-edge:v2:aa", &entry), None, "written under another secret");
        let edited = entry.replace("\"until\":1", "\"until\":9");
        assert_eq!(k.open("clerk-m2m-edge:v2:aa", &edited), None, "edited value");
        let mut tag_flipped = entry.clone().into_bytes();
        tag_flipped[0] = if tag_flipped[0] == b'A' { b'B' } else { b'A' };
        assert_eq!(k.open("clerk-m2m-edge:v2:aa", &String::from_utf8(tag_flipped).unwrap()), None, "edited MAC");
        for forged in
            ["", ".", r#"{"until":9e15}"#, &format!("{}.x", "A".repeat(43)), &entry[..43], "é".repeat(30).as_str()]
        {
            assert_eq!(k.open("clerk-m2m-edge:v2:aa", forged), None, "{forged}");
        }
    }

    #[test]
    fn the_key_and_value_cannot_trade_bytes() {
        let k = key("ak_writer");
        let entry = k.seal("ab", "c");
        let moved = entry.replacen(".c", ".bc", 1);
        assert_eq!(k.open("a", &moved), None);
    }

    #[test]
    fn nothing_of_the_secret_shows() {
        let k = key("sk_live_supersecret");
        assert_eq!(format!("{k:?}"), "SealKey([redacted])");
        let entry = k.seal("k", "v");
        assert!(!entry.contains("supersecret"));
        assert_eq!(entry, key("sk_live_supersecret").seal("k", "v"), "derived the same way every time");
        assert_ne!(entry, key("sk_live_other").seal("k", "v"));
    }
}
