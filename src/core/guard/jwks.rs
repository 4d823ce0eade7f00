//! Verification keys: the instance JWKS (parsing, key selection, and when to fetch it as a pure state machine,
//! [`JwksState::decide`]) and a PEM public key given as `jwtKey`. Pure: importing a key into WebCrypto and
//! fetching the JWKS are the edge's job.

use super::jwt::Alg;
use crate::core::encoding::pem_body_decode;
use crate::core::error::Error;
use crate::core::json::Json;
use serde::Deserialize;

/// How long a fetched JWKS is trusted.
pub(crate) const JWKS_TTL_MS: f64 = 5.0 * 60.0 * 1000.0;
/// The shortest interval between two fetches caused by an unknown `kid`, and after a failed fetch.
pub(crate) const JWKS_REFETCH_COOLDOWN_MS: f64 = 30_000.0;
/// How long past its TTL the last good JWKS keeps verifying while every refresh fails, by default (1 hour).
pub(crate) const DEFAULT_JWKS_MAX_STALE_MS: u32 = 3_600_000;

/// An RSA signing key from the JWKS.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RsaJwk {
    /// Key id (`ins_…`).
    #[serde(default)]
    pub kid: Option<String>,
    /// The algorithm the key is restricted to, when the JWKS says.
    #[serde(default)]
    pub alg: Option<String>,
    /// Modulus, base64url.
    pub n: String,
    /// Exponent, base64url.
    pub e: String,
}

/// The members of a JWK that decide whether it is an RSA signature key.
#[derive(Deserialize)]
struct KeyKind {
    kty: String,
    #[serde(default, rename = "use")]
    usage: Option<String>,
}

/// The RSA signature keys of a JWKS document; other key types (and keys missing `n` or `e`) are ignored.
pub fn parse_jwks<J: Json>(body: &str) -> Result<Vec<RsaJwk>, Error> {
    #[derive(Deserialize)]
    struct Jwks {
        keys: Vec<serde_json::Value>,
    }
    let doc: Jwks = J::parse(body).ok_or(Error::InvalidResponse { detail: "the JWKS is not a key set" })?;
    Ok(doc
        .keys
        .into_iter()
        .filter(|k| {
            KeyKind::deserialize(k).is_ok_and(|kind| kind.kty == "RSA" && kind.usage.is_none_or(|u| u == "sig"))
        })
        .filter_map(|k| RsaJwk::deserialize(k).ok())
        .collect())
}

/// Why no key fits a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyLookup {
    /// No key has the token's `kid` (a refetch may help).
    UnknownKid,
    /// The key's `alg` differs from the token's (the token is invalid).
    AlgMismatch,
}

/// The key for a token's `kid` and `alg`. Without a `kid`, only a set holding exactly one key answers.
pub(crate) fn select_key<'a>(keys: &'a [RsaJwk], kid: Option<&str>, alg: Alg) -> Result<&'a RsaJwk, KeyLookup> {
    let key = match kid {
        Some(kid) => keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
        None if keys.len() == 1 => keys.first(),
        None => None,
    }
    .ok_or(KeyLookup::UnknownKid)?;
    match key.alg.as_deref() {
        Some(a) if a != alg.as_str() => Err(KeyLookup::AlgMismatch),
        _ => Ok(key),
    }
}

/// What to do for a token's key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum JwksDecision {
    /// Verify with this key.
    Use(RsaJwk),
    /// Fetch the JWKS (none yet, stale, or an unknown `kid` after the cooldown), then decide again.
    Fetch,
    /// No key fits and fetching again may not help yet: the token is invalid.
    Reject,
    /// No usable keys and no fetch allowed yet (the last one failed within the cooldown): nothing is decided about
    /// the token (the guard answers 503).
    Unavailable,
}

/// The JWKS in hand, when it was fetched and when a fetch last failed: decides, given the time, between using a
/// key, fetching, and refusing. A fetch happens at most once per [`JWKS_REFETCH_COOLDOWN_MS`] when caused by an
/// unknown `kid` or after a failed one, so an outage costs one fetch per cooldown; meanwhile the last good keys
/// keep verifying for `max_stale_ms` past their TTL.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct JwksState {
    keys: Vec<RsaJwk>,
    fetched_at_ms: Option<f64>,
    failed_at_ms: Option<f64>,
}

