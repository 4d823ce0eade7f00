//! The caller's side, pure: when a minted token is still good, when to mint anew, how long to back off after a
//! failed refresh, what a shared-store entry holds, and when a callee's 401 is worth one re-mint.
//! Owns those rules; must not mint, fetch, sleep or read the clock (time comes in as an argument).

use crate::core::api::create_request;
use crate::core::config::Config;
use crate::core::error::Error;
use crate::core::guard::cache::{digest_of, MIN_STORE_TTL_S};
use crate::core::json::Json;
use crate::core::model::{CreateTokenParams, M2MToken, Nullable, MAX_SAFE_INTEGER};
use crate::core::sealed::{SealKey, STORE_KEY_PREFIX};
use crate::core::secret::Secret;
use serde::{Deserialize, Serialize};

/// The default refresh margin is this share of a token's lifetime…
pub(crate) const DEFAULT_MARGIN_SHARE: f64 = 0.1;
/// …but at least this many seconds…
pub(crate) const MIN_DEFAULT_MARGIN_S: f64 = 30.0;
/// …and at most half the lifetime.
pub(crate) const MAX_MARGIN_SHARE: f64 = 0.5;
/// First wait after a failed refresh while the current token is still valid; doubles per failure…
pub(crate) const BASE_BACKOFF_MS: f64 = 1_000.0;
/// …up to this.
pub(crate) const MAX_BACKOFF_MS: f64 = 30_000.0;
/// First wait, after a callee refused a fresh token (401) and it was re-minted, before another refusal may cost a
/// re-mint; doubles per refusal…
pub(crate) const BASE_REMINT_BACKOFF_MS: f64 = 1_000.0;
/// …up to this, and is reset by any answer that is not a 401.
pub(crate) const MAX_REMINT_BACKOFF_MS: f64 = 60_000.0;
/// A token that never expires is kept in a shared store for this long (the store entry, not the token).
pub(crate) const NEVER_EXPIRES_STORE_TTL_S: u32 = 86_400;

const LIFETIME: &str = "a number of seconds greater than 0 and at most 9007199254740991 (2^53 - 1), or null";
const MARGIN: &str = "a number of seconds from 0 up to (not including) secondsUntilExpiration";

/// What a token source mints and when it mints anew, validated.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RefreshPolicy {
    /// The lifetime asked of Clerk, in seconds (`None`: Clerk's default).
    lifetime_s: Option<f64>,
    /// Mint anew when less than this is left, in seconds (`None`: the default share of the lifetime).
    refresh_before_s: Option<f64>,
}

impl RefreshPolicy {
    /// Validates the lifetime (`secondsUntilExpiration`) and the margin (`refreshBeforeSeconds`): a lifetime
    /// must be positive and exact, a margin finite, non-negative and below the lifetime.
    pub(crate) fn new(lifetime: &Nullable<f64>, refresh_before_s: Option<f64>) -> Result<RefreshPolicy, Error> {
        let lifetime_s = lifetime.value().copied();
        if lifetime_s.is_some_and(|s| !(s > 0.0 && s <= MAX_SAFE_INTEGER as f64)) {
            return Err(Error::invalid("secondsUntilExpiration", LIFETIME));
        }
        if let Some(margin) = refresh_before_s {
            if !(margin.is_finite() && margin >= 0.0) || lifetime_s.is_some_and(|life| margin >= life) {
                return Err(Error::invalid("refreshBeforeSeconds", MARGIN));
            }
        }
        Ok(RefreshPolicy { lifetime_s, refresh_before_s })
    }

    /// The configured margin (`refreshBeforeSeconds`), if any.
    pub(crate) fn refresh_before_s(&self) -> Option<f64> {
        self.refresh_before_s
    }

