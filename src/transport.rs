//! The only code that sends HTTP: one attempt through the runtime's global `fetch` (the `fetchOnce` snippet in
//! `js/runtime.js`, one boundary crossing per attempt), bounded by an abort signal (`AbortSignal.timeout`, else an `AbortController` and a timer) that also covers
//! reading the body. Owns nothing else: no retries, no decoding.

use crate::client::{Transport, TransportError};
use crate::http::{HttpRequest, HttpResponse};
use crate::task::PromiseFuture;
use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/runtime.js")]
extern "C" {
    #[wasm_bindgen(js_name = fetchOnce)]
    fn fetch_once(
        method: &str,
        url: &str,
        header_lines: &str,
        body: Option<String>,
        timeout_ms: u32,
        all_headers: bool,
    ) -> Promise;
    #[wasm_bindgen(js_name = sleep)]
    fn sleep_ms(ms: u32) -> Promise;
}

/// Sends requests with the runtime's global `fetch` (Workers, Node, Deno, Bun, edge runtimes).
#[derive(Clone, Copy, Debug, Default)]
pub struct FetchTransport;

/// `name\nvalue\n…`: header names and values never contain a line break (keys are checked header-safe).
fn header_lines(request: &HttpRequest) -> String {
    let mut lines = String::with_capacity(256);
    for (name, value) in request.headers() {
        lines.extend([name, "\n", value, "\n"]);
    }
    lines
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
        let (method, lines, body) = (request.method.as_str(), header_lines(request), request.body.clone());
        let pending = fetch_once(method, &request.url, &lines, body, timeout_ms, request.all_headers);
        match PromiseFuture::new(pending).await {
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
        let _ = PromiseFuture::new(sleep_ms(ms)).await;
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
    fn header_lines_round_trip() {
        let request = HttpRequest {
            method: Method::Get,
            url: "https://x".into(),
            authorization: Secret::new("Bearer k"),
            body: None,
            all_headers: false,
        };
        let lines = header_lines(&request);
        assert!(lines.starts_with("Authorization\nBearer k\nAccept\napplication/json\n"));
        let parsed = parse_header_lines(&lines);
        assert_eq!(parsed.len(), 4);
        assert_eq!(parsed[0], ("Authorization".to_owned(), "Bearer k".to_owned()));
        assert_eq!(
            parse_header_lines("content-type\napplication/json\n"),
            [("content-type".to_owned(), "application/json".to_owned())]
        );
        assert!(parse_header_lines("").is_empty());
    }
}
