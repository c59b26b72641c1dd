//! What the engine hears (a write's result, a device's report, a person's control, the time)
//! and what it asks its driver to do.

use serde::{Deserialize, Serialize};

/// What the service said of a write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum WriteResult {
    /// Taken (2xx).
    Accepted,
    /// Not taken (429 or 503): try again after a wait.
    Refused { retry_after_ms: i64 },
    /// Refused for good (a 4xx other than 429): the device fails, with the reason.
    Rejected { reason: String },
    /// Unknown: a 5xx, a dropped connection or a timeout. It may have landed.
    Unknown { reason: String },
}

/// What a device reports, as read from the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub update_status: Option<String>,
    pub target_sid: Option<String>,
    pub reported_sid: Option<String>,
    pub error_code: i64,
    /// When the device was last given a target app (a write moves it).
    #[serde(default)]
    pub date_targeted: Option<String>,
}

impl Report {
    pub fn of(device: &microvisor_api::Device) -> Report {
        let app = device.app.clone().unwrap_or_default();
        Report {
            update_status: app.update_status.map(|s| s.as_wire().to_owned()),
            target_sid: app.target_sid,
            reported_sid: app.reported_sid,
            error_code: app.update_error_code.unwrap_or(0),
            date_targeted: app.date_targeted,
        }
    }

    /// Up to date on `target`.
    pub fn on(&self, target: &str) -> bool {
        self.update_status.as_deref() == Some("up-to-date")
            && self.reported_sid.as_deref() == Some(target)
    }
}

/// A person's control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    Pause,
    Resume,
    Abort,
    /// Start the phase that waits for approval.
    Approve,
    /// A second attempt for every failed device (recorded as such).
    RetryFailed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    /// Time passed.
    Tick,
    /// A write's outcome.
    Written {
        sid: String,
        result: WriteResult,
    },
    /// A device as last read, from a poll or a check.
    Observed {
        sid: String,
        report: Report,
    },
    /// A read of a device failed: `missing` when it no longer exists.
    Unreadable {
        sid: String,
        missing: bool,
    },
    Control(Control),
    /// The driver restarted: writes it had asked for have unknown results.
    Restarted,
}

/// What the driver should do next. Its state already says so: record it before doing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Send the write (`TargetApp` = the rollout's target) for this device.
    Write { sid: String },
    /// Read this device: its write's result is unknown.
    Check { sid: String },
}
