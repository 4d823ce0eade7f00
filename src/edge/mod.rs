//! The edge layer: the I/O the core describes — `fetch`, timers, WebCrypto, the isolate's state — and the Rust
//! API for workers-rs users (`Client`, `Verifier`, `verify_request`, `TokenSource`). Owns how things happen at run
//! time; must not decide anything about tokens (the rules are the core's) nor convert to or from JS values (that
//! is `js`): JS objects it touches (a caller's `fetch` arguments, a `Response`) pass through as they are.

pub mod client;
pub mod crypto;
pub mod http;
pub mod in_flight;
pub mod isolate;
pub mod json;
pub mod outgoing;
pub mod pause;
pub mod store;
pub mod token_source;
pub mod verifier;
