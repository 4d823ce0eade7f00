//! The data of the M2M API: the token object, the list page, and the parameters of each operation.
//! Owns the wire (snake_case) and JS (camelCase) shapes; must not validate or do I/O.

use crate::json::{self, ObjectWriter, ToJson, Value};
use crate::secret::Secret;
use core::fmt;

/// Raw JSON text (claims, error `meta`), checked to be one JSON value: passed through untouched, parsed only by
/// whoever needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct RawJson(String);

impl RawJson {
    /// The text, when it is exactly one JSON value.
    pub fn parse(text: &str) -> Option<RawJson> {
        json::parse(text).map(|v| RawJson(v.raw.to_owned()))
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_value(value: &Value<'_>) -> RawJson {
        RawJson(value.raw.to_owned())
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson({} bytes)", self.0.len())
    }
}

/// A machine-to-machine token as Clerk describes it. Timestamps are milliseconds since the Unix epoch.
///
/// Decoded from Clerk's snake_case answer with [`M2MToken::from_json`]; [`M2MToken::to_json`] gives the
/// camelCase shape of the JS API.
#[derive(Clone)]
pub struct M2MToken {
    /// Always `machine_to_machine_token`.
    pub object: String,
    /// `mt_` + 32 hex characters.
    pub id: String,
    /// The machine that owns the token (`mch_…`).
    pub subject: String,
    /// The machines this token grants access to.
    pub scopes: Vec<String>,
    /// Custom claims given at creation, as raw JSON; `None` for null.
    pub claims: Option<RawJson>,
    /// Whether the token was revoked.
    pub revoked: bool,
    /// Why it was revoked.
    pub revocation_reason: Option<String>,
    /// Whether Clerk considers the token expired.
    pub expired: bool,
    /// When the token expires; `None` for never.
    pub expiration: Option<i64>,
    /// When the token was last used.
    pub last_used_at: Option<i64>,
    /// When the token was created.
    pub created_at: i64,
    /// When the token was last updated.
    pub updated_at: i64,
    /// The token itself; only in the answer to create.
    pub token: Option<Secret>,
}

/// An optional member: absent or `null` is `Some(None)`; a value of the wrong type is `None`.
fn optional<'v, 'a, T>(obj: &'v Value<'a>, name: &str, read: impl Fn(&'v Value<'a>) -> Option<T>) -> Option<Option<T>> {
    match obj.get_non_null(name) {
        None => Some(None),
        Some(v) => read(v).map(Some),
    }
}

pub(crate) fn string_array(v: &Value<'_>) -> Option<Vec<String>> {
    v.as_array()?.iter().map(|s| s.as_str().map(str::to_owned)).collect()
}

impl M2MToken {
    /// Decodes Clerk's token object: `id`, `subject`, `revoked`, `expired`, `created_at` and `updated_at` are
    /// required; missing optional fields become `None` / empty; unknown fields are ignored; a field of the wrong
    /// type makes the whole object invalid.
    pub fn from_json(v: &Value<'_>) -> Option<M2MToken> {
        v.members()?;
        let text = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
        Some(M2MToken {
            object: optional(v, "object", Value::as_str)?.unwrap_or("machine_to_machine_token").to_owned(),
            id: text("id")?,
            subject: text("subject")?,
            scopes: optional(v, "scopes", string_array)?.unwrap_or_default(),
            claims: v.get_non_null("claims").map(RawJson::from_value),
            revoked: v.get("revoked")?.as_bool()?,
            revocation_reason: optional(v, "revocation_reason", |r| r.as_str().map(str::to_owned))?,
            expired: v.get("expired")?.as_bool()?,
            expiration: optional(v, "expiration", Value::as_i64)?,
            last_used_at: optional(v, "last_used_at", Value::as_i64)?,
            created_at: v.get("created_at")?.as_i64()?,
            updated_at: v.get("updated_at")?.as_i64()?,
            token: optional(v, "token", |t| t.as_str().map(Secret::new))?,
        })
    }
}

impl ToJson for M2MToken {
    /// The camelCase JSON of the JS API (`token` only when present).
    fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        o.str("object", &self.object)
            .str("id", &self.id)
            .str("subject", &self.subject)
            .str_array("scopes", &self.scopes)
            .raw("claims", self.claims.as_ref().map_or("null", RawJson::get))
            .bool("revoked", self.revoked)
            .opt_str("revocationReason", self.revocation_reason.as_deref())
            .bool("expired", self.expired)
            .opt_int("expiration", self.expiration)
            .opt_int("lastUsedAt", self.last_used_at)
            .int("createdAt", self.created_at)
            .int("updatedAt", self.updated_at);
        if let Some(token) = &self.token {
            o.str("token", token.expose());
        }
        o.finish();
    }
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
#[derive(Debug, Clone)]
pub struct TokenList {
    /// The tokens of this page.
    pub data: Vec<M2MToken>,
    /// How many tokens match the filters, across all pages.
    pub total_count: u64,
}

impl TokenList {
    /// Decodes Clerk's `{ m2m_tokens, total_count }`.
    pub fn from_json(v: &Value<'_>) -> Option<TokenList> {
        let data = v.get("m2m_tokens")?.as_array()?.iter().map(M2MToken::from_json).collect::<Option<Vec<_>>>()?;
        let total_count = u64::try_from(v.get("total_count")?.as_i64()?).ok()?;
        Some(TokenList { data, total_count })
    }
}

impl ToJson for TokenList {
    /// `{ data, totalCount }`.
    fn write_json(&self, out: &mut String) {
        out.push_str("{\"data\":[");
        for (i, token) in self.data.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            token.write_json(out);
        }
        out.push_str("],\"totalCount\":");
        json::write_i64(out, i64::try_from(self.total_count).unwrap_or(i64::MAX));
        out.push('}');
    }
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

/// The format of a new token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

