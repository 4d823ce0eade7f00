//! # clerk-m2m-edge
//!
//! Clerk machine-to-machine (M2M) tokens for edge workers: create, list, revoke and verify tokens, from Rust
//! (workers-rs) or, compiled to WebAssembly, from JavaScript in Cloudflare Workers, Node, Deno, Bun and
//! Vercel's edge runtime.
//!
//! ## Architecture
//! A **pure core** knows Clerk's API and does no I/O, so it is tested natively:
//! [`config`] (keys, URLs), [`api`] (options → request, response → typed result), [`retry`] (which attempts
//! repeat, backoff), [`model`] (token, list, params), [`error`] (one error enum), [`reason`] (rejection reasons),
//! [`guard`] (header parsing, token kinds, JWT rules, JWKS policy, the verification cache), [`json`],
//! [`sha256`] and [`encoding`]. A **thin edge layer** does the I/O: [`transport`] (the only `fetch`), [`crypto`] (the only
//! `crypto.subtle`), [`task`] (futures ⇄ promises), [`verify`] (the isolate's guard state) and `js` (the
//! `#[wasm_bindgen]` API, conversions and JS errors). [`client`] joins core and transport: build → send with retries → decode; [`guard::Verifier`]
//! joins the guard's rules with the client and WebCrypto.
//!
//! ```text
//! JS call ─► js (convert + check types) ─► client ─► api (validate, build) ─► transport (fetch, timeout) ─► Clerk
//! JS value ◄─ js (JSON.parse, Error+code) ◄─ api (decode) ◄─ retry policy ◄─────────────────────────────────┘
//!
//! Request ─► guard: header → token kind ─► cache? ─► opaque: client.verify │ jwt: rules, PEM | JWKS, WebCrypto
//!                                                      └─► scope check ─► Outcome ─► toResponse()
//! ```
#![deny(missing_docs)]
// A panic kills the whole wasm instance in Workers: nothing outside tests may unwrap, expect, panic or index.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod api;
pub mod client;
pub mod config;
pub mod crypto;
pub mod encoding;
pub mod error;
pub mod guard;
pub mod http;
pub mod json;
pub mod model;
pub mod reason;
pub mod retry;
pub mod secret;
pub mod sha256;
pub mod task;
pub mod transport;
pub mod validate;
pub mod verify;

mod js;

pub use client::{Client, Transport, TransportError};
pub use config::Config;
pub use error::{ApiError, ClerkError, Error};
pub use guard::{GuardSettings, Identity, Outcome, Rejection, Verifier};
pub use model::{
    CreateTokenParams, HttpInfo, ListTokensParams, M2MToken, Nullable, RevokeTokenParams, TokenFormat, TokenList,
    VerifyTokenParams,
};
pub use reason::Reason;
pub use secret::Secret;
pub use transport::FetchTransport;
pub use verify::verify_request;

/// With the `talc` feature (the npm package's build), the wasm's allocator is talc instead of Rust's default
/// dlmalloc: measured smaller (wasm 120.6 → 116.7 KB raw, 55.3 → 53.8 KB gzip) and no slower (opaque verify per
/// call, cold start); the heap stays flat over 500,000 distinct tokens churning the 10,000-entry cache.
#[cfg(all(feature = "talc", target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