    /// The margin for a token that lives `lifetime_ms`: the configured one, else 10% of the lifetime, at least
    /// 30 s, at most half of it. When the lifetime was Clerk's choice, a configured margin is capped at half of
    /// it too (else every call would mint).
    pub(crate) fn margin_ms(&self, lifetime_ms: f64) -> f64 {
        let half = lifetime_ms * MAX_MARGIN_SHARE;
        match self.refresh_before_s {
            Some(margin) if self.lifetime_s.is_some() => margin * 1000.0,
            Some(margin) => (margin * 1000.0).min(half),
            None => (lifetime_ms * DEFAULT_MARGIN_SHARE).max(MIN_DEFAULT_MARGIN_S * 1000.0).min(half),
        }
    }

    /// The `min_remaining_ttl_seconds` a pooled mint asks Clerk for: the refresh margin plus half the lifetime
    /// (below the lifetime, which Clerk requires). A token Clerk hands back instead of minting then has at least
    /// half a lifetime of work in it before it reaches its margin — so a reused token is never one that is about
    /// to be replaced, and a fleet of isolates creates at most one token per half lifetime. `None` when the
    /// lifetime is Clerk's choice (unknown here: nothing safe to ask for).
    pub fn pool_min_remaining_s(&self) -> Option<u64> {
        let lifetime_s = self.lifetime_s?;
        let margin_s = self.margin_ms(lifetime_s * 1000.0) / 1000.0;
        let wanted = (margin_s + lifetime_s / 2.0).ceil();
        let below_lifetime = lifetime_s.ceil() - 1.0;
        (below_lifetime >= 1.0).then(|| wanted.min(below_lifetime) as u64)
    }

    /// When the token Clerk just minted at `now_ms` expires and when to replace it.
    pub(crate) fn timing(&self, token: &M2MToken, now_ms: f64) -> Timing {
        let Some(expires_at) = token.expiration.map(|e| e as f64) else { return Timing::NEVER };
        let lifetime_ms = match (self.lifetime_s, token.created_at) {
            (Some(seconds), _) => seconds * 1000.0,
            (None, Some(created)) if (created as f64) < expires_at => expires_at - created as f64,
            (None, _) => expires_at - now_ms,
        };
        Timing { expires_at_ms: Some(expires_at), refresh_at_ms: Some(expires_at - self.margin_ms(lifetime_ms)) }
    }
}

/// When a held token dies and when it should be replaced, in milliseconds since the epoch (`None`: never).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    /// The token's `expiration`.
    pub expires_at_ms: Option<f64>,
    /// From when a call mints anew.
    pub refresh_at_ms: Option<f64>,
}

impl Timing {
    /// A token that never expires: kept until invalidated.
    pub const NEVER: Timing = Timing { expires_at_ms: None, refresh_at_ms: None };

    /// Whether a token with this timing may be handed out at `now_ms`.
    pub fn freshness(&self, now_ms: f64) -> Freshness {
        match (self.expires_at_ms, self.refresh_at_ms) {
            (Some(expires), _) if now_ms >= expires => Freshness::Dead,
            (_, Some(refresh)) if now_ms >= refresh => Freshness::Refresh,
            _ => Freshness::Fresh,
        }
    }
}

/// What a held token is good for at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// Hand it out.
    Fresh,
    /// Still valid, but inside the refresh margin: mint anew (and fall back to it if that fails).
    Refresh,
    /// Expired: it must not be sent.
    Dead,
}

/// How long to wait before trying again after `failures` refreshes failed in a row (1 s, 2 s, 4 s … 30 s).
pub(crate) fn backoff_ms(failures: u32) -> f64 {
    (BASE_BACKOFF_MS * f64::from(1u32 << failures.saturating_sub(1).min(15))).min(MAX_BACKOFF_MS)
}

/// How long after the `refusals`-th re-mint for a callee's 401 (in a row) another refusal may cost a re-mint
/// (1 s, 2 s, 4 s … 60 s): a callee that refuses every token must not cost a mint per call.
pub(crate) fn remint_backoff_ms(refusals: u32) -> f64 {
    (BASE_REMINT_BACKOFF_MS * f64::from(1u32 << refusals.saturating_sub(1).min(16))).min(MAX_REMINT_BACKOFF_MS)
}

