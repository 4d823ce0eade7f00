//! Turns the crate's [`Error`] into the package's JS error classes (`ClerkM2MError`, `ClerkAPIResponseError`).
//! Owns the JS error shape; must never copy a key or token into it.

use crate::error::Error;
use crate::json::ObjectWriter;
use wasm_bindgen::prelude::*;

// One JSON text each (absent fields omitted): the imports then share wasm-bindgen's `(&str) -> JsValue` signature.
#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = newClerkM2MError)]
    fn new_clerk_m2m_error(json: &str) -> JsValue;
    #[wasm_bindgen(js_name = newClerkAPIResponseError)]
    fn new_clerk_api_response_error(json: &str) -> JsValue;
}

impl From<Error> for JsValue {
    fn from(error: Error) -> JsValue {
        let message = error.message();
        let mut out = String::with_capacity(256);
        let mut o = ObjectWriter::new(&mut out);
        o.str("message", &message);
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
                o.str("code", api.code()).int("status", api.status.into()).raw("errors", &errors);
                if let Some(trace) = &api.clerk_trace_id {
                    o.str("clerkTraceId", trace);
                }
                if let Some(seconds) = api.retry_after {
                    o.int("retryAfter", seconds.into());
                }
                o.finish();
                return new_clerk_api_response_error(&out);
            }
            Error::InvalidArgument { field, .. } => {
                o.str("field", field);
            }
            Error::TokenInvalid { reason } => {
                o.str("reason", reason.as_str());
            }
            _ => {}
        }
        o.str("code", error.code()).finish();
        new_clerk_m2m_error(&out)
    }
}
