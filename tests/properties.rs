//! Property-based checks of everything that reads untrusted bytes: header parsing, token classification, JWT
//! decoding and rules, response decoding (serde_json), shared-store entries, Retry-After. No input may panic, and
//! what is accepted keeps its invariants. (The same functions are fuzzed at length by the targets in fuzz/.)
#![cfg(not(target_arch = "wasm32"))]

use clerk_m2m_edge::fuzzing::token_store;
use clerk_m2m_edge::fuzzing::{
    base64url_encode, decode_error, decode_list, decode_token, header, jwt, parse_jwks, parse_retry_after,
    read_verdict_entry, token, GuardSettings, SealKey, SerdeJson, StoreRead,
};
use clerk_m2m_edge::{HttpResponse, Reason, Secret};
use proptest::prelude::*;
use serde_json::json;

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
    fn header_rules_accept_exactly_an_allowed_alg_with_typ_jwt_or_none_the_m2m_cat_or_none_and_no_crit(
        alg in prop_oneof![Just(json!("RS256")), Just(json!("RS384")), Just(json!("RS512")), Just(json!("HS256")),
            Just(json!("none")), Just(json!("ES256")), Just(json!("PS256")), Just(json!("rs256")), Just(json!(""))],
        typ in prop_oneof![Just(None), Just(Some(json!("JWT"))), Just(Some(json!("jwt"))), Just(Some(json!("at+jwt"))), Just(Some(json!("JOSE")))],
        cat in prop_oneof![Just(None), Just(Some(json!("cl_B7d4PD333AAA"))), Just(Some(json!("cl_session"))), Just(Some(json!("")))],
        crit in prop_oneof![Just(None), Just(Some(json!(["b64"]))), Just(Some(json!([]))), Just(Some(json!(null)))],
        kid in prop_oneof![Just(None), Just(Some(json!("ins_test")))],
    ) {
        let mut header = serde_json::Map::new();
        header.insert("alg".into(), alg.clone());
        for (name, value) in [("typ", &typ), ("cat", &cat), ("crit", &crit), ("kid", &kid)] {
            if let Some(value) = value {
                header.insert(name.into(), value.clone());
            }
        }
        let b64 = |s: &str| base64url_encode(s.as_bytes());
        let token = format!("{}.{}.c2ln", b64(&serde_json::Value::Object(header).to_string()), b64(r#"{"sub":"mch_x","exp":1}"#));
        let decoded = jwt::decode::<SerdeJson>(&token).expect("a header of these shapes decodes");
        let allowed = ["RS256", "RS384", "RS512"].contains(&alg.as_str().unwrap_or_default())
            && typ.as_ref().is_none_or(|t| t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("JWT")))
            && cat.as_ref().is_none_or(|c| c == "cl_B7d4PD333AAA")
            && crit.is_none();
        match jwt::check_header(&decoded.header) {
            Ok(checked) => {
                prop_assert!(allowed, "accepted {:?}", decoded.header);
                prop_assert_eq!(checked.as_str(), alg.as_str().unwrap_or_default());
            }
            Err(reason) => {
                prop_assert!(!allowed, "refused {:?}", decoded.header);
                prop_assert_eq!(reason, Reason::TokenInvalid);
            }
        }
    }

    #[test]
    fn claim_rules_decide_by_sub_exp_nbf_and_iat_with_the_skew(
        sub in prop_oneof![Just(json!("mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk")), Just(json!("user_2x")), Just(json!("")), Just(json!(5))],
        exp in prop_oneof![Just(None), Just(Some(json!("soon"))), Just(Some(json!(null))), (-100_000i64..100_000).prop_map(|d| Some(json!(d)))],
        nbf in prop_oneof![Just(None), Just(Some(json!(true))), (-100_000i64..100_000).prop_map(|d| Some(json!(d)))],
        iat in prop_oneof![Just(None), (-100_000i64..100_000).prop_map(|d| Some(json!(d)))],
        skew_s in 0u32..100,
    ) {
        const NOW_S: i64 = 1_700_000_000;
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), sub.clone());
        // Dates are offsets from now, in seconds; other JSON values stay as they are.
        let date = |v: &serde_json::Value| v.as_i64().map_or(v.clone(), |d| json!(NOW_S + d));
        for (name, value) in [("exp", &exp), ("nbf", &nbf), ("iat", &iat)] {
            if let Some(value) = value {
                claims.insert(name.into(), date(value));
            }
        }
        let b64 = |s: &str| base64url_encode(s.as_bytes());
        let token = format!("{}.{}.c2ln", b64(r#"{"alg":"RS256"}"#), b64(&serde_json::Value::Object(claims).to_string()));
        let decoded = jwt::decode::<SerdeJson>(&token).expect("a claim set of these shapes decodes");
        let (now_ms, skew_ms) = ((NOW_S * 1000) as f64, f64::from(skew_s) * 1000.0);
        let skew = i64::from(skew_s);
        let offset = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.as_i64());
        let expected = if !sub.as_str().is_some_and(|s| s.starts_with("mch_")) {
            Err(Reason::TokenTypeMismatch)
        } else {
            match offset(&exp) {
                None | Some(None) => Err(Reason::TokenInvalid),
                Some(Some(d)) if d + skew <= 0 => Err(Reason::TokenExpired),
                Some(Some(_)) => {
                    let in_future = |v: &Option<serde_json::Value>| match offset(v) {
                        None => false,
                        Some(None) => true, // present but not a number: invalid
                        Some(Some(d)) => d - skew > 0,
                    };
                    if in_future(&nbf) || in_future(&iat) { Err(Reason::TokenInvalid) } else { Ok(()) }
                }
            }
        };
        prop_assert_eq!(jwt::check_claims(&decoded.payload, now_ms, skew_ms), expected);
    }

    #[test]
    fn clerk_error_bodies_that_echo_the_key_or_the_token_are_redacted(
        parts in proptest::collection::vec(prop_oneof![
            Just("ak_secret_key_1234"), Just("mt_the_token_5678"), Just("\\u0061k_secret_key_1234"),
            Just("prefix "), Just(" suffix"), Just("\\n"), Just("é"), Just("ak_secret"),
        ], 0..6),
        field in prop_oneof![Just("message"), Just("long_message"), Just("code"), Just("meta")],
        status in 400u16..600,
    ) {
        let echoed: String = parts.concat();
        let value = if field == "meta" { format!(r#"{{"param":"{echoed}","nested":["{echoed}"]}}"#) } else { format!(r#""{echoed}""#) };
        let body = format!(r#"{{"errors":[{{"{field}":{value}}}],"clerk_trace_id":"{echoed}"}}"#);
        let r = HttpResponse { status, headers: vec![("content-type".into(), "application/json".into())], body };
        let e = decode_error::<SerdeJson>(&r, &["ak_secret_key_1234", "mt_the_token_5678"], 0.0);
        let seen = format!("{:?} {:?} {}", e.errors, e.clerk_trace_id, e.errors.iter().map(|x| x.meta.as_ref().map_or(String::new(), |m| m.to_string())).collect::<String>());
        prop_assert!(!seen.contains("ak_secret_key_1234") && !seen.contains("mt_the_token_5678"), "{}", seen);
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
