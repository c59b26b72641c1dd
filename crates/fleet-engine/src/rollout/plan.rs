//! What a rollout is asked to do: its phases, thresholds, soak, approvals and window, and the
//! devices it starts from.

use serde::{Deserialize, Serialize};

use super::messages::Report;

/// One hour in milliseconds.
const HOUR_MS: i64 = 3_600_000;
/// A day in milliseconds.
const DAY_MS: i64 = 24 * HOUR_MS;

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
    pub(super) fn spec(&self, index: usize) -> PhaseSpec {
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

/// A device as the plan starts from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub sid: String,
    pub name: String,
    /// What it reported when the rollout was planned, if read.
    pub report: Option<Report>,
}
