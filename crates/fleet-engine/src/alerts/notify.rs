//! What a webhook is sent about a transition, and when a failed delivery is tried again: a
//! generic JSON body or a Slack-compatible one (`text` and blocks), the idempotency key a
//! receiver drops duplicates by, and the backoff (doubling, capped) for up to a day.

use microvisor_api::time::format_iso8601;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::lifecycle::{Transition, TransitionKind};
use super::rule::AlertRule;

/// A delivery is tried for this long after its transition, then given up.
pub const GIVE_UP_AFTER_MS: i64 = 24 * 3_600_000;
/// The first retry waits this long; each after it twice as long as the one before, up to
/// `MAX_BACKOFF_MS`.
pub const FIRST_BACKOFF_MS: i64 = 2_000;
pub const MAX_BACKOFF_MS: i64 = 5 * 60_000;

/// A webhook's body shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    Slack,
}

/// The key of one transition of one rule: the same on every attempt and from every replica.
pub fn idempotency_key(rule_id: &str, seq: u64) -> String {
    format!("{rule_id}-{seq}")
}

/// When to try again after `attempts` failed attempts, the first made at `first_ms`; `None`
/// when the delivery is given up.
pub fn next_attempt(attempts: u32, first_ms: i64, now_ms: i64) -> Option<i64> {
    let wait = FIRST_BACKOFF_MS
        .saturating_mul(1_i64 << attempts.saturating_sub(1).min(20))
        .min(MAX_BACKOFF_MS);
    let at = now_ms + wait;
    (at - first_ms <= GIVE_UP_AFTER_MS).then_some(at)
}

fn iso(ms: i64) -> String {
    format_iso8601(ms.div_euclid(1000))
}

/// The alert in one line: "Fired: canary in error (7 of 120 devices, 5% or more in error)".
pub fn headline(rule: &AlertRule, transition: &Transition) -> String {
    let what = match transition.kind {
        TransitionKind::Fired => "Fired",
        TransitionKind::Reminder => "Still firing",
        TransitionKind::Resolved => "Resolved",
    };
    let things = if rule.input.condition.is_about_rollouts() {
        "rollouts"
    } else {
        "devices"
    };
    format!(
        "{what}: {} ({} of {} {things}; {})",
        rule.input.name,
        transition.count,
        transition.of,
        rule.input.condition.describe()
    )
}

/// The body sent for `transition` of `rule`, in `format`.
pub fn body(rule: &AlertRule, transition: &Transition, format: Format) -> Value {
    let key = idempotency_key(&rule.id, transition.seq);
    match format {
        Format::Json => json!({
            "id": key,
            "type": format!("alert.{}", transition.kind.word()),
            "at": iso(transition.at_ms),
            "rule": {
                "id": rule.id,
                "name": rule.input.name,
                "condition": rule.input.condition.describe(),
            },
            "count": transition.count,
            "of": transition.of,
            "culprits": transition.culprits,
            "text": headline(rule, transition),
        }),
        Format::Slack => {
            let mut lines = headline(rule, transition);
            for culprit in &transition.culprits {
                lines.push_str("\n• ");
                lines.push_str(&slack_escape(&culprit.id));
                if !culprit.name.is_empty() {
                    lines.push_str(&format!(" ({})", slack_escape(&culprit.name)));
                }
            }
            json!({
                "text": headline(rule, transition),
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": lines}},
                    {"type": "context", "elements": [
                        {"type": "mrkdwn", "text": format!("{} · {}", iso(transition.at_ms), key)}
                    ]}
                ],
            })
        }
    }
}

/// Device names are untrusted text: Slack reads `<`, `>` and `&` as markup.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rule::{Condition, Culprit, RuleInput, Scope};

    fn rule() -> AlertRule {
        AlertRule {
            id: "AR1".into(),
            input: RuleInput {
                name: "canary".into(),
                scope: Scope::Fleet,
                condition: Condition::ErrorPercent { at_least: 5.0 },
                reminder_minutes: None,
            },
            created_by: "ana".into(),
            created_ms: 0,
            updated_ms: 0,
        }
    }

    fn fired() -> Transition {
        Transition {
            seq: 3,
            kind: TransitionKind::Fired,
            at_ms: 1_700_000_000_000,
            count: 7,
            of: 120,
            culprits: vec![Culprit {
                id: "UV1".into(),
                name: "<b>&".into(),
            }],
            silenced: false,
        }
    }

    #[test]
    fn the_backoff_doubles_up_to_its_cap_and_gives_up_after_a_day() {
        assert_eq!(next_attempt(1, 0, 0), Some(2_000));
        assert_eq!(next_attempt(2, 0, 0), Some(4_000));
        assert_eq!(next_attempt(30, 0, 0), Some(MAX_BACKOFF_MS));
        assert_eq!(next_attempt(5, 0, GIVE_UP_AFTER_MS), None);
        assert!(next_attempt(5, 0, GIVE_UP_AFTER_MS - MAX_BACKOFF_MS).is_some());
    }

    #[test]
    fn both_bodies_carry_the_key_and_the_headline_and_slack_gets_escaped_names() {
        let json = body(&rule(), &fired(), Format::Json);
        assert_eq!(json["id"], "AR1-3");
        assert_eq!(json["type"], "alert.fired");
        assert_eq!(
            json["text"],
            "Fired: canary (7 of 120 devices; 5% or more in error)"
        );
        let slack = body(&rule(), &fired(), Format::Slack);
        assert_eq!(slack["text"], json["text"]);
        let section = slack["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(section.ends_with("• UV1 (&lt;b&gt;&amp;)"), "{section}");
        assert!(
            slack["blocks"][1]["elements"][0]["text"]
                .as_str()
                .unwrap()
                .ends_with("AR1-3")
        );
    }
}
