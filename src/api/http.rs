//! One request, with abort on drop and errors as `ApiError`.

use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;
use web_sys::AbortController;

use super::ApiError;

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

pub enum Body<'a> {
    None,
    Form(&'a str),
}

pub async fn send_json<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Body<'_>,
) -> Result<T, ApiError> {
    let controller = AbortController::new().ok();
    let mut guard = AbortOnDrop(controller.clone());
    let signal = controller.as_ref().map(AbortController::signal);
    let builder: RequestBuilder = match method {
        "POST" => Request::post(url),
        "DELETE" => Request::delete(url),
        _ => Request::get(url),
    }
    .header("Accept", "application/json")
    .abort_signal(signal.as_ref());
    let request = match body {
        Body::None => builder.build(),
        Body::Form(form) => builder
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.to_owned()),
    }
    .map_err(|err| ApiError::Network(err.to_string()))?;
    let response = request.send().await.map_err(|err| {
        if signal.as_ref().is_some_and(web_sys::AbortSignal::aborted) {
            ApiError::Aborted
        } else {
            ApiError::Network(err.to_string())
        }
    })?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|err| ApiError::Network(err.to_string()))?;
    // The response is complete: nothing left to abort.
    guard.0 = None;
    if !(200..300).contains(&status) {
        return Err(ApiError::from_response(
            status,
            &response.status_text(),
            &text,
        ));
    }
    serde_json::from_str(&text).map_err(|err| ApiError::Decode {
        status,
        detail: err.to_string(),
    })
}
