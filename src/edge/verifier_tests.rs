//! Native, table-driven tests of the guard: every header form, every JWT rule, JWKS refetch policy, the cache
//! (TTL, negative results, shared store) with an injected clock. WebCrypto is replaced by a native RSA verifier
//! and the network by a scripted transport that counts every call.

use super::*;
use crate::core::config::Config;
use crate::core::encoding::base64url_decode;
use crate::core::guard::cache::MIN_STORE_TTL_S;
use crate::core::guard::jwks;
use crate::core::guard::jwt::tests::b64url;
use crate::core::guard::{DEFAULT_CACHE_TTL_MS, DEFAULT_NEGATIVE_CACHE_TTL_MS};
use crate::core::http::{HttpResponse, TransportError};
use crate::core::sealed::SealKey;
use crate::edge::client::tests::{block_on, json, token_json, Scripted};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier as _};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use serde_json::json as value;
use std::collections::HashMap;

const PRIVATE_PEM: &str = include_str!("../../tests/fixtures/test-rsa-private-pkcs8.pem");
const PUBLIC_PEM: &str = include_str!("../../tests/fixtures/test-rsa-public.pem");
const GATEWAY: &str = "mch_gateway00000000000000000000";
const BILLING: &str = "mch_billing00000000000000000000";
const OUTSIDER: &str = "mch_outsider0000000000000000000";
const KID: &str = "ins_test";
const NOW_S: i64 = 1_000; // the scripted transport's clock starts at 1 000 000 ms

struct NativeRsa;

impl Crypto for NativeRsa {
    type Key = RsaPublicKey;
    async fn import_rsa_jwk(&self, key: &RsaJwk, _alg: Alg) -> Option<RsaPublicKey> {
        let n = base64url_decode(&key.n)?;
        let e = base64url_decode(&key.e)?;
        RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).ok()
    }
    async fn import_rsa_spki(&self, der: &[u8], _alg: Alg) -> Option<RsaPublicKey> {
        RsaPublicKey::from_public_key_der(der).ok()
    }
    async fn verify_rsa(&self, alg: Alg, key: &RsaPublicKey, signature: &[u8], data: &[u8]) -> bool {
        let Ok(sig) = Signature::try_from(signature) else { return false };
        match alg {
            Alg::Rs256 => VerifyingKey::<sha2::Sha256>::new(key.clone()).verify(data, &sig).is_ok(),
            Alg::Rs384 => VerifyingKey::<sha2::Sha384>::new(key.clone()).verify(data, &sig).is_ok(),
            Alg::Rs512 => VerifyingKey::<sha2::Sha512>::new(key.clone()).verify(data, &sig).is_ok(),
        }
    }
}

/// A store anyone can write: what it answers is whatever was put, or what `forged` says for every key.
#[derive(Default)]
struct MemStore {
    entries: RefCell<HashMap<String, String>>,
    ttls: RefCell<Vec<u32>>,
    gets: std::cell::Cell<usize>,
    forged: Option<String>,
}

impl SharedStore for MemStore {
    async fn get(&self, key: &str) -> Option<String> {
        self.gets.set(self.gets.get() + 1);
        self.forged.clone().or_else(|| self.entries.borrow().get(key).cloned())
    }
    async fn put(&self, key: &str, value: String, ttl_seconds: u32) {
        self.ttls.borrow_mut().push(ttl_seconds);
        self.entries.borrow_mut().insert(key.to_owned(), value);
    }
}

/// Settings that accept tokens for any machine (most tests are about something else than the receiver).
fn any_machine() -> GuardSettings {
    GuardSettings { allow_any_machine: true, ..GuardSettings::default() }
}

fn private_key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(PRIVATE_PEM).unwrap()
}

