//! Plain descriptions of an HTTP request and response, the currency between the core and the edge, and the
//! [`Transport`] the edge provides. Owns header lookup and `Retry-After` parsing; must not perform I/O.

use crate::core::config::{CLERK_API_VERSION, USER_AGENT};
use crate::core::secret::Secret;
use std::fmt;

/// Why a request got no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// Refused, reset, unreachable, or the body could not be read.
    Network,
    /// No full answer within the timeout; the request was aborted.
    Timeout,
}

/// What a client needs from the runtime: one attempt, a timer, a clock and randomness. The edge layer's
/// `FetchTransport` is the real one; tests script their own.
#[allow(async_fn_in_trait)] // wasm is single-threaded: no Send bound is wanted.
pub trait Transport {
    /// Sends one attempt and reads the whole body, aborting after `timeout_ms`. Dropping the future aborts the
    /// request.
    async fn send(&self, request: &HttpRequest, timeout_ms: u32) -> Result<HttpResponse, TransportError>;
    /// Waits `ms` milliseconds.
    async fn sleep(&self, ms: u32);
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
    /// A uniform random number in `[0, 1)`, for jitter.
    fn random(&self) -> f64;
}

/// HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
}

impl Method {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// The response headers the client decides on, read when not every header is wanted.
pub(crate) const DECISIVE_HEADERS: [&str; 4] = ["content-type", "retry-after", "clerk-trace-id", "cf-ray"];

/// A request to Clerk, ready to send.
#[derive(Clone)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL, query included.
    pub url: String,
    /// The whole `Authorization` header value (`Bearer …`).
    pub authorization: Secret,
    /// JSON body (may carry a token, so it is never printed).
    pub body: Option<String>,
    /// Whether the caller needs every response header; otherwise only [`DECISIVE_HEADERS`] are read.
    pub all_headers: bool,
}

impl HttpRequest {
    /// The same request, asking for every response header or not.
    pub fn with_all_headers(mut self, all: bool) -> Self {
        self.all_headers = all;
        self
    }

    /// Every header to send, `Authorization` included.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let content_type = self.body.as_ref().map(|_| ("Content-Type", "application/json"));
        [
            ("Authorization", self.authorization.expose()),
            ("Accept", "application/json"),
            ("Clerk-API-Version", CLERK_API_VERSION),
            ("User-Agent", USER_AGENT),
        ]
        .into_iter()
        .chain(content_type)
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("authorization", &self.authorization)
            .field("body_bytes", &self.body.as_ref().map(String::len))
            .field("all_headers", &self.all_headers)
            .finish()
    }
}

/// A response from Clerk, body read in full.
#[derive(Clone, Debug, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl HttpResponse {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// `Retry-After` in whole seconds: delta-seconds, or an IMF-fixdate relative to `now_ms`.
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<u32> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value.parse::<u64>().map_or(u32::MAX, |v| v.min(u32::MAX as u64) as u32));
    }
    let at_ms = parse_http_date(value)? as f64 * 1000.0;
    let delta = ((at_ms - now_ms) / 1000.0).ceil();
    Some(if delta <= 0.0 { 0 } else { delta.min(u32::MAX as f64) as u32 })
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) into Unix seconds.
fn parse_http_date(s: &str) -> Option<i64> {
    let mut parts = s.split_ascii_whitespace();
    let _weekday = parts.next()?.strip_suffix(',')?;
    let day: i64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next()? != "GMT" || parts.next().is_some() || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3", 0.0), Some(3));
        assert_eq!(parse_retry_after(" 0 ", 0.0), Some(0));
        assert_eq!(parse_retry_after("99999999999999", 0.0), Some(u32::MAX));
        let now = 784_111_777_000.0; // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), Some(10));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(0));
        for bad in ["", "-1", "1.5", "soon", "Sun, 06 Nov 1994 08:49:47 UTC", "Sun, 32 Nov 1994 08:49:47 GMT"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn header_lookup_is_case_insensitive() {
        let r = HttpResponse { status: 200, headers: vec![("cf-ray".into(), "abc".into())], body: String::new() };
        assert_eq!(r.header("CF-Ray"), Some("abc"));
        assert_eq!(r.header("x"), None);
    }

    #[test]
    fn request_debug_hides_key_and_body() {
        let r = HttpRequest {
            method: Method::Post,
            url: "https://x/v1/m2m_tokens/verify".into(),
            authorization: Secret::new("Bearer ak_secret"),
            body: Some(r#"{"token":"mt_secret"}"#.into()),
            all_headers: false,
        };
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("ak_secret") && !dbg.contains("mt_secret"));
        let names: Vec<_> = r.headers().map(|(k, _)| k).collect();
        assert_eq!(names, ["Authorization", "Accept", "Clerk-API-Version", "User-Agent", "Content-Type"]);
    }
}
