use super::*;

const MIN: i64 = 60_000;

fn candidates(n: usize) -> Vec<Candidate> {
    (0..n)
        .map(|i| Candidate {
            sid: format!("UV{i:032}"),
            name: format!("dev-{i}"),
            report: Some(Report {
                update_status: Some("up-to-date".into()),
                target_sid: Some("KAold".into()),
                reported_sid: Some("KAold".into()),
                error_code: 0,
                date_targeted: None,
            }),
        })
        .collect()
}

fn report(status: &str, target: &str, reported: Option<&str>, code: i64) -> Report {
    Report {
        update_status: Some(status.into()),
        target_sid: Some(target.into()),
        reported_sid: reported.map(str::to_owned),
        error_code: code,
        date_targeted: None,
    }
}

fn writes(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Write { sid } => Some(sid.clone()),
            Action::Check { .. } => None,
        })
        .collect()
}

/// Answers every write as taken and every written device as up to date.
fn succeed_all(rollout: &mut Rollout, actions: Vec<Action>, now: i64) -> Vec<Action> {
    let mut next = Vec::new();
    for sid in writes(&actions) {
        next.extend(rollout.step(
            Input::Written {
                sid: sid.clone(),
                result: WriteResult::Accepted,
            },
            now,
        ));
        next.extend(rollout.step(
            Input::Observed {
                sid,
                report: report("up-to-date", "KAnew", Some("KAnew"), 0),
            },
            now,
        ));
    }
    next
}

#[test]
fn phase_sizes_follow_counts_percentages_and_batches() {
    assert_eq!(Plan::canary(0).phase_sizes(300), vec![1, 29, 120, 150]);
    assert_eq!(Plan::canary(0).phase_sizes(1), vec![1]);
    assert_eq!(Plan::canary(0).phase_sizes(5), vec![1, 1, 1, 2]);
    assert_eq!(Plan::batches(40, 0).phase_sizes(100), vec![40, 40, 20]);
    assert_eq!(Plan::default().phase_sizes(7), vec![7]);
    assert_eq!(Plan::canary(0).phase_sizes(0), Vec::<usize>::new());
}

#[test]
fn devices_already_on_target_are_skipped_and_never_written() {
    let mut list = candidates(4);
    list[2].report = Some(report("up-to-date", "KAnew", Some("KAnew"), 0));
    let rollout = Rollout::new(
        "r".into(),
        "r".into(),
        "KAnew".into(),
        Plan::default(),
        list,
        0,
    )
    .unwrap();
    let skipped: Vec<_> = rollout
        .devices
        .iter()
        .filter(|d| d.state == DeviceState::Skipped)
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(skipped, ["dev-2"]);
    assert_eq!(rollout.counts().skipped, 1);
    assert_eq!(
        Rollout::new(
            "r".into(),
            "r".into(),
            "KA".into(),
            Plan::default(),
            vec![],
            0
        ),
        Err(PlanError::NoDevices)
    );
}

#[test]
fn a_canary_rollout_runs_phase_by_phase_to_completion() {
    let mut plan = Plan::canary(5 * MIN);
    plan.concurrency = 50;
    let mut rollout = Rollout::new(
        "r".into(),
        "canary".into(),
        "KAnew".into(),
        plan,
        candidates(20),
        0,
    )
    .unwrap();
    let first = rollout.step(Input::Tick, 0);
    assert_eq!(writes(&first).len(), 1, "the canary alone");
    succeed_all(&mut rollout, first, 1);
    assert_eq!(
        rollout.status,
        Status::Soaking {
            until_ms: 1 + 5 * MIN
        }
    );
    assert!(
        writes(&rollout.step(Input::Tick, 2 * MIN)).is_empty(),
        "soaking"
    );
    let second = rollout.step(Input::Tick, 6 * MIN);
    assert_eq!(writes(&second).len(), 1, "up to 10 % of 20");
    let mut now = 6 * MIN;
    let mut next = second;
    while rollout.status != Status::Completed {
        now += 6 * MIN;
        next = succeed_all(&mut rollout, next, now);
        next.extend(rollout.step(Input::Tick, now));
        assert!(now < 200 * MIN, "stuck: {:?}", rollout.status);
    }
    assert_eq!(rollout.counts().done, 20);
    assert!(rollout.devices.iter().all(|d| d.attempts == 1));
}

