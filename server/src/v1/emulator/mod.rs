//! `/v1/*` answered by the emulator core, with faults and persistence around it. The server's
//! own work (rollouts) calls the same path in-process, faults included.

pub mod faults;
pub mod state;
pub mod state_file;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Request;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method as HttpMethod, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use microvisor_api::error::codes;
use microvisor_sim::faults::Fault;
use microvisor_sim::{Method, SimRequest, SimResponse, Upload};

use crate::answers::{error, request_origin};
use crate::clock::unix_now_ms;
use crate::v1::uploads;
use faults::fault_response;
use state::AppState;

/// Writes to this API are a few short form fields.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// One request to the emulator, however it came.
pub struct Call<'a> {
    pub method: Method,
    pub origin: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub authorization: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// The server's own work (rollouts): it carries whatever credentials the emulator asks
    /// for, made at the moment (an OAuth2 token is minted for it).
    pub own: bool,
}

/// How a request to the emulator ended.
pub enum Outcome {
    Answered(SimResponse),
    /// An injected fault, decided before the emulator saw the request.
    Faulted(Fault),
    /// The emulator could not save its change; it is not applied.
    NotSaved,
}

/// Faults first (so a faulted write never lands), then the emulator, then its state file.
pub async fn call(state: &AppState, call: Call<'_>) -> Outcome {
    if state.faults.is_active()
        && let Some(fault) = state.faults.roll().await
    {
        return Outcome::Faulted(fault);
    }
    let now_ms = unix_now_ms();
    let mut backend = state.backend.lock().await;
    let own_authorization = if call.own {
        backend.emulator.own_authorization(now_ms)
    } else {
        None
    };
    let request = SimRequest {
        method: call.method,
        origin: call.origin,
        path: call.path,
        query: call.query,
        authorization: own_authorization.as_deref().or(call.authorization),
        content_type: call.content_type,
        body: call.body,
        now_ms,
    };
    let answer = backend.emulator.handle(&request);
    let changes = backend.emulator.take_changes();
    if let Some(store) = backend.store.as_mut()
        && let Err(err) = store.write(&changes)
    {
        tracing::error!("could not save the emulator's state: {err}");
        return Outcome::NotSaved;
    }
    Outcome::Answered(answer)
}

pub async fn handle(
    State(state): State<Arc<AppState>>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let origin = request_origin(&headers).unwrap_or_else(|| format!("http://{}", state.listen));
    let outcome = call(
        &state,
        Call {
            method: Method::parse(method.as_str()),
            origin: &origin,
            path: uri.path(),
            query: uri.query().unwrap_or(""),
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok()),
            content_type: headers
                .get(header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok()),
            body: &body,
            own: false,
        },
    )
    .await;
    let answer = match outcome {
        Outcome::Answered(answer) => answer,
        Outcome::Faulted(fault) => return fault_response(fault),
        Outcome::NotSaved => {
            return error(
                500,
                codes::INTERNAL,
                "The emulator could not save this change.",
            );
        }
    };
    respond(answer)
}

/// The emulator's answer as an HTTP response.
fn respond(answer: SimResponse) -> Response {
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

/// `POST /v1/Apps`: an upload, as the vendor's upload host takes it. Faults first, as for every
/// request; credentials before the body is read; then the bundle received and checked, and
/// only then the app created and saved: a refused or broken-off upload creates nothing.
pub async fn upload(State(state): State<Arc<AppState>>, request: Request) -> Response {
    if state.faults.is_active()
        && let Some(fault) = state.faults.roll().await
    {
        return fault_response(fault);
    }
    let origin =
        request_origin(request.headers()).unwrap_or_else(|| format!("http://{}", state.listen));
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if let Err(refused) = state
        .backend
        .lock()
        .await
        .emulator
        .authenticate(authorization.as_deref(), unix_now_ms())
    {
        return respond(refused);
    }
    let received = match uploads::receive(request, &state.uploads).await {
        Ok(received) => received,
        Err(refused) => return refused,
    };
    let bundle = match uploads::check(&received, &state.uploads).await {
        Ok(bundle) => bundle,
        Err(refused) => return refused,
    };
    let facts = received.facts(Some(&bundle));
    let mut backend = state.backend.lock().await;
    let answer = backend.emulator.add_app(&Upload {
        manifest: &bundle.manifest,
        unique_name: received.unique_name.as_deref(),
        authorization: authorization.as_deref(),
        origin: &origin,
        now_ms: unix_now_ms(),
    });
    let changes = backend.emulator.take_changes();
    if let Some(store) = backend.store.as_mut()
        && let Err(err) = store.write(&changes)
    {
        tracing::error!("could not save the emulator's state: {err}");
        let failed = error(
            500,
            codes::INTERNAL,
            "The emulator could not save this change.",
        );
        return uploads::with_facts(failed, facts);
    }
    uploads::with_facts(respond(answer), facts)
}

/// `GET /emulator/v1/writes`: how many times each device was given a `TargetApp`, so tests can
/// check that a rollout wrote each device exactly once.
pub async fn writes(State(state): State<Arc<AppState>>) -> Response {
    let backend = state.backend.lock().await;
    axum::Json(serde_json::json!({
        "target_app_writes": backend.emulator.target_app_writes(),
    }))
    .into_response()
}

/// `POST /oauth2/token`: the emulator's OAuth2 token endpoint (client credentials), when it
/// was started with `--auth-mode oauth2`; else 404.
pub async fn token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut backend = state.backend.lock().await;
    let answer = backend.emulator.issue_token(
        headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok()),
        &body,
        unix_now_ms(),
    );
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        answer.body,
    )
        .into_response()
}
