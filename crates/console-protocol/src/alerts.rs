//! The bodies of `/console/v1/alerts…` (rules, their webhooks, acknowledgements, silences,
//! history and deliveries) and of `/console/v1/events`, the server-sent event stream.

use fleet_engine::alerts::notify::Format;
use fleet_engine::alerts::{AlertRule, AlertState, Condition, Scope, Transition, TransitionKind};
use fleet_engine::rollout::{Counts, Rollout, Status};
use serde::{Deserialize, Serialize};

/// `POST /console/v1/alerts` and `POST /console/v1/alerts/{id}` (where `webhooks` is
/// refused: they have their own routes). Unknown fields are refused by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleBody {
    pub name: String,
    pub scope: Scope,
    pub condition: Condition,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookBody>,
}

/// A webhook to add. Its URL is a secret: it is never shown back in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    pub url: String,
    #[serde(default)]
    pub format: Format,
}

/// A webhook as shown: its URL cut to the scheme and host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: String,
    /// `https://hooks.example.com/…`
    pub url_shown: String,
    pub format: Format,
    pub created_ms: i64,
    /// The signing secret, in the answer that made the webhook only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// A rule, its alert's state, its webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRuleView {
    pub rule: AlertRule,
    pub state: AlertState,
    pub webhooks: Vec<WebhookView>,
}

/// `GET /console/v1/alerts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertList {
    pub rules: Vec<AlertRuleView>,
    /// Rules firing now: the bell's number.
    pub firing: u64,
}

/// `POST /console/v1/alerts/{id}/ack`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    #[serde(default)]
    pub note: String,
}

/// `POST /console/v1/alerts/{id}/silence`: hold notifications back until a time (0 lifts it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SilenceBody {
    pub until_ms: i64,
}

/// Where one delivery of one transition to one webhook is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Given up after a day of retries, or the webhook refused for good.
    Failed,
    /// Not sent: the rule was silenced when it happened.
    Silenced,
}

impl DeliveryStatus {
    pub fn word(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Silenced => "silenced",
        }
    }

    pub fn of_word(word: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
            DeliveryStatus::Silenced,
        ]
        .into_iter()
        .find(|status| status.word() == word)
    }
}

/// One line of a rule's delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub webhook_id: String,
    pub seq: u64,
    pub kind: TransitionKind,
    pub status: DeliveryStatus,
    pub attempts: u32,
    /// The receiver's last HTTP status (0: no answer).
    pub last_code: u16,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_error: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// When it is tried next, while pending.
    pub next_ms: i64,
}

/// `GET /console/v1/alerts/{id}/history`: transitions and deliveries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertHistory {
    pub transitions: Vec<Transition>,
    pub deliveries: Vec<Delivery>,
}

/// A device as an event tells it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceChange {
    pub sid: String,
    #[serde(default)]
    pub unique_name: String,
    pub status: String,
    /// Gone from the list.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gone: bool,
}

/// One event of `/console/v1/events` (the `data` of a server-sent event, whose `id` is its
/// number in the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConsoleEvent {
    /// Devices an index pass saw change (at most `DEVICES_PER_EVENT`; `more` says how many
    /// besides).
    Devices {
        changed: Vec<DeviceChange>,
        #[serde(default)]
        more: u64,
    },
    /// An index pass ended.
    Pass {
        listed: u64,
        written: u64,
        gone: u64,
    },
    /// A rollout moved.
    Rollout {
        id: String,
        name: String,
        status: Status,
        counts: Counts,
    },
    /// A rule's alert fired, reminded or resolved, or a person acknowledged or silenced it.
    Alert {
        rule_id: String,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transition: Option<TransitionKind>,
        /// Rules firing after it: the bell's number.
        firing: u64,
    },
    /// Events were missed (a reconnect after they were let go, or a client too slow to keep
    /// up): reload what the page shows.
    Resync,
}

/// Devices named in one `Devices` event.
pub const DEVICES_PER_EVENT: usize = 500;

impl ConsoleEvent {
    /// What tells of `rollout` having moved (saved after a step, a control, or its start).
    pub fn rollout_moved(rollout: &Rollout) -> ConsoleEvent {
        ConsoleEvent::Rollout {
            id: rollout.id.clone(),
            name: rollout.name.clone(),
            status: rollout.status.clone(),
            counts: rollout.counts(),
        }
    }

    /// Every event's name, as `name` gives it.
    pub const NAMES: [&'static str; 5] = ["devices", "pass", "rollout", "alert", "resync"];

    /// The SSE `event:` name: the console listens to each kind by it.
    pub fn name(&self) -> &'static str {
        match self {
            ConsoleEvent::Devices { .. } => "devices",
            ConsoleEvent::Pass { .. } => "pass",
            ConsoleEvent::Rollout { .. } => "rollout",
            ConsoleEvent::Alert { .. } => "alert",
            ConsoleEvent::Resync => "resync",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_s_name_is_among_the_names_the_store_is_read_by() {
        let events = [
            ConsoleEvent::Devices {
                changed: vec![],
                more: 0,
            },
            ConsoleEvent::Pass {
                listed: 0,
                written: 0,
                gone: 0,
            },
            ConsoleEvent::Rollout {
                id: String::new(),
                name: String::new(),
                status: Status::Running,
                counts: Counts::default(),
            },
            ConsoleEvent::Alert {
                rule_id: String::new(),
                name: String::new(),
                transition: None,
                firing: 0,
            },
            ConsoleEvent::Resync,
        ];
        let names: Vec<&str> = events.iter().map(ConsoleEvent::name).collect();
        assert_eq!(names, ConsoleEvent::NAMES);
    }
}
