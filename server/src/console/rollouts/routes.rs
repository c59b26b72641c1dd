//! `/console/v1/rollouts`: list, read, plan, preview, start and control rollouts. The replica
//! that holds the lease drives them (`runner`); these handlers only read and queue.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use console_protocol::{NewRollout, RolloutControl, RolloutList, RolloutSource, RolloutSummary};
use fleet_engine::rollout::planning::{self, Planned, Selection};
use microvisor_api::error::codes;

use crate::answers::error;
use crate::clock::unix_now_ms;
use crate::console::shared::{ConsoleApi, invalid, new_id, store_error};

pub async fn list_rollouts(State(state): State<Arc<ConsoleApi>>) -> Response {
    match state.store.list_rollouts().await {
        Ok(rollouts) => Json(RolloutList { rollouts }).into_response(),
        Err(err) => store_error(err),
    }
}

pub async fn get_rollout(State(state): State<Arc<ConsoleApi>>, Path(id): Path<String>) -> Response {
    match state.store.get_rollout(&id).await {
        Ok(rollout) => Json(rollout).into_response(),
        Err(err) => store_error(err),
    }
}

pub async fn control_rollout(
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
pub async fn plan(state: &ConsoleApi, request: NewRollout) -> Result<Planned, Response> {
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

pub async fn preview_rollout(
    State(state): State<Arc<ConsoleApi>>,
    Json(request): Json<NewRollout>,
) -> Response {
    match plan(&state, request).await {
        Ok(planned) => Json(planned.preview()).into_response(),
        Err(response) => response,
    }
}

pub async fn create_rollout(
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
