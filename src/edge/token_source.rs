//! The caller's side at run time: a [`TokenSource`] mints a token once, hands it out until it is inside its
//! refresh margin, mints anew ahead of expiry, and attaches it to outgoing requests ([`TokenSource::fetch`]),
//! minting once more when the callee answers 401. With a broker ([`TokenSource::with_broker`]) it asks the fleet's
//! Durable Object before minting; as the broker's own source it also refreshes ahead of its callers. Owns the held
//! token, the in-flight mint and the shared-store and broker round trips; the rules (margins, backoff, store
//! entries, what is replayable, when to refresh ahead) are `core::token_source`'s and `core::broker`'s.

use crate::core::broker::{refresh_ahead_at, BrokerAsk};
use crate::core::config::ORIGINS_SHAPE;
use crate::core::error::Error;
use crate::core::guard::cache::{digest_of, Digest};
use crate::core::http::Transport;
use crate::core::model::{CreateTokenParams, TokenFormat};
use crate::core::sealed::SealKey;
use crate::core::secret::Secret;
use crate::core::token_source::{
    backoff_ms, read_token_entry, remint_backoff_ms, should_retry, token_entry, token_store_key, Freshness,
    RefreshPolicy, StoredToken, Timing,
};
use crate::edge::broker_link::BrokerLink;
use crate::edge::client::Client;
use crate::edge::http::FetchTransport;
use crate::edge::in_flight::InFlight;
use crate::edge::json::EdgeJson;
use crate::edge::outgoing::{bearer_init, discard, send_plain, Destinations, Outgoing};
use crate::edge::store::{count_refused, NoStore, SharedStore};
use js_sys::{Function, Promise};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::Response;

/// How a token given up on is remembered: its digest, never the token.
fn token_digest(token: &Secret) -> Digest {
    digest_of(&[token.expose().as_bytes()])
}

/// How many invalidated tokens are remembered, so that a shared store never hands one back.
const REMEMBERED_INVALID: usize = 8;

/// A token in hand.
struct Held {
    token: Secret,
    timing: Timing,
    /// When this source obtained it (a broker refreshes ahead from there).
    obtained_at_ms: f64,
    /// The `fetch` init that carries it (built on first use by [`TokenSource::fetch`]).
    init: std::cell::OnceCell<js_sys::Object>,
}

impl Held {
    fn new(token: Secret, timing: Timing, obtained_at_ms: f64) -> Rc<Held> {
        Rc::new(Held { token, timing, obtained_at_ms, init: std::cell::OnceCell::new() })
    }

    /// The frozen `fetch` init that carries this token, built on first use.
    fn fetch_init(&self) -> &js_sys::Object {
        self.init.get_or_init(|| bearer_init(self.token.expose()))
    }
}

/// A token obtained by a mint, the store or the broker. `stale`: the broker could only hand over a token already
/// inside its margin (Clerk failed it): used while valid, and asked again only after the backoff, like a failed
/// refresh.
struct Obtained {
    held: Rc<Held>,
    stale: bool,
}

/// What a token source did in this isolate (`source.stats()` in JS): what its tokens cost and where they came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceStats {
    /// Calls to Clerk's create endpoint this source made (each may create a token, or get a pooled one back).
    pub mints: u64,
    /// Tokens the broker handed over.
    pub broker_answers: u64,
    /// Asks to the broker that brought no usable token (unreachable, too slow, failed, or an answer that does not
    /// open under this source's key): each was followed by a mint of this source's own.
    pub broker_fallbacks: u64,
}

/// A mint under way that other calls may wait for (never in workerd, where a request must not await another
/// request's work): its result, or `None` when the minting call was dropped before it finished.
type SharedMint = InFlight<Result<Rc<Held>, Error>>;

#[derive(Default)]
struct State {
    held: Option<Rc<Held>>,
    /// The shared mint, when sharing is allowed and one is under way.
    flight: Option<Rc<SharedMint>>,
    /// How many mints are under way (in workerd, calls with a valid token then use it instead of minting too).
    minting: u32,
    /// Refreshes failed in a row, and until when no refresh is tried while the held token is still valid.
    failures: u32,
    retry_at_ms: f64,
    /// The last mint's error: with no valid token, calls fail with it at once until `retry_at_ms`.
    last_error: Option<Error>,
    /// Callee 401s in a row that cost a re-mint, and until when another 401 gives no token up (it goes back to
    /// the caller). Reset by any other answer.
    refusals: u32,
    remint_after_ms: f64,
    /// Digests of tokens given up on (a callee's 401, `invalidate`): never taken back from the store.
    invalidated: Vec<Digest>,
    /// The next mint asks Clerk for a new token, not a pooled one (after a token was given up).
    unpooled_next: bool,
}

/// A mint under way, counted while it lasts: when its call ends — finished or dropped — it is no longer under way,
/// and a mint dropped before it finished is marked abandoned, so that no waiter hangs.
struct MintUnderWay<'a> {
    state: &'a RefCell<State>,
    flight: Rc<SharedMint>,
}

impl Drop for MintUnderWay<'_> {
    fn drop(&mut self) {
        let mut state = self.state.borrow_mut();
        state.minting = state.minting.saturating_sub(1);
        if state.flight.as_ref().is_some_and(|f| Rc::ptr_eq(f, &self.flight)) {
            state.flight = None;
        }
        drop(state);
        self.flight.finish(None);
    }
}

