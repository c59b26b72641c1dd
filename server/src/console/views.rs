//! `/console/v1/views`: saved views, the named filters everyone who uses the console shares.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use console_protocol::{SavedView, ViewInput, ViewList};

use super::shared::{ConsoleApi, invalid, new_id, store_error};
use crate::clock::unix_now_ms;

pub async fn list_views(State(state): State<Arc<ConsoleApi>>) -> Response {
    match state.store.list_views().await {
        Ok(views) => Json(ViewList { views }).into_response(),
        Err(err) => store_error(err),
    }
}

pub async fn create_view(
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

pub async fn update_view(
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

pub async fn delete_view(State(state): State<Arc<ConsoleApi>>, Path(id): Path<String>) -> Response {
    match state.store.delete_view(&id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => store_error(err),
    }
}
