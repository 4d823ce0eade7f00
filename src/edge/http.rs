//! Clerk's transport: one attempt through the runtime's global `fetch` (`js/clerk-fetch.js` sends it and reads the
//! whole body in one call), bounded by a [`Deadline`] — an `AbortController` and a timer owned by the attempt, as
//! reqwest's wasm client does — that also covers reading the body and aborts the request when the attempt's future
//! is dropped. The request headers are built once per key and kept (`fetch` copies what it is given). A redirect
//! is never followed (it would carry the key elsewhere): a 3xx comes back as Clerk's answer, an error. Owns nothing
//! else: no retries, no decoding. (The token source's outgoing requests are `edge::outgoing`'s.)

use crate::core::http::{HttpRequest, HttpResponse, Transport, TransportError, DECISIVE_HEADERS};
use crate::core::secret::Secret;
use crate::edge::remembered::{remembered, Remembered};
use js_sys::{Array, Function, Promise};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, Response};

#[wasm_bindgen(module = "/js/clerk-fetch.js")]
extern "C" {
    /// `fetch(url, { method, headers, body, signal, redirect: 'manual' })` and its body's text: `[response, text]`.
    #[wasm_bindgen(catch, js_name = clerkFetch)]
    fn clerk_fetch(
        url: &str,
        method: &str,
        headers: &Headers,
        body: Option<&str>,
        signal: &AbortSignal,
    ) -> Result<Promise, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// `setTimeout(handler, ms, arg)`: `handler(arg)` after `ms`.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout_with(handler: &Function, ms: i32, arg: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

thread_local! {
    /// `(controller) => controller.abort()`, built once per isolate from the runtime's own functions
    /// (`Function.prototype.call` bound to `AbortController.prototype.abort`): a timer needs no closure per attempt.
    static ABORT: Option<Function> = {
        let prototype = AbortController::new().ok().and_then(|c| js_sys::Reflect::get_prototype_of(&c).ok());
        let abort = prototype.and_then(|p| js_sys::Reflect::get(&p, &JsValue::from_str("abort")).ok());
        let abort = abort.and_then(|f| f.dyn_into::<Function>().ok());
        abort.and_then(|abort| {
            let call = js_sys::Reflect::get(&abort, &JsValue::from_str("call")).ok()?.dyn_into::<Function>().ok()?;
            Some(call.bind0(&abort))
        })
    };
}

/// How many keys keep their request headers (a client has one or two; per-call keys add theirs).
const MAX_KEPT_HEADERS: usize = 8;

thread_local! {
    /// Clerk's request headers by key and by whether a body goes with them: `fetch` copies the headers it is
    /// given, so one `Headers` serves every attempt with that key (issue 19: building them took a dozen crossings
    /// and as many strings per attempt).
    static KEPT_HEADERS: Remembered<(Secret, bool), Headers> = const { RefCell::new(Vec::new()) };
}

/// The headers of `request`, built on first use for its key and body shape.
fn headers_of(request: &HttpRequest) -> Result<Headers, JsValue> {
    let key = (request.authorization.clone(), request.body.is_some());
    KEPT_HEADERS.with(|kept| {
        remembered(kept, MAX_KEPT_HEADERS, key, |_| {
            let headers = Headers::new()?;
            for (name, value) in request.headers() {
                headers.set(name, value)?;
            }
            Ok(headers)
        })
    })
}

/// Sends requests with the runtime's global `fetch` (Workers, Node, Deno, Bun, edge runtimes).
#[derive(Clone, Copy, Debug, Default)]
pub struct FetchTransport;

/// One attempt's deadline: aborts the request when the timer fires, and — when dropped before the attempt
/// finished (a caller's `select`, a timeout of its own) — aborts it then. Dropping it always clears the timer.
struct Deadline {
    controller: AbortController,
    timer: JsValue,
    finished: bool,
}

impl Deadline {
    fn start(timeout_ms: u32) -> Option<Deadline> {
        let controller = AbortController::new().ok()?;
        let ms = i32::try_from(timeout_ms).unwrap_or(i32::MAX);
        let timer = ABORT.with(|abort| abort.as_ref().map(|abort| set_timeout_with(abort, ms, &controller)))?;
        Some(Deadline { controller, timer, finished: false })
    }

    /// True when the timer fired (an attempt that failed after it is a timeout).
    fn expired(&self) -> bool {
        self.controller.signal().aborted()
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        if !self.finished {
            self.controller.abort();
        }
    }
}

/// The response headers wanted: every one, or only the decisive ones.
fn read_headers(headers: &Headers, all: bool) -> Vec<(String, String)> {
    if !all {
        return DECISIVE_HEADERS
            .iter()
            .filter_map(|name| Some(((*name).to_owned(), headers.get(name).ok()??)))
            .collect();
    }
    let Ok(Some(entries)) = js_sys::try_iter(headers) else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|entry| {
            let pair = Array::from(&entry);
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

async fn attempt(request: &HttpRequest, deadline: &Deadline) -> Result<HttpResponse, JsValue> {
    let headers = headers_of(request)?;
    let signal = deadline.controller.signal();
    let sent = clerk_fetch(&request.url, request.method.as_str(), &headers, request.body.as_deref(), &signal)?;
    let answer: Array = JsFuture::from(sent).await?.unchecked_into();
    let response: Response = answer.get(0).unchecked_into();
    let body = answer.get(1).as_string().unwrap_or_default();
    Ok(HttpResponse {
        status: response.status(),
        headers: read_headers(&response.headers(), request.all_headers),
        body,
    })
}

impl Transport for FetchTransport {
    async fn send(&self, request: &HttpRequest, timeout_ms: u32) -> Result<HttpResponse, TransportError> {
        let mut deadline = Deadline::start(timeout_ms).ok_or(TransportError::Network)?;
        match attempt(request, &deadline).await {
            Ok(response) => {
                deadline.finished = true;
                Ok(response)
            }
            Err(_) if deadline.expired() => Err(TransportError::Timeout),
            Err(_) => Err(TransportError::Network),
        }
    }

    async fn sleep(&self, ms: u32) {
        let ms = i32::try_from(ms).unwrap_or(i32::MAX);
        let timer = Promise::new(&mut |resolve, _reject| {
            set_timeout(&resolve, ms);
        });
        let _ = JsFuture::from(timer).await;
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }
}
