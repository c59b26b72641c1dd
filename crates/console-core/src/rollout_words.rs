//! How the console words rollouts: each state of a rollout and of a device, which devices an
//! outcome filter keeps, and the progress chart's lines.

use fleet_engine::rollout::{DeviceState, RolloutDevice, Sample, Status};

/// The rollout's state in words.
pub fn status_text(status: &Status, now_ms: i64) -> String {
    match status {
        Status::Scheduled => "Scheduled".to_owned(),
        Status::Running => "Running".to_owned(),
        Status::Soaking { until_ms } => {
            let seconds = ((until_ms - now_ms).max(0) + 999) / 1000;
            format!("Soaking ({seconds} s left)")
        }
        Status::WaitingApproval => "Waiting for approval".to_owned(),
        Status::Paused => "Paused".to_owned(),
        Status::Halted { .. } => "Halted".to_owned(),
        Status::Aborted => "Aborted".to_owned(),
        Status::Completed => "Completed".to_owned(),
    }
}

/// A short word for a status, for CSS classes and tests.
pub fn status_word(status: &Status) -> &'static str {
    match status {
        Status::Scheduled => "scheduled",
        Status::Running => "running",
        Status::Soaking { .. } => "soaking",
        Status::WaitingApproval => "waiting-approval",
        Status::Paused => "paused",
        Status::Halted { .. } => "halted",
        Status::Aborted => "aborted",
        Status::Completed => "completed",
    }
}

/// A device state's word as the API spells it (`not_sent`), for data attributes.
pub fn device_state_word(state: DeviceState) -> &'static str {
    match state {
        DeviceState::Waiting => "waiting",
        DeviceState::Skipped => "skipped",
        DeviceState::Sending => "sending",
        DeviceState::Checking => "checking",
        DeviceState::Watching => "watching",
        DeviceState::Succeeded => "succeeded",
        DeviceState::Failed => "failed",
        DeviceState::NotSent => "not_sent",
    }
}

pub fn device_state_text(state: DeviceState) -> &'static str {
    match state {
        DeviceState::Waiting => "waiting",
        DeviceState::Skipped => "skipped (already on target)",
        DeviceState::Sending => "sending",
        DeviceState::Checking => "checking",
        DeviceState::Watching => "updating",
        DeviceState::Succeeded => "succeeded",
        DeviceState::Failed => "failed",
        DeviceState::NotSent => "not sent",
    }
}

/// The outcomes the per-device table can be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    All,
    Succeeded,
    Pending,
    Failed,
    Skipped,
    NotSent,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::All,
        Outcome::Succeeded,
        Outcome::Pending,
        Outcome::Failed,
        Outcome::Skipped,
        Outcome::NotSent,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Outcome::All => "all",
            Outcome::Succeeded => "succeeded",
            Outcome::Pending => "pending",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::NotSent => "not-sent",
        }
    }

    pub fn parse(word: &str) -> Outcome {
        Outcome::ALL
            .into_iter()
            .find(|o| o.word() == word)
            .unwrap_or(Outcome::All)
    }

    pub fn keeps(self, device: &RolloutDevice) -> bool {
        match self {
            Outcome::All => true,
            Outcome::Succeeded => device.state == DeviceState::Succeeded,
            Outcome::Failed => device.state == DeviceState::Failed,
            Outcome::Skipped => device.state == DeviceState::Skipped,
            Outcome::NotSent => device.state == DeviceState::NotSent,
            Outcome::Pending => !device.state.is_final(),
        }
    }
}

/// The chart's three lines as SVG `points`, in a `width` × `height` box (y grows down).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChartLines {
    pub done: String,
    pub pending: String,
    pub failed: String,
    /// The largest count drawn (the top of the box).
    pub max: usize,
}

pub fn chart_lines(samples: &[Sample], width: u32, height: u32) -> ChartLines {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return ChartLines::default();
    };
    let span = (last.at_ms - first.at_ms).max(1) as f64;
    let max = samples
        .iter()
        .map(|s| s.done.max(s.pending).max(s.failed))
        .max()
        .unwrap_or(0)
        .max(1);
    let point = |sample: &Sample, value: usize| {
        let x = if samples.len() == 1 {
            0.0
        } else {
            (sample.at_ms - first.at_ms) as f64 / span * f64::from(width)
        };
        let y = f64::from(height) - value as f64 / max as f64 * f64::from(height);
        format!("{x:.1},{y:.1}")
    };
    let line = |value: fn(&Sample) -> usize| {
        samples
            .iter()
            .map(|s| point(s, value(s)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    ChartLines {
        done: line(|s| s.done),
        pending: line(|s| s.pending),
        failed: line(|s| s.failed),
        max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn words_for_states() {
        assert_eq!(
            status_text(&Status::Soaking { until_ms: 10_500 }, 1_000),
            "Soaking (10 s left)"
        );
        assert_eq!(status_word(&Status::WaitingApproval), "waiting-approval");
        assert_eq!(
            device_state_text(DeviceState::Skipped),
            "skipped (already on target)"
        );
        assert_eq!(Outcome::parse("not-sent"), Outcome::NotSent);
        assert_eq!(Outcome::parse("nonsense"), Outcome::All);
    }

    #[test]
    fn chart_lines_fill_the_box() {
        let samples = [
            Sample {
                at_ms: 0,
                done: 0,
                pending: 10,
                failed: 0,
            },
            Sample {
                at_ms: 500,
                done: 5,
                pending: 5,
                failed: 0,
            },
            Sample {
                at_ms: 1_000,
                done: 9,
                pending: 0,
                failed: 1,
            },
        ];
        let lines = chart_lines(&samples, 100, 50);
        assert_eq!(lines.max, 10);
        assert_eq!(lines.done, "0.0,50.0 50.0,25.0 100.0,5.0");
        assert_eq!(lines.pending, "0.0,0.0 50.0,25.0 100.0,50.0");
        assert_eq!(lines.failed, "0.0,50.0 50.0,50.0 100.0,45.0");
        assert_eq!(chart_lines(&[], 100, 50), ChartLines::default());
    }
}
