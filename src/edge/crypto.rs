//! The WebCrypto calls (`crypto.subtle.importKey` and `verify`, through web-sys) behind the verifier's
//! [`Crypto`] trait. The only code that touches `crypto.subtle`; it decides nothing about tokens.

use crate::core::guard::jwks::RsaJwk;
use crate::core::guard::jwt::Alg;
use crate::edge::json::js_value;
use crate::edge::verifier::Crypto;
use js_sys::{Array, Object, Uint8Array};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

/// RSASSA-PKCS1-v1_5 verification with the runtime's `globalThis.crypto.subtle`.
#[derive(Clone, Copy, Debug, Default)]
pub struct WebCrypto;

const RSA: &str = "RSASSA-PKCS1-v1_5";

/// `globalThis.crypto.subtle` (Workers, Node ≥ 19, Deno, Bun and edge runtimes all have it).
fn subtle() -> Option<SubtleCrypto> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
    (!crypto.is_undefined()).then(|| crypto.unchecked_into::<web_sys::Crypto>().subtle())
}

#[derive(Serialize)]
struct ImportParams<'a> {
    name: &'a str,
    hash: HashName<'a>,
}

#[derive(Serialize)]
struct HashName<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Jwk<'a> {
    kty: &'a str,
    n: &'a str,
    e: &'a str,
    alg: &'a str,
    ext: bool,
}

fn object(value: &impl Serialize) -> Option<Object> {
    js_value(value).map(JsCast::unchecked_into)
}

async fn import(format: &str, key_data: &Object, alg: Alg) -> Option<CryptoKey> {
    let params = object(&ImportParams { name: RSA, hash: HashName { name: alg.hash() } })?;
    let usages = Array::of1(&JsValue::from_str("verify"));
    let pending = subtle()?.import_key_with_object(format, key_data, &params, false, &usages).ok()?;
    let key = JsFuture::from(pending).await.ok()?;
    (!key.is_null() && !key.is_undefined()).then(|| key.unchecked_into())
}

impl Crypto for WebCrypto {
    type Key = CryptoKey;

    async fn import_rsa_jwk(&self, key: &RsaJwk, alg: Alg) -> Option<CryptoKey> {
        let jwk = object(&Jwk { kty: "RSA", n: &key.n, e: &key.e, alg: alg.as_str(), ext: true })?;
        import("jwk", &jwk, alg).await
    }

    async fn import_rsa_spki(&self, der: &[u8], alg: Alg) -> Option<CryptoKey> {
        import("spki", &Uint8Array::from(der), alg).await
    }

    async fn verify_rsa(&self, _alg: Alg, key: &CryptoKey, signature: &[u8], data: &[u8]) -> bool {
        let Some(subtle) = subtle() else { return false };
        let (signature, data) = (Uint8Array::from(signature), Uint8Array::from(data));
        let Ok(pending) = subtle.verify_with_str_and_buffer_source_and_buffer_source(RSA, key, &signature, &data)
        else {
            return false;
        };
        JsFuture::from(pending).await.ok().and_then(|v| v.as_bool()).unwrap_or(false)
    }
}
