//! The crate's one error type, shared by the Rust API and (through `js::errors`) the JS API.
//! Owns error codes and messages; must never hold a key or a token.

use crate::core::model::lenient;
use crate::core::reason::Reason;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Everything that can go wrong in a call. `code()` gives the stable string JS callers branch on.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// An option failed validation before any request was sent. `field` names the option (JS spelling).
    InvalidArgument {
        /// The option, e.g. `subject` or `limit`.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// An options object holds a name it does not take (a typo must fail closed, never be ignored).
    UnknownOption {
        /// The name as given (at most 64 characters).
        name: String,
        /// The closest name that object takes.
        closest: &'static str,
    },
    /// No key at all: neither a per-call `machineSecretKey`, nor the client's `machineSecretKey` or `secretKey`.
    MissingKey,
    /// The request could not be sent or its answer not read (DNS, refused, reset, aborted body).
    Network,
    /// An attempt took longer than `timeout_ms`; it was aborted.
    Timeout {
        /// The per-attempt budget that was exceeded.
        timeout_ms: u32,
    },
    /// Clerk answered 2xx with a body that is not the documented JSON.
    InvalidResponse {
        /// Which expectation failed (never a value from the body).
        detail: &'static str,
    },
    /// The token is not valid: unknown to Clerk, revoked, expired or failing local JWT checks.
    TokenInvalid {
        /// Why.
        reason: Reason,
    },
    /// Clerk answered with an HTTP error.
    Api(ApiError),
}

/// An HTTP error answer from Clerk.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The `errors` array of Clerk's body (empty when the body was not Clerk's JSON).
    pub errors: Vec<ClerkError>,
    /// `clerk_trace_id` from the body, else the `clerk-trace-id` or `cf-ray` header.
    pub clerk_trace_id: Option<String>,
    /// `Retry-After`, in seconds, when sent.
    pub retry_after: Option<u32>,
}

/// One entry of Clerk's `errors` array: read from Clerk's snake_case, written in the JS API's camelCase.
/// Fields that are missing or not strings read as empty.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct ClerkError {
    /// Stable error code, e.g. `resource_not_found`.
    #[serde(default, deserialize_with = "lenient_text")]
    pub code: String,
    /// Short message.
    #[serde(default, deserialize_with = "lenient_text")]
    pub message: String,
    /// Longer explanation.
    #[serde(default, deserialize_with = "lenient_text")]
    pub long_message: String,
    /// Extra data, as Clerk sent it.
    #[serde(default, deserialize_with = "lenient")]
    pub meta: Option<serde_json::Value>,
}

fn lenient_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient::<D, String>(d)?.unwrap_or_default())
}

impl ApiError {
    /// The first error's code, or `api_error` when Clerk's body carried none.
    pub fn code(&self) -> &str {
        self.errors.first().map(|e| e.code.as_str()).filter(|c| !c.is_empty()).unwrap_or("api_error")
    }
}

impl Error {
    /// The stable code: `invalid_argument`, `missing_key`, `network_error`, `timeout`, `invalid_response`,
    /// `token_invalid`, or for [`Error::Api`] the first Clerk error code.
    pub fn code(&self) -> &str {
        match self {
            Error::InvalidArgument { .. } | Error::UnknownOption { .. } => "invalid_argument",
            Error::MissingKey => "missing_key",
            Error::Network => "network_error",
            Error::Timeout { .. } => "timeout",
            Error::InvalidResponse { .. } => "invalid_response",
            Error::TokenInvalid { .. } => "token_invalid",
            Error::Api(api) => api.code(),
        }
    }

    /// The option an `invalid_argument` is about (JS spelling).
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidArgument { field, .. } => Some(field),
            Error::UnknownOption { name, .. } => Some(name),
            _ => None,
        }
    }

    /// Shorthand for [`Error::InvalidArgument`].
    pub(crate) fn invalid(field: &'static str, expected: &'static str) -> Error {
        Error::InvalidArgument { field, expected }
    }

    /// The human-readable message (the same as `Display`). Never contains a key or a token.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument { field, expected } => write!(f, "Invalid argument `{field}`: {expected}."),
            Error::UnknownOption { name, closest } => write!(f, "Unknown option `{name}`: did you mean {closest}?"),
            Error::MissingKey => f.write_str(
                "No Clerk key: pass machineSecretKey or secretKey to the client, or machineSecretKey to the call.",
            ),
            Error::Network => f.write_str("The request to Clerk failed before an answer arrived."),
            Error::Timeout { timeout_ms } => write!(f, "Clerk did not answer within {timeout_ms} ms."),
            Error::InvalidResponse { detail } => write!(f, "Clerk's answer could not be understood: {detail}."),
            Error::TokenInvalid { reason } => f.write_str(reason.message()),
            Error::Api(api) => {
                write!(f, "Clerk API error {}", api.status)?;
                let detail =
                    api.errors
                        .first()
                        .map_or("", |e| if e.long_message.is_empty() { &e.message } else { &e.long_message });
                if detail.is_empty() {
                    Ok(())
                } else {
                    write!(f, ": {detail}")
                }
            }
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(Error::invalid("limit", "1 to 100").code(), "invalid_argument");
        assert_eq!(Error::MissingKey.code(), "missing_key");
        assert_eq!(Error::Network.code(), "network_error");
        assert_eq!(Error::Timeout { timeout_ms: 5 }.code(), "timeout");
        assert_eq!(Error::InvalidResponse { detail: "x" }.code(), "invalid_response");
        assert_eq!(Error::TokenInvalid { reason: Reason::TokenRevoked }.code(), "token_invalid");
        let api = ApiError { status: 502, errors: vec![], clerk_trace_id: None, retry_after: None };
        assert_eq!(Error::Api(api).code(), "api_error");
    }

    #[test]
    fn messages() {
        assert_eq!(Error::Timeout { timeout_ms: 150 }.to_string(), "Clerk did not answer within 150 ms.");
        let e = |long: &str, short: &str| ClerkError {
            code: "c".into(),
            message: short.into(),
            long_message: long.into(),
            meta: None,
        };
        let api = |errors| Error::Api(ApiError { status: 404, errors, clerk_trace_id: None, retry_after: None });
        assert_eq!(api(vec![e("long", "short")]).to_string(), "Clerk API error 404: long");
        assert_eq!(api(vec![e("", "short")]).to_string(), "Clerk API error 404: short");
        assert_eq!(api(vec![]).to_string(), "Clerk API error 404");
    }

    #[test]
    fn display_names_the_field() {
        let msg = Error::invalid("limit", "an integer from 1 to 100").to_string();
        assert_eq!(msg, "Invalid argument `limit`: an integer from 1 to 100.");
    }

    #[test]
    fn clerk_errors_read_snake_case_leniently_and_write_camel_case() {
        let e: ClerkError =
            serde_json::from_str(r#"{"code":"c","message":5,"long_message":"long","meta":{"param":"x"}}"#).unwrap();
        assert_eq!((e.code.as_str(), e.message.as_str(), e.long_message.as_str()), ("c", "", "long"));
        let js = serde_json::to_value(&e).unwrap();
        assert_eq!(js, serde_json::json!({"code":"c","message":"","longMessage":"long","meta":{"param":"x"}}));
    }
}