/// A canary rollout of 30 whose canary was written and failed; the rollout, the canary's SID,
/// and the actions the failure's report made.
fn failed_canary() -> (Rollout, String, Vec<Action>) {
    let mut rollout = Rollout::new(
        "r".into(),
        "r".into(),
        "KAnew".into(),
        Plan::canary(0),
        candidates(30),
        0,
    )
    .unwrap();
    let canary = writes(&rollout.step(Input::Tick, 0)).remove(0);
    rollout.step(
        Input::Written {
            sid: canary.clone(),
            result: WriteResult::Accepted,
        },
        1,
    );
    let after = rollout.step(
        Input::Observed {
            sid: canary.clone(),
            report: report("error", "KAnew", Some("KAold"), 3),
        },
        2,
    );
    (rollout, canary, after)
}

#[test]
fn crossing_the_threshold_halts_before_the_next_write_and_retry_resumes() {
    let (mut rollout, canary, after) = failed_canary();
    assert!(writes(&after).is_empty());
    assert!(
        matches!(&rollout.status, Status::Halted { reason } if reason.contains("1 of 1 devices failed"))
    );
    assert!(writes(&rollout.step(Input::Tick, 10 * MIN)).is_empty());
    assert_eq!(rollout.counts().failed, 1);
    // An explicit second attempt, recorded as such.
    let retry = rollout.step(Input::Control(Control::RetryFailed), 11 * MIN);
    assert_eq!(writes(&retry), [canary]);
    assert_eq!(rollout.devices[0].attempts, 2);
}

#[test]
fn resuming_a_halted_rollout_accepts_the_failures_so_far_and_goes_on() {
    let (mut rollout, canary, _) = failed_canary();
    assert!(matches!(rollout.status, Status::Halted { .. }));
    assert!(rollout.accepts(Control::Resume));
    assert!(!rollout.accepts(Control::Pause));
    // The canary's failure is accepted: its phase is complete and the next one is written.
    let mut written = writes(&rollout.step(Input::Control(Control::Resume), 3));
    written.extend(writes(&rollout.step(Input::Tick, 4)));
    assert_eq!(rollout.phase, 1, "{:?}", rollout.status);
    assert_eq!(rollout.status, Status::Running);
    assert!(!written.is_empty() && !written.contains(&canary));
    // Accepted for its own phase only: the next phase's threshold counts from zero.
    assert_eq!(rollout.accepted_failures, 0);
    assert_eq!(rollout.counts().failed, 1);
}

#[test]
fn an_unknown_result_is_checked_not_rewritten() {
    let mut rollout = Rollout::new(
        "r".into(),
        "r".into(),
        "KAnew".into(),
        Plan::default(),
        candidates(2),
        0,
    )
    .unwrap();
    let sent = writes(&rollout.step(Input::Tick, 0));
    assert_eq!(sent.len(), 2);
    let actions = rollout.step(
        Input::Written {
            sid: sent[0].clone(),
            result: WriteResult::Unknown {
                reason: "HTTP 500".into(),
            },
        },
        1,
    );
    assert!(actions.contains(&Action::Check {
        sid: sent[0].clone()
    }));
    assert!(writes(&actions).is_empty());
    // It landed: watched, not written again.
    let actions = rollout.step(
        Input::Observed {
            sid: sent[0].clone(),
            report: report("pending", "KAnew", Some("KAold"), 0),
        },
        2,
    );
    assert!(writes(&actions).is_empty());
    assert_eq!(rollout.devices[0].state, DeviceState::Watching);
    // After a restart, the other one is unknown too; it had not landed: written again, once.
    rollout.step(Input::Restarted, 3);
    assert_eq!(rollout.devices[1].state, DeviceState::Checking);
    let actions = rollout.step(
        Input::Observed {
            sid: sent[1].clone(),
            report: report("up-to-date", "KAold", Some("KAold"), 0),
        },
        4,
    );
    assert_eq!(writes(&actions), vec![sent[1].clone()]);
    assert_eq!(rollout.devices[1].attempts, 1, "the first never landed");
}

