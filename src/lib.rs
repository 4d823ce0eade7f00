//! # clerk-m2m-edge
//!
//! Clerk machine-to-machine (M2M) tokens for edge workers: create, list, revoke and verify tokens, and guard
//! routes, from Rust (workers-rs) or, compiled to WebAssembly, from JavaScript in Cloudflare Workers, Node,
//! Deno, Bun and Vercel's edge runtime.
//!
//! ## Architecture: the tree is the picture
//! ```text
//! src/core/   pure: Clerk's API and the guard's rules over plain data (serde); no JS bindings, tested natively
//!   config    keys, URLs, timeouts — validated once; the only place id and key shapes are checked
//!   model     M2MToken, TokenList, the params of each operation (snake_case on the wire, camelCase in JS)
//!   api       params → HttpRequest; (status, headers, body) → typed result or Error
//!   http      HttpRequest / HttpResponse, Retry-After, the Transport trait the edge implements
//!   retry     which attempts repeat, backoff with jitter
//!   error     one #[non_exhaustive] Error with a stable code(); reason: why a token is refused
//!   guard/    header, token (kind), jwt (rules), jwks (decide(now, kid)), cache (policy, LRU), outcome
//!   token_source  the caller's rules: refresh margin, freshness, backoff, store entries, 401 retries
//! src/edge/   the I/O, and the Rust API for workers-rs users
//!   http      the only fetch (web-sys), an abort guard per attempt
//!   crypto    the only crypto.subtle calls (web-sys)
//!   client    Client: core::api + core::retry + http
//!   verifier  Verifier: core::guard + client + crypto + caches
//!   isolate   the isolate's state and verifiers; verify_request()
//!   token_source  TokenSource: mint once, refresh ahead of expiry, fetch with the token, one re-mint on 401
//! src/js/     #[wasm_bindgen] only: ClerkM2M (all its methods), verifyRequest, serde-wasm-bindgen conversions
//! ```
//! Data flows one way:
//! ```text
//! JS call ─► js (options → params) ─► core::api (validate, build) ─► edge::http (fetch, deadline) ─► Clerk
//! JS value ◄─ js (plain object, Error+code) ◄─ core::api (decode) ◄─ core::retry (again? when?) ◄──┘
//!
//! Request ─► core::guard: header → token kind ─► cache? ─► opaque: client.verify │ jwt: jwks decide → crypto
//!                                                           └─► scope check ─► Outcome ─► toResponse()
//! ```
#![deny(missing_docs)]
// A panic kills the whole wasm instance in Workers: nothing outside tests may unwrap, expect, panic or index.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod core;
mod edge;
mod js;

pub use crate::core::config::Config;
pub use crate::core::error::{ApiError, ClerkError, Error};
pub use crate::core::guard::outcome::{Identity, Outcome, Rejection};
pub use crate::core::guard::GuardSettings;
pub use crate::core::http::{HttpRequest, HttpResponse, Method, Transport, TransportError};
pub use crate::core::model::{
    CreateTokenParams, HttpInfo, ListTokensParams, M2MToken, Nullable, RevokeTokenParams, TokenFormat, TokenList,
    VerifyTokenParams,
};
pub use crate::core::reason::Reason;
pub use crate::core::secret::Secret;
pub use crate::edge::client::Client;
pub use crate::edge::crypto::WebCrypto;
pub use crate::edge::http::FetchTransport;
pub use crate::edge::isolate::{
    cache_stats as verification_cache_stats, clear_cache as clear_verification_cache, declare_workerd, verifier_for,
    verify_request, CacheStats, EdgeVerifier,
};
pub use crate::edge::outgoing::Destinations;
pub use crate::edge::store::{NoStore, SharedStore};
pub use crate::edge::token_source::{FetchError, SourceStats, TokenSource};
pub use crate::edge::verifier::{Crypto, GuardState, Verifier};

/// The parsers of untrusted input, for the fuzz targets and property tests (cargo feature `fuzzing`).
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    pub use crate::core::api::{decode_error, decode_list, decode_token};
    pub use crate::core::encoding::base64url_encode;
    pub use crate::core::guard::cache::{read_verdict_entry, StoreRead};
    pub use crate::core::guard::jwks::parse_jwks;
    pub use crate::core::guard::GuardSettings;
    pub use crate::core::guard::{header, jwt, token};
    pub use crate::core::http::parse_retry_after;
    pub use crate::core::json::{Json, SerdeJson};
    pub use crate::core::sealed::SealKey;
    /// The token source's shared-store entries (another isolate's, or anything a store hands back).
    pub mod token_store {
        pub use crate::core::token_source::{read_token_entry, token_entry, StoredToken, Timing};
    }
}

/// With the `talc` feature (the npm package's build), the wasm's allocator is talc instead of Rust's default
/// dlmalloc: measured smaller and no slower; the heap stays flat over 500,000 distinct tokens churning the
/// 10,000-entry cache.
#[cfg(all(feature = "talc", target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
