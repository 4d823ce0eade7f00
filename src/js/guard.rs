//! The standalone guard functions: `verifyRequest(request, options)` (reusing the isolate's verifier for equal
//! options), `verificationCacheStats()` and `clearVerificationCache()`.

use super::auth::{guard, reject};
use super::convert::to_js;
use super::options::{check_names, request_options, GuardDefaults};
use crate::core::config::Config;
use crate::core::error::Error;
use crate::core::options::OptionsOf;
use crate::edge::isolate::{cache_stats, clear_cache, verifier_for};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

/// `verifyRequest(request, options)`: resolves to the caller's machine identity or a signed-out object with
/// `toResponse()`. Rejects only for a configuration no request could pass.
#[wasm_bindgen(js_name = verifyRequest, skip_typescript)]
pub fn verify_request(request: JsValue, options: JsValue) -> Promise {
    let prepared = (|| -> Result<_, Error> {
        let (client, settings, store) = request_options(&options, GuardDefaults::default())?;
        Ok((verifier_for(client.apply(&Config::default())?, settings)?, store))
    })();
    match prepared {
        Ok((verifier, store)) => guard(verifier, &request, store),
        Err(error) => reject(error),
    }
}

/// `checkVerifyRequestOptions(options)`: throws `invalid_argument` for a name `verifyRequest` does not take (Hono's
/// `m2mAuth` checks its options with it when it is set up, before any request).
#[wasm_bindgen(js_name = checkVerifyRequestOptions, skip_typescript)]
pub fn check_verify_request_options(options: JsValue) -> Result<(), JsValue> {
    Ok(check_names(&options, OptionsOf::VerifyRequest)?)
}

/// `verificationCacheStats()`: `{ entries, capacity, refusedStoreEntries }` of this isolate.
#[wasm_bindgen(js_name = verificationCacheStats, skip_typescript)]
pub fn verification_cache_stats() -> JsValue {
    to_js(&cache_stats()).unwrap_or(JsValue::NULL)
}

/// `clearVerificationCache()`: forgets every cached result, JWKS and key in this isolate.
#[wasm_bindgen(js_name = clearVerificationCache, skip_typescript)]
pub fn clear_verification_cache() {
    clear_cache();
}
