//! `__TokenBroker`, the wasm half of the package's `M2MTokenBroker` Durable Object (`js/durable-object.js`):
//! answers asks, refreshes ahead and says when its next alarm is due, over the object's storage. Converts only;
//! the behaviour is `edge::broker`'s. Not public API: the package's `exports` map does not expose the glue.

use super::auth::spawn;
use super::store::JsCacheStore;
use crate::core::error::Error;
use crate::edge::broker::Broker;
use js_sys::Promise;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// One Durable Object's broker.
#[wasm_bindgen(js_name = __TokenBroker, skip_typescript)]
pub struct JsTokenBroker {
    broker: Rc<Broker<JsCacheStore>>,
}

#[wasm_bindgen(js_class = __TokenBroker)]
impl JsTokenBroker {
    /// A broker over `options.cacheStore`: the object's storage as `{ get(key), put(key, value) }`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<JsTokenBroker, JsValue> {
        let storage =
            JsCacheStore::from_options(&options)?.ok_or(Error::invalid("cacheStore", "the object's storage"))?;
        Ok(JsTokenBroker { broker: Rc::new(Broker::new(storage)) })
    }

    /// Resolves to the sealed entry answering `ask`; rejects with a `ClerkM2MError` or `ClerkAPIResponseError`.
    pub fn answer(&self, ask: String) -> Promise {
        let broker = self.broker.clone();
        spawn(async move { Ok(JsValue::from_str(&broker.answer(&ask).await?)) })
    }

    /// Mints every successor that is due; resolves when done (failures are kept by each source).
    #[wasm_bindgen(js_name = refreshAhead)]
    pub fn refresh_ahead(&self) -> Promise {
        let broker = self.broker.clone();
        spawn(async move {
            broker.refresh_ahead().await;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// When the next successor is due, in milliseconds since the epoch; `undefined` when none is.
    #[wasm_bindgen(js_name = nextRefresh)]
    pub fn next_refresh(&self) -> Option<f64> {
        self.broker.next_refresh_ms()
    }
}
