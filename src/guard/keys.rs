//! Verification keys: the instance JWKS (parsing, key selection, when to refetch) and a PEM public key given as
//! `jwtKey`. Pure: importing a key into WebCrypto is [`crate::crypto`]'s job.

use super::jwt::Alg;
use crate::encoding::base64_decode;
use crate::error::Error;
use crate::json::{self, Value};

/// How long a fetched JWKS is trusted.
pub const JWKS_TTL_MS: f64 = 5.0 * 60.0 * 1000.0;
/// The shortest interval between two fetches caused by an unknown `kid`.
pub const JWKS_REFETCH_COOLDOWN_MS: f64 = 30_000.0;

/// An RSA signing key from the JWKS.
#[derive(Clone, Debug, PartialEq)]
pub struct RsaJwk {
    /// Key id (`ins_…`).
    pub kid: Option<String>,
    /// The algorithm the key is restricted to, when the JWKS says.
    pub alg: Option<String>,
    /// Modulus, base64url.
    pub n: String,
    /// Exponent, base64url.
    pub e: String,
}

/// The RSA signature keys of a JWKS document; other key types (and keys missing `n` or `e`) are ignored.
pub fn parse_jwks(body: &str) -> Result<Vec<RsaJwk>, Error> {
    let doc = json::parse(body);
    let keys = doc
        .as_ref()
        .and_then(|d| d.get("keys")?.as_array())
        .ok_or(Error::InvalidResponse { detail: "the JWKS is not a key set" })?;
    let text = |k: &Value<'_>, name: &str| k.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(keys
        .iter()
        .filter(|k| text(k, "kty").as_deref() == Some("RSA") && text(k, "use").is_none_or(|u| u == "sig"))
        .filter_map(|k| Some(RsaJwk { kid: text(k, "kid"), alg: text(k, "alg"), n: text(k, "n")?, e: text(k, "e")? }))
        .collect())
}

/// Why no key fits a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyLookup {
    /// No key has the token's `kid` (a refetch may help).
    UnknownKid,
    /// The key's `alg` differs from the token's (the token is invalid).
    AlgMismatch,
}

/// The key for a token's `kid` and `alg`. Without a `kid`, only a set holding exactly one key answers.
pub fn select_key<'a>(keys: &'a [RsaJwk], kid: Option<&str>, alg: Alg) -> Result<&'a RsaJwk, KeyLookup> {
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

/// When a cached JWKS must be fetched again.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct JwksClock {
    /// When the keys in hand were fetched (`None`: no keys yet).
    pub fetched_at_ms: Option<f64>,
}

impl JwksClock {
    /// True when there are no keys, or they are older than [`JWKS_TTL_MS`].
    pub fn is_stale(&self, now_ms: f64) -> bool {
        self.fetched_at_ms.is_none_or(|t| now_ms - t >= JWKS_TTL_MS || now_ms < t)
    }

    /// True when an unknown `kid` may trigger a fetch: the keys are at least [`JWKS_REFETCH_COOLDOWN_MS`] old.
    pub fn may_refetch_for_unknown_kid(&self, now_ms: f64) -> bool {
        self.fetched_at_ms.is_none_or(|t| now_ms - t >= JWKS_REFETCH_COOLDOWN_MS || now_ms < t)
    }
}

/// The DER (SubjectPublicKeyInfo) of an RSA public key given as PEM (`-----BEGIN PUBLIC KEY-----`), or as its
/// bare base64 body. Literal `\n` sequences (common in environment variables) count as line breaks.
pub fn parse_pem_public_key(pem: &str) -> Result<Vec<u8>, Error> {
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
    let der = base64_decode(body).ok_or(Error::invalid("jwtKey", EXPECTED))?;
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

    /// A 2048-bit RSA public key (SPKI PEM) whose private half signs the fixtures of the guard's tests.
    pub const TEST_PUBLIC_PEM: &str = include_str!("../../tests/fixtures/test-rsa-public.pem");

    #[test]
    fn jwks_keeps_rsa_signature_keys() {
        let body = r#"{"keys":[{"kid":"ins_1","kty":"RSA","alg":"RS256","use":"sig","n":"AQAB","e":"AQAB"},
            {"kid":"ins_2","kty":"EC","crv":"P-256","x":"a","y":"b"},{"kid":"ins_3","kty":"RSA","use":"enc","n":"a","e":"b"},
            {"kid":"ins_4","kty":"RSA"},{"kid":"ins_5","kty":"oct","k":"secret"}]}"#;
        let keys = parse_jwks(body).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("ins_1"));
        assert!(parse_jwks("{}").is_err() && parse_jwks("<html>").is_err());
        assert!(parse_jwks(r#"{"keys":[]}"#).unwrap().is_empty());
    }

    #[test]
    fn key_selection() {
        let k = |kid: &str, alg: Option<&str>| RsaJwk {
            kid: Some(kid.into()),
            alg: alg.map(Into::into),
            n: "n".into(),
            e: "e".into(),
        };
        let keys = [k("ins_1", Some("RS256")), k("ins_2", None)];
        assert_eq!(select_key(&keys, Some("ins_1"), Alg::Rs256).unwrap().kid.as_deref(), Some("ins_1"));
        assert_eq!(select_key(&keys, Some("ins_2"), Alg::Rs512).unwrap().kid.as_deref(), Some("ins_2"));
        assert_eq!(select_key(&keys, Some("ins_1"), Alg::Rs384), Err(KeyLookup::AlgMismatch));
        assert_eq!(select_key(&keys, Some("ins_9"), Alg::Rs256), Err(KeyLookup::UnknownKid));
        assert_eq!(select_key(&keys, None, Alg::Rs256), Err(KeyLookup::UnknownKid));
        assert!(select_key(&keys[..1], None, Alg::Rs256).is_ok());
    }

    #[test]
    fn refetch_policy() {
        let none = JwksClock::default();
        assert!(none.is_stale(0.0) && none.may_refetch_for_unknown_kid(0.0));
        let c = JwksClock { fetched_at_ms: Some(1_000_000.0) };
        assert!(!c.is_stale(1_000_000.0 + JWKS_TTL_MS - 1.0));
        assert!(c.is_stale(1_000_000.0 + JWKS_TTL_MS));
        assert!(!c.may_refetch_for_unknown_kid(1_000_000.0 + 29_999.0));
        assert!(c.may_refetch_for_unknown_kid(1_000_000.0 + 30_000.0));
        assert!(c.is_stale(999_000.0), "a clock that went backwards refetches");
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
