//! Extracts the bearer token from an `Authorization` header value (RFC 6750 §2.1), refusing anything ambiguous.
//! Pure; never looks anywhere but that one header.

use crate::core::reason::Reason;

/// Header values longer than this are refused without being parsed further.
pub const MAX_HEADER_BYTES: usize = 8192;

/// The single bearer token in `authorization`, or why there is none.
///
/// - no header, an empty one, or another scheme (`Basic …`): [`Reason::TokenMissing`];
/// - scheme `Bearer` (any case) with nothing after it: [`Reason::TokenMissing`];
/// - over 8 KB, several tokens, whitespace or a character outside RFC 6750's `b64token` inside the token:
///   [`Reason::TokenMalformed`].
pub fn bearer_token(authorization: Option<&str>) -> Result<&str, Reason> {
    let value = authorization.ok_or(Reason::TokenMissing)?;
    if value.len() > MAX_HEADER_BYTES {
        return Err(Reason::TokenMalformed);
    }
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        // A comma means several credentials were joined: never guess which one was meant.
        return Err(if scheme.contains(',') && scheme.to_ascii_lowercase().starts_with("bearer") {
            Reason::TokenMalformed
        } else {
            Reason::TokenMissing
        });
    }
    let token = rest.trim_start_matches([' ', '\t']);
    if token.is_empty() {
        return Err(Reason::TokenMissing);
    }
    if !is_b64token(token) {
        return Err(Reason::TokenMalformed);
    }
    Ok(token)
}

/// `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Reason::*;

    #[test]
    fn every_header_form() {
        let long = format!("Bearer {}", "a".repeat(MAX_HEADER_BYTES));
        let cases: &[(Option<&str>, Result<&str, Reason>)] = &[
            (Some("Bearer mt_abc"), Ok("mt_abc")),
            (Some("bearer mt_abc"), Ok("mt_abc")),
            (Some("BEARER   mt_abc  "), Ok("mt_abc")),
            (Some("Bearer\tmt_abc"), Ok("mt_abc")),
            (Some("Bearer a.b.c"), Ok("a.b.c")),
            (Some("Bearer abc=="), Ok("abc==")),
            (None, Err(TokenMissing)),
            (Some(""), Err(TokenMissing)),
            (Some("   "), Err(TokenMissing)),
            (Some("Bearer"), Err(TokenMissing)),
            (Some("Bearer    "), Err(TokenMissing)),
            (Some("Basic dXNlcjpwYXNz"), Err(TokenMissing)),
            (Some("Token mt_abc"), Err(TokenMissing)),
            (Some("mt_abc"), Err(TokenMissing)),
            (Some("Bearermt_abc"), Err(TokenMissing)),
            (Some("Bearer mt_abc mt_def"), Err(TokenMalformed)),
            (Some("Bearer mt_abc, Bearer mt_def"), Err(TokenMalformed)),
            (Some("Bearer, Bearer mt_def"), Err(TokenMalformed)),
            (Some("Bearer mt_a\u{0}bc"), Err(TokenMalformed)),
            (Some("Bearer mt_ab\"c"), Err(TokenMalformed)),
            (Some("Bearer mt_äbc"), Err(TokenMalformed)),
            (Some("Bearer ==="), Err(TokenMalformed)),
            (Some("Bearer a=b"), Err(TokenMalformed)),
            (Some("Bearer mt_abc\r\nX: y"), Err(TokenMalformed)),
            (Some(&long), Err(TokenMalformed)),
        ];
        for (input, expected) in cases {
            assert_eq!(bearer_token(*input), *expected, "{input:?}");
        }
    }
}