/// The key of a token source's entry in a shared store: a digest of what the mint sends — the API URL, the
/// machine key and the options — and the margin; never the key itself.
pub(crate) fn token_store_key<J: Json>(
    config: &Config,
    params: &CreateTokenParams,
    policy: &RefreshPolicy,
) -> Result<String, Error> {
    let request = create_request::<J>(config, params)?;
    // The margin's bits, not its text: no float printer in the wasm.
    let margin = policy.refresh_before_s.map(|m| m.to_bits().to_be_bytes());
    let digest = digest_of(&[
        b"token-source",
        request.url.as_bytes(),
        request.authorization.expose().as_bytes(),
        request.body.as_deref().unwrap_or_default().as_bytes(),
        margin.as_ref().map_or(&[][..], |bits| &bits[..]),
    ]);
    Ok([STORE_KEY_PREFIX, "token:", &hex::encode(digest)].concat())
}

/// A token as a shared store holds it, inside a sealed entry ([`SealKey`]: only a holder of the minting key can
/// write one that is read back). The token is a bearer credential: the README says so.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    token: String,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    refresh_at: Option<i64>,
}

/// The sealed store entry for `token` under `store_key` and the TTL to ask the store for; `None` when it is not
/// worth keeping.
pub fn token_entry<J: Json>(
    seal: &SealKey,
    store_key: &str,
    token: &Secret,
    timing: Timing,
    now_ms: f64,
) -> Option<(String, u32)> {
    let ttl_s = match timing.expires_at_ms {
        Some(expires) if expires <= now_ms => return None,
        Some(expires) => (((expires - now_ms) / 1000.0).ceil() as u32).max(MIN_STORE_TTL_S),
        None => NEVER_EXPIRES_STORE_TTL_S,
    };
    let entry = TokenEntry {
        token: token.expose().to_owned(),
        expires_at: timing.expires_at_ms.map(|t| t.floor() as i64),
        refresh_at: timing.refresh_at_ms.map(|t| t.floor() as i64),
    };
    J::write(&entry).map(|text| (seal.seal(store_key, &text), ttl_s))
}

/// What a token-source entry read from a shared store is worth.
#[derive(Debug)]
pub enum StoredToken {
    /// An authentic token, still valid at the time of reading, and its timing.
    Valid(Secret, Timing),
    /// Authentic, but dead.
    Dead,
    /// Not an entry of ours (forged, edited, copied, written under another key): a miss, counted.
    Refused,
}

/// Reads the entry found under `store_key` with the reader's sealing key.
pub fn read_token_entry<J: Json>(seal: &SealKey, store_key: &str, text: &str, now_ms: f64) -> StoredToken {
    let Some(entry) = seal.open(store_key, text).and_then(J::parse::<TokenEntry>) else {
        return StoredToken::Refused;
    };
    let timing =
        Timing { expires_at_ms: entry.expires_at.map(|t| t as f64), refresh_at_ms: entry.refresh_at.map(|t| t as f64) };
    if entry.token.is_empty() {
        return StoredToken::Refused;
    }
    if timing.freshness(now_ms) == Freshness::Dead {
        return StoredToken::Dead;
    }
    StoredToken::Valid(Secret::new(entry.token), timing)
}

/// What the body of an outgoing request allows after a 401.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// No body, or one that can be sent again (a string, bytes, `URLSearchParams`, `Blob`, `FormData`).
    Replayable,
    /// A stream: it is consumed by the first attempt.
    Stream,
}

