//! The guard's rules, pure: how an `Authorization` header becomes a token ([`header`]), what kind of token it
//! is ([`token`]), the JWT rules ([`jwt`]), which key verifies it ([`jwks`]), how long a verdict is reused
//! ([`cache`]) and what the answer is ([`outcome`]). The edge's `Verifier` runs them in order:
//!
//! ```text
//! header ─► bearer token ─► kind (opaque | M2M JWT | refused) ─► cache? ─► opaque: Clerk verify
//!                                                                  └──────► jwt: header rules, key (PEM | JWKS
//!                                                                            decide), signature, claim rules
//!        ─► scope check (machineId) ─► Outcome
//! ```
//! Nothing here ever fails open: every doubt is a rejection.

pub(crate) mod cache;
pub mod header;
pub(crate) mod jwks;
pub mod jwt;
pub(crate) mod outcome;
pub mod token;

use crate::core::config::checked_machine_id;
use crate::core::error::Error;

/// Default tolerance for `exp`, `nbf` and `iat`.
pub(crate) const DEFAULT_CLOCK_SKEW_MS: u32 = 5_000;
/// Default lifetime of a cached verified result (bounds how long a revoked opaque token keeps working).
pub(crate) const DEFAULT_CACHE_TTL_MS: u32 = 30_000;
/// Default lifetime of a cached definitive rejection.
pub(crate) const DEFAULT_NEGATIVE_CACHE_TTL_MS: u32 = 5_000;

/// How the guard verifies, beyond the client's keys and URL.
#[derive(Clone, Debug, PartialEq)]
pub struct GuardSettings {
    /// A PEM public key to verify JWTs with, networkless.
    pub jwt_key: Option<String>,
    /// The receiving machine: it must be in the token's scopes. A guard needs it, or `allow_any_machine`.
    pub machine_id: Option<String>,
    /// Accept tokens whatever machines they grant access to: only when said, never by leaving `machine_id`
    /// unset (an unset binding must not open the route to tokens minted for another service).
    pub allow_any_machine: bool,
    /// Tolerance for JWT time claims.
    pub clock_skew_ms: u32,
    /// Whether results are cached (in the isolate and in the shared store).
    pub cache: bool,
    /// Lifetime of a cached verified result.
    pub cache_ttl_ms: u32,
    /// Lifetime of a cached definitive rejection.
    pub negative_cache_ttl_ms: u32,
    /// How long past its 5-minute TTL the last good JWKS keeps verifying while every refresh fails.
    pub jwks_max_stale_ms: u32,
}

impl Default for GuardSettings {
    fn default() -> Self {
        GuardSettings {
            jwt_key: None,
            machine_id: None,
            allow_any_machine: false,
            clock_skew_ms: DEFAULT_CLOCK_SKEW_MS,
            cache: true,
            cache_ttl_ms: DEFAULT_CACHE_TTL_MS,
            negative_cache_ttl_ms: DEFAULT_NEGATIVE_CACHE_TTL_MS,
            jwks_max_stale_ms: jwks::DEFAULT_JWKS_MAX_STALE_MS,
        }
    }
}

/// What `machineId` must be when a guard has no `allowAnyMachine`.
pub(crate) const RECEIVER_REQUIRED: &str =
    "the receiving machine's id (mch_…), or allowAnyMachine: true to accept tokens for any machine";

impl GuardSettings {
    /// `Ok` when the receiving machine is explicit: a `machine_id`, or `allow_any_machine`. Else
    /// `invalid_argument` for `machineId`.
    pub fn checked_receiver(&self) -> Result<(), Error> {
        if self.machine_id.is_none() && !self.allow_any_machine {
            return Err(Error::invalid("machineId", RECEIVER_REQUIRED));
        }
        Ok(())
    }

    /// Checks the settings and returns the DER of `jwt_key`, when one is set: a malformed `jwtKey` or
    /// `machineId` is `invalid_argument`.
    pub fn validated_jwt_key(&self) -> Result<Option<Vec<u8>>, Error> {
        checked_machine_id(self.machine_id.clone(), "machineId")?;
        self.jwt_key.as_deref().map(jwks::parse_pem_public_key).transpose()
    }
}
