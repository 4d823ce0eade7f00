//! Client configuration: keys, API location, timeouts and retries, validated once.
//! Owns defaults and key selection; must not do I/O.

use crate::error::Error;
use crate::secret::Secret;
use crate::validate::is_header_safe;

/// Clerk's production Backend API.
pub const DEFAULT_API_URL: &str = "https://api.clerk.com";
/// The path version segment.
pub const DEFAULT_API_VERSION: &str = "v1";
/// The per-attempt timeout.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// Retries after the first attempt, for operations that may repeat.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The most retries a client may be configured with.
pub const MAX_RETRIES_LIMIT: u32 = 10;
/// The dated API version sent in `Clerk-API-Version`.
pub const CLERK_API_VERSION: &str = "2026-05-12";
/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("clerk-m2m-edge/", env!("CARGO_PKG_VERSION"));

/// How a client reaches Clerk. Build with [`Config::default`] and set fields, then pass to `Client::new`.
#[derive(Clone, Debug)]
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
            return Err(Error::invalid("apiUrl", "an http:// or https:// URL without query or fragment"));
        }
        self.api_url = url.to_owned();
        let version_ok = !self.api_version.is_empty()
            && self.api_version.len() <= 32
            && self.api_version.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
        if !version_ok {
            return Err(Error::invalid("apiVersion", "a path segment such as v1"));
        }
        if self.timeout_ms == 0 {
            return Err(Error::invalid("timeoutMs", "a positive number of milliseconds"));
        }
        if self.max_retries > MAX_RETRIES_LIMIT {
            return Err(Error::invalid("maxRetries", "an integer from 0 to 10"));
        }
        Ok(self)
    }

    /// The key for a call: the call's own, else the machine key, else the secret key.
    pub fn key_for<'a>(&'a self, per_call: Option<&'a Secret>) -> Result<&'a Secret, Error> {
        per_call
            .filter(|k| !k.is_empty())
            .or(self.machine_secret_key.as_ref())
            .or(self.secret_key.as_ref())
            .ok_or(Error::MissingKey)
    }

    /// `{api_url}/{api_version}`.
    pub fn base_url(&self) -> String {
        let mut s = String::with_capacity(self.api_url.len() + 1 + self.api_version.len());
        s.push_str(&self.api_url);
        s.push('/');
        s.push_str(&self.api_version);
        s
    }
}

/// Validates a key given as an option: empty means absent; anything else must be header-safe.
pub fn checked_key(key: Option<Secret>, field: &'static str) -> Result<Option<Secret>, Error> {
    match key {
        Some(k) if k.is_empty() => Ok(None),
        Some(k) if !is_header_safe(k.expose()) => {
            Err(Error::invalid(field, "a key of visible ASCII characters without spaces"))
        }
        other => Ok(other),
    }
}

fn is_http_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let host = rest.split('/').next().unwrap_or("");
    !host.is_empty() && !host.contains('@') && url.bytes().all(|b| b.is_ascii_graphic()) && !url.contains(['?', '#'])
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
    fn key_precedence_and_missing_key() {
        let c =
            Config { machine_secret_key: Some("ak_m".into()), secret_key: Some("sk_s".into()), ..Config::default() };
        let call = Secret::from("ak_call");
        assert_eq!(c.key_for(Some(&call)).unwrap().expose(), "ak_call");
        assert_eq!(c.key_for(None).unwrap().expose(), "ak_m");
        let only_sk = Config { secret_key: Some("sk_s".into()), ..Config::default() };
        assert_eq!(only_sk.key_for(None).unwrap().expose(), "sk_s");
        assert_eq!(Config::default().key_for(None).unwrap_err().code(), "missing_key");
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
        assert!(Config { max_retries: 11, ..Config::default() }.validated().is_err());
        assert!(Config { api_version: "v1/../x".into(), ..Config::default() }.validated().is_err());
    }
}
