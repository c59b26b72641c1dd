//! One request: abort on drop, a timeout, bounded retries of reads on 429 and 503, and errors
//! as `ApiError`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use gloo_net::http::{Request, RequestBuilder, Response};
use leptos::prelude::set_timeout_with_handle;
use microvisor_api::retry::retry_delay_ms;
use serde::de::DeserializeOwned;
use web_sys::AbortController;

use super::ApiError;

/// A request with no answer after this long is abandoned.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}

pub struct Call<'a> {
    pub method: HttpMethod,
    pub url: &'a str,
    pub form: Option<&'a str>,
    /// The `Authorization` header value, only for a custom API the user configured.
    pub authorization: Option<&'a str>,
    /// This console's access token, for its own server.
    pub access_token: Option<&'a str>,
}

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep(ms: u64) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                ms.min(i32::MAX as u64) as i32,
            );
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

async fn send_once(call: &Call<'_>) -> Result<(u16, Response), ApiError> {
    let controller = AbortController::new().ok();
    let mut guard = AbortOnDrop(controller.clone());
    let signal = controller.as_ref().map(AbortController::signal);
    // A reactive owner (a resource that reruns, a view that unmounts) aborts what it started,
    // so a replaced or abandoned request stops at once instead of finishing unseen.
    if let Some(controller) = controller.clone() {
        let controller = send_wrapper::SendWrapper::new(controller);
        leptos::prelude::on_cleanup(move || controller.abort());
    }
    let timed_out = Rc::new(Cell::new(false));
    let timer = controller.clone().and_then(|controller| {
        let timed_out = Rc::clone(&timed_out);
        set_timeout_with_handle(
            move || {
                timed_out.set(true);
                controller.abort();
            },
            REQUEST_TIMEOUT,
        )
        .ok()
    });
    let mut builder: RequestBuilder = match call.method {
        HttpMethod::Get => Request::get(call.url),
        HttpMethod::Post => Request::post(call.url),
    }
    .header("Accept", "application/json")
    .abort_signal(signal.as_ref());
    if let Some(authorization) = call.authorization {
        builder = builder.header("Authorization", authorization);
    }
    if let Some(token) = call.access_token {
        builder = builder.header(super::config::ACCESS_TOKEN_HEADER, token);
    }
    let request = match call.form {
        None => builder.build(),
        Some(form) => builder
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.to_owned()),
    }
    .map_err(|err| ApiError::Network(err.to_string()))?;
    let result = request.send().await;
    if let Some(timer) = timer {
        timer.clear();
    }
    let response = result.map_err(|err| {
        if timed_out.get() {
            ApiError::Timeout
        } else if signal.as_ref().is_some_and(web_sys::AbortSignal::aborted) {
            ApiError::Aborted
        } else {
            ApiError::Network(err.to_string())
        }
    })?;
    // The answer has arrived: nothing is left to abort.
    guard.0 = None;
    Ok((response.status(), response))
}

/// Sends `call` and decodes a JSON answer. Reads are retried on 429 and 503.
pub async fn send_json<T: DeserializeOwned>(call: Call<'_>) -> Result<T, ApiError> {
    let mut retry = 0;
    let (status, response) = loop {
        let (status, response) = send_once(&call).await?;
        retry += 1;
        let retry_after = response.headers().get("Retry-After");
        let wait = (call.method == HttpMethod::Get)
            .then(|| retry_delay_ms(retry, status, retry_after.as_deref()))
            .flatten();
        match wait {
            Some(ms) => sleep(ms).await,
            None => break (status, response),
        }
    };
    let text = response
        .text()
        .await
        .map_err(|err| ApiError::Network(err.to_string()))?;
    if !(200..300).contains(&status) {
        return Err(ApiError::from_response(
            status,
            &response.status_text(),
            &text,
        ));
    }
    let text = if text.is_empty() {
        "null"
    } else {
        text.as_str()
    };
    serde_json::from_str(text).map_err(|err| ApiError::Decode {
        status,
        detail: err.to_string(),
    })
}
