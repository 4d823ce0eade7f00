//! The shared store (Workers KV, the Cache API, a user's own `{ get, put }`) as the edge sees it: untrusted
//! storage whose failures are misses, and the isolate's count of the entries it refused. Owns that boundary;
//! what an entry holds and whether it is authentic are the core's (`core::sealed` and each cache's format).

use std::cell::Cell;

/// A store shared by many isolates (Workers KV, the Cache API). Untrusted: anyone who can write it can put
/// anything under any key, so every entry the package reads back is sealed (`core::sealed`) and checked.
/// Failures must be swallowed: a store that cannot answer is a miss.
#[allow(async_fn_in_trait)]
pub trait SharedStore {
    /// The value stored under `key`, if any.
    async fn get(&self, key: &str) -> Option<String>;
    /// Stores `value` under `key` for at least `ttl_seconds`. Should not wait for the write to land (hand it to
    /// the request's `waitUntil`): the guard's answer waits for this future.
    async fn put(&self, key: &str, value: String, ttl_seconds: u32);
}

/// No shared store.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoStore;

impl SharedStore for NoStore {
    async fn get(&self, _key: &str) -> Option<String> {
        None
    }
    async fn put(&self, _key: &str, _value: String, _ttl_seconds: u32) {}
}

thread_local! {
    /// Entries read back from a shared store that did not open under our key (or were not ours), in this isolate.
    static REFUSED: Cell<u64> = const { Cell::new(0) };
}

/// Counts one refused entry.
pub(crate) fn count_refused() {
    REFUSED.with(|n| n.set(n.get().saturating_add(1)));
}

/// How many store entries this isolate refused since it started (or since [`reset_refused`]).
pub(crate) fn refused_entries() -> u64 {
    REFUSED.with(Cell::get)
}

/// Starts the count again.
pub(crate) fn reset_refused() {
    REFUSED.with(|n| n.set(0));
}
