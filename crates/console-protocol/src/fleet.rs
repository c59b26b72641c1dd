//! The fleet index's API (`/console/v1/fleet/…`): a page of devices by the Fleet page's filter
//! and sort, the fleet's counts, how fresh the index is, and a device's timeline.

use std::collections::BTreeMap;

use fleet_engine::DeviceFilter;
use microvisor_api::Device;
use microvisor_api::url::encode_segment;
use serde::{Deserialize, Serialize};

/// The column a page is sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FleetSortKey {
    #[default]
    Sid,
    UniqueName,
    Status,
    TargetApp,
    ReportedApp,
    /// When logging expires.
    Logging,
    Updated,
}

impl FleetSortKey {
    pub const ALL: [FleetSortKey; 7] = [
        FleetSortKey::Sid,
        FleetSortKey::UniqueName,
        FleetSortKey::Status,
        FleetSortKey::TargetApp,
        FleetSortKey::ReportedApp,
        FleetSortKey::Logging,
        FleetSortKey::Updated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FleetSortKey::Sid => "sid",
            FleetSortKey::UniqueName => "unique_name",
            FleetSortKey::Status => "status",
            FleetSortKey::TargetApp => "target_app",
            FleetSortKey::ReportedApp => "reported_app",
            FleetSortKey::Logging => "logging",
            FleetSortKey::Updated => "updated",
        }
    }

    pub fn parse(text: &str) -> Option<FleetSortKey> {
        FleetSortKey::ALL
            .into_iter()
            .find(|key| key.as_str() == text)
    }
}

/// A sort: its column, and its direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetSort {
    pub key: FleetSortKey,
    pub descending: bool,
}

/// What the Fleet page asks the index: the filter, the sort, where the page starts (the
/// previous page's `next`) and how many rows. `query` writes it as the routes read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FleetQuery {
    pub filter: DeviceFilter,
    pub sort: Option<FleetSort>,
    pub after: Option<String>,
    pub limit: Option<u32>,
    /// For the summary's "pending longer than" count.
    pub pending_hours: Option<u32>,
}

impl FleetQuery {
    /// The query string, without the `?`; only what differs from the defaults.
    pub fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.filter.is_empty() {
            pairs.push((
                "filter",
                serde_json::to_string(&self.filter).unwrap_or_default(),
            ));
        }
        if let Some(sort) = self.sort {
            pairs.push(("sort", sort.key.as_str().to_owned()));
            if sort.descending {
                pairs.push(("desc", "1".to_owned()));
            }
        }
        if let Some(after) = &self.after {
            pairs.push(("after", after.clone()));
        }
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        if let Some(hours) = self.pending_hours {
            pairs.push(("pending_hours", hours.to_string()));
        }
        pairs
            .into_iter()
            .map(|(key, value)| format!("{key}={}", encode_segment(&value)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One pass of the index over the whole fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassInfo {
    pub started_ms: i64,
    /// 0 while it runs.
    pub finished_ms: i64,
    /// Devices listed, rows written (new or changed), devices found gone, pages read.
    pub listed: u64,
    pub written: u64,
    pub gone: u64,
    pub pages: u64,
    /// Of its time, how long went on writing to the store (the rest waited on the API).
    #[serde(default)]
    pub store_ms: u64,
    /// Why it stopped before the end, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How fresh the index is: every answer of the index's API says so.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freshness {
    /// Whether this server keeps an index (`--no-index` turns it off).
    pub enabled: bool,
    /// The last pass that read the whole fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete: Option<PassInfo>,
    /// A pass under way, or the last one if it stopped early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<PassInfo>,
    /// A pass asked for with "Refresh now", not yet begun.
    #[serde(default)]
    pub refresh_asked: bool,
}

/// `GET /console/v1/fleet/devices`: a page of the devices the filter keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetPage {
    pub devices: Vec<Device>,
    /// Give it back as `after` for the page after this one; none at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// How many devices the filter keeps in all.
    pub total: u64,
    pub freshness: Freshness,
}

/// `GET /console/v1/fleet/summary`: the counts the Fleet page shows, over what the filter
/// keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetCounts {
    pub total: u64,
    pub by_status: BTreeMap<String, u64>,
    /// Target app SID ("" for none) → count.
    pub by_target: BTreeMap<String, u64>,
    pub by_reported: BTreeMap<String, u64>,
    pub logging_on: u64,
    pub target_differs: u64,
    /// Pending for longer than the hours asked (`pending_hours`, 24 unless given).
    pub pending_long: u64,
    pub freshness: Freshness,
}

/// One line of a device's History: something a pass saw it do, or a write made through this
/// console (from the audit log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at_ms: i64,
    /// `observed` (a pass saw it) or `write` (the audit log).
    pub source: String,
    /// What changed: `status`, `target_app`, … for what was seen; the action for a write.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// For a write: who made it, its rollout if one did, whether it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<String>,
    #[serde(default)]
    pub failed: bool,
}

/// `GET /console/v1/fleet/devices/{sid}/timeline`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// Newest first.
    pub entries: Vec<TimelineEntry>,
    pub freshness: Freshness,
}
