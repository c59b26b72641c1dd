//! A rule's alert over time: it fires once when its condition becomes true and resolves once
//! when it stops being true, with nothing in between but an optional reminder. Each
//! transition is numbered per rule: with the rule's id that number is the idempotency key a
//! webhook receiver drops duplicates by.

use serde::{Deserialize, Serialize};

use super::rule::{Culprit, Seen};

/// Who acknowledged a firing alert, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub by: String,
    pub at_ms: i64,
    #[serde(default)]
    pub note: String,
}

/// A rule's alert as kept between evaluations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertState {
    pub firing: bool,
    /// When it last fired or resolved (0: never evaluated true).
    pub since_ms: i64,
    /// When people were last told (fired, or reminded).
    pub notified_ms: i64,
    /// What the last evaluation saw.
    pub seen: Seen,
    /// When it was last evaluated, and how long that took (the store's counting).
    pub evaluated_ms: i64,
    #[serde(default)]
    pub took_ms: u64,
    /// Transitions so far; the next is numbered one more.
    pub transitions: u64,
    /// Cleared when it resolves or fires again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<Ack>,
    /// Notifications held back until this time (0: not silenced).
    #[serde(default)]
    pub silenced_until_ms: i64,
    /// The error of the last evaluation, if it failed (a saved view deleted, the store down).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    Fired,
    Reminder,
    Resolved,
}

impl TransitionKind {
    pub fn word(self) -> &'static str {
        match self {
            TransitionKind::Fired => "fired",
            TransitionKind::Reminder => "reminder",
            TransitionKind::Resolved => "resolved",
        }
    }
}

/// One change of a rule's alert, kept in its history and sent to its webhooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// 1, 2, 3… per rule.
    pub seq: u64,
    pub kind: TransitionKind,
    pub at_ms: i64,
    pub count: u64,
    pub of: u64,
    pub culprits: Vec<Culprit>,
    /// Notifications were held back (the rule silenced) when it happened.
    #[serde(default)]
    pub silenced: bool,
}

impl AlertState {
    /// Takes what an evaluation at `now_ms` saw and whether that makes the condition true;
    /// the transition it makes, if any. `reminder_ms` repeats a firing alert that often.
    pub fn observe(
        &mut self,
        fires: bool,
        seen: Seen,
        now_ms: i64,
        reminder_ms: Option<i64>,
    ) -> Option<Transition> {
        self.evaluated_ms = now_ms;
        self.error.clear();
        let kind = match (self.firing, fires) {
            (false, true) => Some(TransitionKind::Fired),
            (true, false) => Some(TransitionKind::Resolved),
            (true, true) => reminder_ms
                .filter(|every| now_ms - self.notified_ms >= *every)
                .map(|_| TransitionKind::Reminder),
            (false, false) => None,
        };
        self.seen = seen;
        let kind = kind?;
        match kind {
            TransitionKind::Fired | TransitionKind::Resolved => {
                self.firing = kind == TransitionKind::Fired;
                self.since_ms = now_ms;
                self.ack = None;
            }
            TransitionKind::Reminder => {}
        }
        if kind != TransitionKind::Resolved {
            self.notified_ms = now_ms;
        }
        self.transitions += 1;
        Some(Transition {
            seq: self.transitions,
            kind,
            at_ms: now_ms,
            count: self.seen.count,
            of: self.seen.of,
            culprits: self.seen.culprits.clone(),
            silenced: self.silenced(now_ms),
        })
    }

    /// Notifications are held back at `now_ms`.
    pub fn silenced(&self, now_ms: i64) -> bool {
        now_ms < self.silenced_until_ms
    }

    /// A person acknowledges the firing alert; false (nothing changed) when it is not firing.
    pub fn acknowledge(&mut self, ack: Ack) -> bool {
        if !self.firing {
            return false;
        }
        self.ack = Some(ack);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(count: u64) -> Seen {
        Seen {
            count,
            of: 100,
            culprits: Vec::new(),
        }
    }

    #[test]
    fn it_fires_once_resolves_once_and_reminds_only_when_asked() {
        let mut state = AlertState::default();
        assert_eq!(state.observe(false, seen(0), 1, None), None);
        let fired = state.observe(true, seen(7), 2, None).expect("fires");
        assert_eq!(
            (fired.seq, fired.kind, fired.count),
            (1, TransitionKind::Fired, 7)
        );
        // Still true, no reminder asked: nothing, but what it sees is kept.
        assert_eq!(state.observe(true, seen(9), 3, None), None);
        assert_eq!(state.seen.count, 9);
        let resolved = state.observe(false, seen(0), 4, None).expect("resolves");
        assert_eq!((resolved.seq, resolved.kind), (2, TransitionKind::Resolved));
        assert_eq!(state.observe(false, seen(0), 5, None), None);
    }

    #[test]
    fn a_reminder_comes_after_its_interval_from_the_last_notice() {
        let mut state = AlertState::default();
        state.observe(true, seen(1), 1_000, Some(600));
        assert_eq!(state.observe(true, seen(1), 1_500, Some(600)), None);
        let reminder = state
            .observe(true, seen(1), 1_600, Some(600))
            .expect("reminds");
        assert_eq!((reminder.seq, reminder.kind), (2, TransitionKind::Reminder));
        assert_eq!(state.observe(true, seen(1), 2_100, Some(600)), None);
        assert!(state.observe(true, seen(1), 2_200, Some(600)).is_some());
    }

    #[test]
    fn an_acknowledgement_lasts_until_the_alert_resolves() {
        let mut state = AlertState::default();
        let ack = Ack {
            by: "ana".into(),
            at_ms: 5,
            note: "looking".into(),
        };
        assert!(!state.acknowledge(ack.clone()), "nothing to acknowledge");
        state.observe(true, seen(1), 1, None);
        assert!(state.acknowledge(ack.clone()));
        state.observe(true, seen(2), 6, None);
        assert_eq!(state.ack, Some(ack));
        state.observe(false, seen(0), 7, None);
        assert_eq!(state.ack, None);
    }

    #[test]
    fn a_silenced_rule_still_records_its_transitions_marked_silenced() {
        let mut state = AlertState {
            silenced_until_ms: 100,
            ..AlertState::default()
        };
        assert!(
            state
                .observe(true, seen(1), 50, None)
                .expect("fires")
                .silenced
        );
        assert!(
            !state
                .observe(false, seen(0), 100, None)
                .expect("resolves")
                .silenced
        );
    }
}
