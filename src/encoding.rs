//! Byte encodings the guard needs: base64url (JWT parts), standard base64 (PEM bodies) and hex (cache keys).
//! Pure and strict: anything not canonical is refused, never repaired.

/// Decodes unpadded base64url (RFC 4648 §5), as JWT parts use. `None` for any other character, for padding,
/// or for a length no encoder produces.
pub fn base64url_decode(input: &str) -> Option<Vec<u8>> {
    decode(input.as_bytes(), [b'-', b'_'])
}

/// Encodes unpadded base64url (the inverse of [`base64url_decode`]).
pub fn base64url_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            let sextet = ((n >> (18 - 6 * i)) & 63) as usize;
            out.push(char::from(ALPHABET.get(sextet).copied().unwrap_or(b'A')));
        }
    }
    out
}

/// Decodes standard base64 (RFC 4648 §4) with optional `=` padding, ignoring ASCII whitespace (PEM lines).
pub fn base64_decode(input: &str) -> Option<Vec<u8>> {
    let compact: Vec<u8> = input.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let trimmed = compact.strip_suffix(b"==").or_else(|| compact.strip_suffix(b"=")).unwrap_or(&compact);
    if compact.len() % 4 != 0 && trimmed.len() != compact.len() {
        return None;
    }
    decode(trimmed, [b'+', b'/'])
}

/// Decodes base64 whose alphabet ends with `last_two` (`-_` for base64url, `+/` for base64).
fn decode(input: &[u8], last_two: [u8; 2]) -> Option<Vec<u8>> {
    let value = |b: u8| match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        _ if b == last_two[0] => Some(62),
        _ if b == last_two[1] => Some(63),
        _ => None,
    };
    if input.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in input {
        acc = (acc << 6) | u32::from(value(b)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits must be zero in a canonical encoding.
    (acc == 0).then_some(out)
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(hex_digit(b >> 4));
        s.push(hex_digit(b & 15));
    }
    s
}

/// The lower-case hex digit of a nibble.
pub fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble & 15), 16).unwrap_or('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_and_rejects_junk() {
        assert_eq!(base64url_decode("eyJhbGciOiJSUzI1NiJ9").unwrap(), br#"{"alg":"RS256"}"#);
        assert_eq!(base64url_decode("").unwrap(), b"");
        assert_eq!(base64url_decode("-_8").unwrap(), [0xfb, 0xff]);
        for bad in ["a", "ab=", "a+b/", "ab c", "ä", "AB"] {
            assert_eq!(base64url_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn base64url_encoding_round_trips() {
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37).wrapping_add(200)).collect();
            assert_eq!(base64url_decode(&base64url_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base64url_encode(br#"{"alg":"RS256"}"#), "eyJhbGciOiJSUzI1NiJ9");
    }

    #[test]
    fn base64_accepts_padding_and_lines() {
        assert_eq!(base64_decode("aGVs\nbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64_decode("a-_="), None);
        assert_eq!(base64_decode("aGk=="), None);
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
    }
}
