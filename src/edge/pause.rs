//! Clerk's "slow down", honoured by the whole isolate: after a 429 with `Retry-After`, every call of this isolate
//! to that Clerk URL with that key fails at once with that answer until the time is up — no request is sent. A
//! burst of requests (or a loop of mints) must not keep calling a Clerk that asked it to wait. Owns those pauses;
//! the retry rules are `core::retry`'s.

use crate::core::error::ApiError;
use crate::core::guard::cache::{digest_of, Digest};
use std::cell::RefCell;

/// At most this many pauses are kept (one per Clerk URL and key in use; expired ones are dropped first).
const MAX_PAUSES: usize = 16;

thread_local! {
    static PAUSES: RefCell<Vec<(Digest, f64, ApiError)>> = const { RefCell::new(Vec::new()) };
}

fn key_of(base_url: &str, key: &str) -> Digest {
    digest_of(&[b"pause", base_url.as_bytes(), key.as_bytes()])
}

/// The answer that paused calls to `base_url` with `key`, when the pause still holds at `now_ms`, with its
/// `Retry-After` counted down to what is left.
pub(crate) fn paused(base_url: &str, key: &str, now_ms: f64) -> Option<ApiError> {
    PAUSES.with(|pauses| {
        let pauses = pauses.borrow();
        // The common case costs no digest: nothing was ever paused (or every pause is over).
        if pauses.iter().all(|(_, until, _)| *until <= now_ms) {
            return None;
        }
        let id = key_of(base_url, key);
        let (_, until, answer) = pauses.iter().find(|(k, until, _)| *k == id && *until > now_ms)?;
        let left_s = ((until - now_ms) / 1000.0).ceil().max(1.0) as u32;
        Some(ApiError { retry_after: Some(left_s), ..answer.clone() })
    })
}

/// Pauses calls to `base_url` with `key` until `until_ms`, answering `answer` meanwhile.
pub(crate) fn pause(base_url: &str, key: &str, until_ms: f64, now_ms: f64, answer: &ApiError) {
    let id = key_of(base_url, key);
    PAUSES.with(|pauses| {
        let mut pauses = pauses.borrow_mut();
        pauses.retain(|(k, until, _)| *k != id && *until > now_ms);
        if pauses.len() >= MAX_PAUSES {
            pauses.remove(0);
        }
        pauses.push((id, until_ms, answer.clone()));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> ApiError {
        ApiError { status: 429, errors: vec![], clerk_trace_id: None, retry_after: Some(30) }
    }

    #[test]
    fn a_pause_holds_for_its_url_and_key_until_its_time() {
        pause("https://a", "ak_1", 31_000.0, 1_000.0, &answer());
        assert_eq!(paused("https://a", "ak_1", 1_000.0).unwrap().retry_after, Some(30));
        assert_eq!(paused("https://a", "ak_1", 30_500.0).unwrap().retry_after, Some(1), "counted down");
        assert!(paused("https://a", "ak_1", 31_000.0).is_none(), "over");
        assert!(paused("https://a", "ak_2", 1_000.0).is_none(), "another key");
        assert!(paused("https://b", "ak_1", 1_000.0).is_none(), "another Clerk");
        for n in 0..100 {
            pause("https://a", &format!("ak_{n}"), 1e12, 0.0, &answer());
        }
        PAUSES.with(|p| assert_eq!(p.borrow().len(), MAX_PAUSES, "bounded"));
    }
}