/// A token signed with the test key; the header's `alg` picks the hash.
fn signed(header: &str, claims: &str) -> String {
    let input = format!("{}.{}", b64url(header.as_bytes()), b64url(claims.as_bytes()));
    let key = private_key();
    let sig = if header.contains("RS384") {
        SigningKey::<sha2::Sha384>::new(key).sign(input.as_bytes()).to_vec()
    } else if header.contains("RS512") {
        SigningKey::<sha2::Sha512>::new(key).sign(input.as_bytes()).to_vec()
    } else {
        SigningKey::<sha2::Sha256>::new(key).sign(input.as_bytes()).to_vec()
    };
    format!("{input}.{}", b64url(&sig))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use sha2::{Digest as _, Sha256};
    let mut k = [0u8; 64];
    k[..32].copy_from_slice(&Sha256::digest(key));
    let pad = |byte: u8| k.map(|b| b ^ byte);
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(data).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

const HEADER: &str = r#"{"alg":"RS256","typ":"JWT","kid":"ins_test","cat":"cl_B7d4PD333AAA"}"#;

fn claims(extra: &str) -> String {
    format!(
        r#"{{"jti":"mt_0123456789abcdef0123456789abcdef","sub":"{GATEWAY}","iat":{iat},"nbf":{iat},"exp":{exp},"aud":["{BILLING}"],"scopes":"{BILLING}","role":"reader"{extra}}}"#,
        iat = NOW_S - 10,
        exp = NOW_S + 600
    )
}

fn jwks_body(kid: &str) -> String {
    let key = private_key();
    format!(
        r#"{{"keys":[{{"kid":"{kid}","kty":"RSA","alg":"RS256","use":"sig","n":"{}","e":"{}"}}]}}"#,
        b64url(&key.n().to_bytes_be()),
        b64url(&key.e().to_bytes_be())
    )
}

/// A verifier with the store each of its calls shares verdicts through.
struct TestVerifier<'s> {
    inner: Verifier<Scripted, NativeRsa>,
    store: Option<&'s MemStore>,
}

impl std::ops::Deref for TestVerifier<'_> {
    type Target = Verifier<Scripted, NativeRsa>;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl TestVerifier<'_> {
    async fn verify_request(&self, authorization: Option<&str>) -> Result<Outcome, Error> {
        self.inner.verify_request(authorization, self.store).await
    }
}

fn verifier<'s>(
    cfg: Config,
    settings: GuardSettings,
    answers: Vec<Result<HttpResponse, TransportError>>,
    store: Option<&'s MemStore>,
    state: Rc<RefCell<GuardState<RsaPublicKey>>>,
) -> TestVerifier<'s> {
    let cfg = Config { api_url: "http://127.0.0.1:1".into(), ..cfg };
    let client = Rc::new(Client::with_transport(cfg, Scripted::new(answers)).unwrap());
    TestVerifier { inner: Verifier::new(client, NativeRsa, state, settings).unwrap(), store }
}

fn with_jwt_key(settings: GuardSettings) -> TestVerifier<'static> {
    verifier(
        Config::default(),
        GuardSettings { jwt_key: Some(PUBLIC_PEM.into()), ..settings },
        vec![],
        None,
        Rc::default(),
    )
}

fn secret_only(answers: Vec<Result<HttpResponse, TransportError>>) -> TestVerifier<'static> {
    verifier(
        Config { secret_key: Some("sk_test_x".into()), ..Config::default() },
        any_machine(),
        answers,
        None,
        Rc::default(),
    )
}

fn machine_key(settings: GuardSettings, answers: Vec<Result<HttpResponse, TransportError>>) -> TestVerifier<'static> {
    verifier(
        Config { machine_secret_key: Some("ak_billing".into()), ..Config::default() },
        settings,
        answers,
        None,
        Rc::default(),
    )
}

fn check(v: &TestVerifier<'_>, token: &str) -> Result<Identity, Reason> {
    match block_on(v.verify_request(Some(&format!("Bearer {token}")))).unwrap() {
        Outcome::SignedIn(identity) => Ok(identity),
        Outcome::SignedOut(rejection) => Err(rejection.reason),
    }
}

fn sent(v: &TestVerifier<'_>) -> usize {
    v.client().transport().sent.borrow().len()
}

fn advance(v: &TestVerifier<'_>, ms: f64) {
    let now = &v.client().transport().now;
    now.set(now.get() + ms);
}

