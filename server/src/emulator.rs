//! `/v1/*` answered by the in-memory emulator, with optional credentials, faults and
//! persistence around it.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method as HttpMethod, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use microvisor_api::error::codes;
use microvisor_sim::{Emulator, Method, SimRequest};

use crate::AppState;
use crate::faults::error;
use crate::store::Store;

/// Writes to this API are a few short form fields.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn unix_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// The emulator and, with `--state`, where its changes go.
pub struct Backend {
    pub emulator: Emulator,
    pub store: Option<Store>,
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

/// True when the request carries the HTTP Basic credentials the server was started with.
fn authorized(headers: &HeaderMap, expected: &str) -> bool {
    let Some(encoded) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
    else {
        return false;
    };
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .is_ok_and(|decoded| decoded == expected.as_bytes())
}

pub async fn handle(
    State(state): State<Arc<AppState>>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(credentials) = &state.auth
        && !authorized(&headers, credentials)
    {
        return error(
            401,
            codes::AUTHENTICATE,
            "Authentication Error - No credentials provided or they are invalid",
        );
    }
    if state.faults.is_active()
        && let Some(fault) = state.faults.before_request().await
    {
        return fault;
    }
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
        now_ms: unix_now_ms(),
    };
    let mut backend = state.backend.lock().await;
    let answer = backend.emulator.handle(&request);
    let changes = backend.emulator.take_changes();
    if let Some(store) = backend.store.as_mut()
        && let Err(err) = store.write(&changes)
    {
        tracing::error!("could not save the emulator's state: {err}");
        return error(
            500,
            codes::INTERNAL,
            "The emulator could not save this change.",
        );
    }
    drop(backend);
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
