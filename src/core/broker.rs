//! The token broker's contract, pure: what an isolate's token source asks the broker (a Durable Object) for —
//! [`BrokerAsk`], one JSON text per ask — and when the broker refreshes the token it holds ahead of its callers
//! ([`refresh_ahead_at`]). The answer is the token source's sealed store entry (`core::token_source`), so the
//! asker checks it under its own key like any store entry. Owns the ask's shape and the refresh-ahead rule; must
//! not mint, store, fetch or read the clock.

use crate::core::config::Config;
use crate::core::error::Error;
use crate::core::json::Json;
use crate::core::model::{CreateTokenParams, Nullable, TokenFormat};
use crate::core::secret::Secret;
use crate::core::token_source::Timing;
use serde::{Deserialize, Serialize, Serializer};

/// What the broker's answer to a malformed ask says was wrong.
const ASK_SHAPE: &str = "a token broker ask from this package's token source";

/// One ask of an isolate's token source: the configuration the broker mints with (Clerk's URL, the machine key,
/// the mint's options, the refresh margin, Clerk's pooling) and, after a callee refused the asker's token, that
/// token's digest (never the token) so that the broker gives it up too. Travels only over the Durable Object
/// binding; the broker keeps the key in memory and never stores, logs or returns it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BrokerAsk {
    api_url: String,
    api_version: String,
    timeout_ms: u32,
    max_retries: u32,
    #[serde(serialize_with = "exposed")]
    machine_secret_key: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_format: Option<TokenFormat>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    seconds_until_expiration: Nullable<f64>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    claims: Nullable<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_before_seconds: Option<f64>,
    /// Clerk's pooling for opaque tokens (`min_remaining_ttl_seconds`), `None`: never pooled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pool_min_remaining_s: Option<u64>,
    /// Hex digest of a token the asker gave up on (a callee's 401).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) give_up: Option<String>,
}

/// Writes the machine key: the one field of an ask that carries it (over the binding, to the broker).
fn exposed<S: Serializer>(secret: &Secret, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose())
}

/// What a broker builds its token source from, read out of an ask.
pub(crate) struct BrokerConfig {
    pub(crate) config: Config,
    pub(crate) params: CreateTokenParams,
    pub(crate) refresh_before_seconds: Option<f64>,
    pub(crate) pool_min_remaining_s: Option<u64>,
}

impl BrokerAsk {
    /// The ask of a token source minting with `config` and `params` (whose own key, when set, wins).
    pub(crate) fn new(
        config: &Config,
        params: &CreateTokenParams,
        refresh_before_seconds: Option<f64>,
        pool_min_remaining_s: Option<u64>,
    ) -> Result<BrokerAsk, Error> {
        Ok(BrokerAsk {
            api_url: config.api_url.clone(),
            api_version: config.api_version.clone(),
            timeout_ms: config.timeout_ms,
            max_retries: config.max_retries,
            machine_secret_key: config.key_for(params.machine_secret_key.as_ref())?.clone(),
            token_format: params.token_format,
            seconds_until_expiration: params.seconds_until_expiration.clone(),
            claims: params.claims.clone(),
            refresh_before_seconds,
            pool_min_remaining_s,
            give_up: None,
        })
    }

    /// The ask as the broker receives it; `invalid_argument` (`ask`) when it is not one.
    pub(crate) fn read<J: Json>(text: &str) -> Result<BrokerAsk, Error> {
        J::parse::<BrokerAsk>(text).ok_or(Error::invalid("ask", ASK_SHAPE))
    }

    /// The ask's text, to send.
    pub(crate) fn write<J: Json>(&self) -> Result<String, Error> {
        J::write(self).ok_or(Error::invalid("ask", ASK_SHAPE))
    }

    /// The configuration it asks the broker to mint with, validated as a client's would be (an `http:` URL only
    /// to a loopback host, a well-formed key): a broker mints for nothing a client could not.
    pub(crate) fn into_config(self) -> Result<BrokerConfig, Error> {
        if self.machine_secret_key.is_empty() {
            return Err(Error::MissingKey);
        }
        let config = Config {
            machine_secret_key: Some(self.machine_secret_key),
            secret_key: None,
            api_url: self.api_url,
            api_version: self.api_version,
            timeout_ms: self.timeout_ms,
            max_retries: self.max_retries,
        }
        .validated()?;
        let params = CreateTokenParams {
            token_format: self.token_format,
            seconds_until_expiration: self.seconds_until_expiration,
            claims: self.claims,
            ..CreateTokenParams::default()
        };
        Ok(BrokerConfig {
            config,
            params,
            refresh_before_seconds: self.refresh_before_seconds,
            pool_min_remaining_s: self.pool_min_remaining_s,
        })
    }
}

