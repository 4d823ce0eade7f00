//! The token source's outgoing requests: the caller's own `fetch(input, init)` with `Authorization: Bearer` set,
//! sent only to the origins the source was given ([`Destinations`]) and never along a redirect (`redirect:
//! 'manual'`: a 3xx goes back to the caller, the token with nobody else). Owns those JS objects; which origins are
//! acceptable (`https:`, `http:` only to loopback) is the core's rule.

use crate::core::config::{is_loopback_host, ORIGINS_SHAPE};
use crate::core::error::Error;
use crate::core::token_source::BodyKind;
use js_sys::{ArrayBuffer, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, FormData, Headers, Request, Response, Url, UrlSearchParams};

#[wasm_bindgen]
extern "C" {
    /// `fetch(input, init)` with the caller's own input (a URL string, a `URL` or a `Request`).
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch_any(input: &JsValue, init: &Object) -> Result<Promise, JsValue>;
}

#[wasm_bindgen(module = "/js/source.js")]
extern "C" {
    /// `(fetcher ?? fetch)(input, init)`, answered as is unless it is a 401 or not a `Response`, which go to
    /// `on_unauthorized(input, init, answer)`.
    #[wasm_bindgen(catch, js_name = sendChecked)]
    fn send_checked(
        fetcher: &JsValue,
        input: &JsValue,
        init: &Object,
        on_unauthorized: &Function,
    ) -> Result<Promise, JsValue>;
}

/// The members of a `RequestInit` that are carried over from a caller's `init` (read with `Reflect.get`, so getters
/// and inherited members count, as `fetch` itself reads them); `headers` and `redirect` are set by the source.
const INIT_MEMBERS: [&str; 14] = [
    "method",
    "body",
    "signal",
    "credentials",
    "mode",
    "cache",
    "integrity",
    "keepalive",
    "referrer",
    "referrerPolicy",
    "duplex",
    "priority",
    "cf",
    "encodeResponseBody",
];

/// `value` as a `Request`: one of this realm, or one that looks like one (a string `url`, a string `method` and
/// `headers` with `get`) — a `Request` from another realm fails `instanceof` but is read the same way.
pub(crate) fn as_request(value: &JsValue) -> Option<&Request> {
    if value.is_instance_of::<Request>() {
        return Some(value.unchecked_ref());
    }
    if !value.is_object() {
        return None;
    }
    let member = |name: &str| Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    let headers = member("headers");
    let has_get =
        headers.is_object() && Reflect::get(&headers, &JsValue::from_str("get")).is_ok_and(|g| g.is_function());
    (member("url").is_string() && member("method").is_string() && has_get).then(|| value.unchecked_ref())
}

/// What a request's URL must be: one of the source's origins.
const URL_SHAPE: &str = "an absolute URL whose origin is one of the token source's origins";

/// The origins a token source may send its token to, as the runtime's `URL` writes them (`https://host[:port]`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Destinations(Vec<String>);

impl Destinations {
    /// Reads each of `origins`: an `https://` origin, or `http://` to a loopback host, with nothing after it (a
    /// trailing `/` aside). Anything else — a path, a query, credentials, another scheme — is `invalid_argument`
    /// for `origins`.
    pub fn new<I: IntoIterator<Item = String>>(origins: I) -> Result<Destinations, Error> {
        let invalid = || Error::invalid("origins", ORIGINS_SHAPE);
        let mut accepted = Vec::new();
        for text in origins {
            let url = Url::new(&text).map_err(|_| invalid())?;
            let secure = match url.protocol().as_str() {
                "https:" => true,
                "http:" => false,
                _ => return Err(invalid()),
            };
            let bare = url.pathname() == "/" && url.search().is_empty() && url.hash().is_empty();
            let anonymous = url.username().is_empty() && url.password().is_empty();
            let origin_only = text.trim_end_matches('/').len() == url.origin().len();
            if !(bare && anonymous && origin_only && (secure || is_loopback_host(&url.hostname()))) {
                return Err(invalid());
            }
            accepted.push(url.origin());
        }
        if accepted.is_empty() {
            return Err(invalid());
        }
        Ok(Destinations(accepted))
    }

    /// `Ok` when `input` (a URL string, a `URL`, a `Request`) goes to one of these origins; else `invalid_argument`
    /// for `url`, before anything is sent.
    pub fn check(&self, input: &JsValue) -> Result<(), Error> {
        let text = match (input.as_string(), as_request(input)) {
            (Some(text), _) => text,
            (None, Some(request)) => request.url(),
            (None, None) if input.is_object() => String::from(input.unchecked_ref::<Object>().to_string()),
            _ => return Err(Error::invalid("url", URL_SHAPE)),
        };
        let origin = Url::new(&text).map_err(|_| Error::invalid("url", URL_SHAPE))?.origin();
        if self.0.contains(&origin) {
            Ok(())
        } else {
            Err(Error::invalid("url", URL_SHAPE))
        }
    }
}

