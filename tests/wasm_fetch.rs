//! The fetch layer under wasm (Node), against the Clerk stand-in started by `make test-wasm`:
//! the Rust client's story, the headers it sends, timeouts, resets and retries, and the Rust token source.
#![cfg(target_arch = "wasm32")]

use clerk_m2m_edge::{
    Client, Config, CreateTokenParams, Destinations, Error, FetchError, FetchTransport, HttpRequest, ListTokensParams,
    Method, NoStore, Nullable, Reason, RevokeTokenParams, Secret, TokenFormat, TokenSource, Transport,
    VerifyTokenParams,
};
use js_sys::{Reflect, JSON};
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

/// The stand-in's description, from `CLERK_STANDIN_INFO`.
fn info() -> JsValue {
    let process = Reflect::get(&js_sys::global(), &"process".into()).unwrap();
    let env = Reflect::get(&process, &"env".into()).unwrap();
    let text =
        Reflect::get(&env, &"CLERK_STANDIN_INFO".into()).unwrap().as_string().expect("CLERK_STANDIN_INFO is set");
    JSON::parse(&text).unwrap()
}

fn field(v: &JsValue, name: &str) -> JsValue {
    Reflect::get(v, &name.into()).unwrap()
}

fn url() -> String {
    field(&info(), "url").as_string().unwrap()
}

fn machine(index: u32) -> (String, String) {
    let m = js_sys::Array::from(&field(&info(), "machines")).get(index);
    (field(&m, "id").as_string().unwrap(), field(&m, "secretKey").as_string().unwrap())
}

fn client(key: &str, timeout_ms: u32, max_retries: u32) -> Client {
    Client::new(Config {
        machine_secret_key: Some(key.into()),
        api_url: url(),
        timeout_ms,
        max_retries,
        ..Config::default()
    })
    .unwrap()
}

async fn admin(method: &str, path: &str, body: &str) -> JsValue {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if !body.is_empty() {
        init.set_body(&body.into());
    }
    let fetch = Reflect::get(&js_sys::global(), &"fetch".into()).unwrap().unchecked_into::<js_sys::Function>();
    let pending = fetch.call2(&JsValue::NULL, &format!("{}/__admin/{path}", url()).into(), &init).unwrap();
    let resp: web_sys::Response = JsFuture::from(js_sys::Promise::from(pending)).await.unwrap().unchecked_into();
    JsFuture::from(resp.json().unwrap()).await.unwrap()
}

async fn requests_since_clear() -> js_sys::Array {
    let log = js_sys::Array::from(&admin("GET", "requests", "").await);
    admin("DELETE", "requests", "").await;
    log
}

