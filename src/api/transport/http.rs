//! Requests over HTTP with the browser's `fetch`, aborted when their owner goes away or when
//! they take too long.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use console_protocol::ACCESS_TOKEN_HEADER;
use gloo_net::http::{Request, RequestBuilder, Response};
use leptos::prelude::set_timeout_with_handle;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortController;

use super::early::Early;
use super::request::{Call, HttpMethod, RawResponse};
use crate::api::ApiError;

/// A read with no answer after this long is abandoned (and tried again, within the retry
/// policy); a write is given longer, since it is not tried again.
pub const READ_TIMEOUT: Duration = Duration::from_secs(15);
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(20);

/// What becomes of a request whose owner goes away before its answer is in: aborted, so no
/// stale response arrives later; or, for one the page's loader started and nothing has waited
/// for yet, given back for the next read of its URL.
enum Unanswered {
    Abort(AbortController),
    GiveBack(Early),
}

/// Done once, by whichever comes first: the future dropped (e.g. the view that asked went
/// away) or its reactive owner cleaned up (a resource that reruns, a view that unmounts).
#[derive(Clone)]
struct Release(Rc<RefCell<Option<Unanswered>>>);

impl Release {
    fn now(&self) {
        match self.0.borrow_mut().take() {
            Some(Unanswered::Abort(controller)) => controller.abort(),
            Some(Unanswered::GiveBack(early)) => early.give_back(),
            None => {}
        }
    }

    fn set(&self, unanswered: Option<Unanswered>) {
        *self.0.borrow_mut() = unanswered;
    }
}

struct ReleaseOnDrop(Release);

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        self.0.now();
    }
}

pub async fn send(call: &Call<'_>) -> Result<RawResponse, ApiError> {
    // The page may have asked already, while the wasm loaded: then its answer is this one.
    let early = match (call.method, call.body) {
        (HttpMethod::Get, None) => super::early::claim(call.url, call.access_token),
        _ => None,
    };
    let controller = match &early {
        Some(early) => Some(early.controller.clone()),
        None => AbortController::new().ok(),
    };
    let signal = controller.as_ref().map(AbortController::signal);
    let answer = early.as_ref().map(|early| early.answer.clone());
    let release = Release(Rc::new(RefCell::new(match early {
        Some(early) => Some(Unanswered::GiveBack(early)),
        None => controller.clone().map(Unanswered::Abort),
    })));
    let guard = ReleaseOnDrop(release.clone());
    let on_cleanup_release = send_wrapper::SendWrapper::new(release.clone());
    leptos::prelude::on_cleanup(move || on_cleanup_release.now());
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
    let failed = |message: String| {
        if timed_out.get() {
            ApiError::Timeout {
                seconds: timeout.as_secs(),
            }
        } else if signal.as_ref().is_some_and(web_sys::AbortSignal::aborted) {
            ApiError::Aborted
        } else {
            ApiError::Network(message)
        }
    };
    let result = match answer {
        Some(answer) => {
            let answer = wasm_bindgen_futures::JsFuture::from(answer).await;
            // Waited for: from here on it is this request's own, to abort like any other.
            release.set(controller.clone().map(Unanswered::Abort));
            answer
                .map(|answer| Response::from(answer.unchecked_into::<web_sys::Response>()))
                .map_err(|err| failed(js_message(&err)))
        }
        None => request(call, signal.as_ref())?
            .send()
            .await
            .map_err(|err| failed(err.to_string())),
    };
    let response = result?;
    // Bytes, not text: the body goes straight into wasm memory, with no JS string between.
    let body = response
        .binary()
        .await
        .map_err(|err| failed(err.to_string()));
    if let Some(timer) = timer {
        timer.clear();
    }
    // The answer has arrived: nothing is left to abort.
    guard.0.set(None);
    Ok(RawResponse {
        status: response.status(),
        status_text: response.status_text(),
        retry_after: response.headers().get("Retry-After"),
        body: body?,
    })
}

/// What a rejected promise said.
fn js_message(err: &JsValue) -> String {
    err.dyn_ref::<js_sys::Error>()
        .map_or_else(|| format!("{err:?}"), |err| String::from(err.message()))
}

fn request(call: &Call<'_>, signal: Option<&web_sys::AbortSignal>) -> Result<Request, ApiError> {
    let mut builder: RequestBuilder = match call.method {
        HttpMethod::Get => Request::get(call.url),
        HttpMethod::Post => Request::post(call.url),
        HttpMethod::Delete => Request::delete(call.url),
    }
    .header("Accept", "application/json")
    .abort_signal(signal);
    if let Some(authorization) = call.authorization {
        builder = builder.header("Authorization", authorization);
    }
    if let Some(token) = call.access_token {
        builder = builder.header(ACCESS_TOKEN_HEADER, token);
    }
    match call.body {
        None => builder.build(),
        Some(body) => builder
            .header("Content-Type", body.content_type())
            .body(body.text().to_owned()),
    }
    .map_err(|err| ApiError::Network(err.to_string()))
}
