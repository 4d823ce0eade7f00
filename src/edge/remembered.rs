//! What an isolate builds once per key and keeps: a small list of `(key, value)` pairs, found by comparison (no
//! hashing on the request path), least recently used first, bounded. Serves the verifiers, the `fromEnv` clients,
//! Clerk's request headers and a broker's token sources. Owns that list; knows nothing of what it holds.

use std::cell::RefCell;

/// What an isolate keeps by key (see [`remembered`]): `(key, value)` pairs, least recently used first.
pub(crate) type Remembered<K, V> = RefCell<Vec<(K, V)>>;

/// The value kept in `cache` for a key equal to `key` (found by comparison: no hashing on the request path), else
/// `build(&key)`'s, kept; least recently used first, at most `bound` entries. For what an isolate builds once per
/// configuration.
pub(crate) fn remembered<K: PartialEq, V: Clone, E>(
    cache: &Remembered<K, V>,
    bound: usize,
    key: K,
    build: impl FnOnce(&K) -> Result<V, E>,
) -> Result<V, E> {
    let found = {
        let mut entries = cache.borrow_mut();
        entries.iter().position(|(k, _)| *k == key).map(|i| {
            let entry = entries.remove(i);
            let value = entry.1.clone();
            entries.push(entry);
            value
        })
    };
    if let Some(value) = found {
        return Ok(value);
    }
    let value = build(&key)?;
    let mut entries = cache.borrow_mut();
    if entries.len() >= bound {
        entries.remove(0);
    }
    entries.push((key, value.clone()));
    Ok(value)
}
