//! Secrets — API keys and tokens — in one type that never prints its value.
//! Owns redaction; must not offer any way to format the value except `expose`.

use serde::{Deserialize, Deserializer, Serializer};
use std::fmt;

/// A key or token. `Debug` prints `Secret([redacted])`; there is no `Display`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps a secret string.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().into_boxed_str())
    }

    /// The secret value, for the one place that must send it (an HTTP header or body).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::from)
    }
}

/// Writes the secret's value: for the one field that must carry it out (the `token` of a created token).
pub(crate) fn serialize_exposed<S: Serializer>(secret: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(value) => s.serialize_str(value.expose()),
        None => s.serialize_none(),
    }
}

/// Replaces every occurrence of each non-empty secret in `text` with `[redacted]`.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret) {
            out = out.replace(secret, "[redacted]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("ak_live_supersecret");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.expose(), "ak_live_supersecret");
    }

    #[test]
    fn redact_replaces_every_occurrence() {
        let text = r#"{"message":"bad key ak_123456 and ak_123456","token":"mt_abcdef"}"#;
        let out = redact(text, &["ak_123456", "mt_abcdef", ""]);
        assert!(!out.contains("ak_123456") && !out.contains("mt_abcdef"));
        assert_eq!(out.matches("[redacted]").count(), 3);
    }
}
