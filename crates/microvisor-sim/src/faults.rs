//! Faults and latency to inject, for resilience tests and a demo of an unreliable network. A
//! fault is decided before a request reaches the emulator, so a faulted write is never applied;
//! whoever serves the emulator (the server, or the page's own transport) turns it into an
//! answer.

use std::collections::VecDeque;

use microvisor_api::error::codes;

use crate::request::SimResponse;
use crate::rng::Rng;

/// Seconds a 429 asks the client to wait.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// How a request fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Internal,
    Unavailable,
    TooManyRequests,
    /// The connection drops before the answer is whole.
    Disconnect,
}

impl Fault {
    /// The answer a fault gives, or `None` for a dropped connection, which has none.
    pub fn response(self) -> Option<SimResponse> {
        Some(match self {
            Fault::Internal => {
                SimResponse::error(500, codes::INTERNAL, "Injected fault: internal error.")
            }
            Fault::Unavailable => {
                SimResponse::error(503, 20503, "Injected fault: service unavailable.")
            }
            Fault::TooManyRequests => SimResponse::error(
                429,
                codes::TOO_MANY_REQUESTS,
                "Injected fault: too many requests.",
            ),
            Fault::Disconnect => return None,
        })
    }

    /// The `Retry-After` header the answer carries, if any.
    pub fn retry_after(self) -> Option<u64> {
        (self == Fault::TooManyRequests).then_some(RETRY_AFTER_SECONDS)
    }
}

/// What to inject: a fraction of requests that fail, latency jittered 50–150 % around a mean,
/// and faults scripted one by one for tests.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    rate: f64,
    latency_ms: u64,
    rng: Rng,
    scripted: VecDeque<Fault>,
}

impl FaultPlan {
    pub fn new(rate: f64, latency_ms: u64, seed: u64) -> FaultPlan {
        FaultPlan {
            rate: rate.clamp(0.0, 1.0),
            latency_ms,
            rng: Rng::new(seed),
            scripted: VecDeque::new(),
        }
    }

    /// No faults and no latency: every request goes straight through.
    pub fn none() -> FaultPlan {
        FaultPlan::new(0.0, 0, 0)
    }

    /// The next requests fail with these faults, in order, before any random ones.
    pub fn script(&mut self, faults: impl IntoIterator<Item = Fault>) {
        self.scripted.extend(faults);
    }

    pub fn is_active(&self) -> bool {
        self.rate > 0.0 || self.latency_ms > 0 || !self.scripted.is_empty()
    }

    /// The next request's latency in milliseconds and fault, if any.
    pub fn roll(&mut self) -> (u64, Option<Fault>) {
        // 50–150 % of the configured latency.
        let delay = if self.latency_ms == 0 {
            0
        } else {
            self.latency_ms / 2 + self.rng.below(self.latency_ms + 1)
        };
        if let Some(fault) = self.scripted.pop_front() {
            return (delay, Some(fault));
        }
        let draw = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let fault = (self.rate > 0.0 && draw <= self.rate).then(|| match self.rng.below(4) {
            0 => Fault::Internal,
            1 => Fault::Unavailable,
            2 => Fault::TooManyRequests,
            _ => Fault::Disconnect,
        });
        (delay, fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_faults_come_first_then_the_rate_holds() {
        let mut plan = FaultPlan::new(0.2, 300, 7);
        plan.script([Fault::Disconnect, Fault::Internal]);
        assert!(plan.is_active());
        assert_eq!(plan.roll().1, Some(Fault::Disconnect));
        assert_eq!(plan.roll().1, Some(Fault::Internal));
        let rolls: Vec<(u64, Option<Fault>)> = (0..10_000).map(|_| plan.roll()).collect();
        let faulted = rolls.iter().filter(|(_, fault)| fault.is_some()).count();
        assert!((1_800..2_200).contains(&faulted), "{faulted} of 10,000");
        assert!(rolls.iter().all(|(delay, _)| (150..=450).contains(delay)));
        let mut none = FaultPlan::none();
        assert!(!none.is_active());
        assert_eq!(none.roll(), (0, None));
    }

    #[test]
    fn faults_answer_as_the_service_would() {
        assert_eq!(Fault::Internal.response().unwrap().status, 500);
        assert_eq!(Fault::Unavailable.response().unwrap().status, 503);
        let busy = Fault::TooManyRequests;
        assert_eq!(busy.response().unwrap().status, 429);
        assert_eq!(busy.retry_after(), Some(1));
        assert_eq!(Fault::Disconnect.response(), None);
    }
}
