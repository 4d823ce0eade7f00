//! The guard for Rust (workers-rs) callers as one function: the runtime's `fetch`, WebCrypto and the isolate's
//! shared state, the same pieces the JS `verifyRequest` uses. Owns that isolate state; no rules of its own.

use crate::client::Client;
use crate::config::Config;
use crate::crypto::{CryptoKey, WebCrypto};
use crate::error::Error;
use crate::guard::cache::DEFAULT_CAPACITY;
use crate::guard::{GuardSettings, GuardState, NoStore, Outcome, Verifier};
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    static STATE: Rc<RefCell<GuardState<CryptoKey>>> = Rc::new(RefCell::new(GuardState::new(DEFAULT_CAPACITY)));
}

/// The isolate's guard state (results, JWKS, imported keys), shared by every verification in this isolate.
pub fn isolate_state() -> Rc<RefCell<GuardState<CryptoKey>>> {
    STATE.with(Rc::clone)
}

/// Verifies a request from its `Authorization` header value: a typed [`Outcome`], never an error for anything
/// the caller sent. `Err` only for a configuration no request could pass (no key, a malformed `jwt_key` or
/// `machine_id`).
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
    let client = Rc::new(Client::new(config)?);
    let verifier = Verifier::<_, _, NoStore>::new(client, WebCrypto, None, isolate_state(), settings)?;
    verifier.verify_request(authorization).await
}
