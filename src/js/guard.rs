//! `verifyRequest` for JS: reads the `Authorization` header of a `Request`, runs the guard with WebCrypto and the
//! isolate-wide state, and answers a signed-in object or a signed-out one with `toResponse()`.
//! Owns JS option parsing for the guard and the `cacheStore` adapter; all rules live in [`crate::guard`].

use super::client::{apply_client_options, promise, ClerkM2M, CLIENT_OPTIONS};
use super::convert::parse_js;
use super::options::Options;
use crate::client::Client;
use crate::config::Config;
use crate::crypto::WebCrypto;
use crate::error::Error;
use crate::guard::cache::DEFAULT_CAPACITY;
use crate::guard::{GuardSettings, Identity, Outcome, Rejection, SharedStore, Verifier};
use crate::json::ObjectWriter;
use crate::task::PromiseFuture;
use crate::verify::isolate_state;
use js_sys::{Function, Object, Promise, Reflect};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/auth.js")]
extern "C" {
    /// `{ reason, message, status, wwwAuthenticate?, retryAfter? }` as JSON text (one `(&str) -> JsValue` import
    /// signature, shared with wasm-bindgen's own).
    #[wasm_bindgen(js_name = newSignedOut)]
    fn new_signed_out(json: &str) -> JsValue;
}

/// A user's `{ get, put }` store (Workers KV, the Cache API…). Its failures are cache misses, never errors.
pub(crate) struct JsCacheStore {
    target: Object,
    get: Function,
    put: Function,
}

impl JsCacheStore {
    fn from_options(o: &Options) -> Result<Option<JsCacheStore>, Error> {
        const EXPECTED: &str = "an object with get(key) and put(key, value, { expirationTtl }) methods";
        let Some(value) = o.raw("cacheStore")? else { return Ok(None) };
        let method = |name: &str| {
            Reflect::get(&value, &JsValue::from_str(name)).ok().and_then(|f| f.dyn_into::<Function>().ok())
        };
        match (value.is_object(), method("get"), method("put")) {
            (true, Some(get), Some(put)) => Ok(Some(JsCacheStore { target: value.unchecked_into(), get, put })),
            _ => Err(Error::invalid("cacheStore", EXPECTED)),
        }
    }
}

async fn settle(value: JsValue) -> Option<JsValue> {
    PromiseFuture::new(value).await.ok()
}

impl SharedStore for JsCacheStore {
    async fn get(&self, key: &str) -> Option<String> {
        let pending = self.get.call1(&self.target, &JsValue::from_str(key)).ok()?;
        settle(pending).await?.as_string()
    }

    async fn put(&self, key: &str, value: String, ttl_seconds: u32) {
        let options = Object::new();
        let _ = Reflect::set(&options, &JsValue::from_str("expirationTtl"), &JsValue::from(ttl_seconds));
        if let Ok(pending) = self.put.call3(&self.target, &JsValue::from_str(key), &JsValue::from_str(&value), &options)
        {
            let _ = settle(pending).await;
        }
    }
}

fn guard_settings(o: &Options, default_jwt_key: Option<String>) -> Result<GuardSettings, Error> {
    let jwt_key = o.string("jwtKey", "a PEM public key")?.or(default_jwt_key);
    let mut s = GuardSettings { jwt_key, ..GuardSettings::default() };
    s.machine_id = o.string("machineId", "a machine id: mch_ followed by 27 letters, digits or _")?;
    const MS: &str = "a non-negative number of milliseconds";
    let millis = |field: &'static str| -> Result<Option<u32>, Error> {
        match o.number(field, MS)? {
            Some(v) if v.is_finite() && v >= 0.0 && v <= f64::from(u32::MAX) => Ok(Some(v.ceil() as u32)),
            Some(_) => Err(Error::invalid(field, MS)),
            None => Ok(None),
        }
    };
    if let Some(v) = millis("clockSkewMs")? {
        s.clock_skew_ms = v;
    }
    if let Some(v) = millis("cacheTtlMs")? {
        s.cache_ttl_ms = v;
    }
    if let Some(v) = millis("negativeCacheTtlMs")? {
        s.negative_cache_ttl_ms = v;
    }
    if let Some(cache) = o.boolean("cache")? {
        s.cache = cache;
    }
    Ok(s)
}

