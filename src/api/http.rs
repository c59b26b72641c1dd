//! One API call: send it, retry reads on 429 and 503 within bounds, decode the answer.

use microvisor_api::retry::retry_delay_ms;
use serde::de::DeserializeOwned;

use super::ApiError;
use super::transport::{Call, Transport};

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

/// Sends `call` and decodes a JSON answer. A 429 or 503 means the service did not take the
/// request, so reads and writes alike are retried, a bounded number of times.
pub async fn send_json<T: DeserializeOwned>(
    transport: Transport,
    call: Call<'_>,
) -> Result<T, ApiError> {
    let mut retry = 0;
    let response = loop {
        let response = transport.send(&call).await?;
        retry += 1;
        let wait = retry_delay_ms(retry, response.status, response.retry_after.as_deref());
        match wait {
            Some(ms) => sleep(ms).await,
            None => break response,
        }
    };
    let status = response.status;
    if !(200..300).contains(&status) {
        return Err(ApiError::from_response(
            status,
            &response.status_text,
            &response.text,
        ));
    }
    let text = if response.text.is_empty() {
        "null"
    } else {
        response.text.as_str()
    };
    serde_json::from_str(text).map_err(|err| ApiError::Decode {
        status,
        detail: err.to_string(),
    })
}
