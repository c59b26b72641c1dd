//! The in-page transport: a call handed to the demo's server stand-ins (`crate::demo`) and
//! their answer handed back, as if it had crossed the network.

use super::request::{Body, Call, HttpMethod, RawResponse, Upload};
use crate::api::error::ApiError;
use crate::demo::wire::{Answer, Method, Request, UploadRequest};

pub async fn send(call: &Call<'_>) -> Result<RawResponse, ApiError> {
    let request = Request {
        method: match call.method {
            HttpMethod::Get => Method::Get,
            HttpMethod::Post => Method::Post,
            HttpMethod::Delete => Method::Delete,
        },
        url: call.url,
        content_type: call.body.map(Body::content_type),
        body: call.body.map_or("", Body::text),
        authorization: call.authorization,
    };
    crossed(crate::demo::send(&request).await)
}

/// An upload handed to the demo's emulator.
pub async fn upload(
    url: &str,
    upload: &Upload<'_>,
    authorization: Option<&str>,
) -> Result<RawResponse, ApiError> {
    let request = UploadRequest {
        url,
        file_name: upload.file_name,
        bytes: upload.bytes,
        unique_name: upload.unique_name,
        authorization,
    };
    crossed(crate::demo::upload(&request).await)
}

/// The demo's answer as the network would have brought it; `None` is a dropped connection.
fn crossed(answer: Option<Answer>) -> Result<RawResponse, ApiError> {
    match answer {
        Some(answer) => Ok(RawResponse {
            status: answer.status,
            status_text: String::new(),
            retry_after: answer.retry_after,
            body: answer.body,
        }),
        None => Err(ApiError::Network(
            "the connection dropped (the demo's unreliable network)".to_owned(),
        )),
    }
}
