//! The data of the M2M API: the token object, the list page, and the parameters of each operation, as serde
//! types: read from Clerk's snake_case, written in the JS API's camelCase (parameters: the reverse).
//! Owns the wire and JS shapes and how strictly each field is read; must not validate values or do I/O.

use crate::core::secret::{serialize_exposed, Secret};
use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest integer a JS number (and so Clerk's JSON) holds exactly: 2^53 − 1.
pub(crate) const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// Reads a field that does not decide anything: a value of the wrong type reads as `None` instead of failing the
/// whole object.
pub(crate) fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(T::deserialize(value).ok())
}

/// An integer within ±(2^53 − 1): what both JS and Clerk represent exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub(crate) struct SafeInt(pub i64);

impl<'de> Deserialize<'de> for SafeInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = i64::deserialize(d)?;
        if v.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(serde::de::Error::custom("an integer beyond ±2^53"));
        }
        Ok(SafeInt(v))
    }
}

fn safe_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<SafeInt>::deserialize(d)?.map(|v| v.0))
}

fn lenient_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(lenient_scalar::<D, SafeInt>(d)?.map(|v| v.0))
}

/// [`lenient`] for a scalar (a string, an integer), which `null` never is: `null` reads as `None` at once, where
/// converting it would build an error and its message first — the commonest value of the token's metadata, at
/// two errors a verification (issue 19).
fn lenient_scalar<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(value.and_then(|value| T::deserialize(value).ok()))
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    lenient_scalar::<D, String>(d)
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

fn default_object() -> String {
    "machine_to_machine_token".to_owned()
}

fn lenient_object<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient_string(d)?.unwrap_or_else(default_object))
}

/// A machine-to-machine token as Clerk describes it. Timestamps are milliseconds since the Unix epoch.
///
/// Read from Clerk's snake_case answer; written in the camelCase of the JS API. What decides whether a token
/// is valid — `id`, `subject`, `scopes`, `revoked`, `expired`, `expiration` — must be well-formed or the whole
/// answer is refused; metadata (`object`, `claims`, `revocation_reason`, `last_used_at`, `created_at`,
/// `updated_at`) that is missing or malformed reads as `None`. Unknown fields are ignored.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct M2MToken {
    /// Always `machine_to_machine_token`.
    #[serde(default = "default_object", deserialize_with = "lenient_object")]
    pub object: String,
    /// `mt_` + 32 hex characters.
    pub id: String,
    /// The machine that owns the token (`mch_…`).
    pub subject: String,
    /// The machines this token grants access to.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub scopes: Vec<String>,
    /// Custom claims given at creation; `None` for null.
    #[serde(default, deserialize_with = "lenient")]
    pub claims: Option<serde_json::Value>,
    /// Whether the token was revoked.
    pub revoked: bool,
    /// Why it was revoked.
    #[serde(default, deserialize_with = "lenient_string")]
    pub revocation_reason: Option<String>,
    /// Whether Clerk considers the token expired.
    pub expired: bool,
    /// When the token expires; `None` for never.
    #[serde(default, deserialize_with = "safe_int")]
    pub expiration: Option<i64>,
    /// When the token was last used.
    #[serde(default, deserialize_with = "lenient_int")]
    pub last_used_at: Option<i64>,
    /// When the token was created.
    #[serde(default, deserialize_with = "lenient_int")]
    pub created_at: Option<i64>,
    /// When the token was last updated.
    #[serde(default, deserialize_with = "lenient_int")]
    pub updated_at: Option<i64>,
    /// The token itself; only in the answer to create.
    #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "serialize_exposed")]
    pub token: Option<Secret>,
}

impl std::fmt::Debug for M2MToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

/// One page of tokens from list: Clerk's `{ m2m_tokens, total_count }`, written as `{ data, totalCount }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenList {
    /// The tokens of this page.
    #[serde(rename(serialize = "data", deserialize = "m2m_tokens"))]
    pub data: Vec<M2MToken>,
    /// How many tokens match the filters, across all pages.
    #[serde(rename(serialize = "totalCount", deserialize = "total_count"), deserialize_with = "count")]
    pub total_count: u64,
}

fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    u64::try_from(SafeInt::deserialize(d)?.0).map_err(|_| serde::de::Error::custom("a negative count"))
}

/// The answer of a `*_with_http_info` call: the decoded data, the status and the response headers.
#[derive(Debug, Clone, Serialize)]
pub struct HttpInfo<T> {
    /// The decoded body.
    pub data: T,
    /// HTTP status.
    pub status: u16,
    /// Response headers, names lower-case, in arrival order; written as one object (repeated names joined
    /// with `, `).
    #[serde(serialize_with = "headers_as_object")]
    pub headers: Vec<(String, String)>,
}

fn headers_as_object<S: Serializer>(headers: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    let mut merged: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        match merged.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => {
                existing.push_str(", ");
                existing.push_str(value);
            }
            None => merged.push((name, value.clone())),
        }
    }
    let mut map = s.serialize_map(Some(merged.len()))?;
    for (name, value) in &merged {
        map.serialize_entry(name, value)?;
    }
    map.end()
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
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Value(v) => v.serialize(s),
            Nullable::Null | Nullable::Absent => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    /// `null` is [`Nullable::Null`]; an absent field is [`Nullable::Absent`] (with `#[serde(default)]`).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Nullable::Null, Nullable::Value))
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
    /// `opaque` or `jwt`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenFormat::Opaque => "opaque",
            TokenFormat::Jwt => "jwt",
        }
    }
}

/// A number as JSON writes it exactly: an integer without a fraction (`3600`, not `3600.0`), else the shortest
/// decimal that reads back as the same `f64`.
fn exact_number<S: Serializer>(value: &Nullable<f64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Nullable::Value(v) if v.fract() == 0.0 && v.abs() <= MAX_SAFE_INTEGER as f64 => s.serialize_i64(*v as i64),
        other => other.serialize(s),
    }
}

/// Options of create. Every field is optional. Read from the JS API's camelCase; sent in Clerk's snake_case
/// (only the fields that are set).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "snake_case", deserialize = "camelCase"))]
pub struct CreateTokenParams {
    /// `opaque` (default) or `jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_format: Option<TokenFormat>,
    /// Lifetime in seconds (> 0, at most 2^53 − 1), or `Null` for the server's choice.
    #[serde(default, skip_serializing_if = "Nullable::is_absent", serialize_with = "exact_number")]
    pub seconds_until_expiration: Nullable<f64>,
    /// Custom claims, or `Null`. (The JS API reads them with the runtime's `JSON.stringify`.)
    #[serde(default, skip_serializing_if = "Nullable::is_absent", skip_deserializing)]
    pub claims: Nullable<serde_json::Value>,
    /// Reuse a live opaque token with at least this many seconds left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_remaining_ttl_seconds: Option<u64>,
    /// Overrides the client's key for this call.
    #[serde(default, skip_serializing)]
    pub machine_secret_key: Option<Secret>,
}

/// Options of list. `subject` is required.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTokensParams {
    /// The machine whose tokens to list (`mch_…`).
    #[serde(default)]
    pub subject: String,
    /// Filter on revoked.
    #[serde(default)]
    pub revoked: Option<bool>,
    /// Filter on expired.
    #[serde(default)]
    pub expired: Option<bool>,
    /// Page size, 1–100.
    #[serde(default)]
    pub limit: Option<u32>,
    /// How many tokens to skip.
    #[serde(default)]
    pub offset: Option<u64>,
    /// Overrides the client's key for this call.
    #[serde(default)]
    pub machine_secret_key: Option<Secret>,
}

/// Options of revoke. `m2m_token_id` is required.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "snake_case", deserialize = "camelCase"))]
pub struct RevokeTokenParams {
    /// The token id (`mt_` + 32 hex).
    #[serde(default, skip_serializing)]
    pub m2m_token_id: String,
    /// Why, or `Null`.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub revocation_reason: Nullable<String>,
    /// Overrides the client's key for this call.
    #[serde(default, skip_serializing)]
    pub machine_secret_key: Option<Secret>,
}