/// Mints machine tokens for outgoing calls and keeps them: one mint per token lifetime in steady state.
///
/// ```no_run
/// use clerk_m2m_edge::{Client, Config, CreateTokenParams, Nullable, TokenSource};
/// use std::rc::Rc;
///
/// # async fn run() -> Result<(), clerk_m2m_edge::Error> {
/// let client = Rc::new(Client::new(Config { machine_secret_key: Some("ak_…".into()), ..Config::default() })?);
/// let params = CreateTokenParams { seconds_until_expiration: Nullable::Value(3600.0), ..Default::default() };
/// // Mint anew when less than 300 s are left; no shared store.
/// let source = TokenSource::new(client, params, Some(300.0), None::<clerk_m2m_edge::NoStore>)?;
/// let token = source.get_token().await?; // the same token on every call until the margin is reached
/// let authorization = format!("Bearer {}", token.expose());
/// # let _ = authorization;
/// # Ok(()) }
/// ```
pub struct TokenSource<T: Transport = FetchTransport, S: SharedStore = NoStore> {
    client: Rc<Client<T>>,
    params: CreateTokenParams,
    policy: RefreshPolicy,
    store: Option<S>,
    store_key: String,
    /// Seals and opens the store's entries, derived from the minting key.
    seal: SealKey,
    /// The `min_remaining_ttl_seconds` a mint asks for (Clerk's pooling of opaque tokens), `None`: never pooled.
    pool_min_remaining_s: Option<u64>,
    share_in_flight: bool,
    /// What sends the caller's requests: a service binding's `fetch`, or the global `fetch` when `None`.
    fetcher: Option<js_sys::Function>,
    /// The origins [`TokenSource::fetch`] may send the token to; `None`: it sends nothing.
    destinations: Option<Destinations>,
    /// The fleet's broker, asked before minting.
    broker: Option<BrokerLink>,
    stats: Cell<SourceStats>,
    state: RefCell<State>,
}

impl<S: SharedStore> TokenSource<FetchTransport, S> {
    /// A token source minting with `client` and `params` (lifetime, format, claims, key), minting anew when
    /// less than `refresh_before_seconds` is left (default: 10% of the lifetime, at least 30 s, at most half),
    /// sharing tokens across isolates through `store` when given. Concurrent calls share one mint, except in
    /// workerd, where a request never waits for another request's mint. Fails (before anything is minted) on
    /// an invalid lifetime, margin or key.
    pub fn new(
        client: Rc<Client<FetchTransport>>,
        params: CreateTokenParams,
        refresh_before_seconds: Option<f64>,
        store: Option<S>,
    ) -> Result<Self, Error> {
        let share = !crate::edge::isolate::in_workerd();
        TokenSource::with_sharing(client, params, refresh_before_seconds, store, share)
    }
}

impl<T: Transport, S: SharedStore> TokenSource<T, S> {
    /// [`TokenSource::new`] over any transport, saying whether concurrent calls may wait for one mint.
    pub(crate) fn with_sharing(
        client: Rc<Client<T>>,
        params: CreateTokenParams,
        refresh_before_seconds: Option<f64>,
        store: Option<S>,
        share_in_flight: bool,
    ) -> Result<Self, Error> {
        let policy = RefreshPolicy::new(&params.seconds_until_expiration, refresh_before_seconds)?;
        // Opaque tokens are pooled by Clerk by default: the caller's own `min_remaining_ttl_seconds`, else the
        // policy's. JWTs are never pooled (Clerk keeps none to hand back). It is sent per mint, not always.
        let opaque = params.token_format.is_none_or(|f| f == TokenFormat::Opaque);
        let pool_min_remaining_s =
            opaque.then(|| params.min_remaining_ttl_seconds.or(policy.pool_min_remaining_s())).flatten();
        let params = CreateTokenParams { min_remaining_ttl_seconds: None, ..params };
        let store_key = token_store_key::<EdgeJson>(client.config(), &params, &policy)?;
        let seal = SealKey::derive(client.config().key_for(params.machine_secret_key.as_ref())?);
        Ok(TokenSource {
            client,
            params,
            policy,
            store,
            store_key,
            seal,
            pool_min_remaining_s,
            share_in_flight,
            fetcher: None,
            destinations: None,
            broker: None,
            stats: Cell::default(),
            state: RefCell::default(),
        })
    }

    /// Sends [`TokenSource::fetch`]'s requests with `fetcher` — `(input, init) => Promise<Response>`, e.g. a
    /// Workers service binding's `fetch` bound to it — instead of the global `fetch`.
    pub fn with_fetcher(mut self, fetcher: js_sys::Function) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// Turns Clerk's pooling off: every mint creates a new token (by default an opaque token's mint asks Clerk for
    /// a live one with at least the margin plus half the lifetime left, and gets it back instead of a new one).
    pub fn without_pooling(mut self) -> Self {
        self.pool_min_remaining_s = None;
        self
    }

    /// Gets tokens from the fleet's broker — `namespace`, the Durable Object namespace binding of the package's
    /// `M2MTokenBroker` class (in workers-rs, `JsValue::from(env.durable_object("M2M_TOKENS")?)`) — instead of
    /// minting: one object per configuration, named by the digest this source's store entries are keyed by (never
    /// the key). The source still keeps its own token and asks only when it needs a new one; when the broker
    /// cannot answer within the client's `timeout_ms` (or its answer does not open under this source's key), the
    /// source mints for itself and counts it ([`SourceStats::broker_fallbacks`]): a broker fault costs mints,
    /// never an outage. A broker mints with this source's key, options and margin, which the ask carries over
    /// the binding.
    pub fn with_broker(mut self, namespace: JsValue) -> Result<Self, Error> {
        self.broker_ask(None)?; // fails here, not at the first ask
        let timeout_ms = self.client.config().timeout_ms;
        self.broker = Some(BrokerLink::new(namespace, self.store_key.clone(), timeout_ms));
        Ok(self)
    }

