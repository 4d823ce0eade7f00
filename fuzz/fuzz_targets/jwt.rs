//! Fuzzes JWT decoding (base64url, JSON objects through the native codec, the nesting bound) and the rules
//! around the signature check: the input is split into a header, a payload and a signature and base64url-encoded,
//! so the fuzzer explores the JSON inside, not just the encoding.
#![no_main]
use clerk_m2m_edge::fuzzing::{base64url_encode as b64url, jwt, SerdeJson};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Raw: the token as a caller could send it.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = jwt::decode::<SerdeJson>(text);
    }
    // Structured: header 0x00 payload 0x00 signature.
    let mut parts = data.splitn(3, |&b| b == 0);
    let (Some(h), Some(p)) = (parts.next(), parts.next()) else { return };
    let sig = parts.next().unwrap_or_default();
    let token = format!("{}.{}.{}", b64url(h), b64url(p), b64url(sig));
    if let Ok(decoded) = jwt::decode::<SerdeJson>(&token) {
        let _ = jwt::check_header(&decoded.header);
        let _ = jwt::check_claims(&decoded.payload, 1_800_000_000_000.0, 5_000.0);
        for date in [decoded.payload.exp, decoded.payload.nbf, decoded.payload.iat] {
            if let jwt::NumericDate::Seconds(s) = date {
                assert!(s.is_finite(), "numeric dates are finite numbers");
            }
        }
        if let Some(claims) = jwt::to_token(&decoded.payload).claims {
            for structural in jwt::STRUCTURAL_CLAIMS {
                assert!(claims.get(structural).is_none(), "structural claims are not custom claims");
            }
        }
    }
});
