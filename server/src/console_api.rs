//! The server's own API under `/console/v1` (the vendor's is `/v1`): saved views and rollouts,
//! JSON, behind the same defences as `/v1` (Host check, same-origin writes, access token).
//! Errors use the vendor's body shape, so the console reads them as it reads the API's.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use console_protocol::{
    NewRollout, RolloutControl, RolloutList, RolloutSource, RolloutSummary, SavedView, ViewInput,
    ViewList,
};
use fleet_engine::planning::{self, Planned, Selection};
use microvisor_api::error::codes;

use crate::api::Api;
use crate::emulator::unix_now_ms;
use crate::http::error;
use crate::store::{Store, StoreError};

/// What the handlers share.
pub struct ConsoleApi {
    pub store: Store,
    pub api: Api,
}

pub fn routes(state: Arc<ConsoleApi>) -> axum::Router {
    axum::Router::new()
        .route("/console/v1/views", get(list_views).post(create_view))
        .route(
            "/console/v1/views/{id}",
            post(update_view).delete(delete_view),
        )
        .route(
            "/console/v1/rollouts",
            get(list_rollouts).post(create_rollout),
        )
        .route("/console/v1/rollouts/preview", post(preview_rollout))
        .route("/console/v1/rollouts/{id}", get(get_rollout))
        .route("/console/v1/rollouts/{id}/control", post(control_rollout))
        .route("/console/v1/audit", get(list_audit))
        .route("/console/v1/audit/verify", post(verify_audit))
        .with_state(state)
}

/// A store error as an answer: the database being down is a 503 the console offers to retry.
fn store_error(err: StoreError) -> Response {
    match &err {
        StoreError::Unavailable(_) => {
            tracing::warn!("{err}");
            error(503, 20503, &format!("{err}. Retry in a moment."))
        }
        StoreError::NotFound(_) => error(404, codes::NOT_FOUND, &err.to_string()),
        StoreError::Conflict(_) => error(409, 20409, &err.to_string()),
        StoreError::Incompatible(_) => error(500, codes::INTERNAL, &err.to_string()),
    }
}

fn invalid(message: &str) -> Response {
    error(400, codes::INVALID_PARAMETER, message)
}

/// An id no other replica will make: the time and a random part.
fn new_id(prefix: &str) -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_i64(unix_now_ms());
    format!("{prefix}{:012x}{:016x}", unix_now_ms(), hasher.finish())
}

async fn list_views(State(state): State<Arc<ConsoleApi>>) -> Response {
    match state.store.list_views().await {
        Ok(views) => Json(ViewList { views }).into_response(),
        Err(err) => store_error(err),
    }
}

async fn create_view(
    State(state): State<Arc<ConsoleApi>>,
    operator: Option<axum::Extension<console_protocol::Operator>>,
    Json(input): Json<ViewInput>,
) -> Response {
    let name = match input.valid_name() {
        Ok(name) => name,
        Err(message) => return invalid(message),
    };
    let now = unix_now_ms();
    let view = SavedView {
        id: new_id("VW"),
        name,
        filter: input.filter.unwrap_or_default(),
        // Who the guard found; "console" only where nothing identified them (tests in-process).
        created_by: operator.map_or_else(|| "console".to_owned(), |axum::Extension(op)| op.name),
        created_ms: now,
        updated_ms: now,
    };
    match state.store.create_view(&view).await {
        Ok(()) => (StatusCode::CREATED, Json(view)).into_response(),
        Err(err) => store_error(err),
    }
}

async fn update_view(
    State(state): State<Arc<ConsoleApi>>,
    Path(id): Path<String>,
    Json(input): Json<ViewInput>,
) -> Response {
    let name = match input.valid_name() {
        Ok(name) => name,
        Err(message) => return invalid(message),
    };
    match state
        .store
        .update_view(&id, &name, input.filter.as_ref(), unix_now_ms())
        .await
    {
        Ok(view) => Json(view).into_response(),
        Err(err) => store_error(err),
    }
}

async fn delete_view(State(state): State<Arc<ConsoleApi>>, Path(id): Path<String>) -> Response {
    match state.store.delete_view(&id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => store_error(err),
    }
}

