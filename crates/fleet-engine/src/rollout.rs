//! A staged rollout: one app deployed to a frozen set of devices, phase by phase, halting itself
//! when a phase fails too often, each device written exactly once unless a person asks for a
//! second try.
//!
//! The engine is a state machine with no I/O and no clock: `Rollout::step(input, now)` returns
//! the actions to take. Its driver (console-server, or the page in the static demo) records the
//! state after every step *before* acting on the actions, so that after a crash it can tell a
//! device whose write was asked for (and may have landed) from one never written: the first is
//! checked with a read, never written again blindly.
//!
//! Plan semantics:
//! - A phase's size is a count of devices it adds, or a percentage that the rollout reaches by
//!   its end (cumulative: "1, 10 %, 50 %, 100 %" is one canary, then up to a tenth, half, all).
//!   The last phase takes whatever is left.
//! - A device succeeds when it reports `up-to-date` with the target as its reported app, and
//!   fails on `error`, a non-zero `update_error_code`, a permanent refusal of its write (a 4xx
//!   other than 429), or no success within the per-device timeout.
//! - A phase whose failures cross the error threshold halts the rollout at once: nothing more is
//!   written until a person retries the failed devices or aborts.
//! - After a phase completes, the next waits out the soak time, then (if the plan says so) a
//!   person's approval.
//! - Outside the maintenance window no new device is written; devices already written are still
//!   watched. Nothing is written before the start time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One hour in milliseconds.
const HOUR_MS: i64 = 3_600_000;
/// A day in milliseconds.
const DAY_MS: i64 = 24 * HOUR_MS;
/// Samples of progress kept for the chart; older ones are thinned out.
const MAX_SAMPLES: usize = 400;

/// How big a phase is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Size {
    /// This many more devices.
    Count(u32),
    /// Through this percentage of the rollout's devices, counted from the start.
    Percent(u32),
}

/// When a phase has failed too often.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Threshold {
    /// More than this many failed devices in the phase.
    Count(u32),
    /// More than this percentage of the phase's devices failed.
    Percent(u32),
}