#[wasm_bindgen_test]
async fn rust_client_story_against_the_stand_in() {
    let (gateway_id, gateway_key) = machine(0);
    let (_, billing_key) = machine(1);
    let caller = client(&gateway_key, 5_000, 2);
    let receiver = client(&billing_key, 5_000, 2);
    admin("DELETE", "requests", "").await;

    let params = CreateTokenParams { seconds_until_expiration: Nullable::Value(300.0), ..Default::default() };
    let created = caller.create_token(&params).await.unwrap();
    let token = created.token.clone().unwrap();
    assert_eq!(created.subject, gateway_id);

    let jwt = caller
        .create_token(&CreateTokenParams { token_format: Some(TokenFormat::Jwt), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(jwt.token.unwrap().expose().split('.').count(), 3);

    let page = caller.list(&ListTokensParams { subject: gateway_id.clone(), ..Default::default() }).await.unwrap();
    assert!(page.data.iter().any(|t| t.id == created.id));

    let verified =
        receiver.verify(&VerifyTokenParams { token: token.clone(), machine_secret_key: None }).await.unwrap();
    assert_eq!(verified.id, created.id);

    let revoke = RevokeTokenParams { m2m_token_id: created.id.clone(), ..Default::default() };
    assert!(caller.revoke_token(&revoke).await.unwrap().revoked);
    let err = receiver.verify(&VerifyTokenParams { token, machine_secret_key: None }).await.unwrap_err();
    assert!(matches!(err, Error::TokenInvalid { reason: Reason::TokenInvalid }), "{err:?}");

    // What went over the wire: the documented headers, on the versioned path.
    let log = requests_since_clear().await;
    let first = log.get(0);
    let headers = field(&first, "headers");
    assert_eq!(field(&first, "path").as_string().unwrap(), "/m2m_tokens");
    assert_eq!(field(&first, "key").as_string().unwrap(), "gateway");
    assert_eq!(field(&headers, "clerk-api-version").as_string().unwrap(), "2026-05-12");
    assert_eq!(field(&headers, "accept").as_string().unwrap(), "application/json");
    assert_eq!(field(&headers, "content-type").as_string().unwrap(), "application/json");
    assert!(field(&headers, "user-agent").as_string().unwrap().starts_with("clerk-m2m-edge/"));
    assert_eq!(log.length(), 6);
}

#[wasm_bindgen_test]
async fn a_hanging_clerk_times_out_within_the_budget() {
    let (_, key) = machine(0);
    admin("POST", "faults", r#"{"path":"/m2m_tokens/verify","hang":true,"times":3}"#).await;
    admin("DELETE", "requests", "").await;
    let started = js_sys::Date::now();
    let err = client(&key, 150, 1)
        .verify(&VerifyTokenParams { token: "mt_x".into(), machine_secret_key: None })
        .await
        .unwrap_err();
    let elapsed = js_sys::Date::now() - started;
    assert!(matches!(err, Error::Timeout { timeout_ms: 150 }), "{err:?}");
    // Two attempts of 150 ms and one backoff of at most 200 ms.
    assert!(elapsed < 1_500.0, "took {elapsed} ms");
    assert_eq!(requests_since_clear().await.length(), 2);
    admin("DELETE", "faults", "").await;
}

#[wasm_bindgen_test]
async fn resets_are_network_errors_and_retried() {
    let (id, key) = machine(0);
    admin("POST", "faults", r#"{"path":"/m2m_tokens","method":"GET","reset":true,"times":1}"#).await;
    admin("DELETE", "requests", "").await;
    let page = client(&key, 2_000, 2).list(&ListTokensParams { subject: id.clone(), ..Default::default() }).await;
    assert!(page.is_ok(), "{page:?}");
    assert_eq!(requests_since_clear().await.length(), 2);

    admin("POST", "faults", r#"{"path":"/m2m_tokens","method":"GET","reset":true,"times":5}"#).await;
    let err = client(&key, 2_000, 1).list(&ListTokensParams { subject: id, ..Default::default() }).await.unwrap_err();
    assert!(matches!(err, Error::Network), "{err:?}");
    assert_eq!(requests_since_clear().await.length(), 2);
    admin("DELETE", "faults", "").await;
}

#[wasm_bindgen_test]
async fn malformed_and_truncated_answers() {
    let (_, key) = machine(0);
    admin("POST", "faults", r#"{"path":"/m2m_tokens","method":"POST","malformed":true}"#).await;
    let err = client(&key, 2_000, 0).create_token(&CreateTokenParams::default()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidResponse { .. }), "{err:?}");
    admin("POST", "faults", r#"{"path":"/m2m_tokens","method":"POST","truncated":true}"#).await;
    let err = client(&key, 2_000, 0).create_token(&CreateTokenParams::default()).await.unwrap_err();
    assert!(matches!(err, Error::Network), "{err:?}");
    admin("DELETE", "faults", "").await;
    admin("DELETE", "requests", "").await;
}

async fn open_hanging_requests() -> f64 {
    field(&admin("GET", "hanging", "").await, "open").as_f64().unwrap()
}

/// The stand-in's count of open hanging requests once it is `expected`, polled every 20 ms for at most 5 s (the
/// event is waited on, not raced with a fixed pause); the last count read otherwise.
async fn hanging_requests_reach(expected: f64) -> f64 {
    let mut open = open_hanging_requests().await;
    for _ in 0..250 {
        if open == expected {
            break;
        }
        pause(20).await;
        open = open_hanging_requests().await;
    }
    open
}

async fn pause(ms: i32) {
    let timer = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout = Reflect::get(&js_sys::global(), &"setTimeout".into()).unwrap();
        set_timeout.unchecked_into::<js_sys::Function>().call2(&JsValue::NULL, &resolve, &ms.into()).unwrap();
    });
    JsFuture::from(timer).await.unwrap();
}

/// Dropping the future of an attempt aborts its fetch (the deadline is owned by the attempt), so a caller's own
/// timeout or `select` never leaves a request open.
#[wasm_bindgen_test]
async fn dropping_an_attempt_aborts_its_fetch() {
    let (_, key) = machine(0);
    admin("POST", "faults", r#"{"path":"/m2m_tokens/verify","hang":true,"times":1}"#).await;
    let request = HttpRequest {
        method: Method::Post,
        url: format!("{}/v1/m2m_tokens/verify", url()),
        authorization: Secret::new(format!("Bearer {key}")),
        body: Some(r#"{"token":"mt_x"}"#.into()),
        all_headers: false,
    };
    let transport = FetchTransport;
    let mut attempt = Box::pin(transport.send(&request, 60_000));
    // Start the attempt: poll it once, then let the request reach the stand-in.
    std::future::poll_fn(|cx| {
        let _ = attempt.as_mut().poll(cx);
        std::task::Poll::Ready(())
    })
    .await;
    assert_eq!(hanging_requests_reach(1.0).await, 1.0, "the request is in flight");
    drop(attempt);
    assert_eq!(hanging_requests_reach(0.0).await, 0.0, "dropping the attempt aborted it");
    admin("DELETE", "faults", "").await;
    admin("DELETE", "requests", "").await;
}

#[wasm_bindgen_test]
async fn the_rust_token_source_mints_once_and_re_mints_after_a_401() {
    let (gateway_id, key) = machine(0);
    let params = CreateTokenParams { seconds_until_expiration: Nullable::Value(600.0), ..Default::default() };
    let source = TokenSource::new(Rc::new(client(&key, 5_000, 0)), params, Some(60.0), None::<NoStore>).unwrap();
    let target = JsValue::from_str(&format!("{}/v1/m2m_tokens?subject={gateway_id}", url()));
    match source.fetch(&target, &JsValue::UNDEFINED).await {
        Err(FetchError::Token(error)) => assert_eq!(error.field(), Some("origins"), "no origins: fetch sends nothing"),
        other => panic!("expected invalid_argument, got {:?}", other.map(|r| r.status())),
    }
    let source = source.with_origins(Destinations::new([url()]).unwrap());
    let elsewhere = JsValue::from_str("https://elsewhere.example/x");
    match source.fetch(&elsewhere, &JsValue::UNDEFINED).await {
        Err(FetchError::Token(error)) => assert_eq!(error.field(), Some("url"), "another origin: nothing is sent"),
        other => panic!("expected invalid_argument, got {:?}", other.map(|r| r.status())),
    }
    let first = source.get_token().await.unwrap();
    assert!(first.expose().starts_with("mt_"));
    assert_eq!(source.get_token().await.unwrap(), first, "kept, not minted again");

    // The stand-in refuses a token where a key is expected: a 401, which costs one re-mint and one resend.
    let response = source.fetch(&target, &JsValue::UNDEFINED).await.unwrap();
    assert_eq!(response.status(), 401, "the resend was refused too: its 401 comes back");
    let second = source.get_token().await.unwrap();
    assert_ne!(second, first, "the refused token was given up");

    // A caller-set Authorization is refused, and nothing is sent.
    let init = JSON::parse(r#"{"headers":{"Authorization":"Bearer mine"}}"#).unwrap();
    match source.fetch(&target, &init).await {
        Err(FetchError::Token(Error::InvalidArgument { field, .. })) => assert_eq!(field, "headers"),
        other => panic!("expected invalid_argument, got {:?}", other.map(|r| r.status())),
    }
    source.invalidate();
    assert_ne!(source.get_token().await.unwrap(), second);
}

/// A token signed with the test key by the runtime's own WebCrypto, `hash` (SHA-256/384/512) for the signature and
/// `alg` in the header — the two may differ.
async fn signed_with_webcrypto(alg: &str, hash: &str) -> String {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let pem = include_str!("fixtures/test-rsa-private-pkcs8.pem");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
    let subtle = field(&field(&js_sys::global(), "crypto"), "subtle");
    let call = |name: &str, args: &[JsValue]| {
        let f = field(&subtle, name).unchecked_into::<js_sys::Function>();
        let pending = f.apply(&subtle, &args.iter().collect::<js_sys::Array>()).unwrap();
        JsFuture::from(js_sys::Promise::from(pending))
    };
    let algorithm = JSON::parse(&format!(r#"{{"name":"RSASSA-PKCS1-v1_5","hash":"{hash}"}}"#)).unwrap();
    let usages: js_sys::Array = [JsValue::from("sign")].iter().collect();
    let key = call(
        "importKey",
        &[
            "pkcs8".into(),
            js_sys::Uint8Array::from(der.as_slice()).into(),
            algorithm.clone(),
            false.into(),
            usages.into(),
        ],
    )
    .await
    .unwrap();
    let now_s = (js_sys::Date::now() / 1000.0) as i64;
    let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
    let claims = format!(
        r#"{{"sub":"mch_gateway00000000000000000000","jti":"mt_{}","iat":{now_s},"exp":{}}}"#,
        "ab".repeat(16),
        now_s + 600
    );
    let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
    let signature = call("sign", &[algorithm, key, js_sys::Uint8Array::from(input.as_bytes()).into()]).await.unwrap();
    format!("{input}.{}", b64(&js_sys::Uint8Array::new(&signature).to_vec()))
}

#[wasm_bindgen_test]
async fn rs384_and_rs512_verify_through_webcrypto_and_a_header_alg_other_than_the_signatures_does_not() {
    use clerk_m2m_edge::{verify_request, GuardSettings, Outcome};
    let settings = || GuardSettings {
        jwt_key: Some(include_str!("fixtures/test-rsa-public.pem").into()),
        allow_any_machine: true,
        ..GuardSettings::default()
    };
    let check = |token: String| async move {
        let authorization = format!("Bearer {token}");
        match verify_request(Some(&authorization), Config::default(), settings()).await.unwrap() {
            Outcome::SignedIn(identity) => Ok(identity.subject),
            Outcome::SignedOut(rejection) => Err(rejection.reason),
        }
    };
    for (alg, hash) in [("RS256", "SHA-256"), ("RS384", "SHA-384"), ("RS512", "SHA-512")] {
        let subject = check(signed_with_webcrypto(alg, hash).await).await;
        assert_eq!(subject.as_deref(), Ok("mch_gateway00000000000000000000"), "{alg} signed with {hash}");
    }
    for (alg, hash) in [("RS384", "SHA-256"), ("RS512", "SHA-384"), ("RS256", "SHA-512")] {
        assert_eq!(
            check(signed_with_webcrypto(alg, hash).await).await,
            Err(Reason::TokenInvalid),
            "{alg} header, {hash} signature"
        );
    }
}