    /// The text of an ask for this source's configuration, with the digest of a token given up on.
    fn broker_ask(&self, give_up: Option<String>) -> Result<String, Error> {
        let margin = self.policy.refresh_before_s();
        let mut ask = BrokerAsk::new(self.client.config(), &self.params, margin, self.pool_min_remaining_s)?;
        ask.give_up = give_up;
        ask.write::<EdgeJson>()
    }

    /// What this source did in this isolate so far.
    pub fn stats(&self) -> SourceStats {
        self.stats.get()
    }

    fn count(&self, what: impl FnOnce(&mut SourceStats)) {
        let mut stats = self.stats.get();
        what(&mut stats);
        self.stats.set(stats);
    }

    /// The origins [`TokenSource::fetch`] may send the token to (`https://host[:port]`; `http://` only to a
    /// loopback host): any other URL is `invalid_argument` (`url`) and nothing is sent. Without them, `fetch`
    /// sends nothing (`invalid_argument`, `origins`); `get_token` needs none.
    pub fn with_origins(mut self, destinations: Destinations) -> Self {
        self.destinations = Some(destinations);
        self
    }

    /// A token with at least the refresh margin left, minting when needed. When a refresh fails while the held
    /// token is still valid, that token is returned (the next refresh waits 1 s, 2 s … 30 s); with no valid
    /// token left, the mint's error.
    pub async fn get_token(&self) -> Result<Secret, Error> {
        Ok(self.held().await?.token.clone())
    }

    /// Forgets the held token: the next call mints (a token given up on is never taken back from the store).
    pub fn invalidate(&self) {
        let held = self.state.borrow().held.clone();
        if let Some(held) = held {
            self.give_up(&held);
        }
    }

    fn now(&self) -> f64 {
        self.client.transport().now_ms()
    }

    async fn held(&self) -> Result<Rc<Held>, Error> {
        loop {
            let now = self.now();
            let (valid, flight, minting) = {
                let state = self.state.borrow();
                let valid = state.held.clone().filter(|h| h.timing.freshness(now) != Freshness::Dead);
                match (&valid, &state.last_error) {
                    (Some(held), _) if held.timing.freshness(now) == Freshness::Fresh => return Ok(held.clone()),
                    (Some(held), _) if now < state.retry_at_ms => return Ok(held.clone()),
                    // No valid token, and the last mint failed: its error, at once, until the backoff passes.
                    (None, Some(error)) if now < state.retry_at_ms && state.flight.is_none() => {
                        return Err(error.clone())
                    }
                    _ => {}
                }
                (valid, state.flight.clone(), state.minting > 0)
            };
            if let Some(flight) = flight {
                match flight.wait().await {
                    Some(Ok(held)) => return Ok(held),
                    Some(Err(error)) => return self.fallback(valid, error),
                    None => continue,
                }
            }
            if let (Some(held), true) = (&valid, minting) {
                return Ok(held.clone());
            }
            return self.mint(valid, true).await;
        }
    }

    /// The held token while it is still valid, else `error`.
    fn fallback(&self, valid: Option<Rc<Held>>, error: Error) -> Result<Rc<Held>, Error> {
        let now = self.now();
        valid.filter(|h| h.timing.freshness(now) != Freshness::Dead).ok_or(error)
    }

    /// Obtains a new token (`shared`: the broker and the store may supply one) as the one mint under way.
    async fn mint(&self, valid: Option<Rc<Held>>, shared: bool) -> Result<Rc<Held>, Error> {
        let flight: Rc<SharedMint> = Rc::default();
        {
            let mut state = self.state.borrow_mut();
            state.minting += 1;
            if self.share_in_flight {
                state.flight = Some(flight.clone());
            }
        }
        let under_way = MintUnderWay { state: &self.state, flight: flight.clone() };
        let obtained = self.obtain(shared).await;
        let now = self.now();
        let result = {
            let mut state = self.state.borrow_mut();
            match &obtained {
                Ok(Obtained { held, stale: false }) => {
                    state.held = Some(held.clone());
                    state.failures = 0;
                    state.retry_at_ms = 0.0;
                    state.last_error = None;
                }
                Ok(Obtained { held, stale: true }) => {
                    state.held = Some(held.clone());
                    state.failures = state.failures.saturating_add(1);
                    state.retry_at_ms = now + backoff_ms(state.failures);
                }
                Err(error) => {
                    state.failures = state.failures.saturating_add(1);
                    state.retry_at_ms = now + backoff_ms(state.failures);
                    state.last_error = Some(error.clone());
                }
            }
            obtained.map(|o| o.held)
        };
        flight.finish(Some(result.clone()));
        drop(under_way);
        result.or_else(|error| self.fallback(valid, error))
    }

