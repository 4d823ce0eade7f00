//! The data of the M2M API: the token object, the list page, and the parameters of each operation.
//! Owns the wire (snake_case) and JS (camelCase) shapes; must not validate or do I/O.

use crate::secret::Secret;
use core::fmt;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// Raw JSON text (claims, error `meta`): passed through untouched, parsed only by whoever needs it.
pub type RawJson = Box<RawValue>;

/// A machine-to-machine token as Clerk describes it. Timestamps are milliseconds since the Unix epoch.
///
/// Deserializes from Clerk's snake_case wire format; serializes to the camelCase shape of the JS API.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "snake_case", serialize = "camelCase"))]
pub struct M2MToken {
    /// Always `machine_to_machine_token`.
    #[serde(default = "token_object")]
    pub object: String,
    /// `mt_` + 32 hex characters.
    pub id: String,
    /// The machine that owns the token (`mch_…`).
    pub subject: String,
    /// The machines this token grants access to.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub scopes: Vec<String>,
    /// Custom claims given at creation, as raw JSON; `None` for null.
    #[serde(default)]
    pub claims: Option<RawJson>,
    /// Whether the token was revoked.
    pub revoked: bool,
    /// Why it was revoked.
    #[serde(default)]
    pub revocation_reason: Option<String>,
    /// Whether Clerk considers the token expired.
    pub expired: bool,
    /// When the token expires; `None` for never.
    #[serde(default)]
    pub expiration: Option<i64>,
    /// When the token was last used.
    #[serde(default)]
    pub last_used_at: Option<i64>,
    /// When the token was created.
    pub created_at: i64,
    /// When the token was last updated.
    pub updated_at: i64,
    /// The token itself; only in the answer to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
}

fn token_object() -> String {
    "machine_to_machine_token".to_owned()
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

impl fmt::Debug for M2MToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("M2MToken")
            .field("id", &self.id)
            .field("subject", &self.subject)
            .field("scopes", &self.scopes)
            .field("revoked", &self.revoked)
            .field("expired", &self.expired)
            .field("expiration", &self.expiration)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// One page of tokens from list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenList {
    /// The tokens of this page.
    #[serde(rename(deserialize = "m2m_tokens", serialize = "data"))]
    pub data: Vec<M2MToken>,
    /// How many tokens match the filters, across all pages.
    #[serde(rename(deserialize = "total_count", serialize = "totalCount"))]
    pub total_count: u64,
}

/// The answer of a `*_with_http_info` call: the decoded data, the status and the response headers.
#[derive(Debug, Clone)]
pub struct HttpInfo<T> {
    /// The decoded body.
    pub data: T,
    /// HTTP status.
    pub status: u16,
    /// Response headers, names lower-case, in arrival order.
    pub headers: Vec<(String, String)>,
}

/// A field that may be left out, sent as JSON `null`, or sent with a value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Nullable<T> {
    /// Not sent.
    #[default]
    Absent,
    /// Sent as `null`.
    Null,
    /// Sent with this value.
    Value(T),
}

impl<T> Nullable<T> {
    /// True when the field is not sent.
    pub fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }

    /// The value, when there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Value(v) => v.serialize(s),
            _ => s.serialize_none(),
        }
    }
}

/// The format of a new token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenFormat {
    /// An `mt_…` string, verified through Clerk's API (the default).
    Opaque,
    /// A signed JWT, verifiable locally.
    Jwt,
}

impl TokenFormat {
    /// Parses `opaque` or `jwt`.
    pub fn parse(s: &str) -> Option<TokenFormat> {
        match s {
            "opaque" => Some(TokenFormat::Opaque),
            "jwt" => Some(TokenFormat::Jwt),
            _ => None,
        }
    }
}

/// Options of create. Every field is optional.
#[derive(Debug, Default)]
pub struct CreateTokenParams {
    /// Lifetime in seconds (> 0), or `Null` for the server's choice.
    pub seconds_until_expiration: Nullable<f64>,
    /// Custom claims as raw JSON, or `Null`.
    pub claims: Nullable<RawJson>,
    /// `opaque` (default) or `jwt`.
    pub token_format: Option<TokenFormat>,
    /// Reuse a live opaque token with at least this many seconds left.
    pub min_remaining_ttl_seconds: Option<u64>,
    /// Overrides the client's key for this call.
    pub machine_secret_key: Option<Secret>,
}

/// Options of list. `subject` is required.
#[derive(Debug, Default)]
pub struct ListTokensParams {
    /// The machine whose tokens to list (`mch_…`).
    pub subject: String,
    /// Filter on revoked.
    pub revoked: Option<bool>,
    /// Filter on expired.
    pub expired: Option<bool>,
    /// Page size, 1–100.
    pub limit: Option<u32>,
    /// How many tokens to skip.
    pub offset: Option<u64>,
    /// Overrides the client's key for this call.
    pub machine_secret_key: Option<Secret>,
}

/// Options of revoke. `m2m_token_id` is required.
#[derive(Debug, Default)]
pub struct RevokeTokenParams {
    /// The token id (`mt_` + 32 hex).
    pub m2m_token_id: String,
    /// Why, or `Null`.
    pub revocation_reason: Nullable<String>,
    /// Overrides the client's key for this call.
    pub machine_secret_key: Option<Secret>,
}

/// Options of verify. `token` is required.
#[derive(Debug)]
pub struct VerifyTokenParams {
    /// The token to verify.
    pub token: Secret,
    /// Overrides the client's key for this call.
    pub machine_secret_key: Option<Secret>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"{"object":"machine_to_machine_token","id":"mt_f7f0ba8c3b4843ce7d85fcdd5e71853e",
        "subject":"mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk","claims":{"a":1},"scopes":["mch_2yGkLpQ7Y3rXSwtU24CzTk9I7Em"],
        "token":"mt_secret","revoked":false,"revocation_reason":null,"expired":false,"expiration":1716883200000,
        "last_used_at":null,"created_at":1716883100000,"updated_at":1716883100000,"surprise":"ignored"}"#;

    #[test]
    fn decodes_wire_and_encodes_camel_case() {
        let t: M2MToken = serde_json::from_str(FULL).unwrap();
        assert_eq!(t.expiration, Some(1716883200000));
        assert_eq!(t.claims.as_ref().unwrap().get(), r#"{"a":1}"#);
        let js = serde_json::to_string(&t).unwrap();
        assert!(js.contains(r#""revocationReason":null"#) && js.contains(r#""lastUsedAt":null"#));
        assert!(js.contains(r#""createdAt":1716883100000"#) && js.contains(r#""token":"mt_secret""#));
        assert!(!js.contains("surprise"));
    }

    #[test]
    fn missing_optionals_become_null_or_empty() {
        let min = r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"created_at":1,"updated_at":2,"scopes":null}"#;
        let t: M2MToken = serde_json::from_str(min).unwrap();
        assert!(t.scopes.is_empty() && t.claims.is_none() && t.expiration.is_none() && t.token.is_none());
        let js = serde_json::to_string(&t).unwrap();
        assert!(js.contains(r#""scopes":[]"#) && js.contains(r#""claims":null"#) && !js.contains(r#""token":"#));
    }

    #[test]
    fn debug_redacts_the_token() {
        let t: M2MToken = serde_json::from_str(FULL).unwrap();
        assert!(!format!("{t:?}").contains("mt_secret"));
    }

    #[test]
    fn nullable_serializes_as_null_or_value() {
        assert_eq!(serde_json::to_string(&Nullable::Value(3)).unwrap(), "3");
        assert_eq!(serde_json::to_string(&Nullable::<i32>::Null).unwrap(), "null");
    }
}
