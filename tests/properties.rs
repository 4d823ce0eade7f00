//! Property-based checks of everything that reads untrusted bytes: header parsing, token classification, JWT
//! decoding and rules, response decoding (serde_json), shared-store entries, Retry-After. No input may panic, and
//! what is accepted keeps its invariants. (The same functions are fuzzed at length by the targets in fuzz/.)
#![cfg(not(target_arch = "wasm32"))]

use clerk_m2m_edge::fuzzing::token_store;
use clerk_m2m_edge::fuzzing::{
    base64url_encode, decode_error, decode_list, decode_token, header, jwt, parse_jwks, parse_retry_after,
    read_verdict_entry, token, GuardSettings, SealKey, SerdeJson, StoreRead,
};
use clerk_m2m_edge::{HttpResponse, Secret};
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
            let _ = token::classify::<SerdeJson>(t);
        }
    }

    #[test]
    fn jwt_decoding_and_rules_never_panic(h in jsonish(), p in jsonish(), sig in "[a-zA-Z0-9_-]{0,40}", now in any::<f64>(), skew in 0u32..100_000) {
        let b64 = |s: &str| base64url_encode(s.as_bytes());
        let token = format!("{}.{}.{}", b64(&h), b64(&p), sig);
        if let Ok(decoded) = jwt::decode::<SerdeJson>(&token) {
            let _ = jwt::check_header(&decoded.header);
            let _ = jwt::check_claims(&decoded.payload, now, f64::from(skew));
            let t = jwt::to_token(&decoded.payload);
            if let Some(claims) = &t.claims {
                prop_assert!(claims.is_object(), "claims are an object");
                for structural in jwt::STRUCTURAL_CLAIMS {
                    prop_assert!(claims.get(structural).is_none(), "{} is not a custom claim", structural);
                }
            }
        }
        let _ = token::classify::<SerdeJson>(&token);
    }

    #[test]
    fn numeric_claims_are_read_exactly(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
        let payload = format!(r#"{{"sub":"mch_x","exp":{}}}"#, serde_json::to_string(&x).unwrap());
        let b64 = |s: &str| base64url_encode(s.as_bytes());
        let decoded = jwt::decode::<SerdeJson>(&format!("{}.{}.c2ln", b64(r#"{"alg":"RS256"}"#), b64(&payload))).unwrap();
        // Read exactly, or — beyond ±(2^53 − 1) milliseconds, which no JS number holds exactly — not a date.
        let expected = if (x * 1000.0).abs() <= 9_007_199_254_740_991.0 { jwt::NumericDate::Seconds(x) } else { jwt::NumericDate::Invalid };
        prop_assert_eq!(decoded.payload.exp, expected);
    }

    #[test]
    fn token_store_entries_never_panic_and_round_trip(text in jsonish(), token in "[a-zA-Z0-9_.-]{1,60}", now in 0f64..4e12, left in 1f64..1e9, margin in 0f64..1e9) {
        let seal = SealKey::derive(&Secret::new("ak_property"));
        let key = "clerk-m2m-edge:v2:token:k";
        // Unsealed, the store's text is never a token; sealed (as if the key had leaked), it parses without panic.
        prop_assert!(matches!(token_store::read_token_entry::<SerdeJson>(&seal, key, &text, now), token_store::StoredToken::Refused));
        if let token_store::StoredToken::Valid(read, timing) = token_store::read_token_entry::<SerdeJson>(&seal, key, &seal.seal(key, &text), now) {
            prop_assert!(!read.expose().is_empty());
            prop_assert!(timing.expires_at_ms.is_none_or(|e| e > now), "a dead token is never read");
        }
        let timing = token_store::Timing { expires_at_ms: Some((now + left).floor()), refresh_at_ms: Some((now + left - margin).floor()) };
        let (entry, ttl) = token_store::token_entry::<SerdeJson>(&seal, key, &Secret::new(token.clone()), timing, now).unwrap();
        prop_assert!(ttl >= 60);
        match token_store::read_token_entry::<SerdeJson>(&seal, key, &entry, now) {
            token_store::StoredToken::Valid(read, back) => {
                prop_assert_eq!(read.expose(), token.as_str());
                prop_assert_eq!(back, timing);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn stored_verdicts_are_refused_unless_sealed_and_never_outlive_the_reader(text in jsonish(), now in any::<f64>(), ttl in 0u32..1_000_000) {
        let seal = SealKey::derive(&Secret::new("sk_property"));
        let settings = GuardSettings { cache_ttl_ms: ttl, ..GuardSettings::default() };
        prop_assert!(matches!(read_verdict_entry::<SerdeJson>(&seal, "k", &text, now, &settings), StoreRead::Refused));
        if let StoreRead::Serves(cached, until) = read_verdict_entry::<SerdeJson>(&seal, "k", &seal.seal("k", &text), now, &settings) {
            prop_assert!(until > now && until <= cached.verified_at_ms + f64::from(ttl) && cached.verified_at_ms <= now);
        }
    }

    #[test]
    fn response_decoding_never_panics(body in jsonish(), ct in "(application/json|text/html|application/problem\\+json|)(; charset=utf-8)?", status in 100u16..600) {
        let r = response(body.clone(), &ct);
        let _ = decode_token::<SerdeJson>(&r, false);
        let _ = decode_token::<SerdeJson>(&r, true);
        let _ = decode_list::<SerdeJson>(&r);
        let e = decode_error::<SerdeJson>(&HttpResponse { status, ..r }, &["ak_secret_key"], 0.0);
        prop_assert_eq!(e.status, status);
        for entry in &e.errors {
            prop_assert!(!entry.message.contains("ak_secret_key") && !entry.long_message.contains("ak_secret_key"));
        }
        let _ = parse_jwks::<SerdeJson>(&body);
    }

    #[test]
    fn retry_after_never_panics(value in any::<String>(), now in any::<f64>()) {
        let _ = parse_retry_after(&value, now);
    }
}
