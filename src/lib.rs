//! # clerk-m2m-edge
//!
//! Clerk machine-to-machine (M2M) tokens for edge workers: create, list, revoke and verify tokens, from Rust
//! (workers-rs) or, compiled to WebAssembly, from JavaScript in Cloudflare Workers, Node, Deno, Bun and
//! Vercel's edge runtime.
//!
//! ## Architecture
//! A **pure core** knows Clerk's API and does no I/O, so it is tested natively:
//! [`config`] (keys, URLs), [`api`] (options → request, response → typed result), [`retry`] (which attempts
//! repeat, backoff), [`model`] (token, list, params), [`error`] (one error enum), [`reason`] (rejection reasons).
//! A **thin edge layer** does the I/O: [`transport`] (the only `fetch`), and `js` (the `#[wasm_bindgen]` API,
//! conversions and JS errors). [`client`] joins them: build → send with retries → decode.
//!
//! ```text
//! JS call ─► js (convert + check types) ─► client ─► api (validate, build) ─► transport (fetch, timeout) ─► Clerk
//! JS value ◄─ js (JSON.parse, Error+code) ◄─ api (decode) ◄─ retry policy ◄─────────────────────────────────┘
//! ```
#![deny(missing_docs)]

pub mod api;
pub mod client;
pub mod config;
pub mod error;
pub mod http;
pub mod model;
pub mod reason;
pub mod retry;
pub mod secret;
pub mod transport;
pub mod validate;

mod js;

pub use client::{Client, Transport, TransportError};
pub use config::Config;
pub use error::{ApiError, ClerkError, Error};
pub use model::{
    CreateTokenParams, HttpInfo, ListTokensParams, M2MToken, Nullable, RevokeTokenParams,
    TokenFormat, TokenList, VerifyTokenParams,
};
pub use reason::Reason;
pub use secret::Secret;
pub use transport::FetchTransport;
