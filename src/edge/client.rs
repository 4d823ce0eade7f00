//! The Rust client: each operation is core::api (build) → transport (send, with core::retry) → core::api
//! (decode). Owns the retry loop (which honours the isolate's 429 pauses, `edge::pause`); must not know how bytes
//! travel (that is the [`Transport`]'s job).

use crate::core::api::{self, Operation};
use crate::core::config::Config;
use crate::core::error::Error;
use crate::core::http::{HttpRequest, HttpResponse, Transport, TransportError};
use crate::core::model::{
    CreateTokenParams, HttpInfo, ListTokensParams, M2MToken, RevokeTokenParams, TokenList, VerifyTokenParams,
};
use crate::core::reason::Reason;
use crate::core::retry::{retry_delay_ms, AttemptFailure};
use crate::edge::http::FetchTransport;
use crate::edge::json::EdgeJson;
use crate::edge::pause::{pause, paused};

/// A Clerk M2M client for Rust (workers-rs) callers.
///
/// ```no_run
/// use clerk_m2m_edge::{Client, Config, CreateTokenParams, VerifyTokenParams};
///
/// # async fn run() -> Result<(), clerk_m2m_edge::Error> {
/// let client = Client::new(Config {
///     machine_secret_key: Some("ak_…".into()),
///     ..Config::default()
/// })?;
/// let created = client.create_token(&CreateTokenParams::default()).await?;
/// let token = created.token.expect("create returns the token");
/// let verified = client.verify(&VerifyTokenParams { token, machine_secret_key: None }).await?;
/// assert_eq!(verified.id, created.id);
/// # Ok(()) }
/// ```
pub struct Client<T = FetchTransport> {
    config: Config,
    transport: T,
}

impl Client<FetchTransport> {
    /// A client that sends with the runtime's global `fetch`. Fails on an invalid configuration.
    pub fn new(config: Config) -> Result<Self, Error> {
        Client::with_transport(config, FetchTransport)
    }
}

