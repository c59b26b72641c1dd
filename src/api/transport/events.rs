//! The console's event stream over `fetch`, read as its bytes arrive. Not `EventSource`: that
//! cannot send this tab's access token, which the server asks of every `/console/v1` request.

use console_protocol::ACCESS_TOKEN_HEADER;
use gloo_net::http::Request;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader};

use crate::api::ApiError;

/// Opens `url`, calls `opened` once it answers 200, then `bytes` with each chunk, until the
/// stream ends (`Ok`), fails, or `signal` aborts it. `last_id` resumes after that event.
pub async fn listen(
    url: &str,
    access_token: Option<&str>,
    last_id: Option<&str>,
    signal: &AbortSignal,
    opened: &dyn Fn(),
    bytes: &mut dyn FnMut(&[u8]),
) -> Result<(), ApiError> {
    let mut builder = Request::get(url)
        .header("Accept", "text/event-stream")
        .abort_signal(Some(signal));
    if let Some(token) = access_token {
        builder = builder.header(ACCESS_TOKEN_HEADER, token);
    }
    if let Some(id) = last_id {
        builder = builder.header("Last-Event-ID", id);
    }
    let network = |err: &dyn std::fmt::Display| ApiError::Network(err.to_string());
    let response = builder.send().await.map_err(|err| network(&err))?;
    if response.status() != 200 {
        return Err(ApiError::Network(format!(
            "the event stream answered {}",
            response.status()
        )));
    }
    let body = response
        .body()
        .ok_or_else(|| ApiError::Network("the event stream has no body".to_owned()))?;
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    opened();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|err| network(&format!("{err:?}")))?;
        let done = Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|done| done.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(());
        }
        if let Ok(value) = Reflect::get(&chunk, &"value".into()) {
            bytes(&Uint8Array::new(&value).to_vec());
        }
    }
}
