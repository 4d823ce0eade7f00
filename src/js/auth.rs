//! The guard's answer for JS: reads the `Authorization` header of a `Request`, runs an edge `Verifier`, and
//! answers a signed-in object or a signed-out one with `toResponse()` (the `SignedOutAuth` class of
//! `js/auth.js`). Owns those two shapes; every rule lives in the core.

use super::convert::to_js;
use super::store::JsCacheStore;
use crate::core::error::Error;
use crate::core::guard::outcome::{Identity, Outcome, Rejection};
use crate::edge::isolate::EdgeVerifier;
use js_sys::{Function, Promise, Reflect};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[wasm_bindgen(module = "/js/auth.js")]
extern "C" {
    /// `{ reason, message, status, wwwAuthenticate?, retryAfter? }` → `SignedOutAuth`.
    #[wasm_bindgen(js_name = newSignedOut)]
    fn new_signed_out(details: JsValue) -> JsValue;
}

/// The `Authorization` header of a `Request` (anything whose `headers` has `get`).
pub(crate) fn authorization_of(request: &JsValue) -> Result<Option<String>, Error> {
    const EXPECTED: &str = "a Request (an object whose headers have get())";
    let headers = if request.is_object() { Reflect::get(request, &JsValue::from_str("headers")).ok() } else { None };
    let headers = headers.filter(JsValue::is_object).ok_or(Error::invalid("request", EXPECTED))?;
    let get = Reflect::get(&headers, &JsValue::from_str("get"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or(Error::invalid("request", EXPECTED))?;
    let value =
        get.call1(&headers, &JsValue::from_str("authorization")).map_err(|_| Error::invalid("request", EXPECTED))?;
    Ok(value.as_string())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignedIn<'a> {
    is_authenticated: bool,
    token_type: &'a str,
    machine_id: &'a str,
    #[serde(flatten)]
    identity: &'a Identity,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignedOut<'a> {
    reason: &'a str,
    message: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    www_authenticate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u32>,
}

fn signed_out(rejection: &Rejection) -> Result<JsValue, Error> {
    let details = SignedOut {
        reason: rejection.reason.as_str(),
        message: rejection.reason.message(),
        status: rejection.status(),
        www_authenticate: rejection.www_authenticate(),
        retry_after: rejection.retry_after_header(),
    };
    Ok(new_signed_out(to_js(&details)?))
}

/// Runs an operation as a JS `Promise`; an [`Error`] rejects it with the matching JS error. The future is boxed
/// so that every export shares one instance of `future_to_promise` (one per export was a tenth of the wasm).
pub(crate) fn spawn(work: impl Future<Output = Result<JsValue, Error>> + 'static) -> Promise {
    let work: Pin<Box<dyn Future<Output = Result<JsValue, Error>>>> = Box::pin(work);
    future_to_promise(async move { work.await.map_err(JsValue::from) })
}

/// A promise already rejected with `error` (bad input is reported the way every failure is: as a rejection).
pub(crate) fn reject(error: Error) -> Promise {
    Promise::reject(&JsValue::from(error))
}

/// Verifies `request` with `verifier`, sharing verdicts through `store`.
pub(crate) fn guard(verifier: Rc<EdgeVerifier>, request: &JsValue, store: Option<JsCacheStore>) -> Promise {
    let authorization = match authorization_of(request) {
        Ok(authorization) => authorization,
        Err(error) => return reject(error),
    };
    spawn(async move {
        match verifier.verify_request(authorization.as_deref(), store.as_ref()).await? {
            Outcome::SignedIn(identity) => to_js(&SignedIn {
                is_authenticated: true,
                token_type: "m2m_token",
                machine_id: &identity.subject,
                identity: &identity,
            }),
            Outcome::SignedOut(rejection) => signed_out(&rejection),
        }
    })
}
