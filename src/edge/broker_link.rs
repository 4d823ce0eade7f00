//! The isolate's line to the token broker: one ask to the Durable Object named for a token source's
//! configuration, bounded (`js/broker.js` makes the call and turns every failure into a miss). Owns that call;
//! what is asked and what an answer must be are `core::broker`'s and `core::token_source`'s.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/js/broker.js")]
extern "C" {
    /// The text of the broker's 200 answer to `ask`, or `undefined` when the call throws, rejects, answers
    /// anything else or takes longer than `ms`.
    #[wasm_bindgen(js_name = askBroker)]
    fn ask_broker(namespace: &JsValue, name: &str, ask: &str, ms: u32) -> Promise;
}

/// A Durable Object namespace binding and the name of the object that holds one configuration's token.
pub(crate) struct BrokerLink {
    namespace: JsValue,
    /// The token source's store key: a digest of its configuration, never the key.
    name: String,
    timeout_ms: u32,
}

impl BrokerLink {
    pub(crate) fn new(namespace: JsValue, name: String, timeout_ms: u32) -> BrokerLink {
        BrokerLink { namespace, name, timeout_ms }
    }

    /// The broker's answer to `ask`; `None` when it gave none in time.
    pub(crate) async fn ask(&self, ask: &str) -> Option<String> {
        JsFuture::from(ask_broker(&self.namespace, &self.name, ask, self.timeout_ms)).await.ok()?.as_string()
    }
}
