//! The state machine: a rollout's state, and `Rollout::step(input, now)`, which returns the
//! actions to take.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::change::Change;
use super::device::{DeviceState, RolloutDevice};
use super::messages::{Action, Control, Input, Report, WriteResult};
use super::plan::{Candidate, Plan, PlanError};

/// Samples of progress kept for the chart; older ones are thinned out.
const MAX_SAMPLES: usize = 400;

/// Where the whole rollout is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Status {
    /// Waiting for its start time.
    Scheduled,
    Running,
    /// A phase is done; the next waits until `until_ms`.
    Soaking {
        until_ms: i64,
    },
    /// The next phase waits for a person.
    WaitingApproval,
    /// A person paused it: nothing new is written.
    Paused,
    /// A phase crossed its error threshold: nothing new is written.
    Halted {
        reason: String,
    },
    Aborted,
    Completed,
}

impl Status {
    /// The rollout may still write devices (now or later).
    pub fn is_active(&self) -> bool {
        !matches!(self, Status::Aborted | Status::Completed)
    }
}

/// Counts of devices by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub done: usize,
    pub pending: usize,
    pub failed: usize,
    pub skipped: usize,
    pub not_sent: usize,
}

/// One point of the progress chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub at_ms: i64,
    pub done: usize,
    pub pending: usize,
    pub failed: usize,
    /// The phase being worked on then (0 in samples saved before it was kept).
    #[serde(default)]
    pub phase: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollout {
    pub id: String,
    pub name: String,
    /// Empty when `change` is not a target app.
    pub target_app: String,
    /// What each device is written; absent (a target app) in rollouts saved before there were
    /// others.
    #[serde(default, skip_serializing_if = "Change::is_target_app")]
    pub change: Change,
    pub plan: Plan,
    pub devices: Vec<RolloutDevice>,
    /// The phase being worked on (or last worked on).
    pub phase: u32,
    pub phase_count: u32,
    pub status: Status,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub samples: Vec<Sample>,
    /// Failures of the current phase a person accepted by resuming it when it halted: the
    /// threshold counts only failures beyond them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub accepted_failures: usize,
    /// Who started it, as `name (role)`; the audit log names them beside its writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Rollout {
    /// Plans a rollout of `target_app` to `candidates`, in their order. Devices already on the
    /// target are skipped and never written; the rest are split into phases.
    pub fn new(
        id: String,
        name: String,
        target_app: String,
        plan: Plan,
        candidates: Vec<Candidate>,
        now: i64,
    ) -> Result<Rollout, PlanError> {
        if target_app.trim().is_empty() {
            return Err(PlanError::NoTarget);
        }
        Rollout::build(
            id,
            name,
            (Change::TargetApp, target_app),
            plan,
            candidates,
            now,
        )
    }

    /// Plans a bulk action (`change`, not a target app) on every one of `candidates`: none is
    /// skipped, and a device is done when its write is taken.
    pub fn of_change(
        id: String,
        name: String,
        change: Change,
        plan: Plan,
        candidates: Vec<Candidate>,
        now: i64,
    ) -> Result<Rollout, PlanError> {
        if change.is_target_app() {
            return Err(PlanError::NoTarget);
        }
        Rollout::build(id, name, (change, String::new()), plan, candidates, now)
    }

    fn build(
        id: String,
        name: String,
        (change, target_app): (Change, String),
        plan: Plan,
        candidates: Vec<Candidate>,
        now: i64,
    ) -> Result<Rollout, PlanError> {
        if candidates.is_empty() {
            return Err(PlanError::NoDevices);
        }
        let (skipped, to_write): (Vec<Candidate>, Vec<Candidate>) =
            candidates.into_iter().partition(|c| {
                change.is_target_app() && c.report.as_ref().is_some_and(|r| r.on(&target_app))
            });
        let sizes = plan.phase_sizes(to_write.len());
        let mut devices = Vec::with_capacity(skipped.len() + to_write.len());
        let mut remaining = to_write.into_iter();
        for (phase, size) in sizes.iter().enumerate() {
            for candidate in remaining.by_ref().take(*size) {
                devices.push(RolloutDevice::new(
                    candidate,
                    phase as u32,
                    DeviceState::Waiting,
                    &target_app,
                ));
            }
        }
        for candidate in skipped {
            let mut device = RolloutDevice::new(candidate, 0, DeviceState::Skipped, &target_app);
            device.reason = Some("already on target".to_owned());
            device.finished_ms = Some(now);
            devices.push(device);
        }
        let status = match plan.start_at_ms {
            Some(start) if start > now => Status::Scheduled,
            _ => Status::Running,
        };
        let mut rollout = Rollout {
            id,
            name,
            target_app,
            change,
            plan,
            devices,
            phase: 0,
            phase_count: sizes.len().max(1) as u32,
            status,
            created_ms: now,
            updated_ms: now,
            samples: Vec::new(),
            accepted_failures: 0,
            started_by: None,
        };
        rollout.sample(now);
        Ok(rollout)
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for device in &self.devices {
            match device.state {
                DeviceState::Succeeded => counts.done += 1,
                DeviceState::Failed => counts.failed += 1,
                DeviceState::Skipped => counts.skipped += 1,
                DeviceState::NotSent => counts.not_sent += 1,
                _ => counts.pending += 1,
            }
        }
        counts
    }

    /// Counts of one phase's devices.
    pub fn phase_counts(&self, phase: u32) -> Counts {
        let mut counts = Counts::default();
        for device in self.devices.iter().filter(|d| d.phase == phase) {
            match device.state {
                DeviceState::Succeeded => counts.done += 1,
                DeviceState::Failed => counts.failed += 1,
                DeviceState::Skipped => {}
                DeviceState::NotSent => counts.not_sent += 1,
                _ => counts.pending += 1,
            }
        }
        counts
    }

    /// Devices whose write was taken and that are waiting to report.
    pub fn watching(&self) -> impl Iterator<Item = &RolloutDevice> {
        self.devices
            .iter()
            .filter(|d| d.state == DeviceState::Watching)
    }

    fn device_mut(&mut self, sid: &str) -> Option<&mut RolloutDevice> {
        self.devices.iter_mut().find(|d| d.sid == sid)
    }

    /// Takes one input at `now` and returns what to do next.
    pub fn step(&mut self, input: Input, now: i64) -> Vec<Action> {
        let mut actions = Vec::new();
        match input {
            Input::Tick => {}
            Input::Written { sid, result } => self.written(&sid, result, now),
            Input::Observed { sid, report } => self.observed(&sid, &report, now),
            Input::Unreadable { sid, missing } => {
                if missing
                    && let Some(device) = self.device_mut(&sid)
                    && !device.state.is_final()
                {
                    device.state = DeviceState::Failed;
                    device.reason = Some("the device no longer exists".to_owned());
                    device.finished_ms = Some(now);
                }
            }
            Input::Control(control) => self.control(control, now),
            Input::Restarted => {
                let watches = self.change.is_target_app();
                for device in &mut self.devices {
                    if device.state == DeviceState::Sending {
                        if watches {
                            device.state = DeviceState::Checking;
                        } else {
                            device.unknowable("the server restarted while it was sent", now);
                        }
                    }
                }
            }
        }
        self.time_out(now);
        self.advance(now, &mut actions);
        // Reads first: a device being checked must be checked again until it is known.
        for device in &self.devices {
            if device.state == DeviceState::Checking {
                actions.insert(
                    0,
                    Action::Check {
                        sid: device.sid.clone(),
                    },
                );
            }
        }
        self.updated_ms = now;
        self.sample(now);
        actions
    }

    fn written(&mut self, sid: &str, result: WriteResult, now: i64) {
        let aborted = self.status == Status::Aborted;
        let watches = self.change.is_target_app();
        let Some(device) = self.device_mut(sid) else {
            return;
        };
        if device.state != DeviceState::Sending {
            return;
        }
        match result {
            // A target app is watched until reported; an action is done once taken.
            WriteResult::Accepted if watches => device.state = DeviceState::Watching,
            WriteResult::Accepted => {
                device.state = DeviceState::Succeeded;
                device.reason = None;
                device.finished_ms = Some(now);
            }
            WriteResult::Refused { retry_after_ms } => {
                // Not taken: it goes back in line, not counted as an attempt.
                device.requeue(aborted, now);
                device.not_before_ms = Some(now + retry_after_ms.max(0));
            }
            WriteResult::Rejected { reason } => {
                device.state = DeviceState::Failed;
                device.reason = Some(reason);
                device.finished_ms = Some(now);
            }
            WriteResult::Unknown { reason } if watches => {
                device.state = DeviceState::Checking;
                device.reason = Some(reason);
            }
            WriteResult::Unknown { reason } => device.unknowable(&reason, now),
        }
    }

    fn observed(&mut self, sid: &str, report: &Report, now: i64) {
        let target = self.target_app.clone();
        let aborted = self.status == Status::Aborted;
        let Some(device) = self.device_mut(sid) else {
            return;
        };
        match device.state {
            // Its write's result was unknown: a device that now targets the app took it;
            // one that does not, never saw it, and may be written (this is not a second write).
            DeviceState::Checking => {
                // The write landed when the device targets the app and, if it did so before
                // the write, was given a target since.
                let landed = report.target_sid.as_deref() == Some(target.as_str())
                    && device.targeted_before.as_deref().is_none_or(|before| {
                        report
                            .date_targeted
                            .as_deref()
                            .is_some_and(|date| date != before)
                    });
                if landed {
                    device.state = DeviceState::Watching;
                    device.reason = None;
                } else {
                    device.requeue(aborted, now);
                    device.reason = None;
                }
                // Fall through to judge the report below only when now watching.
                if device.state != DeviceState::Watching {
                    return;
                }
            }
            DeviceState::Watching => {}
            _ => return,
        }
        if report.target_sid.as_deref() != Some(target.as_str()) {
            // Retargeted by someone else since: the rollout's write was overridden.
            device.state = DeviceState::Failed;
            device.reason = Some(format!(
                "retargeted elsewhere ({})",
                report.target_sid.as_deref().unwrap_or("no target")
            ));
            device.finished_ms = Some(now);
        } else if report.on(&target) {
            device.state = DeviceState::Succeeded;
            device.reason = None;
            device.finished_ms = Some(now);
        } else if report.update_status.as_deref() == Some("error") || report.error_code != 0 {
            device.state = DeviceState::Failed;
            device.reason = Some(format!("update error code {}", report.error_code));
            device.finished_ms = Some(now);
        }
    }

    /// Whether `control` does anything now; the console offers only these.
    pub fn accepts(&self, control: Control) -> bool {
        match control {
            Control::Pause => matches!(
                self.status,
                Status::Running | Status::Soaking { .. } | Status::Scheduled
            ),
            Control::Resume => matches!(self.status, Status::Paused | Status::Halted { .. }),
            Control::Abort => self.status.is_active(),
            Control::Approve => self.status == Status::WaitingApproval,
            Control::RetryFailed => {
                (self.status.is_active() || self.status == Status::Completed)
                    && self.devices.iter().any(|d| d.state == DeviceState::Failed)
            }
        }
    }

    fn control(&mut self, control: Control, now: i64) {
        if !self.accepts(control) {
            return;
        }
        match control {
            Control::Pause => self.status = Status::Paused,
            Control::Resume => {
                if matches!(self.status, Status::Halted { .. }) {
                    self.accepted_failures = self.phase_counts(self.phase).failed;
                }
                self.status = match self.plan.start_at_ms {
                    Some(start) if start > now => Status::Scheduled,
                    _ => Status::Running,
                };
            }
            Control::Abort => {
                for device in &mut self.devices {
                    if device.state == DeviceState::Waiting {
                        device.state = DeviceState::NotSent;
                        device.finished_ms = Some(now);
                    }
                }
                self.status = Status::Aborted;
            }
            Control::Approve => {
                self.next_phase();
                self.status = Status::Running;
            }
            Control::RetryFailed => {
                for device in &mut self.devices {
                    if device.state == DeviceState::Failed {
                        device.state = DeviceState::Waiting;
                        device.reason = Some(format!("retry {}", device.attempts + 1));
                        device.finished_ms = None;
                        device.not_before_ms = None;
                    }
                }
                // The earliest phase with a device to retry is worked again.
                if let Some(phase) = self
                    .devices
                    .iter()
                    .filter(|d| d.state == DeviceState::Waiting)
                    .map(|d| d.phase)
                    .min()
                {
                    self.phase = self.phase.min(phase);
                }
                self.status = Status::Running;
            }
        }
    }

    fn time_out(&mut self, now: i64) {
        let timeout = self.plan.device_timeout_ms;
        for device in &mut self.devices {
            if device.state == DeviceState::Watching
                && device.sent_ms.is_some_and(|sent| now - sent > timeout)
            {
                device.state = DeviceState::Failed;
                device.reason = Some("not up to date within the timeout".to_owned());
                device.finished_ms = Some(now);
            }
        }
    }

    /// Moves phases along, halts on the threshold, and chooses the writes to make now.
    fn next_phase(&mut self) {
        self.phase += 1;
        self.accepted_failures = 0;
    }

    fn advance(&mut self, now: i64, actions: &mut Vec<Action>) {
        if self.status == Status::Scheduled {
            match self.plan.start_at_ms {
                Some(start) if start > now => return,
                _ => self.status = Status::Running,
            }
        }
        if let Status::Soaking { until_ms } = self.status {
            if now < until_ms {
                return;
            }
            if self.plan.spec(self.phase as usize).approval {
                self.status = Status::WaitingApproval;
                return;
            }
            self.next_phase();
            self.status = Status::Running;
        }
        if self.status != Status::Running {
            return;
        }
        // The threshold is checked before anything new is written.
        let counts = self.phase_counts(self.phase);
        let size = self
            .devices
            .iter()
            .filter(|d| d.phase == self.phase && d.state != DeviceState::Skipped)
            .count();
        let failed = counts.failed.saturating_sub(self.accepted_failures);
        if self.plan.error_threshold.crossed(failed, size) {
            self.status = Status::Halted {
                reason: format!(
                    "Phase {} of {}: {} of {} devices failed, over the error threshold.",
                    self.phase + 1,
                    self.phase_count,
                    counts.failed,
                    size
                ),
            };
            return;
        }
        if counts.pending == 0 {
            // The phase is complete.
            if self.phase + 1 >= self.phase_count {
                if self.devices.iter().all(|d| d.state.is_final()) {
                    self.status = Status::Completed;
                }
                return;
            }
            let soak = self.plan.spec(self.phase as usize).soak_ms;
            self.status = Status::Soaking {
                until_ms: now + soak.max(0),
            };
            if soak <= 0 {
                self.advance(now, actions);
            }
            return;
        }
        if self.plan.window.is_some_and(|window| !window.contains(now)) {
            return;
        }
        let in_flight = self
            .devices
            .iter()
            .filter(|d| matches!(d.state, DeviceState::Sending | DeviceState::Checking))
            .count();
        let free = (self.plan.concurrency.max(1) as usize).saturating_sub(in_flight);
        let phase = self.phase;
        for device in self
            .devices
            .iter_mut()
            .filter(|d| {
                d.phase == phase
                    && d.state == DeviceState::Waiting
                    && d.not_before_ms.is_none_or(|t| t <= now)
            })
            .take(free)
        {
            device.state = DeviceState::Sending;
            device.attempts += 1;
            device.sent_ms = Some(now);
            device.not_before_ms = None;
            actions.push(Action::Write {
                sid: device.sid.clone(),
            });
        }
    }

    fn sample(&mut self, now: i64) {
        let counts = self.counts();
        let sample = Sample {
            at_ms: now,
            done: counts.done,
            pending: counts.pending,
            failed: counts.failed,
            phase: self.phase,
        };
        // A new phase is a sample of its own: the chart marks where each began.
        let key = |s: &Sample| (s.done, s.pending, s.failed, s.phase);
        if self
            .samples
            .last()
            .is_some_and(|last| key(last) == key(&sample))
        {
            return;
        }
        self.samples.push(sample);
        if self.samples.len() > MAX_SAMPLES {
            // Keep the first and last, every other one between.
            let last = self.samples.len() - 1;
            let mut index = 0;
            self.samples.retain(|_| {
                let keep = index == 0 || index == last || index % 2 == 0;
                index += 1;
                keep
            });
        }
    }

    /// Devices of each phase, for a preview.
    pub fn phases(&self) -> BTreeMap<u32, Vec<&RolloutDevice>> {
        let mut phases: BTreeMap<u32, Vec<&RolloutDevice>> = BTreeMap::new();
        for device in self
            .devices
            .iter()
            .filter(|d| d.state != DeviceState::Skipped)
        {
            phases.entry(device.phase).or_default().push(device);
        }
        phases
    }

    /// Whether any write of this rollout may be with the service now.
    pub fn has_writes_out(&self) -> bool {
        self.devices.iter().any(|d| d.state.written())
    }
}