impl Threshold {
    /// True when `failed` of a phase of `size` devices crosses the threshold.
    pub fn crossed(self, failed: usize, size: usize) -> bool {
        match self {
            Threshold::Count(limit) => failed > limit as usize,
            Threshold::Percent(percent) => failed * 100 > percent as usize * size.max(1),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseSpec {
    pub size: Size,
    /// Milliseconds to wait after the phase completes before the next may start.
    #[serde(default)]
    pub soak_ms: i64,
    /// The next phase waits for a person's approval.
    #[serde(default)]
    pub approval: bool,
}

/// A daily maintenance window in UTC hours, `[start, end)`; it may wrap past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start_hour: u8,
    pub end_hour: u8,
}

impl Window {
    pub fn contains(self, now_ms: i64) -> bool {
        let hour = (now_ms.rem_euclid(DAY_MS) / HOUR_MS) as u8;
        let (start, end) = (self.start_hour % 24, self.end_hour % 24);
        match start.cmp(&end) {
            std::cmp::Ordering::Less => (start..end).contains(&hour),
            std::cmp::Ordering::Greater => hour >= start || hour < end,
            std::cmp::Ordering::Equal => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub phases: Vec<PhaseSpec>,
    #[serde(default = "default_threshold")]
    pub error_threshold: Threshold,
    /// Writes in flight at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    /// A device not up to date this long after its write has failed.
    #[serde(default = "default_device_timeout")]
    pub device_timeout_ms: i64,
    /// Nothing is written before this time (Unix milliseconds).
    #[serde(default)]
    pub start_at_ms: Option<i64>,
    #[serde(default)]
    pub window: Option<Window>,
}

fn default_threshold() -> Threshold {
    Threshold::Percent(10)
}

fn default_concurrency() -> u32 {
    4
}

fn default_device_timeout() -> i64 {
    30 * 60 * 1000
}

impl Plan {
    /// "1 canary, 10 %, 50 %, 100 %", each phase soaking `soak_ms`.
    pub fn canary(soak_ms: i64) -> Plan {
        let phase = |size| PhaseSpec {
            size,
            soak_ms,
            approval: false,
        };
        Plan {
            phases: vec![
                phase(Size::Count(1)),
                phase(Size::Percent(10)),
                phase(Size::Percent(50)),
                phase(Size::Percent(100)),
            ],
            ..Plan::default()
        }
    }

    /// Batches of `n` devices until all are done.
    pub fn batches(n: u32, soak_ms: i64) -> Plan {
        Plan {
            phases: vec![PhaseSpec {
                size: Size::Count(n.max(1)),
                soak_ms,
                approval: false,
            }],
            ..Plan::default()
        }
    }

    /// How many devices each phase takes, for `total` devices. A count repeats as batches
    /// when it is the only phase; the last phase takes the rest.
    pub fn phase_sizes(&self, total: usize) -> Vec<usize> {
        let mut sizes = Vec::new();
        let mut taken = 0usize;
        let specs = if self.phases.is_empty() {
            vec![PhaseSpec {
                size: Size::Percent(100),
                soak_ms: 0,
                approval: false,
            }]
        } else {
            self.phases.clone()
        };
        let batches = matches!(
            specs.as_slice(),
            [PhaseSpec {
                size: Size::Count(_),
                ..
            }]
        );
        let mut index = 0;
        while taken < total {
            let spec = specs[index.min(specs.len() - 1)];
            let last = index + 1 >= specs.len() && !batches;
            let size = if last {
                total - taken
            } else {
                match spec.size {
                    Size::Count(n) => (n as usize).max(1).min(total - taken),
                    Size::Percent(p) => {
                        let through = (total * p.min(100) as usize).div_ceil(100);
                        through.saturating_sub(taken).max(1).min(total - taken)
                    }
                }
            };
            sizes.push(size);
            taken += size;
            index += 1;
        }
        sizes
    }

    /// The spec that governs phase `index` (batches repeat the one spec).
    fn spec(&self, index: usize) -> PhaseSpec {
        self.phases
            .get(index)
            .or(self.phases.last())
            .copied()
            .unwrap_or(PhaseSpec {
                size: Size::Percent(100),
                soak_ms: 0,
                approval: false,
            })
    }
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            phases: Vec::new(),
            error_threshold: default_threshold(),
            concurrency: default_concurrency(),
            device_timeout_ms: default_device_timeout(),
            start_at_ms: None,
            window: None,
        }
    }
}

/// Where one device is in the rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Not written yet.
    Waiting,
    /// Already on the target when the rollout was planned: never written.
    Skipped,
    /// Its write was asked for and may have landed; the result is not known yet.
    Sending,
    /// A write that may have landed has an unknown result (an error, a timeout, a restart):
    /// read the device before anything else.
    Checking,
    /// Its write was taken; waiting for the device to report.
    Watching,
    Succeeded,
    Failed,
    /// The rollout was aborted before it was written.
    NotSent,
}

impl DeviceState {
    /// A state the device stays in unless a person retries it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DeviceState::Skipped
                | DeviceState::Succeeded
                | DeviceState::Failed
                | DeviceState::NotSent
        )
    }

    /// Its write may be with the service: in flight, unknown, or taken.
    fn written(self) -> bool {
        matches!(
            self,
            DeviceState::Sending | DeviceState::Checking | DeviceState::Watching
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutDevice {
    pub sid: String,
    /// The name to show (unique name, or SID).
    pub name: String,
    pub phase: u32,
    pub state: DeviceState,
    /// Writes asked for: 1, or more after an explicit retry.
    pub attempts: u32,
    /// When its latest write was asked for.
    pub sent_ms: Option<i64>,
    /// Not to be written again before this (the service asked to wait).
    #[serde(default)]
    pub not_before_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub reason: Option<String>,
    /// When the device already targeted the rollout's app before it was written: its
    /// `date_targeted` then. Its target alone cannot show that a write landed; only a newer
    /// date can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targeted_before: Option<String>,
}

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

/// What the service said of a write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum WriteResult {
    /// Taken (2xx).
    Accepted,
    /// Not taken (429 or 503): try again after a wait.
    Refused { retry_after_ms: i64 },
    /// Refused for good (a 4xx other than 429): the device fails, with the reason.
    Rejected { reason: String },
    /// Unknown: a 5xx, a dropped connection or a timeout. It may have landed.
    Unknown { reason: String },
}

/// What a device reports, as read from the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub update_status: Option<String>,
    pub target_sid: Option<String>,
    pub reported_sid: Option<String>,
    pub error_code: i64,
    /// When the device was last given a target app (a write moves it).
    #[serde(default)]
    pub date_targeted: Option<String>,
}