impl JwksState {
    /// The keys for a token with `kid` and `alg`, at `now_ms`, keeping stale keys for `max_stale_ms` past the TTL
    /// while refreshing fails.
    pub(crate) fn decide(&self, now_ms: f64, kid: Option<&str>, alg: Alg, max_stale_ms: f64) -> JwksDecision {
        // A clock that went backwards allows a fetch (and makes the keys stale).
        let may_fetch =
            self.failed_at_ms.is_none_or(|failed| !(0.0..JWKS_REFETCH_COOLDOWN_MS).contains(&(now_ms - failed)));
        let Some(fetched) = self.fetched_at_ms else {
            return if may_fetch { JwksDecision::Fetch } else { JwksDecision::Unavailable };
        };
        let age = now_ms - fetched;
        if !(0.0..JWKS_TTL_MS).contains(&age) {
            if may_fetch {
                return JwksDecision::Fetch;
            }
            if !(0.0..JWKS_TTL_MS + max_stale_ms).contains(&age) {
                return JwksDecision::Unavailable;
            }
            return match select_key(&self.keys, kid, alg) {
                Ok(key) => JwksDecision::Use(key.clone()),
                Err(_) => JwksDecision::Reject,
            };
        }
        match select_key(&self.keys, kid, alg) {
            Ok(key) => JwksDecision::Use(key.clone()),
            Err(KeyLookup::UnknownKid) if age >= JWKS_REFETCH_COOLDOWN_MS && may_fetch => JwksDecision::Fetch,
            Err(_) => JwksDecision::Reject,
        }
    }

    /// Records a fetched key set.
    pub(crate) fn fetched(&mut self, keys: Vec<RsaJwk>, now_ms: f64) {
        *self = JwksState { keys, fetched_at_ms: Some(now_ms), failed_at_ms: None };
    }

    /// Records a failed fetch: the keys in hand stay.
    pub(crate) fn failed(&mut self, now_ms: f64) {
        self.failed_at_ms = Some(now_ms);
    }
}

