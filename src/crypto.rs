//! The WebCrypto calls (`crypto.subtle.importKey` and `verify`) behind the guard's [`Crypto`] trait.
//! The only code that touches `crypto.subtle`; it decides nothing about tokens.

use crate::guard::jwt::Alg;
use crate::guard::keys::RsaJwk;
use crate::guard::Crypto;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

/// RSASSA-PKCS1-v1_5 verification with the runtime's `globalThis.crypto.subtle`.
#[derive(Clone, Copy, Debug, Default)]
pub struct WebCrypto;

fn subtle() -> Option<SubtleCrypto> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).ok()?;
    subtle.dyn_into::<SubtleCrypto>().ok()
}

fn object(entries: &[(&str, JsValue)]) -> Object {
    let obj = Object::new();
    for (name, value) in entries {
        let _ = Reflect::set(&obj, &JsValue::from_str(name), value);
    }
    obj
}

fn rsa_algorithm(alg: Alg) -> Object {
    let hash = object(&[("name", JsValue::from_str(alg.hash()))]);
    object(&[("name", JsValue::from_str("RSASSA-PKCS1-v1_5")), ("hash", hash.into())])
}

async fn import(format: &str, key_data: &Object, alg: Alg) -> Option<CryptoKey> {
    let usages = Array::of1(&JsValue::from_str("verify"));
    let promise = subtle()?.import_key_with_object(format, key_data, &rsa_algorithm(alg), false, &usages).ok()?;
    JsFuture::from(promise).await.ok()?.dyn_into::<CryptoKey>().ok()
}

impl Crypto for WebCrypto {
    type Key = CryptoKey;

    async fn import_rsa_jwk(&self, key: &RsaJwk, alg: Alg) -> Option<CryptoKey> {
        let jwk = object(&[
            ("kty", JsValue::from_str("RSA")),
            ("n", JsValue::from_str(&key.n)),
            ("e", JsValue::from_str(&key.e)),
            ("alg", JsValue::from_str(alg.as_str())),
            ("ext", JsValue::TRUE),
        ]);
        import("jwk", &jwk, alg).await
    }

    async fn import_rsa_spki(&self, der: &[u8], alg: Alg) -> Option<CryptoKey> {
        import("spki", &Uint8Array::from(der).into(), alg).await
    }

    async fn verify_rsa(&self, _alg: Alg, key: &CryptoKey, signature: &[u8], data: &[u8]) -> bool {
        let algorithm = object(&[("name", JsValue::from_str("RSASSA-PKCS1-v1_5"))]);
        let Some(promise) = subtle()
            .and_then(|s| s.verify_with_object_and_u8_array_and_u8_array(&algorithm, key, signature, data).ok())
        else {
            return false;
        };
        JsFuture::from(promise).await.ok().and_then(|v| v.as_bool()).unwrap_or(false)
    }
}
