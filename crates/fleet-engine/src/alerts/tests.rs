use proptest::prelude::*;

use super::rule::HOUR_MS;
use super::*;
use crate::index::IndexRow;
use crate::rollout::Status;

fn input(json: &str) -> Result<RuleInput, String> {
    serde_json::from_str::<RuleInput>(json).map_err(|err| err.to_string())
}

#[test]
fn a_rule_reads_from_json_and_refuses_unknown_fields() {
    let rule = input(
        r#"{"name":"errors","scope":{"filter":{"text":"osaka"}},
            "condition":{"kind":"error_percent","at_least":5}}"#,
    )
    .expect("reads");
    assert_eq!(rule.condition, Condition::ErrorPercent { at_least: 5.0 });
    assert!(rule.check().is_ok());
    let unknown =
        input(r#"{"name":"x","scope":"fleet","condition":{"kind":"rollout_halted"},"colour":1}"#)
            .unwrap_err();
    assert!(unknown.contains("colour"), "{unknown}");
    let inner = input(
        r#"{"name":"x","scope":"fleet","condition":{"kind":"pending","hours":2,"minutes":3}}"#,
    )
    .unwrap_err();
    assert!(inner.contains("minutes"), "{inner}");
    assert!(
        input(r#"{"name":"x","scope":"fleet","condition":{"kind":"error_count","at_least":-1}}"#)
            .is_err()
    );
}

#[test]
fn each_wrong_field_is_named() {
    let rule = |condition: Condition| RuleInput {
        name: "r".into(),
        scope: Scope::Fleet,
        condition,
        reminder_minutes: None,
    };
    let field = |input: RuleInput| input.check().unwrap_err().field;
    assert_eq!(
        field(rule(Condition::ErrorCount { at_least: 0 })),
        "condition.at_least"
    );
    for bad in [-1.0, 0.0, 100.5, f64::NAN] {
        assert_eq!(
            field(rule(Condition::ErrorPercent { at_least: bad })),
            "condition.at_least"
        );
    }
    assert_eq!(
        field(rule(Condition::Pending { hours: 0 })),
        "condition.hours"
    );
    assert_eq!(
        field(RuleInput {
            name: " ".into(),
            ..rule(Condition::RolloutHalted)
        }),
        "name"
    );
    assert_eq!(
        field(RuleInput {
            reminder_minutes: Some(0),
            ..rule(Condition::RolloutHalted)
        }),
        "reminder_minutes"
    );
    assert_eq!(
        field(RuleInput {
            scope: Scope::View(String::new()),
            ..rule(Condition::RolloutHalted)
        }),
        "scope.view"
    );
}

#[test]
fn a_percentage_fires_at_its_threshold_and_never_over_nothing() {
    let five = Condition::ErrorPercent { at_least: 5.0 };
    let seen = |count, of| Seen {
        count,
        of,
        culprits: Vec::new(),
    };
    assert!(five.fires(&seen(5, 100)));
    assert!(!five.fires(&seen(4, 100)));
    assert!(!five.fires(&seen(0, 0)));
    assert!(Condition::ErrorCount { at_least: 3 }.fires(&seen(3, 3)));
    assert!(!Condition::Pending { hours: 1 }.fires(&seen(0, 10)));
}

fn row(status: &str) -> IndexRow {
    IndexRow {
        sid: "UV1".into(),
        unique_name: None,
        status: status.into(),
        error_code: 0,
        target_app: Some("KA1".into()),
        reported_app: Some("KA2".into()),
        logging_enabled: true,
        logging_expires_ms: Some(5 * HOUR_MS),
        targeted_ms: Some(HOUR_MS),
        reported_ms: Some(2 * HOUR_MS),
        updated_ms: None,
    }
}

#[test]
fn each_device_test_reads_the_row_as_the_store_does() {
    let now = 4 * HOUR_MS;
    let test = |c: Condition| c.device_test(now).unwrap();
    assert!(test(Condition::Pending { hours: 2 }).holds(&row("pending"), false, 0));
    assert!(!test(Condition::Pending { hours: 4 }).holds(&row("pending"), false, 0));
    assert!(test(Condition::TargetDiffers { hours: 2 }).holds(&row("up-to-date"), false, 0));
    assert!(test(Condition::NotReported { hours: 1 }).holds(&row("up-to-date"), false, 0));
    assert!(!test(Condition::NotReported { hours: 3 }).holds(&row("up-to-date"), false, 0));
    // Gone from the list counts as not reported, and as nothing else.
    assert!(test(Condition::NotReported { hours: 300 }).holds(&row("error"), true, 0));
    assert!(!test(Condition::ErrorCount { at_least: 1 }).holds(&row("error"), true, 0));
    // Logging ends at 5 h: within the hour from 4 h (the end included), not from 3 h.
    assert!(test(Condition::LoggingExpiring { hours: 1 }).holds(&row("x"), false, 0));
    let earlier = Condition::LoggingExpiring { hours: 1 }
        .device_test(now - HOUR_MS)
        .unwrap();
    assert!(!earlier.holds(&row("x"), false, 0));
    assert!(Condition::RolloutHalted.device_test(now).is_none());
    assert!(Condition::RolloutWaiting { hours: 1 }.rollout_counts(
        &Status::WaitingApproval,
        0,
        now
    ));
    assert!(!Condition::RolloutWaiting { hours: 5 }.rollout_counts(
        &Status::WaitingApproval,
        0,
        now
    ));
    assert!(Condition::RolloutHalted.rollout_counts(
        &Status::Halted { reason: "x".into() },
        now,
        now
    ));
}

proptest! {
    /// Whatever the sequence of evaluations, transitions alternate fired/resolved starting
    /// with fired, one per change of truth, numbered 1, 2, 3… with reminders only between.
    #[test]
    fn transitions_follow_the_changes_of_truth(
        truths in proptest::collection::vec(any::<bool>(), 0..60),
        reminder in proptest::option::of(1_i64..5),
    ) {
        let mut state = AlertState::default();
        let mut was = false;
        let mut last_edge: Option<TransitionKind> = None;
        for (at, fires) in truths.iter().enumerate() {
            let seen = Seen { count: u64::from(*fires), of: 1, culprits: Vec::new() };
            let made = state.observe(*fires, seen, at as i64, reminder);
            if let Some(made) = &made {
                prop_assert_eq!(made.seq, state.transitions);
            }
            match (was, *fires) {
                (false, true) => {
                    let made = made.expect("fires");
                    prop_assert_eq!(made.kind, TransitionKind::Fired);
                    prop_assert_ne!(last_edge, Some(TransitionKind::Fired));
                    last_edge = Some(made.kind);
                }
                (true, false) => {
                    let made = made.expect("resolves");
                    prop_assert_eq!(made.kind, TransitionKind::Resolved);
                    last_edge = Some(made.kind);
                }
                (true, true) => if let Some(made) = &made {
                    prop_assert_eq!(made.kind, TransitionKind::Reminder);
                    prop_assert!(reminder.is_some());
                },
                (false, false) => prop_assert!(made.is_none()),
            }
            was = *fires;
            prop_assert_eq!(state.firing, *fires);
        }
    }
}
