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
    NewRollout, RolloutControl, RolloutList, RolloutPreview, RolloutSource, RolloutSummary,
    SavedView, ViewInput, ViewList,
};
use fleet_engine::AppNames;
use fleet_engine::rollout::{Candidate, Report, Rollout};
use microvisor_api::Device;
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

fn view_name(input: &ViewInput) -> Result<String, Response> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(invalid(
            "A view needs a name of 1 to 100 characters, without control characters.",
        ));
    }
    Ok(name.to_owned())
}

async fn list_views(State(state): State<Arc<ConsoleApi>>) -> Response {
    match state.store.list_views().await {
        Ok(views) => Json(ViewList { views }).into_response(),
        Err(err) => store_error(err),
    }
}

async fn create_view(
    State(state): State<Arc<ConsoleApi>>,
    Json(input): Json<ViewInput>,
) -> Response {
    let name = match view_name(&input) {
        Ok(name) => name,
        Err(response) => return response,
    };
    let now = unix_now_ms();
    let view = SavedView {
        id: new_id("VW"),
        name,
        filter: input.filter.unwrap_or_default(),
        created_by: "console".to_owned(),
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
    let name = match view_name(&input) {
        Ok(name) => name,
        Err(response) => return response,
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

/// A rollout as planned from a request, not yet saved.
struct Planned {
    rollout: Rollout,
    apps: AppNames,
    devices: Vec<Device>,
}

async fn plan(state: &ConsoleApi, request: NewRollout) -> Result<Planned, Response> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("A rollout needs a name of 1 to 100 characters."));
    }
    let unavailable =
        |err: String| error(502, codes::INTERNAL, &format!("The Microvisor API: {err}"));
    let apps = state.api.apps().await.map_err(unavailable)?;
    let wanted = request.target_app.trim();
    let target = apps
        .iter()
        .find(|app| {
            app.sid.as_deref() == Some(wanted) || app.unique_name.as_deref() == Some(wanted)
        })
        .and_then(|app| app.sid.clone())
        .ok_or_else(|| {
            invalid(&format!(
                "TargetApp '{wanted}' does not name an App on this account."
            ))
        })?;
    let names = AppNames::from_apps(&apps);
    let fleet = state.api.all_devices().await.map_err(unavailable)?;
    let now_s = unix_now_ms() / 1000;
    let devices: Vec<Device> = match &request.source {
        RolloutSource::Devices { sids } => {
            let wanted: std::collections::BTreeSet<&String> = sids.iter().collect();
            fleet
                .into_iter()
                .filter(|d| d.sid.as_ref().is_some_and(|sid| wanted.contains(sid)))
                .collect()
        }
        RolloutSource::View { id } => {
            let view = state.store.get_view(id).await.map_err(store_error)?;
            fleet
                .into_iter()
                .filter(|d| view.filter.matches(d, &names, now_s))
                .collect()
        }
        RolloutSource::Filter { filter } => fleet
            .into_iter()
            .filter(|d| filter.matches(d, &names, now_s))
            .collect(),
    };
    let candidates = devices
        .iter()
        .filter_map(|device| {
            Some(Candidate {
                sid: device.sid.clone()?,
                name: device.display_name().to_owned(),
                report: Some(Report::of(device)),
            })
        })
        .collect();
    let rollout = Rollout::new(
        new_id("RO"),
        name.to_owned(),
        target,
        request.plan,
        candidates,
        unix_now_ms(),
    )
    .map_err(|err| invalid(&err.to_string()))?;
    Ok(Planned {
        rollout,
        apps: names,
        devices,
    })
}

async fn preview_rollout(
    State(state): State<Arc<ConsoleApi>>,
    Json(request): Json<NewRollout>,
) -> Response {
    let planned = match plan(&state, request).await {
        Ok(planned) => planned,
        Err(response) => return response,
    };
    let Planned {
        rollout,
        apps,
        devices,
    } = planned;
    let app_of = |sid: &str| {
        devices
            .iter()
            .find(|d| d.sid.as_deref() == Some(sid))
            .and_then(|d| d.app.as_ref()?.target_sid.clone())
            .map_or("no target".to_owned(), |app| {
                apps.name_or_sid(&app).to_owned()
            })
    };
    let phases = rollout.phases();
    let preview = RolloutPreview {
        target_name: apps.name_or_sid(&rollout.target_app).to_owned(),
        target_sid: rollout.target_app.clone(),
        devices: rollout.devices.len(),
        phase_sizes: phases.values().map(Vec::len).collect(),
        first_phase: phases
            .get(&0)
            .map(|first| {
                first
                    .iter()
                    .map(|d| {
                        (
                            d.name.clone(),
                            app_of(&d.sid),
                            apps.name_or_sid(&rollout.target_app).to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        skipped: rollout
            .devices
            .iter()
            .filter(|d| d.state == fleet_engine::rollout::DeviceState::Skipped)
            .map(|d| d.name.clone())
            .collect(),
    };
    Json(preview).into_response()
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
