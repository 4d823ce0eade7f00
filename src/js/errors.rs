//! Turns the crate's [`Error`] into the package's JS error classes (`ClerkM2MError`, `ClerkAPIResponseError`).
//! Owns the JS error shape; must never copy a key or token into it.

use crate::error::Error;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = newClerkM2MError)]
    fn new_clerk_m2m_error(code: &str, message: &str, field: Option<&str>, reason: Option<&str>) -> JsValue;
    #[wasm_bindgen(js_name = newClerkAPIResponseError)]
    fn new_clerk_api_response_error(
        message: &str,
        status: u16,
        code: &str,
        errors_json: &str,
        clerk_trace_id: Option<String>,
        retry_after: Option<u32>,
    ) -> JsValue;
}

impl From<Error> for JsValue {
    fn from(error: Error) -> JsValue {
        let message = error.message();
        match &error {
            Error::Api(api) => {
                let mut errors = String::from("[");
                for (i, e) in api.errors.iter().enumerate() {
                    if i > 0 {
                        errors.push(',');
                    }
                    e.write_json(&mut errors);
                }
                errors.push(']');
                new_clerk_api_response_error(
                    &message,
                    api.status,
                    api.code(),
                    &errors,
                    api.clerk_trace_id.clone(),
                    api.retry_after,
                )
            }
            Error::InvalidArgument { field, .. } => new_clerk_m2m_error(error.code(), &message, Some(field), None),
            Error::TokenInvalid { reason } => new_clerk_m2m_error(error.code(), &message, None, Some(reason.as_str())),
            _ => new_clerk_m2m_error(error.code(), &message, None, None),
        }
    }
}
