//! Requests over HTTP with the browser's `fetch`, aborted when their owner goes away or when
//! they take too long.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use console_protocol::ACCESS_TOKEN_HEADER;
use gloo_net::http::{Request, RequestBuilder};
use leptos::prelude::set_timeout_with_handle;
use web_sys::AbortController;

use super::request::{Call, HttpMethod, RawResponse};
use crate::api::ApiError;

/// A read with no answer after this long is abandoned (and tried again, within the retry
/// policy); a write is given longer, since it is not tried again.
pub const READ_TIMEOUT: Duration = Duration::from_secs(15);
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(20);

/// Aborts the request when the future that owns it is dropped, e.g. when the view that
/// asked for it goes away, so no stale response arrives later.
struct AbortOnDrop(Option<AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = self.0.take() {
            controller.abort();
        }
    }
}

pub async fn send(call: &Call<'_>) -> Result<RawResponse, ApiError> {
    let controller = AbortController::new().ok();
    let mut guard = AbortOnDrop(controller.clone());
    let signal = controller.as_ref().map(AbortController::signal);
    // A reactive owner (a resource that reruns, a view that unmounts) aborts what it started,
    // so a replaced or abandoned request stops at once instead of finishing unseen.
    if let Some(controller) = controller.clone() {
        let controller = send_wrapper::SendWrapper::new(controller);
        leptos::prelude::on_cleanup(move || controller.abort());
    }
    let timeout = match call.method {
        HttpMethod::Get => READ_TIMEOUT,
        HttpMethod::Post | HttpMethod::Delete => WRITE_TIMEOUT,
    };
    let timed_out = Rc::new(Cell::new(false));
    let timer = controller.clone().and_then(|controller| {
        let timed_out = Rc::clone(&timed_out);
        set_timeout_with_handle(
            move || {
                timed_out.set(true);
                controller.abort();
            },
            timeout,
        )
        .ok()
    });
    let mut builder: RequestBuilder = match call.method {
        HttpMethod::Get => Request::get(call.url),
        HttpMethod::Post => Request::post(call.url),
        HttpMethod::Delete => Request::delete(call.url),
    }
    .header("Accept", "application/json")
    .abort_signal(signal.as_ref());
    if let Some(authorization) = call.authorization {
        builder = builder.header("Authorization", authorization);
    }
    if let Some(token) = call.access_token {
        builder = builder.header(ACCESS_TOKEN_HEADER, token);
    }
    let request = match call.body {
        None => builder.build(),
        Some(body) => builder
            .header("Content-Type", body.content_type())
            .body(body.text().to_owned()),
    }
    .map_err(|err| ApiError::Network(err.to_string()))?;
    let failed = |err: gloo_net::Error| {
        if timed_out.get() {
            ApiError::Timeout {
                seconds: timeout.as_secs(),
            }
        } else if signal.as_ref().is_some_and(web_sys::AbortSignal::aborted) {
            ApiError::Aborted
        } else {
            ApiError::Network(err.to_string())
        }
    };
    let result = request.send().await;
    let response = result.map_err(failed)?;
    // Bytes, not text: the body goes straight into wasm memory, with no JS string between.
    let body = response.binary().await.map_err(failed);
    if let Some(timer) = timer {
        timer.clear();
    }
    // The answer has arrived: nothing is left to abort.
    guard.0 = None;
    Ok(RawResponse {
        status: response.status(),
        status_text: response.status_text(),
        retry_after: response.headers().get("Retry-After"),
        body: body?,
    })
}