/// Options of verify. `token` is required.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyTokenParams {
    /// The token to verify.
    #[serde(default)]
    pub token: Secret,
    /// Overrides the client's key for this call.
    #[serde(default)]
    pub machine_secret_key: Option<Secret>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FULL: &str = r#"{"object":"machine_to_machine_token","id":"mt_f7f0ba8c3b4843ce7d85fcdd5e71853e",
        "subject":"mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk","claims":{"a":1},"scopes":["mch_2yGkLpQ7Y3rXSwtU24CzTk9I7Em"],
        "token":"mt_secret","revoked":false,"revocation_reason":null,"expired":false,"expiration":1716883200000,
        "last_used_at":null,"created_at":1716883100000,"updated_at":1716883100000,"surprise":"ignored"}"#;

    fn token(text: &str) -> Option<M2MToken> {
        serde_json::from_str(text).ok()
    }

    /// The scalar readers answer what the general lenient reader answers, for every kind of JSON value.
    #[test]
    fn lenient_scalars_read_as_the_general_lenient_reader_does() {
        #[derive(Deserialize)]
        struct Scalars {
            #[serde(deserialize_with = "lenient_string")]
            s: Option<String>,
            #[serde(deserialize_with = "lenient_int")]
            i: Option<i64>,
        }
        #[derive(Deserialize)]
        struct General {
            #[serde(deserialize_with = "lenient")]
            s: Option<String>,
            #[serde(deserialize_with = "lenient")]
            i: Option<SafeInt>,
        }
        let values = [
            r#""text""#,
            r#""""#,
            r#""\u00e9\n""#,
            "0",
            "-1",
            "42",
            "9007199254740991",
            "-9007199254740991",
            "9007199254740992",
            "-9007199254740992",
            "18446744073709551615",
            "-9223372036854775808",
            "5.0",
            "1.5",
            "1e300",
            "-0.0",
            "true",
            "false",
            "null",
            "[]",
            "{}",
            "[1,[2,{\"a\":[]}]]",
            r#"{"a":{"b":[null]}}"#,
        ];
        for value in values {
            let text = format!(r#"{{"s":{value},"i":{value}}}"#);
            let scalars: Scalars = serde_json::from_str(&text).unwrap();
            let general: General = serde_json::from_str(&text).unwrap();
            assert_eq!(scalars.s, general.s, "{value}");
            assert_eq!(scalars.i, general.i.map(|v| v.0), "{value}");
        }
    }

    #[test]
    fn decodes_wire_and_encodes_camel_case() {
        let t = token(FULL).unwrap();
        assert_eq!(t.expiration, Some(1716883200000));
        assert_eq!(t.claims, Some(json!({"a":1})));
        let js = serde_json::to_value(&t).unwrap();
        assert_eq!(js["revocationReason"], json!(null));
        assert_eq!(js["lastUsedAt"], json!(null));
        assert_eq!(js["createdAt"], json!(1716883100000_i64));
        assert_eq!(js["token"], json!("mt_secret"));
        assert!(js.get("surprise").is_none());
    }

    #[test]
    fn missing_optionals_become_null_or_empty() {
        let min = r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"created_at":1,"updated_at":2,"scopes":null}"#;
        let t = token(min).unwrap();
        assert!(t.scopes.is_empty() && t.claims.is_none() && t.expiration.is_none() && t.token.is_none());
        let js = serde_json::to_value(&t).unwrap();
        assert_eq!((&js["scopes"], &js["claims"]), (&json!([]), &json!(null)));
        assert!(js.get("token").is_none());
        assert_eq!(t.object, "machine_to_machine_token");
    }

    #[test]
    fn malformed_metadata_reads_as_null_but_deciding_fields_must_be_well_formed() {
        let meta = r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"expiration":5,
            "created_at":"yesterday","updated_at":1.5,"last_used_at":{},"revocation_reason":7,"object":3}"#;
        let t = token(meta).unwrap();
        assert_eq!((t.created_at, t.updated_at, t.last_used_at, t.revocation_reason), (None, None, None, None));
        assert_eq!((t.object.as_str(), t.expiration), ("machine_to_machine_token", Some(5)));
        assert!(token(r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false}"#).is_some());
        for bad in [
            r#"{"id":5,"subject":"mch_y","revoked":false,"expired":false}"#,
            r#"{"subject":"mch_y","revoked":false,"expired":false}"#,
            r#"{"id":"mt_x","subject":"mch_y","revoked":"no","expired":false}"#,
            r#"{"id":"mt_x","subject":"mch_y","revoked":false}"#,
            r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"scopes":[1]}"#,
            r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"expiration":"soon"}"#,
            r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"expiration":1.5}"#,
            r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"expiration":9007199254740992}"#,
            r#"{"id":"mt_x","id":"mt_y","subject":"mch_y","revoked":false,"expired":false}"#,
            "[]",
        ] {
            assert!(token(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn timestamps_beyond_2_pow_53_are_not_exact_and_so_not_read() {
        let t =
            token(r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"created_at":9007199254740993}"#)
                .unwrap();
        assert_eq!(t.created_at, None);
        let edge =
            token(r#"{"id":"mt_x","subject":"mch_y","revoked":false,"expired":false,"expiration":9007199254740991}"#);
        assert_eq!(edge.unwrap().expiration, Some(9_007_199_254_740_991));
    }

    #[test]
    fn debug_redacts_the_token() {
        assert!(!format!("{:?}", token(FULL).unwrap()).contains("mt_secret"));
    }

    #[test]
    fn lists_decode_and_encode() {
        let list: TokenList = serde_json::from_str(&format!(r#"{{"m2m_tokens":[{FULL}],"total_count":7}}"#)).unwrap();
        assert_eq!((list.data.len(), list.total_count), (1, 7));
        let out = serde_json::to_value(&list).unwrap();
        assert_eq!(out["totalCount"], json!(7));
        assert_eq!(out["data"][0]["object"], json!("machine_to_machine_token"));
        assert!(serde_json::from_str::<TokenList>(r#"{"data":[]}"#).is_err());
        assert!(serde_json::from_str::<TokenList>(r#"{"m2m_tokens":[],"total_count":-1}"#).is_err());
    }

    /// Which fields are sent, and nulls, are tested with the request builder (`core::api`); here: numbers are
    /// written exactly.
    #[test]
    fn lifetimes_are_written_exactly() {
        for (secs, text) in [(3600.0, "3600"), (1.5, "1.5"), (0.1, "0.1"), (9007199254740991.0, "9007199254740991")] {
            let p = CreateTokenParams { seconds_until_expiration: Nullable::Value(secs), ..Default::default() };
            assert_eq!(serde_json::to_string(&p).unwrap(), format!(r#"{{"seconds_until_expiration":{text}}}"#));
        }
    }

    #[test]
    fn http_info_headers_merge_and_lower_case() {
        let info = HttpInfo {
            data: 1,
            status: 200,
            headers: vec![
                ("Set-Cookie".to_owned(), "a".to_owned()),
                ("set-cookie".to_owned(), "b".to_owned()),
                ("x-id".to_owned(), "x".to_owned()),
            ],
        };
        assert_eq!(
            serde_json::to_value(&info).unwrap(),
            json!({"data":1,"status":200,"headers":{"set-cookie":"a, b","x-id":"x"}})
        );
    }

    #[test]
    fn nullable_reads_null_and_values() {
        #[derive(Deserialize)]
        struct O {
            #[serde(default)]
            v: Nullable<String>,
        }
        let read = |t: &str| serde_json::from_str::<O>(t).unwrap().v;
        assert_eq!(read("{}"), Nullable::Absent);
        assert_eq!(read(r#"{"v":null}"#), Nullable::Null);
        assert_eq!(read(r#"{"v":"x"}"#), Nullable::Value("x".into()));
        assert!(serde_json::from_str::<O>(r#"{"v":5}"#).is_err());
    }
}
