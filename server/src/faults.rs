//! Fault injection and latency for resilience tests. A fault is decided before the request
//! reaches the emulator, so a faulted write is never applied.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use microvisor_api::error::codes;
use microvisor_sim::rng::Rng;

use crate::http::error;

#[derive(Debug)]
pub struct Faults {
    pub rate: f64,
    pub latency_ms: u64,
    rng: Mutex<Rng>,
}

enum Fault {
    Internal,
    Unavailable,
    TooManyRequests,
    Disconnect,
}

impl Faults {
    pub fn new(rate: f64, latency_ms: u64, seed: u64) -> Faults {
        Faults {
            rate,
            latency_ms,
            rng: Mutex::new(Rng::new(seed)),
        }
    }

    pub fn is_active(&self) -> bool {
        self.rate > 0.0 || self.latency_ms > 0
    }

    fn roll(&self) -> (u64, Option<Fault>) {
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // 50–150 % of the configured latency.
        let delay = if self.latency_ms == 0 {
            0
        } else {
            self.latency_ms / 2 + rng.below(self.latency_ms + 1)
        };
        let hit =
            (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= self.rate && self.rate > 0.0;
        let fault = hit.then(|| match rng.below(4) {
            0 => Fault::Internal,
            1 => Fault::Unavailable,
            2 => Fault::TooManyRequests,
            _ => Fault::Disconnect,
        });
        (delay, fault)
    }

    /// Waits the jittered latency, then answers with a fault, or `None` to let the request
    /// through.
    pub async fn before_request(&self) -> Option<Response> {
        let (delay, fault) = self.roll();
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        Some(match fault? {
            Fault::Internal => error(500, codes::INTERNAL, "Injected fault: internal error."),
            Fault::Unavailable => error(503, 20503, "Injected fault: service unavailable."),
            Fault::TooManyRequests => {
                let mut response = error(
                    429,
                    codes::TOO_MANY_REQUESTS,
                    "Injected fault: too many requests.",
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
            // Headers go out, then the body fails: the client sees the connection drop.
            Fault::Disconnect => {
                Response::new(Body::from_stream(futures_util::stream::once(async {
                    Err::<Bytes, std::io::Error>(std::io::Error::other("injected disconnect"))
                })))
            }
        })
    }
}
