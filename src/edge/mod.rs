//! The edge layer: the I/O the core describes — `fetch`, timers, WebCrypto, the isolate's state — and the Rust
//! API for workers-rs users (`Client`, `Verifier`, `verify_request`, `TokenSource`). Owns how things happen at run
//! time; must not decide anything about tokens (the rules are the core's) nor convert to or from JS values (that
//! is `js`): JS objects it touches (a caller's `fetch` arguments, a `Response`) pass through as they are.

pub(crate) mod broker;
pub(crate) mod broker_link;
pub(crate) mod client;
pub(crate) mod crypto;
pub(crate) mod http;
pub(crate) mod in_flight;
pub(crate) mod isolate;
pub(crate) mod json;
pub(crate) mod outgoing;
pub(crate) mod pause;
pub(crate) mod remembered;
pub(crate) mod store;
pub(crate) mod token_source;
pub(crate) mod verifier;
