//! The pure core: Clerk's M2M API and the guard's rules as functions over plain data.
//! Owns everything that decides; must not name wasm-bindgen, js-sys or web-sys (`make lint` checks), and does no
//! I/O: time, randomness and I/O results come in as arguments.

pub(crate) mod api;
pub(crate) mod broker;
pub(crate) mod config;
pub(crate) mod encoding;
pub(crate) mod error;
pub(crate) mod guard;
pub(crate) mod http;
pub(crate) mod json;
pub(crate) mod model;
pub(crate) mod options;
pub(crate) mod reason;
pub(crate) mod retry;
pub(crate) mod sealed;
pub(crate) mod secret;
pub(crate) mod token_source;
