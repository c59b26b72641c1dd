//! The Alerts page's pure part: the new-rule form's fields turned into a request (or the
//! field that is wrong), and a rule's state in words.

use console_protocol::{AlertRuleBody, WebhookBody};
use fleet_engine::alerts::notify::Format;
use fleet_engine::alerts::{AlertState, Condition, Scope};

/// The condition kinds the form offers: (value, label, what its number means).
pub const KINDS: [(&str, &str, &str); 8] = [
    ("error_percent", "Devices in error, percent", "percent"),
    ("error_count", "Devices in error, count", "devices"),
    ("pending", "Pending longer than", "hours"),
    (
        "target_differs",
        "Running another app than their target longer than",
        "hours",
    ),
    (
        "not_reported",
        "Gone, or not reported (offline) longer than",
        "hours",
    ),
    ("logging_expiring", "Logging ending within", "hours"),
    ("rollout_halted", "A rollout halted", ""),
    (
        "rollout_waiting",
        "A rollout waiting for approval longer than",
        "hours",
    ),
];

/// What the form holds, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFields {
    pub name: String,
    /// A saved view's id, or "" for the whole fleet.
    pub view: String,
    pub kind: String,
    pub value: String,
    pub webhook: String,
    pub slack: bool,
    /// Minutes, or "" for none.
    pub reminder: String,
}

/// A field that is wrong: its form id, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: &str) -> FieldProblem {
    FieldProblem {
        field,
        message: message.to_owned(),
    }
}

impl RuleFields {
    /// The request the fields make, or the first field that is wrong. The server checks again.
    pub fn request(&self) -> Result<AlertRuleBody, FieldProblem> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(problem("rule-name", "Give the rule a name."));
        }
        let number = |what: &str| -> Result<f64, FieldProblem> {
            let value: f64 = self
                .value
                .trim()
                .parse()
                .map_err(|_| problem("rule-value", &format!("Enter a number of {what}.")))?;
            if !value.is_finite() || value <= 0.0 {
                return Err(problem("rule-value", &format!("Enter more than 0 {what}.")));
            }
            Ok(value)
        };
        let hours = || -> Result<u32, FieldProblem> {
            let value = number("hours")?;
            if value.fract() != 0.0 || value > f64::from(24 * 366) {
                return Err(problem("rule-value", "Enter whole hours, at most a year."));
            }
            Ok(value as u32)
        };
        let condition = match self.kind.as_str() {
            "error_percent" => {
                let at_least = number("percent")?;
                if at_least > 100.0 {
                    return Err(problem("rule-value", "A percentage is at most 100."));
                }
                Condition::ErrorPercent { at_least }
            }
            "error_count" => {
                let at_least = number("devices")?;
                if at_least.fract() != 0.0 {
                    return Err(problem("rule-value", "Enter a whole number of devices."));
                }
                Condition::ErrorCount {
                    at_least: at_least as u64,
                }
            }
            "pending" => Condition::Pending { hours: hours()? },
            "target_differs" => Condition::TargetDiffers { hours: hours()? },
            "not_reported" => Condition::NotReported { hours: hours()? },
            "logging_expiring" => Condition::LoggingExpiring { hours: hours()? },
            "rollout_halted" => Condition::RolloutHalted,
            "rollout_waiting" => Condition::RolloutWaiting { hours: hours()? },
            _ => return Err(problem("rule-kind", "Choose a condition.")),
        };
        let reminder_minutes = match self.reminder.trim() {
            "" => None,
            text => match text.parse::<u32>() {
                Ok(minutes) if minutes > 0 => Some(minutes),
                _ => {
                    return Err(problem(
                        "rule-reminder",
                        "Enter whole minutes, or leave it empty for no reminders.",
                    ));
                }
            },
        };
        let url = self.webhook.trim();
        if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
            return Err(problem(
                "rule-webhook",
                "A webhook URL starts with https:// (or http://).",
            ));
        }
        Ok(AlertRuleBody {
            name: name.to_owned(),
            scope: if self.view.is_empty() {
                Scope::Fleet
            } else {
                Scope::View(self.view.clone())
            },
            condition,
            reminder_minutes,
            webhooks: (!url.is_empty())
                .then(|| WebhookBody {
                    url: url.to_owned(),
                    format: if self.slack {
                        Format::Slack
                    } else {
                        Format::Json
                    },
                })
                .into_iter()
                .collect(),
        })
    }
}

