//! When a failed attempt may be repeated, and after how long: exponential backoff with jitter, `Retry-After`.
//! Pure policy; must not sleep or send.

use crate::core::api::Operation;

/// First backoff step.
pub(crate) const BASE_DELAY_MS: u32 = 200;
/// Largest backoff step.
pub(crate) const MAX_DELAY_MS: u32 = 2_000;
/// A `Retry-After` longer than this is not waited for: the error goes back to the caller at once.
pub(crate) const MAX_RETRY_AFTER_S: u32 = 10;

/// How an attempt ended, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttemptFailure {
    /// No answer: refused, reset, DNS.
    Network,
    /// No answer in time.
    Timeout,
    /// An HTTP error status, with `Retry-After` in seconds when sent.
    Status(u16, Option<u32>),
}

/// The delay before retry number `retries_done + 1`, or `None` when the failure must be returned.
/// `jitter` is a uniform random number in `[0, 1)`.
pub(crate) fn retry_delay_ms(
    op: Operation,
    failure: AttemptFailure,
    retries_done: u32,
    max_retries: u32,
    jitter: f64,
) -> Option<u32> {
    if retries_done >= max_retries {
        return None;
    }
    let retryable = match failure {
        AttemptFailure::Status(429, _) => true,
        AttemptFailure::Status(500 | 502 | 503 | 504, _) | AttemptFailure::Network | AttemptFailure::Timeout => {
            op.is_safe_to_repeat()
        }
        AttemptFailure::Status(..) => false,
    };
    if !retryable {
        return None;
    }
    if let AttemptFailure::Status(_, Some(after)) = failure {
        return (after <= MAX_RETRY_AFTER_S).then_some(after * 1000);
    }
    let step = BASE_DELAY_MS.saturating_mul(1 << retries_done.min(16)).min(MAX_DELAY_MS);
    let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.5 };
    Some((f64::from(step) * (0.5 + 0.5 * jitter)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Operation::*;

    #[test]
    fn safe_operations_retry_transient_failures() {
        for op in [List, Verify, Revoke, Jwks] {
            for f in [
                AttemptFailure::Network,
                AttemptFailure::Timeout,
                AttemptFailure::Status(429, None),
                AttemptFailure::Status(500, None),
                AttemptFailure::Status(502, None),
                AttemptFailure::Status(503, None),
                AttemptFailure::Status(504, None),
            ] {
                assert!(retry_delay_ms(op, f, 0, 2, 0.0).is_some(), "{op:?} {f:?}");
            }
            for status in [400, 401, 403, 404, 409, 422, 501, 505] {
                assert_eq!(retry_delay_ms(op, AttemptFailure::Status(status, None), 0, 2, 0.0), None, "{status}");
            }
        }
    }

    #[test]
    fn create_retries_only_on_429() {
        assert!(retry_delay_ms(Create, AttemptFailure::Status(429, None), 0, 2, 0.0).is_some());
        for f in [
            AttemptFailure::Network,
            AttemptFailure::Timeout,
            AttemptFailure::Status(500, None),
            AttemptFailure::Status(503, Some(1)),
        ] {
            assert_eq!(retry_delay_ms(Create, f, 0, 2, 0.0), None, "{f:?}");
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_stops_at_max_retries() {
        assert_eq!(retry_delay_ms(List, AttemptFailure::Network, 0, 3, 0.0), Some(100));
        assert_eq!(retry_delay_ms(List, AttemptFailure::Network, 0, 3, 0.999_999), Some(199));
        assert_eq!(retry_delay_ms(List, AttemptFailure::Network, 1, 3, 0.0), Some(200));
        assert_eq!(retry_delay_ms(List, AttemptFailure::Network, 9, 10, 1.0), Some(MAX_DELAY_MS));
        assert_eq!(retry_delay_ms(List, AttemptFailure::Network, 3, 3, 0.0), None);
        assert_eq!(retry_delay_ms(List, AttemptFailure::Network, 0, 0, 0.0), None);
        assert_eq!(retry_delay_ms(List, AttemptFailure::Network, 0, 1, f64::NAN), Some(150));
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        assert_eq!(retry_delay_ms(Verify, AttemptFailure::Status(429, Some(0)), 0, 2, 0.3), Some(0));
        assert_eq!(retry_delay_ms(Verify, AttemptFailure::Status(503, Some(3)), 0, 2, 0.3), Some(3000));
        assert_eq!(retry_delay_ms(Verify, AttemptFailure::Status(429, Some(MAX_RETRY_AFTER_S + 1)), 0, 2, 0.3), None);
    }
}
