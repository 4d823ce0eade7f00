//! The WebCrypto calls (`crypto.subtle.importKey` and `verify`, in the `js/runtime.js` snippet) behind the guard's
//! [`Crypto`] trait. The only code that touches `crypto.subtle`; it decides nothing about tokens.

use crate::guard::jwt::Alg;
use crate::guard::keys::RsaJwk;
use crate::guard::Crypto;
use crate::task::PromiseFuture;
use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;

// JS values in, so that these imports share their signatures with wasm-bindgen's own (see js/runtime.js).
#[wasm_bindgen(module = "/js/runtime.js")]
extern "C" {
    /// `spec` is `"<jwk|spki> <hash> <alg>"`.
    #[wasm_bindgen(js_name = importRsaKey)]
    fn import_rsa_key(key_data: &JsValue, spec: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = verifyRsa)]
    fn verify_rsa_signature(key: &JsValue, signature: &JsValue, data: &JsValue) -> Promise;
}

/// RSASSA-PKCS1-v1_5 verification with the runtime's `globalThis.crypto.subtle`.
#[derive(Clone, Copy, Debug, Default)]
pub struct WebCrypto;

/// An imported `CryptoKey` (kept as a JS value: it never needs to be read from Rust).
pub type CryptoKey = JsValue;

async fn import(format: &str, key_data: &JsValue, alg: Alg) -> Option<CryptoKey> {
    let spec = [format, alg.hash(), alg.as_str()].join(" ");
    let key = PromiseFuture::new(import_rsa_key(key_data, &JsValue::from_str(&spec))).await.ok()?;
    (!key.is_null() && !key.is_undefined()).then_some(key)
}

impl Crypto for WebCrypto {
    type Key = CryptoKey;

    async fn import_rsa_jwk(&self, key: &RsaJwk, alg: Alg) -> Option<CryptoKey> {
        let n_e = Array::of2(&JsValue::from_str(&key.n), &JsValue::from_str(&key.e));
        import("jwk", &n_e, alg).await
    }

    async fn import_rsa_spki(&self, der: &[u8], alg: Alg) -> Option<CryptoKey> {
        import("spki", &Uint8Array::from(der), alg).await
    }

    async fn verify_rsa(&self, _alg: Alg, key: &CryptoKey, signature: &[u8], data: &[u8]) -> bool {
        let (signature, data) = (Uint8Array::from(signature), Uint8Array::from(data));
        PromiseFuture::new(verify_rsa_signature(key, &signature, &data))
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }
}
