//! What a rule is: its scope and condition, the person's part checked field by field, the
//! test a device condition puts to each device, and what an evaluation saw.

use serde::{Deserialize, Serialize};

use crate::DeviceFilter;
use crate::index::IndexRow;
use crate::rollout::Status;

/// Most devices (or rollouts) an alert names; its count says how many there are in all.
pub const CULPRITS_KEPT: usize = 20;
/// The longest a duration in hours may be: a year.
const MAX_HOURS: u32 = 24 * 366;

/// Which devices a rule watches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every listed device.
    Fleet,
    Filter(DeviceFilter),
    /// A saved view, by id: its filter as it is when the rule is evaluated.
    View(String),
}

/// What makes a rule fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// At least this many devices in scope report `error`.
    ErrorCount { at_least: u64 },
    /// At least this percentage of the devices in scope report `error`.
    ErrorPercent { at_least: f64 },
    /// A device pending (its target set, not yet running it) for longer than `hours`.
    Pending { hours: u32 },
    /// A device whose target was set more than `hours` ago and that reports another app.
    TargetDiffers { hours: u32 },
    /// A device gone from the list, or not reported (by `date_reported`) for longer than
    /// `hours`: the API's nearest signal to "offline".
    NotReported { hours: u32 },
    /// A device whose logging ends within `hours`.
    LoggingExpiring { hours: u32 },
    /// A rollout halted by its error threshold.
    RolloutHalted,
    /// A rollout waiting for a person's approval for longer than `hours`.
    RolloutWaiting { hours: u32 },
}

/// A rule as kept: the person's part (`RuleInput`) and who made it when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    pub id: String,
    #[serde(flatten)]
    pub input: RuleInput,
    pub created_by: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// What a person writes of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub name: String,
    pub scope: Scope,
    pub condition: Condition,
    /// Tell again every this many minutes while it stays firing; never when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_minutes: Option<u32>,
}

/// A field a person got wrong, and why: the 400 names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where, as a JSON path (`condition.at_least`).
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn field_error(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

fn check_hours(hours: u32) -> Result<(), FieldError> {
    if hours == 0 || hours > MAX_HOURS {
        return Err(field_error(
            "condition.hours",
            &format!("must be a whole number of hours from 1 to {MAX_HOURS}"),
        ));
    }
    Ok(())
}

impl RuleInput {
    /// The rule as given, or the first field that is wrong.
    pub fn check(&self) -> Result<(), FieldError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(field_error("name", "must be 1 to 100 characters"));
        }
        if let Scope::View(id) = &self.scope
            && id.trim().is_empty()
        {
            return Err(field_error("scope.view", "must name a saved view"));
        }
        if self.reminder_minutes == Some(0) {
            return Err(field_error(
                "reminder_minutes",
                "must be at least 1, or left out for no reminders",
            ));
        }
        match self.condition {
            Condition::ErrorCount { at_least: 0 } => Err(field_error(
                "condition.at_least",
                "must be at least 1 device",
            )),
            Condition::ErrorPercent { at_least }
                if !(at_least.is_finite() && at_least > 0.0 && at_least <= 100.0) =>
            {
                Err(field_error(
                    "condition.at_least",
                    "must be a percentage above 0 and at most 100",
                ))
            }
            Condition::Pending { hours }
            | Condition::TargetDiffers { hours }
            | Condition::NotReported { hours }
            | Condition::LoggingExpiring { hours }
            | Condition::RolloutWaiting { hours } => check_hours(hours),
            _ => Ok(()),
        }
    }
}

/// What about a device makes it count towards a device condition, as of a time; the store
/// asks it in SQL, `holds` in memory (the demo, and the tests that hold the two equal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceTest {
    Error,
    /// Pending, its target set before this time.
    PendingBefore(i64),
    /// Reporting another app than its target, set before this time.
    DiffersBefore(i64),
    /// Gone from the list, or last reported (or never, and first seen) before this time.
    SilentBefore(i64),
    /// Logging on and ending after the first time, at or before the second.
    LoggingEndsBetween(i64, i64),
}

pub(super) const HOUR_MS: i64 = 3_600_000;

