//! `/v1/*` answered by the emulator core, with faults and persistence around it.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method as HttpMethod, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use microvisor_api::error::codes;
use microvisor_sim::{Emulator, Method, SimRequest};

use crate::AppState;
use crate::http::{error, request_origin};
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

pub async fn handle(
    State(state): State<Arc<AppState>>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.faults.is_active()
        && let Some(fault) = state.faults.before_request().await
    {
        return fault;
    }
    let origin = request_origin(&headers).unwrap_or_else(|| format!("http://{}", state.listen));
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let request = SimRequest {
        method: Method::parse(method.as_str()),
        origin: &origin,
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok()),
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
