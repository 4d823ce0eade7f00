//! Client configuration — keys, API location, timeouts and retries, validated once — and the shape checks of
//! ids and keys (the only place they are checked). Must not do I/O.

use crate::core::error::Error;
use crate::core::secret::Secret;

/// Clerk's production Backend API.
pub(crate) const DEFAULT_API_URL: &str = "https://api.clerk.com";
/// The path version segment.
pub(crate) const DEFAULT_API_VERSION: &str = "v1";
/// The per-attempt timeout.
pub(crate) const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// The longest per-attempt timeout (the largest delay a JS timer accepts).
pub(crate) const MAX_TIMEOUT_MS: u32 = i32::MAX as u32;
/// Retries after the first attempt, for operations that may repeat.
pub(crate) const DEFAULT_MAX_RETRIES: u32 = 2;
/// The most retries a client may be configured with.
pub(crate) const MAX_RETRIES_LIMIT: u32 = 10;
/// The dated API version sent in `Clerk-API-Version`.
pub(crate) const CLERK_API_VERSION: &str = "2026-05-12";
/// `User-Agent` of every request.
pub(crate) const USER_AGENT: &str = concat!("clerk-m2m-edge/", env!("CARGO_PKG_VERSION"));
/// What a machine id must look like, as error messages say it.
pub(crate) const MACHINE_ID_SHAPE: &str = "a machine id: mch_ followed by 27 letters, digits or _";
/// What `apiUrl` must be, as error messages say it.
pub(crate) const API_URL_SHAPE: &str = "an https:// URL (http:// only to a loopback host), without query or fragment";
/// What a token source's `origins` must be, as error messages say it.
pub(crate) const ORIGINS_SHAPE: &str =
    "a non-empty array of origins (https://host[:port]; http:// only to a loopback host) the token may be sent to";
/// What a token id must look like, as error messages say it.
pub(crate) const TOKEN_ID_SHAPE: &str = "a token id: mt_ followed by 32 hexadecimal digits";

/// How a client reaches Clerk. Build with [`Config::default`] and set fields, then pass to `Client::new`.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The Machine Secret Key (`ak_…`): needed to create tokens; used first for the other calls.
    pub machine_secret_key: Option<Secret>,
    /// The instance Secret Key (`sk_…`): used when no machine key is set; needed for the JWKS.
    pub secret_key: Option<Secret>,
    /// Base URL, default `https://api.clerk.com`.
    pub api_url: String,
    /// Path version, default `v1`.
    pub api_version: String,
    /// Per-attempt timeout in milliseconds, default 10000.
    pub timeout_ms: u32,
    /// Retries for operations that may repeat, default 2.
    pub max_retries: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            machine_secret_key: None,
            secret_key: None,
            api_url: DEFAULT_API_URL.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            max_retries: DEFAULT_MAX_RETRIES,
        }
    }
}

impl Config {
    /// Checks every field and normalises `api_url` (no trailing `/`). Empty keys count as absent.
    pub fn validated(mut self) -> Result<Config, Error> {
        self.machine_secret_key = checked_key(self.machine_secret_key, "machineSecretKey")?;
        self.secret_key = checked_key(self.secret_key, "secretKey")?;
        let url = self.api_url.trim_end_matches('/');
        if !is_http_url(url) {
            return Err(Error::invalid("apiUrl", API_URL_SHAPE));
        }
        self.api_url = url.to_owned();
        let version_ok = !self.api_version.is_empty()
            && self.api_version.len() <= 32
            && self.api_version.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
        if !version_ok {
            return Err(Error::invalid("apiVersion", "a path segment such as v1"));
        }
        if self.timeout_ms == 0 || self.timeout_ms > MAX_TIMEOUT_MS {
            return Err(Error::invalid("timeoutMs", "a positive number of milliseconds, at most 2147483647"));
        }
        if self.max_retries > MAX_RETRIES_LIMIT {
            return Err(Error::invalid("maxRetries", "an integer from 0 to 10"));
        }
        Ok(self)
    }

