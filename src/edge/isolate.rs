//! The isolate's guard: one [`GuardState`] per isolate (verdicts, JWKS, imported keys) and the verifiers built
//! for it, kept by configuration so that equal options never rebuild a client, parse a PEM key or digest a
//! configuration again. Also the guard for Rust (workers-rs) callers as one function, [`verify_request`].
//! Owns that state; no rules of its own.

use crate::core::config::Config;
use crate::core::error::Error;
use crate::core::guard::cache::DEFAULT_CAPACITY;
use crate::core::guard::outcome::Outcome;
use crate::core::guard::GuardSettings;
use crate::edge::client::Client;
use crate::edge::crypto::WebCrypto;
use crate::edge::http::FetchTransport;
use crate::edge::remembered::{remembered, Remembered};
use crate::edge::store::{refused_entries, reset_refused, NoStore};
use crate::edge::verifier::{GuardState, Verifier};
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
    /// The verifiers built so far, by the configuration and settings they were asked for; least recently used first.
    static VERIFIERS: Remembered<(Config, GuardSettings), Rc<EdgeVerifier>> = const { RefCell::new(Vec::new()) };
}

thread_local! {
    /// Set by the package's workerd entry (the `workerd`/`worker` export condition) when it loads the wasm.
    static DECLARED_WORKERD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Says this isolate is workerd: the npm package's workerd entry calls it when it loads, so that workerd is known
/// even without `navigator` (compatibility dates before 2022-03-21, the `no_global_navigator` flag). A workers-rs
/// Worker whose compatibility date or flags remove `navigator` calls it once, before building a `TokenSource`:
/// otherwise concurrent requests may await one mint, which workerd cancels as hung.
pub fn declare_workerd() {
    DECLARED_WORKERD.with(|d| d.set(true));
}

/// True in Cloudflare's workerd, where a request must never await a promise another request created: only
/// finished results may be shared there. Known from the entry that loaded the package ([`declare_workerd`]),
/// else — for the plain entries — from `navigator.userAgent` (`Cloudflare-Workers`).
pub(crate) fn in_workerd() -> bool {
    if DECLARED_WORKERD.with(std::cell::Cell::get) {
        return true;
    }
    thread_local! {
        static WORKERD: bool = {
            let global = js_sys::global();
            let navigator = js_sys::Reflect::get(&global, &"navigator".into()).ok().filter(|n| n.is_object());
            let agent = navigator.and_then(|n| js_sys::Reflect::get(&n, &"userAgent".into()).ok());
            agent.and_then(|a| a.as_string()).is_some_and(|a| a == "Cloudflare-Workers")
        };
    }
    WORKERD.with(|w| *w)
}

/// The isolate's guard state (verdicts, JWKS, imported keys), shared by every verification in this isolate.
pub(crate) fn isolate_state() -> Rc<RefCell<GuardState<CryptoKey>>> {
    STATE.with(Rc::clone)
}

/// The isolate's verification cache, as `verificationCacheStats()` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheStats {
    /// Verdicts held.
    pub entries: usize,
    /// The bound on verdicts (least recently used evicted first).
    pub capacity: usize,
    /// Shared-store entries refused since the isolate started (or the cache was cleared): forged, edited, copied
    /// to another key or written under another secret. Each was a miss.
    pub refused_store_entries: u64,
}

/// The isolate's verification cache: verdicts held, the bound, and refused store entries.
pub fn cache_stats() -> CacheStats {
    CacheStats {
        entries: STATE.with(|s| s.borrow().cached_results()),
        capacity: DEFAULT_CAPACITY,
        refused_store_entries: refused_entries(),
    }
}

/// Forgets every cached verdict, JWKS and key in this isolate, and starts the count of refused entries again.
pub fn clear_cache() {
    STATE.with(|s| s.borrow_mut().clear());
    reset_refused();
}

/// The isolate's verifier for `config` and `settings`: built (and validated) on first use, then reused for equal
/// ones (compared field by field: no hashing on the request path).
pub fn verifier_for(config: Config, settings: GuardSettings) -> Result<Rc<EdgeVerifier>, Error> {
    VERIFIERS.with(|verifiers| {
        remembered(verifiers, MAX_VERIFIERS, (config, settings), |(config, settings)| {
            let client = Rc::new(Client::new(config.clone())?);
            Ok(Rc::new(Verifier::new(client, WebCrypto, isolate_state(), settings.clone())?))
        })
    })
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
    fn equal_options_share_one_verifier_and_different_ones_do_not() {
        let config = || Config { machine_secret_key: Some("ak_1".into()), ..Config::default() };
        let first = verifier_for(config(), GuardSettings::default()).unwrap();
        let again = verifier_for(config(), GuardSettings::default()).unwrap();
        assert!(Rc::ptr_eq(&first, &again), "nothing is rebuilt for equal options");
        let scoped = GuardSettings { machine_id: Some("mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk".into()), ..Default::default() };
        assert!(!Rc::ptr_eq(&first, &verifier_for(config(), scoped).unwrap()));
        let other_key = Config { machine_secret_key: Some("ak_2".into()), ..Config::default() };
        assert!(!Rc::ptr_eq(&first, &verifier_for(other_key, GuardSettings::default()).unwrap()));
        assert!(matches!(verifier_for(Config::default(), GuardSettings::default()), Err(Error::MissingKey)));
        for n in 0..MAX_VERIFIERS {
            let many = Config { machine_secret_key: Some(format!("ak_many_{n}").into()), ..Config::default() };
            verifier_for(many, GuardSettings::default()).unwrap();
        }
        VERIFIERS.with(|v| assert_eq!(v.borrow().len(), MAX_VERIFIERS, "bounded"));
    }
}
