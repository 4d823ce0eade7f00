//! What the guard decides: a verified machine identity, or a rejection with everything a response needs
//! (status, JSON body, `WWW-Authenticate` as RFC 6750 §3 describes, `Retry-After`). Pure.

use crate::core::json::Json;
use crate::core::model::{M2MToken, TokenFormat};
use crate::core::reason::Reason;
use serde::{Deserialize, Serialize};

/// A verified machine: who called, and what the token grants. Written in the JS API's camelCase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// `opaque` or `jwt`.
    pub token_format: TokenFormat,
    /// Token id (`mt_…`).
    pub id: String,
    /// The calling machine (`mch_…`).
    pub subject: String,
    /// The machines the token grants access to.
    pub scopes: Vec<String>,
    /// Custom claims.
    pub claims: Option<serde_json::Value>,
    /// Expiration, milliseconds since the epoch.
    pub expiration: Option<i64>,
}

impl Identity {
    /// The identity behind a token object.
    pub fn from_token(token: &M2MToken, token_format: TokenFormat) -> Identity {
        Identity {
            token_format,
            id: token.id.clone(),
            subject: token.subject.clone(),
            scopes: token.scopes.clone(),
            claims: token.claims.clone(),
            expiration: token.expiration,
        }
    }

    /// True when `machine_id` is among the token's scopes.
    pub fn grants(&self, machine_id: &str) -> bool {
        self.scopes.iter().any(|s| s == machine_id)
    }
}

/// A refused request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Why.
    pub reason: Reason,
    /// For [`Reason::UpstreamUnavailable`]: seconds to wait, when Clerk said.
    pub retry_after: Option<u32>,
}

/// Seconds a client is told to wait when Clerk did not say.
pub(crate) const DEFAULT_RETRY_AFTER_S: u32 = 5;

impl From<Reason> for Rejection {
    fn from(reason: Reason) -> Self {
        Rejection { reason, retry_after: None }
    }
}

impl Rejection {
    /// HTTP status: 401, 403 for scope, 503 when Clerk is unavailable.
    pub fn status(&self) -> u16 {
        self.reason.status()
    }

    /// `{"error":"<reason>","message":"…"}` written by `J` (the edge's `Rejection::body` picks the runtime's).
    pub fn body_in<J: Json>(&self) -> String {
        #[derive(Serialize)]
        struct Body {
            error: &'static str,
            message: &'static str,
        }
        J::write(&Body { error: self.reason.as_str(), message: self.reason.message() }).unwrap_or_default()
    }

    /// The `WWW-Authenticate` challenge for 401 and 403 (RFC 6750 §3): no error code when no token was sent
    /// (§3.1), `insufficient_scope` for 403, `invalid_token` otherwise. `None` for 503.
    pub fn www_authenticate(&self) -> Option<String> {
        let error = match self.reason {
            Reason::UpstreamUnavailable | Reason::SecretKeyInvalid => return None,
            Reason::TokenMissing => return Some("Bearer realm=\"clerk-m2m\"".to_owned()),
            Reason::MachineNotInScope => "insufficient_scope",
            _ => "invalid_token",
        };
        Some(
            ["Bearer realm=\"clerk-m2m\", error=\"", error, "\", error_description=\"", self.reason.message(), "\""]
                .concat(),
        )
    }

    /// `Retry-After` seconds for 503.
    pub fn retry_after_header(&self) -> Option<u32> {
        (self.reason == Reason::UpstreamUnavailable).then(|| self.retry_after.unwrap_or(DEFAULT_RETRY_AFTER_S))
    }
}

/// The guard's answer for one request.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The caller is a verified machine.
    SignedIn(Identity),
    /// The caller is refused.
    SignedOut(Rejection),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_follow_rfc_6750() {
        let r = |reason| Rejection::from(reason);
        assert_eq!(r(Reason::TokenMissing).www_authenticate().unwrap(), "Bearer realm=\"clerk-m2m\"");
        let expired = r(Reason::TokenExpired).www_authenticate().unwrap();
        assert!(expired.starts_with("Bearer realm=\"clerk-m2m\", error=\"invalid_token\", error_description=\""));
        assert!(r(Reason::MachineNotInScope).www_authenticate().unwrap().contains("error=\"insufficient_scope\""));
        assert_eq!(r(Reason::UpstreamUnavailable).www_authenticate(), None);
        assert_eq!(r(Reason::UpstreamUnavailable).retry_after_header(), Some(DEFAULT_RETRY_AFTER_S));
        let limited = Rejection { reason: Reason::UpstreamUnavailable, retry_after: Some(9) };
        assert_eq!(limited.retry_after_header(), Some(9));
        assert_eq!(r(Reason::TokenInvalid).retry_after_header(), None);
    }

    #[test]
    fn bodies_are_json_for_every_reason() {
        for reason in crate::core::reason::ALL {
            let text = Rejection::from(reason).body_in::<crate::core::json::SerdeJson>();
            let body: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(body, serde_json::json!({ "error": reason.as_str(), "message": reason.message() }));
        }
    }
}
