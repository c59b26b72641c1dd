//! How a request travels: over HTTP with `fetch`, or to the emulator inside the page. Above
//! this, every backend takes the same code path.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use gloo_net::http::{Request, RequestBuilder};
use leptos::prelude::set_timeout_with_handle;
use web_sys::AbortController;

use super::ApiError;

/// A request with no answer after this long is abandoned.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Http,
    /// The emulator core in this page.
    InPage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
    Delete,
}

impl HttpMethod {
    #[cfg(feature = "demo")]
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Delete => "DELETE",
        }
    }
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

/// A complete answer, before decoding.
pub struct RawResponse {
    pub status: u16,
    pub status_text: String,
    pub retry_after: Option<String>,
    pub text: String,
}

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

impl Transport {
    pub async fn send(self, call: &Call<'_>) -> Result<RawResponse, ApiError> {
        match self {
            #[cfg(feature = "demo")]
            Transport::InPage => Ok(super::demo::handle(
                call.method.as_str(),
                call.url,
                call.form,
            )),
            #[cfg(not(feature = "demo"))]
            Transport::InPage => Err(ApiError::Network(
                "This build of the console has no demo mode; connect it to a server in Settings."
                    .to_owned(),
            )),
            Transport::Http => send_http(call).await,
        }
    }
}

async fn send_http(call: &Call<'_>) -> Result<RawResponse, ApiError> {
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
        HttpMethod::Delete => Request::delete(call.url),
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
    let failed = |err: gloo_net::Error| {
        if timed_out.get() {
            ApiError::Timeout
        } else if signal.as_ref().is_some_and(web_sys::AbortSignal::aborted) {
            ApiError::Aborted
        } else {
            ApiError::Network(err.to_string())
        }
    };
    let result = request.send().await;
    let response = result.map_err(failed)?;
    let text = response.text().await.map_err(failed);
    if let Some(timer) = timer {
        timer.clear();
    }
    // The answer has arrived: nothing is left to abort.
    guard.0 = None;
    Ok(RawResponse {
        status: response.status(),
        status_text: response.status_text(),
        retry_after: response.headers().get("Retry-After"),
        text: text?,
    })
}