/// A device that already targeted the app (pending, say, and offline) proves nothing by its
/// target when a write's answer is lost: only a newer `date_targeted` shows the write landed.
#[test]
fn a_device_already_targeting_the_app_is_written_again_when_its_date_did_not_move() {
    let pending = |date: &str| Report {
        update_status: Some("pending".into()),
        target_sid: Some("KAnew".into()),
        reported_sid: Some("KAold".into()),
        error_code: 0,
        date_targeted: Some(date.into()),
    };
    let mut candidates = candidates(2);
    for candidate in &mut candidates {
        candidate.report = Some(pending("2026-01-01T00:00:00Z"));
    }
    let mut rollout = Rollout::new(
        "r".into(),
        "r".into(),
        "KAnew".into(),
        Plan::default(),
        candidates,
        0,
    )
    .unwrap();
    let sent = writes(&rollout.step(Input::Tick, 0));
    assert_eq!(
        sent.len(),
        2,
        "pending on the app is not on it: both are written"
    );
    for sid in &sent {
        rollout.step(
            Input::Written {
                sid: sid.clone(),
                result: WriteResult::Unknown {
                    reason: "the connection dropped".into(),
                },
            },
            1,
        );
    }
    // The first's date moved: it landed, and is watched.
    rollout.step(
        Input::Observed {
            sid: sent[0].clone(),
            report: pending("2026-11-29T06:30:00Z"),
        },
        2,
    );
    assert_eq!(rollout.devices[0].state, DeviceState::Watching);
    // The second's did not: the write never landed, so it is written again.
    let actions = rollout.step(
        Input::Observed {
            sid: sent[1].clone(),
            report: pending("2026-01-01T00:00:00Z"),
        },
        3,
    );
    assert_eq!(writes(&actions), vec![sent[1].clone()]);
}

#[test]
fn refusals_wait_and_rejections_fail() {
    let mut rollout = Rollout::new(
        "r".into(),
        "r".into(),
        "KAnew".into(),
        Plan {
            error_threshold: Threshold::Count(5),
            ..Plan::default()
        },
        candidates(2),
        0,
    )
    .unwrap();
    let sent = writes(&rollout.step(Input::Tick, 0));
    let actions = rollout.step(
        Input::Written {
            sid: sent[0].clone(),
            result: WriteResult::Refused {
                retry_after_ms: 1000,
            },
        },
        0,
    );
    assert!(writes(&actions).is_empty(), "not before the wait");
    assert_eq!(
        writes(&rollout.step(Input::Tick, 1000)),
        vec![sent[0].clone()]
    );
    assert_eq!(
        rollout.devices[0].attempts, 1,
        "a refusal is not an attempt"
    );
    rollout.step(
        Input::Written {
            sid: sent[1].clone(),
            result: WriteResult::Rejected {
                reason: "TargetApp 'x' does not name an App".into(),
            },
        },
        1001,
    );
    assert_eq!(rollout.devices[1].state, DeviceState::Failed);
    assert!(
        rollout.devices[1]
            .reason
            .as_deref()
            .unwrap()
            .contains("TargetApp")
    );
}

#[test]
fn timeouts_fail_watched_devices() {
    let mut rollout = Rollout::new(
        "r".into(),
        "r".into(),
        "KAnew".into(),
        Plan {
            device_timeout_ms: 10 * MIN,
            error_threshold: Threshold::Percent(100),
            ..Plan::default()
        },
        candidates(1),
        0,
    )
    .unwrap();
    let sent = writes(&rollout.step(Input::Tick, 0));
    rollout.step(
        Input::Written {
            sid: sent[0].clone(),
            result: WriteResult::Accepted,
        },
        0,
    );
    rollout.step(Input::Tick, 10 * MIN);
    assert_eq!(rollout.devices[0].state, DeviceState::Watching);
    rollout.step(Input::Tick, 10 * MIN + 1);
    assert_eq!(rollout.devices[0].state, DeviceState::Failed);
    assert_eq!(rollout.status, Status::Completed);
}

#[test]
fn schedule_window_pause_resume_abort_and_approval() {
    let day = 24 * 60 * MIN;
    // Starts tomorrow at 10:00, writes only 02:00–04:00 UTC.
    let plan = Plan {
        phases: vec![
            PhaseSpec {
                size: Size::Count(1),
                soak_ms: 0,
                approval: true,
            },
            PhaseSpec {
                size: Size::Percent(100),
                soak_ms: 0,
                approval: false,
            },
        ],
        start_at_ms: Some(day + 10 * 60 * MIN),
        window: Some(Window {
            start_hour: 2,
            end_hour: 4,
        }),
        ..Plan::default()
    };
    let mut rollout = Rollout::new(
        "r".into(),
        "r".into(),
        "KAnew".into(),
        plan,
        candidates(5),
        0,
    )
    .unwrap();
    assert_eq!(rollout.status, Status::Scheduled);
    assert!(
        writes(&rollout.step(Input::Tick, 3 * 60 * MIN)).is_empty(),
        "not started"
    );
    assert!(
        writes(&rollout.step(Input::Tick, day + 11 * 60 * MIN)).is_empty(),
        "outside the window"
    );
    let canary = rollout.step(Input::Tick, 2 * day + 2 * 60 * MIN);
    assert_eq!(writes(&canary).len(), 1, "in the window");
    let after = succeed_all(&mut rollout, canary, 2 * day + 2 * 60 * MIN + 1);
    assert!(writes(&after).is_empty());
    assert_eq!(rollout.status, Status::WaitingApproval);
    rollout.step(Input::Control(Control::Pause), 2 * day + 2 * 60 * MIN + 2);
    assert_eq!(
        rollout.status,
        Status::WaitingApproval,
        "nothing to pause yet"
    );
    let approved = rollout.step(Input::Control(Control::Approve), 2 * day + 2 * 60 * MIN + 3);
    assert_eq!(writes(&approved).len(), 4);
    rollout.step(Input::Control(Control::Pause), 2 * day + 2 * 60 * MIN + 4);
    assert_eq!(rollout.status, Status::Paused);
    rollout.step(Input::Control(Control::Resume), 2 * day + 2 * 60 * MIN + 5);
    assert_eq!(rollout.status, Status::Running);
    rollout.step(Input::Control(Control::Abort), 2 * day + 2 * 60 * MIN + 6);
    assert_eq!(rollout.status, Status::Aborted);
    assert_eq!(rollout.counts().not_sent, 0, "all four were already sent");
    assert_eq!(rollout.counts().pending, 4, "still watched");
}

