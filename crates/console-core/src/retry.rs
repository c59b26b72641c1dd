//! When a request is tried again. A read can always be repeated safely, so it is retried on
//! every transient failure: 429 and 503 (honouring `Retry-After`), 500, 502, 504, a dropped
//! connection and a timeout. A write is retried only on 429 and 503, which mean the service
//! did not take it; after anything else it may have been applied, and sending it again could
//! apply it twice. Waits back off exponentially with jitter, and the retrying stops after a
//! bounded number of tries or once the time budget is spent.

/// Tries in all, the first included.
pub const MAX_TRIES: u32 = 6;
/// No retry starts later than this after the first try began.
pub const BUDGET_MS: u64 = 30_000;
/// No single wait is longer than this, whatever `Retry-After` says.
pub const MAX_WAIT_MS: u64 = 10_000;
/// The first backoff; each later one doubles.
const BASE_WAIT_MS: u64 = 250;

/// Whether a request only reads (safe to repeat) or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// How a try failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure<'a> {
    /// An answer with this status (and `Retry-After`, if the service sent one).
    Status {
        status: u16,
        retry_after: Option<&'a str>,
    },
    /// The connection broke before a whole answer arrived.
    Dropped,
    /// No answer within the request timeout.
    TimedOut,
}

impl Failure<'_> {
    /// True when trying again may succeed and cannot do harm.
    pub fn is_transient(&self, kind: Kind) -> bool {
        match (kind, self) {
            (
                _,
                Failure::Status {
                    status: 429 | 503, ..
                },
            ) => true,
            (Kind::Read, Failure::Status { status, .. }) => matches!(status, 500 | 502 | 504),
            (Kind::Read, Failure::Dropped | Failure::TimedOut) => true,
            (Kind::Write, _) => false,
        }
    }

    /// Seconds the service asked for, when it gave a number.
    fn retry_after_ms(&self) -> Option<u64> {
        match self {
            Failure::Status {
                retry_after: Some(value),
                ..
            } => value
                .trim()
                .parse::<u64>()
                .ok()
                .map(|seconds| seconds.saturating_mul(1000)),
            _ => None,
        }
    }
}

/// What a page says while a read is tried again: "Retrying… 2 of 6".
pub fn retrying_note(try_number: u32) -> String {
    format!("Retrying… {try_number} of {MAX_TRIES}")
}

/// How long to wait before the next try, after `tries` tries (1 or more) that ended with
/// `failure`, `elapsed_ms` after the first began; `None` to give up. `jitter` is a random
/// number in [0, 1): waits are spread so many clients do not retry in step.
pub fn next_delay_ms(
    kind: Kind,
    failure: Failure<'_>,
    tries: u32,
    elapsed_ms: u64,
    jitter: f64,
) -> Option<u64> {
    if tries == 0 || tries >= MAX_TRIES || !failure.is_transient(kind) {
        return None;
    }
    let backoff = BASE_WAIT_MS << (tries - 1).min(8);
    // Half the backoff for sure, the other half at random ("equal jitter").
    let jittered = backoff / 2 + ((backoff / 2) as f64 * jitter.clamp(0.0, 1.0)) as u64;
    let wait = failure
        .retry_after_ms()
        .unwrap_or(jittered)
        .min(MAX_WAIT_MS);
    (elapsed_ms.saturating_add(wait) <= BUDGET_MS).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> Failure<'static> {
        Failure::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn reads_retry_every_transient_failure_and_writes_only_refusals() {
        for failure in [
            status(429),
            status(500),
            status(502),
            status(503),
            status(504),
            Failure::Dropped,
            Failure::TimedOut,
        ] {
            assert!(
                next_delay_ms(Kind::Read, failure, 1, 0, 0.5).is_some(),
                "{failure:?}"
            );
        }
        for failure in [status(400), status(401), status(404), status(501)] {
            assert_eq!(next_delay_ms(Kind::Read, failure, 1, 0, 0.5), None);
        }
        assert!(next_delay_ms(Kind::Write, status(429), 1, 0, 0.5).is_some());
        assert!(next_delay_ms(Kind::Write, status(503), 1, 0, 0.5).is_some());
        for failure in [
            status(500),
            status(502),
            status(504),
            Failure::Dropped,
            Failure::TimedOut,
        ] {
            assert_eq!(
                next_delay_ms(Kind::Write, failure, 1, 0, 0.5),
                None,
                "a write that may have landed is never sent twice: {failure:?}"
            );
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_stops_after_the_last_try() {
        let wait = |tries, jitter| next_delay_ms(Kind::Read, status(500), tries, 0, jitter);
        assert_eq!(wait(1, 0.0), Some(125));
        assert_eq!(wait(1, 0.999_999), Some(249));
        assert_eq!(wait(2, 0.0), Some(250));
        assert_eq!(wait(3, 0.5), Some(750));
        assert_eq!(wait(MAX_TRIES - 1, 0.0), Some(2000));
        assert_eq!(wait(MAX_TRIES, 0.0), None);
        assert_eq!(wait(0, 0.0), None);
    }

    #[test]
    fn says_which_try_is_next() {
        assert_eq!(retrying_note(2), format!("Retrying… 2 of {MAX_TRIES}"));
    }

    #[test]
    fn honours_retry_after_within_bounds_and_the_budget() {
        let with = |retry_after, elapsed| {
            next_delay_ms(
                Kind::Write,
                Failure::Status {
                    status: 429,
                    retry_after: Some(retry_after),
                },
                1,
                elapsed,
                0.0,
            )
        };
        assert_eq!(with("2", 0), Some(2000));
        assert_eq!(with(" 0 ", 0), Some(0));
        assert_eq!(with("3600", 0), Some(MAX_WAIT_MS));
        // A date, or a number too large to read, falls back to the backoff.
        assert_eq!(with("Wed, 21 Oct 2015 07:28:00 GMT", 0), Some(125));
        assert_eq!(with("99999999999999999999", 0), Some(125));
        assert_eq!(with("2", BUDGET_MS - 2000), Some(2000));
        assert_eq!(with("2", BUDGET_MS - 1999), None, "past the budget");
    }
}
