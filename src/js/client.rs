//! `ClerkM2M`, the JS class, with all its methods: the four operations, their `*WithHttpInfo` forms and
//! `verifyRequest`. It owns one client and one verifier, built at construction; each method converts its
//! options, calls the edge and converts the answer.

use super::auth::{guard, reject, spawn};
use super::convert::to_js;
use super::env::{env_values, EnvValues};
use super::options::{
    broker, claims, fetcher, origins, read, request_options, ClientOptions, GuardDefaults, SourceOptions,
};
use super::store::JsCacheStore;
use super::token_source::JsTokenSource;
use crate::core::config::Config;
use crate::core::error::Error;
use crate::core::guard::GuardSettings;
use crate::core::model::{CreateTokenParams, HttpInfo, ListTokensParams, RevokeTokenParams, VerifyTokenParams};
use crate::core::options::OptionsOf;
use crate::edge::client::Client;
use crate::edge::crypto::WebCrypto;
use crate::edge::isolate::{isolate_state, verifier_for, EdgeVerifier};
use crate::edge::outgoing::Destinations;
use crate::edge::remembered::{remembered, Remembered};
use crate::edge::token_source::TokenSource;
use crate::edge::verifier::Verifier;
use js_sys::Promise;
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A Clerk M2M client. See the package's `index.d.ts` for the JS types.
#[wasm_bindgen(js_name = ClerkM2M, skip_typescript)]
pub struct ClerkM2M {
    client: Rc<Client>,
    /// The guard for this client's keys, `jwtKey` and `machineId` with default settings; `None` when no key is
    /// configured (then `verify` and `verifyRequest` reject with `missing_key`).
    verifier: Option<Rc<EdgeVerifier>>,
    /// The receiving machine `m2m.verifyRequest` checks when its options name none (`CLERK_MACHINE_ID`).
    machine_id: Option<String>,
}

/// How many `fromEnv` clients an isolate keeps (one per distinct configuration; a Worker has one).
const MAX_ENV_CLIENTS: usize = 8;

thread_local! {
    /// The clients `ClerkM2M.fromEnv` built, by configuration and `jwtKey`, as the JS objects it returned.
    static ENV_CLIENTS: Remembered<EnvValues, JsValue> = const { RefCell::new(Vec::new()) };
}

/// `data`, or `{ data, status, headers }`.
fn answer<T: Serialize>(info: HttpInfo<T>, with_info: bool) -> Result<JsValue, Error> {
    if with_info {
        to_js(&info)
    } else {
        to_js(&info.data)
    }
}

fn create_params(options: &JsValue, of: OptionsOf) -> Result<CreateTokenParams, Error> {
    let params: CreateTokenParams = read(options, of)?;
    Ok(CreateTokenParams { claims: claims(options)?, ..params })
}

