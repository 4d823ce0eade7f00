//! The crate's one error type, shared by the Rust API and (through `js::errors`) the JS API.
//! Owns error codes and messages; must never hold a key or a token.

use crate::json::{ObjectWriter, Value};
use crate::model::RawJson;
use crate::reason::Reason;
use core::fmt;

/// Everything that can go wrong in a call. `code()` gives the stable string JS callers branch on.
#[derive(Debug)]
pub enum Error {
    /// An option failed validation before any request was sent. `field` names the option (JS spelling).
    InvalidArgument {
        /// The option, e.g. `subject` or `limit`.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
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

/// One entry of Clerk's `errors` array.
#[derive(Debug, Clone)]
pub struct ClerkError {
    /// Stable error code, e.g. `resource_not_found`.
    pub code: String,
    /// Short message.
    pub message: String,
    /// Longer explanation.
    pub long_message: String,
    /// Extra data, as raw JSON.
    pub meta: Option<RawJson>,
}

impl ClerkError {
    /// Decodes one entry; fields that are missing or not strings become empty.
    pub fn from_json(v: &Value<'_>) -> Option<ClerkError> {
        v.members()?;
        let text = |name: &str| v.get(name).and_then(Value::as_str).unwrap_or("").to_owned();
        Some(ClerkError {
            code: text("code"),
            message: text("message"),
            long_message: text("long_message"),
            meta: v.get_non_null("meta").map(RawJson::from_value),
        })
    }

    /// Appends `{ code, message, longMessage, meta }`.
    pub fn write_json(&self, out: &mut String) {
        ObjectWriter::new(out)
            .str("code", &self.code)
            .str("message", &self.message)
            .str("longMessage", &self.long_message)
            .raw("meta", self.meta.as_ref().map_or("null", RawJson::get))
            .finish();
    }
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
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::MissingKey => "missing_key",
            Error::Network => "network_error",
            Error::Timeout { .. } => "timeout",
            Error::InvalidResponse { .. } => "invalid_response",
            Error::TokenInvalid { .. } => "token_invalid",
            Error::Api(api) => api.code(),
        }
    }

    /// Shorthand for [`Error::InvalidArgument`].
    pub(crate) fn invalid(field: &'static str, expected: &'static str) -> Error {
        Error::InvalidArgument { field, expected }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl Error {
    /// The human-readable message (the same as `Display`), built without the formatting machinery so the wasm
    /// does not carry it. Never contains a key or a token.
    pub fn message(&self) -> String {
        let mut number = String::new();
        let parts: [&str; 5] = match self {
            Error::InvalidArgument { field, expected } => ["Invalid argument `", field, "`: ", expected, "."],
            Error::MissingKey => [
                "No Clerk key: pass machineSecretKey or secretKey to the client, or machineSecretKey to the call.",
                "",
                "",
                "",
                "",
            ],
            Error::Network => ["The request to Clerk failed before an answer arrived.", "", "", "", ""],
            Error::Timeout { timeout_ms } => {
                crate::json::write_i64(&mut number, i64::from(*timeout_ms));
                ["Clerk did not answer within ", &number, " ms.", "", ""]
            }
            Error::InvalidResponse { detail } => ["Clerk's answer could not be understood: ", detail, ".", "", ""],
            Error::TokenInvalid { reason } => [reason.message(), "", "", "", ""],
            Error::Api(api) => {
                crate::json::write_i64(&mut number, i64::from(api.status));
                let detail =
                    api.errors
                        .first()
                        .map_or("", |e| if e.long_message.is_empty() { &e.message } else { &e.long_message });
                ["Clerk API error ", &number, if detail.is_empty() { "" } else { ": " }, detail, ""]
            }
        };
        parts.concat()
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
}
