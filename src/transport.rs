//! The only code that sends HTTP: one attempt through the runtime's global `fetch` (the `fetchOnce` snippet in
//! `js/runtime.js`, one boundary crossing per attempt, described as JSON), bounded by an abort signal
//! (`AbortSignal.timeout`, else an `AbortController` and a timer) that also covers reading the body. Owns nothing
//! else: no retries, no decoding.

use crate::client::{Transport, TransportError};
use crate::http::{HttpRequest, HttpResponse};
use crate::json::ObjectWriter;
use crate::task::PromiseFuture;
use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/runtime.js")]
extern "C" {
    // JSON text in, so that the import shares its signature with wasm-bindgen's own (see js/runtime.js).
    #[wasm_bindgen(js_name = fetchOnce)]
    fn fetch_once(attempt_json: &str) -> Promise;
    #[wasm_bindgen(js_name = sleep)]
    fn sleep_ms(ms: f64) -> Promise;
}

/// Sends requests with the runtime's global `fetch` (Workers, Node, Deno, Bun, edge runtimes).
#[derive(Clone, Copy, Debug, Default)]
pub struct FetchTransport;

/// The attempt as `fetchOnce` reads it: `{ method, url, headers, body?, timeoutMs, allHeaders }`.
fn attempt_json(request: &HttpRequest, timeout_ms: u32) -> String {
    let mut headers = String::with_capacity(256);
    let mut h = ObjectWriter::new(&mut headers);
    for (name, value) in request.headers() {
        h.str(name, value);
    }
    h.finish();
    let body_len = request.body.as_ref().map_or(0, String::len);
    let mut out = String::with_capacity(headers.len() + request.url.len() + body_len + 96);
    let mut o = ObjectWriter::new(&mut out);
    o.str("method", request.method.as_str()).str("url", &request.url).raw("headers", &headers);
    if let Some(body) = &request.body {
        o.str("body", body);
    }
    o.int("timeoutMs", timeout_ms.into()).bool("allHeaders", request.all_headers);
    o.finish();
    out
}

/// Splits `name\nvalue\n…` back into pairs.
fn parse_header_lines(lines: &str) -> Vec<(String, String)> {
    let mut parts = lines.split('\n');
    let mut headers = Vec::new();
    while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
        headers.push((name.to_owned(), value.to_owned()));
    }
    headers
}

impl Transport for FetchTransport {
    async fn send(&self, request: &HttpRequest, timeout_ms: u32) -> Result<HttpResponse, TransportError> {
        // Every response header only when asked for; otherwise the few the client decides on (cheaper to read;
        // the list is `DECISIVE` in js/runtime.js).
        match PromiseFuture::new(fetch_once(&attempt_json(request, timeout_ms))).await {
            Ok(answer) => {
                let answer = Array::from(&answer);
                let status =
                    answer.get(0).as_f64().filter(|s| (100.0..600.0).contains(s)).ok_or(TransportError::Network)?;
                Ok(HttpResponse {
                    status: status as u16,
                    headers: parse_header_lines(&answer.get(1).as_string().unwrap_or_default()),
                    body: answer.get(2).as_string().unwrap_or_default(),
                })
            }
            Err(reason) if reason.as_string().as_deref() == Some("timeout") => Err(TransportError::Timeout),
            Err(_) => Err(TransportError::Network),
        }
    }

    async fn sleep(&self, ms: u32) {
        let _ = PromiseFuture::new(sleep_ms(ms.into())).await;
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;
    use crate::secret::Secret;

    #[test]
    fn attempts_are_described_as_json() {
        let mut request = HttpRequest {
            method: Method::Get,
            url: "https://x/v1/m2m_tokens?subject=mch_1".into(),
            authorization: Secret::new("Bearer k"),
            body: None,
            all_headers: false,
        };
        let get_json = attempt_json(&request, 2500);
        let get = crate::json::parse(&get_json).unwrap();
        assert_eq!(get.get("method").and_then(|v| v.as_str()), Some("GET"));
        assert_eq!(get.get("url").and_then(|v| v.as_str()), Some("https://x/v1/m2m_tokens?subject=mch_1"));
        assert_eq!(get.get("headers").and_then(|h| h.get("Authorization")).and_then(|v| v.as_str()), Some("Bearer k"));
        assert!(get.get("body").is_none(), "no body key for a request without one");
        assert_eq!(get.get("timeoutMs").and_then(|v| v.as_f64()), Some(2500.0));
        request.method = Method::Post;
        request.body = Some("{\"token\":\"mt_\\\"x\"}".into());
        request.all_headers = true;
        let post_json = attempt_json(&request, 10);
        let post = crate::json::parse(&post_json).unwrap();
        assert_eq!(post.get("body").and_then(|v| v.as_str()), Some("{\"token\":\"mt_\\\"x\"}"));
        assert_eq!(
            post.get("headers").and_then(|h| h.get("Content-Type")).and_then(|v| v.as_str()),
            Some("application/json")
        );
        assert_eq!(post.get("allHeaders").and_then(|v| v.as_bool()), Some(true));
    }

    #[test]
    fn header_lines_are_read_back_into_pairs() {
        let lines = "Authorization\nBearer k\nAccept\napplication/json\ncontent-type\na\nx-more\nb\n";
        let parsed = parse_header_lines(lines);
        assert_eq!(parsed.len(), 4);
        assert_eq!(parsed[0], ("Authorization".to_owned(), "Bearer k".to_owned()));
        assert_eq!(
            parse_header_lines("content-type\napplication/json\n"),
            [("content-type".to_owned(), "application/json".to_owned())]
        );
        assert!(parse_header_lines("").is_empty());
    }
}
