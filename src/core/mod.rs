//! The pure core: Clerk's M2M API and the guard's rules as functions over plain data.
//! Owns everything that decides; must not name wasm-bindgen, js-sys or web-sys (`make lint` checks), and does no
//! I/O: time, randomness and I/O results come in as arguments.

pub mod api;
pub mod config;
pub mod encoding;
pub mod error;
pub mod guard;
pub mod http;
pub mod json;
pub mod model;
pub mod options;
pub mod reason;
pub mod retry;
pub mod sealed;
pub mod secret;
pub mod token_source;
