//! The option names of the JS API, in one table: what each must be (the message of its `invalid_argument`) and
//! which options objects accept it. An options object refuses every name it does not accept, naming the closest
//! one it does (`machineID` → "did you mean machineId?"): a typo must fail closed, never be ignored. Pure data
//! and lookups; the JS surface reads objects with it.

use crate::core::config::{API_URL_SHAPE, MACHINE_ID_SHAPE, ORIGINS_SHAPE, TOKEN_ID_SHAPE};
use crate::core::error::Error;

/// An options object of the JS API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OptionsOf {
    /// `new ClerkM2M(o)` and `ClerkM2M.fromEnv(env, o)`.
    Client,
    /// `createToken(o)`.
    Create,
    /// `list(o)`.
    List,
    /// `revokeToken(o)`.
    Revoke,
    /// `verify(o)`.
    Verify,
    /// `verifyRequest(request, o)`, `m2m.verifyRequest(request, o)` and Hono's `m2mAuth(o)`.
    VerifyRequest,
    /// `m2m.tokenSource(o)`.
    TokenSource,
}

const CLIENT: u8 = 1;
const CREATE: u8 = 1 << 1;
const LIST: u8 = 1 << 2;
const REVOKE: u8 = 1 << 3;
const VERIFY: u8 = 1 << 4;
const GUARD: u8 = 1 << 5;
const SOURCE: u8 = 1 << 6;
/// Every operation takes its own key.
const CALL: u8 = CREATE | LIST | REVOKE | VERIFY;

impl OptionsOf {
    /// The groups of names this object accepts.
    fn accepts(self) -> u8 {
        match self {
            OptionsOf::Client => CLIENT,
            OptionsOf::Create => CREATE,
            OptionsOf::List => LIST,
            OptionsOf::Revoke => REVOKE,
            OptionsOf::Verify => VERIFY,
            OptionsOf::VerifyRequest => CLIENT | GUARD,
            OptionsOf::TokenSource => CREATE | SOURCE,
        }
    }
}

const MILLISECONDS: &str = "a non-negative number of milliseconds";

/// Every option of the JS API: its name, what it must be, and the groups that accept it.
const OPTIONS: [(&str, &str, u8); 34] = [
    ("machineSecretKey", "a string key", CLIENT | CALL),
    ("secretKey", "a string key", CLIENT),
    ("apiUrl", API_URL_SHAPE, CLIENT),
    ("apiVersion", "a path segment such as v1", CLIENT),
    ("timeoutMs", "a positive number of milliseconds, at most 2147483647", CLIENT),
    ("maxRetries", "an integer from 0 to 10", CLIENT),
    ("jwtKey", "a PEM public key", CLIENT),
    ("machineId", MACHINE_ID_SHAPE, CLIENT | GUARD),
    ("secondsUntilExpiration", "a number greater than 0 and at most 9007199254740991 (2^53 - 1), or null", CREATE),
    ("claims", "a JSON-serialisable value", CREATE),
    ("tokenFormat", "'opaque' or 'jwt'", CREATE),
    ("minRemainingTtlSeconds", "a non-negative integer", CREATE),
    ("subject", MACHINE_ID_SHAPE, LIST),
    ("revoked", "a boolean", LIST),
    ("expired", "a boolean", LIST),
    ("limit", "an integer from 1 to 100", LIST),
    ("offset", "a non-negative integer", LIST),
    ("m2mTokenId", TOKEN_ID_SHAPE, REVOKE),
    ("revocationReason", "a string or null", REVOKE),
    ("token", "a non-empty string of at most 8192 bytes", VERIFY),
    ("allowAnyMachine", "true, to accept tokens for any machine (else machineId is required)", GUARD),
    ("clockSkewMs", MILLISECONDS, GUARD),
    ("cacheTtlMs", MILLISECONDS, GUARD),
    ("negativeCacheTtlMs", MILLISECONDS, GUARD),
    ("cache", "a boolean", GUARD),
    ("jwksMaxStaleMs", MILLISECONDS, GUARD),
    ("cacheStore", "an object with get(key) and put(key, value, { expirationTtl }) methods", GUARD | SOURCE),
    ("refreshBeforeSeconds", "a number of seconds from 0 up to (not including) secondsUntilExpiration", SOURCE),
    ("fetcher", "a service binding (an object with fetch()) or a fetch function", SOURCE),
    ("origins", ORIGINS_SHAPE, SOURCE),
    ("pool", "a boolean: false turns Clerk's pooling of opaque tokens off", SOURCE),
    ("broker", "a Durable Object namespace binding of the package's M2MTokenBroker class", SOURCE),
    ("storeTimeoutMs", "a positive number of milliseconds, at most 2147483647", GUARD | SOURCE),
    ("init", "a RequestInit object", 0),
];