    /// With `shared`: the broker's token when it has one, else a fresh token from the shared store when it has
    /// one this source did not give up on. Else a new mint (written to the store).
    async fn obtain(&self, shared: bool) -> Result<Obtained, Error> {
        if let (true, Some(broker)) = (shared, &self.broker) {
            if let Some(obtained) = self.ask_broker(broker).await {
                self.count(|s| s.broker_answers += 1);
                return Ok(obtained);
            }
            self.count(|s| s.broker_fallbacks += 1);
        }
        if let (true, Some(store)) = (shared, &self.store) {
            if let Some(text) = store.get(&self.store_key).await {
                let now = self.now();
                match read_token_entry::<EdgeJson>(&self.seal, &self.store_key, &text, now) {
                    StoredToken::Valid(token, timing) if self.reusable(&token, timing, now) => {
                        return Ok(Obtained { held: Held::new(token, timing, now), stale: false });
                    }
                    StoredToken::Valid(..) | StoredToken::Dead => {}
                    StoredToken::Refused => count_refused(),
                }
            }
        }
        let pooled = self.pool_min_remaining_s.filter(|_| !self.state.borrow().unpooled_next);
        let (mut token, mut timing) = self.create(pooled).await?;
        let now = self.now();
        // A pooled token this source gave up on, or one already inside its margin (Clerk's rule and ours measure
        // time apart): taking it would mean a mint per call. Ask once for a new one instead.
        if pooled.is_some() && !self.reusable(&token, timing, now) {
            (token, timing) = self.create(None).await?;
        }
        self.state.borrow_mut().unpooled_next = false;
        let now = self.now();
        if let Some(store) = &self.store {
            if let Some((text, ttl_seconds)) = token_entry::<EdgeJson>(&self.seal, &self.store_key, &token, timing, now)
            {
                store.put(&self.store_key, text, ttl_seconds).await;
            }
        }
        Ok(Obtained { held: Held::new(token, timing, now), stale: false })
    }

    /// The broker's token, as a sealed entry that opens under this source's key and names a token it did not give
    /// up on and that is still valid; `None` otherwise (the caller then mints for itself). After a token was given
    /// up, the ask carries its digest, so that the broker replaces it rather than hand it back.
    async fn ask_broker(&self, broker: &BrokerLink) -> Option<Obtained> {
        let give_up = {
            let state = self.state.borrow();
            state.unpooled_next.then(|| state.invalidated.last().map(hex::encode)).flatten()
        };
        let text = broker.ask(&self.broker_ask(give_up).ok()?).await?;
        let now = self.now();
        match read_token_entry::<EdgeJson>(&self.seal, &self.store_key, &text, now) {
            StoredToken::Valid(token, timing) if !self.given_up(&token) => {
                self.state.borrow_mut().unpooled_next = false;
                let stale = timing.freshness(now) != Freshness::Fresh;
                Some(Obtained { held: Held::new(token, timing, now), stale })
            }
            StoredToken::Refused => {
                count_refused();
                None
            }
            StoredToken::Valid(..) | StoredToken::Dead => None,
        }
    }

    /// Whether this source gave `token` up (a callee's 401, `invalidate`).
    fn given_up(&self, token: &Secret) -> bool {
        self.state.borrow().invalidated.contains(&token_digest(token))
    }

    /// Whether a token this source did not mint itself — from the shared store, or from Clerk's pool — may be
    /// handed out: fresh at `now_ms`, and not one this source gave up on.
    fn reusable(&self, token: &Secret, timing: Timing, now_ms: f64) -> bool {
        timing.freshness(now_ms) == Freshness::Fresh && !self.given_up(token)
    }

    /// One call to Clerk's create: a new token, or — with `pool_min_remaining_s` — a live one Clerk hands back.
    async fn create(&self, pool_min_remaining_s: Option<u64>) -> Result<(Secret, Timing), Error> {
        let params = CreateTokenParams { min_remaining_ttl_seconds: pool_min_remaining_s, ..self.params.clone() };
        self.count(|s| s.mints += 1);
        let minted = self.client.create_token(&params).await?;
        let timing = self.policy.timing(&minted, self.now());
        let token = minted.token.ok_or(Error::InvalidResponse { detail: "the created token is missing" })?;
        Ok((token, timing))
    }

    /// Whether a callee's 401 may cost a re-mint now.
    fn may_remint(&self) -> bool {
        self.now() >= self.state.borrow().remint_after_ms
    }

    /// A callee refused a token and it was given up: the next refusal waits for the re-mint backoff.
    fn refused(&self) {
        let now = self.now();
        let mut state = self.state.borrow_mut();
        state.refusals = state.refusals.saturating_add(1);
        state.remint_after_ms = now + remint_backoff_ms(state.refusals);
    }

    /// A callee answered something other than 401: refusals start again from none.
    fn accepted(&self) {
        let mut state = self.state.borrow_mut();
        if state.refusals > 0 {
            state.refusals = 0;
            state.remint_after_ms = 0.0;
        }
    }

    /// Gives up on `held` if it is still the token in hand (a concurrent call may have replaced it already).
    fn give_up(&self, held: &Rc<Held>) {
        let mut state = self.state.borrow_mut();
        if state.held.as_ref().is_some_and(|h| Rc::ptr_eq(h, held)) {
            state.held = None;
            state.retry_at_ms = 0.0;
        }
        if state.invalidated.len() >= REMEMBERED_INVALID {
            state.invalidated.remove(0);
        }
        state.invalidated.push(token_digest(&held.token));
        // The token given up on must not come back from Clerk's pool: the next mint asks for a new one.
        state.unpooled_next = true;
    }
}

/// The broker's side (`edge::broker`): a source inside the Durable Object, shared by all its requests.
impl<T: Transport, S: SharedStore> TokenSource<T, S> {
    /// The token in hand (minting when needed) as the sealed entry an asker opens with its own key.
    pub(crate) async fn sealed_token(&self) -> Result<String, Error> {
        let held = self.held().await?;
        let entry = token_entry::<EdgeJson>(&self.seal, &self.store_key, &held.token, held.timing, self.now());
        entry.map(|(text, _)| text).ok_or(Error::InvalidResponse { detail: "the token expired as it was handed over" })
    }

