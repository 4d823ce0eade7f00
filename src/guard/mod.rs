//! The route guard: one call turns an `Authorization` header into a verified machine identity or a ready-made
//! rejection. Owns the order of checks and the cache policy; I/O goes through the client's transport, the
//! [`Crypto`] trait and the optional [`SharedStore`].
//!
//! ```text
//! header ─► bearer token ─► kind (opaque | M2M JWT | refused) ─► cache? ─► opaque: Clerk verify
//!                                                                  └──────► jwt: header + claims rules,
//!                                                                            key (PEM | JWKS), signature
//!        ─► scope check (machineId) ─► Outcome
//! ```
//! Nothing here ever fails open: every doubt is a [`Rejection`]. The only errors are misconfigurations.

pub mod cache;
pub mod header;
pub mod jwt;
pub mod keys;
pub mod outcome;
pub mod token;

use crate::api::{self, Operation};
use crate::client::{Client, Transport};
use crate::encoding::hex;
use crate::error::Error;
use crate::json::{self, ObjectWriter};
use crate::model::{M2MToken, TokenFormat, VerifyTokenParams};
use crate::reason::Reason;
use crate::secret::Secret;
use crate::sha256::Sha256;
use crate::validate::is_machine_id;
use cache::{Digest, TtlLru, DEFAULT_CAPACITY};
use jwt::{Alg, DecodedJwt};
use keys::{parse_jwks, parse_pem_public_key, select_key, JwksClock, KeyLookup, RsaJwk};
pub use outcome::{Identity, Outcome, Rejection};
use std::cell::{OnceCell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use token::TokenKind;

/// Default tolerance for `exp`, `nbf` and `iat`.
pub const DEFAULT_CLOCK_SKEW_MS: u32 = 5_000;
/// Default lifetime of a cached verified result (bounds how long a revoked opaque token keeps working).
pub const DEFAULT_CACHE_TTL_MS: u32 = 30_000;
/// Default lifetime of a cached definitive rejection.
pub const DEFAULT_NEGATIVE_CACHE_TTL_MS: u32 = 5_000;
/// Workers KV refuses `expirationTtl` below 60 s; entries carry their own deadline, so a longer store TTL is safe.
pub const MIN_STORE_TTL_S: u32 = 60;

/// How the guard verifies, beyond the client's keys and URL.
#[derive(Clone, Debug)]
pub struct GuardSettings {
    /// A PEM public key to verify JWTs with, networkless.
    pub jwt_key: Option<String>,
    /// The receiving machine: when set, it must be in the token's scopes.
    pub machine_id: Option<String>,
    /// Tolerance for JWT time claims.
    pub clock_skew_ms: u32,
    /// Whether results are cached (in the isolate and in the shared store).
    pub cache: bool,
    /// Lifetime of a cached verified result.
    pub cache_ttl_ms: u32,
    /// Lifetime of a cached definitive rejection.
    pub negative_cache_ttl_ms: u32,
}

impl Default for GuardSettings {
    fn default() -> Self {
        GuardSettings {
            jwt_key: None,
            machine_id: None,
            clock_skew_ms: DEFAULT_CLOCK_SKEW_MS,
            cache: true,
            cache_ttl_ms: DEFAULT_CACHE_TTL_MS,
            negative_cache_ttl_ms: DEFAULT_NEGATIVE_CACHE_TTL_MS,
        }
    }
}

/// Signature verification, as the runtime offers it (WebCrypto in [`crate::crypto::WebCrypto`]).
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

/// A store shared by many isolates (Workers KV, the Cache API). Failures must be swallowed: a store that
/// cannot answer is a cache miss.
#[allow(async_fn_in_trait)]
pub trait SharedStore {
    /// The value stored under `key`, if any.
    async fn get(&self, key: &str) -> Option<String>;
    /// Stores `value` under `key` for at least `ttl_seconds`.
    async fn put(&self, key: &str, value: String, ttl_seconds: u32);
}

/// No shared store.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoStore;

impl SharedStore for NoStore {
    async fn get(&self, _key: &str) -> Option<String> {
        None
    }
    async fn put(&self, _key: &str, _value: String, _ttl_seconds: u32) {}
}

/// A cached, finished result. Only finished results are shared between requests, never in-flight work.
#[derive(Clone)]
enum Verdict {
    Accepted(Rc<Identity>),
    Rejected(Reason),
}

struct JwksEntry<K> {
    context: Digest,
    keys: Vec<RsaJwk>,
    clock: JwksClock,
    imported: Vec<(Option<String>, Alg, K)>,
}

/// What the guard remembers across requests in one isolate: results, JWKS and imported keys.
pub struct GuardState<K> {
    results: TtlLru<Verdict>,
    jwks: Vec<JwksEntry<K>>,
    pem_keys: Vec<(Digest, Alg, K)>,
}

impl<K: Clone> GuardState<K> {
    /// Empty state holding at most `capacity` results.
    pub fn new(capacity: usize) -> Self {
        GuardState { results: TtlLru::new(capacity), jwks: Vec::new(), pem_keys: Vec::new() }
    }

    /// How many results are cached.
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
pub(crate) enum Failure {
    /// The token is refused.
    Reject(Reason),
    /// Clerk (or the JWKS) could not answer; nothing was decided about the token.
    Upstream(Error),
    /// The configuration cannot verify anything (a `jwtKey` WebCrypto refuses).
    Config(Error),
}

impl From<Reason> for Failure {
    fn from(reason: Reason) -> Self {
        Failure::Reject(reason)
    }
}

/// A verdict as stored in a [`SharedStore`]: `{"until":…,"identity":{…}}` or `{"until":…,"reason":"…"}`, where
/// `until` is the entry's own deadline (milliseconds).
fn stored_json(verdict: &Verdict, until: f64) -> String {
    let mut out = String::with_capacity(256);
    let mut o = ObjectWriter::new(&mut out);
    o.int("until", until.ceil() as i64);
    match verdict {
        Verdict::Accepted(identity) => {
            let mut inner = String::with_capacity(200);
            let mut w = ObjectWriter::new(&mut inner);
            identity.write_members(&mut w);
            w.finish();
            o.raw("identity", &inner);
        }
        Verdict::Rejected(reason) => {
            o.str("reason", reason.as_str());
        }
    }
    o.finish();
    out
}

/// Reads [`stored_json`]: the verdict and its deadline.
fn parse_stored(text: &str) -> Option<(Verdict, f64)> {
    let v = json::parse(text)?;
    let until = v.get("until")?.as_f64()?;
    let verdict = match (v.get("identity"), v.get("reason").and_then(|r| r.as_str())) {
        (Some(identity), None) => Verdict::Accepted(Rc::new(Identity::from_json(identity)?)),
        (None, Some(reason)) => Verdict::Rejected(Reason::parse(reason)?),
        _ => return None,
    };
    Some((verdict, until))
}

/// The guard for one configuration: a client (keys, URL, timeouts, retries), a [`Crypto`], an optional
/// [`SharedStore`], and the isolate's [`GuardState`].
pub struct Verifier<T: Transport, C: Crypto, S: SharedStore = NoStore> {
    client: Rc<Client<T>>,
    crypto: C,
    store: Option<S>,
    state: Rc<RefCell<GuardState<C::Key>>>,
    settings: GuardSettings,
    jwt_key_der: Option<Vec<u8>>,
    /// Separates cache entries of different configurations (keys, URL): results never leak across them.
    /// Computed on first use: `verify()` of an opaque token needs neither.
    context: OnceCell<Digest>,
    jwks_context: OnceCell<Digest>,
}

fn digest_of(parts: &[&str]) -> Digest {
    let mut h = Sha256::default();
    for part in parts {
        h.update(part.as_bytes()).update(&[0]);
    }
    h.finish()
}

impl<T: Transport, C: Crypto, S: SharedStore> Verifier<T, C, S> {
    /// A guard. Fails when no request could ever pass: no key at all (`missing_key`), a malformed `jwtKey` or
    /// `machineId` (`invalid_argument`).
    pub fn new(
        client: Rc<Client<T>>,
        crypto: C,
        store: Option<S>,
        state: Rc<RefCell<GuardState<C::Key>>>,
        settings: GuardSettings,
    ) -> Result<Self, Error> {
        let jwt_key_der = settings.jwt_key.as_deref().map(parse_pem_public_key).transpose()?;
        if let Some(m) = &settings.machine_id {
            if !is_machine_id(m) {
                return Err(Error::invalid("machineId", "a machine id: mch_ followed by 27 letters, digits or _"));
            }
        }
        let cfg = client.config();
        if cfg.machine_secret_key.is_none() && cfg.secret_key.is_none() && jwt_key_der.is_none() {
            return Err(Error::MissingKey);
        }
        let (context, jwks_context) = (OnceCell::new(), OnceCell::new());
        Ok(Verifier { client, crypto, store, state, settings, jwt_key_der, context, jwks_context })
    }

    fn context(&self) -> &Digest {
        self.context.get_or_init(|| {
            let cfg = self.client.config();
            fn key(k: &Option<Secret>) -> &str {
                k.as_ref().map_or("", Secret::expose)
            }
            let pem = self.settings.jwt_key.as_deref().unwrap_or("");
            let parts = [
                "clerk-m2m-edge/1",
                &cfg.api_url,
                &cfg.api_version,
                key(&cfg.machine_secret_key),
                key(&cfg.secret_key),
                pem,
            ];
            digest_of(&parts)
        })
    }

    fn jwks_context(&self) -> Digest {
        *self.jwks_context.get_or_init(|| {
            let cfg = self.client.config();
            let secret = cfg.secret_key.as_ref().map_or("", |s| s.expose());
            digest_of(&["jwks", &cfg.api_url, &cfg.api_version, secret])
        })
    }

    /// The client behind the guard.
    pub fn client(&self) -> &Client<T> {
        &self.client
    }

    /// Verifies the request whose `Authorization` header is `authorization`. `Err` only for a configuration
    /// that cannot verify anything; every problem with the request itself is an [`Outcome::SignedOut`].
    pub async fn verify_request(&self, authorization: Option<&str>) -> Result<Outcome, Error> {
        let token = match header::bearer_token(authorization) {
            Ok(token) => token,
            Err(reason) => return Ok(Outcome::SignedOut(reason.into())),
        };
        Ok(match self.verify_bearer(token).await? {
            Ok(identity) => match &self.settings.machine_id {
                Some(machine) if !identity.grants(machine) => Outcome::SignedOut(Reason::MachineNotInScope.into()),
                _ => Outcome::SignedIn((*identity).clone()),
            },
            Err(rejection) => Outcome::SignedOut(rejection),
        })
    }

    /// The cache key of a token: a digest of the configuration and the token, never the token itself.
    pub fn cache_key(&self, token: &str) -> Digest {
        let mut h = Sha256::default();
        h.update(self.context()).update(token.as_bytes());
        h.finish()
    }

    fn can_verify(&self, kind: &TokenKind) -> bool {
        let cfg = self.client.config();
        match kind {
            TokenKind::Opaque => cfg.machine_secret_key.is_some() || cfg.secret_key.is_some(),
            TokenKind::Jwt(_) => self.jwt_key_der.is_some() || cfg.secret_key.is_some(),
        }
    }

    async fn verify_bearer(&self, token: &str) -> Result<Result<Rc<Identity>, Rejection>, Error> {
        let kind = match token::classify(token) {
            Ok(kind) => kind,
            Err(reason) => return Ok(Err(reason.into())),
        };
        if !self.can_verify(&kind) {
            return Ok(Err(Reason::TokenTypeMismatch.into()));
        }
        let cache_key = self.cache_key(token);
        let now = self.client.transport().now_ms();
        if self.settings.cache {
            let hit = self.state.borrow_mut().results.get(&cache_key, now);
            if let Some(verdict) = hit {
                return Ok(verdict_result(verdict));
            }
            if let Some(verdict) = self.read_shared(&cache_key, now).await {
                return Ok(verdict_result(verdict));
            }
        }
        let outcome = match kind {
            TokenKind::Opaque => self.verify_opaque(token).await,
            TokenKind::Jwt(jwt) => self.verify_jwt(&jwt).await.map(|t| Identity::from_token(&t, TokenFormat::Jwt)),
        };
        let now = self.client.transport().now_ms();
        let (result, verdict) = match outcome {
            Ok(identity) => {
                let identity = Rc::new(identity);
                (Ok(identity.clone()), Some(Verdict::Accepted(identity)))
            }
            Err(Failure::Reject(reason)) => (Err(reason.into()), Some(Verdict::Rejected(reason))),
            Err(Failure::Upstream(error)) => (Err(upstream_rejection(&error)), None),
            Err(Failure::Config(error)) => return Err(error),
        };
        if let (true, Some(verdict)) = (self.settings.cache, verdict) {
            self.remember(cache_key, verdict, now).await;
        }
        Ok(result)
    }

    async fn verify_opaque(&self, token: &str) -> Result<Identity, Failure> {
        let params = VerifyTokenParams { token: Secret::new(token), machine_secret_key: None };
        match self.client.verify(&params).await {
            Ok(t) => Ok(Identity::from_token(&t, TokenFormat::Opaque)),
            Err(error) => Err(classify_verify_error(error)),
        }
    }

    /// Verifies a decoded M2M JWT locally: header rules, claim rules, key, signature.
    ///
    /// Boxed: `verifyRequest` and `verify()` both reach it, and a boxed future keeps one copy of this code in
    /// the wasm instead of one inlined into each caller.
    pub(crate) fn verify_jwt<'a>(
        &'a self,
        jwt: &'a DecodedJwt,
    ) -> Pin<Box<dyn Future<Output = Result<M2MToken, Failure>> + 'a>> {
        Box::pin(self.verify_jwt_inner(jwt))
    }

    async fn verify_jwt_inner(&self, jwt: &DecodedJwt) -> Result<M2MToken, Failure> {
        let alg = jwt::check_header(&jwt.header)?;
        let now = self.client.transport().now_ms();
        jwt::check_claims(&jwt.payload, now, f64::from(self.settings.clock_skew_ms))?;
        let key = self.verification_key(jwt.header.kid.as_deref(), alg).await?;
        if !self.crypto.verify_rsa(alg, &key, &jwt.signature, jwt.signing_input.as_bytes()).await {
            return Err(Reason::TokenInvalid.into());
        }
        Ok(jwt::to_token(&jwt.payload))
    }

    /// For `verify()`: an M2M JWT is checked locally when a key is configured, anything else through the API.
    pub async fn verify_token(&self, token: &Secret) -> Result<M2MToken, Error> {
        api::check_token_argument(token)?;
        let text = token.expose();
        if !text.starts_with("mt_") && text.contains('.') {
            let kind = token::classify(text).map_err(|reason| Error::TokenInvalid { reason })?;
            if let (TokenKind::Jwt(jwt), true) = (&kind, self.can_verify(&kind)) {
                return self.verify_jwt(jwt).await.map_err(|failure| match failure {
                    Failure::Reject(reason) => Error::TokenInvalid { reason },
                    Failure::Upstream(error) | Failure::Config(error) => error,
                });
            }
        }
        self.client.verify(&VerifyTokenParams { token: token.clone(), machine_secret_key: None }).await
    }

    async fn verification_key(&self, kid: Option<&str>, alg: Alg) -> Result<C::Key, Failure> {
        if let Some(der) = &self.jwt_key_der {
            return self.pem_key(der, alg).await;
        }
        let now = self.client.transport().now_ms();
        let jwks_context = self.jwks_context();
        let in_hand = {
            let state = self.state.borrow();
            state.jwks.iter().find(|e| e.context == jwks_context).map(|e| (e.keys.clone(), e.clock))
        };
        let (keys, clock, fresh_fetch) = match in_hand {
            Some((keys, clock)) if !clock.is_stale(now) => (keys, clock, false),
            _ => {
                let keys = self.fetch_jwks(now).await?;
                (keys, JwksClock { fetched_at_ms: Some(now) }, true)
            }
        };
        let jwk = match select_key(&keys, kid, alg) {
            Ok(jwk) => jwk.clone(),
            Err(KeyLookup::UnknownKid) if !fresh_fetch && clock.may_refetch_for_unknown_kid(now) => {
                let keys = self.fetch_jwks(now).await?;
                select_key(&keys, kid, alg).map_err(|_| Failure::Reject(Reason::TokenInvalid))?.clone()
            }
            Err(_) => return Err(Reason::TokenInvalid.into()),
        };
        let cached = {
            let state = self.state.borrow();
            state.jwks.iter().find(|e| e.context == jwks_context).and_then(|e| {
                e.imported.iter().find(|(k, a, _)| *k == jwk.kid && *a == alg).map(|(_, _, key)| key.clone())
            })
        };
        if let Some(key) = cached {
            return Ok(key);
        }
        let key = self.crypto.import_rsa_jwk(&jwk, alg).await.ok_or(Failure::Reject(Reason::TokenInvalid))?;
        let mut state = self.state.borrow_mut();
        if let Some(entry) = state.jwks.iter_mut().find(|e| e.context == jwks_context) {
            entry.imported.push((jwk.kid.clone(), alg, key.clone()));
        }
        Ok(key)
    }

    async fn pem_key(&self, der: &[u8], alg: Alg) -> Result<C::Key, Failure> {
        let id = crate::sha256::sha256(der);
        let cached =
            self.state.borrow().pem_keys.iter().find(|(d, a, _)| *d == id && *a == alg).map(|(_, _, k)| k.clone());
        if let Some(key) = cached {
            return Ok(key);
        }
        let key = self
            .crypto
            .import_rsa_spki(der, alg)
            .await
            .ok_or(Failure::Config(Error::invalid("jwtKey", "an RSA public key the runtime can import")))?;
        self.state.borrow_mut().pem_keys.push((id, alg, key.clone()));
        Ok(key)
    }

    async fn fetch_jwks(&self, now: f64) -> Result<Vec<RsaJwk>, Failure> {
        let request = api::jwks_request(self.client.config()).map_err(Failure::Upstream)?;
        let response = self.client.execute(Operation::Jwks, &request, None).await.map_err(Failure::Upstream)?;
        let keys = parse_jwks(&response.body).map_err(Failure::Upstream)?;
        let mut state = self.state.borrow_mut();
        let jwks_context = self.jwks_context();
        state.jwks.retain(|e| e.context != jwks_context);
        state.jwks.push(JwksEntry {
            context: jwks_context,
            keys: keys.clone(),
            clock: JwksClock { fetched_at_ms: Some(now) },
            imported: Vec::new(),
        });
        Ok(keys)
    }

    /// Until when a verdict may be reused: verified results until the earlier of their expiration and the
    /// cache TTL; definitive rejections for the negative TTL.
    fn cache_until(&self, verdict: &Verdict, now: f64) -> Option<f64> {
        let until = match verdict {
            Verdict::Accepted(identity) => {
                let ttl_end = now + f64::from(self.settings.cache_ttl_ms);
                identity.expiration.map_or(ttl_end, |exp| ttl_end.min(exp as f64))
            }
            Verdict::Rejected(_) => now + f64::from(self.settings.negative_cache_ttl_ms),
        };
        (until > now).then_some(until)
    }

    async fn remember(&self, key: Digest, verdict: Verdict, now: f64) {
        let Some(until) = self.cache_until(&verdict, now) else { return };
        self.state.borrow_mut().results.insert(key, verdict.clone(), until);
        if let Some(store) = &self.store {
            let ttl_s = (((until - now) / 1000.0).ceil() as u32).max(MIN_STORE_TTL_S);
            store.put(&store_key(&key), stored_json(&verdict, until), ttl_s).await;
        }
    }

    async fn read_shared(&self, key: &Digest, now: f64) -> Option<Verdict> {
        let store = self.store.as_ref()?;
        let text = store.get(&store_key(key)).await?;
        let (verdict, until) = parse_stored(&text)?;
        if until <= now {
            return None;
        }
        self.state.borrow_mut().results.insert(*key, verdict.clone(), until);
        Some(verdict)
    }
}

/// The key under which a result is kept in a shared store.
pub fn store_key(digest: &Digest) -> String {
    ["clerk-m2m-edge:v1:", &hex(digest)].concat()
}

fn verdict_result(verdict: Verdict) -> Result<Rc<Identity>, Rejection> {
    match verdict {
        Verdict::Accepted(identity) => Ok(identity),
        Verdict::Rejected(reason) => Err(reason.into()),
    }
}

/// Sorts an error of Clerk's verify call into "the token is refused" and "Clerk could not decide".
fn classify_verify_error(error: Error) -> Failure {
    match error {
        Error::TokenInvalid { reason } => Failure::Reject(reason),
        Error::InvalidArgument { .. } => Failure::Reject(Reason::TokenMalformed),
        Error::Api(ref e) if matches!(e.status, 400 | 404 | 410 | 422) => Failure::Reject(Reason::TokenInvalid),
        Error::Api(ref e) if e.status == 403 => Failure::Reject(Reason::MachineNotInScope),
        other => Failure::Upstream(other),
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
mod tests;
