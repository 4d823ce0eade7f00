//! Rust values → JS values: results as plain objects (JSON text read by `JSON.parse`: camelCase fields, `null`
//! for none, objects for maps) and the crate's [`Error`] as the package's JS error classes
//! (`ClerkM2MError`, `ClerkAPIResponseError`). Must never copy a key or token into an error.

use crate::core::error::{ClerkError, Error};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = newClerkM2MError)]
    fn new_clerk_m2m_error(details: JsValue) -> JsValue;
    #[wasm_bindgen(js_name = newClerkAPIResponseError)]
    fn new_clerk_api_response_error(details: JsValue) -> JsValue;
}

/// A plain JS object (or value) with the serde shape of `value`: written as JSON text in the wasm and read by the
/// runtime's `JSON.parse` — one crossing and one string, where building the object field by field took one
/// crossing (and one decoded name) per field (issue 19: 20 `set`s per verified token).
pub(crate) fn to_js(value: &impl Serialize) -> Result<JsValue, Error> {
    const UNREPRESENTABLE: Error = Error::InvalidResponse { detail: "the result cannot be represented in JavaScript" };
    let text = serde_json::to_string(value).map_err(|_| UNREPRESENTABLE)?;
    js_sys::JSON::parse(&text).map_err(|_| UNREPRESENTABLE)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct M2MErrorDetails<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiErrorDetails<'a> {
    message: String,
    status: u16,
    code: &'a str,
    errors: &'a [ClerkError],
    #[serde(skip_serializing_if = "Option::is_none")]
    clerk_trace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u32>,
}

impl From<Error> for JsValue {
    fn from(error: Error) -> JsValue {
        let message = error.message();
        let details = match &error {
            Error::Api(api) => {
                let details = ApiErrorDetails {
                    message,
                    status: api.status,
                    code: api.code(),
                    errors: &api.errors,
                    clerk_trace_id: api.clerk_trace_id.as_deref(),
                    retry_after: api.retry_after,
                };
                return new_clerk_api_response_error(to_js(&details).unwrap_or(JsValue::NULL));
            }
            Error::InvalidArgument { .. } | Error::UnknownOption { .. } => {
                M2MErrorDetails { code: error.code(), message, field: error.field(), reason: None }
            }
            Error::TokenInvalid { reason } => {
                M2MErrorDetails { code: error.code(), message, field: None, reason: Some(reason.as_str()) }
            }
            _ => M2MErrorDetails { code: error.code(), message, field: None, reason: None },
        };
        new_clerk_m2m_error(to_js(&details).unwrap_or(JsValue::NULL))
    }
}
