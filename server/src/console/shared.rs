//! What the handlers of `/console/v1` share: their state, how a store error is answered, and
//! new ids.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use axum::response::Response;
use console_protocol::FleetCounts;
use microvisor_api::error::codes;

use crate::answers::error;
use crate::clock::unix_now_ms;
use crate::console::hub::EventHub;
use crate::console::memo::Memo;
use crate::store::{Store, StoreError};
use crate::v1::client::Api;

/// What the handlers share.
pub struct ConsoleApi {
    pub store: Store,
    pub api: Api,
    /// Whether this server keeps a fleet index (not `--no-index`).
    pub index: bool,
    /// The index's counts by filter, and its totals, between passes.
    pub counts: Memo<FleetCounts>,
    pub totals: Memo<u64>,
    /// The event log's tail, fanned out to `/console/v1/events`.
    pub events: Arc<EventHub>,
    /// `--allow-private-webhooks`.
    pub allow_private_webhooks: bool,
}

/// A store error as an answer: the database being down is a 503 the console offers to retry.
pub fn store_error(err: StoreError) -> Response {
    match &err {
        StoreError::Unavailable(_) => {
            tracing::warn!("{err}");
            error(503, 20503, &format!("{err}. Retry in a moment."))
        }
        StoreError::NotFound(_) => error(404, codes::NOT_FOUND, &err.to_string()),
        StoreError::Conflict(_) => error(409, 20409, &err.to_string()),
        StoreError::Incompatible(_) => error(500, codes::INTERNAL, &err.to_string()),
        StoreError::Invalid(_) => error(400, codes::INVALID_PARAMETER, &err.to_string()),
    }
}

pub fn invalid(message: &str) -> Response {
    error(400, codes::INVALID_PARAMETER, message)
}

/// An id no other replica will make: the time and a random part.
pub fn new_id(prefix: &str) -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_i64(unix_now_ms());
    format!("{prefix}{:012x}{:016x}", unix_now_ms(), hasher.finish())
}
