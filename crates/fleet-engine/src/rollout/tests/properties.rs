//! Properties of the engine under random service behaviour, controls and restarts, checked
//! against a model of the service that counts the writes that landed on each device.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::super::*;

const MIN: i64 = 60_000;
const DAY: i64 = 24 * 60 * MIN;

/// How the service answers one write.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Accepted,
    Refused,
    Rejected,
    /// Unknown to the engine; `landed` says whether the service applied it.
    Unknown {
        landed: bool,
    },
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        6 => Just(Answer::Accepted),
        1 => Just(Answer::Refused),
        1 => Just(Answer::Rejected),
        1 => any::<bool>().prop_map(|landed| Answer::Unknown { landed }),
    ]
}

/// What a person or the clock does between service answers.
#[derive(Debug, Clone, Copy)]
enum Event {
    Wait(i64),
    Control(Control),
    Restart,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        8 => (1..(3 * 60 * MIN)).prop_map(Event::Wait),
        1 => prop::sample::select(vec![
            Control::Pause,
            Control::Resume,
            Control::Approve,
            Control::RetryFailed,
            Control::Abort,
        ])
        .prop_map(Event::Control),
        1 => Just(Event::Restart),
    ]
}

fn size() -> impl Strategy<Value = Size> {
    prop_oneof![
        (1u32..5).prop_map(Size::Count),
        (1u32..=100).prop_map(Size::Percent)
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        prop::collection::vec(
            (size(), 0..(30 * MIN), any::<bool>()).prop_map(|(size, soak_ms, approval)| {
                PhaseSpec {
                    size,
                    soak_ms,
                    approval,
                }
            }),
            1..5,
        ),
        prop_oneof![
            (0u32..4).prop_map(Threshold::Count),
            (0u32..60).prop_map(Threshold::Percent)
        ],
        1u32..6,
        prop::option::of((0u8..24, 0u8..24)),
        prop::option::of(0..(2 * DAY)),
    )
        .prop_map(
            |(phases, error_threshold, concurrency, window, start_at_ms)| Plan {
                phases,
                error_threshold,
                concurrency,
                device_timeout_ms: 90 * MIN,
                start_at_ms,
                window: window.map(|(start_hour, end_hour)| Window {
                    start_hour,
                    end_hour,
                }),
            },
        )
}

/// The service: which devices target the new app, and how each device's update ends.
struct Service {
    targeted: BTreeSet<String>,
    landed: BTreeMap<String, u32>,
    /// Devices whose update ends in error.
    broken: BTreeSet<String>,
}

impl Service {
    fn land(&mut self, sid: &str) {
        self.targeted.insert(sid.to_owned());
        *self.landed.entry(sid.to_owned()).or_default() += 1;
    }

    fn report(&self, sid: &str) -> Report {
        if !self.targeted.contains(sid) {
            return Report {
                update_status: Some("up-to-date".into()),
                target_sid: Some("KAold".into()),
                reported_sid: Some("KAold".into()),
                error_code: 0,
                date_targeted: None,
            };
        }
        if self.broken.contains(sid) {
            Report {
                update_status: Some("error".into()),
                target_sid: Some("KAnew".into()),
                reported_sid: Some("KAold".into()),
                error_code: 2,
                date_targeted: None,
            }
        } else {
            Report {
                update_status: Some("up-to-date".into()),
                target_sid: Some("KAnew".into()),
                reported_sid: Some("KAnew".into()),
                error_code: 0,
                date_targeted: None,
            }
        }
    }
}

/// What the checker remembers between steps.
struct Checker {
    retries: BTreeMap<String, u32>,
    /// When each phase's last device became final.
    completed_at: BTreeMap<u32, i64>,
    approved: BTreeSet<u32>,
    halted_until_a_person: bool,
}

fn in_flight(rollout: &Rollout) -> usize {
    rollout
        .devices
        .iter()
        .filter(|d| matches!(d.state, DeviceState::Sending | DeviceState::Checking))
        .count()
}

