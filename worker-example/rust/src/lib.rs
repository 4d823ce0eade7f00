//! The worker-example API as a workers-rs Worker, guarded by clerk-m2m-edge's Rust API:
//!
//! ```text
//! GET  /health             public: { ok, cache: { entries, capacity } }
//! GET  /api/whoami         guarded: the calling machine's subject, scopes, claims and token format
//! POST /tokens             demo only (DEMO_ROUTES = "true"): mints a token with this worker's machine key
//!                          (?format=jwt for a JWT, ?seconds=N for its lifetime)
//! POST /tokens/{id}/revoke demo only: revokes an opaque token
//! GET  /outgoing-token     demo only: the token this worker would send to another service (shown shortened),
//!                          from a TokenSource that asks the fleet's broker (binding M2M_TOKENS) before minting,
//!                          and what the source did: { token, mints, brokerAnswers, brokerFallbacks }
//! ```
//!
//! Bindings: secrets CLERK_MACHINE_SECRET_KEY and CLERK_SECRET_KEY; vars CLERK_API_URL, CLERK_MACHINE_ID,
//! optional CLERK_CACHE_TTL_MS and DEMO_ROUTES. The guard's verifier (client, parsed keys, caches) is built once
//! per isolate for these values by `verify_request`.
//!
//! The broker is the npm package's `M2MTokenBroker` Durable Object class, deployed as a small JS Worker of its own
//! (worker-example/broker) and bound here by `script_name` (wrangler.toml): a Rust Worker uses it through
//! `TokenSource::with_broker(JsValue::from(env.durable_object("M2M_TOKENS")?))`.

use clerk_m2m_edge::{
    verification_cache_stats, verifier_for, verify_request, Client, Config, CreateTokenParams, Error as ClerkError,
    GuardSettings, NoStore, Nullable, Outcome, Rejection, RevokeTokenParams, TokenFormat, TokenSource,
};
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use worker::wasm_bindgen::JsValue;
use worker::{event, Context, Env, Headers, Method, Request, Response, Result};

/// A binding's text, when it is set and not empty.
fn binding(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.is_empty())
}

fn config(env: &Env) -> Config {
    let defaults = Config::default();
    Config {
        machine_secret_key: binding(env, "CLERK_MACHINE_SECRET_KEY").map(Into::into),
        secret_key: binding(env, "CLERK_SECRET_KEY").map(Into::into),
        api_url: binding(env, "CLERK_API_URL").unwrap_or(defaults.api_url.clone()),
        ..defaults
    }
}

fn settings(env: &Env) -> GuardSettings {
    let defaults = GuardSettings::default();
    GuardSettings {
        machine_id: binding(env, "CLERK_MACHINE_ID"),
        cache_ttl_ms: binding(env, "CLERK_CACHE_TTL_MS").and_then(|v| v.parse().ok()).unwrap_or(defaults.cache_ttl_ms),
        ..defaults
    }
}

/// `{ error, message }` with the status the crate's error calls for: 502 for Clerk's HTTP errors, else 500.
fn error_response(error: &ClerkError) -> Result<Response> {
    let status = if matches!(error, ClerkError::Api(_)) { 502 } else { 500 };
    Ok(Response::from_json(&serde_json::json!({ "error": error.code(), "message": error.message() }))?
        .with_status(status))
}

/// The guard's rejection: status, JSON body, `WWW-Authenticate` or `Retry-After`.
fn rejection_response(rejection: &Rejection) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("cache-control", "no-store")?;
    if let Some(challenge) = rejection.www_authenticate() {
        headers.set("www-authenticate", &challenge)?;
    }
    if let Some(seconds) = rejection.retry_after_header() {
        headers.set("retry-after", &seconds.to_string())?;
    }
    Ok(Response::ok(rejection.body())?.with_status(rejection.status()).with_headers(headers))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WhoAmI<'a> {
    subject: &'a str,
    scopes: &'a [String],
    claims: &'a Option<serde_json::Value>,
    token_format: TokenFormat,
}

async fn guarded(req: &Request, env: &Env) -> Result<Response> {
    let authorization = req.headers().get("authorization")?;
    let outcome = match verify_request(authorization.as_deref(), config(env), settings(env)).await {
        Ok(outcome) => outcome,
        Err(error) => return error_response(&error),
    };
    match outcome {
        Outcome::SignedIn(machine) if req.path() == "/api/whoami" && req.method() == Method::Get => {
            Response::from_json(&WhoAmI {
                subject: &machine.subject,
                scopes: &machine.scopes,
                claims: &machine.claims,
                token_format: machine.token_format,
            })
        }
        Outcome::SignedIn(_) => Ok(Response::from_json(&serde_json::json!({ "error": "not_found" }))?.with_status(404)),
        Outcome::SignedOut(rejection) => rejection_response(&rejection),
    }
}

