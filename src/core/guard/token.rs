//! Tells what kind of token a bearer string is, without any network: an opaque M2M token, an M2M JWT, or
//! something this guard must refuse. Pure.

use super::jwt::{self, DecodedJwt};
use crate::core::json::Json;
use crate::core::reason::Reason;

/// A token the guard can verify.
#[derive(Debug)]
pub enum TokenKind {
    /// `mt_…`: verified through Clerk's API.
    Opaque,
    /// A JWT whose `sub` is a machine (`mch_…`): verified locally.
    Jwt(Box<DecodedJwt>),
}

/// Prefixes of other Clerk credentials a caller may send by mistake: API and machine secret keys, OAuth access
/// tokens, instance keys.
const OTHER_KINDS: [&str; 5] = ["ak_", "oat_", "sk_", "pk_", "ck_"];

/// Classifies a bearer token (already checked by [`super::header::bearer_token`]).
pub fn classify<J: Json>(token: &str) -> Result<TokenKind, Reason> {
    if let Some(rest) = token.strip_prefix("mt_") {
        let ok = !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        return if ok { Ok(TokenKind::Opaque) } else { Err(Reason::TokenMalformed) };
    }
    if OTHER_KINDS.iter().any(|p| token.starts_with(p)) {
        return Err(Reason::TokenTypeMismatch);
    }
    if token.contains('.') {
        let decoded = jwt::decode::<J>(token)?;
        return if decoded.payload.sub.starts_with("mch_") {
            Ok(TokenKind::Jwt(Box::new(decoded)))
        } else {
            Err(Reason::TokenTypeMismatch)
        };
    }
    Err(Reason::TokenMalformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::guard::jwt::tests::unsigned_jwt;
    use crate::core::json::SerdeJson;

    #[test]
    fn kinds() {
        assert!(matches!(classify::<SerdeJson>("mt_Abc123_-x"), Ok(TokenKind::Opaque)));
        let m2m = unsigned_jwt(r#"{"alg":"RS256"}"#, r#"{"sub":"mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk","exp":1}"#);
        assert!(matches!(classify::<SerdeJson>(&m2m), Ok(TokenKind::Jwt(_))));
        let session = unsigned_jwt(r#"{"alg":"RS256"}"#, r#"{"sub":"user_2abc","exp":1}"#);
        assert_eq!(classify::<SerdeJson>(&session).unwrap_err(), Reason::TokenTypeMismatch);
        let no_sub = unsigned_jwt(r#"{"alg":"RS256"}"#, r#"{"exp":1}"#);
        assert_eq!(classify::<SerdeJson>(&no_sub).unwrap_err(), Reason::TokenTypeMismatch);
        for (token, reason) in [
            ("mt_", Reason::TokenMalformed),
            ("mt_abc.def", Reason::TokenMalformed),
            ("mt_abc+/", Reason::TokenMalformed),
            ("ak_live_abc", Reason::TokenTypeMismatch),
            ("oat_abc", Reason::TokenTypeMismatch),
            ("sk_test_abc", Reason::TokenTypeMismatch),
            ("hello", Reason::TokenMalformed),
            ("a.b", Reason::TokenMalformed),
            ("a.b.c", Reason::TokenMalformed),
            ("a.b.c.d", Reason::TokenMalformed),
        ] {
            assert_eq!(classify::<SerdeJson>(token).unwrap_err(), reason, "{token}");
        }
    }
}
