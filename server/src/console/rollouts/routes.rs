//! `/console/v1/rollouts`: list, read, plan, preview, start and control rollouts. The replica
//! that holds the lease drives them (`runner`); these handlers only read and queue.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use console_protocol::{
    NewRollout, Operator, Role, RolloutControl, RolloutList, RolloutSource, RolloutSummary,
};
use fleet_engine::DeviceFilter;
use fleet_engine::index::IndexRow;
use fleet_engine::rollout::planning::{self, Planned, Selection};
use microvisor_api::Device;
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

/// Plans the rollout a request asks for, from the API's apps and the fleet as it is now: as
/// the index knows it once it has read the whole fleet (a million devices are not listed
/// again per rollout), else as the API lists it.
pub async fn plan(state: &ConsoleApi, request: NewRollout) -> Result<Planned, Response> {
    let unavailable =
        |err: String| error(502, codes::INTERNAL, &format!("The Microvisor API: {err}"));
    let apps = state.api.apps().await.map_err(unavailable)?;
    let view;
    let filter = match &request.source {
        RolloutSource::Devices { .. } => None,
        RolloutSource::Filter { filter } => Some(filter),
        RolloutSource::View { id } => {
            view = state.store.get_view(id).await.map_err(store_error)?;
            Some(&view.filter)
        }
    };
    let (fleet, resolved) = match from_index(state, &request.source, filter).await? {
        Some((fleet, sids)) => (fleet, Some(sids)),
        None => (state.api.all_devices().await.map_err(unavailable)?, None),
    };
    let selection = match (&resolved, &request.source, filter) {
        (Some(sids), _, _) => Selection::Sids(sids),
        (None, RolloutSource::Devices { sids }, _) => Selection::Sids(sids),
        (None, _, Some(filter)) => Selection::Filter(filter),
        (None, _, None) => Selection::Sids(&[]),
    };
    planning::plan(
        new_id("RO"),
        &request.name,
        request.change,
        &request.target_app,
        &apps,
        fleet,
        selection,
        request.plan,
        unix_now_ms(),
    )
    .map_err(|err| invalid(&err.to_string()))
}

/// The devices a rollout is for, and their SIDs, resolved against the index: by the query on
/// the server, so no list of a million SIDs travels anywhere. None when this server keeps no
/// index or it has not read the whole fleet yet.
async fn from_index(
    state: &ConsoleApi,
    source: &RolloutSource,
    filter: Option<&DeviceFilter>,
) -> Result<Option<(Vec<Device>, Vec<String>)>, Response> {
    if !state.index {
        return Ok(None);
    }
    let freshness = state.store.freshness().await.map_err(store_error)?;
    if freshness.complete.is_none() {
        return Ok(None);
    }
    let rows = match (source, filter) {
        (RolloutSource::Devices { sids }, _) => state
            .store
            .index_rows(sids.clone())
            .await
            .map_err(store_error)?
            .into_iter()
            .filter(|(_, gone)| !gone)
            .map(|(row, _)| row)
            .collect(),
        (_, Some(filter)) => state
            .store
            .fleet_matching(filter, unix_now_ms())
            .await
            .map_err(store_error)?,
        (_, None) => Vec::new(),
    };
    let sids = rows.iter().map(|row| row.sid.clone()).collect();
    Ok(Some((rows.iter().map(IndexRow::to_device).collect(), sids)))
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
    operator: Option<axum::Extension<Operator>>,
    Json(request): Json<NewRollout>,
) -> Response {
    let mut rollout = match plan(&state, request).await {
        Ok(planned) => planned.rollout,
        Err(response) => return response,
    };
    // Named beside each of its writes in the audit log; as the log names a write made with
    // no operator known.
    let (name, role) = operator.map_or_else(
        || (console_protocol::LOCAL_OPERATOR.to_owned(), Role::Admin),
        |axum::Extension(op)| (op.name, op.role),
    );
    rollout.started_by = Some(format!("{name} ({})", role.name()));
    let every: Vec<usize> = (0..rollout.devices.len()).collect();
    match state.store.save_rollout(&rollout, &every).await {
        // The replica driving rollouts picks it up from the store.
        Ok(()) => (StatusCode::CREATED, Json(RolloutSummary::of(&rollout))).into_response(),
        Err(err) => store_error(err),
    }
}
