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
//!
//! A rollout may instead carry a bulk action (`Change`: logging on or off, a restart) run on
//! the server over a query: the same phases, controls and audit, a device done when its write
//! is taken, and a write whose result is unknown failed rather than repeated (no read shows
//! whether a restart landed).
//!
//! One file per part: `change` (what each device is written), `plan` (what is asked), `device` (one device's state), `messages` (what
//! the engine hears and asks for), `machine` (the state and its step), and `planning` (a plan
//! from the fleet as the API lists it).

mod change;
mod device;
mod machine;
mod messages;
mod plan;
pub mod planning;

pub use change::Change;
pub use device::{DeviceState, RolloutDevice};
pub use machine::{Counts, Rollout, Sample, Status};
pub use messages::{Action, Control, Input, Report, WriteResult};
pub use plan::{Candidate, PhaseSpec, Plan, PlanError, Size, Threshold, Window};

#[cfg(test)]
mod tests;