/// Checks the write actions of one step against the rules.
fn check_writes(
    rollout: &Rollout,
    actions: &[Action],
    now: i64,
    checker: &mut Checker,
) -> Result<(), TestCaseError> {
    prop_assert!(
        in_flight(rollout) <= rollout.plan.concurrency as usize,
        "{} writes in flight, bound {}",
        in_flight(rollout),
        rollout.plan.concurrency
    );
    for action in actions {
        let Action::Write { sid } = action else {
            continue;
        };
        let device = rollout.devices.iter().find(|d| &d.sid == sid).unwrap();
        prop_assert!(
            !checker.halted_until_a_person,
            "a write after the threshold halted it, before a person retried or resumed"
        );
        if let Some(window) = rollout.plan.window {
            prop_assert!(window.contains(now), "a write outside the window at {now}");
        }
        if let Some(start) = rollout.plan.start_at_ms {
            prop_assert!(now >= start, "a write before the start");
        }
        for earlier in rollout.devices.iter().filter(|d| d.phase < device.phase) {
            prop_assert!(
                earlier.state.is_final(),
                "phase {} written while phase {} has {:?}",
                device.phase,
                earlier.phase,
                earlier.state
            );
        }
        if device.phase > 0 && !checker.retries.contains_key(sid) {
            let previous = device.phase - 1;
            let spec = rollout.plan.spec(previous as usize);
            let done = checker.completed_at.get(&previous).copied();
            prop_assert!(
                done.is_some_and(|done| now >= done + spec.soak_ms),
                "phase {} started before phase {} soaked",
                device.phase,
                previous
            );
            if spec.approval {
                prop_assert!(checker.approved.contains(&device.phase), "no approval");
            }
        }
    }
    Ok(())
}