    /// The key for a call: the call's own (`machineSecretKey`, checked like the client's), else the machine key,
    /// else the secret key.
    pub fn key_for<'a>(&'a self, per_call: Option<&'a Secret>) -> Result<&'a Secret, Error> {
        let per_call = per_call.filter(|k| !k.is_empty());
        if per_call.is_some_and(|k| !is_header_safe(k.expose())) {
            return Err(Error::invalid("machineSecretKey", "a key of visible ASCII characters without spaces"));
        }
        per_call.or(self.machine_secret_key.as_ref()).or(self.secret_key.as_ref()).ok_or(Error::MissingKey)
    }

    /// `{api_url}/{api_version}`.
    pub fn base_url(&self) -> String {
        [self.api_url.as_str(), "/", &self.api_version].concat()
    }

    /// True when some key (machine or secret) is configured.
    pub fn has_key(&self) -> bool {
        self.machine_secret_key.is_some() || self.secret_key.is_some()
    }
}

/// Validates a key given as an option: empty means absent; anything else must be header-safe.
pub(crate) fn checked_key(key: Option<Secret>, field: &'static str) -> Result<Option<Secret>, Error> {
    match key {
        Some(k) if k.is_empty() => Ok(None),
        Some(k) if !is_header_safe(k.expose()) => {
            Err(Error::invalid(field, "a key of visible ASCII characters without spaces"))
        }
        other => Ok(other),
    }
}

/// Checks an optional machine id given as the option `field`.
pub(crate) fn checked_machine_id(id: Option<String>, field: &'static str) -> Result<Option<String>, Error> {
    match id {
        Some(id) if !is_machine_id(&id) => Err(Error::invalid(field, MACHINE_ID_SHAPE)),
        other => Ok(other),
    }
}

/// `https://…`, or `http://…` to a loopback host (a key or token must not cross a network in clear text); no
/// credentials, query or fragment.
fn is_http_url(url: &str) -> bool {
    let (rest, secure) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (rest, true),
        (None, Some(rest)) => (rest, false),
        (None, None) => return false,
    };
    let authority = rest.split('/').next().unwrap_or("");
    let well_formed = !authority.is_empty()
        && !authority.contains('@')
        && url.bytes().all(|b| b.is_ascii_graphic())
        && !url.contains(['?', '#']);
    well_formed && (secure || is_loopback_host(host_of(authority)))
}

/// The host of `host[:port]` (an IPv6 literal keeps its brackets).
fn host_of(authority: &str) -> &str {
    match authority.strip_prefix('[') {
        Some(v6) => {
            v6.split(']').next().map_or(authority, |inner| authority.get(..inner.len() + 2).unwrap_or(authority))
        }
        None => authority.split(':').next().unwrap_or(authority),
    }
}

/// `localhost`, an address of 127.0.0.0/8 (four decimal parts), or `[::1]`: the hosts `http:` may reach.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts.first() == Some(&"127")
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts.iter().all(|p| p.parse::<u16>().is_ok_and(|n| n <= 255))
}

/// `mch_` followed by exactly 27 word characters (`[A-Za-z0-9_]`).
pub(crate) fn is_machine_id(s: &str) -> bool {
    s.strip_prefix("mch_").is_some_and(|rest| rest.len() == 27 && rest.bytes().all(is_word_byte))
}

