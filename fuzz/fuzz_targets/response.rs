//! Fuzzes everything that reads Clerk's answers: JSON, token and list decoding, error bodies (with redaction),
//! the JWKS, and Retry-After. No answer may panic; a redacted error body never contains the secret.
#![no_main]
use clerk_m2m_edge::api;
use clerk_m2m_edge::guard::keys;
use clerk_m2m_edge::http::{parse_retry_after, HttpResponse};
use clerk_m2m_edge::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    if let Some(v) = json::parse(body) {
        let _ = (v.as_f64(), v.as_i64(), v.has_duplicate_names());
    }
    let response = HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into()), ("retry-after".into(), body.chars().take(40).collect())],
        body: body.to_owned(),
    };
    let _ = api::decode_token(&response, false);
    let _ = api::decode_token(&response, true);
    let _ = api::decode_list(&response);
    let error = api::decode_error(&HttpResponse { status: 503, ..response.clone() }, &["ak_fuzz_secret"], 1_800_000_000_000.0);
    for e in &error.errors {
        assert!(!e.message.contains("ak_fuzz_secret") && !e.long_message.contains("ak_fuzz_secret"));
    }
    let _ = keys::parse_jwks(body);
    let _ = parse_retry_after(body, 1_800_000_000_000.0);
});