/// The `Authorization` header of a `Request` (anything with `headers.get`).
fn authorization_of(request: &JsValue) -> Result<Option<String>, Error> {
    const EXPECTED: &str = "a Request (an object whose headers have get())";
    let headers = if request.is_object() { Reflect::get(request, &JsValue::from_str("headers")).ok() } else { None };
    let headers = headers.filter(JsValue::is_object).ok_or(Error::invalid("request", EXPECTED))?;
    let get = Reflect::get(&headers, &JsValue::from_str("get"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or(Error::invalid("request", EXPECTED))?;
    let value =
        get.call1(&headers, &JsValue::from_str("authorization")).map_err(|_| Error::invalid("request", EXPECTED))?;
    Ok(value.as_string())
}

fn signed_in(identity: &Identity) -> Result<JsValue, Error> {
    let mut out = String::with_capacity(384);
    let mut o = ObjectWriter::new(&mut out);
    o.bool("isAuthenticated", true).str("tokenType", "m2m_token").str("machineId", &identity.subject);
    identity.write_members(&mut o);
    o.finish();
    parse_js(&out)
}

fn signed_out(rejection: &Rejection) -> JsValue {
    let mut out = String::with_capacity(256);
    let mut o = ObjectWriter::new(&mut out);
    o.str("reason", rejection.reason.as_str()).str("message", rejection.reason.message());
    o.int("status", rejection.status().into());
    if let Some(challenge) = rejection.www_authenticate() {
        o.str("wwwAuthenticate", &challenge);
    }
    if let Some(seconds) = rejection.retry_after_header() {
        o.int("retryAfter", seconds.into());
    }
    o.finish();
    new_signed_out(&out)
}

/// Runs the guard for `request` with a client and the guard options.
async fn run(
    client: Rc<Client>,
    request: JsValue,
    o: Options,
    default_jwt_key: Option<String>,
) -> Result<JsValue, Error> {
    let settings = guard_settings(&o, default_jwt_key)?;
    let store = JsCacheStore::from_options(&o)?;
    let authorization = authorization_of(&request)?;
    let verifier = Verifier::new(client, WebCrypto, store, isolate_state(), settings)?;
    match verifier.verify_request(authorization.as_deref()).await? {
        Outcome::SignedIn(identity) => signed_in(&identity),
        Outcome::SignedOut(rejection) => Ok(signed_out(&rejection)),
    }
}

/// `verifyRequest(request, options)`: resolves to the caller's machine identity or a signed-out object with
/// `toResponse()`. Rejects only for a configuration no request could pass.
#[wasm_bindgen(js_name = verifyRequest, skip_typescript)]
pub fn verify_request(request: JsValue, options: JsValue) -> Promise {
    promise(async move {
        let o = Options::new(options, "options")?;
        let mut config = Config::default();
        apply_client_options(&mut config, &o)?;
        run(Rc::new(Client::new(config)?), request, o, None).await
    })
}

#[wasm_bindgen(js_class = ClerkM2M)]
impl ClerkM2M {
    /// `m2m.verifyRequest(request, options)`: `verifyRequest` with this client's keys, URL, timeouts and retries
    /// (options override them).
    #[wasm_bindgen(js_name = verifyRequest)]
    pub fn verify_request(&self, request: JsValue, options: JsValue) -> Promise {
        let (base, jwt_key) = (self.client(), self.jwt_key());
        promise(async move {
            let o = Options::new(options, "options")?;
            let client = if o.has_any(&CLIENT_OPTIONS)? {
                let mut config = base.config().clone();
                apply_client_options(&mut config, &o)?;
                Rc::new(Client::new(config)?)
            } else {
                base
            };
            run(client, request, o, jwt_key).await
        })
    }
}

/// `verificationCacheStats()`: how many results this isolate holds, and the bound.
#[wasm_bindgen(js_name = verificationCacheStats, skip_typescript)]
pub fn verification_cache_stats() -> JsValue {
    let entries = isolate_state().borrow().cached_results();
    let stats = Object::new();
    let _ = Reflect::set(&stats, &JsValue::from_str("entries"), &JsValue::from(entries as u32));
    let _ = Reflect::set(&stats, &JsValue::from_str("capacity"), &JsValue::from(DEFAULT_CAPACITY as u32));
    stats.into()
}

/// `clearVerificationCache()`: forgets every cached result, JWKS and key in this isolate.
#[wasm_bindgen(js_name = clearVerificationCache, skip_typescript)]
pub fn clear_verification_cache() {
    isolate_state().borrow_mut().clear();
}
