//! The base64 dialects the guard accepts, as configured engines of the `base64` crate: strict unpadded base64url
//! with canonical trailing bits for JWT parts (two spellings of one token never both pass), and the standard
//! alphabet for PEM bodies. Owns the configuration only; the crate does the decoding.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// JWS parts: URL-safe alphabet, no padding, non-zero trailing bits refused.
const JWT_PART: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// PEM bodies: standard alphabet, padding optional.
const PEM_BODY: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes one part of a compact JWS (unpadded base64url, canonical).
pub(crate) fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    JWT_PART.decode(text).ok()
}

/// Encodes bytes as unpadded base64url (store entries' MACs; tests and fuzz targets build tokens with it).
pub fn base64url_encode(bytes: &[u8]) -> String {
    JWT_PART.encode(bytes)
}

/// Decodes a PEM body, ignoring the line breaks and spaces between its lines.
pub(crate) fn pem_body_decode(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    PEM_BODY.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_is_strict() {
        assert_eq!(base64url_decode("c2ln").unwrap(), b"sig");
        assert_eq!(base64url_encode(b"\xfb\xff"), "-_8");
        assert_eq!(base64url_decode("-_8").unwrap(), b"\xfb\xff");
        for bad in ["c2ln=", "c2l", "c2ln!", "+/8", "-_9", "a", "c2 ln"] {
            assert!(base64url_decode(bad).is_none(), "{bad}");
        }
        assert_eq!(base64url_decode("").unwrap(), b"");
    }

    #[test]
    fn pem_bodies_ignore_whitespace() {
        assert_eq!(pem_body_decode("c2ln\nc2ln\r\n").unwrap(), b"sigsig");
        assert_eq!(pem_body_decode("YQ==").unwrap(), b"a");
        assert_eq!(pem_body_decode("YQ").unwrap(), b"a");
        assert!(pem_body_decode("c2l!").is_none());
    }
}
