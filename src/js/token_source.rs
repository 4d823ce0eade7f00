//! `TokenSource`, the JS class `m2m.tokenSource(options)` returns: `getToken()`, `fetch(input, init)` and
//! `invalidate()` over the edge's [`TokenSource`]. Converts only; the behaviour is the edge's and the core's.

use super::auth::spawn;
use super::convert::to_js;
use super::store::JsCacheStore;
use crate::edge::http::FetchTransport;
use crate::edge::outgoing::as_response;
use crate::edge::token_source::{FetchError, TokenSource};
use js_sys::{Function, Promise};
use serde::Serialize;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

type Source = TokenSource<FetchTransport, JsCacheStore>;

/// `source.stats()` as JS sees it (written as JSON text and read by `JSON.parse`: plain numbers).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ShownStats {
    mints: u64,
    broker_answers: u64,
    broker_fallbacks: u64,
}

/// `(input, tokenInit, answer) => Promise<Response>`: a fast first attempt's 401 (or non-`Response`) answer.
type Check = Closure<dyn Fn(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>>;

/// `__declareWorkerd()`: called by the package's workerd entry once the wasm is loaded — the token source then
/// never lets a request await another request's mint, even where workerd has no `navigator`. Not public API: the
/// package's `exports` map does not expose the glue that holds it.
#[wasm_bindgen(js_name = __declareWorkerd, skip_typescript)]
pub fn declare_workerd() {
    crate::edge::isolate::declare_workerd();
}

/// Mints machine tokens for outgoing calls and keeps them. See the package's `index.d.ts` for the JS types.
#[wasm_bindgen(js_name = TokenSource, skip_typescript)]
pub struct JsTokenSource {
    source: Rc<Source>,
    /// One per source (not per call): a plain `fetch(url)` with a fresh token hands a 401 answer to it. Owned by
    /// JS (`into_js_value`), so that a pending call still has it after the source is freed or collected.
    on_unauthorized: Function,
}

/// A fetch's outcome as the promise it settles: the `Response`, or the mint's error, or `fetch`'s own.
fn into_js_result(result: Result<web_sys::Response, FetchError>) -> Result<JsValue, JsValue> {
    match result {
        Ok(response) => Ok(response.into()),
        Err(FetchError::Token(error)) => Err(error.into()),
        Err(FetchError::Fetch(error)) => Err(error),
    }
}

impl JsTokenSource {
    /// Wraps an edge token source.
    pub(crate) fn new(source: Source) -> JsTokenSource {
        let source = Rc::new(source);
        let weak: Weak<Source> = Rc::downgrade(&source);
        let retry_401 = Check::new(move |input: JsValue, token_init: JsValue, answer: JsValue| {
            let response = as_response(answer)?;
            match weak.upgrade() {
                Some(source) if response.status() == 401 => Ok(future_to_promise(async move {
                    into_js_result(source.after_unauthorized(&input, &token_init, response).await)
                })
                .into()),
                _ => Ok(response.into()),
            }
        });
        JsTokenSource { source, on_unauthorized: retry_401.into_js_value().unchecked_into() }
    }
}

#[wasm_bindgen(js_class = TokenSource)]
impl JsTokenSource {
    /// Resolves to a token string with at least the refresh margin left (minting when needed).
    #[wasm_bindgen(js_name = getToken)]
    pub fn get_token(&self) -> Promise {
        let source = self.source.clone();
        spawn(async move { Ok(JsValue::from_str(source.get_token().await?.expose())) })
    }

    /// `fetch(input, init)` with `Authorization: Bearer <token>`; on a 401, one re-mint and one retry when the
    /// body can be replayed. Rejects with the mint's error when no token can be had, or with `fetch`'s own.
    pub fn fetch(&self, input: JsValue, init: JsValue) -> Promise {
        match self.source.send_now(&input, &init, &self.on_unauthorized) {
            Some(Ok(sent)) => sent,
            Some(Err(error)) => Promise::reject(&error),
            None => {
                let source = self.source.clone();
                future_to_promise(async move { into_js_result(source.fetch(&input, &init).await) })
            }
        }
    }

    /// Forgets the current token: the next call mints.
    pub fn invalidate(&self) {
        self.source.invalidate();
    }

    /// `{ mints, brokerAnswers, brokerFallbacks }`: what this source did in this isolate.
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        let stats = self.source.stats();
        let shown = ShownStats {
            mints: stats.mints,
            broker_answers: stats.broker_answers,
            broker_fallbacks: stats.broker_fallbacks,
        };
        Ok(to_js(&shown)?)
    }
}
