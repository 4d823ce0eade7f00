//! The guard at run time: a [`Verifier`] runs the core's rules (`core::guard`) in order with a [`Client`] for
//! opaque tokens and the JWKS, a [`Crypto`] for signatures, the isolate's [`GuardState`] and an optional
//! [`SharedStore`]. Owns the order of the steps and what is remembered; must not hold a rule of its own.
//! Nothing here ever fails open: every doubt is a [`Rejection`]. The only errors are misconfigurations.

use crate::core::api::{self, Operation};
use crate::core::error::Error;
use crate::core::guard::cache::{
    cache_until, digest_of, read_verdict_entry, serves, verdict_entry, verdict_store_key, Cached, Digest, StoreRead,
    TtlLru, Verdict, DEFAULT_CAPACITY,
};
use crate::core::guard::jwks::{parse_jwks, JwksDecision, JwksState, RsaJwk};
use crate::core::guard::jwt::{self, Alg, DecodedJwt};
use crate::core::guard::outcome::{Identity, Outcome, Rejection};
use crate::core::guard::token::{self, TokenKind};
use crate::core::guard::{header, GuardSettings};
use crate::core::http::Transport;
use crate::core::model::{M2MToken, TokenFormat, VerifyTokenParams};
use crate::core::reason::Reason;
use crate::core::sealed::SealKey;
use crate::core::secret::Secret;
use crate::edge::client::Client;
use crate::edge::json::EdgeJson;
use crate::edge::store::{count_refused, SharedStore};
use std::cell::{OnceCell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// Signature verification, as the runtime offers it (WebCrypto in the edge's `WebCrypto`).
#[allow(async_fn_in_trait)]
pub trait Crypto {
    /// An imported public key.
    type Key: Clone;
    /// Imports an RSA key from the JWKS for `alg`.
    async fn import_rsa_jwk(&self, key: &RsaJwk, alg: Alg) -> Option<Self::Key>;
    /// Imports an RSA SubjectPublicKeyInfo (from a PEM `jwtKey`) for `alg`.
    async fn import_rsa_spki(&self, der: &[u8], alg: Alg) -> Option<Self::Key>;
    /// Checks an RSASSA-PKCS1-v1_5 signature.
    async fn verify_rsa(&self, alg: Alg, key: &Self::Key, signature: &[u8], data: &[u8]) -> bool;
}

/// One JWKS (per Clerk URL and secret key): its state, the keys imported from it, and why its last fetch failed.
struct JwksEntry<K> {
    context: Digest,
    state: JwksState,
    imported: Vec<(Option<String>, Alg, K)>,
    last_error: Option<Error>,
}

/// How many JWKS and imported PEM keys an isolate keeps (one per tenant's configuration; the oldest goes first).
const MAX_KEY_SETS: usize = 32;

/// Keeps `item` in `list`, dropping the oldest entry once `list` holds [`MAX_KEY_SETS`].
fn push_bounded<T>(list: &mut Vec<T>, item: T) {
    if list.len() >= MAX_KEY_SETS {
        list.remove(0);
    }
    list.push(item);
}

/// A key imported before, found by what it was imported from (a JWK's `kid`, a PEM's digest) and its algorithm.
fn imported<I: PartialEq, K: Clone>(keys: &[(I, Alg, K)], id: &I, alg: Alg) -> Option<K> {
    keys.iter().find(|(i, a, _)| i == id && *a == alg).map(|(_, _, key)| key.clone())
}

/// Keeps a key just imported — unless a concurrent import of the same one kept it already (one copy each, at most
/// [`MAX_KEY_SETS`]) — and answers the key to use.
fn keep_imported<I: PartialEq, K: Clone>(keys: &mut Vec<(I, Alg, K)>, id: I, alg: Alg, key: K) -> K {
    if let Some(kept) = imported(keys, &id, alg) {
        return kept;
    }
    push_bounded(keys, (id, alg, key.clone()));
    key
}

/// What the guard remembers across requests in one isolate: verdicts, JWKS and imported keys.
pub struct GuardState<K> {
    results: TtlLru<Cached>,
    jwks: Vec<JwksEntry<K>>,
    pem_keys: Vec<(Digest, Alg, K)>,
}

impl<K: Clone> GuardState<K> {
    /// Empty state holding at most `capacity` verdicts.
    pub fn new(capacity: usize) -> Self {
        GuardState { results: TtlLru::new(capacity), jwks: Vec::new(), pem_keys: Vec::new() }
    }

    /// How many verdicts are cached.
    pub fn cached_results(&self) -> usize {
        self.results.len()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.results.clear();
        self.jwks.clear();
        self.pem_keys.clear();
    }
}

impl<K: Clone> Default for GuardState<K> {
    fn default() -> Self {
        GuardState::new(DEFAULT_CAPACITY)
    }
}

/// Why a verification did not produce an identity.
#[derive(Debug)]
pub(crate) enum Unverified {
    /// The token is refused.
    Reject(Reason),
    /// Clerk (or the JWKS) could not answer; nothing was decided about the token.
    Upstream(Error),
    /// The configuration cannot verify anything (a `jwtKey` WebCrypto refuses).
    Config(Error),
}

impl From<Reason> for Unverified {
    fn from(reason: Reason) -> Self {
        Unverified::Reject(reason)
    }
}

/// The guard for one configuration: a client (keys, URL, timeouts, retries), a [`Crypto`], the isolate's
/// [`GuardState`] and the settings, all built once; a shared store may be given per call. Only a guard that holds a
/// secret key shares verdicts through a store: it seals what it writes and opens what it reads with a key derived
/// from that secret.
pub struct Verifier<T: Transport, C: Crypto> {
    client: Rc<Client<T>>,
    crypto: C,
    state: Rc<RefCell<GuardState<C::Key>>>,
    settings: GuardSettings,
    jwt_key_der: Option<Vec<u8>>,
    /// What the configuration derives (digests, the sealing key): on first use, not at construction, so that a
    /// client that is built and not yet used costs no SHA-256 or HKDF (issue 19: the first request of an isolate
    /// pays for every wasm function it runs the first time).
    derived: OnceCell<Derived>,
}

/// A guard's values derived from its configuration.
struct Derived {
    /// Separates cache entries of different configurations (keys, URL, PEM): verdicts never leak across them.
    context: Digest,
    /// Which JWKS this configuration reads (API and secret key).
    jwks_context: Digest,
    /// Identifies the PEM key among imported keys.
    pem_id: Digest,
    /// Seals and opens shared-store entries; `None` without a secret key (a `jwtKey`-only guard shares nothing).
    seal: Option<SealKey>,
}

impl<T: Transport, C: Crypto> Verifier<T, C> {
    /// A guard. Fails when no request could ever pass: no key at all (`missing_key`), a malformed `jwtKey` or
    /// `machineId` (`invalid_argument`).
    pub fn new(
        client: Rc<Client<T>>,
        crypto: C,
        state: Rc<RefCell<GuardState<C::Key>>>,
        settings: GuardSettings,
    ) -> Result<Self, Error> {
        let jwt_key_der = settings.validated_jwt_key()?;
        let cfg = client.config();
        if !cfg.has_key() && jwt_key_der.is_none() {
            return Err(Error::MissingKey);
        }
        Ok(Verifier { client, crypto, state, settings, jwt_key_der, derived: OnceCell::new() })
    }

    /// The digests and the sealing key of this configuration, derived on first use.
    fn derived(&self) -> &Derived {
        self.derived.get_or_init(|| {
            fn key(k: &Option<Secret>) -> &[u8] {
                k.as_ref().map_or("", Secret::expose).as_bytes()
            }
            let cfg = self.client.config();
            let pem = self.jwt_key_der.as_deref().unwrap_or_default();
            let context = digest_of(&[
                b"clerk-m2m-edge/1",
                cfg.api_url.as_bytes(),
                cfg.api_version.as_bytes(),
                key(&cfg.machine_secret_key),
                key(&cfg.secret_key),
                pem,
            ]);
            let jwks_context =
                digest_of(&[b"jwks", cfg.api_url.as_bytes(), cfg.api_version.as_bytes(), key(&cfg.secret_key)]);
            let pem_id = digest_of(&[pem]);
            let seal = cfg.key_for(None).ok().map(SealKey::derive);
            Derived { context, jwks_context, pem_id, seal }
        })
    }

    /// The client behind the guard.
    pub fn client(&self) -> &Client<T> {
        &self.client
    }

    /// The settings this guard was built with.
    pub fn settings(&self) -> &GuardSettings {
        &self.settings
    }

    /// Verifies the request whose `Authorization` header is `authorization`, sharing verdicts through `store`
    /// when given. `Err` only for a configuration that cannot verify anything, or that does not say which machine
    /// receives (`machine_id` or `allow_any_machine`: checked before anything is sent); every problem with the
    /// request itself is an [`Outcome::SignedOut`].
    pub async fn verify_request<S: SharedStore>(
        &self,
        authorization: Option<&str>,
        store: Option<&S>,
    ) -> Result<Outcome, Error> {
        self.settings.checked_receiver()?;
        let token = match header::bearer_token(authorization) {
            Ok(token) => token,
            Err(reason) => return Ok(Outcome::SignedOut(reason.into())),
        };
        Ok(match self.verify_bearer(token, store).await? {
            Ok(identity) => match &self.settings.machine_id {
                Some(machine) if !identity.grants(machine) => Outcome::SignedOut(Reason::MachineNotInScope.into()),
                _ => Outcome::SignedIn((*identity).clone()),
            },
            Err(rejection) => Outcome::SignedOut(rejection),
        })
    }

    /// The cache key of a token: a digest of the configuration and the token, never the token itself.
    pub(crate) fn cache_key(&self, token: &str) -> Digest {
        digest_of(&[&self.derived().context, token.as_bytes()])
    }

    fn can_verify(&self, kind: &TokenKind) -> bool {
        let cfg = self.client.config();
        match kind {
            TokenKind::Opaque => cfg.has_key(),
            TokenKind::Jwt(_) => self.jwt_key_der.is_some() || cfg.secret_key.is_some(),
        }
    }

    async fn verify_bearer<S: SharedStore>(
        &self,
        token: &str,
        store: Option<&S>,
    ) -> Result<Result<Rc<Identity>, Rejection>, Error> {
        // A verdict in this isolate's cache answers before the token is even decoded: it was given to this very
        // token under this configuration, so decoding it again (for a JWT: base64 and two JSON documents) would
        // only repeat what decided it. It serves this guard only within this guard's own TTLs.
        let cache_key = self.cache_key(token);
        if self.settings.cache {
            if let Some(verdict) = self.cached(&cache_key) {
                return Ok(verdict_result(verdict));
            }
        }
        let kind = match token::classify::<EdgeJson>(token) {
            Ok(kind) => kind,
            Err(reason) => return Ok(Err(reason.into())),
        };
        if !self.can_verify(&kind) {
            return Ok(Err(Reason::TokenTypeMismatch.into()));
        }
        // Only opaque tokens' verdicts are shared (a JWT verifies locally for less than a store read), and only
        // by a guard with a secret key to seal and open them.
        let shared = match (&kind, &self.derived().seal, store) {
            (TokenKind::Opaque, Some(seal), Some(store)) if self.settings.cache => {
                Some(Shared { store, seal, key: verdict_store_key(&cache_key) })
            }
            _ => None,
        };
        if let Some(shared) = &shared {
            if let Some(verdict) = self.read_shared(shared, &cache_key).await {
                return Ok(verdict_result(verdict));
            }
        }
        let outcome = match kind {
            TokenKind::Opaque => self.verify_opaque(token).await,
            TokenKind::Jwt(jwt) => self.verify_jwt(&jwt).await.map(|t| Identity::from_token(&t, TokenFormat::Jwt)),
        };
        let (result, verdict) = match outcome {
            Ok(identity) => {
                let identity = Rc::new(identity);
                (Ok(identity.clone()), Some(Verdict::Accepted(identity)))
            }
            Err(Unverified::Reject(reason)) => (Err(reason.into()), Some(Verdict::Rejected(reason))),
            Err(Unverified::Upstream(error)) => (Err(upstream_rejection(&error)), None),
            Err(Unverified::Config(error)) => return Err(error),
        };
        if let (true, Some(verdict)) = (self.settings.cache, verdict) {
            self.remember(shared.as_ref(), cache_key, verdict).await;
        }
        Ok(result)
    }

    /// The verdict this isolate holds for `key`, when it may answer this guard now.
    fn cached(&self, key: &Digest) -> Option<Verdict> {
        let now = self.now();
        let cached = self.state.borrow_mut().results.get(key, now)?;
        serves(&cached, now, &self.settings).then_some(cached.verdict)
    }

    async fn verify_opaque(&self, token: &str) -> Result<Identity, Unverified> {
        let params = VerifyTokenParams { token: Secret::new(token), machine_secret_key: None };
        match self.client.verify(&params).await {
            Ok(t) => Ok(Identity::from_token(&t, TokenFormat::Opaque)),
            Err(error) => Err(classify_verify_error(error)),
        }
    }

    /// Verifies a decoded M2M JWT locally: header rules, key, signature — and only then the claims, so a forged
    /// token is `token-invalid` whatever its claims say.
    ///
    /// Boxed: `verifyRequest` and `verify()` both reach it, and a boxed future keeps one copy of this code in
    /// the wasm instead of one inlined into each caller.
    pub(crate) fn verify_jwt<'a>(
        &'a self,
        jwt: &'a DecodedJwt,
    ) -> Pin<Box<dyn Future<Output = Result<M2MToken, Unverified>> + 'a>> {
        Box::pin(async move {
            let alg = jwt::check_header(&jwt.header)?;
            let key = self.verification_key(jwt.header.kid.as_deref(), alg).await?;
            if !self.crypto.verify_rsa(alg, &key, &jwt.signature, jwt.signing_input.as_bytes()).await {
                return Err(Reason::TokenInvalid.into());
            }
            jwt::check_claims(&jwt.payload, self.now(), f64::from(self.settings.clock_skew_ms))?;
            Ok(jwt::to_token(&jwt.payload))
        })
    }

    /// For `verify()`: an M2M JWT is checked locally — with `jwtKey` or the JWKS (`secretKey`); without either it
    /// is `token-type-mismatch`, as the guard answers — and anything else through the API.
    pub async fn verify_token(&self, token: &Secret) -> Result<M2MToken, Error> {
        api::check_token_argument(token)?;
        let text = token.expose();
        if !text.starts_with("mt_") && text.contains('.') {
            let kind = token::classify::<EdgeJson>(text).map_err(|reason| Error::TokenInvalid { reason })?;
            if let TokenKind::Jwt(jwt) = &kind {
                if !self.can_verify(&kind) {
                    return Err(Error::TokenInvalid { reason: Reason::TokenTypeMismatch });
                }
                return self.verify_jwt(jwt).await.map_err(|failure| match failure {
                    Unverified::Reject(reason) => Error::TokenInvalid { reason },
                    Unverified::Upstream(error) | Unverified::Config(error) => error,
                });
            }
        }
        self.client.verify(&VerifyTokenParams { token: token.clone(), machine_secret_key: None }).await
    }

    fn now(&self) -> f64 {
        self.client.transport().now_ms()
    }

    async fn verification_key(&self, kid: Option<&str>, alg: Alg) -> Result<C::Key, Unverified> {
        if let Some(der) = &self.jwt_key_der {
            return self.pem_key(der, alg).await;
        }
        let max_stale_ms = f64::from(self.settings.jwks_max_stale_ms);
        let mut fetched = false;
        let jwk = loop {
            let (decision, last_error) = {
                let state = self.state.borrow();
                match state.jwks.iter().find(|e| e.context == self.derived().jwks_context) {
                    Some(e) => (e.state.decide(self.now(), kid, alg, max_stale_ms), e.last_error.clone()),
                    None => (JwksDecision::Fetch, None),
                }
            };
            match decision {
                JwksDecision::Use(jwk) => break jwk,
                JwksDecision::Fetch if !fetched => {
                    self.fetch_jwks().await;
                    fetched = true;
                }
                JwksDecision::Fetch | JwksDecision::Reject => return Err(Reason::TokenInvalid.into()),
                JwksDecision::Unavailable => return Err(Unverified::Upstream(last_error.unwrap_or(Error::Network))),
            }
        };
        let cached = self
            .state
            .borrow()
            .jwks
            .iter()
            .find(|e| e.context == self.derived().jwks_context)
            .and_then(|e| imported(&e.imported, &jwk.kid, alg));
        if let Some(key) = cached {
            return Ok(key);
        }
        let key = self.crypto.import_rsa_jwk(&jwk, alg).await.ok_or(Unverified::Reject(Reason::TokenInvalid))?;
        Ok(match self.state.borrow_mut().jwks.iter_mut().find(|e| e.context == self.derived().jwks_context) {
            Some(entry) => keep_imported(&mut entry.imported, jwk.kid.clone(), alg, key),
            None => key,
        })
    }

    async fn pem_key(&self, der: &[u8], alg: Alg) -> Result<C::Key, Unverified> {
        if let Some(key) = imported(&self.state.borrow().pem_keys, &self.derived().pem_id, alg) {
            return Ok(key);
        }
        let key = self
            .crypto
            .import_rsa_spki(der, alg)
            .await
            .ok_or(Unverified::Config(Error::invalid("jwtKey", "an RSA public key the runtime can import")))?;
        Ok(keep_imported(&mut self.state.borrow_mut().pem_keys, self.derived().pem_id, alg, key))
    }

    /// Fetches this configuration's JWKS and records the outcome: new keys, or a failure (the keys in hand stay,
    /// and no fetch is tried again within the cooldown).
    async fn fetch_jwks(&self) {
        let fetched = async {
            let request = api::jwks_request(self.client.config())?;
            let response = self.client.execute(Operation::Jwks, &request, None).await?;
            parse_jwks::<EdgeJson>(&response.body)
        }
        .await;
        let now = self.now();
        let mut state = self.state.borrow_mut();
        if !state.jwks.iter().any(|e| e.context == self.derived().jwks_context) {
            let entry = JwksEntry {
                context: self.derived().jwks_context,
                state: JwksState::default(),
                imported: Vec::new(),
                last_error: None,
            };
            push_bounded(&mut state.jwks, entry);
        }
        let Some(entry) = state.jwks.iter_mut().find(|e| e.context == self.derived().jwks_context) else { return };
        match fetched {
            Ok(keys) => {
                entry.state.fetched(keys, now);
                entry.imported.clear();
                entry.last_error = None;
            }
            Err(error) => {
                entry.state.failed(now);
                entry.last_error = Some(error);
            }
        }
    }

    /// Keeps a verdict reached now in the isolate and, when it is an accepted opaque token's, in the shared store
    /// (sealed). A rejection never leaves the isolate: junk tokens must not cost store writes.
    async fn remember<S: SharedStore>(&self, shared: Option<&Shared<'_, S>>, key: Digest, verdict: Verdict) {
        let now = self.now();
        let Some(until) = cache_until(&verdict, now, &self.settings) else { return };
        let shareable = match (&verdict, shared) {
            (Verdict::Accepted(identity), Some(shared)) => Some((identity.clone(), shared)),
            _ => None,
        };
        self.state.borrow_mut().results.insert(key, Cached { verdict, verified_at_ms: now }, until);
        if let Some((identity, shared)) = shareable {
            if let Some((entry, ttl_s)) = verdict_entry::<EdgeJson>(shared.seal, &shared.key, &identity, now, until) {
                shared.store.put(&shared.key, entry, ttl_s).await;
            }
        }
    }

    /// The verdict a shared store holds for `key`, when it opens under this guard's seal and serves it now.
    async fn read_shared<S: SharedStore>(&self, shared: &Shared<'_, S>, key: &Digest) -> Option<Verdict> {
        let text = shared.store.get(&shared.key).await?;
        match read_verdict_entry::<EdgeJson>(shared.seal, &shared.key, &text, self.now(), &self.settings) {
            StoreRead::Serves(cached, until) => {
                let verdict = cached.verdict.clone();
                self.state.borrow_mut().results.insert(*key, cached, until);
                Some(verdict)
            }
            StoreRead::Spent => None,
            StoreRead::Refused => {
                count_refused();
                None
            }
        }
    }
}

