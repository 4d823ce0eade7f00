//! Fuzzes everything that reads Clerk's answers and the shared store: token and list decoding (serde_json),
//! error bodies (with redaction), the JWKS, shared-store entries and Retry-After. No answer may panic; a redacted
//! error body never contains the secret; an accepted timestamp is an integer within ±2^53.
#![no_main]
use clerk_m2m_edge::fuzzing::{
    decode_error, decode_list, decode_token, parse_jwks, parse_retry_after, read_verdict_entry, GuardSettings, SealKey, SerdeJson,
    StoreRead,
};
use clerk_m2m_edge::HttpResponse;
use libfuzzer_sys::fuzz_target;

const SAFE: i64 = 9_007_199_254_740_991;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    let response = HttpResponse {
        status: 200,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("retry-after".into(), body.chars().take(40).collect()),
        ],
        body: body.to_owned(),
    };
    for token in [decode_token::<SerdeJson>(&response, false), decode_token::<SerdeJson>(&response, true)].into_iter().flatten() {
        for t in [token.expiration, token.created_at, token.updated_at, token.last_used_at].into_iter().flatten() {
            assert!((-SAFE..=SAFE).contains(&t));
        }
    }
    let _ = decode_list::<SerdeJson>(&response);
    let error = decode_error::<SerdeJson>(&HttpResponse { status: 503, ..response.clone() }, &["ak_fuzz_secret"], 1.8e12);
    for e in &error.errors {
        assert!(!e.message.contains("ak_fuzz_secret") && !e.long_message.contains("ak_fuzz_secret"));
    }
    let _ = parse_jwks::<SerdeJson>(body);
    // Unsealed, nothing the store holds is a verdict; sealed (as if the key had leaked), it parses without panic.
    let seal = SealKey::derive(&"sk_fuzz".into());
    let settings = GuardSettings::default();
    assert!(matches!(read_verdict_entry::<SerdeJson>(&seal, "k", body, 1.8e12, &settings), StoreRead::Refused));
    let _ = read_verdict_entry::<SerdeJson>(&seal, "k", &seal.seal("k", body), 1.8e12, &settings);
    let _ = parse_retry_after(body, 1.8e12);
});