#[wasm_bindgen(js_class = ClerkM2M)]
impl ClerkM2M {
    /// `new ClerkM2M({ machineSecretKey, secretKey, apiUrl, apiVersion, timeoutMs, maxRetries, jwtKey,
    /// machineId })`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<ClerkM2M, JsValue> {
        let options: ClientOptions = read(&options, OptionsOf::Client)?;
        Ok(ClerkM2M::build(options.apply(&Config::default())?, options.jwt_key, options.machine_id)?)
    }

    /// `ClerkM2M.fromEnv(env, overrides)`: the client for a Worker's bindings (`CLERK_MACHINE_SECRET_KEY`,
    /// `CLERK_SECRET_KEY`, `CLERK_API_URL`, `CLERK_JWT_KEY`, `CLERK_MACHINE_ID`, `CLERK_TIMEOUT_MS`,
    /// `CLERK_MAX_RETRIES`), with
    /// `overrides` applied; a malformed binding throws `invalid_argument` naming it. The same object for the same
    /// values within an isolate (found by the bindings' text: equal values are not validated, nor a PEM parsed,
    /// again).
    #[wasm_bindgen(js_name = fromEnv)]
    pub fn from_env(env: JsValue, overrides: JsValue) -> Result<JsValue, JsValue> {
        let values = env_values(&env, &overrides)?;
        let m2m = ENV_CLIENTS.with(|clients| {
            remembered(clients, MAX_ENV_CLIENTS, values, |values| {
                let (config, jwt_key, machine_id) = values.options()?;
                ClerkM2M::build(config, jwt_key, machine_id).map(JsValue::from)
            })
        })?;
        Ok(m2m)
    }

    /// Creates a token; resolves to an `M2MToken` with `token`.
    #[wasm_bindgen(js_name = createToken)]
    pub fn create_token(&self, options: JsValue) -> Promise {
        self.create(&options, false)
    }

    /// `createToken` resolving to `{ data, status, headers }`.
    #[wasm_bindgen(js_name = createTokenWithHttpInfo)]
    pub fn create_token_with_http_info(&self, options: JsValue) -> Promise {
        self.create(&options, true)
    }

    /// Lists a machine's tokens; resolves to `{ data, totalCount }`.
    pub fn list(&self, options: JsValue) -> Promise {
        self.list_tokens(&options, false)
    }

    /// `list` resolving to `{ data, status, headers }`.
    #[wasm_bindgen(js_name = listWithHttpInfo)]
    pub fn list_with_http_info(&self, options: JsValue) -> Promise {
        self.list_tokens(&options, true)
    }

    /// Revokes a token; resolves to the revoked `M2MToken`.
    #[wasm_bindgen(js_name = revokeToken)]
    pub fn revoke_token(&self, options: JsValue) -> Promise {
        self.revoke(&options, false)
    }

    /// `revokeToken` resolving to `{ data, status, headers }`.
    #[wasm_bindgen(js_name = revokeTokenWithHttpInfo)]
    pub fn revoke_token_with_http_info(&self, options: JsValue) -> Promise {
        self.revoke(&options, true)
    }

    /// Verifies a token; resolves to its `M2MToken`, rejects with `token_invalid` for a dead or unknown token.
    /// An M2M JWT is checked locally (WebCrypto) when `jwtKey` or `secretKey` is configured.
    pub fn verify(&self, options: JsValue) -> Promise {
        let params: VerifyTokenParams = match read(&options, OptionsOf::Verify) {
            Ok(params) => params,
            Err(error) => return reject(error),
        };
        let verifier = match &params.machine_secret_key {
            Some(key) => {
                let config = Config { machine_secret_key: Some(key.clone()), ..self.client.config().clone() };
                verifier_for(config, GuardSettings { jwt_key: self.jwt_key(), ..GuardSettings::default() })
            }
            None => self.verifier.clone().ok_or(Error::MissingKey),
        };
        match verifier {
            Ok(verifier) => spawn(async move { to_js(&verifier.verify_token(&params.token).await?) }),
            Err(error) => reject(error),
        }
    }

    /// `verify` resolving to `{ data, status, headers }` (always asks Clerk).
    #[wasm_bindgen(js_name = verifyWithHttpInfo)]
    pub fn verify_with_http_info(&self, options: JsValue) -> Promise {
        let client = self.client.clone();
        match read::<VerifyTokenParams>(&options, OptionsOf::Verify) {
            Ok(params) => spawn(async move { answer(client.verify_token(&params, true).await?, true) }),
            Err(error) => reject(error),
        }
    }

    /// `m2m.verifyRequest(request, options)`: `verifyRequest` with this client's keys, URL, timeouts, retries
    /// and `jwtKey` (options override them).
    #[wasm_bindgen(js_name = verifyRequest)]
    pub fn verify_request(&self, request: JsValue, options: JsValue) -> Promise {
        match self.request_verifier(&options) {
            Ok((verifier, store)) => guard(verifier, &request, store),
            Err(error) => reject(error),
        }
    }

    /// `m2m.tokenSource({ secondsUntilExpiration, refreshBeforeSeconds, tokenFormat, claims, machineSecretKey,
    /// cacheStore, fetcher, origins, pool, broker })`: a source of tokens for outgoing calls. Bad options throw `invalid_argument` here, before
    /// anything is minted.
    #[wasm_bindgen(js_name = tokenSource)]
    pub fn token_source(&self, options: JsValue) -> Result<JsTokenSource, JsValue> {
        let params = create_params(&options, OptionsOf::TokenSource)?;
        let SourceOptions { refresh_before_seconds, pool } = read(&options, OptionsOf::TokenSource)?;
        let store = JsCacheStore::from_options(&options)?;
        let destinations = origins(&options)?.map(Destinations::new).transpose()?;
        let fetcher = fetcher(&options)?;
        let broker = broker(&options)?;
        let mut source = TokenSource::new(self.client.clone(), params, refresh_before_seconds, store)?;
        if let Some(fetcher) = fetcher {
            source = source.with_fetcher(fetcher);
        }
        if let Some(destinations) = destinations {
            source = source.with_origins(destinations);
        }
        if pool == Some(false) {
            source = source.without_pooling();
        }
        if let Some(namespace) = broker {
            source = source.with_broker(namespace)?;
        }
        Ok(JsTokenSource::new(source))
    }
}

