//! Fuzzes JWT decoding and the rules applied before the signature check: the input is split into a header, a
//! payload and a signature and base64url-encoded, so the fuzzer explores the JSON inside, not just the encoding.
#![no_main]
use clerk_m2m_edge::encoding::base64url_encode as b64url;
use clerk_m2m_edge::guard::jwt;
use clerk_m2m_edge::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Raw: the token as a caller could send it.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = jwt::decode(text);
    }
    // Structured: header 0x00 payload 0x00 signature.
    let mut parts = data.splitn(3, |&b| b == 0);
    let (Some(h), Some(p)) = (parts.next(), parts.next()) else { return };
    let sig = parts.next().unwrap_or_default();
    let token = format!("{}.{}.{}", b64url(h), b64url(p), b64url(sig));
    if let Ok(decoded) = jwt::decode(&token) {
        let _ = jwt::check_header(&decoded.header);
        let _ = jwt::check_claims(&decoded.payload, 1_800_000_000_000.0, 5_000.0);
        if let Some(claims) = jwt::to_token(&decoded.payload).claims {
            assert!(json::parse(claims.get()).is_some(), "custom claims must stay valid JSON");
        }
    }
});
