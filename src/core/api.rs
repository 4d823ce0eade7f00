//! Clerk's four M2M operations as pure functions: params → [`HttpRequest`], [`HttpResponse`] → typed result.
//! Owns value validation, URLs, bodies and decoding; must not do I/O or retry.

use crate::core::config::{is_machine_id, is_token_id, Config, MACHINE_ID_SHAPE, TOKEN_ID_SHAPE};
use crate::core::error::{ApiError, ClerkError, Error};
use crate::core::http::{parse_retry_after, HttpRequest, HttpResponse, Method};
use crate::core::json::Json;
use crate::core::model::{
    lenient, CreateTokenParams, ListTokensParams, M2MToken, Nullable, RevokeTokenParams, TokenList, VerifyTokenParams,
    MAX_SAFE_INTEGER,
};
use crate::core::reason::Reason;
use crate::core::secret::{redact, Secret};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The largest token `verify` sends (real tokens are far smaller).
pub(crate) const MAX_TOKEN_BYTES: usize = 8192;

/// Which operation a request performs; decides whether it may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    /// POST /m2m_tokens — not idempotent.
    Create,
    /// GET /m2m_tokens
    List,
    /// POST /m2m_tokens/{id}/revoke — repeating it changes nothing.
    Revoke,
    /// POST /m2m_tokens/verify — read-only.
    Verify,
    /// GET /jwks
    Jwks,
}

impl Operation {
    /// True when repeating the request cannot create a second effect.
    pub(crate) fn is_safe_to_repeat(self) -> bool {
        !matches!(self, Operation::Create)
    }
}

fn bearer(key: &Secret) -> Secret {
    Secret::new(["Bearer ", key.expose()].concat())
}

fn json_body<J: Json>(body: &impl Serialize) -> Result<String, Error> {
    J::write(body).ok_or(Error::invalid("options", "JSON-serialisable values"))
}

fn post(cfg: &Config, path: &str, key: &Secret, body: String) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        url: cfg.base_url() + path,
        authorization: bearer(key),
        body: Some(body),
        all_headers: false,
    }
}

/// POST `{base}/m2m_tokens`.
pub(crate) fn create_request<J: Json>(cfg: &Config, p: &CreateTokenParams) -> Result<HttpRequest, Error> {
    const SECONDS: &str = "a number greater than 0 and at most 9007199254740991 (2^53 - 1), or null";
    if p.seconds_until_expiration.value().is_some_and(|s| !(*s > 0.0 && *s <= MAX_SAFE_INTEGER as f64)) {
        return Err(Error::invalid("secondsUntilExpiration", SECONDS));
    }
    if p.min_remaining_ttl_seconds.is_some_and(|m| m > MAX_SAFE_INTEGER) {
        return Err(Error::invalid("minRemainingTtlSeconds", "a non-negative integer of at most 2^53 - 1"));
    }
    if let (Some(min), Nullable::Value(secs)) = (p.min_remaining_ttl_seconds, &p.seconds_until_expiration) {
        if min as f64 >= *secs {
            return Err(Error::invalid("minRemainingTtlSeconds", "less than secondsUntilExpiration"));
        }
    }
    let key = cfg.key_for(p.machine_secret_key.as_ref())?;
    Ok(post(cfg, "/m2m_tokens", key, json_body::<J>(p)?))
}