impl ClerkM2M {
    /// A client for `config` (validated here), `jwt_key` and `machine_id`, with its verifier when it can verify
    /// anything.
    fn build(config: Config, jwt_key: Option<String>, machine_id: Option<String>) -> Result<ClerkM2M, Error> {
        let client = Rc::new(Client::new(config)?);
        let settings = GuardSettings { jwt_key, machine_id: machine_id.clone(), ..GuardSettings::default() };
        // `Verifier::new` validates `jwtKey` (so a malformed one throws here, like a malformed URL).
        let verifier = if client.config().has_key() || settings.jwt_key.is_some() {
            Some(Rc::new(Verifier::new(client.clone(), WebCrypto, isolate_state(), settings)?))
        } else {
            None
        };
        Ok(ClerkM2M { client, verifier, machine_id })
    }

    /// This client's `jwtKey`, when it has one.
    fn jwt_key(&self) -> Option<String> {
        self.verifier.as_ref().and_then(|v| v.settings().jwt_key.clone())
    }

    /// This client's verifier when the options change nothing it was built with, else the isolate's verifier
    /// for the merged configuration.
    fn request_verifier(&self, options: &JsValue) -> Result<(Rc<EdgeVerifier>, Option<JsCacheStore>), Error> {
        let defaults = GuardDefaults { jwt_key: self.jwt_key(), machine_id: self.machine_id.clone() };
        let (client_options, settings, store) = request_options(options, defaults)?;
        let own = self.verifier.as_ref().filter(|v| !client_options.overrides_client() && *v.settings() == settings);
        let verifier = match own {
            Some(verifier) => verifier.clone(),
            None => verifier_for(client_options.apply(self.client.config())?, settings)?,
        };
        Ok((verifier, store))
    }

    fn create(&self, options: &JsValue, with_info: bool) -> Promise {
        let client = self.client.clone();
        match create_params(options, OptionsOf::Create) {
            Ok(params) => spawn(async move { answer(client.create(&params, with_info).await?, with_info) }),
            Err(error) => reject(error),
        }
    }

    fn list_tokens(&self, options: &JsValue, with_info: bool) -> Promise {
        let client = self.client.clone();
        match read::<ListTokensParams>(options, OptionsOf::List) {
            Ok(params) => spawn(async move { answer(client.list_tokens(&params, with_info).await?, with_info) }),
            Err(error) => reject(error),
        }
    }

    fn revoke(&self, options: &JsValue, with_info: bool) -> Promise {
        let client = self.client.clone();
        match read::<RevokeTokenParams>(options, OptionsOf::Revoke) {
            Ok(params) => spawn(async move { answer(client.revoke(&params, with_info).await?, with_info) }),
            Err(error) => reject(error),
        }
    }
}
