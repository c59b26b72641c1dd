//! `/v1/*` answered by the in-memory emulator.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method as HttpMethod, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use microvisor_sim::{Method, SimRequest};

use crate::AppState;

/// Writes to this API are a few short form fields.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}

/// The origin to put in absolute URLs: the Host the client used, if it is a plain host name
/// or address, else the listen address.
fn origin(headers: &HeaderMap, state: &AppState) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        });
    match host {
        Some(host) => format!("http://{host}"),
        None => format!("http://{}", state.listen),
    }
}

pub async fn handle(
    State(state): State<Arc<AppState>>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let origin = origin(&headers, &state);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let request = SimRequest {
        method: Method::parse(method.as_str()),
        origin: &origin,
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        content_type,
        body: &body,
        now: unix_now(),
    };
    let answer = state.emulator.lock().await.handle(&request);
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if answer.body.is_empty() {
        return status.into_response();
    }
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        answer.body,
    )
        .into_response()
}
