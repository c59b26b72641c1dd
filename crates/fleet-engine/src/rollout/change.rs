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
    /// The bulk actions a query can run.
    pub const ACTIONS: [Change; 3] = [Change::LoggingOn, Change::LoggingOff, Change::RestartApp];
    /// Every change, in the order a bulk panel offers them.
    pub const ALL: [Change; 4] = [
        Change::LoggingOn,
        Change::LoggingOff,
        Change::RestartApp,
        Change::TargetApp,
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

    /// What a person reads in a choice or a job's name ("Restart app").
    pub fn label(self) -> &'static str {
        match self {
            Change::TargetApp => "Set target app",
            Change::LoggingOn => "Enable or extend logging (24 h)",
            Change::LoggingOff => "Disable logging",
            Change::RestartApp => "Restart app",
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
        Change::ALL.into_iter().find(|change| change.key() == key)
    }
}
