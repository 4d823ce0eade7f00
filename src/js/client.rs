//! `ClerkM2M`, the JS class: its constructor reads the configuration, each method returns a `Promise`.
//! Owns option-object → params conversion; every rule beyond JS types lives in the core.

use super::convert::{info_to_js, to_js};
use super::guard::JsCacheStore;
use super::options::Options;
use crate::client::Client;
use crate::config::Config;
use crate::crypto::WebCrypto;
use crate::error::Error;
use crate::guard::keys::parse_pem_public_key;
use crate::guard::{GuardSettings, Verifier};
use crate::json::ToJson;
use crate::model::{CreateTokenParams, HttpInfo, ListTokensParams, RevokeTokenParams, VerifyTokenParams};
use crate::secret::Secret;
use crate::verify::isolate_state;
use js_sys::Promise;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A Clerk M2M client. See the package's `index.d.ts` for the JS types.
#[wasm_bindgen(js_name = ClerkM2M, skip_typescript)]
pub struct ClerkM2M {
    client: Rc<Client>,
    jwt_key: Option<String>,
}

impl ClerkM2M {
    pub(crate) fn client(&self) -> Rc<Client> {
        self.client.clone()
    }

    pub(crate) fn jwt_key(&self) -> Option<String> {
        self.jwt_key.clone()
    }
}

/// The options that configure a client (and may override a client's in `m2m.verifyRequest`).
pub(crate) const CLIENT_OPTIONS: [&str; 6] =
    ["machineSecretKey", "secretKey", "apiUrl", "apiVersion", "timeoutMs", "maxRetries"];

/// Applies the client options present in `o` to `cfg`, checking their JS types.
pub(crate) fn apply_client_options(cfg: &mut Config, o: &Options) -> Result<(), Error> {
    if let Some(key) = o.key("machineSecretKey")? {
        cfg.machine_secret_key = Some(key);
    }
    if let Some(key) = o.key("secretKey")? {
        cfg.secret_key = Some(key);
    }
    if let Some(url) = o.string("apiUrl", "an http:// or https:// URL")? {
        cfg.api_url = url;
    }
    if let Some(version) = o.string("apiVersion", "a path segment such as v1")? {
        cfg.api_version = version;
    }
    const TIMEOUT: &str = "a positive number of milliseconds, at most 2147483647";
    if let Some(ms) = o.number("timeoutMs", TIMEOUT)? {
        if !(ms > 0.0 && ms <= f64::from(i32::MAX)) {
            return Err(Error::invalid("timeoutMs", TIMEOUT));
        }
        cfg.timeout_ms = ms.ceil() as u32;
    }
    const RETRIES: &str = "an integer from 0 to 10";
    if let Some(n) = o.integer("maxRetries", RETRIES)? {
        cfg.max_retries = u32::try_from(n).map_err(|_| Error::invalid("maxRetries", RETRIES))?;
    }
    Ok(())
}

fn create_params(options: JsValue) -> Result<CreateTokenParams, Error> {
    let o = Options::new(options, "options")?;
    Ok(CreateTokenParams {
        seconds_until_expiration: o
            .nullable_number("secondsUntilExpiration", "a finite number greater than 0, or null")?,
        claims: o.json("claims")?,
        token_format: o.token_format("tokenFormat")?,
        min_remaining_ttl_seconds: o.integer("minRemainingTtlSeconds", "a non-negative integer")?,
        machine_secret_key: o.key("machineSecretKey")?,
    })
}

fn list_params(options: JsValue) -> Result<ListTokensParams, Error> {
    let o = Options::new(options, "options")?;
    const LIMIT: &str = "an integer from 1 to 100";
    Ok(ListTokensParams {
        subject: o.required_string("subject", "a machine id: mch_ followed by 27 letters, digits or _")?,
        revoked: o.boolean("revoked")?,
        expired: o.boolean("expired")?,
        limit: o.integer("limit", LIMIT)?.map(|l| u32::try_from(l).unwrap_or(u32::MAX)),
        offset: o.integer("offset", "a non-negative integer")?,
        machine_secret_key: o.key("machineSecretKey")?,
    })
}

fn revoke_params(options: JsValue) -> Result<RevokeTokenParams, Error> {
    let o = Options::new(options, "options")?;
    Ok(RevokeTokenParams {
        m2m_token_id: o.required_string("m2mTokenId", "a token id: mt_ followed by 32 hexadecimal digits")?,
        revocation_reason: o.nullable_string("revocationReason")?,
        machine_secret_key: o.key("machineSecretKey")?,
    })
}

fn verify_params(options: JsValue) -> Result<VerifyTokenParams, Error> {
    let o = Options::new(options, "options")?;
    Ok(VerifyTokenParams {
        token: Secret::new(o.required_string("token", "a non-empty string of at most 8192 bytes")?),
        machine_secret_key: o.key("machineSecretKey")?,
    })
}

/// Runs an operation as a JS `Promise`; an [`Error`] rejects it with the matching JS error. The future is boxed
/// so that every export shares one instance of the promise machinery (it was a tenth of the wasm, per export).
pub(crate) fn promise(work: impl Future<Output = Result<JsValue, Error>> + 'static) -> Promise {
    run_boxed(Box::pin(work))
}