/// The names an options object accepts, in the table's order.
pub(crate) fn accepted(of: OptionsOf) -> impl Iterator<Item = &'static str> {
    OPTIONS.iter().filter(move |(_, _, groups)| groups & of.accepts() != 0).map(|(name, _, _)| *name)
}

/// `invalid_argument` for the option `name` of the table (`options` itself for a name it does not hold).
pub(crate) fn invalid(name: &str) -> Error {
    match OPTIONS.iter().find(|(n, _, _)| *n == name) {
        Some((field, expected, _)) => Error::invalid(field, expected),
        None => Error::invalid("options", "an options object"),
    }
}

/// `Ok` when `of` accepts `name`; else `invalid_argument` naming it and the closest name `of` accepts.
pub(crate) fn check_name(of: OptionsOf, name: &str) -> Result<(), Error> {
    if accepted(of).any(|known| known == name) {
        return Ok(());
    }
    // A name that holds what was typed (`reason` → `revocationReason`), else the fewest edits, case aside.
    let lower = name.to_ascii_lowercase();
    let distance = |known: &&str| {
        let known = known.to_ascii_lowercase();
        let holds = !lower.is_empty() && known.contains(&lower);
        (!holds, strsim::levenshtein(&known, &lower))
    };
    let closest = accepted(of).min_by_key(distance).unwrap_or("options");
    Err(Error::UnknownOption { name: shown(name), closest })
}

/// An unknown name as an error shows it: at most 64 characters, controls replaced (it is the caller's text).
fn shown(name: &str) -> String {
    name.chars().take(64).map(|c| if c.is_control() { '?' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closest(of: OptionsOf, name: &str) -> &'static str {
        match check_name(of, name) {
            Err(Error::UnknownOption { closest, .. }) => closest,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn typos_name_the_closest_option_of_that_object() {
        assert_eq!(closest(OptionsOf::VerifyRequest, "machineID"), "machineId");
        assert_eq!(closest(OptionsOf::VerifyRequest, "machine_id"), "machineId");
        assert_eq!(closest(OptionsOf::VerifyRequest, "cacheTTLMs"), "cacheTtlMs");
        assert_eq!(closest(OptionsOf::TokenSource, "refreshBefore"), "refreshBeforeSeconds");
        assert_eq!(closest(OptionsOf::Create, "secondsUntilExpiry"), "secondsUntilExpiration");
        assert_eq!(closest(OptionsOf::Create, "token_format"), "tokenFormat");
        assert_eq!(closest(OptionsOf::Client, "secret_key"), "secretKey");
        assert_eq!(closest(OptionsOf::Revoke, "tokenId"), "m2mTokenId");
        assert_eq!(closest(OptionsOf::Revoke, "reason"), "revocationReason");
        assert_eq!(closest(OptionsOf::VerifyRequest, "ttl"), "cacheTtlMs");
    }

    #[test]
    fn each_object_accepts_its_own_names_only() {
        assert!(check_name(OptionsOf::VerifyRequest, "machineId").is_ok());
        assert!(check_name(OptionsOf::VerifyRequest, "apiUrl").is_ok(), "the client's options too");
        assert!(check_name(OptionsOf::Client, "cacheTtlMs").is_err(), "a guard setting is not the client's");
        assert!(check_name(OptionsOf::Create, "subject").is_err());
        assert!(check_name(OptionsOf::TokenSource, "secondsUntilExpiration").is_ok());
        assert!(check_name(OptionsOf::TokenSource, "machineId").is_err());
        for of in [OptionsOf::Create, OptionsOf::List, OptionsOf::Revoke, OptionsOf::Verify, OptionsOf::TokenSource] {
            assert!(check_name(of, "machineSecretKey").is_ok(), "{of:?}");
        }
        assert!(check_name(OptionsOf::Verify, "init").is_err(), "not an option of any object");
    }

    #[test]
    fn the_error_is_invalid_argument_with_the_name_as_field() {
        let err = check_name(OptionsOf::VerifyRequest, "machineID").unwrap_err();
        assert_eq!(err.code(), "invalid_argument");
        assert_eq!(err.field(), Some("machineID"));
        assert_eq!(err.to_string(), "Unknown option `machineID`: did you mean machineId?");
        let long = check_name(OptionsOf::Verify, &format!("x\n{}", "y".repeat(200))).unwrap_err();
        assert_eq!(long.field().map(str::len), Some(64));
        assert!(!long.to_string().contains('\n'));
    }
}