    /// Gives the token in hand up when its digest is `digest_hex` (an asker's callee refused it). A digest of any
    /// other token changes nothing: the asks of many isolates refused the same token replace it once.
    pub(crate) fn give_up_digest(&self, digest_hex: &str) {
        let held = self.state.borrow().held.clone();
        if let Some(held) = held.filter(|h| hex::encode(token_digest(&h.token)) == digest_hex) {
            self.give_up(&held);
        }
    }

    /// When the successor of the token in hand is due ([`refresh_ahead_at`]; after a failed refresh, not before
    /// its backoff); `None` with no token in hand, one that never expires, or one already dead (the next ask mints).
    pub(crate) fn refresh_ahead_due_ms(&self) -> Option<f64> {
        let now = self.now();
        let state = self.state.borrow();
        let held = state.held.as_ref().filter(|h| h.timing.freshness(now) != Freshness::Dead)?;
        let at = refresh_ahead_at(held.timing, held.obtained_at_ms)?;
        Some(if state.failures > 0 { at.max(state.retry_at_ms) } else { at })
    }

    /// Mints the successor of the token in hand when it is due, the token is still valid and no mint is under
    /// way. Meanwhile every ask gets the token in hand (still fresh for the askers), never a wait.
    pub(crate) async fn refresh_ahead(&self) {
        // Due only with a valid token in hand (`refresh_ahead_due_ms`).
        let Some(due) = self.refresh_ahead_due_ms() else { return };
        let (valid, busy) = {
            let state = self.state.borrow();
            (state.held.clone(), state.minting > 0)
        };
        if self.now() >= due && !busy {
            // Its failure is kept (backoff, last error): the token in hand serves until it dies.
            let _ = self.mint(valid, false).await;
        }
    }
}

/// Why [`TokenSource::fetch`] failed: no token could be had (the mint's error), or the request itself failed
/// (`fetch`'s own rejection, untouched).
#[derive(Debug)]
pub enum FetchError {
    /// No valid token: the mint's error (or `invalid_argument` for a caller-set `Authorization`).
    Token(Error),
    /// `fetch` rejected (network failure, abort): its own error.
    Fetch(JsValue),
}

impl<S: SharedStore> TokenSource<FetchTransport, S> {
    /// `fetch(input, init)` with `Authorization: Bearer <token>`. On a 401 it gives the token up, mints once and
    /// sends again — when the body can be sent again (none, a string, bytes, `URLSearchParams`, `Blob`,
    /// `FormData`); a stream body gets the 401 back. A caller-set `Authorization` is `invalid_argument`.
    pub async fn fetch(&self, input: &JsValue, init: &JsValue) -> Result<Response, FetchError> {
        self.send_with_retry(input, init, false).await
    }

    async fn send_with_retry(
        &self,
        input: &JsValue,
        init: &JsValue,
        mut retried: bool,
    ) -> Result<Response, FetchError> {
        self.check_destination(input).map_err(FetchError::Token)?;
        let outgoing = Outgoing::new(input, init).map_err(FetchError::Token)?;
        loop {
            let held = self.held().await.map_err(FetchError::Token)?;
            let init = held.fetch_init();
            let response =
                outgoing.send(held.token.expose(), init, self.fetcher.as_ref()).await.map_err(FetchError::Fetch)?;
            if response.status() != 401 {
                self.accepted();
                return Ok(response);
            }
            // A 401 costs a re-mint only once per call, and not again until the re-mint backoff has passed.
            if retried || !self.may_remint() {
                return Ok(response);
            }
            self.give_up(&held);
            self.refused();
            if !should_retry(response.status(), outgoing.body_kind(), retried) {
                return Ok(response);
            }
            discard(&response);
            retried = true;
        }
    }

    /// The first attempt of a plain `fetch(url)` (no `init`, not a `Request`) sent at once, without a future,
    /// when the token in hand is fresh: the promise of its answer, a 401 (or a non-`Response`) handed to
    /// `on_unauthorized(input, tokenInit, answer)`, which calls [`TokenSource::after_unauthorized`]. `None`: take
    /// [`TokenSource::fetch`]. (A future and its promise cost as much CPU as the rest of such a call.)
    pub(crate) fn send_now(
        &self,
        input: &JsValue,
        init: &JsValue,
        on_unauthorized: &Function,
    ) -> Option<Result<Promise, JsValue>> {
        // After a refusal, every answer goes through the slow path until one that is not a 401 resets the backoff.
        if !Outgoing::is_plain(input, init) || self.state.borrow().refusals > 0 {
            return None;
        }
        if let Err(error) = self.check_destination(input) {
            return Some(Err(error.into()));
        }
        let now = self.now();
        let held = self.state.borrow().held.clone().filter(|h| h.timing.freshness(now) == Freshness::Fresh)?;
        let token_init = held.fetch_init();
        Some(send_plain(input, token_init, self.fetcher.as_ref(), on_unauthorized))
    }

    /// `Ok` when `input` goes to one of the source's origins; nothing is sent otherwise.
    fn check_destination(&self, input: &JsValue) -> Result<(), Error> {
        match &self.destinations {
            Some(destinations) => destinations.check(input),
            None => Err(Error::invalid("origins", ORIGINS_SHAPE)),
        }
    }

