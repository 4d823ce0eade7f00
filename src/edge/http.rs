//! The only code that sends HTTP: one attempt through the runtime's global `fetch` (web-sys types), bounded by
//! a [`Deadline`] — an `AbortController` and a timer owned by the attempt, as reqwest's wasm client does — that
//! also covers reading the body and aborts the request when the attempt's future is dropped. Owns nothing else:
//! no retries, no decoding. Also the token source's outgoing request ([`Outgoing`]): the caller's own `fetch`
//! with the `Authorization` header set.

use crate::core::error::Error;
use crate::core::http::{HttpRequest, HttpResponse, Transport, TransportError, DECISIVE_HEADERS};
use crate::core::token_source::Body;
use js_sys::{Array, ArrayBuffer, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Blob, FormData, Headers, Request, RequestInit, Response, UrlSearchParams};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`: every runtime has one (`window` exists only in browsers).
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(input: &str, init: &RequestInit) -> Result<Promise, JsValue>;
    /// `fetch(input, init)` with the caller's own input (a URL string, a `URL` or a `Request`).
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch_any(input: &JsValue, init: &Object) -> Result<Promise, JsValue>;
    /// `setTimeout(handler, ms, arg)`: `handler(arg)` after `ms`.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout_with(handler: &Function, ms: i32, arg: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

#[wasm_bindgen(module = "/js/source.js")]
extern "C" {
    /// `(fetcher ?? fetch)(input, init)`, answered as is unless it is a 401 or not a `Response`, which go to
    /// `settle(input, init, answer)`.
    #[wasm_bindgen(catch, js_name = sendChecked)]
    fn send_checked(fetcher: &JsValue, input: &JsValue, init: &Object, settle: &Function) -> Result<Promise, JsValue>;
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
    let headers = Headers::new()?;
    for (name, value) in request.headers() {
        headers.set(name, value)?;
    }
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_headers(&headers);
    init.set_signal(Some(&deadline.controller.signal()));
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    let response: Response = JsFuture::from(global_fetch(&request.url, &init)?).await?.unchecked_into();
    let body = JsFuture::from(response.text()?).await?.as_string().unwrap_or_default();
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

/// A caller's request as the token source sends it: `fetch(input, init)` with the caller's headers, plus
/// `Authorization`. Built once per call, sent once or twice.
pub(crate) struct Outgoing {
    input: JsValue,
    /// The caller's `init` with a copy of its headers, when it has any (or `input` is a `Request`); `None` for
    /// the common `fetch(url)`, which is sent with the token's own frozen init (see [`bearer_init`]).
    custom: Option<(Object, Headers)>,
    body: Body,
}

impl Outgoing {
    /// True for `fetch(url)`: no `init`, and `input` is not a `Request`.
    pub fn is_plain(input: &JsValue, init: &JsValue) -> bool {
        (init.is_undefined() || init.is_null()) && (input.is_string() || !input.is_instance_of::<Request>())
    }

    /// `fetch(url)`: sent with the token's own init.
    pub fn plain(input: &JsValue) -> Outgoing {
        Outgoing { input: input.clone(), custom: None, body: Body::Replayable }
    }

    /// Reads `init`'s (else the `Request`'s) headers and body kind. A caller-set `Authorization` is refused: the
    /// token source sets it, and silently replacing the caller's would hide a mistake.
    pub fn new(input: &JsValue, init: &JsValue) -> Result<Outgoing, Error> {
        if Outgoing::is_plain(input, init) {
            return Ok(Outgoing::plain(input));
        }
        let absent = init.is_undefined() || init.is_null();
        let request = if input.is_string() { None } else { input.dyn_ref::<Request>() };
        if !absent && !init.is_object() {
            return Err(Error::invalid("init", "a RequestInit object"));
        }
        let field = |name: &str| {
            if absent {
                JsValue::UNDEFINED
            } else {
                Reflect::get(init, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
            }
        };
        let own = field("headers");
        let headers = if !own.is_undefined() && !own.is_null() {
            Headers::new_with_str_sequence_sequence(&own)
        } else if let Some(request) = request {
            Headers::new_with_headers(&request.headers())
        } else {
            Headers::new()
        }
        .map_err(|_| Error::invalid("headers", "headers as fetch takes them"))?;
        if headers.has("authorization").unwrap_or(true) {
            return Err(Error::invalid("headers", "headers without Authorization (the token source sets it)"));
        }
        let body = field("body");
        let replayable = if body.is_undefined() || body.is_null() {
            request.is_none_or(|r| r.body().is_none())
        } else {
            body.is_string()
                || body.is_instance_of::<ArrayBuffer>()
                || ArrayBuffer::is_view(&body)
                || body.is_instance_of::<Blob>()
                || body.is_instance_of::<FormData>()
                || body.is_instance_of::<UrlSearchParams>()
        };
        let copy = Object::new();
        if !absent {
            Object::assign(&copy, init.unchecked_ref());
        }
        Reflect::set(&copy, &JsValue::from_str("headers"), &headers)
            .map_err(|_| Error::invalid("init", "a RequestInit object"))?;
        let body = if replayable { Body::Replayable } else { Body::Stream };
        Ok(Outgoing { input: input.clone(), custom: Some((copy, headers)), body })
    }

    /// Whether the request can be sent again.
    pub fn body(&self) -> Body {
        self.body
    }

    /// Sends it with `token` (whose [`bearer_init`] is `token_init`), through `fetcher` when given (a service
    /// binding's `fetch`), else the global `fetch`: the promise of its answer.
    pub fn start(&self, token: &str, token_init: &Object, fetcher: Option<&Function>) -> Result<Promise, JsValue> {
        let init = match &self.custom {
            Some((init, headers)) => {
                headers.set("Authorization", &bearer(token))?;
                init
            }
            None => token_init,
        };
        match fetcher {
            Some(fetcher) => Ok(Promise::resolve(&fetcher.call2(&JsValue::UNDEFINED, &self.input, init)?)),
            None => fetch_any(&self.input, init),
        }
    }

    /// [`Outgoing::start`], awaited: the answer, or the rejection of `fetch` (a fetcher's answer that is not a
    /// `Response` is a `TypeError`).
    pub async fn send(
        &self,
        token: &str,
        token_init: &Object,
        fetcher: Option<&Function>,
    ) -> Result<Response, JsValue> {
        let answer = JsFuture::from(self.start(token, token_init, fetcher)?).await?;
        as_response(answer)
    }
}

/// A plain `fetch(input)` sent at once with `token_init` through `fetcher` (else the global `fetch`): its promise,
/// which hands a 401 (or an answer that is not a `Response`) to `settle(input, token_init, answer)`.
pub(crate) fn send_plain(
    input: &JsValue,
    token_init: &Object,
    fetcher: Option<&Function>,
    settle: &Function,
) -> Result<Promise, JsValue> {
    send_checked(fetcher.map_or(&JsValue::UNDEFINED, |f| f.as_ref()), input, token_init, settle)
}

/// `value` as a `Response`, else a `TypeError`.
pub(crate) fn as_response(value: JsValue) -> Result<Response, JsValue> {
    value.dyn_into::<Response>().map_err(|_| js_sys::TypeError::new("the fetcher did not answer a Response").into())
}

/// `Bearer <token>`: the `Authorization` value a token source sends.
fn bearer(token: &str) -> String {
    ["Bearer ", token].concat()
}

/// `{ headers: { authorization: "Bearer <token>" } }`, frozen: built once per token and shared by every plain
/// `source.fetch(url)` (a `Headers` object and a copy of `init` per call cost more than the rest of the call).
pub(crate) fn bearer_init(token: &str) -> Object {
    let headers = Object::new();
    let _ = Reflect::set(&headers, &JsValue::from_str("authorization"), &JsValue::from_str(&bearer(token)));
    let init = Object::new();
    let _ = Reflect::set(&init, &JsValue::from_str("headers"), &Object::freeze(&headers));
    Object::freeze(&init)
}

/// Cancels a response's body that will not be read (so the runtime can reuse the connection at once).
pub(crate) fn discard(response: &Response) {
    if let Some(body) = response.body() {
        let _ = body.cancel();
    }
}
