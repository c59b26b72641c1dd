//! A change to make on many devices at once, and how a confirmation words it.

use microvisor_api::{Device, DeviceUpdate};

use crate::display::shown_name;
use fleet_engine::AppNames;
use fleet_engine::filter::logging_on;
use fleet_engine::rollout::Change;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    SetTargetApp(String),
    EnableLogging,
    DisableLogging,
    RestartApp,
}

impl BulkAction {
    /// The actions a bulk panel offers; each names itself in forms by its `key`.
    pub const CHOICES: [Change; 4] = Change::ALL;

    /// What it writes to each device (a deploy's app aside).
    pub fn change(&self) -> Change {
        match self {
            BulkAction::SetTargetApp(_) => Change::TargetApp,
            BulkAction::EnableLogging => Change::LoggingOn,
            BulkAction::DisableLogging => Change::LoggingOff,
            BulkAction::RestartApp => Change::RestartApp,
        }
    }

    /// The action a key names; `target_app` is the app for "target".
    pub fn from_key(key: &str, target_app: &str) -> Option<BulkAction> {
        Some(match Change::from_key(key)? {
            Change::TargetApp => BulkAction::SetTargetApp(target_app.trim().to_owned()),
            Change::LoggingOn => BulkAction::EnableLogging,
            Change::LoggingOff => BulkAction::DisableLogging,
            Change::RestartApp => BulkAction::RestartApp,
        })
    }

    pub fn key(&self) -> &'static str {
        self.change().key()
    }

    /// Whether the action has all it needs (a target app, for a deploy).
    pub fn is_complete(&self) -> bool {
        !matches!(self, BulkAction::SetTargetApp(app) if app.trim().is_empty())
    }

    pub fn update(&self) -> DeviceUpdate {
        match self {
            BulkAction::SetTargetApp(app) => self.change().update(app),
            _ => self.change().update(""),
        }
    }

    pub fn describe(&self, apps: &AppNames) -> String {
        match self {
            BulkAction::SetTargetApp(app) => {
                format!("Set the target app to {}", apps.name_or_sid(app))
            }
            BulkAction::EnableLogging => "Enable or extend logging for 24 h".to_owned(),
            BulkAction::DisableLogging => "Disable logging".to_owned(),
            BulkAction::RestartApp => "Restart the app".to_owned(),
        }
    }

    /// What changes on `device`: (before, after).
    pub fn before_after(&self, device: &Device, apps: &AppNames, now: i64) -> (String, String) {
        let label = |sid: Option<&str>| sid.map_or("none", |sid| apps.name_or_sid(sid)).to_owned();
        match self {
            BulkAction::SetTargetApp(app) => {
                let app_sid = apps.sid_named(app).unwrap_or(app);
                (
                    label(device.app.as_ref().and_then(|a| a.target_sid.as_deref())),
                    label(Some(app_sid)),
                )
            }
            BulkAction::EnableLogging | BulkAction::DisableLogging => {
                let before = if logging_on(device, now) {
                    "logging on"
                } else {
                    "logging off"
                };
                let after = if matches!(self, BulkAction::EnableLogging) {
                    "logging on for 24 h"
                } else {
                    "logging off"
                };
                (before.to_owned(), after.to_owned())
            }
            BulkAction::RestartApp => ("running".to_owned(), "restarting".to_owned()),
        }
    }

    /// What a confirmation says: the action, the count, and the first devices' before → after.
    pub fn confirmation(&self, devices: &[Device], apps: &AppNames, now: i64) -> String {
        const EXAMPLES: usize = 3;
        let examples: Vec<String> = devices
            .iter()
            .take(EXAMPLES)
            .map(|device| {
                let (before, after) = self.before_after(device, apps, now);
                format!("{}: {before} → {after}", shown_name(device))
            })
            .collect();
        let more = devices.len().saturating_sub(EXAMPLES);
        format!(
            "{} on {} device{}. {}{}",
            self.describe(apps),
            devices.len(),
            if devices.len() == 1 { "" } else { "s" },
            examples.join("; "),
            if more > 0 {
                format!("; and {more} more.")
            } else {
                ".".to_owned()
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleet_engine::fixtures::{apps, device};

    #[test]
    fn every_choice_round_trips_through_its_key() {
        for key in BulkAction::CHOICES.map(Change::key) {
            let action = BulkAction::from_key(key, " fw-2 ").unwrap();
            assert_eq!(action.key(), key);
            assert!(action.is_complete());
        }
        assert_eq!(
            BulkAction::from_key("target", " fw-2 "),
            Some(BulkAction::SetTargetApp("fw-2".into()))
        );
        assert!(!BulkAction::from_key("target", "  ").unwrap().is_complete());
        assert_eq!(BulkAction::from_key("reboot", ""), None);
    }

    #[test]
    fn bulk_actions_say_before_and_after() {
        let apps = apps();
        let d = device(1, "up-to-date", "KA1", Some("KA1"));
        assert_eq!(
            BulkAction::SetTargetApp("fw-2".into()).before_after(&d, &apps, 0),
            ("fw-1".into(), "fw-2".into())
        );
        assert_eq!(
            BulkAction::SetTargetApp("KA2".into()).before_after(&d, &apps, 0),
            ("fw-1".into(), "fw-2".into())
        );
        assert_eq!(
            BulkAction::DisableLogging
                .before_after(&device(2, "", "KA1", None), &apps, 0)
                .0,
            "logging on"
        );
        assert_eq!(BulkAction::RestartApp.update().restart_app, Some(true));
        assert_eq!(
            BulkAction::EnableLogging.describe(&apps),
            "Enable or extend logging for 24 h"
        );
    }

    #[test]
    fn confirmations_count_and_give_examples() {
        let apps = apps();
        let fleet: Vec<Device> = (1..=5)
            .map(|n| device(n, "up-to-date", "KA1", Some("KA1")))
            .collect();
        assert_eq!(
            BulkAction::SetTargetApp("fw-2".into()).confirmation(&fleet[..1], &apps, 0),
            "Set the target app to fw-2 on 1 device. pump-1: fw-1 → fw-2."
        );
        let many = BulkAction::RestartApp.confirmation(&fleet, &apps, 0);
        assert!(many.starts_with("Restart the app on 5 devices. pump-1: running → restarting;"));
        assert!(many.ends_with("; and 2 more."), "{many}");
    }
}