/// GET `{base}/m2m_tokens?subject=…`.
pub(crate) fn list_request(cfg: &Config, p: &ListTokensParams) -> Result<HttpRequest, Error> {
    if !is_machine_id(&p.subject) {
        return Err(Error::invalid("subject", MACHINE_ID_SHAPE));
    }
    if p.limit.is_some_and(|l| !(1..=100).contains(&l)) {
        return Err(Error::invalid("limit", "an integer from 1 to 100"));
    }
    if p.offset.is_some_and(|o| o > MAX_SAFE_INTEGER) {
        return Err(Error::invalid("offset", "a non-negative integer of at most 2^53 - 1"));
    }
    let key = cfg.key_for(p.machine_secret_key.as_ref())?;
    // Every value is a machine id, a boolean or an integer: nothing to percent-encode.
    let mut url = cfg.base_url() + "/m2m_tokens?subject=" + &p.subject;
    for (name, value) in [("revoked", p.revoked), ("expired", p.expired)] {
        if let Some(v) = value {
            url.extend(["&", name, "=", if v { "true" } else { "false" }]);
        }
    }
    for (name, value) in [("limit", p.limit.map(u64::from)), ("offset", p.offset)] {
        if let Some(v) = value {
            url.extend(["&", name, "=", &v.to_string()]);
        }
    }
    Ok(HttpRequest { method: Method::Get, url, authorization: bearer(key), body: None, all_headers: false })
}

/// POST `{base}/m2m_tokens/{id}/revoke`, always with a JSON object body.
pub(crate) fn revoke_request<J: Json>(cfg: &Config, p: &RevokeTokenParams) -> Result<HttpRequest, Error> {
    if !is_token_id(&p.m2m_token_id) {
        return Err(Error::invalid("m2mTokenId", TOKEN_ID_SHAPE));
    }
    let key = cfg.key_for(p.machine_secret_key.as_ref())?;
    Ok(post(cfg, &["/m2m_tokens/", &p.m2m_token_id, "/revoke"].concat(), key, json_body::<J>(p)?))
}

/// POST `{base}/m2m_tokens/verify`.
pub(crate) fn verify_request<J: Json>(cfg: &Config, p: &VerifyTokenParams) -> Result<HttpRequest, Error> {
    check_token_argument(&p.token)?;
    let key = cfg.key_for(p.machine_secret_key.as_ref())?;
    #[derive(Serialize)]
    struct Body<'a> {
        token: &'a str,
    }
    Ok(post(cfg, "/m2m_tokens/verify", key, json_body::<J>(&Body { token: p.token.expose() })?))
}

/// A token argument must be a non-empty string of at most [`MAX_TOKEN_BYTES`].
pub(crate) fn check_token_argument(token: &Secret) -> Result<(), Error> {
    if token.is_empty() || token.expose().len() > MAX_TOKEN_BYTES {
        return Err(Error::invalid("token", "a non-empty string of at most 8192 bytes"));
    }
    Ok(())
}

/// GET `{api_url}/{api_version}/jwks` with the instance secret key: the only key that reads it (a machine key is
/// never sent there; without a secret key there is no request, `missing_key`).
pub(crate) fn jwks_request(cfg: &Config) -> Result<HttpRequest, Error> {
    let key = cfg.secret_key.as_ref().ok_or(Error::MissingKey)?;
    Ok(HttpRequest {
        method: Method::Get,
        url: cfg.base_url() + "/jwks",
        authorization: bearer(key),
        body: None,
        all_headers: false,
    })
}

fn is_json_content_type(ct: &str) -> bool {
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads a 2xx JSON body as `T`; `detail` says what was expected when it is not.
pub(crate) fn decode_json<J: Json, T: DeserializeOwned>(resp: &HttpResponse, detail: &'static str) -> Result<T, Error> {
    if resp.header("content-type").is_some_and(|ct| !is_json_content_type(ct)) {
        return Err(Error::InvalidResponse { detail: "the content type is not JSON" });
    }
    J::parse(&resp.body).ok_or(Error::InvalidResponse { detail })
}

/// Decodes a 2xx token answer. `require_token` is set for create, whose answer must carry the token.
pub fn decode_token<J: Json>(resp: &HttpResponse, require_token: bool) -> Result<M2MToken, Error> {
    let token: M2MToken = decode_json::<J, _>(resp, "the body is not a machine token object")?;
    if require_token && token.token.as_ref().is_none_or(Secret::is_empty) {
        return Err(Error::InvalidResponse { detail: "the created token is missing" });
    }
    Ok(token)
}

/// Decodes a 2xx list answer.
pub fn decode_list<J: Json>(resp: &HttpResponse) -> Result<TokenList, Error> {
    decode_json::<J, _>(resp, "the body is not a token list")
}

/// Clerk's error body, read leniently: whatever is missing or malformed is left out.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default, deserialize_with = "lenient")]
    errors: Option<Vec<ClerkError>>,
    #[serde(default, deserialize_with = "lenient")]
    clerk_trace_id: Option<String>,
}

