//! One device in a rollout: where it is, and how it moves back in line.

use serde::{Deserialize, Serialize};

use super::plan::Candidate;

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
    pub(super) fn written(self) -> bool {
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

impl RolloutDevice {
    /// Its write was not taken (refused, or never landed): back in line, not counted as an
    /// attempt; or, in an aborted rollout, not sent at all.
    pub(super) fn requeue(&mut self, aborted: bool, now: i64) {
        self.attempts = self.attempts.saturating_sub(1);
        if aborted {
            self.state = DeviceState::NotSent;
            self.finished_ms = Some(now);
        } else {
            self.state = DeviceState::Waiting;
        }
    }

    /// An action's write whose result is unknown: no read can tell whether it landed (a
    /// restart leaves no trace), so it fails, never sent again unless a person retries it.
    pub(super) fn unknowable(&mut self, why: &str, now: i64) {
        self.state = DeviceState::Failed;
        self.reason = Some(format!("{why}: it may have landed and was not sent again"));
        self.finished_ms = Some(now);
    }

    pub(super) fn new(
        candidate: Candidate,
        phase: u32,
        state: DeviceState,
        target: &str,
    ) -> RolloutDevice {
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
