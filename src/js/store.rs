//! The `cacheStore` option: a user's `{ get, put }` store (Workers KV, the Cache API…) as the verifier's
//! [`SharedStore`]. Its failures — a throwing method, a rejected promise, a non-string value — are cache
//! misses, never errors.

use crate::core::error::Error;
use crate::edge::store::SharedStore;
use js_sys::{Function, Object, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A user's `{ get(key), put(key, value, { expirationTtl }) }`.
pub(crate) struct JsCacheStore {
    target: Object,
    get: Function,
    put: Function,
}

const EXPECTED: &str = "an object with get(key) and put(key, value, { expirationTtl }) methods";

impl JsCacheStore {
    /// The `cacheStore` of an options object: `None` when absent or `null`.
    pub fn from_options(options: &JsValue) -> Result<Option<JsCacheStore>, Error> {
        if options.is_undefined() || options.is_null() {
            return Ok(None);
        }
        let value = Reflect::get(options, &JsValue::from_str("cacheStore"))
            .map_err(|_| Error::invalid("cacheStore", EXPECTED))?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        let method = |name: &str| {
            Reflect::get(&value, &JsValue::from_str(name)).ok().and_then(|f| f.dyn_into::<Function>().ok())
        };
        match (value.is_object(), method("get"), method("put")) {
            (true, Some(get), Some(put)) => Ok(Some(JsCacheStore { target: value.unchecked_into(), get, put })),
            _ => Err(Error::invalid(
                "cacheStore",
                "an object with get(key) and put(key, value, { expirationTtl }) methods",
            )),
        }
    }
}

/// Awaits a value that may or may not be a promise; `None` when it rejects.
async fn settle(value: JsValue) -> Option<JsValue> {
    JsFuture::from(Promise::resolve(&value)).await.ok()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PutOptions {
    expiration_ttl: u32,
}

impl SharedStore for JsCacheStore {
    async fn get(&self, key: &str) -> Option<String> {
        let pending = self.get.call1(&self.target, &JsValue::from_str(key)).ok()?;
        settle(pending).await?.as_string()
    }

    async fn put(&self, key: &str, value: String, ttl_seconds: u32) {
        let Ok(options) = serde_wasm_bindgen::to_value(&PutOptions { expiration_ttl: ttl_seconds }) else { return };
        let (key, value) = (JsValue::from_str(key), JsValue::from_str(&value));
        if let Ok(pending) = self.put.call3(&self.target, &key, &value, &options) {
            let _ = settle(pending).await;
        }
    }
}