fn run_boxed(work: Pin<Box<dyn Future<Output = Result<JsValue, Error>>>>) -> Promise {
    crate::task::spawn(async move { work.await.map_err(JsValue::from) })
}

#[wasm_bindgen(js_class = ClerkM2M)]
impl ClerkM2M {
    /// `new ClerkM2M({ machineSecretKey, secretKey, apiUrl, apiVersion, timeoutMs, maxRetries, jwtKey })`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<ClerkM2M, JsValue> {
        let o = Options::new(options, "options")?;
        let mut config = Config::default();
        apply_client_options(&mut config, &o)?;
        let jwt_key = o.string("jwtKey", "a PEM public key")?;
        if let Some(pem) = &jwt_key {
            parse_pem_public_key(pem)?;
        }
        Ok(ClerkM2M { client: Rc::new(Client::new(config)?), jwt_key })
    }

    /// Creates a token; resolves to an `M2MToken` with `token`.
    #[wasm_bindgen(js_name = createToken)]
    pub fn create_token(&self, options: JsValue) -> Promise {
        self.run(Op::Create, options, false)
    }

    /// `createToken` resolving to `{ data, status, headers }`.
    #[wasm_bindgen(js_name = createTokenWithHttpInfo)]
    pub fn create_token_with_http_info(&self, options: JsValue) -> Promise {
        self.run(Op::Create, options, true)
    }

    /// Lists a machine's tokens; resolves to `{ data, totalCount }`.
    pub fn list(&self, options: JsValue) -> Promise {
        self.run(Op::List, options, false)
    }

    /// `list` resolving to `{ data, status, headers }`.
    #[wasm_bindgen(js_name = listWithHttpInfo)]
    pub fn list_with_http_info(&self, options: JsValue) -> Promise {
        self.run(Op::List, options, true)
    }

    /// Revokes a token; resolves to the revoked `M2MToken`.
    #[wasm_bindgen(js_name = revokeToken)]
    pub fn revoke_token(&self, options: JsValue) -> Promise {
        self.run(Op::Revoke, options, false)
    }

    /// `revokeToken` resolving to `{ data, status, headers }`.
    #[wasm_bindgen(js_name = revokeTokenWithHttpInfo)]
    pub fn revoke_token_with_http_info(&self, options: JsValue) -> Promise {
        self.run(Op::Revoke, options, true)
    }

    /// Verifies a token; resolves to its `M2MToken`, rejects with `token_invalid` for a dead or unknown token.
    /// An M2M JWT is checked locally (WebCrypto) when `jwtKey` or `secretKey` is configured.
    pub fn verify(&self, options: JsValue) -> Promise {
        self.run(Op::Verify, options, false)
    }

    /// `verify` resolving to `{ data, status, headers }` (always asks Clerk).
    #[wasm_bindgen(js_name = verifyWithHttpInfo)]
    pub fn verify_with_http_info(&self, options: JsValue) -> Promise {
        self.run(Op::Verify, options, true)
    }
}

/// The four operations behind the eight methods.
#[derive(Clone, Copy)]
enum Op {
    Create,
    List,
    Revoke,
    Verify,
}

impl ClerkM2M {
    /// Every method goes through one async function, so each operation's code is in the wasm once (not once
    /// per method and again per with-http-info variant).
    fn run(&self, op: Op, options: JsValue, with_info: bool) -> Promise {
        promise(run_op(self.client.clone(), self.jwt_key.clone(), op, options, with_info))
    }
}

fn answer<T: ToJson>(info: HttpInfo<T>, with_info: bool) -> Result<JsValue, Error> {
    if with_info {
        info_to_js(&info)
    } else {
        to_js(&info.data)
    }
}

async fn run_op(
    client: Rc<Client>,
    jwt_key: Option<String>,
    op: Op,
    options: JsValue,
    with_info: bool,
) -> Result<JsValue, Error> {
    match op {
        Op::Create => answer(client.create(&create_params(options)?, with_info).await?, with_info),
        Op::List => answer(client.list_tokens(&list_params(options)?, with_info).await?, with_info),
        Op::Revoke => answer(client.revoke(&revoke_params(options)?, with_info).await?, with_info),
        Op::Verify if with_info => answer(client.verify_token(&verify_params(options)?, true).await?, true),
        Op::Verify => {
            let params = verify_params(options)?;
            let client = match params.machine_secret_key {
                Some(key) => {
                    let mut config = client.config().clone();
                    config.machine_secret_key = Some(key);
                    Rc::new(Client::new(config)?)
                }
                None => client,
            };
            let settings = GuardSettings { jwt_key, ..GuardSettings::default() };
            // The same `Verifier` type as `verifyRequest` (with no store), so its code is in the wasm once.
            let verifier = Verifier::<_, _, JsCacheStore>::new(client, WebCrypto, None, isolate_state(), settings)?;
            to_js(&verifier.verify_token(&params.token).await?)
        }
    }
}
