//! Rust values → JS values: results as plain objects (JSON text read by `JSON.parse`: camelCase fields, `null`
//! for none, objects for maps) and the crate's [`Error`] as the package's JS error classes
//! (`ClerkM2MError`, `ClerkAPIResponseError`). Must never copy a key or token into an error.

use crate::core::error::{ClerkError, Error};
use crate::edge::json::js_value;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = newClerkM2MError)]
    fn new_clerk_m2m_error(details: JsValue) -> JsValue;
    #[wasm_bindgen(js_name = newClerkAPIResponseError)]
    fn new_clerk_api_response_error(details: JsValue) -> JsValue;
}

/// A plain JS object (or value) with the serde shape of `value` ([`js_value`]: one `JSON.parse` of text the wasm
/// wrote).
pub(crate) fn to_js(value: &impl Serialize) -> Result<JsValue, Error> {
    js_value(value).ok_or(Error::InvalidResponse { detail: "the result cannot be represented in JavaScript" })
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