/// A caller's request as the token source sends it: `fetch(input, init)` with the caller's headers, plus
/// `Authorization`. Built once per call, sent once or twice.
pub(crate) struct Outgoing {
    input: JsValue,
    /// The caller's `init` with a copy of its headers, when it has any (or `input` is a `Request`); `None` for
    /// the common `fetch(url)`, which is sent with the token's own frozen init (see [`bearer_init`]).
    custom: Option<(Object, Headers)>,
    body: BodyKind,
}

impl Outgoing {
    /// True for `fetch(url)`: no `init`, and `input` is not a `Request`.
    pub(crate) fn is_plain(input: &JsValue, init: &JsValue) -> bool {
        (init.is_undefined() || init.is_null()) && (input.is_string() || as_request(input).is_none())
    }

    /// `fetch(url)`: sent with the token's own init.
    pub(crate) fn plain(input: &JsValue) -> Outgoing {
        Outgoing { input: input.clone(), custom: None, body: BodyKind::Replayable }
    }

    /// Reads `init`'s (else the `Request`'s) headers and body kind. A caller-set `Authorization` is refused: the
    /// token source sets it, and silently replacing the caller's would hide a mistake.
    pub(crate) fn new(input: &JsValue, init: &JsValue) -> Result<Outgoing, Error> {
        if Outgoing::is_plain(input, init) {
            return Ok(Outgoing::plain(input));
        }
        let absent = init.is_undefined() || init.is_null();
        let request = if input.is_string() { None } else { as_request(input) };
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
        for name in INIT_MEMBERS {
            let value = field(name);
            if !value.is_undefined() {
                Reflect::set(&copy, &JsValue::from_str(name), &value)
                    .map_err(|_| Error::invalid("init", "a RequestInit object"))?;
            }
        }
        // A redirect is never followed with the token: the 3xx goes back to the caller (`'error'` refuses it too).
        let redirect = if field("redirect").as_string().as_deref() == Some("error") { "error" } else { "manual" };
        let set = |name: &str, value: &JsValue| Reflect::set(&copy, &JsValue::from_str(name), value);
        set("headers", &headers)
            .and_then(|_| set("redirect", &JsValue::from_str(redirect)))
            .map_err(|_| Error::invalid("init", "a RequestInit object"))?;
        let body = if replayable { BodyKind::Replayable } else { BodyKind::Stream };
        Ok(Outgoing { input: input.clone(), custom: Some((copy, headers)), body })
    }

    /// Whether the request can be sent again.
    pub(crate) fn body_kind(&self) -> BodyKind {
        self.body
    }

    /// Sends it with `token` (whose [`bearer_init`] is `token_init`), through `fetcher` when given (a service
    /// binding's `fetch`), else the global `fetch`: the promise of its answer.
    pub(crate) fn start(
        &self,
        token: &str,
        token_init: &Object,
        fetcher: Option<&Function>,
    ) -> Result<Promise, JsValue> {
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
    pub(crate) async fn send(
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
/// which hands a 401 (or an answer that is not a `Response`) to `on_unauthorized(input, token_init, answer)`.
pub(crate) fn send_plain(
    input: &JsValue,
    token_init: &Object,
    fetcher: Option<&Function>,
    on_unauthorized: &Function,
) -> Result<Promise, JsValue> {
    send_checked(fetcher.map_or(&JsValue::UNDEFINED, |f| f.as_ref()), input, token_init, on_unauthorized)
}

/// `value` as a `Response`, else a `TypeError`.
pub(crate) fn as_response(value: JsValue) -> Result<Response, JsValue> {
    value.dyn_into::<Response>().map_err(|_| js_sys::TypeError::new("the fetcher did not answer a Response").into())
}

/// `Bearer <token>`: the `Authorization` value a token source sends.
fn bearer(token: &str) -> String {
    ["Bearer ", token].concat()
}

/// `{ headers: { authorization: "Bearer <token>" }, redirect: "manual" }`, frozen: built once per token and
/// shared by every plain `source.fetch(url)` (a `Headers` object and a copy of `init` per call cost more than the
/// rest of the call).
pub(crate) fn bearer_init(token: &str) -> Object {
    let headers = Object::new();
    let _ = Reflect::set(&headers, &JsValue::from_str("authorization"), &JsValue::from_str(&bearer(token)));
    let init = Object::new();
    let _ = Reflect::set(&init, &JsValue::from_str("headers"), &Object::freeze(&headers));
    let _ = Reflect::set(&init, &JsValue::from_str("redirect"), &JsValue::from_str("manual"));
    Object::freeze(&init)
}

/// Cancels a response's body that will not be read (so the runtime can reuse the connection at once).
pub(crate) fn discard(response: &Response) {
    if let Some(body) = response.body() {
        let _ = body.cancel();
    }
}