impl Condition {
    /// The test a device condition puts to each device at `now_ms`; `None` for a rollout's.
    pub fn device_test(&self, now_ms: i64) -> Option<DeviceTest> {
        let before = |hours: u32| now_ms - i64::from(hours) * HOUR_MS;
        match *self {
            Condition::ErrorCount { .. } | Condition::ErrorPercent { .. } => {
                Some(DeviceTest::Error)
            }
            Condition::Pending { hours } => Some(DeviceTest::PendingBefore(before(hours))),
            Condition::TargetDiffers { hours } => Some(DeviceTest::DiffersBefore(before(hours))),
            Condition::NotReported { hours } => Some(DeviceTest::SilentBefore(before(hours))),
            Condition::LoggingExpiring { hours } => Some(DeviceTest::LoggingEndsBetween(
                now_ms,
                now_ms + i64::from(hours) * HOUR_MS,
            )),
            Condition::RolloutHalted | Condition::RolloutWaiting { .. } => None,
        }
    }

    /// Whether `seen` makes the condition true.
    pub fn fires(&self, seen: &Seen) -> bool {
        match *self {
            Condition::ErrorCount { at_least } => seen.count >= at_least,
            Condition::ErrorPercent { at_least } => {
                seen.count > 0 && seen.count as f64 * 100.0 >= at_least * seen.of as f64
            }
            _ => seen.count > 0,
        }
    }

    /// Whether a rollout in `status`, last changed at `updated_ms`, counts. A rollout
    /// waiting for approval changes nothing until a person acts, so its last change is when
    /// it began to wait.
    pub fn rollout_counts(&self, status: &Status, updated_ms: i64, now_ms: i64) -> bool {
        match (self, status) {
            (Condition::RolloutHalted, Status::Halted { .. }) => true,
            (Condition::RolloutWaiting { hours }, Status::WaitingApproval) => {
                updated_ms <= now_ms - i64::from(*hours) * HOUR_MS
            }
            _ => false,
        }
    }

    /// Whether it watches rollouts rather than devices.
    pub fn is_about_rollouts(&self) -> bool {
        self.device_test(0).is_none()
    }

    /// The condition in words, for a notification and the Alerts page.
    pub fn describe(&self) -> String {
        match *self {
            Condition::ErrorCount { at_least } => {
                format!("{at_least} or more devices in error")
            }
            Condition::ErrorPercent { at_least } => format!("{at_least}% or more in error"),
            Condition::Pending { hours } => format!("pending for more than {hours} h"),
            Condition::TargetDiffers { hours } => {
                format!("running another app than their target for more than {hours} h")
            }
            Condition::NotReported { hours } => {
                format!("gone from the list or not reported for more than {hours} h")
            }
            Condition::LoggingExpiring { hours } => format!("logging ending within {hours} h"),
            Condition::RolloutHalted => "a rollout halted".to_owned(),
            Condition::RolloutWaiting { hours } => {
                format!("a rollout waiting for approval for more than {hours} h")
            }
        }
    }
}

impl DeviceTest {
    /// Whether the device in `row` (gone from the list when `gone`, first seen at
    /// `first_seen_ms`) counts.
    pub fn holds(&self, row: &IndexRow, gone: bool, first_seen_ms: i64) -> bool {
        if gone {
            return matches!(self, DeviceTest::SilentBefore(_));
        }
        match *self {
            DeviceTest::Error => row.status == "error",
            DeviceTest::PendingBefore(before) => {
                row.status == "pending" && row.targeted_ms.is_some_and(|at| at != 0 && at < before)
            }
            DeviceTest::DiffersBefore(before) => {
                let reported = row.reported_app.as_deref().unwrap_or("");
                !reported.is_empty()
                    && Some(reported) != row.target_app.as_deref()
                    && row.targeted_ms.is_some_and(|at| at != 0 && at < before)
            }
            DeviceTest::SilentBefore(before) => match row.reported_ms {
                Some(at) if at != 0 => at < before,
                _ => first_seen_ms < before,
            },
            DeviceTest::LoggingEndsBetween(after, until) => {
                row.logging_enabled
                    && row
                        .logging_expires_ms
                        .is_some_and(|at| at > after && at <= until)
            }
        }
    }
}

/// Something an alert names: a device or a rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Culprit {
    /// A device's SID or a rollout's id.
    pub id: String,
    /// Its unique name, or the rollout's name ("" when it has none).
    #[serde(default)]
    pub name: String,
}

/// What an evaluation saw: how many count, out of how many in scope, and the first of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub count: u64,
    /// Devices in scope (for a percentage), or rollouts looked at.
    pub of: u64,
    /// At most `CULPRITS_KEPT`.
    pub culprits: Vec<Culprit>,
}