/// A shared store as one verification uses it: the store, the guard's seal and the entry's key.
struct Shared<'a, S> {
    store: &'a S,
    seal: &'a SealKey,
    key: String,
}

fn verdict_result(verdict: Verdict) -> Result<Rc<Identity>, Rejection> {
    match verdict {
        Verdict::Accepted(identity) => Ok(identity),
        Verdict::Rejected(reason) => Err(reason.into()),
    }
}

/// Sorts an error of Clerk's verify call into "the token is refused" and "Clerk could not decide".
fn classify_verify_error(error: Error) -> Unverified {
    match error {
        Error::TokenInvalid { reason } => Unverified::Reject(reason),
        Error::InvalidArgument { .. } => Unverified::Reject(Reason::TokenMalformed),
        Error::Api(ref e) if matches!(e.status, 400 | 404 | 410 | 422) => Unverified::Reject(Reason::TokenInvalid),
        Error::Api(ref e) if e.status == 403 => Unverified::Reject(Reason::MachineNotInScope),
        other => Unverified::Upstream(other),
    }
}

/// The rejection for a verification Clerk could not carry out: a refused key is `secret-key-invalid`,
/// everything else `upstream-unavailable` (never a success).
fn upstream_rejection(error: &Error) -> Rejection {
    match error {
        Error::Api(e) if e.status == 401 => Reason::SecretKeyInvalid.into(),
        Error::MissingKey => Reason::SecretKeyInvalid.into(),
        Error::Api(e) => Rejection { reason: Reason::UpstreamUnavailable, retry_after: e.retry_after },
        _ => Reason::UpstreamUnavailable.into(),
    }
}

// Native only: a native RSA implementation stands in for WebCrypto.
#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "verifier_tests.rs"]
mod tests;

impl Rejection {
    /// `{"error":"<reason>","message":"…"}`: the body of the rejection's response (written by [`EdgeJson`]).
    pub fn body(&self) -> String {
        self.body_in::<EdgeJson>()
    }
}
