//! The in-page transport: a call handed to the demo's server stand-ins (`crate::demo`) and
//! their answer handed back, as if it had crossed the network.

use super::request::{Body, Call, HttpMethod, RawResponse};
use crate::api::error::ApiError;
use crate::demo::wire::{Method, Request};

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
    match crate::demo::send(&request).await {
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