async fn list_rollouts(State(state): State<Arc<ConsoleApi>>) -> Response {
    match state.store.list_rollouts().await {
        Ok(rollouts) => Json(RolloutList { rollouts }).into_response(),
        Err(err) => store_error(err),
    }
}

async fn get_rollout(State(state): State<Arc<ConsoleApi>>, Path(id): Path<String>) -> Response {
    match state.store.get_rollout(&id).await {
        Ok(rollout) => Json(rollout).into_response(),
        Err(err) => store_error(err),
    }
}

async fn control_rollout(
    State(state): State<Arc<ConsoleApi>>,
    Path(id): Path<String>,
    Json(input): Json<RolloutControl>,
) -> Response {
    if let Err(err) = state.store.get_rollout(&id).await {
        return store_error(err);
    }
    let control = serde_json::to_value(input.control)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default();
    match state
        .store
        .queue_control(&new_id("RC"), &id, &control, unix_now_ms())
        .await
    {
        // Applied by the replica that drives rollouts, within a second or so.
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(err) => store_error(err),
    }
}

/// Plans the rollout a request asks for, from the API's apps and fleet as they are now.
async fn plan(state: &ConsoleApi, request: NewRollout) -> Result<Planned, Response> {
    let unavailable =
        |err: String| error(502, codes::INTERNAL, &format!("The Microvisor API: {err}"));
    let apps = state.api.apps().await.map_err(unavailable)?;
    let fleet = state.api.all_devices().await.map_err(unavailable)?;
    let view;
    let selection = match &request.source {
        RolloutSource::Devices { sids } => Selection::Sids(sids),
        RolloutSource::Filter { filter } => Selection::Filter(filter),
        RolloutSource::View { id } => {
            view = state.store.get_view(id).await.map_err(store_error)?;
            Selection::Filter(&view.filter)
        }
    };
    planning::plan(
        new_id("RO"),
        &request.name,
        &request.target_app,
        &apps,
        fleet,
        selection,
        request.plan,
        unix_now_ms(),
    )
    .map_err(|err| invalid(&err.to_string()))
}

async fn preview_rollout(
    State(state): State<Arc<ConsoleApi>>,
    Json(request): Json<NewRollout>,
) -> Response {
    match plan(&state, request).await {
        Ok(planned) => Json(planned.preview()).into_response(),
        Err(response) => response,
    }
}

async fn create_rollout(
    State(state): State<Arc<ConsoleApi>>,
    Json(request): Json<NewRollout>,
) -> Response {
    let rollout = match plan(&state, request).await {
        Ok(planned) => planned.rollout,
        Err(response) => return response,
    };
    let every: Vec<usize> = (0..rollout.devices.len()).collect();
    match state.store.save_rollout(&rollout, &every).await {
        // The replica driving rollouts picks it up from the store.
        Ok(()) => (StatusCode::CREATED, Json(RolloutSummary::of(&rollout))).into_response(),
        Err(err) => store_error(err),
    }
}

/// `GET /console/v1/audit`: pages through the chain newest first, keeping what the filters
/// match (`audit_log::Query`), until a page is full or the log is read to its start.
async fn list_audit(
    State(state): State<Arc<ConsoleApi>>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let query = audit_log::Query::parse(query.as_deref().unwrap_or(""));
    let mut before = query.before;
    let mut entries = Vec::new();
    loop {
        let rows = match state.store.audit_before(before, 500).await {
            Ok(rows) => rows,
            Err(err) => return store_error(err),
        };
        let Some(last) = rows.last().map(|row| row.seq) else {
            return Json(console_protocol::AuditPage {
                entries,
                next_before: None,
            })
            .into_response();
        };
        if let Some(next_before) = query.take(rows, &mut entries) {
            return Json(console_protocol::AuditPage {
                entries,
                next_before: Some(next_before),
            })
            .into_response();
        }
        before = last;
    }
}

/// `POST /console/v1/audit/verify` (admins): the whole chain checked.
async fn verify_audit(State(state): State<Arc<ConsoleApi>>) -> Response {
    match crate::audit::verify(&state.store).await {
        Ok(verdict) => Json(verdict).into_response(),
        Err(err) => store_error(err),
    }
}