/// Notes when each phase became complete (before the writes of a step are checked: a phase
/// that completes in a step may let the next one start in that very step).
fn note_phases(rollout: &Rollout, now: i64, checker: &mut Checker) {
    for phase in 0..rollout.phase_count {
        let all_final = rollout
            .devices
            .iter()
            .filter(|d| d.phase == phase)
            .all(|d| d.state.is_final());
        if all_final {
            checker.completed_at.entry(phase).or_insert(now);
        } else {
            checker.completed_at.remove(&phase);
        }
    }
    if matches!(rollout.status, Status::Halted { .. }) {
        checker.halted_until_a_person = true;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rollouts_keep_every_rule_under_any_service(
        plan in plan(),
        devices in 1usize..40,
        broken in prop::collection::btree_set(0usize..40, 0..10),
        answers in prop::collection::vec(answer(), 200),
        events in prop::collection::vec(event(), 200),
    ) {
        let candidates: Vec<Candidate> = (0..devices)
            .map(|i| Candidate { sid: format!("UV{i:032}"), name: format!("d{i}"), report: None })
            .collect();
        let mut rollout = Rollout::new("r".into(), "r".into(), "KAnew".into(), plan, candidates, 0)
            .expect("a plan");
        let mut service = Service {
            targeted: BTreeSet::new(),
            landed: BTreeMap::new(),
            broken: broken.into_iter().map(|i| format!("UV{i:032}")).collect(),
        };
        let mut checker = Checker {
            retries: BTreeMap::new(),
            completed_at: BTreeMap::new(),
            approved: BTreeSet::new(),
            halted_until_a_person: false,
        };
        let mut now = 0;
        let mut answers = answers.into_iter().cycle();
        let mut pending: Vec<Action> = rollout.step(Input::Tick, now);
        note_phases(&rollout, now, &mut checker);
        check_writes(&rollout, &pending, now, &mut checker)?;
        for event in events.into_iter().chain(std::iter::repeat_n(Event::Wait(10 * MIN), 400)) {
            // The service answers what is outstanding.
            for action in std::mem::take(&mut pending) {
                let input = match action {
                    Action::Write { sid } => {
                        let answer = answers.next().unwrap();
                        let result = match answer {
                            Answer::Accepted => { service.land(&sid); WriteResult::Accepted }
                            Answer::Refused => WriteResult::Refused { retry_after_ms: MIN },
                            Answer::Rejected => WriteResult::Rejected { reason: "400".into() },
                            Answer::Unknown { landed } => {
                                if landed { service.land(&sid); }
                                WriteResult::Unknown { reason: "500".into() }
                            }
                        };
                        Input::Written { sid, result }
                    }
                    Action::Check { sid } => {
                        let report = service.report(&sid);
                        Input::Observed { sid, report }
                    }
                };
                let actions = rollout.step(input, now);
                note_phases(&rollout, now, &mut checker);
                check_writes(&rollout, &actions, now, &mut checker)?;
                pending.extend(actions);
            }
            // Polls of watched devices.
            let watched: Vec<String> = rollout.watching().map(|d| d.sid.clone()).collect();
            for sid in watched {
                let report = service.report(&sid);
                let actions = rollout.step(Input::Observed { sid, report }, now);
                note_phases(&rollout, now, &mut checker);
                check_writes(&rollout, &actions, now, &mut checker)?;
                pending.extend(actions);
            }
            let input = match event {
                Event::Wait(ms) => { now += ms; Input::Tick }
                Event::Control(control) => {
                    if control == Control::RetryFailed {
                        for device in rollout.devices.iter().filter(|d| d.state == DeviceState::Failed) {
                            *checker.retries.entry(device.sid.clone()).or_default() += 1;
                        }
                        checker.halted_until_a_person = false;
                    }
                    // Resuming a halted rollout accepts its failures: it may write again.
                    if control == Control::Resume && matches!(rollout.status, Status::Halted { .. }) {
                        checker.halted_until_a_person = false;
                    }
                    if control == Control::Approve && rollout.status == Status::WaitingApproval {
                        checker.approved.insert(rollout.phase + 1);
                    }
                    Input::Control(control)
                }
                Event::Restart => {
                    // Whatever was outstanding is lost with the driver.
                    pending.clear();
                    Input::Restarted
                }
            };
            let actions = rollout.step(input, now);
            note_phases(&rollout, now, &mut checker);
            check_writes(&rollout, &actions, now, &mut checker)?;
            pending.extend(actions);
        }
        // Every device ends in exactly one final state once the rollout is aborted and settled:
        // outstanding writes are answered, then checks and polls go on until nothing is open.
        let mut actions = std::mem::take(&mut pending);
        actions.extend(rollout.step(Input::Control(Control::Abort), now));
        for _ in 0..50 {
            now += 100 * MIN;
            for action in std::mem::take(&mut actions) {
                let input = match action {
                    Action::Write { sid } => {
                        service.land(&sid);
                        Input::Written { sid, result: WriteResult::Accepted }
                    }
                    Action::Check { sid } => {
                        let report = service.report(&sid);
                        Input::Observed { sid, report }
                    }
                };
                actions.extend(rollout.step(input, now));
            }
            let watched: Vec<String> = rollout.watching().map(|d| d.sid.clone()).collect();
            for sid in watched {
                let report = service.report(&sid);
                actions.extend(rollout.step(Input::Observed { sid, report }, now));
            }
            actions.extend(rollout.step(Input::Tick, now));
        }
        // Exactly once: no device was written twice except by an explicit retry.
        for (sid, landed) in &service.landed {
            let allowed = 1 + checker.retries.get(sid).copied().unwrap_or(0);
            prop_assert!(*landed <= allowed, "{sid} landed {landed} times, allowed {allowed}");
        }
        let counts = rollout.counts();
        prop_assert_eq!(counts.pending, 0, "{:?}", rollout.devices);
        prop_assert_eq!(counts.done + counts.failed + counts.skipped + counts.not_sent, devices);
    }
}
