//! The JavaScript API (`#[wasm_bindgen]` exports): option objects in, plain objects and typed errors out.
//! A thin wrapper over the Rust [`crate::Client`]; must not hold any Clerk logic of its own.

mod client;
mod convert;
mod errors;
mod guard;
mod options;