impl Report {
    pub fn of(device: &microvisor_api::Device) -> Report {
        let app = device.app.clone().unwrap_or_default();
        Report {
            update_status: app.update_status.map(|s| s.as_wire().to_owned()),
            target_sid: app.target_sid,
            reported_sid: app.reported_sid,
            error_code: app.update_error_code.unwrap_or(0),
            date_targeted: app.date_targeted,
        }
    }

    /// Up to date on `target`.
    pub fn on(&self, target: &str) -> bool {
        self.update_status.as_deref() == Some("up-to-date")
            && self.reported_sid.as_deref() == Some(target)
    }
}

/// A person's control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    Pause,
    Resume,
    Abort,
    /// Start the phase that waits for approval.
    Approve,
    /// A second attempt for every failed device (recorded as such).
    RetryFailed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    /// Time passed.
    Tick,
    /// A write's outcome.
    Written {
        sid: String,
        result: WriteResult,
    },
    /// A device as last read, from a poll or a check.
    Observed {
        sid: String,
        report: Report,
    },
    /// A read of a device failed: `missing` when it no longer exists.
    Unreadable {
        sid: String,
        missing: bool,
    },
    Control(Control),
    /// The driver restarted: writes it had asked for have unknown results.
    Restarted,
}

/// What the driver should do next. Its state already says so: record it before doing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Send the write (`TargetApp` = the rollout's target) for this device.
    Write { sid: String },
    /// Read this device: its write's result is unknown.
    Check { sid: String },
}

/// Why a rollout cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    NoDevices,
    NoTarget,
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PlanError::NoDevices => "The rollout has no devices.",
            PlanError::NoTarget => "The rollout needs a target app.",
        })
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
}

/// A device as the plan starts from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub sid: String,
    pub name: String,
    /// What it reported when the rollout was planned, if read.
    pub report: Option<Report>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollout {
    pub id: String,
    pub name: String,
    pub target_app: String,
    pub plan: Plan,
    pub devices: Vec<RolloutDevice>,
    /// The phase being worked on (or last worked on).
    pub phase: u32,
    pub phase_count: u32,
    pub status: Status,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub samples: Vec<Sample>,
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
        if candidates.is_empty() {
            return Err(PlanError::NoDevices);
        }
        let (skipped, to_write): (Vec<Candidate>, Vec<Candidate>) = candidates
            .into_iter()
            .partition(|c| c.report.as_ref().is_some_and(|r| r.on(&target_app)));
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
            plan,
            devices,
            phase: 0,
            phase_count: sizes.len().max(1) as u32,
            status,
            created_ms: now,
            updated_ms: now,
            samples: Vec::new(),
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
                for device in &mut self.devices {
                    if device.state == DeviceState::Sending {
                        device.state = DeviceState::Checking;
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
        let Some(device) = self.device_mut(sid) else {
            return;
        };
        if device.state != DeviceState::Sending {
            return;
        }
        match result {
            WriteResult::Accepted => device.state = DeviceState::Watching,
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
            WriteResult::Unknown { reason } => {
                device.state = DeviceState::Checking;
                device.reason = Some(reason);
            }
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
            Control::Resume => self.status == Status::Paused,
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
                self.phase += 1;
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
            self.phase += 1;
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
        if self.plan.error_threshold.crossed(counts.failed, size) {
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
        };
        if self.samples.last().is_some_and(|last| {
            (last.done, last.pending, last.failed) == (sample.done, sample.pending, sample.failed)
        }) {
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

impl RolloutDevice {
    /// Its write was not taken (refused, or never landed): back in line, not counted as an
    /// attempt; or, in an aborted rollout, not sent at all.
    fn requeue(&mut self, aborted: bool, now: i64) {
        self.attempts = self.attempts.saturating_sub(1);
        if aborted {
            self.state = DeviceState::NotSent;
            self.finished_ms = Some(now);
        } else {
            self.state = DeviceState::Waiting;
        }
    }

    fn new(candidate: Candidate, phase: u32, state: DeviceState, target: &str) -> RolloutDevice {
        let targeted_before = candidate
            .report
            .as_ref()
            .filter(|report| report.target_sid.as_deref() == Some(target))
            .map(|report| report.date_targeted.clone().unwrap_or_default());
        RolloutDevice {
            sid: candidate.sid,
            name: candidate.name,
            phase,
            state,
            attempts: 0,
            sent_ms: None,
            not_before_ms: None,
            finished_ms: None,
            reason: None,
            targeted_before,
        }
    }
}

#[cfg(test)]
mod tests;