/// The DER (SubjectPublicKeyInfo) of an RSA public key given as PEM (`-----BEGIN PUBLIC KEY-----`), or as its
/// bare base64 body. Literal `\n` sequences (common in environment variables) count as line breaks.
pub(crate) fn parse_pem_public_key(pem: &str) -> Result<Vec<u8>, Error> {
    const EXPECTED: &str = "an RSA public key in PEM (-----BEGIN PUBLIC KEY-----)";
    let text = pem.replace("\\n", "\n");
    let text = text.trim();
    let body = match text.strip_prefix("-----BEGIN PUBLIC KEY-----") {
        Some(rest) => {
            rest.trim_end().strip_suffix("-----END PUBLIC KEY-----").ok_or(Error::invalid("jwtKey", EXPECTED))?
        }
        None if text.starts_with("-----") => return Err(Error::invalid("jwtKey", EXPECTED)),
        None => text,
    };
    let der = pem_body_decode(body).ok_or(Error::invalid("jwtKey", EXPECTED))?;
    // SEQUENCE … OID 1.2.840.113549.1.1.1 (rsaEncryption)
    const RSA_OID: [u8; 11] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let is_rsa_spki = der.first() == Some(&0x30) && der.windows(RSA_OID.len()).take(32).any(|w| w == RSA_OID);
    if !is_rsa_spki || der.len() < 64 {
        return Err(Error::invalid("jwtKey", EXPECTED));
    }
    Ok(der)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::json::SerdeJson;

    /// A 2048-bit RSA public key (SPKI PEM) whose private half signs the fixtures of the guard's tests.
    pub const TEST_PUBLIC_PEM: &str = include_str!("../../../tests/fixtures/test-rsa-public.pem");

    fn k(kid: &str, alg: Option<&str>) -> RsaJwk {
        RsaJwk { kid: Some(kid.into()), alg: alg.map(Into::into), n: "n".into(), e: "e".into() }
    }

    #[test]
    fn jwks_keeps_rsa_signature_keys() {
        let body = r#"{"keys":[{"kid":"ins_1","kty":"RSA","alg":"RS256","use":"sig","n":"AQAB","e":"AQAB"},
            {"kid":"ins_2","kty":"EC","crv":"P-256","x":"a","y":"b"},{"kid":"ins_3","kty":"RSA","use":"enc","n":"a","e":"b"},
            {"kid":"ins_4","kty":"RSA"},{"kid":"ins_5","kty":"oct","k":"secret"},{"kid":6,"kty":"RSA","n":"a","e":"b"},
            "not a key"]}"#;
        let keys = parse_jwks::<SerdeJson>(body).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("ins_1"));
        assert!(parse_jwks::<SerdeJson>("{}").is_err() && parse_jwks::<SerdeJson>("<html>").is_err());
        assert!(parse_jwks::<SerdeJson>(r#"{"keys":[]}"#).unwrap().is_empty());
    }

    #[test]
    fn key_selection() {
        let keys = [k("ins_1", Some("RS256")), k("ins_2", None)];
        assert_eq!(select_key(&keys, Some("ins_1"), Alg::Rs256).unwrap().kid.as_deref(), Some("ins_1"));
        assert_eq!(select_key(&keys, Some("ins_2"), Alg::Rs512).unwrap().kid.as_deref(), Some("ins_2"));
        assert_eq!(select_key(&keys, Some("ins_1"), Alg::Rs384), Err(KeyLookup::AlgMismatch));
        assert_eq!(select_key(&keys, Some("ins_9"), Alg::Rs256), Err(KeyLookup::UnknownKid));
        assert_eq!(select_key(&keys, None, Alg::Rs256), Err(KeyLookup::UnknownKid));
        assert!(select_key(&keys[..1], None, Alg::Rs256).is_ok());
    }

    #[test]
    fn decide_fetches_when_empty_or_stale_and_refetches_unknown_kids_after_the_cooldown() {
        use JwksDecision::*;
        const STALE: f64 = DEFAULT_JWKS_MAX_STALE_MS as f64;
        let t0 = 1_000_000.0;
        let mut s = JwksState::default();
        assert_eq!(s.decide(t0, Some("ins_1"), Alg::Rs256, STALE), Fetch);
        s.fetched(vec![k("ins_1", Some("RS256"))], t0);
        assert_eq!(s.decide(t0, Some("ins_1"), Alg::Rs256, STALE), Use(k("ins_1", Some("RS256"))));
        assert_eq!(s.decide(t0, Some("ins_1"), Alg::Rs384, STALE), Reject, "alg mismatch never refetches");
        assert_eq!(
            s.decide(t0 + 29_999.0, Some("ins_9"), Alg::Rs256, STALE),
            Reject,
            "unknown kid within the cooldown"
        );
        assert_eq!(s.decide(t0 + 30_000.0, Some("ins_9"), Alg::Rs256, STALE), Fetch, "unknown kid after the cooldown");
        assert_eq!(s.decide(t0 + JWKS_TTL_MS - 1.0, Some("ins_1"), Alg::Rs256, STALE), Use(k("ins_1", Some("RS256"))));
        assert_eq!(s.decide(t0 + JWKS_TTL_MS, Some("ins_1"), Alg::Rs256, STALE), Fetch, "stale after the TTL");
        assert_eq!(
            s.decide(t0 - 1.0, Some("ins_1"), Alg::Rs256, STALE),
            Fetch,
            "a clock that went backwards refetches"
        );
        s.fetched(vec![], t0 + 40_000.0);
        assert_eq!(s.decide(t0 + 40_000.0, Some("ins_1"), Alg::Rs256, STALE), Reject, "just fetched: no second fetch");
    }

    #[test]
    fn while_refreshing_fails_the_last_good_keys_verify_for_max_stale_and_a_failure_waits_the_cooldown() {
        use JwksDecision::*;
        let (t0, stale) = (1_000_000.0, 3_600_000.0);
        let key = || Use(k("ins_1", Some("RS256")));
        let mut s = JwksState::default();
        s.failed(t0);
        assert_eq!(
            s.decide(t0 + 1.0, Some("ins_1"), Alg::Rs256, stale),
            Unavailable,
            "none yet, the fetch just failed"
        );
        assert_eq!(s.decide(t0 + 30_000.0, Some("ins_1"), Alg::Rs256, stale), Fetch, "after the cooldown: once more");
        s.fetched(vec![k("ins_1", Some("RS256"))], t0);
        let expired = t0 + JWKS_TTL_MS;
        assert_eq!(s.decide(expired, Some("ins_1"), Alg::Rs256, stale), Fetch, "stale: refresh");
        s.failed(expired);
        assert_eq!(s.decide(expired + 1.0, Some("ins_1"), Alg::Rs256, stale), key(), "the refresh failed: stale keys");
        assert_eq!(s.decide(expired + 29_999.0, Some("ins_1"), Alg::Rs256, stale), key(), "no fetch in the cooldown");
        assert_eq!(s.decide(expired + 29_999.0, Some("ins_9"), Alg::Rs256, stale), Reject);
        assert_eq!(s.decide(expired + 30_000.0, Some("ins_1"), Alg::Rs256, stale), Fetch, "one fetch per cooldown");
        s.failed(expired + stale - 1.0);
        assert_eq!(s.decide(expired + stale - 1.0, Some("ins_1"), Alg::Rs256, stale), key());
        assert_eq!(s.decide(expired + stale, Some("ins_1"), Alg::Rs256, stale), Unavailable, "past max stale");
        let mut strict = JwksState::default();
        strict.fetched(vec![k("ins_1", Some("RS256"))], t0);
        strict.failed(expired);
        assert_eq!(strict.decide(expired + 1.0, Some("ins_1"), Alg::Rs256, 0.0), Unavailable, "max stale 0: never");
    }

    #[test]
    fn pem_keys() {
        let der = parse_pem_public_key(TEST_PUBLIC_PEM).unwrap();
        assert_eq!(der.first(), Some(&0x30));
        assert_eq!(parse_pem_public_key(&TEST_PUBLIC_PEM.replace('\n', "\\n")).unwrap(), der);
        let body: String = TEST_PUBLIC_PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(parse_pem_public_key(&body).unwrap(), der);
        for bad in [
            "",
            "not a key",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMIIB",
        ] {
            assert!(matches!(parse_pem_public_key(bad), Err(Error::InvalidArgument { field: "jwtKey", .. })), "{bad}");
        }
    }
}
