//! Fault injection and latency for resilience tests, planned by the emulator core and turned
//! into answers here. A fault is decided before the request reaches the emulator, so a faulted
//! write is never applied.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use microvisor_sim::faults::{Fault, FaultPlan};

#[derive(Debug)]
pub struct Faults(Mutex<FaultPlan>);

impl Faults {
    pub fn new(rate: f64, latency_ms: u64, seed: u64) -> Faults {
        Faults(Mutex::new(FaultPlan::new(rate, latency_ms, seed)))
    }

    fn plan(&self) -> std::sync::MutexGuard<'_, FaultPlan> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn is_active(&self) -> bool {
        self.plan().is_active()
    }

    /// Waits the jittered latency, then gives the fault to answer with, or `None` to let the
    /// request through.
    pub async fn roll(&self) -> Option<Fault> {
        let (delay, fault) = self.plan().roll();
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        fault
    }
}

/// The HTTP answer of a fault.
pub fn fault_response(fault: Fault) -> Response {
    let Some(answer) = fault.response() else {
        // Headers go out, then the body fails: the client sees the connection drop.
        return Response::new(Body::from_stream(futures_util::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("injected disconnect"))
        })));
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        answer.body,
    )
        .into_response();
    if let Some(seconds) = fault.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
