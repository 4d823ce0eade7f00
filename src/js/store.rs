//! The `cacheStore` option: a user's `{ get, put }` store (Workers KV, the Cache API…) as the verifier's and the
//! token source's [`SharedStore`], bounded (`js/store.js`): a `get` that throws, rejects, answers a non-string
//! or does not settle within `storeTimeoutMs` is a miss; a `put` is never awaited.

use crate::core::error::Error;
use crate::core::options::invalid;
use crate::edge::json::js_value;
use crate::edge::store::SharedStore;
use crate::js::options::timer_ms;
use js_sys::{Function, Object, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/js/store.js")]
extern "C" {
    /// `store.get(key)`'s value, or `undefined` when it throws, rejects or takes longer than `ms`.
    #[wasm_bindgen(js_name = boundedGet)]
    fn bounded_get(store: &Object, get: &Function, key: &str, ms: u32) -> Promise;
    /// Starts `store.put(key, value, options)` without waiting for it; its failure is swallowed.
    #[wasm_bindgen(js_name = detachedPut)]
    fn detached_put(store: &Object, put: &Function, key: &str, value: &str, options: &JsValue);
}

/// How long a `cacheStore.get` may take before it counts as a miss, by default.
pub(crate) const DEFAULT_STORE_TIMEOUT_MS: u32 = 1_000;

/// A user's `{ get(key), put(key, value, { expirationTtl }) }`.
#[derive(Clone)]
pub(crate) struct JsCacheStore {
    target: Object,
    get: Function,
    put: Function,
    timeout_ms: u32,
}

impl JsCacheStore {
    /// The `cacheStore` of an options object: `None` when absent or `null`.
    pub fn from_options(options: &JsValue) -> Result<Option<JsCacheStore>, Error> {
        if options.is_undefined() || options.is_null() {
            return Ok(None);
        }
        let value = Reflect::get(options, &JsValue::from_str("cacheStore")).map_err(|_| invalid("cacheStore"))?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        let method = |name: &str| {
            Reflect::get(&value, &JsValue::from_str(name)).ok().and_then(|f| f.dyn_into::<Function>().ok())
        };
        let timeout =
            Reflect::get(options, &JsValue::from_str("storeTimeoutMs")).map_err(|_| invalid("storeTimeoutMs"))?;
        let timeout_ms = match timeout.as_f64() {
            None if timeout.is_undefined() => DEFAULT_STORE_TIMEOUT_MS,
            Some(ms) => timer_ms(ms, "storeTimeoutMs")?,
            None => return Err(invalid("storeTimeoutMs")),
        };
        match (value.is_object(), method("get"), method("put")) {
            (true, Some(get), Some(put)) => {
                Ok(Some(JsCacheStore { target: value.unchecked_into(), get, put, timeout_ms }))
            }
            _ => Err(invalid("cacheStore")),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PutOptions {
    expiration_ttl: u32,
}

impl SharedStore for JsCacheStore {
    async fn get(&self, key: &str) -> Option<String> {
        JsFuture::from(bounded_get(&self.target, &self.get, key, self.timeout_ms)).await.ok()?.as_string()
    }

    async fn put(&self, key: &str, value: String, ttl_seconds: u32) {
        let Some(options) = js_value(&PutOptions { expiration_ttl: ttl_seconds }) else { return };
        detached_put(&self.target, &self.put, key, &value, &options);
    }
}
