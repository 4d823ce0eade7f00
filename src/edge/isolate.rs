//! The isolate's guard: one [`GuardState`] per isolate (verdicts, JWKS, imported keys) and the verifiers built
//! for it, kept by configuration so that equal options never rebuild a client, parse a PEM key or digest a
//! configuration again. Also the guard for Rust (workers-rs) callers as one function, [`verify_request`].
//! Owns that state; no rules of its own.

use crate::core::config::Config;
use crate::core::error::Error;
use crate::core::guard::cache::{digest_of, Digest, DEFAULT_CAPACITY};
use crate::core::guard::outcome::Outcome;
use crate::core::guard::GuardSettings;
use crate::core::secret::Secret;
use crate::edge::client::Client;
use crate::edge::crypto::WebCrypto;
use crate::edge::http::FetchTransport;
use crate::edge::verifier::{GuardState, NoStore, Verifier};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::CryptoKey;

/// The verifier of the edge: the runtime's `fetch` and WebCrypto.
pub type EdgeVerifier = Verifier<FetchTransport, WebCrypto>;

/// How many configurations keep a verifier; the least recently used is dropped past that (its verdicts stay in
/// the isolate's cache, keyed by configuration).
const MAX_VERIFIERS: usize = 32;

thread_local! {
    static STATE: Rc<RefCell<GuardState<CryptoKey>>> = Rc::new(RefCell::new(GuardState::new(DEFAULT_CAPACITY)));
    static VERIFIERS: RefCell<Vec<(Digest, Rc<EdgeVerifier>)>> = const { RefCell::new(Vec::new()) };
}

/// The isolate's guard state (verdicts, JWKS, imported keys), shared by every verification in this isolate.
pub fn isolate_state() -> Rc<RefCell<GuardState<CryptoKey>>> {
    STATE.with(Rc::clone)
}

/// How many verdicts this isolate holds, and the bound.
pub fn cache_stats() -> (usize, usize) {
    (STATE.with(|s| s.borrow().cached_results()), DEFAULT_CAPACITY)
}

/// Forgets every cached verdict, JWKS and key in this isolate.
pub fn clear_cache() {
    STATE.with(|s| s.borrow_mut().clear());
}

/// Identifies a configuration: every field that changes what a verifier does.
fn configuration_digest(config: &Config, settings: &GuardSettings) -> Digest {
    let key = |k: &Option<Secret>| k.as_ref().map_or("", Secret::expose).as_bytes().to_vec();
    let text = |t: &Option<String>| t.as_deref().unwrap_or("\u{0}absent").as_bytes().to_vec();
    let numbers = [
        config.timeout_ms,
        config.max_retries,
        settings.clock_skew_ms,
        u32::from(settings.cache),
        settings.cache_ttl_ms,
        settings.negative_cache_ttl_ms,
    ]
    .map(|n| n.to_string());
    let parts: Vec<Vec<u8>> = [
        config.api_url.as_bytes().to_vec(),
        config.api_version.as_bytes().to_vec(),
        key(&config.machine_secret_key),
        key(&config.secret_key),
        text(&settings.jwt_key),
        text(&settings.machine_id),
    ]
    .into_iter()
    .chain(numbers.iter().map(|n| n.as_bytes().to_vec()))
    .collect();
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    digest_of(&refs)
}

/// The isolate's verifier for `config` and `settings`: built (and validated) on first use, then reused.
pub fn verifier_for(config: Config, settings: GuardSettings) -> Result<Rc<EdgeVerifier>, Error> {
    let id = configuration_digest(&config, &settings);
    let found = VERIFIERS.with(|v| {
        let mut v = v.borrow_mut();
        let i = v.iter().position(|(d, _)| *d == id)?;
        let entry = v.remove(i);
        let verifier = entry.1.clone();
        v.push(entry);
        Some(verifier)
    });
    if let Some(verifier) = found {
        return Ok(verifier);
    }
    let verifier = Rc::new(Verifier::new(Rc::new(Client::new(config)?), WebCrypto, isolate_state(), settings)?);
    VERIFIERS.with(|v| {
        let mut v = v.borrow_mut();
        if v.len() >= MAX_VERIFIERS {
            v.remove(0);
        }
        v.push((id, verifier.clone()));
    });
    Ok(verifier)
}

/// Verifies a request from its `Authorization` header value: a typed [`Outcome`], never an error for anything
/// the caller sent. `Err` only for a configuration no request could pass (no key, a malformed `jwt_key` or
/// `machine_id`). The verifier for equal `config` and `settings` is built once per isolate.
///
/// ```no_run
/// use clerk_m2m_edge::{verify_request, Config, GuardSettings, Outcome};
///
/// # async fn handle(authorization: Option<String>) -> Result<u16, clerk_m2m_edge::Error> {
/// let config = Config { machine_secret_key: Some("ak_…".into()), ..Config::default() };
/// let settings = GuardSettings { machine_id: Some("mch_…".into()), ..GuardSettings::default() };
/// Ok(match verify_request(authorization.as_deref(), config, settings).await? {
///     Outcome::SignedIn(machine) => { println!("called by {}", machine.subject); 200 }
///     Outcome::SignedOut(rejection) => rejection.status(), // with rejection.body(), .www_authenticate()
/// })
/// # }
/// ```
pub async fn verify_request(
    authorization: Option<&str>,
    config: Config,
    settings: GuardSettings,
) -> Result<Outcome, Error> {
    verifier_for(config, settings)?.verify_request::<NoStore>(authorization, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_tell_configurations_apart() {
        let base = (Config::default(), GuardSettings::default());
        let d = |c: &Config, s: &GuardSettings| configuration_digest(c, s);
        assert_eq!(d(&base.0, &base.1), d(&Config::default(), &GuardSettings::default()));
        let variants = [
            (Config { machine_secret_key: Some("ak_1".into()), ..Config::default() }, GuardSettings::default()),
            (Config { secret_key: Some("ak_1".into()), ..Config::default() }, GuardSettings::default()),
            (Config { timeout_ms: 5, ..Config::default() }, GuardSettings::default()),
            (Config::default(), GuardSettings { machine_id: Some(String::new()), ..GuardSettings::default() }),
            (Config::default(), GuardSettings { cache: false, ..GuardSettings::default() }),
            (Config::default(), GuardSettings { negative_cache_ttl_ms: 1, ..GuardSettings::default() }),
        ];
        let mut seen = vec![d(&base.0, &base.1)];
        for (c, s) in &variants {
            let digest = d(c, s);
            assert!(!seen.contains(&digest), "{c:?} {s:?}");
            seen.push(digest);
        }
    }
}
