//! The demo's rollout runner: the same engine as the server's, one turn at a time while the
//! tab is open (`drive`, every second).
//!
//! A turn runs to completion in one task: the browser cannot stop it halfway, so the emulator's
//! state and the rollouts' are saved together at its end, and a write is never repeated after
//! a reload. A rollout left with a write of unknown result is checked first, as after a crash.

use std::cell::RefCell;
use std::collections::{BTreeSet, VecDeque};

use console_protocol::ConsoleEvent;
use fleet_engine::rollout::planning;
use fleet_engine::rollout::{Action, Control, Input, Rollout, WriteResult};
use microvisor_api::DeviceUpdate;
use microvisor_api::url::encode_segment;

use super::stored::{ROLLOUTS_KEY, keep, load};
use super::wire::Method;
use super::{audit, emulator, events};
use crate::browser::web::{self, now_ms};

thread_local! {
    /// Controls asked for, applied at the next turn (as the server's runner does).
    static CONTROLS: RefCell<Vec<(String, Control)>> = const { RefCell::new(Vec::new()) };
    /// Rollouts this page has driven: one it has not met yet may have writes out from before.
    static MET: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

/// Queues a person's control for the next turn.
pub fn queue_control(id: &str, control: Control) {
    CONTROLS.with(|controls| controls.borrow_mut().push((id.to_owned(), control)));
}

/// A rollout this page made: it has no writes out from before.
pub fn met(id: &str) {
    MET.with(|met| met.borrow_mut().insert(id.to_owned()));
}

/// Forgets the queued controls and the rollouts met.
pub fn reset() {
    CONTROLS.with(|controls| controls.borrow_mut().clear());
    MET.with(|met| met.borrow_mut().clear());
}

/// One write of `rollout`, recorded in the demo's audit log as the server records it: the
/// device read first, so the entry says what it ran before.
fn write(rollout: &Rollout, sid: &str, update: &DeviceUpdate) -> WriteResult {
    let form = update.to_form();
    let path = format!("/v1/Devices/{}", encode_segment(sid));
    let before = audit::device_before(&path);
    let apps = audit_log::apps_mentioned(&before, None, form.as_bytes());
    let app_names = audit::app_names(apps);
    let started = now_ms();
    let answer = emulator::answer(
        &web::page_origin(),
        Method::Post,
        &path,
        Some(("application/x-www-form-urlencoded", &form)),
        None,
    );
    let at_ms = now_ms();
    audit::append(&audit_log::rollout_write(audit_log::RolloutWrite {
        at_ms,
        id: &rollout.id,
        name: &rollout.name,
        started_by: rollout.started_by.as_deref(),
        form: &form,
        path: &path,
        before,
        status: answer.status,
        answer: &answer.body,
        duration_ms: at_ms - started,
        app_names,
    }));
    planning::write_result(answer.status, answer.retry_after.as_deref(), &answer.body)
}

fn observe(sid: &str) -> Option<Input> {
    let answer = emulator::answer(
        &web::page_origin(),
        Method::Get,
        &format!("/v1/Devices/{}", encode_segment(sid)),
        None,
        None,
    );
    match planning::device_report(answer.status, &answer.body) {
        Ok(Some(report)) => Some(Input::Observed {
            sid: sid.to_owned(),
            report,
        }),
        Ok(None) => Some(Input::Unreadable {
            sid: sid.to_owned(),
            missing: true,
        }),
        Err(_) => None,
    }
}

/// One turn of every rollout that is still going: controls, reads of watched devices, time,
/// and the writes and checks they allow. Returns whether any rollout is still active.
pub fn drive() -> bool {
    let mut rollouts: Vec<Rollout> = load(ROLLOUTS_KEY);
    let controls = CONTROLS.with(|controls| std::mem::take(&mut *controls.borrow_mut()));
    let now = now_ms();
    let mut changed = false;
    let mut moved = Vec::new();
    for rollout in rollouts.iter_mut() {
        let mine: Vec<Control> = controls
            .iter()
            .filter(|(id, _)| *id == rollout.id)
            .map(|(_, control)| *control)
            .collect();
        if !rollout.status.is_active() && !rollout.has_writes_out() && mine.is_empty() {
            continue;
        }
        changed = true;
        let mut inputs = Vec::new();
        if MET.with(|met| met.borrow_mut().insert(rollout.id.clone())) {
            inputs.push(Input::Restarted);
        }
        inputs.extend(mine.into_iter().map(Input::Control));
        let watched: Vec<String> = rollout.watching().map(|d| d.sid.clone()).collect();
        inputs.extend(watched.iter().filter_map(|sid| observe(sid)));
        inputs.push(Input::Tick);
        let mut actions: VecDeque<Action> = VecDeque::new();
        for input in inputs {
            actions.extend(rollout.step(input, now));
        }
        // Ends: the engine writes a device once per turn at most, and checks only when told.
        while let Some(action) = actions.pop_front() {
            let input = match action {
                Action::Write { sid } => {
                    let update = rollout.change.update(&rollout.target_app);
                    let result = write(rollout, &sid, &update);
                    Some(Input::Written { sid, result })
                }
                Action::Check { sid } => observe(&sid),
            };
            if let Some(input) = input {
                actions.extend(rollout.step(input, now));
            }
        }
        // Each turn moves it (its time and chart at least), as each of the server's does.
        moved.push(ConsoleEvent::rollout_moved(rollout));
    }
    if changed {
        keep(ROLLOUTS_KEY, &rollouts);
    }
    // Told once kept, as the server's event follows its write.
    for event in &moved {
        events::publish(event);
    }
    rollouts.iter().any(|r| r.status.is_active())
}