    /// `opaque` or `jwt`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenFormat::Opaque => "opaque",
            TokenFormat::Jwt => "jwt",
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

    fn token(text: &str) -> Option<M2MToken> {
        M2MToken::from_json(&json::parse(text)?)
    }

    #[test]
    fn decodes_wire_and_encodes_camel_case() {
        let t = token(FULL).unwrap();
        assert_eq!(t.expiration, Some(1716883200000));
        assert_eq!(t.claims.as_ref().unwrap().get(), r#"{"a":1}"#);
        let js = t.to_json();
        assert!(js.contains(r#""revocationReason":null"#) && js.contains(r#""lastUsedAt":null"#));
        assert!(js.contains(r#""createdAt":1716883100000"#) && js.contains(r#""token":"mt_secret""#));
        assert!(!js.contains("surprise"));
        assert!(json::parse(&js).is_some());
    }

    #[test]
    fn missing_optionals_become_null_or_empty() {
        let min = r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"created_at":1,"updated_at":2,"scopes":null}"#;
        let t = token(min).unwrap();
        assert!(t.scopes.is_empty() && t.claims.is_none() && t.expiration.is_none() && t.token.is_none());
        let js = t.to_json();
        assert!(js.contains(r#""scopes":[]"#) && js.contains(r#""claims":null"#) && !js.contains(r#""token":"#));
        assert_eq!(t.object, "machine_to_machine_token");
    }

    #[test]
    fn wrong_types_and_missing_required_fields_are_refused() {
        for bad in [
            r#"{"id":5,"subject":"mch_y","revoked":false,"expired":false,"created_at":1,"updated_at":2}"#,
            r#"{"id":"mt_x","subject":"mch_y","revoked":"no","expired":false,"created_at":1,"updated_at":2}"#,
            r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"created_at":1}"#,
            r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"created_at":1,"updated_at":2,"scopes":[1]}"#,
            r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"created_at":1,"updated_at":2,"expiration":"soon"}"#,
            r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"created_at":1.5,"updated_at":2}"#,
            "[]",
        ] {
            assert!(token(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn debug_redacts_the_token() {
        assert!(!format!("{:?}", token(FULL).unwrap()).contains("mt_secret"));
    }

    #[test]
    fn lists_decode_and_encode() {
        let list =
            TokenList::from_json(&json::parse(&format!(r#"{{"m2m_tokens":[{FULL}],"total_count":7}}"#)).unwrap())
                .unwrap();
        assert_eq!((list.data.len(), list.total_count), (1, 7));
        let mut out = String::new();
        list.write_json(&mut out);
        assert!(out.starts_with(r#"{"data":[{"object""#) && out.ends_with(r#"],"totalCount":7}"#));
        assert!(TokenList::from_json(&json::parse(r#"{"data":[]}"#).unwrap()).is_none());
        assert!(TokenList::from_json(&json::parse(r#"{"m2m_tokens":[],"total_count":-1}"#).unwrap()).is_none());
    }
}
