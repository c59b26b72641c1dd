//! What a rollout writes to each device: a new target app (watched until the device reports
//! it), or one of the bulk actions that run on the server over a query (taken when written).

use microvisor_api::DeviceUpdate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// `TargetApp` = the rollout's app; done when the device reports it.
    #[default]
    TargetApp,
    /// `LoggingEnabled=true`: logging on, or extended, for 24 hours.
    LoggingOn,
    LoggingOff,
    RestartApp,
}

impl Change {
    /// The bulk actions a query can run, as (change, label).
    pub const ACTIONS: [(Change, &'static str); 3] = [
        (Change::LoggingOn, "Enable or extend logging (24 h)"),
        (Change::LoggingOff, "Disable logging"),
        (Change::RestartApp, "Restart app"),
    ];

    pub fn is_target_app(&self) -> bool {
        *self == Change::TargetApp
    }

    /// The write for one device; `target` is the rollout's app.
    pub fn update(self, target: &str) -> DeviceUpdate {
        let mut update = DeviceUpdate::default();
        match self {
            Change::TargetApp => update.target_app = Some(target.to_owned()),
            Change::LoggingOn => update.logging_enabled = Some(true),
            Change::LoggingOff => update.logging_enabled = Some(false),
            Change::RestartApp => update.restart_app = Some(true),
        }
        update
    }

    /// What it does, in a sentence's words ("Restart app"); `target` names the app.
    pub fn describe(self, target: &str) -> String {
        match self {
            Change::TargetApp => format!("Set the target app to {target}"),
            other => Change::ACTIONS
                .iter()
                .find(|(change, _)| *change == other)
                .map(|(_, label)| (*label).to_owned())
                .unwrap_or_default(),
        }
    }

    /// The name a form or URL gives it.
    pub fn key(self) -> &'static str {
        match self {
            Change::TargetApp => "target",
            Change::LoggingOn => "logging-on",
            Change::LoggingOff => "logging-off",
            Change::RestartApp => "restart",
        }
    }

    pub fn from_key(key: &str) -> Option<Change> {
        [
            Change::TargetApp,
            Change::LoggingOn,
            Change::LoggingOff,
            Change::RestartApp,
        ]
        .into_iter()
        .find(|change| change.key() == key)
    }
}