/// Whether a callee's answer calls for invalidating the token, minting once and sending again: a 401 to a
/// request that can be replayed, at most once per call.
pub(crate) fn should_retry(status: u16, body: BodyKind, retried: bool) -> bool {
    status == 401 && body == BodyKind::Replayable && !retried
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::SerdeJson;

    fn policy(lifetime: Option<f64>, margin: Option<f64>) -> RefreshPolicy {
        RefreshPolicy::new(&lifetime.map_or(Nullable::Absent, Nullable::Value), margin).unwrap()
    }

    fn token(expiration: Option<i64>, created_at: Option<i64>) -> M2MToken {
        let json = serde_json::json!({
            "id": "mt_f7f0ba8c3b4843ce7d85fcdd5e71853e", "subject": "mch_1", "revoked": false, "expired": false,
            "expiration": expiration, "created_at": created_at,
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn bad_lifetimes_and_margins_are_refused_before_anything_is_minted() {
        for lifetime in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e19] {
            let err = RefreshPolicy::new(&Nullable::Value(lifetime), None).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { field: "secondsUntilExpiration", .. }), "{lifetime}");
        }
        for (lifetime, margin) in [(Some(60.0), 60.0), (Some(60.0), 61.0), (None, -1.0), (None, f64::NAN)] {
            let lifetime = lifetime.map_or(Nullable::Absent, Nullable::Value);
            let err = RefreshPolicy::new(&lifetime, Some(margin)).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { field: "refreshBeforeSeconds", .. }), "{margin}");
        }
        assert!(RefreshPolicy::new(&Nullable::Null, Some(10.0)).is_ok(), "null: Clerk's choice");
        assert!(RefreshPolicy::new(&Nullable::Value(60.0), Some(0.0)).is_ok());
    }

    #[test]
    fn the_default_margin_is_a_tenth_at_least_30_s_at_most_half() {
        let p = policy(None, None);
        assert_eq!(p.margin_ms(3_600_000.0), 360_000.0, "10% of an hour");
        assert_eq!(p.margin_ms(120_000.0), 30_000.0, "at least 30 s");
        assert_eq!(p.margin_ms(40_000.0), 20_000.0, "at most half");
        assert_eq!(policy(Some(3600.0), Some(300.0)).margin_ms(3_600_000.0), 300_000.0, "configured");
        assert_eq!(policy(None, Some(300.0)).margin_ms(60_000.0), 30_000.0, "capped when Clerk chose the lifetime");
    }

    #[test]
    fn timing_follows_the_lifetime_asked_for_or_the_one_clerk_gave() {
        let now = 1_000_000.0;
        let asked = policy(Some(100.0), Some(10.0)).timing(&token(Some(1_100_000), Some(1_000_000)), now);
        assert_eq!(asked, Timing { expires_at_ms: Some(1_100_000.0), refresh_at_ms: Some(1_090_000.0) });
        let given = policy(None, None).timing(&token(Some(4_600_000), Some(1_000_000)), now);
        assert_eq!(given.refresh_at_ms, Some(4_600_000.0 - 360_000.0), "a tenth of Clerk's hour");
        assert_eq!(policy(None, None).timing(&token(None, Some(1)), now), Timing::NEVER, "never expires: kept");
    }

    #[test]
    fn a_pooled_mint_asks_for_the_margin_plus_half_the_lifetime_below_the_lifetime() {
        assert_eq!(policy(Some(3600.0), None).pool_min_remaining_s(), Some(360 + 1800), "a tenth plus half");
        assert_eq!(policy(Some(3600.0), Some(300.0)).pool_min_remaining_s(), Some(300 + 1800), "the configured margin");
        assert_eq!(policy(Some(60.0), None).pool_min_remaining_s(), Some(59), "margin (half) + half: capped below");
        assert_eq!(policy(Some(1.0), None).pool_min_remaining_s(), None, "no whole second below the lifetime");
        assert_eq!(policy(None, None).pool_min_remaining_s(), None, "Clerk's lifetime: unknown, not pooled");
    }

    #[test]
    fn freshness_is_fresh_then_refresh_then_dead() {
        let t = Timing { expires_at_ms: Some(100.0), refresh_at_ms: Some(90.0) };
        assert_eq!(t.freshness(89.0), Freshness::Fresh);
        assert_eq!(t.freshness(90.0), Freshness::Refresh);
        assert_eq!(t.freshness(100.0), Freshness::Dead);
        assert_eq!(Timing::NEVER.freshness(f64::MAX), Freshness::Fresh);
    }

    #[test]
    fn backoff_doubles_up_to_30_s() {
        let steps: Vec<f64> = (1..=7).map(backoff_ms).collect();
        assert_eq!(steps, [1000.0, 2000.0, 4000.0, 8000.0, 16000.0, 30000.0, 30000.0]);
        assert_eq!(backoff_ms(u32::MAX), MAX_BACKOFF_MS);
    }

    #[test]
    fn a_refused_token_is_re_minted_at_most_after_a_backoff_of_1_s_doubling_to_60_s() {
        let steps: Vec<f64> = (1..=8).map(remint_backoff_ms).collect();
        assert_eq!(steps, [1e3, 2e3, 4e3, 8e3, 16e3, 32e3, 60e3, 60e3]);
        assert_eq!(remint_backoff_ms(u32::MAX), MAX_REMINT_BACKOFF_MS);
    }

    #[test]
    fn store_entries_round_trip_and_carry_no_key() {
        let cfg = Config { machine_secret_key: Some("ak_secret_value".into()), ..Config::default() };
        let params = CreateTokenParams { seconds_until_expiration: Nullable::Value(60.0), ..Default::default() };
        let p = policy(Some(60.0), None);
        let key = token_store_key::<SerdeJson>(&cfg, &params, &p).unwrap();
        assert!(key.starts_with("clerk-m2m-edge:v2:token:") && !key.contains("ak_secret"));
        let other = Config { machine_secret_key: Some("ak_other".into()), ..Config::default() };
        assert_ne!(key, token_store_key::<SerdeJson>(&other, &params, &p).unwrap(), "another machine, another entry");
        assert_ne!(
            key,
            token_store_key::<SerdeJson>(&cfg, &CreateTokenParams::default(), &p).unwrap(),
            "other options too"
        );

        let seal = SealKey::derive(&Secret::from("ak_secret_value"));
        let t = Timing { expires_at_ms: Some(200_000.0), refresh_at_ms: Some(170_000.0) };
        let (text, ttl) = token_entry::<SerdeJson>(&seal, &key, &"mt_x".into(), t, 100_000.0).unwrap();
        assert_eq!(ttl, 100);
        let read = |text: &str, now| read_token_entry::<SerdeJson>(&seal, &key, text, now);
        match read(&text, 100_000.0) {
            StoredToken::Valid(token, timing) => assert_eq!((token.expose(), timing), ("mt_x", t)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(read(&text, 200_000.0), StoredToken::Dead), "dead tokens are not read");
        assert_eq!(token_entry::<SerdeJson>(&seal, &key, &"mt_x".into(), t, 199_990.0).unwrap().1, MIN_STORE_TTL_S);
        assert!(token_entry::<SerdeJson>(&seal, &key, &"mt_x".into(), t, 200_000.0).is_none());
        let forever = token_entry::<SerdeJson>(&seal, &key, &"mt_x".into(), Timing::NEVER, 0.0).unwrap();
        assert_eq!(forever.1, NEVER_EXPIRES_STORE_TTL_S);
        let attacker = SealKey::derive(&Secret::from("ak_attacker"));
        let planted = attacker.seal(&key, r#"{"token":"mt_attackers_own","expires_at":null,"refresh_at":null}"#);
        for junk in [
            "",
            "null",
            "{}",
            r#"{"token":"mt_attackers_own"}"#,
            planted.as_str(),
            &text.replace("mt_x", "mt_y"),
            &seal.seal(&key, r#"{"token":""}"#),
            &seal.seal(&key, r#"{"token":"a","extra":1}"#),
        ] {
            assert!(matches!(read(junk, 0.0), StoredToken::Refused), "{junk}");
        }
        let other_key = token_store_key::<SerdeJson>(&other, &params, &p).unwrap();
        assert!(matches!(read_token_entry::<SerdeJson>(&seal, &other_key, &text, 0.0), StoredToken::Refused), "copied");
    }

    #[test]
    fn only_a_replayable_request_is_sent_again_and_only_once() {
        assert!(should_retry(401, BodyKind::Replayable, false));
        assert!(!should_retry(401, BodyKind::Replayable, true), "one re-mint per call");
        assert!(!should_retry(401, BodyKind::Stream, false), "a stream is consumed");
        assert!(!should_retry(403, BodyKind::Replayable, false));
        assert!(!should_retry(200, BodyKind::Replayable, false));
    }
}