/// Decodes an HTTP error answer; every `secret` found in the body is replaced by `[redacted]` first.
pub fn decode_error<J: Json>(resp: &HttpResponse, secrets: &[&str], now_ms: f64) -> ApiError {
    let body = redact(&resp.body, secrets);
    let parsed: ErrorBody = J::parse(&body).unwrap_or_default();
    let clerk_trace_id = parsed
        .clerk_trace_id
        .filter(|t| !t.is_empty())
        .or_else(|| resp.header("clerk-trace-id").map(str::to_owned))
        .or_else(|| resp.header("cf-ray").map(str::to_owned))
        .map(|t| redact(&t, secrets));
    let retry_after = resp.header("retry-after").and_then(|v| parse_retry_after(v, now_ms));
    // The raw text was redacted; a secret spelt with JSON escapes (`\u0061k_…`) only appears once parsed.
    let mut errors = parsed.errors.unwrap_or_default();
    for error in &mut errors {
        for text in [&mut error.code, &mut error.message, &mut error.long_message] {
            *text = redact(text, secrets);
        }
        if let Some(meta) = &mut error.meta {
            redact_value(meta, secrets);
        }
    }
    ApiError { status: resp.status, errors, clerk_trace_id, retry_after }
}

/// Redacts every string of a JSON value, member names included.
fn redact_value(value: &mut serde_json::Value, secrets: &[&str]) {
    match value {
        serde_json::Value::String(text) => *text = redact(text, secrets),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|item| redact_value(item, secrets)),
        serde_json::Value::Object(members) => {
            let taken = std::mem::take(members);
            for (name, mut member) in taken {
                redact_value(&mut member, secrets);
                members.insert(redact(&name, secrets), member);
            }
        }
        _ => {}
    }
}

