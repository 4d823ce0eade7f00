//! Property-based checks of everything that reads untrusted bytes: header parsing, token classification, JWT
//! decoding and rules, JSON, response decoding, Retry-After. No input may panic, and what is accepted keeps its
//! invariants. (The same functions are fuzzed at length by the targets in fuzz/.)
#![cfg(not(target_arch = "wasm32"))]

use clerk_m2m_edge::api;
use clerk_m2m_edge::encoding::base64url_encode;
use clerk_m2m_edge::guard::{header, jwt, keys, token};
use clerk_m2m_edge::http::{parse_retry_after, HttpResponse};
use clerk_m2m_edge::json;
use proptest::prelude::*;

fn response(body: String, content_type: &str) -> HttpResponse {
    HttpResponse { status: 200, headers: vec![("content-type".into(), content_type.into())], body }
}

/// Strings biased towards the characters the parsers care about.
fn tokenish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \t,=a-zA-Z0-9._~+/-]{0,80}",
        "(Bearer|bearer|Basic|BEARER)[ \t]{0,3}[a-zA-Z0-9._~+/=,-]{0,60}",
        "(mt_|ak_|oat_|eyJ)[a-zA-Z0-9._-]{0,60}",
    ]
}

fn jsonish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        r#"[\[\]{}":,0-9a-z\\ .eE+-]{0,120}"#,
        r#"\{("[a-z_]{1,12}":(null|true|false|-?[0-9]{1,15}|"[a-z]{0,5}"|\[\]|\{\}),){0,8}"[a-z]{1,5}":1\}"#,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn header_parsing_never_panics_and_tokens_have_no_whitespace(value in tokenish()) {
        if let Ok(t) = header::bearer_token(Some(&value)) {
            prop_assert!(!t.is_empty() && t.len() <= header::MAX_HEADER_BYTES);
            prop_assert!(t.bytes().all(|b| b.is_ascii_graphic() && b != b','));
            let _ = token::classify(t);
        }
    }

    #[test]
    fn jwt_decoding_and_rules_never_panic(h in jsonish(), p in jsonish(), sig in "[a-zA-Z0-9_-]{0,40}", now in any::<f64>(), skew in 0u32..100_000) {
        let b64 = |s: &str| base64url_encode(s.as_bytes());
        let token = format!("{}.{}.{}", b64(&h), b64(&p), sig);
        if let Ok(decoded) = jwt::decode(&token) {
            let _ = jwt::check_header(&decoded.header);
            let _ = jwt::check_claims(&decoded.payload, now, f64::from(skew));
            let t = jwt::to_token(&decoded.payload);
            if let Some(claims) = &t.claims {
                prop_assert!(json::parse(claims.get()).is_some(), "custom claims are valid JSON");
            }
        }
        let _ = token::classify(&token);
    }

    #[test]
    fn json_parsing_never_panics(text in jsonish()) {
        if let Some(v) = json::parse(&text) {
            prop_assert_eq!(v.raw, text.trim_matches(|c| c == ' ' || c == '\t' || c == '\n' || c == '\r'));
            let _ = (v.as_f64(), v.as_i64(), v.has_duplicate_names());
        }
    }

    #[test]
    fn json_strings_round_trip(s in any::<String>()) {
        let mut out = String::new();
        json::write_str(&mut out, &s);
        let parsed = json::parse(&out);
        prop_assert_eq!(parsed.as_ref().and_then(|v| v.as_str()), Some(s.as_str()));
    }

    #[test]
    fn json_integers_round_trip(n in -9_007_199_254_740_992i64..=9_007_199_254_740_992) {
        let mut out = String::new();
        json::write_i64(&mut out, n);
        prop_assert_eq!(json::parse(&out).and_then(|v| v.as_i64()), Some(n));
    }

    #[test]
    fn response_decoding_never_panics(body in jsonish(), ct in "(application/json|text/html|application/problem\\+json|)(; charset=utf-8)?", status in 100u16..600) {
        let r = response(body.clone(), &ct);
        let _ = api::decode_token(&r, false);
        let _ = api::decode_token(&r, true);
        let _ = api::decode_list(&r);
        let e = api::decode_error(&HttpResponse { status, ..r }, &["ak_secret_key"], 0.0);
        prop_assert_eq!(e.status, status);
        let _ = keys::parse_jwks(&body);
    }

    #[test]
    fn retry_after_never_panics(value in any::<String>(), now in any::<f64>()) {
        let _ = parse_retry_after(&value, now);
    }
}
