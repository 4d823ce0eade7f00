//! What the guard decides: a verified machine identity, or a rejection with everything a response needs
//! (status, JSON body, `WWW-Authenticate` as RFC 6750 §3 describes, `Retry-After`). Pure.

use crate::json::{ObjectWriter, Value};
use crate::model::{string_array, M2MToken, RawJson, TokenFormat};
use crate::reason::Reason;

/// A verified machine: who called, and what the token grants.
#[derive(Clone, Debug)]
pub struct Identity {
    /// `opaque` or `jwt`.
    pub token_format: TokenFormat,
    /// Token id (`mt_…`).
    pub id: String,
    /// The calling machine (`mch_…`).
    pub subject: String,
    /// The machines the token grants access to.
    pub scopes: Vec<String>,
    /// Custom claims, raw JSON.
    pub claims: Option<RawJson>,
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

    /// Appends `tokenFormat, id, subject, scopes, claims, expiration` as members of an object being written.
    pub fn write_members(&self, o: &mut ObjectWriter<'_>) {
        o.str("tokenFormat", self.token_format.as_str())
            .str("id", &self.id)
            .str("subject", &self.subject)
            .str_array("scopes", &self.scopes)
            .raw("claims", self.claims.as_ref().map_or("null", RawJson::get))
            .opt_int("expiration", self.expiration);
    }

    /// Reads what [`Identity::write_members`] wrote.
    pub fn from_json(v: &Value<'_>) -> Option<Identity> {
        let text = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
        Some(Identity {
            token_format: TokenFormat::parse(v.get("tokenFormat")?.as_str()?)?,
            id: text("id")?,
            subject: text("subject")?,
            scopes: string_array(v.get("scopes")?)?,
            claims: v.get_non_null("claims").map(RawJson::from_value),
            expiration: match v.get_non_null("expiration") {
                Some(e) => Some(e.as_i64()?),
                None => None,
            },
        })
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
pub const DEFAULT_RETRY_AFTER_S: u32 = 5;

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

    /// `{"error":"<reason>","message":"…"}`.
    pub fn body(&self) -> String {
        // Reasons and messages are fixed ASCII without quotes or backslashes: no escaping needed.
        ["{\"error\":\"", self.reason.as_str(), "\",\"message\":\"", self.reason.message(), "\"}"].concat()
    }

    /// The `WWW-Authenticate` challenge for 401 and 403 (RFC 6750 §3): no error code when no token was sent
    /// (§3.1), `insufficient_scope` for 403, `invalid_token` otherwise. `None` for 503.
    pub fn www_authenticate(&self) -> Option<String> {
        let error = match self.reason {
            Reason::UpstreamUnavailable => return None,
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
        for reason in crate::reason::ALL {
            let text = Rejection::from(reason).body();
            let body = crate::json::parse(&text).unwrap();
            assert_eq!(body.get("error").unwrap().as_str(), Some(reason.as_str()));
            assert_eq!(body.get("message").unwrap().as_str(), Some(reason.message()));
        }
    }
}
