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

/// The per-device table's sortable columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceColumn {
    /// Written order: the plan's.
    Planned,
    Name,
    Phase,
    Outcome,
}

/// The rollout's devices the table shows: of `phase` (all when None) with `outcome`, sorted
/// by `column` (ties in planned order), descending when `desc`.
pub fn shown_devices(
    devices: &[RolloutDevice],
    outcome: Outcome,
    phase: Option<u32>,
    column: DeviceColumn,
    desc: bool,
) -> Vec<RolloutDevice> {
    let mut shown: Vec<RolloutDevice> = devices
        .iter()
        .filter(|d| outcome.keeps(d) && phase.is_none_or(|p| d.phase == p))
        .cloned()
        .collect();
    // A stable sort: equal keys keep the plan's order.
    match column {
        DeviceColumn::Planned => {}
        DeviceColumn::Name => shown.sort_by_key(|d| d.name.to_lowercase()),
        DeviceColumn::Phase => shown.sort_by_key(|d| d.phase),
        DeviceColumn::Outcome => shown.sort_by_key(|d| device_state_text(d.state)),
    }
    if desc {
        shown.reverse();
    }
    shown
}

/// The chart's three lines as SVG `points`, in a `width` × `height` box (y grows down).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChartLines {
    pub done: String,
    pub pending: String,
    pub failed: String,
    /// The largest count drawn (the top of the box).
    pub max: usize,
    /// From the first sample to the last.
    pub span_ms: i64,
    /// Where each phase after the first began: its x and its number (0-based).
    pub phase_starts: Vec<(f64, u32)>,
}

impl ChartLines {
    /// The time axis's labels: the start, the middle and the end, as time since the start.
    pub fn time_ticks(&self) -> [String; 3] {
        // Tenths of a second for a rollout over within seconds, so the labels differ.
        let short = self.span_ms < 10_000;
        let since = |ms: i64| match ms / 1000 {
            _ if short => format!("{:.1} s", ms as f64 / 1000.0),
            0 => "0 s".to_owned(),
            seconds => microvisor_api::time::remaining(seconds, 0),
        };
        [since(0), since(self.span_ms / 2), since(self.span_ms)]
    }

    /// The count axis's labels, top to bottom.
    pub fn count_ticks(&self) -> [usize; 3] {
        [self.max, self.max / 2, 0]
    }
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
    let x_of = |sample: &Sample| {
        if samples.len() == 1 {
            0.0
        } else {
            (sample.at_ms - first.at_ms) as f64 / span * f64::from(width)
        }
    };
    let point = |sample: &Sample, value: usize| {
        let x = x_of(sample);
        let y = f64::from(height) - value as f64 / max as f64 * f64::from(height);
        format!("{x:.1},{y:.1}")
    };
    let phase_starts = samples
        .windows(2)
        .filter(|pair| pair[1].phase > pair[0].phase)
        .map(|pair| (x_of(&pair[1]), pair[1].phase))
        .collect();
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
        span_ms: last.at_ms - first.at_ms,
        phase_starts,
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
    fn the_device_table_narrows_by_phase_and_outcome_and_sorts() {
        let device = |name: &str, phase: u32, state: DeviceState| RolloutDevice {
            sid: format!("UV{name}"),
            name: name.to_owned(),
            phase,
            state,
            attempts: 1,
            sent_ms: None,
            not_before_ms: None,
            finished_ms: None,
            reason: None,
            targeted_before: None,
        };
        let devices = [
            device("b", 0, DeviceState::Failed),
            device("C", 1, DeviceState::Succeeded),
            device("a", 1, DeviceState::Failed),
        ];
        let names = |shown: Vec<RolloutDevice>| -> Vec<String> {
            shown.into_iter().map(|d| d.name).collect()
        };
        let all = |column, desc| names(shown_devices(&devices, Outcome::All, None, column, desc));
        assert_eq!(all(DeviceColumn::Planned, false), ["b", "C", "a"]);
        assert_eq!(all(DeviceColumn::Name, false), ["a", "b", "C"]);
        assert_eq!(all(DeviceColumn::Name, true), ["C", "b", "a"]);
        assert_eq!(all(DeviceColumn::Outcome, false), ["b", "a", "C"]);
        assert_eq!(
            names(shown_devices(
                &devices,
                Outcome::Failed,
                Some(1),
                DeviceColumn::Planned,
                false
            )),
            ["a"]
        );
    }

    #[test]
    fn chart_lines_fill_the_box() {
        let samples = [
            Sample {
                at_ms: 0,
                done: 0,
                pending: 10,
                failed: 0,
                phase: 0,
            },
            Sample {
                at_ms: 500,
                done: 5,
                pending: 5,
                failed: 0,
                phase: 0,
            },
            Sample {
                at_ms: 150_000,
                done: 9,
                pending: 0,
                failed: 1,
                phase: 1,
            },
        ];
        let lines = chart_lines(&samples, 100, 50);
        assert_eq!(lines.max, 10);
        assert_eq!(lines.done, "0.0,50.0 0.3,25.0 100.0,5.0");
        assert_eq!(lines.pending, "0.0,0.0 0.3,25.0 100.0,50.0");
        assert_eq!(lines.failed, "0.0,50.0 0.3,50.0 100.0,45.0");
        assert_eq!(lines.phase_starts, [(100.0, 1)]);
        assert_eq!(lines.time_ticks(), ["0 s", "1 min 15 s", "2 min 30 s"]);
        assert_eq!(lines.count_ticks(), [10, 5, 0]);
        let quick = chart_lines(&samples[..2], 100, 50);
        assert_eq!(quick.time_ticks(), ["0.0 s", "0.2 s", "0.5 s"]);
        assert_eq!(chart_lines(&[], 100, 50), ChartLines::default());
    }
}