    /// After a 401 to [`TokenSource::send_now`]'s attempt with `token_init`: gives that token up (unless it was
    /// replaced already), mints and sends once more.
    pub(crate) async fn after_unauthorized(
        &self,
        input: &JsValue,
        token_init: &JsValue,
        response: Response,
    ) -> Result<Response, FetchError> {
        if !self.may_remint() {
            return Ok(response);
        }
        let held = self.state.borrow().held.clone();
        if let Some(held) = held.filter(|h| h.init.get().is_some_and(|i| JsValue::from(i) == *token_init)) {
            self.give_up(&held);
        }
        self.refused();
        discard(&response);
        self.send_with_retry(input, &JsValue::UNDEFINED, true).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::Config;
    use crate::core::http::{HttpResponse, TransportError};
    use crate::core::model::Nullable;
    use crate::edge::client::tests::{block_on, json, token_json, Scripted};
    use std::collections::HashMap;
    use std::future::Future;
    use std::task::Poll;

    const HOUR_MS: f64 = 3_600_000.0;

    fn minted(n: u32, expiration_ms: f64) -> Result<HttpResponse, TransportError> {
        json(
            200,
            &token_json(&format!(
                r#"{{"token":"mt_minted_{n}","expiration":{expiration_ms},"created_at":{}}}"#,
                expiration_ms - HOUR_MS
            )),
        )
    }

    fn source(answers: Vec<Result<HttpResponse, TransportError>>, share: bool) -> TokenSource<Scripted, MemStore> {
        source_with(answers, share, None)
    }

    fn source_with(
        answers: Vec<Result<HttpResponse, TransportError>>,
        share: bool,
        store: Option<MemStore>,
    ) -> TokenSource<Scripted, MemStore> {
        let config = Config { machine_secret_key: Some("ak_test".into()), max_retries: 0, ..Config::default() };
        let client = Rc::new(Client::with_transport(config, Scripted::new(answers)).unwrap());
        let params = CreateTokenParams { seconds_until_expiration: Nullable::Value(3600.0), ..Default::default() };
        TokenSource::with_sharing(client, params, Some(300.0), store, share).unwrap()
    }

    fn mints<S: SharedStore>(s: &TokenSource<Scripted, S>) -> usize {
        s.client.transport().sent.borrow().iter().filter(|r| r.url.ends_with("/m2m_tokens")).count()
    }

    fn advance<S: SharedStore>(s: &TokenSource<Scripted, S>, ms: f64) {
        let now = &s.client.transport().now;
        now.set(now.get() + ms);
    }

    #[derive(Default)]
    struct MemStore {
        entries: RefCell<HashMap<String, String>>,
    }

    impl SharedStore for MemStore {
        async fn get(&self, key: &str) -> Option<String> {
            self.entries.borrow().get(key).cloned()
        }
        async fn put(&self, key: &str, value: String, _ttl_seconds: u32) {
            self.entries.borrow_mut().insert(key.to_owned(), value);
        }
    }

    #[test]
    fn one_mint_serves_every_call_until_the_margin() {
        let s = source(vec![minted(1, 1_000_000.0 + HOUR_MS), minted(2, 1_000_000.0 + 2.0 * HOUR_MS)], true);
        for _ in 0..1000 {
            assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_minted_1");
        }
        assert_eq!(mints(&s), 1);
        advance(&s, HOUR_MS - 300_001.0);
        assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_minted_1", "never before the margin");
        advance(&s, 1.0);
        assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_minted_2", "a new token once it is reached");
        assert_eq!(mints(&s), 2);
    }

    #[test]
    fn a_failed_refresh_serves_the_valid_token_and_backs_off() {
        let s = source(vec![minted(1, 1_000_000.0 + HOUR_MS), Err(TransportError::Network)], true);
        block_on(s.get_token()).unwrap();
        advance(&s, HOUR_MS - 200_000.0); // inside the margin, still valid
        assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_minted_1", "Clerk down: the held token");
        assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_minted_1");
        assert_eq!(mints(&s), 2, "no second try during the backoff");
        advance(&s, 1_000.0);
        block_on(s.get_token()).unwrap();
        assert_eq!(mints(&s), 3, "tried again after it (and failed: the scripted transport is empty)");
        advance(&s, 200_000.0); // expired now
        let err = block_on(s.get_token()).unwrap_err();
        assert_eq!(err.code(), "network_error", "no valid token left: the mint's typed error");
    }

    #[test]
    fn clerk_down_with_no_token_fails_fast_until_the_backoff_passes() {
        let down = || json(503, r#"{"errors":[{"code":"service_unavailable"}]}"#);
        let s = source((0..10).map(|_| down()).collect(), true);
        for _ in 0..100 {
            let err = block_on(s.get_token()).unwrap_err();
            assert_eq!(err.code(), "service_unavailable", "the mint's error, every time");
            advance(&s, 9.0); // 100 calls in 0.9 s
        }
        assert_eq!(mints(&s), 1, "one Clerk call; the other 99 failed at once with its error");
        advance(&s, 100.0);
        assert!(block_on(s.get_token()).is_err());
        assert_eq!(mints(&s), 2, "after the 1 s backoff, one more try");
    }

    #[test]
    fn clerk_down_with_no_token_is_the_mints_typed_error() {
        let s = source(vec![json(401, r#"{"errors":[{"code":"authentication_invalid"}]}"#)], true);
        match block_on(s.get_token()) {
            Err(Error::Api(api)) => assert_eq!((api.status, api.code()), (401, "authentication_invalid")),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn invalidate_mints_anew_and_the_store_never_gives_the_token_back() {
        let store = MemStore::default();
        let s =
            source_with(vec![minted(1, 1_000_000.0 + HOUR_MS), minted(2, 1_000_000.0 + HOUR_MS)], true, Some(store));
        assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_minted_1");
        s.invalidate();
        assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_minted_2", "not mt_minted_1 from the store");
        assert_eq!(mints(&s), 2);
    }

    #[test]
    fn a_cold_source_takes_a_fresh_token_from_the_store() {
        let warm = source_with(vec![minted(1, 1_000_000.0 + HOUR_MS)], true, Some(MemStore::default()));
        block_on(warm.get_token()).unwrap();
        let entries = warm.store.as_ref().unwrap().entries.take();
        let (key, text) = entries.iter().next().unwrap();
        assert!(key.starts_with("clerk-m2m-edge:v2:token:") && !key.contains("ak_test"));
        assert!(text.contains("mt_minted_1"), "the value holds the token itself: a bearer credential");
        assert!(!text.contains("ak_test"), "never the key");
        let cold = source_with(vec![], true, Some(MemStore { entries: RefCell::new(entries.clone()) }));
        assert_eq!(block_on(cold.get_token()).unwrap().expose(), "mt_minted_1");
        assert_eq!(mints(&cold), 0, "no mint");
    }

    #[test]
    fn a_token_planted_in_the_store_is_never_sent() {
        let warm = source_with(vec![minted(1, 1_000_000.0 + HOUR_MS)], true, Some(MemStore::default()));
        block_on(warm.get_token()).unwrap();
        let (key, real) = warm.store.as_ref().unwrap().entries.take().into_iter().next().unwrap();
        let unsealed = r#"{"token":"mt_attackers_own","expires_at":null,"refresh_at":null}"#.to_owned();
        let other_secret = SealKey::derive(&Secret::from("ak_attacker")).seal(&key, &unsealed);
        let edited = real.replace("mt_minted_1", "mt_attackers_1");
        for planted in [unsealed, other_secret, edited] {
            crate::edge::store::reset_refused();
            let store = MemStore { entries: RefCell::new(HashMap::from([(key.clone(), planted.clone())])) };
            let cold = source_with(vec![minted(2, 1_000_000.0 + HOUR_MS)], true, Some(store));
            assert_eq!(block_on(cold.get_token()).unwrap().expose(), "mt_minted_2", "{planted}");
            assert_eq!(crate::edge::store::refused_entries(), 1, "counted");
        }
    }

    #[test]
    fn concurrent_calls_share_one_mint_unless_sharing_is_off() {
        use std::future::poll_fn;
        use std::pin::pin;
        for (share, expected) in [(true, 1), (false, 3)] {
            let s = source(
                vec![
                    minted(1, 1_000_000.0 + HOUR_MS),
                    minted(2, 1_000_000.0 + HOUR_MS),
                    minted(3, 1_000_000.0 + HOUR_MS),
                ],
                share,
            );
            s.client.transport().pending_once.set(true); // every answer takes one turn: the calls overlap
            let (mut a, mut b, mut c) = (pin!(s.get_token()), pin!(s.get_token()), pin!(s.get_token()));
            let all = block_on(poll_fn(|cx| {
                let ready = [a.as_mut().poll(cx), b.as_mut().poll(cx), c.as_mut().poll(cx)];
                match ready {
                    [Poll::Ready(a), Poll::Ready(b), Poll::Ready(c)] => Poll::Ready([a, b, c]),
                    _ => Poll::Pending,
                }
            }));
            assert!(all.iter().all(Result::is_ok));
            assert_eq!(mints(&s), expected, "share = {share}");
        }
    }

    /// The `min_remaining_ttl_seconds` each mint asked for, in order (`None`: not pooled).
    fn pooling_asked<S: SharedStore>(s: &TokenSource<Scripted, S>) -> Vec<Option<u64>> {
        let sent = s.client.transport().sent.borrow();
        sent.iter()
            .filter(|r| r.url.ends_with("/m2m_tokens"))
            .map(|r| {
                let body: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap_or("{}")).unwrap();
                body.get("min_remaining_ttl_seconds").and_then(serde_json::Value::as_u64)
            })
            .collect()
    }

    #[test]
    fn opaque_mints_ask_for_clerks_pool_except_right_after_a_token_was_given_up() {
        let answers = vec![
            minted(1, 1_000_000.0 + HOUR_MS),
            minted(2, 1_000_000.0 + HOUR_MS),
            minted(3, 1_000_000.0 + 2.0 * HOUR_MS),
        ];
        let s = source(answers, true);
        block_on(s.get_token()).unwrap();
        s.invalidate();
        block_on(s.get_token()).unwrap();
        advance(&s, HOUR_MS - 300_000.0); // the margin: a refresh, pooled again
        block_on(s.get_token()).unwrap();
        assert_eq!(pooling_asked(&s), [Some(300 + 1800), None, Some(300 + 1800)], "margin + half the lifetime");
    }

    #[test]
    fn a_pooled_token_already_inside_its_margin_costs_one_new_mint_never_a_loop() {
        // Clerk hands back a token with 100 s left (inside the 300 s margin): one unpooled mint follows.
        let s = source(vec![minted(1, 1_000_000.0 + 100_000.0), minted(2, 1_000_000.0 + HOUR_MS)], true);
        assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_minted_2");
        for _ in 0..100 {
            block_on(s.get_token()).unwrap();
        }
        assert_eq!(pooling_asked(&s), [Some(2100), None], "two mints, then none");
    }

    #[test]
    fn jwts_and_sources_without_pooling_never_ask_for_it() {
        let config = Config { machine_secret_key: Some("ak_test".into()), max_retries: 0, ..Config::default() };
        let jwt = CreateTokenParams {
            seconds_until_expiration: Nullable::Value(3600.0),
            token_format: Some(TokenFormat::Jwt),
            ..Default::default()
        };
        let client = Rc::new(
            Client::with_transport(config.clone(), Scripted::new(vec![minted(1, 1_000_000.0 + HOUR_MS)])).unwrap(),
        );
        let s: TokenSource<Scripted, MemStore> = TokenSource::with_sharing(client, jwt, None, None, true).unwrap();
        block_on(s.get_token()).unwrap();
        assert_eq!(pooling_asked(&s), [None], "a JWT is never pooled");
        let off = source(vec![minted(1, 1_000_000.0 + HOUR_MS)], true).without_pooling();
        block_on(off.get_token()).unwrap();
        assert_eq!(pooling_asked(&off), [None]);
        let opaque = CreateTokenParams {
            seconds_until_expiration: Nullable::Value(3600.0),
            min_remaining_ttl_seconds: Some(600),
            ..Default::default()
        };
        let client =
            Rc::new(Client::with_transport(config, Scripted::new(vec![minted(1, 1_000_000.0 + HOUR_MS)])).unwrap());
        let own: TokenSource<Scripted, MemStore> = TokenSource::with_sharing(client, opaque, None, None, true).unwrap();
        block_on(own.get_token()).unwrap();
        assert_eq!(pooling_asked(&own), [Some(600)], "the caller's own minRemainingTtlSeconds");
    }

    #[test]
    fn a_brokers_source_mints_the_successor_ahead_of_its_callers_once() {
        // An hour, a 300 s margin: callers refresh at 3300 s; the broker's successor is due at 3270 s.
        let s = source(vec![minted(1, 1_000_000.0 + HOUR_MS), minted(2, 1_000_000.0 + 2.0 * HOUR_MS)], true);
        block_on(s.get_token()).unwrap();
        assert_eq!(s.refresh_ahead_due_ms(), Some(1_000_000.0 + 3_270_000.0));
        advance(&s, 3_269_999.0);
        block_on(s.refresh_ahead());
        assert_eq!(mints(&s), 1, "not due yet");
        advance(&s, 1.0);
        block_on(s.refresh_ahead());
        block_on(s.refresh_ahead());
        assert_eq!(mints(&s), 2, "one successor");
        assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_minted_2", "callers get it without a mint");
        assert_eq!(mints(&s), 2);
        assert_eq!(s.refresh_ahead_due_ms(), Some(1_000_000.0 + 2.0 * HOUR_MS - 330_000.0), "30 s ahead again");
    }

    #[test]
    fn a_failed_refresh_ahead_keeps_the_token_and_waits_for_the_backoff() {
        let s = source(vec![minted(1, 1_000_000.0 + HOUR_MS), Err(TransportError::Network)], true);
        block_on(s.get_token()).unwrap();
        advance(&s, 3_270_000.0);
        block_on(s.refresh_ahead());
        assert_eq!(mints(&s), 2);
        assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_minted_1", "Clerk down: the held token");
        assert_eq!(s.refresh_ahead_due_ms(), Some(1_000_000.0 + 3_270_000.0 + 1_000.0), "after the 1 s backoff");
        block_on(s.refresh_ahead());
        assert_eq!(mints(&s), 2, "no retry before it");
        advance(&s, HOUR_MS);
        assert_eq!(s.refresh_ahead_due_ms(), None, "a dead token has no successor due: the next ask mints");
    }

    #[test]
    fn a_brokers_answer_opens_under_the_askers_key_and_a_give_up_replaces_only_its_token() {
        let s = source(vec![minted(1, 1_000_000.0 + HOUR_MS), minted(2, 1_000_000.0 + HOUR_MS)], true);
        let entry = block_on(s.sealed_token()).unwrap();
        match read_token_entry::<EdgeJson>(&s.seal, &s.store_key, &entry, 1_000_000.0) {
            StoredToken::Valid(token, timing) => {
                assert_eq!(token.expose(), "mt_minted_1");
                assert_eq!(timing.refresh_at_ms, Some(1_000_000.0 + HOUR_MS - 300_000.0), "the askers' margin");
            }
            other => panic!("{other:?}"),
        }
        let other_key = SealKey::derive(&Secret::from("ak_someone_else"));
        assert!(matches!(
            read_token_entry::<EdgeJson>(&other_key, &s.store_key, &entry, 1_000_000.0),
            StoredToken::Refused
        ));
        s.give_up_digest(&hex::encode(token_digest(&Secret::from("mt_minted_0"))));
        assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_minted_1", "another token's digest: kept");
        s.give_up_digest(&hex::encode(token_digest(&Secret::from("mt_minted_1"))));
        s.give_up_digest(&hex::encode(token_digest(&Secret::from("mt_minted_1"))));
        assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_minted_2", "its own digest: replaced, once");
        assert_eq!(pooling_asked(&s), [Some(2100), None], "the replacement is never Clerk's pooled copy");
        assert_eq!(s.stats().mints, 2);
    }

    #[test]
    fn a_token_that_never_expires_is_kept() {
        let never = json(200, &token_json(r#"{"token":"mt_forever","expiration":null}"#));
        let s = source(vec![never], true);
        block_on(s.get_token()).unwrap();
        advance(&s, 1e12);
        assert_eq!(block_on(s.get_token()).unwrap().expose(), "mt_forever");
        assert_eq!(mints(&s), 1);
    }
}