/// How far ahead of its callers' refresh time a broker mints, at most: far more than a mint takes, and little
/// against a token's lifetime (each second ahead is a second of the token unused).
pub(crate) const MAX_REFRESH_AHEAD_MS: f64 = 30_000.0;

/// When a broker that obtained a token at `obtained_at_ms` mints its successor: ahead of the callers' refresh
/// time by half the margin, at most [`MAX_REFRESH_AHEAD_MS`], and never earlier than halfway between obtaining it
/// and that time — so a caller whose token reaches its margin finds the next one waiting, the fleet mints little
/// more than once per `lifetime − margin`, and a short-lived token is not minted in a loop. `None` for a token
/// that never expires.
pub(crate) fn refresh_ahead_at(timing: Timing, obtained_at_ms: f64) -> Option<f64> {
    let (expires, refresh) = (timing.expires_at_ms?, timing.refresh_at_ms?);
    let ahead = ((expires - refresh) / 2.0).min(MAX_REFRESH_AHEAD_MS).min((refresh - obtained_at_ms).max(0.0) / 2.0);
    Some(refresh - ahead)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::SerdeJson;

    fn ask() -> BrokerAsk {
        let config = Config {
            machine_secret_key: Some("ak_broker_secret".into()),
            api_url: "http://127.0.0.1:9".into(),
            ..Config::default()
        };
        let params = CreateTokenParams {
            token_format: Some(TokenFormat::Jwt),
            seconds_until_expiration: Nullable::Value(600.0),
            claims: Nullable::Value(serde_json::json!({ "fleet": 1 })),
            ..CreateTokenParams::default()
        };
        BrokerAsk::new(&config, &params, Some(60.0), None).unwrap()
    }

    #[test]
    fn an_ask_round_trips_into_the_configuration_it_was_made_from() {
        let mut sent = ask();
        sent.give_up = Some("ab".repeat(16));
        let text = sent.write::<SerdeJson>().unwrap();
        let read = BrokerAsk::read::<SerdeJson>(&text).unwrap();
        assert_eq!(read.give_up.as_deref(), Some(&*"ab".repeat(16)));
        let BrokerConfig { config, params, refresh_before_seconds, pool_min_remaining_s } = read.into_config().unwrap();
        assert_eq!(config.machine_secret_key.unwrap().expose(), "ak_broker_secret");
        assert_eq!((config.api_url.as_str(), config.secret_key), ("http://127.0.0.1:9", None));
        assert_eq!(params.token_format, Some(TokenFormat::Jwt));
        assert_eq!(params.seconds_until_expiration, Nullable::Value(600.0));
        assert_eq!(params.claims, Nullable::Value(serde_json::json!({ "fleet": 1 })));
        assert_eq!((refresh_before_seconds, pool_min_remaining_s), (Some(60.0), None));
    }

    #[test]
    fn a_broker_mints_for_nothing_a_client_could_not() {
        // The ask's URL and key are checked as a client checks them: no http: to a remote host, no empty key.
        let text = ask().write::<SerdeJson>().unwrap();
        for (from, to) in [("http://127.0.0.1:9", "http://evil.example"), ("ak_broker_secret", "")] {
            let ask = BrokerAsk::read::<SerdeJson>(&text.replace(from, to)).unwrap();
            assert!(ask.into_config().is_err(), "{to}");
        }
        for junk in ["", "{}", "null", &text.replace("\"api_url\"", "\"apiUrl\""), &text.replace('}', ",\"x\":1}")] {
            assert!(BrokerAsk::read::<SerdeJson>(junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn the_broker_refreshes_half_a_margin_ahead_at_most_30_s_never_before_halfway() {
        let t = |expires: f64, refresh: f64| Timing { expires_at_ms: Some(expires), refresh_at_ms: Some(refresh) };
        // An hour, a 6-minute margin: callers refresh at 54 min, the broker 30 s before.
        assert_eq!(refresh_ahead_at(t(3_600_000.0, 3_240_000.0), 0.0), Some(3_210_000.0));
        // 12 s, a 4 s margin: half the margin ahead.
        assert_eq!(refresh_ahead_at(t(12_000.0, 8_000.0), 0.0), Some(6_000.0));
        // A margin of nearly the lifetime: halfway to the callers' refresh time, not at once.
        assert_eq!(refresh_ahead_at(t(12_000.0, 2_000.0), 0.0), Some(1_000.0));
        // A token obtained already inside the callers' margin: due at their refresh time, when it was obtained.
        assert_eq!(refresh_ahead_at(t(600_000.0, 300_000.0), 400_000.0), Some(300_000.0));
        assert_eq!(refresh_ahead_at(Timing::NEVER, 0.0), None);
    }
}
