//! The server's own API under `/console/v1` (the vendor's is `/v1`): saved views, rollouts,
//! the audit log, the fleet index, alerts and the event stream, JSON, behind the same defences as `/v1` (Host check, same-origin writes,
//! access token, roles). Errors use the vendor's body shape, so the console reads them as it
//! reads the API's. One module per resource; `shared` is what their handlers share, `memo`
//! the counts they keep between index passes.

pub mod alerts;
pub mod audit;
pub mod events;
pub mod hub;
pub mod index;
pub mod lease;
pub mod memo;
pub mod rollouts;
pub mod shared;
pub mod views;

use std::sync::Arc;

use axum::routing::{get, post};

use shared::ConsoleApi;

/// Every route of `/console/v1`; the index's answer 404 without one.
pub fn routes(state: Arc<ConsoleApi>) -> axum::Router {
    let fleet = if state.index {
        axum::Router::new()
            .route("/console/v1/fleet/devices", get(index::routes::devices))
            .route("/console/v1/fleet/summary", get(index::routes::summary))
            .route("/console/v1/fleet/status", get(index::routes::status))
            .route("/console/v1/fleet/refresh", post(index::routes::refresh))
            .route(
                "/console/v1/fleet/devices/{sid}/timeline",
                get(index::routes::timeline),
            )
    } else {
        axum::Router::new().route(
            "/console/v1/fleet/{*rest}",
            axum::routing::any(index::routes::no_index),
        )
    };
    axum::Router::new()
        .merge(fleet)
        .route(
            "/console/v1/views",
            get(views::list_views).post(views::create_view),
        )
        .route(
            "/console/v1/views/{id}",
            post(views::update_view).delete(views::delete_view),
        )
        .route(
            "/console/v1/rollouts",
            get(rollouts::routes::list_rollouts).post(rollouts::routes::create_rollout),
        )
        .route(
            "/console/v1/rollouts/preview",
            post(rollouts::routes::preview_rollout),
        )
        .route(
            "/console/v1/rollouts/{id}",
            get(rollouts::routes::get_rollout),
        )
        .route(
            "/console/v1/rollouts/{id}/control",
            post(rollouts::routes::control_rollout),
        )
        .route(
            "/console/v1/alerts",
            get(alerts::routes::list_alerts).post(alerts::routes::create_alert),
        )
        .route(
            "/console/v1/alerts/{id}",
            get(alerts::routes::get_alert)
                .post(alerts::routes::update_alert)
                .delete(alerts::routes::delete_alert),
        )
        .route(
            "/console/v1/alerts/{id}/webhooks",
            post(alerts::routes::add_webhook),
        )
        .route(
            "/console/v1/alerts/{id}/webhooks/{webhook}",
            axum::routing::delete(alerts::routes::delete_webhook),
        )
        .route(
            "/console/v1/alerts/{id}/ack",
            post(alerts::routes::acknowledge),
        )
        .route(
            "/console/v1/alerts/{id}/silence",
            post(alerts::routes::silence),
        )
        .route(
            "/console/v1/alerts/{id}/history",
            get(alerts::routes::history),
        )
        .route("/console/v1/events", get(events::events))
        .route("/console/v1/audit", get(audit::list_audit))
        .route("/console/v1/audit/verify", post(audit::verify_audit))
        .with_state(state)
}
