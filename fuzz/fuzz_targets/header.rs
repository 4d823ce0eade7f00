//! Fuzzes `Authorization` header parsing and token classification: no input may panic, and an accepted token is
//! one RFC 6750 b64token without whitespace.
#![no_main]
use clerk_m2m_edge::fuzzing::{header, token, SerdeJson};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else { return };
    if let Ok(t) = header::bearer_token(Some(value)) {
        assert!(!t.is_empty() && t.len() <= header::MAX_HEADER_BYTES);
        assert!(t.bytes().all(|b| b.is_ascii_graphic() && b != b','));
        let _ = token::classify::<SerdeJson>(t);
    }
    let _ = token::classify::<SerdeJson>(value);
});