#[test]
fn aborting_marks_the_unsent() {
    let mut rollout = Rollout::new(
        "r".into(),
        "r".into(),
        "KAnew".into(),
        Plan::canary(0),
        candidates(10),
        0,
    )
    .unwrap();
    rollout.step(Input::Tick, 0);
    rollout.step(Input::Control(Control::Abort), 1);
    assert_eq!(rollout.counts().not_sent, 9);
    assert!(writes(&rollout.step(Input::Tick, 2)).is_empty());
}

#[test]
fn a_bulk_action_is_done_when_taken_and_an_unknown_write_is_never_repeated() {
    let plan = Plan {
        concurrency: 3,
        error_threshold: Threshold::Percent(100),
        ..Plan::default()
    };
    // Devices already "on" something are not skipped: an action has no target to be on.
    let mut rollout = Rollout::of_change(
        "r".into(),
        "restart".into(),
        Change::RestartApp,
        plan,
        candidates(5),
        0,
    )
    .unwrap();
    assert_eq!(rollout.counts().pending, 5);
    let sid = |i: usize| rollout.devices[i].sid.clone();
    let (d0, d1, d2, d3, d4) = (sid(0), sid(1), sid(2), sid(3), sid(4));
    let taken = |sid: &str| Input::Written {
        sid: sid.to_owned(),
        result: WriteResult::Accepted,
    };
    assert_eq!(
        writes(&rollout.step(Input::Tick, 0)),
        [d0.clone(), d1.clone(), d2.clone()]
    );
    assert_eq!(
        writes(&rollout.step(taken(&d0), 1)),
        std::slice::from_ref(&d3)
    );
    // A dropped connection: the restart may have happened; no read can tell.
    let unknown = Input::Written {
        sid: d1.clone(),
        result: WriteResult::Unknown {
            reason: "connection reset".into(),
        },
    };
    assert_eq!(
        rollout.step(unknown, 2),
        [Action::Write { sid: d4.clone() }]
    );
    rollout.step(taken(&d3), 3);
    rollout.step(taken(&d4), 3);
    // The server restarts with d2's write out: nothing is read or sent again.
    assert_eq!(rollout.step(Input::Restarted, 4), []);
    assert_eq!(rollout.status, Status::Completed);
    let counts = rollout.counts();
    assert_eq!((counts.done, counts.failed, counts.pending), (3, 2, 0));
    let failed: Vec<&str> = rollout
        .devices
        .iter()
        .filter(|d| d.state == DeviceState::Failed)
        .map(|d| d.reason.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(
        failed,
        [
            "connection reset: it may have landed and was not sent again",
            "the server restarted while it was sent: it may have landed and was not sent again"
        ]
    );
    // Only a person's retry sends them again.
    assert_eq!(
        writes(&rollout.step(Input::Control(Control::RetryFailed), 5)),
        [d1, d2]
    );
    assert_eq!(rollout.change.update("").restart_app, Some(true));
    assert_eq!(
        Rollout::of_change(
            "r".into(),
            "r".into(),
            Change::TargetApp,
            Plan::default(),
            candidates(1),
            0
        ),
        Err(PlanError::NoTarget)
    );
}

// Host only: proptest has no wasm32 randomness.
#[cfg(not(target_arch = "wasm32"))]
mod properties;