#[test]
fn every_jwt_rule_with_a_pem_key_and_no_network() {
    let public_pem_bytes = PUBLIC_PEM.as_bytes();
    let hs_input = format!("{}.{}", b64url(br#"{"alg":"HS256","typ":"JWT"}"#), b64url(claims("").as_bytes()));
    let hs256_with_public_key = format!("{hs_input}.{}", b64url(&hmac_sha256(public_pem_bytes, hs_input.as_bytes())));
    let jwks = jwks_body(KID);
    let jwk_bytes = jwks.trim_start_matches(r#"{"keys":["#).trim_end_matches("]}").as_bytes();
    let hs256_with_jwk = format!("{hs_input}.{}", b64url(&hmac_sha256(jwk_bytes, hs_input.as_bytes())));
    let none = format!("{}.{}.", b64url(br#"{"alg":"none"}"#), b64url(claims("").as_bytes()));
    let good = signed(HEADER, &claims(""));
    let mut bad_signature = good.clone();
    bad_signature.replace_range(bad_signature.len() - 6.., "AAAAAA");
    let no_exp = claims("").replace(&format!(r#","exp":{}"#, NOW_S + 600), "");
    let cases: Vec<(&str, String, Result<(), Reason>)> = vec![
        ("valid RS256", good.clone(), Ok(())),
        ("valid RS384", signed(&HEADER.replace("RS256", "RS384"), &claims("")), Ok(())),
        ("valid RS512", signed(&HEADER.replace("RS256", "RS512"), &claims("")), Ok(())),
        ("no cat, no typ (older tokens)", signed(r#"{"alg":"RS256","kid":"ins_test"}"#, &claims("")), Ok(())),
        ("alg none", none, Err(Reason::TokenInvalid)),
        ("HS256 with the public key as secret", hs256_with_public_key, Err(Reason::TokenInvalid)),
        ("wrong cat", signed(&HEADER.replace("cl_B7d4PD333AAA", "cl_session"), &claims("")), Err(Reason::TokenInvalid)),
        (
            "wrong typ",
            signed(&HEADER.replace(r#""typ":"JWT""#, r#""typ":"at+jwt""#), &claims("")),
            Err(Reason::TokenInvalid),
        ),
        (
            "crit, signed with the real key",
            signed(&HEADER.replace(r#""typ":"JWT""#, r#""typ":"JWT","crit":["b64"],"b64":false"#), &claims("")),
            Err(Reason::TokenInvalid),
        ),
        (
            "ES256 header, a real RS256 signature",
            signed(&HEADER.replace("RS256", "ES256"), &claims("")),
            Err(Reason::TokenInvalid),
        ),
        ("HS256 with the JWK as secret", hs256_with_jwk, Err(Reason::TokenInvalid)),
        ("missing exp", signed(HEADER, &no_exp), Err(Reason::TokenInvalid)),
        (
            "expired",
            signed(HEADER, &claims("").replace(&(NOW_S + 600).to_string(), &(NOW_S - 60).to_string())),
            Err(Reason::TokenExpired),
        ),
        (
            "future nbf",
            signed(
                HEADER,
                &claims("").replacen(&format!(r#""nbf":{}"#, NOW_S - 10), &format!(r#""nbf":{}"#, NOW_S + 60), 1),
            ),
            Err(Reason::TokenInvalid),
        ),
        ("bad signature", bad_signature, Err(Reason::TokenInvalid)),
        (
            // The signature is checked before any claim: a forgery is invalid, whatever its claims say.
            "bad signature and expired",
            {
                let expired =
                    signed(HEADER, &claims("").replace(&(NOW_S + 600).to_string(), &(NOW_S - 60).to_string()));
                let (input, _) = expired.rsplit_once('.').unwrap();
                format!("{input}.{}", b64url(&[7u8; 256]))
            },
            Err(Reason::TokenInvalid),
        ),
        (
            "bad signature, future nbf and a user subject",
            {
                let forged = claims("").replace(GATEWAY, "user_2abcdefghijklmnopqrstuvwxyz").replacen(
                    &format!(r#""nbf":{}"#, NOW_S - 10),
                    &format!(r#""nbf":{}"#, NOW_S + 60),
                    1,
                );
                format!("{}.{}.{}", b64url(HEADER.as_bytes()), b64url(forged.as_bytes()), b64url(&[7u8; 256]))
            },
            Err(Reason::TokenTypeMismatch),
        ),
        (
            "bad base64",
            format!("{}.{}!.sig", b64url(HEADER.as_bytes()), b64url(claims("").as_bytes())),
            Err(Reason::TokenMalformed),
        ),
        (
            "non-mch sub",
            signed(HEADER, &claims("").replace(GATEWAY, "user_2abcdefghijklmnopqrstuvwxyz")),
            Err(Reason::TokenTypeMismatch),
        ),
        (
            "signed by another key",
            {
                let other =
                    RsaPrivateKey::from_pkcs8_pem(include_str!("../../tests/fixtures/other-rsa-private-pkcs8.pem"))
                        .unwrap();
                let input = format!("{}.{}", b64url(HEADER.as_bytes()), b64url(claims("").as_bytes()));
                format!("{input}.{}", b64url(&SigningKey::<sha2::Sha256>::new(other).sign(input.as_bytes()).to_vec()))
            },
            Err(Reason::TokenInvalid),
        ),
    ];
    let v = with_jwt_key(any_machine());
    for (name, token, expected) in cases {
        let got = check(&v, &token).map(|_| ());
        assert_eq!(got, expected, "{name}");
    }
    assert_eq!(sent(&v), 0, "a PEM jwtKey verifies without any network");

    let identity = check(&v, &good).unwrap();
    assert_eq!(
        (identity.token_format, identity.subject.as_str(), identity.scopes.as_slice()),
        (TokenFormat::Jwt, GATEWAY, [BILLING.to_owned()].as_slice())
    );
    assert_eq!(
        identity.claims,
        Some(value!({"aud": [BILLING], "scopes": BILLING, "role": "reader"})),
        "claims: every claim but iss, sub, exp, nbf, iat and jti"
    );
    assert_eq!(identity.expiration, Some((NOW_S + 600) * 1000));
}

#[test]
fn machine_id_must_be_in_the_scopes() {
    let token = signed(HEADER, &claims(""));
    let for_billing = with_jwt_key(GuardSettings { machine_id: Some(BILLING.into()), ..Default::default() });
    assert!(check(&for_billing, &token).is_ok());
    let for_outsider = with_jwt_key(GuardSettings { machine_id: Some(OUTSIDER.into()), ..Default::default() });
    assert_eq!(check(&for_outsider, &token).unwrap_err(), Reason::MachineNotInScope);
    let aud_only = signed(HEADER, &claims("").replace(&format!(r#","scopes":"{BILLING}""#), ""));
    assert!(check(&for_billing, &aud_only).is_ok(), "aud grants access when scopes is absent");
    let opaque = machine_key(
        GuardSettings { machine_id: Some(OUTSIDER.into()), ..Default::default() },
        vec![json(200, &token_json(&format!(r#"{{"scopes":["{BILLING}"]}}"#)))],
    );
    assert_eq!(check(&opaque, "mt_opaque").unwrap_err(), Reason::MachineNotInScope);
}

#[test]
fn jwks_is_fetched_once_and_refetched_for_unknown_kids_at_most_every_30_seconds() {
    let v = secret_only(vec![json(200, &jwks_body(KID)), json(200, &jwks_body(KID)), json(200, &jwks_body(KID))]);
    let token = signed(HEADER, &claims(""));
    assert!(check(&v, &token).is_ok());
    assert_eq!(sent(&v), 1);
    assert!(v.client().transport().sent.borrow()[0].url.ends_with("/v1/jwks"));
    let second = signed(HEADER, &claims(r#","n":2"#));
    assert!(check(&v, &second).is_ok());
    assert_eq!(sent(&v), 1, "a second token reuses the JWKS and the imported key");

    let unknown = |n: u32| signed(&HEADER.replace(KID, "ins_rotated"), &claims(&format!(r#","n":{n}"#)));
    assert_eq!(check(&v, &unknown(1)).unwrap_err(), Reason::TokenInvalid);
    assert_eq!(sent(&v), 1, "the keys are fresher than 30 s: no refetch");
    advance(&v, 31_000.0);
    assert_eq!(check(&v, &unknown(2)).unwrap_err(), Reason::TokenInvalid);
    assert_eq!(sent(&v), 2, "an unknown kid refetches once the cooldown passed");
    assert_eq!(check(&v, &unknown(3)).unwrap_err(), Reason::TokenInvalid);
    assert_eq!(sent(&v), 2);
    advance(&v, jwks::JWKS_TTL_MS);
    assert!(check(&v, &signed(HEADER, &claims(r#","n":4"#))).is_ok());
    assert_eq!(sent(&v), 3, "a JWKS older than 5 minutes is fetched again");
}

#[test]
fn jwks_failures_are_never_a_success() {
    let down =
        secret_only(vec![Err(TransportError::Network), Err(TransportError::Network), Err(TransportError::Network)]);
    assert_eq!(check(&down, &signed(HEADER, &claims(""))).unwrap_err(), Reason::UpstreamUnavailable);
    let refused = secret_only(vec![json(401, "{}")]);
    assert_eq!(check(&refused, &signed(HEADER, &claims(""))).unwrap_err(), Reason::SecretKeyInvalid);
    let garbage = secret_only(vec![json(200, "<html>")]);
    assert_eq!(check(&garbage, &signed(HEADER, &claims(""))).unwrap_err(), Reason::UpstreamUnavailable);
}

#[test]
fn opaque_results_are_cached_until_the_ttl() {
    let v = machine_key(any_machine(), vec![json(200, &token_json("")), json(200, &token_json(r#"{"revoked":true}"#))]);
    for _ in 0..100 {
        assert!(check(&v, "mt_good").is_ok());
    }
    assert_eq!(sent(&v), 1, "one verify call per token per TTL");
    advance(&v, f64::from(DEFAULT_CACHE_TTL_MS) - 1.0);
    assert!(check(&v, "mt_good").is_ok());
    advance(&v, 1.0);
    assert_eq!(check(&v, "mt_good").unwrap_err(), Reason::TokenRevoked, "revocation is seen once the TTL passes");
    assert_eq!(sent(&v), 2);
}

#[test]
fn a_token_expiring_before_the_ttl_is_cached_only_until_it_expires() {
    let v = machine_key(any_machine(), vec![json(200, &token_json(r#"{"expiration":1010000}"#)), json(404, "{}")]);
    assert!(check(&v, "mt_short").is_ok());
    advance(&v, 9_999.0);
    assert!(check(&v, "mt_short").is_ok());
    assert_eq!(sent(&v), 1);
    advance(&v, 1.0);
    assert_eq!(check(&v, "mt_short").unwrap_err(), Reason::TokenInvalid);
    assert_eq!(sent(&v), 2);
}

#[test]
fn definitive_rejections_are_cached_for_the_negative_ttl() {
    let v = machine_key(any_machine(), vec![json(404, "{}"), json(404, "{}")]);
    for _ in 0..1_000 {
        assert_eq!(check(&v, "mt_bad").unwrap_err(), Reason::TokenInvalid);
    }
    assert_eq!(sent(&v), 1, "1,000 requests with one bad token cost one call");
    advance(&v, f64::from(DEFAULT_NEGATIVE_CACHE_TTL_MS));
    assert_eq!(check(&v, "mt_bad").unwrap_err(), Reason::TokenInvalid);
    assert_eq!(sent(&v), 2);
}

#[test]
fn upstream_failures_are_503_and_not_cached() {
    let v = machine_key(
        any_machine(),
        vec![Err(TransportError::Network), Err(TransportError::Timeout), json(503, "{}"), json(200, &token_json(""))],
    );
    match block_on(v.verify_request(Some("Bearer mt_x"))).unwrap() {
        Outcome::SignedOut(r) => {
            assert_eq!((r.reason, r.status(), r.retry_after_header()), (Reason::UpstreamUnavailable, 503, Some(5)))
        }
        Outcome::SignedIn(_) => panic!("an unavailable Clerk must never let a request in"),
    }
    assert!(check(&v, "mt_x").is_ok(), "nothing was cached: the next request asks again");
    let refused = machine_key(any_machine(), vec![json(401, "{}")]);
    assert_eq!(check(&refused, "mt_x").unwrap_err(), Reason::SecretKeyInvalid);
    let mut limited = json(429, "{}").unwrap();
    limited.headers.push(("retry-after".into(), "30".into()));
    let v = machine_key(any_machine(), vec![Ok(limited)]);
    match block_on(v.verify_request(Some("Bearer mt_x"))).unwrap() {
        Outcome::SignedOut(r) => assert_eq!(r.retry_after_header(), Some(30)),
        Outcome::SignedIn(_) => panic!(),
    }
}

#[test]
fn refusals_without_any_call() {
    let v = machine_key(any_machine(), vec![]);
    let cases = [
        (None, Reason::TokenMissing),
        (Some("Basic dXNlcjpwYXNz"), Reason::TokenMissing),
        (Some("Bearer mt_a mt_b"), Reason::TokenMalformed),
        (Some("Bearer mt_a.b"), Reason::TokenMalformed),
        (Some("Bearer ak_live_123"), Reason::TokenTypeMismatch),
        (Some("Bearer oat_123"), Reason::TokenTypeMismatch),
        (Some("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2ln"), Reason::TokenTypeMismatch),
    ];
    for (header, reason) in cases {
        match block_on(v.verify_request(header)).unwrap() {
            Outcome::SignedOut(r) => assert_eq!(r.reason, reason, "{header:?}"),
            Outcome::SignedIn(_) => panic!("{header:?}"),
        }
    }
    assert_eq!(
        check(&v, &signed(HEADER, &claims(""))).unwrap_err(),
        Reason::TokenTypeMismatch,
        "JWTs need jwtKey or secretKey"
    );
    let jwt_only = with_jwt_key(any_machine());
    assert_eq!(check(&jwt_only, "mt_abc").unwrap_err(), Reason::TokenTypeMismatch, "opaque tokens need an API key");
    assert_eq!(sent(&v) + sent(&jwt_only), 0);
}

#[test]
fn a_guard_that_does_not_say_which_machine_receives_refuses_before_any_request() {
    let unset = machine_key(GuardSettings::default(), vec![json(200, &token_json(""))]);
    let err = block_on(unset.verify_request(Some("Bearer mt_any"))).unwrap_err();
    assert_eq!((err.code(), err.field()), ("invalid_argument", Some("machineId")));
    let jwt = with_jwt_key(GuardSettings::default());
    assert!(block_on(jwt.verify_request(Some(&format!("Bearer {}", signed(HEADER, &claims("")))))).is_err());
    assert_eq!(sent(&unset), 0, "nothing is sent");
    let explicit = machine_key(any_machine(), vec![json(200, &token_json(""))]);
    assert!(check(&explicit, "mt_any").is_ok(), "allow_any_machine says it");
}

#[test]
fn misconfiguration_is_an_error() {
    let client = || Rc::new(Client::with_transport(Config::default(), Scripted::new(vec![])).unwrap());
    let state: Rc<RefCell<GuardState<RsaPublicKey>>> = Rc::default();
    let new = |settings| Verifier::new(client(), NativeRsa, state.clone(), settings).map(|_| ());
    assert!(matches!(new(any_machine()), Err(Error::MissingKey)));
    assert!(matches!(
        new(GuardSettings { jwt_key: Some("nope".into()), ..Default::default() }),
        Err(Error::InvalidArgument { field: "jwtKey", .. })
    ));
    assert!(new(GuardSettings { jwt_key: Some(PUBLIC_PEM.into()), ..Default::default() }).is_ok());
    let bad_machine =
        GuardSettings { jwt_key: Some(PUBLIC_PEM.into()), machine_id: Some("mch_x".into()), ..Default::default() };
    assert!(matches!(new(bad_machine), Err(Error::InvalidArgument { field: "machineId", .. })));
}

#[test]
fn the_shared_store_serves_other_isolates_and_never_holds_the_token() {
    let store = MemStore::default();
    let cfg = || Config { machine_secret_key: Some("ak_billing".into()), ..Config::default() };
    let first = verifier(cfg(), any_machine(), vec![json(200, &token_json(""))], Some(&store), Rc::default());
    assert!(check(&first, "mt_shared_token_value").is_ok());
    assert_eq!(sent(&first), 1);
    let second = verifier(cfg(), any_machine(), vec![], Some(&store), Rc::default());
    assert_eq!(check(&second, "mt_shared_token_value").unwrap().subject, "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk");
    assert_eq!(sent(&second), 0, "a second isolate reuses the stored result");
    let entries = store.entries.borrow();
    let (key, value) = entries.iter().next().unwrap();
    assert!(key.starts_with("clerk-m2m-edge:v2:") && key.len() == 18 + 64);
    assert!(!key.contains("mt_shared") && !value.contains("mt_shared_token_value") && !value.contains("ak_billing"));
    assert_eq!(*store.ttls.borrow(), [MIN_STORE_TTL_S], "KV's 60 s minimum; the entry carries its own 30 s deadline");
    drop(entries);
    advance(&second, 30_001.0);
    let third = verifier(cfg(), any_machine(), vec![json(404, "{}")], Some(&store), Rc::default());
    advance(&third, 30_001.0);
    assert_eq!(
        check(&third, "mt_shared_token_value").unwrap_err(),
        Reason::TokenInvalid,
        "an expired stored entry is a miss"
    );
}

/// What an attacker who can write the store (any Worker bound to the KV namespace) would put there.
fn forged_entries(victim: &MemStore) -> Vec<(&'static str, String)> {
    let identity = r#"{"tokenFormat":"opaque","id":"mt_f7f0ba8c3b4843ce7d85fcdd5e71853e","subject":"mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk","scopes":["mch_billing00000000000000000000"],"claims":{"admin":true},"expiration":null}"#;
    let (real_key, real) = victim.entries.borrow().iter().next().map(|(k, v)| (k.clone(), v.clone())).unwrap();
    let other_secret = SealKey::derive(&Secret::from("ak_attacker"));
    let body = format!(r#"{{"verified_at":1000000,"until":9000000000000000,"identity":{identity}}}"#);
    vec![
        ("v1's unsealed shape", format!(r#"{{"until":9000000000000000,"identity":{identity}}}"#)),
        ("sealed under another secret", other_secret.seal(&real_key, &body)),
        ("a real entry, edited", real.replace("mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "mch_outsider0000000000000000000")),
        ("a real entry with its deadline extended", real.replace(r#""until":1030000"#, r#""until":9000000000000000"#)),
        ("a real entry of another token (copied to this key)", real),
    ]
}

#[test]
fn a_forged_copied_or_edited_store_entry_signs_nobody_in() {
    let cfg = || Config { machine_secret_key: Some("ak_billing".into()), ..Config::default() };
    let honest = MemStore::default();
    let writer = verifier(cfg(), any_machine(), vec![json(200, &token_json(""))], Some(&honest), Rc::default());
    assert!(check(&writer, "mt_some_other_token").is_ok());
    for (what, entry) in forged_entries(&honest) {
        crate::edge::store::reset_refused();
        let store = MemStore { forged: Some(entry), ..MemStore::default() };
        let v = verifier(cfg(), any_machine(), vec![json(404, "{}")], Some(&store), Rc::default());
        assert_eq!(check(&v, "mt_made_up_BBBBBBBBBBBBBBBBBBBBBB"), Err(Reason::TokenInvalid), "{what}");
        assert_eq!(sent(&v), 1, "{what}: Clerk decides, not the store");
        assert_eq!(crate::edge::store::refused_entries(), 1, "{what}: counted");
    }
}

#[test]
fn a_guard_without_a_secret_and_jwt_and_negative_verdicts_never_touch_the_store() {
    let store = MemStore { forged: Some("anything".into()), ..MemStore::default() };
    let unsigned = format!("{}.{}.", b64url(br#"{"alg":"none"}"#), b64url(claims("").as_bytes()));
    let pem_only = verifier(
        Config::default(),
        GuardSettings { jwt_key: Some(PUBLIC_PEM.into()), ..any_machine() },
        vec![],
        Some(&store),
        Rc::default(),
    );
    assert_eq!(check(&pem_only, &unsigned), Err(Reason::TokenInvalid));
    assert!(check(&pem_only, &signed(HEADER, &claims(""))).is_ok());
    assert_eq!(store.gets.get(), 0, "a jwtKey-only guard has no secret to open entries with: it reads none");

    let store = MemStore::default();
    let with_secret = verifier(
        Config { secret_key: Some("sk_test_x".into()), ..Config::default() },
        any_machine(),
        vec![json(200, &jwks_body(KID)), json(404, "{}")],
        Some(&store),
        Rc::default(),
    );
    assert!(check(&with_secret, &signed(HEADER, &claims(""))).is_ok());
    assert_eq!(check(&with_secret, "mt_junk"), Err(Reason::TokenInvalid));
    assert_eq!(
        (store.gets.get(), store.entries.borrow().len()),
        (1, 0),
        "JWT: no read, no write; junk: one read, no write"
    );
}

#[test]
fn a_verdict_cached_by_one_guard_serves_another_only_within_its_own_ttl() {
    let state: Rc<RefCell<GuardState<RsaPublicKey>>> = Rc::default();
    let cfg = || Config { machine_secret_key: Some("ak_billing".into()), ..Config::default() };
    let long = GuardSettings { cache_ttl_ms: 300_000, ..any_machine() };
    let short = GuardSettings { cache_ttl_ms: 1_000, ..any_machine() };
    let a = verifier(cfg(), long, vec![json(200, &token_json(""))], None, state.clone());
    let b = verifier(cfg(), short, vec![json(404, "{}")], None, state);
    assert!(check(&a, "mt_revoked_later").is_ok());
    b.client().transport().now.set(a.client().transport().now.get() + 1_500.0);
    assert_eq!(check(&b, "mt_revoked_later"), Err(Reason::TokenInvalid), "B asks Clerk: the token was revoked");
    assert_eq!(sent(&b), 1);
}

#[test]
fn cache_keys_separate_configurations_and_cache_false_disables_caching() {
    let a = machine_key(any_machine(), vec![]);
    let b = verifier(
        Config { machine_secret_key: Some("ak_other".into()), ..Config::default() },
        any_machine(),
        vec![],
        None,
        Rc::default(),
    );
    assert_ne!(a.cache_key("mt_x"), b.cache_key("mt_x"));
    assert_ne!(a.cache_key("mt_x"), a.cache_key("mt_y"));
    let off = machine_key(
        GuardSettings { cache: false, ..any_machine() },
        vec![json(200, &token_json("")), json(200, &token_json(""))],
    );
    assert!(check(&off, "mt_x").is_ok() && check(&off, "mt_x").is_ok());
    assert_eq!(sent(&off), 2);
}

#[test]
fn verify_token_takes_the_local_path_for_m2m_jwts() {
    let v = with_jwt_key(any_machine());
    let t = block_on(v.verify_token(&Secret::new(signed(HEADER, &claims(""))))).unwrap();
    assert_eq!((t.id.as_str(), t.subject.as_str(), t.revoked), ("mt_0123456789abcdef0123456789abcdef", GATEWAY, false));
    let expired = signed(HEADER, &claims("").replace(&(NOW_S + 600).to_string(), &(NOW_S - 60).to_string()));
    assert!(matches!(
        block_on(v.verify_token(&Secret::new(expired))),
        Err(Error::TokenInvalid { reason: Reason::TokenExpired })
    ));
    assert_eq!(sent(&v), 0);
    let api = machine_key(any_machine(), vec![json(200, &token_json(""))]);
    let jwt = signed(HEADER, &claims(""));
    assert!(matches!(
        block_on(api.verify_token(&Secret::new(jwt.clone()))),
        Err(Error::TokenInvalid { reason: Reason::TokenTypeMismatch })
    ));
    assert_eq!(check(&api, &jwt), Err(Reason::TokenTypeMismatch), "one rule for verify and the guard");
    assert_eq!(sent(&api), 0, "without jwtKey or secretKey a JWT is never sent to Clerk");
}

#[test]
fn jwks_down_past_its_ttl_the_last_good_keys_verify_and_an_outage_costs_one_fetch_per_cooldown() {
    let cfg = Config { secret_key: Some("sk_test_x".into()), max_retries: 0, ..Config::default() };
    let v = verifier(
        cfg,
        GuardSettings { cache: false, ..any_machine() },
        vec![json(200, &jwks_body(KID))],
        None,
        Rc::default(),
    );
    let long_lived = signed(HEADER, &claims("").replace(&(NOW_S + 600).to_string(), &(NOW_S + 10_000).to_string()));
    assert!(check(&v, &long_lived).is_ok());
    assert_eq!(sent(&v), 1);
    advance(&v, jwks::JWKS_TTL_MS); // stale now, and every fetch from here on fails
    for _ in 0..1000 {
        assert!(check(&v, &long_lived).is_ok(), "the last good keys keep verifying");
        advance(&v, 100.0);
    }
    let fetches = sent(&v) - 1;
    assert!((1..=5).contains(&fetches), "100 s of outage, one fetch per 30 s cooldown: {fetches}");
    advance(&v, f64::from(jwks::DEFAULT_JWKS_MAX_STALE_MS));
    assert_eq!(check(&v, &long_lived), Err(Reason::UpstreamUnavailable), "past jwksMaxStaleMs: 503, never a pass");
    let before = sent(&v);
    for _ in 0..100 {
        assert_eq!(check(&v, &long_lived), Err(Reason::UpstreamUnavailable));
    }
    assert_eq!(sent(&v) - before, 0, "the failed fetch is remembered for the cooldown");
}

#[test]
fn key_sets_stay_bounded_and_one_key_is_imported_once() {
    let mut list = Vec::new();
    for n in 0..100 {
        push_bounded(&mut list, n);
    }
    assert_eq!(list.len(), MAX_KEY_SETS, "one per tenant's jwtKey at most, the oldest dropped");
    assert_eq!(list.first(), Some(&(100 - MAX_KEY_SETS)));
    let state: Rc<RefCell<GuardState<RsaPublicKey>>> = Rc::default();
    let token = signed(HEADER, &claims(""));
    for _ in 0..10 {
        let settings = GuardSettings { jwt_key: Some(PUBLIC_PEM.into()), cache: false, ..any_machine() };
        let v = verifier(Config::default(), settings, vec![], None, state.clone());
        assert!(check(&v, &token).is_ok());
    }
    assert_eq!(state.borrow().pem_keys.len(), 1, "ten verifiers of one key: one import");
}
