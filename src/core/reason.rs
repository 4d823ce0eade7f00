//! Why a token or request was refused: the stable `reason` strings shared by `verify` and the route guard.
//! Owns the reason → HTTP status mapping; must not decide *when* a reason applies.

use serde::{Deserialize, Serialize};

/// A stable, machine-readable reason for refusing a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// No `Authorization: Bearer` token in the request.
    TokenMissing,
    /// A token that cannot be a token of any kind (bad characters, broken JWT parts, several tokens).
    TokenMalformed,
    /// A well-formed token of another kind (API key, OAuth token, session JWT), or one the configured keys cannot verify.
    TokenTypeMismatch,
    /// Unknown to Clerk, or a JWT whose signature or claims fail.
    TokenInvalid,
    /// Past its expiration.
    TokenExpired,
    /// Revoked.
    TokenRevoked,
    /// Valid, but the receiving machine is not among the token's scopes.
    MachineNotInScope,
    /// Clerk refused the configured key.
    SecretKeyInvalid,
    /// Clerk could not be reached or answered with a server error: nothing was verified.
    UpstreamUnavailable,
}

/// Every reason, in the order of the contract.
pub(crate) const ALL: [Reason; 9] = [
    Reason::TokenMissing,
    Reason::TokenMalformed,
    Reason::TokenTypeMismatch,
    Reason::TokenInvalid,
    Reason::TokenExpired,
    Reason::TokenRevoked,
    Reason::MachineNotInScope,
    Reason::SecretKeyInvalid,
    Reason::UpstreamUnavailable,
];

impl Reason {
    /// The kebab-case string used in JS (`auth.reason`, `err.reason`).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::TokenMissing => "token-missing",
            Reason::TokenMalformed => "token-malformed",
            Reason::TokenTypeMismatch => "token-type-mismatch",
            Reason::TokenInvalid => "token-invalid",
            Reason::TokenExpired => "token-expired",
            Reason::TokenRevoked => "token-revoked",
            Reason::MachineNotInScope => "machine-not-in-scope",
            Reason::SecretKeyInvalid => "secret-key-invalid",
            Reason::UpstreamUnavailable => "upstream-unavailable",
        }
    }

    /// Parses the kebab-case string.
    pub fn parse(s: &str) -> Option<Reason> {
        ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The HTTP status a guarded route answers with: 401, 403 for scope, 503 when Clerk is unavailable.
    pub fn status(self) -> u16 {
        match self {
            Reason::MachineNotInScope => 403,
            // The service's own key is at fault, not the caller's token: a 401 would make every caller throw its
            // token away and mint again. The operator sees the reason.
            Reason::SecretKeyInvalid => 500,
            Reason::UpstreamUnavailable => 503,
            _ => 401,
        }
    }

    /// A short human-readable explanation; never contains the token or a key.
    pub fn message(self) -> &'static str {
        match self {
            Reason::TokenMissing => "No bearer token was sent in the Authorization header.",
            Reason::TokenMalformed => "The bearer token is malformed.",
            Reason::TokenTypeMismatch => "The bearer token is not a machine-to-machine token this service accepts.",
            Reason::TokenInvalid => "The machine token is invalid.",
            Reason::TokenExpired => "The machine token has expired.",
            Reason::TokenRevoked => "The machine token has been revoked.",
            Reason::MachineNotInScope => "The machine token does not grant access to this machine.",
            Reason::SecretKeyInvalid => "The service's Clerk key was rejected; the token could not be verified.",
            Reason::UpstreamUnavailable => "Clerk is unavailable; the token could not be verified.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips() {
        for r in ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
        }
        assert_eq!(Reason::parse("nope"), None);
    }

    #[test]
    fn serde_uses_the_kebab_case_strings() {
        for r in ALL {
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.as_str()));
        }
    }

    #[test]
    fn statuses_follow_the_contract() {
        assert_eq!(Reason::MachineNotInScope.status(), 403);
        assert_eq!(Reason::UpstreamUnavailable.status(), 503);
        assert_eq!(Reason::SecretKeyInvalid.status(), 500, "the server's key, not the caller's token");
        let caller_faults = |r: &Reason| {
            !matches!(r, Reason::MachineNotInScope | Reason::UpstreamUnavailable | Reason::SecretKeyInvalid)
        };
        for r in ALL.into_iter().filter(caller_faults) {
            assert_eq!(r.status(), 401, "{}", r.as_str());
        }
    }
}
