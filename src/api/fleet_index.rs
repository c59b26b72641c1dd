//! The server's fleet index (`/console/v1/fleet/…`): pages of devices by the Fleet page's
//! filter and sort, the fleet's counts, how fresh the index is, "Refresh now", and a device's
//! timeline. Only a console-server keeps one; the demo and a custom API scan in the page.

use console_protocol::{FleetCounts, FleetPage, FleetQuery, Freshness, Timeline};
use microvisor_api::url::encode_segment;

use super::transport::HttpMethod;
use super::{ApiClient, ApiError};

impl ApiClient {
    /// Whether the server keeps a fleet index the Fleet page can ask.
    pub fn has_index(&self) -> bool {
        self.index && self.console.is_some()
    }

    /// A page of the devices `query` keeps, in its sort, from its `after`.
    pub async fn fleet_page(&self, query: &FleetQuery) -> Result<FleetPage, ApiError> {
        let path = format!("/fleet/devices?{}", query.query());
        self.console_call(HttpMethod::Get, &path, None).await
    }

    /// The counts over what `query`'s filter keeps.
    pub async fn fleet_counts(&self, query: &FleetQuery) -> Result<FleetCounts, ApiError> {
        let path = format!("/fleet/summary?{}", query.query());
        self.console_call(HttpMethod::Get, &path, None).await
    }

    pub async fn fleet_freshness(&self) -> Result<Freshness, ApiError> {
        self.console_call(HttpMethod::Get, "/fleet/status", None)
            .await
    }

    /// Asks for a pass now; whichever replica keeps the index starts it.
    pub async fn refresh_fleet(&self) -> Result<(), ApiError> {
        self.console_call::<serde_json::Value>(
            HttpMethod::Post,
            "/fleet/refresh",
            Some("{}".to_owned()),
        )
        .await
        .map(|_| ())
    }

    /// What passes saw the device do and the writes made to it, newest first.
    pub async fn device_timeline(&self, sid: &str) -> Result<Timeline, ApiError> {
        let path = format!("/fleet/devices/{}/timeline", encode_segment(sid));
        self.console_call(HttpMethod::Get, &path, None).await
    }
}