/// A rule's state in words: "Firing: 7 of 120" or "OK", and who acknowledged it.
pub fn state_text(state: &AlertState, about_rollouts: bool, now_ms: i64) -> String {
    let things = if about_rollouts {
        "rollouts"
    } else {
        "devices"
    };
    let mut text = if !state.error.is_empty() {
        format!("Cannot evaluate: {}", state.error)
    } else if state.firing {
        format!("Firing: {} of {} {things}", state.seen.count, state.seen.of)
    } else if state.evaluated_ms == 0 {
        "Not evaluated yet".to_owned()
    } else {
        "OK".to_owned()
    };
    if let Some(ack) = &state.ack {
        text.push_str(&format!(" · acknowledged by {}", ack.by));
        if !ack.note.is_empty() {
            text.push_str(&format!(" (“{}”)", ack.note));
        }
    }
    if state.silenced(now_ms) {
        text.push_str(" · silenced");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(kind: &str, value: &str) -> RuleFields {
        RuleFields {
            name: "canary".into(),
            kind: kind.into(),
            value: value.into(),
            ..RuleFields::default()
        }
    }

    #[test]
    fn the_form_makes_each_condition_and_names_the_wrong_field() {
        let percent = fields("error_percent", "5").request().unwrap();
        assert_eq!(percent.condition, Condition::ErrorPercent { at_least: 5.0 });
        assert_eq!(percent.scope, Scope::Fleet);
        assert!(percent.webhooks.is_empty());
        assert_eq!(
            fields("rollout_halted", "").request().unwrap().condition,
            Condition::RolloutHalted
        );
        assert_eq!(
            fields("error_percent", "101").request().unwrap_err().field,
            "rule-value"
        );
        assert_eq!(
            fields("pending", "1.5").request().unwrap_err().field,
            "rule-value"
        );
        assert_eq!(
            fields("error_count", "-2").request().unwrap_err().field,
            "rule-value"
        );
        assert_eq!(fields("", "1").request().unwrap_err().field, "rule-kind");
        let nameless = RuleFields {
            name: " ".into(),
            ..fields("pending", "2")
        };
        assert_eq!(nameless.request().unwrap_err().field, "rule-name");
        let ftp = RuleFields {
            webhook: "ftp://x".into(),
            ..fields("pending", "2")
        };
        assert_eq!(ftp.request().unwrap_err().field, "rule-webhook");
        let slack = RuleFields {
            webhook: " https://hooks.slack.com/x ".into(),
            slack: true,
            view: "VW1".into(),
            reminder: "30".into(),
            ..fields("pending", "2")
        };
        let made = slack.request().unwrap();
        assert_eq!(made.webhooks[0].url, "https://hooks.slack.com/x");
        assert_eq!(made.webhooks[0].format, Format::Slack);
        assert_eq!(made.scope, Scope::View("VW1".into()));
        assert_eq!(made.reminder_minutes, Some(30));
    }

    #[test]
    fn a_state_reads_as_a_person_would_say_it() {
        let mut state = AlertState::default();
        assert_eq!(state_text(&state, false, 0), "Not evaluated yet");
        state.evaluated_ms = 1;
        assert_eq!(state_text(&state, false, 0), "OK");
        state.firing = true;
        state.seen.count = 7;
        state.seen.of = 120;
        state.ack = Some(fleet_engine::alerts::Ack {
            by: "ana".into(),
            at_ms: 1,
            note: "on it".into(),
        });
        state.silenced_until_ms = 10;
        assert_eq!(
            state_text(&state, false, 5),
            "Firing: 7 of 120 devices · acknowledged by ana (“on it”) · silenced"
        );
    }
}