impl<T: Transport> Client<T> {
    /// A client over any transport (tests, custom runtimes).
    pub fn with_transport(config: Config, transport: T) -> Result<Self, Error> {
        Ok(Client { config: config.validated()?, transport })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Creates a token (`POST /m2m_tokens`); the answer carries `token`. Retried only on 429.
    pub async fn create_token(&self, params: &CreateTokenParams) -> Result<M2MToken, Error> {
        Ok(self.create(params, false).await?.data)
    }

    /// [`Client::create_token`] with the status and headers.
    pub async fn create_token_with_http_info(&self, params: &CreateTokenParams) -> Result<HttpInfo<M2MToken>, Error> {
        self.create(params, true).await
    }

    /// Lists a machine's opaque tokens (`GET /m2m_tokens`).
    pub async fn list(&self, params: &ListTokensParams) -> Result<TokenList, Error> {
        Ok(self.list_tokens(params, false).await?.data)
    }

    /// [`Client::list`] with the status and headers.
    pub async fn list_with_http_info(&self, params: &ListTokensParams) -> Result<HttpInfo<TokenList>, Error> {
        self.list_tokens(params, true).await
    }

    /// Revokes an opaque token (`POST /m2m_tokens/{id}/revoke`).
    pub async fn revoke_token(&self, params: &RevokeTokenParams) -> Result<M2MToken, Error> {
        Ok(self.revoke(params, false).await?.data)
    }

    /// [`Client::revoke_token`] with the status and headers.
    pub async fn revoke_token_with_http_info(&self, params: &RevokeTokenParams) -> Result<HttpInfo<M2MToken>, Error> {
        self.revoke(params, true).await
    }

    /// Verifies a token through Clerk (`POST /m2m_tokens/verify`). A token Clerk does not know (404), or one
    /// it reports revoked, expired or past its `expiration`, is [`Error::TokenInvalid`].
    pub async fn verify(&self, params: &VerifyTokenParams) -> Result<M2MToken, Error> {
        Ok(self.verify_token(params, false).await?.data)
    }

    /// [`Client::verify`] with the status and headers.
    pub async fn verify_with_http_info(&self, params: &VerifyTokenParams) -> Result<HttpInfo<M2MToken>, Error> {
        self.verify_token(params, true).await
    }

    /// Create; `all_headers` asks the transport for every response header (only the with-http-info variants
    /// need them, and reading them all costs time on every call).
    pub(crate) async fn create(
        &self,
        params: &CreateTokenParams,
        all_headers: bool,
    ) -> Result<HttpInfo<M2MToken>, Error> {
        let request = api::create_request::<EdgeJson>(&self.config, params)?;
        let response = self.execute(Operation::Create, &request.with_all_headers(all_headers), None).await?;
        with_info(api::decode_token::<EdgeJson>(&response, true)?, response)
    }

    /// List (see [`Client::create`] for `all_headers`).
    pub(crate) async fn list_tokens(
        &self,
        params: &ListTokensParams,
        all_headers: bool,
    ) -> Result<HttpInfo<TokenList>, Error> {
        let request = api::list_request(&self.config, params)?;
        let response = self.execute(Operation::List, &request.with_all_headers(all_headers), None).await?;
        with_info(api::decode_list::<EdgeJson>(&response)?, response)
    }

    /// Revoke (see [`Client::create`] for `all_headers`).
    pub(crate) async fn revoke(
        &self,
        params: &RevokeTokenParams,
        all_headers: bool,
    ) -> Result<HttpInfo<M2MToken>, Error> {
        let request = api::revoke_request::<EdgeJson>(&self.config, params)?;
        let response = self.execute(Operation::Revoke, &request.with_all_headers(all_headers), None).await?;
        with_info(api::decode_token::<EdgeJson>(&response, false)?, response)
    }

    /// Verify (see [`Client::create`] for `all_headers`).
    pub(crate) async fn verify_token(
        &self,
        params: &VerifyTokenParams,
        all_headers: bool,
    ) -> Result<HttpInfo<M2MToken>, Error> {
        let request = api::verify_request::<EdgeJson>(&self.config, params)?.with_all_headers(all_headers);
        let response = match self.execute(Operation::Verify, &request, Some(params.token.expose())).await {
            Err(Error::Api(e)) if e.status == 404 => return Err(Error::TokenInvalid { reason: Reason::TokenInvalid }),
            other => other?,
        };
        let token = api::decode_token::<EdgeJson>(&response, false)?;
        if let Some(reason) = api::dead_token_reason(&token, self.transport.now_ms()) {
            return Err(Error::TokenInvalid { reason });
        }
        with_info(token, response)
    }

    /// Sends a prepared request with the retry policy; the answer is 2xx or the error is returned.
    pub(crate) async fn execute(
        &self,
        op: Operation,
        request: &HttpRequest,
        token: Option<&str>,
    ) -> Result<HttpResponse, Error> {
        let key = request.authorization.expose().strip_prefix("Bearer ").unwrap_or_default();
        let secrets = [key, token.unwrap_or("")];
        let base = &self.config.api_url;
        let mut retries = 0;
        loop {
            // Paused by another call's 429: fail at once. (A call that got the 429 itself waits it out below.)
            if let Some(answer) = paused(base, key, self.transport.now_ms()).filter(|_| retries == 0) {
                return Err(Error::Api(answer));
            }
            let (failure, error) = match self.transport.send(request, self.config.timeout_ms).await {
                Ok(response) if response.is_success() => return Ok(response),
                Ok(response) => {
                    let now = self.transport.now_ms();
                    let api = api::decode_error::<EdgeJson>(&response, &secrets, now);
                    if let (429, Some(after)) = (response.status, api.retry_after) {
                        pause(base, key, now + f64::from(after) * 1000.0, now, &api);
                    }
                    (AttemptFailure::Status(response.status, api.retry_after), Error::Api(api))
                }
                Err(TransportError::Network) => (AttemptFailure::Network, Error::Network),
                Err(TransportError::Timeout) => {
                    (AttemptFailure::Timeout, Error::Timeout { timeout_ms: self.config.timeout_ms })
                }
            };
            let jitter = self.transport.random();
            match retry_delay_ms(op, failure, retries, self.config.max_retries, jitter) {
                Some(delay) => {
                    self.transport.sleep(delay).await;
                    retries += 1;
                }
                None => return Err(error),
            }
        }
    }
}

fn with_info<D>(data: D, response: HttpResponse) -> Result<HttpInfo<D>, Error> {
    Ok(HttpInfo { data, status: response.status, headers: response.headers })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::model::Nullable;
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::future::Future;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    /// Runs a future that never waits on real I/O (the scripted transport answers at once).
    pub fn block_on<F: Future>(fut: F) -> F::Output {
        struct Noop;
        impl Wake for Noop {
            fn wake(self: Arc<Self>) {}
        }
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut fut = pin!(fut);
        loop {
            if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    /// A transport that replays scripted answers and records what was sent and slept.
    #[derive(Default)]
    pub struct Scripted {
        pub answers: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
        pub sent: RefCell<Vec<HttpRequest>>,
        pub slept: RefCell<Vec<u32>>,
        pub now: std::cell::Cell<f64>,
        /// When set, every answer arrives on the second poll (so that concurrent calls overlap).
        pub pending_once: std::cell::Cell<bool>,
    }

    impl Scripted {
        pub fn new(answers: Vec<Result<HttpResponse, TransportError>>) -> Self {
            Scripted {
                answers: RefCell::new(answers.into()),
                now: std::cell::Cell::new(1_000_000.0),
                ..Default::default()
            }
        }
    }

    impl Transport for Scripted {
        async fn send(&self, request: &HttpRequest, _timeout_ms: u32) -> Result<HttpResponse, TransportError> {
            self.sent.borrow_mut().push(request.clone());
            if self.pending_once.get() {
                let mut waited = false;
                std::future::poll_fn(|_| {
                    if std::mem::replace(&mut waited, true) {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                })
                .await;
            }
            self.answers.borrow_mut().pop_front().unwrap_or(Err(TransportError::Network))
        }
        async fn sleep(&self, ms: u32) {
            self.slept.borrow_mut().push(ms);
        }
        fn now_ms(&self) -> f64 {
            self.now.get()
        }
        fn random(&self) -> f64 {
            0.0
        }
    }

    pub fn json(status: u16, body: &str) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        })
    }

    /// A valid token answer; `overrides` is a JSON object whose fields replace or add to the defaults.
    pub fn token_json(overrides: &str) -> String {
        let mut base: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
            r#"{"object":"machine_to_machine_token","id":"mt_f7f0ba8c3b4843ce7d85fcdd5e71853e",
            "subject":"mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk","scopes":[],"claims":null,"revoked":false,
            "revocation_reason":null,"expired":false,"expiration":2000000,"last_used_at":null,"created_at":1,"updated_at":1}"#,
        )
        .unwrap();
        let extra: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(if overrides.is_empty() { "{}" } else { overrides }).unwrap();
        base.extend(extra);
        serde_json::Value::Object(base).to_string()
    }

    fn client(answers: Vec<Result<HttpResponse, TransportError>>) -> Client<Scripted> {
        let cfg = Config {
            machine_secret_key: Some("ak_machine".into()),
            api_url: "http://127.0.0.1:1".into(),
            ..Config::default()
        };
        Client::with_transport(cfg, Scripted::new(answers)).unwrap()
    }

    #[test]
    fn create_returns_the_token_and_is_not_retried_on_5xx() {
        let c = client(vec![json(201, &token_json(r#"{"token":"mt_new"}"#))]);
        let t = block_on(c.create_token(&CreateTokenParams::default())).unwrap();
        assert_eq!(t.token.unwrap().expose(), "mt_new");
        let c = client(vec![json(503, "{}"), json(201, &token_json(r#"{"token":"mt_new"}"#))]);
        let err = block_on(c.create_token(&CreateTokenParams::default())).unwrap_err();
        assert!(matches!(err, Error::Api(ref e) if e.status == 503));
        assert_eq!(c.transport.sent.borrow().len(), 1);
        let c = client(vec![Err(TransportError::Timeout)]);
        assert!(matches!(block_on(c.create_token(&CreateTokenParams::default())), Err(Error::Timeout { .. })));
        assert_eq!(c.transport.sent.borrow().len(), 1);
    }

    #[test]
    fn create_is_retried_on_429_honouring_retry_after() {
        let mut limited =
            json(429, r#"{"errors":[{"code":"too_many_requests","message":"slow","long_message":"slow"}]}"#).unwrap();
        limited.headers.push(("retry-after".into(), "1".into()));
        let c = client(vec![Ok(limited), json(201, &token_json(r#"{"token":"mt_new"}"#))]);
        assert!(block_on(c.create_token(&CreateTokenParams::default())).is_ok());
        assert_eq!(*c.transport.slept.borrow(), [1000]);
    }

    #[test]
    fn a_429_pauses_the_isolates_calls_to_that_clerk_and_key_until_retry_after() {
        let mut limited = json(429, r#"{"errors":[{"code":"too_many_requests"}]}"#).unwrap();
        limited.headers.push(("retry-after".into(), "30".into()));
        let config = Config { machine_secret_key: Some("ak_paused".into()), max_retries: 0, ..Config::default() };
        let c = Client::with_transport(config, Scripted::new(vec![Ok(limited), json(200, &token_json(""))])).unwrap();
        let p = VerifyTokenParams { token: "mt_x".into(), machine_secret_key: None };
        for _ in 0..100 {
            match block_on(c.verify(&p)) {
                Err(Error::Api(e)) => {
                    assert_eq!((e.status, e.code(), e.retry_after), (429, "too_many_requests", Some(30)))
                }
                other => panic!("{:?}", other.map(|t| t.id)),
            }
        }
        assert_eq!(c.transport.sent.borrow().len(), 1, "100 calls, one request: the rest waited for Retry-After");
        let other_key = VerifyTokenParams { token: "mt_x".into(), machine_secret_key: Some("ak_other".into()) };
        assert!(block_on(c.verify(&other_key)).is_ok(), "another key is not paused");
        c.transport.now.set(c.transport.now.get() + 30_000.0);
        assert!(matches!(block_on(c.verify(&p)), Err(Error::Network)), "after it, calls go out again");
        assert_eq!(c.transport.sent.borrow().len(), 3);
    }

    #[test]
    fn safe_operations_retry_up_to_max_retries() {
        let c =
            client(vec![Err(TransportError::Network), json(502, "bad"), json(500, "{}"), json(200, &token_json(""))]);
        let p = VerifyTokenParams { token: "mt_x".into(), machine_secret_key: None };
        let err = block_on(c.verify(&p)).unwrap_err();
        assert!(matches!(err, Error::Api(ref e) if e.status == 500));
        assert_eq!(c.transport.sent.borrow().len(), 3);
        assert_eq!(*c.transport.slept.borrow(), [100, 200]);
    }

    #[test]
    fn other_4xx_are_not_retried() {
        let c = client(vec![json(400, "{}"), json(200, "{}")]);
        let p = ListTokensParams { subject: "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk".into(), ..Default::default() };
        assert!(matches!(block_on(c.list(&p)), Err(Error::Api(ref e)) if e.status == 400));
        assert_eq!(c.transport.sent.borrow().len(), 1);
    }

    #[test]
    fn verify_turns_404_and_dead_tokens_into_token_invalid() {
        let p = || VerifyTokenParams { token: "mt_secret_token".into(), machine_secret_key: None };
        let c = client(vec![json(
            404,
            r#"{"errors":[{"code":"resource_not_found","message":"mt_secret_token","long_message":""}]}"#,
        )]);
        assert!(matches!(block_on(c.verify(&p())), Err(Error::TokenInvalid { reason: Reason::TokenInvalid })));
        for (extra, reason) in [
            (r#"{"revoked":true}"#, Reason::TokenRevoked),
            (r#"{"expired":true}"#, Reason::TokenExpired),
            (r#"{"expiration":999999}"#, Reason::TokenExpired),
        ] {
            let c = client(vec![json(200, &token_json(extra))]);
            let err = block_on(c.verify(&p())).unwrap_err();
            assert!(matches!(err, Error::TokenInvalid { reason: r } if r == reason), "{extra}");
        }
        let c = client(vec![json(200, &token_json(""))]);
        assert_eq!(block_on(c.verify(&p())).unwrap().subject, "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk");
    }

    #[test]
    fn api_errors_never_echo_the_key_or_token() {
        let body = r#"{"errors":[{"code":"x","message":"ak_machine mt_secret_token","long_message":"ak_machine"}]}"#;
        let c = client(vec![json(400, body)]);
        let p = VerifyTokenParams { token: "mt_secret_token".into(), machine_secret_key: None };
        let err = block_on(c.verify(&p)).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("ak_machine") && !text.contains("mt_secret_token"), "{text}");
    }

    #[test]
    fn debug_and_display_never_show_keys_or_tokens() {
        let key = "ak_debug_secret_key_42";
        let token = "mt_debug_secret_token_42";
        let cfg = Config {
            machine_secret_key: Some(key.into()),
            secret_key: Some("sk_debug_secret_43".into()),
            ..Config::default()
        };
        let params = VerifyTokenParams { token: token.into(), machine_secret_key: Some(key.into()) };
        let request = api::verify_request::<EdgeJson>(&cfg, &params).unwrap();
        let echo = format!(
            r#"{{"errors":[{{"code":"c","message":"{token}","long_message":"{key}","meta":{{"k":"{key}"}}}}],"clerk_trace_id":"{token}"}}"#
        );
        let c = client(vec![
            json(400, &echo),
            json(404, &echo),
            json(200, &format!(r#"{{"token":"{token}"}}"#)),
            Err(TransportError::Timeout),
        ]);
        let mut texts = vec![format!("{cfg:?}"), format!("{params:?}"), format!("{request:?}")];
        for _ in 0..4 {
            let err =
                block_on(c.verify(&VerifyTokenParams { token: token.into(), machine_secret_key: Some(key.into()) }))
                    .unwrap_err();
            texts.push(format!("{err} {err:?} {}", err.message()));
        }
        let created = token_json(&format!(r#"{{"token":"{token}"}}"#));
        let t: M2MToken = serde_json::from_str(&created).unwrap();
        texts.push(format!("{t:?}"));
        for text in texts {
            for secret in [key, token, "sk_debug_secret_43"] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
        }
    }

    /// Verification decides on what decides: metadata that is missing or malformed does not fail a verify.
    #[test]
    fn verify_tolerates_malformed_metadata_but_not_malformed_deciding_fields() {
        let p = || VerifyTokenParams { token: "mt_x".into(), machine_secret_key: None };
        let meta = r#"{"created_at":"x","updated_at":null,"last_used_at":[],"claims":5,"revocation_reason":{}}"#;
        let c = client(vec![json(200, &token_json(meta))]);
        let t = block_on(c.verify(&p())).unwrap();
        assert_eq!((t.created_at, t.updated_at, t.last_used_at, t.revocation_reason), (None, None, None, None));
        assert_eq!(t.claims, Some(serde_json::json!(5)), "claims are any JSON");
        let mut missing: serde_json::Value = serde_json::from_str(&token_json("")).unwrap();
        for field in ["created_at", "updated_at", "last_used_at", "claims", "revocation_reason", "object"] {
            missing.as_object_mut().unwrap().remove(field);
        }
        let c = client(vec![json(200, &missing.to_string())]);
        assert!(block_on(c.verify(&p())).is_ok());
        for deciding in [
            r#"{"revoked":"no"}"#,
            r#"{"expired":null}"#,
            r#"{"expiration":"later"}"#,
            r#"{"scopes":"mch_a"}"#,
            r#"{"subject":7}"#,
        ] {
            let c = client(vec![json(200, &token_json(deciding)), json(200, &token_json(""))]);
            let err = block_on(c.verify(&p())).unwrap_err();
            assert!(matches!(err, Error::InvalidResponse { .. }), "{deciding}");
            assert_eq!(c.transport.sent.borrow().len(), 1, "a malformed answer is not retried");
        }
    }

    #[test]
    fn with_http_info_returns_status_and_headers() {
        let mut ok = json(200, &token_json("")).unwrap();
        ok.headers.push(("x-request-id".into(), "r1".into()));
        let c = client(vec![Ok(ok)]);
        let p = RevokeTokenParams {
            m2m_token_id: "mt_f7f0ba8c3b4843ce7d85fcdd5e71853e".into(),
            revocation_reason: Nullable::Value("done".into()),
            ..Default::default()
        };
        let info = block_on(c.revoke_token_with_http_info(&p)).unwrap();
        assert_eq!(info.status, 200);
        assert!(info.headers.contains(&("x-request-id".into(), "r1".into())));
    }

    #[test]
    fn invalid_input_sends_nothing() {
        let c = client(vec![]);
        let p = ListTokensParams { subject: "nope".into(), ..Default::default() };
        assert!(matches!(block_on(c.list(&p)), Err(Error::InvalidArgument { field: "subject", .. })));
        assert!(c.transport.sent.borrow().is_empty());
    }
}