/// Why a token Clerk returned must not be accepted, if it must not: revoked, expired, or past `expiration`.
pub(crate) fn dead_token_reason(token: &M2MToken, now_ms: f64) -> Option<Reason> {
    if token.revoked {
        Some(Reason::TokenRevoked)
    } else if token.expired || token.expiration.is_some_and(|exp| (exp as f64) <= now_ms) {
        Some(Reason::TokenExpired)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::SerdeJson;
    use crate::core::model::TokenFormat;
    use serde_json::json;

    const MCH: &str = "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk";
    const MT: &str = "mt_f7f0ba8c3b4843ce7d85fcdd5e71853e";

    fn cfg() -> Config {
        Config {
            machine_secret_key: Some("ak_machine".into()),
            api_url: "http://127.0.0.1:9".into(),
            ..Config::default()
        }
        .validated()
        .unwrap()
    }

    #[test]
    fn a_secret_echoed_with_json_escapes_is_redacted_once_parsed() {
        // The input the property test found: redacting the raw text misses `\u0061k_…`, which parses to `ak_…`.
        let body = r#"{"errors":[{"code":"\u0061k_secret_key","message":"bad \u0061k_secret_key","long_message":"mt_tok\u0065n_x","meta":{"\u0061k_secret_key":["mt_tok\u0065n_x"]}}],"clerk_trace_id":"\u0061k_secret_key"}"#;
        let r = HttpResponse { status: 401, headers: vec![], body: body.into() };
        let e = decode_error::<SerdeJson>(&r, &["ak_secret_key", "mt_token_x"], 0.0);
        let seen = format!("{:?} {:?}", e.errors, e.clerk_trace_id);
        assert!(!seen.contains("ak_secret_key") && !seen.contains("mt_token_x"), "{seen}");
        assert_eq!(e.errors.first().map(|x| x.message.as_str()), Some("bad [redacted]"));
    }

    #[test]
    fn the_jwks_is_read_with_the_secret_key_only() {
        let both =
            Config { machine_secret_key: Some("ak_m".into()), secret_key: Some("sk_s".into()), ..Config::default() };
        let request = jwks_request(&both).unwrap();
        assert_eq!(
            (request.url.as_str(), request.authorization.expose()),
            ("https://api.clerk.com/v1/jwks", "Bearer sk_s")
        );
        let machine_only = Config { machine_secret_key: Some("ak_m".into()), ..Config::default() };
        assert!(matches!(jwks_request(&machine_only), Err(Error::MissingKey)), "a machine key is never sent there");
    }

    #[test]
    fn create_sends_only_what_was_set() {
        let r = create_request::<SerdeJson>(&cfg(), &CreateTokenParams::default()).unwrap();
        assert_eq!(
            (r.method, r.url.as_str(), r.body.as_deref()),
            (Method::Post, "http://127.0.0.1:9/v1/m2m_tokens", Some("{}"))
        );
        assert_eq!(r.authorization.expose(), "Bearer ak_machine");
        let p = CreateTokenParams {
            seconds_until_expiration: Nullable::Value(3600.0),
            claims: Nullable::Value(json!({"role":"reader"})),
            token_format: Some(TokenFormat::Jwt),
            min_remaining_ttl_seconds: Some(60),
            machine_secret_key: Some("ak_other".into()),
        };
        let r = create_request::<SerdeJson>(&cfg(), &p).unwrap();
        assert_eq!(
            r.body.as_deref(),
            Some(
                r#"{"token_format":"jwt","seconds_until_expiration":3600,"claims":{"role":"reader"},"min_remaining_ttl_seconds":60}"#
            )
        );
        assert_eq!(r.authorization.expose(), "Bearer ak_other");
    }

    #[test]
    fn create_sends_nulls_as_null() {
        let p = CreateTokenParams {
            seconds_until_expiration: Nullable::Null,
            claims: Nullable::Null,
            ..Default::default()
        };
        let r = create_request::<SerdeJson>(&cfg(), &p).unwrap();
        assert_eq!(r.body.as_deref(), Some(r#"{"seconds_until_expiration":null,"claims":null}"#));
        let frac = CreateTokenParams { seconds_until_expiration: Nullable::Value(1.5), ..Default::default() };
        assert_eq!(
            create_request::<SerdeJson>(&cfg(), &frac).unwrap().body.as_deref(),
            Some(r#"{"seconds_until_expiration":1.5}"#)
        );
    }

    #[test]
    fn create_refuses_bad_values() {
        for secs in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e19, 9007199254740992.0] {
            let p = CreateTokenParams { seconds_until_expiration: Nullable::Value(secs), ..Default::default() };
            assert!(matches!(
                create_request::<SerdeJson>(&cfg(), &p),
                Err(Error::InvalidArgument { field: "secondsUntilExpiration", .. })
            ));
        }
        let p = CreateTokenParams {
            seconds_until_expiration: Nullable::Value(60.0),
            min_remaining_ttl_seconds: Some(60),
            ..Default::default()
        };
        assert!(matches!(
            create_request::<SerdeJson>(&cfg(), &p),
            Err(Error::InvalidArgument { field: "minRemainingTtlSeconds", .. })
        ));
        let no_key = Config::default();
        assert!(matches!(create_request::<SerdeJson>(&no_key, &CreateTokenParams::default()), Err(Error::MissingKey)));
    }

    #[test]
    fn list_builds_the_query() {
        let p = ListTokensParams {
            subject: MCH.into(),
            revoked: Some(true),
            expired: Some(false),
            limit: Some(5),
            offset: Some(10),
            ..Default::default()
        };
        let r = list_request(&cfg(), &p).unwrap();
        assert_eq!(
            r.url,
            format!("http://127.0.0.1:9/v1/m2m_tokens?subject={MCH}&revoked=true&expired=false&limit=5&offset=10")
        );
        assert!(r.body.is_none() && r.headers().all(|(k, _)| k != "Content-Type"));
        let minimal = list_request(&cfg(), &ListTokensParams { subject: MCH.into(), ..Default::default() }).unwrap();
        assert!(minimal.url.ends_with(&format!("?subject={MCH}")));
    }

    #[test]
    fn list_refuses_bad_values() {
        let bad_subject = ListTokensParams { subject: "mch_short".into(), ..Default::default() };
        assert!(matches!(list_request(&cfg(), &bad_subject), Err(Error::InvalidArgument { field: "subject", .. })));
        for limit in [0, 101] {
            let p = ListTokensParams { subject: MCH.into(), limit: Some(limit), ..Default::default() };
            assert!(matches!(list_request(&cfg(), &p), Err(Error::InvalidArgument { field: "limit", .. })));
        }
    }

    #[test]
    fn revoke_checks_the_id_and_always_sends_an_object() {
        let r =
            revoke_request::<SerdeJson>(&cfg(), &RevokeTokenParams { m2m_token_id: MT.into(), ..Default::default() })
                .unwrap();
        assert_eq!(r.url, format!("http://127.0.0.1:9/v1/m2m_tokens/{MT}/revoke"));
        assert_eq!(r.body.as_deref(), Some("{}"));
        let with_reason = RevokeTokenParams {
            m2m_token_id: MT.into(),
            revocation_reason: Nullable::Value("rotated \"x\"".into()),
            ..Default::default()
        };
        assert_eq!(
            revoke_request::<SerdeJson>(&cfg(), &with_reason).unwrap().body.as_deref(),
            Some(r#"{"revocation_reason":"rotated \"x\""}"#)
        );
        let null_reason =
            RevokeTokenParams { m2m_token_id: MT.into(), revocation_reason: Nullable::Null, ..Default::default() };
        assert_eq!(
            revoke_request::<SerdeJson>(&cfg(), &null_reason).unwrap().body.as_deref(),
            Some(r#"{"revocation_reason":null}"#)
        );
        for bad in ["../verify", "mt_123", "mt_f7f0ba8c3b4843ce7d85fcdd5e71853e/../../x"] {
            let p = RevokeTokenParams { m2m_token_id: bad.into(), ..Default::default() };
            assert!(matches!(
                revoke_request::<SerdeJson>(&cfg(), &p),
                Err(Error::InvalidArgument { field: "m2mTokenId", .. })
            ));
        }
    }

    #[test]
    fn verify_puts_the_token_in_the_body_only() {
        let p = VerifyTokenParams { token: "mt_secret_value".into(), machine_secret_key: None };
        let r = verify_request::<SerdeJson>(&cfg(), &p).unwrap();
        assert_eq!(r.body.as_deref(), Some(r#"{"token":"mt_secret_value"}"#));
        assert!(!r.url.contains("mt_secret_value"));
        let empty = VerifyTokenParams { token: "".into(), machine_secret_key: None };
        assert!(matches!(
            verify_request::<SerdeJson>(&cfg(), &empty),
            Err(Error::InvalidArgument { field: "token", .. })
        ));
        let huge = VerifyTokenParams { token: "m".repeat(MAX_TOKEN_BYTES + 1).into(), machine_secret_key: None };
        assert!(matches!(
            verify_request::<SerdeJson>(&cfg(), &huge),
            Err(Error::InvalidArgument { field: "token", .. })
        ));
    }

    fn resp(status: u16, ct: &str, body: &str) -> HttpResponse {
        HttpResponse { status, headers: vec![("content-type".into(), ct.into())], body: body.into() }
    }

    #[test]
    fn decoding_rejects_what_is_not_a_token() {
        let ok = r#"{"object":"machine_to_machine_token","id":"mt_1","subject":"mch_1","revoked":false,"expired":false,
            "expiration":null,"last_used_at":null,"created_at":1,"updated_at":1,"revocation_reason":null}"#;
        assert!(decode_token::<SerdeJson>(&resp(200, "application/json; charset=utf-8", ok), false).is_ok());
        assert!(matches!(
            decode_token::<SerdeJson>(&resp(201, "application/json", ok), true),
            Err(Error::InvalidResponse { .. })
        ));
        for (ct, body) in [
            ("text/html", ok),
            ("application/json", "{"),
            ("application/json", r#"{"id":5}"#),
            (
                "application/json",
                r#"{"id":"mt_1","subject":"mch_1","revoked":"no","expired":false,"created_at":1,"updated_at":1}"#,
            ),
            ("application/json", "[]"),
            ("application/json", ""),
        ] {
            assert!(
                matches!(decode_token::<SerdeJson>(&resp(200, ct, body), false), Err(Error::InvalidResponse { .. })),
                "{body}"
            );
        }
        let list = r#"{"m2m_tokens":[],"total_count":0}"#;
        assert_eq!(decode_list::<SerdeJson>(&resp(200, "application/json", list)).unwrap().total_count, 0);
        assert!(decode_list::<SerdeJson>(&resp(200, "application/json", r#"{"data":[]}"#)).is_err());
    }

    #[test]
    fn errors_carry_codes_trace_ids_and_retry_after_without_secrets() {
        let body = r#"{"errors":[{"code":"form_param_invalid","message":"bad","long_message":"ak_machine is wrong","meta":{"param":"x"}}],"clerk_trace_id":"trace_1"}"#;
        let mut r = resp(422, "application/json", body);
        r.headers.push(("retry-after".into(), "7".into()));
        let e = decode_error::<SerdeJson>(&r, &["ak_machine"], 0.0);
        assert_eq!(
            (e.status, e.code(), e.clerk_trace_id.as_deref(), e.retry_after),
            (422, "form_param_invalid", Some("trace_1"), Some(7))
        );
        assert_eq!(e.errors[0].long_message, "[redacted] is wrong");
        assert_eq!(e.errors[0].meta, Some(json!({"param":"x"})));
        let mut html = resp(502, "text/html", "<html>bad gateway</html>");
        html.headers.push(("cf-ray".into(), "ray123".into()));
        let e = decode_error::<SerdeJson>(&html, &[], 0.0);
        assert_eq!((e.code(), e.clerk_trace_id.as_deref(), e.errors.len()), ("api_error", Some("ray123"), 0));
        html.headers.push(("clerk-trace-id".into(), "ct".into()));
        assert_eq!(decode_error::<SerdeJson>(&html, &[], 0.0).clerk_trace_id.as_deref(), Some("ct"));
    }

    #[test]
    fn dead_tokens_are_recognised() {
        let mut t: M2MToken = serde_json::from_str(
            r#"{"id":"mt_1","subject":"mch_1","revoked":false,"expired":false,"created_at":1,"updated_at":1,"expiration":2000}"#,
        )
        .unwrap();
        assert_eq!(dead_token_reason(&t, 1999.0), None);
        assert_eq!(dead_token_reason(&t, 2000.0), Some(Reason::TokenExpired));
        t.expiration = None;
        assert_eq!(dead_token_reason(&t, 1e15), None);
        t.expired = true;
        assert_eq!(dead_token_reason(&t, 0.0), Some(Reason::TokenExpired));
        t.revoked = true;
        assert_eq!(dead_token_reason(&t, 0.0), Some(Reason::TokenRevoked));
    }
}