/// `mt_` followed by exactly 32 hexadecimal digits: the id of a token (not the token itself).
pub(crate) fn is_token_id(s: &str) -> bool {
    s.strip_prefix("mt_").is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A key that can travel in an HTTP header unchanged: 1–4096 visible ASCII characters, no spaces.
pub(crate) fn is_header_safe(s: &str) -> bool {
    !s.is_empty() && s.len() <= 4096 && s.bytes().all(|b| b.is_ascii_graphic())
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(url: &str) -> Result<Config, Error> {
        Config { api_url: url.into(), ..Config::default() }.validated()
    }

    #[test]
    fn api_url_is_checked_and_normalised() {
        assert_eq!(cfg("http://127.0.0.1:8080/").unwrap().base_url(), "http://127.0.0.1:8080/v1");
        assert_eq!(cfg("https://api.clerk.com").unwrap().base_url(), "https://api.clerk.com/v1");
        for bad in ["", "ftp://x", "https://", "api.clerk.com", "https://a b", "https://x?y=1", "https://u@x"] {
            assert_eq!(cfg(bad).unwrap_err().code(), "invalid_argument", "{bad}");
        }
    }

    #[test]
    fn http_reaches_loopback_hosts_only() {
        for ok in ["http://127.0.0.1:8080", "http://127.255.0.9", "http://localhost:3000/x", "http://[::1]:9"] {
            assert!(cfg(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.clerk.com",
            "http://10.0.0.1",
            "http://128.0.0.1",
            "http://127.0.0.1.evil.example",
            "http://127.1",
            "http://localhost.evil.example",
            "http://[::2]",
            "http://127.0.0.256",
            "http://evil.example#@127.0.0.1",
        ] {
            assert!(cfg(bad).is_err(), "{bad}");
        }
        assert!(is_loopback_host("LOCALHOST") && !is_loopback_host("127.0.0") && !is_loopback_host(""));
    }

    #[test]
    fn key_precedence_and_missing_key() {
        let c =
            Config { machine_secret_key: Some("ak_m".into()), secret_key: Some("sk_s".into()), ..Config::default() };
        let call = Secret::from("ak_call");
        assert_eq!(c.key_for(Some(&call)).unwrap().expose(), "ak_call");
        assert_eq!(c.key_for(None).unwrap().expose(), "ak_m");
        let only_sk = Config { secret_key: Some("sk_s".into()), ..Config::default() };
        assert_eq!(only_sk.key_for(None).unwrap().expose(), "sk_s");
        assert_eq!(Config::default().key_for(None).unwrap_err().code(), "missing_key");
        let spaced = Secret::from("ak with space");
        assert!(matches!(c.key_for(Some(&spaced)), Err(Error::InvalidArgument { field: "machineSecretKey", .. })));
    }

    #[test]
    fn keys_must_be_header_safe_and_empty_means_absent() {
        let c = Config { secret_key: Some("".into()), ..Config::default() }.validated().unwrap();
        assert!(c.secret_key.is_none());
        let bad = Config { secret_key: Some("sk_x\r\nX-Evil: 1".into()), ..Config::default() }.validated();
        let err = bad.unwrap_err();
        assert_eq!(err.code(), "invalid_argument");
        assert!(!err.to_string().contains("sk_x"));
    }

    #[test]
    fn limits() {
        assert!(Config { timeout_ms: 0, ..Config::default() }.validated().is_err());
        assert!(Config { timeout_ms: MAX_TIMEOUT_MS + 1, ..Config::default() }.validated().is_err());
        assert!(Config { max_retries: 11, ..Config::default() }.validated().is_err());
        assert!(Config { api_version: "v1/../x".into(), ..Config::default() }.validated().is_err());
    }

    #[test]
    fn machine_ids() {
        assert!(is_machine_id("mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk"));
        for bad in [
            "",
            "mch_",
            "mch_2xhFjEI5X2qWRvtV13BzSj8H6D",
            "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dkk",
            "mch_2xhFjEI5X2qWRvtV13BzSj8H6D-",
            "MCH_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
            "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dé",
        ] {
            assert!(!is_machine_id(bad), "{bad}");
        }
        assert!(checked_machine_id(Some("mch_x".into()), "machineId").is_err());
        assert!(checked_machine_id(None, "machineId").unwrap().is_none());
    }

    #[test]
    fn token_ids() {
        assert!(is_token_id("mt_f7f0ba8c3b4843ce7d85fcdd5e71853e"));
        assert!(is_token_id("mt_F7F0BA8C3B4843CE7D85FCDD5E71853E"));
        for bad in [
            "mt_f7f0ba8c3b4843ce7d85fcdd5e71853",
            "mt_f7f0ba8c3b4843ce7d85fcdd5e71853g",
            "mt_../../m2m_tokens/verify00000000",
            "mt_f7f0ba8c3b4843ce7d85fcdd5e71853e/",
            "",
        ] {
            assert!(!is_token_id(bad), "{bad}");
        }
    }

    #[test]
    fn header_safe_keys() {
        assert!(is_header_safe("sk_test_abc"));
        for bad in ["", "a b", "a\nb", "a\rb", "ключ", "a\tb"] {
            assert!(!is_header_safe(bad), "{bad:?}");
        }
        assert!(!is_header_safe(&"a".repeat(4097)));
    }
}
