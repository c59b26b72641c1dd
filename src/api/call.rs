//! One API call over any transport: send it, try it again within the retry policy (reads on
//! every transient failure, writes only when the service refused them), decode the answer.

use console_core::retry::{Failure, Kind, MAX_TRIES, next_delay_ms};
use leptos::prelude::*;
use serde::de::DeserializeOwned;

use super::ApiError;
use super::transport::{Call, HttpMethod, RawResponse, Transport};
use crate::browser::web::sleep;

/// A request being tried again: the page says so ("Retrying… 2 of 6").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retrying {
    /// The try about to be made, counting the first.
    pub try_number: u32,
}

impl Retrying {
    pub fn note(&self) -> String {
        console_core::retry::retrying_note(self.try_number)
    }
}

/// How a try went wrong, when trying again might help.
fn failure_of(result: &Result<RawResponse, ApiError>) -> Option<Failure<'_>> {
    match result {
        Ok(response) if !(200..300).contains(&response.status) => Some(Failure::Status {
            status: response.status,
            retry_after: response.retry_after.as_deref(),
        }),
        Ok(_) => None,
        Err(ApiError::Network(_)) => Some(Failure::Dropped),
        Err(ApiError::Timeout { .. }) => Some(Failure::TimedOut),
        Err(_) => None,
    }
}

/// Sends `call` and decodes a JSON answer (an empty body reads as `null`). While it is tried
/// again, `retrying` (when given) says which try comes next; it is cleared at the end.
pub async fn send_and_decode<T: Decode>(
    transport: Transport,
    call: Call<'_>,
    retrying: Option<RwSignal<Option<Retrying>>>,
) -> Result<T, ApiError> {
    let url = call.url;
    let response = send(transport, call, retrying).await?;
    decode_marked(url, response)
}

/// Sends `call`, trying it again within the policy, and gives the answer as it came. Apart
/// from decoding, so that one copy of the retry loop serves every type an answer becomes (a
/// copy per type cost the wasm modules 5.7 KB brotli in all).
async fn send(
    transport: Transport,
    call: Call<'_>,
    retrying: Option<RwSignal<Option<Retrying>>>,
) -> Result<RawResponse, ApiError> {
    let kind = match call.method {
        HttpMethod::Get => Kind::Read,
        HttpMethod::Post | HttpMethod::Delete => Kind::Write,
    };
    let report = |state: Option<Retrying>| {
        if let Some(signal) = retrying {
            // The page that asked may be gone by now; then there is no one to tell.
            let _ = signal.try_set(state);
        }
    };
    let started = js_sys::Date::now();
    let mut tries = 0;
    let result = loop {
        tries += 1;
        let result = transport.send(&call).await;
        let elapsed = (js_sys::Date::now() - started).max(0.0) as u64;
        let wait = failure_of(&result).and_then(|failure| {
            next_delay_ms(kind, failure, tries, elapsed, js_sys::Math::random())
        });
        match wait {
            Some(ms) => {
                report(Some(Retrying {
                    try_number: (tries + 1).min(MAX_TRIES),
                }));
                sleep(ms).await;
            }
            None => break result,
        }
    };
    if tries > 1 {
        report(None);
    }
    let response = result?;
    // "api:/v1/Devices": when a list's answer arrived, before it is decoded and drawn; then
    // "decoded:/v1/Devices", so the bench can split decoding from drawing.
    crate::browser::web::mark(&format!("api:{}", api_path_of(call.url)));
    Ok(response)
}

/// Decodes an answer `send` gave for `url`, and marks when that is done.
fn decode_marked<T: Decode>(url: &str, response: RawResponse) -> Result<T, ApiError> {
    let decoded = decode(response);
    crate::browser::web::mark(&format!("decoded:{}", api_path_of(url)));
    decoded
}

/// An answer's body as it came: `send_and_decode` checks its status, and leaves it be.
pub struct RawBody(pub Vec<u8>);

impl Decode for RawBody {
    fn decode(_status: u16, body: Vec<u8>) -> Result<RawBody, ApiError> {
        Ok(RawBody(body))
    }
}

/// The path of a request URL, without origin and query: what a performance mark is named by.
fn api_path_of(url: &str) -> &str {
    let path = microvisor_api::url::split_origin(url).map_or(url, |(_, rest)| rest);
    path.split(['?', '#']).next().unwrap_or(path)
}

/// A whole answer decoded, or the API's error it carries.
pub(super) fn decode<T: Decode>(response: RawResponse) -> Result<T, ApiError> {
    let status = response.status;
    if !(200..300).contains(&status) {
        return Err(ApiError::from_response(
            status,
            &response.status_text,
            &String::from_utf8_lossy(&response.body),
        ));
    }
    T::decode(status, response.body)
}

/// What an answer's body becomes.
pub trait Decode: Sized {
    fn decode(status: u16, body: Vec<u8>) -> Result<Self, ApiError>;
}

/// JSON (an empty body reads as `null`).
impl<T: DeserializeOwned> Decode for T {
    fn decode(status: u16, body: Vec<u8>) -> Result<T, ApiError> {
        let body: &[u8] = if body.is_empty() { b"null" } else { &body };
        serde_json::from_slice(body).map_err(|err| ApiError::Decode {
            status,
            detail: err.to_string(),
        })
    }
}
