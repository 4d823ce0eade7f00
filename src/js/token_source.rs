//! `TokenSource`, the JS class `m2m.tokenSource(options)` returns: `getToken()`, `fetch(input, init)` and
//! `invalidate()` over the edge's [`TokenSource`]. Converts only; the behaviour is the edge's and the core's.

use super::auth::spawn;
use super::store::JsCacheStore;
use crate::edge::http::FetchTransport;
use crate::edge::token_source::{FetchError, TokenSource};
use js_sys::Promise;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// Mints machine tokens for outgoing calls and keeps them. See the package's `index.d.ts` for the JS types.
#[wasm_bindgen(js_name = TokenSource, skip_typescript)]
pub struct JsTokenSource {
    source: Rc<TokenSource<FetchTransport, JsCacheStore>>,
}

impl JsTokenSource {
    /// Wraps an edge token source.
    pub(crate) fn new(source: TokenSource<FetchTransport, JsCacheStore>) -> JsTokenSource {
        JsTokenSource { source: Rc::new(source) }
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
        let source = self.source.clone();
        future_to_promise(async move {
            match source.fetch(&input, &init).await {
                Ok(response) => Ok(response.into()),
                Err(FetchError::Token(error)) => Err(error.into()),
                Err(FetchError::Fetch(error)) => Err(error),
            }
        })
    }

    /// Forgets the current token: the next call mints.
    pub fn invalidate(&self) {
        self.source.invalidate();
    }
}
