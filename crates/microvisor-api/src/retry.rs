//! When to retry a read: 429 and 503 are the service asking for patience. Bounded, and
//! honouring `Retry-After` when it gives seconds.

/// Retries after the first try, at most.
pub const MAX_RETRIES: u32 = 3;
/// No single wait is longer than this, whatever `Retry-After` says.
pub const MAX_WAIT_MS: u64 = 10_000;
const BASE_WAIT_MS: u64 = 500;

/// How long to wait before retry number `retry` (1-based) after a response with `status`,
/// or `None` when the request should not be retried.
pub fn retry_delay_ms(retry: u32, status: u16, retry_after: Option<&str>) -> Option<u64> {
    if !matches!(status, 429 | 503) || retry == 0 || retry > MAX_RETRIES {
        return None;
    }
    let backoff = BASE_WAIT_MS << (retry - 1).min(8);
    let asked = retry_after
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(|seconds| seconds.saturating_mul(1000));
    Some(asked.unwrap_or(backoff).min(MAX_WAIT_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_and_stops() {
        assert_eq!(retry_delay_ms(1, 503, None), Some(500));
        assert_eq!(retry_delay_ms(2, 429, None), Some(1000));
        assert_eq!(retry_delay_ms(3, 429, None), Some(2000));
        assert_eq!(retry_delay_ms(4, 429, None), None);
        assert_eq!(retry_delay_ms(1, 500, None), None);
        assert_eq!(retry_delay_ms(1, 404, Some("1")), None);
    }

    #[test]
    fn honours_retry_after_within_bounds() {
        assert_eq!(retry_delay_ms(1, 429, Some("2")), Some(2000));
        assert_eq!(retry_delay_ms(1, 429, Some(" 0 ")), Some(0));
        assert_eq!(retry_delay_ms(1, 503, Some("3600")), Some(MAX_WAIT_MS));
        assert_eq!(
            retry_delay_ms(2, 503, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(1000)
        );
        assert_eq!(
            retry_delay_ms(1, 503, Some("99999999999999999999")),
            Some(500)
        );
    }
}
