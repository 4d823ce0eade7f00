//! The JavaScript API: `#[wasm_bindgen]` exports only. Option objects come in through serde-wasm-bindgen, results
//! go out as plain objects, failures as `Error`s with a stable `code`. Must not hold any Clerk logic or I/O of its
//! own: it converts, then calls the edge.

mod auth;
mod broker;
mod client;
mod convert;
mod env;
mod guard;
mod options;
mod store;
mod token_source;