#[derive(Serialize)]
struct Minted<'a> {
    id: &'a str,
    token: &'a str,
    subject: &'a str,
    scopes: &'a [String],
    expiration: Option<i64>,
}

async fn demo_routes(req: &Request, env: &Env) -> Result<Response> {
    let verifier = match verifier_for(config(env), settings(env)) {
        Ok(verifier) => verifier,
        Err(error) => return error_response(&error),
    };
    let client = verifier.client();
    let url = req.url()?;
    let path = url.path();
    if path == "/tokens" {
        let query = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        let params = CreateTokenParams {
            token_format: Some(if query("format").as_deref() == Some("jwt") {
                TokenFormat::Jwt
            } else {
                TokenFormat::Opaque
            }),
            seconds_until_expiration: Nullable::Value(query("seconds").and_then(|s| s.parse().ok()).unwrap_or(3600.0)),
            ..CreateTokenParams::default()
        };
        return match client.create_token(&params).await {
            Ok(created) => Ok(Response::from_json(&Minted {
                id: &created.id,
                token: created.token.as_ref().map_or("", |t| t.expose()),
                subject: &created.subject,
                scopes: &created.scopes,
                expiration: created.expiration,
            })?
            .with_status(201)),
            Err(error) => error_response(&error),
        };
    }
    let id = path.strip_prefix("/tokens/").and_then(|rest| rest.strip_suffix("/revoke"));
    if let Some(id) = id {
        let params = RevokeTokenParams {
            m2m_token_id: id.to_owned(),
            revocation_reason: Nullable::Value("revoked from the demo".to_owned()),
            machine_secret_key: None,
        };
        return match client.revoke_token(&params).await {
            Ok(token) => Response::from_json(&serde_json::json!({ "id": token.id, "revoked": token.revoked })),
            Err(error) => error_response(&error),
        };
    }
    Ok(Response::from_json(&serde_json::json!({ "error": "not_found" }))?.with_status(404))
}

thread_local! {
    /// This isolate's token source for outgoing calls: built on first use, kept for the isolate's life.
    static SOURCE: RefCell<Option<Rc<TokenSource>>> = const { RefCell::new(None) };
}

/// The isolate's token source: JWTs of 10 minutes, from the broker when the M2M_TOKENS binding is there.
fn outgoing_source(env: &Env) -> std::result::Result<Rc<TokenSource>, ClerkError> {
    if let Some(source) = SOURCE.with(|s| s.borrow().clone()) {
        return Ok(source);
    }
    let client = Rc::new(Client::new(config(env))?);
    let params = CreateTokenParams {
        token_format: Some(TokenFormat::Jwt),
        seconds_until_expiration: Nullable::Value(600.0),
        ..CreateTokenParams::default()
    };
    let mut source = TokenSource::new(client, params, None, None::<NoStore>)?;
    if let Ok(namespace) = env.durable_object("M2M_TOKENS") {
        source = source.with_broker(JsValue::from(namespace))?;
    }
    let source = Rc::new(source);
    SOURCE.with(|s| *s.borrow_mut() = Some(source.clone()));
    Ok(source)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutgoingToken {
    token: String,
    mints: u64,
    broker_answers: u64,
    broker_fallbacks: u64,
}

async fn outgoing_token(env: &Env) -> Result<Response> {
    let source = match outgoing_source(env) {
        Ok(source) => source,
        Err(error) => return error_response(&error),
    };
    match source.get_token().await {
        Ok(token) => {
            let token = token.expose();
            let stats = source.stats();
            Response::from_json(&OutgoingToken {
                token: format!(
                    "{}…{}",
                    token.get(..3).unwrap_or_default(),
                    token.get(token.len().saturating_sub(8)..).unwrap_or_default()
                ),
                mints: stats.mints,
                broker_answers: stats.broker_answers,
                broker_fallbacks: stats.broker_fallbacks,
            })
        }
        Err(error) => error_response(&error),
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    if path == "/health" {
        return Response::from_json(&serde_json::json!({ "ok": true, "cache": verification_cache_stats() }));
    }
    if path.starts_with("/api/") {
        return guarded(&req, &env).await;
    }
    let demo = binding(&env, "DEMO_ROUTES").as_deref() == Some("true");
    if demo && req.method() == Method::Post && path.starts_with("/tokens") {
        return demo_routes(&req, &env).await;
    }
    if demo && req.method() == Method::Get && path == "/outgoing-token" {
        return outgoing_token(&env).await;
    }
    Ok(Response::from_json(&serde_json::json!({ "error": "not_found" }))?.with_status(404))
}
