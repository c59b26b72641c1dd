//! The new-rollout form: its fields as typed (`RolloutFields`) and the request they make,
//! plans typed as text ("1, 10%, 50%, 100%"), presets, thresholds, and a plan's summary in
//! words.

use console_protocol::{NewRollout, RolloutSource};
use fleet_engine::DeviceFilter;
use fleet_engine::rollout::{Change, PhaseSpec, Plan, Size, Threshold, Window};

/// Where the rollout's devices come from, as the form offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    View,
    Selection,
    Filter,
}

/// The whole form as typed: nothing is lost to a parse, and the request is made from it only
/// when asked (`request`).
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutFields {
    pub name: String,
    /// The app's SID, or empty while none is chosen.
    pub target: String,
    pub source: SourceKind,
    pub view_id: String,
    pub filter: DeviceFilter,
    pub draft: PlanDraft,
    /// Whether writes keep to the daily window; the hours stay as typed when it is off.
    pub use_window: bool,
    pub window: (String, String),
}

impl RolloutFields {
    /// The form as it opens: on the saved view `view` when one is named, on the devices just
    /// selected when asked for and some are, else on a filter.
    pub fn opening(view: String, selection_asked: bool, selected: usize) -> RolloutFields {
        let source = if selection_asked && selected > 0 {
            SourceKind::Selection
        } else if !view.is_empty() {
            SourceKind::View
        } else {
            SourceKind::Filter
        };
        RolloutFields {
            name: String::new(),
            target: String::new(),
            source,
            view_id: view,
            filter: DeviceFilter::default(),
            draft: PlanDraft::default(),
            use_window: false,
            window: ("0".to_owned(), "6".to_owned()),
        }
    }

    /// What is wrong with each field, by the id of its input (`PlanDraft::problems`, and the
    /// app and view chosen).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.target.is_empty() {
            problems.push(("rollout-target", "Choose the app to roll out.".to_owned()));
        }
        if self.source == SourceKind::View && self.view_id.is_empty() {
            problems.push(("rollout-view", "Choose a saved view.".to_owned()));
        }
        let draft = PlanDraft {
            window: self.use_window.then(|| self.window.clone()),
            ..self.draft.clone()
        };
        problems.extend(draft.problems());
        problems
    }

    /// The request the form makes (`selection`: the devices handed over from the Devices or
    /// Fleet page), or what is wrong with it, said for the person who typed it.
    pub fn request(&self, selection: &[String]) -> Result<NewRollout, String> {
        let plan = PlanDraft {
            window: self.use_window.then(|| self.window.clone()),
            ..self.draft.clone()
        }
        .plan()?;
        if self.target.is_empty() {
            return Err("Choose the app to roll out.".to_owned());
        }
        let source = match self.source {
            SourceKind::View if self.view_id.is_empty() => {
                return Err("Choose a saved view.".to_owned());
            }
            SourceKind::View => RolloutSource::View {
                id: self.view_id.clone(),
            },
            SourceKind::Selection => RolloutSource::Devices {
                sids: selection.to_vec(),
            },
            SourceKind::Filter => RolloutSource::Filter {
                filter: self.filter.clone(),
            },
        };
        Ok(NewRollout {
            name: self.name.clone(),
            target_app: self.target.clone(),
            change: Change::TargetApp,
            source,
            plan,
        })
    }
}

/// A bulk action on every device `filter` matches (`matching` of them when asked), run on the
/// server as a one-phase rollout of the change: the query is resolved there when it starts,
/// and a failed device never halts the others.
pub fn query_action(filter: &DeviceFilter, change: Change, matching: u64) -> NewRollout {
    NewRollout {
        name: format!(
            "{} · {} matching devices",
            change.label(),
            crate::freshness::grouped(matching)
        ),
        target_app: String::new(),
        change,
        source: RolloutSource::Filter {
            filter: filter.clone(),
        },
        plan: Plan {
            phases: vec![PhaseSpec {
                size: Size::Percent(100),
                soak_ms: 0,
                approval: false,
            }],
            error_threshold: Threshold::Percent(100),
            ..Plan::default()
        },
    }
}

/// What the new-rollout form reaches, from its preview: `42 devices: 40 to write in 3 phases
/// (4, 18, 18), 2 already on the app.`
pub fn reach_text(preview: &fleet_engine::rollout::planning::Preview) -> String {
    let skipped = preview.skipped.len();
    let sizes = preview
        .phase_sizes
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let phases = crate::display::counted(preview.phase_sizes.len(), "phase");
    let mut text = format!(
        "{}: {} to write in {phases} ({sizes})",
        crate::display::counted(preview.devices, "device"),
        preview.devices - skipped,
    );
    if skipped > 0 {
        text.push_str(&format!(", {skipped} already on the app"));
    }
    text.push('.');
    text
}

/// The plan presets the form offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// 1 canary, 10 %, 50 %, 100 %.
    Canary,
    /// Batches of N until all are done.
    Batches,
    /// Sizes as typed.
    Custom,
}

impl Preset {
    pub const ALL: [(Preset, &'static str, &'static str); 3] = [
        (Preset::Canary, "canary", "1 canary, 10 %, 50 %, 100 %"),
        (Preset::Batches, "batches", "Batches of N devices"),
        (Preset::Custom, "custom", "Custom phases"),
    ];

    pub fn key(self) -> &'static str {
        Preset::ALL
            .iter()
            .find(|(preset, ..)| *preset == self)
            .map_or("canary", |(_, key, _)| key)
    }

    pub fn from_key(key: &str) -> Preset {
        Preset::ALL
            .iter()
            .find(|(_, k, _)| *k == key)
            .map_or(Preset::Canary, |(preset, ..)| *preset)
    }
}

/// The plan as the form holds it: text as typed, read into a `Plan` only when asked, so nothing
/// typed is lost to a parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDraft {
    pub preset: Preset,
    pub batch: String,
    pub phases: String,
    pub soak_minutes: String,
    pub approval: bool,
    pub threshold: String,
    pub concurrency: String,
    pub timeout_minutes: String,
    /// `datetime-local` text in UTC (`2026-12-01T09:00`), or empty for now.
    pub start_at: String,
    /// UTC hours `[start, end)`, when writes are limited to a window.
    pub window: Option<(String, String)>,
}

impl Default for PlanDraft {
    fn default() -> Self {
        PlanDraft {
            preset: Preset::Canary,
            batch: "25".to_owned(),
            phases: "1, 10%, 50%, 100%".to_owned(),
            soak_minutes: "0".to_owned(),
            approval: false,
            threshold: "10%".to_owned(),
            concurrency: "4".to_owned(),
            timeout_minutes: "30".to_owned(),
            start_at: String::new(),
            window: None,
        }
    }
}

fn number<T>(text: &str, what: &str, range: std::ops::RangeInclusive<T>) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    match text.trim().parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(format!(
            "{what} must be a whole number from {} to {}.",
            range.start(),
            range.end()
        )),
    }
}

impl PlanDraft {
    /// The plan, or what is wrong with the draft, said for the person who typed it.
    pub fn plan(&self) -> Result<Plan, String> {
        Ok(Plan {
            phases: self.phases()?,
            error_threshold: parse_threshold(&self.threshold)?,
            concurrency: self.concurrency()?,
            device_timeout_ms: self.timeout_ms()?,
            start_at_ms: self.start_at_ms()?,
            window: self.window()?,
        })
    }

    /// What is wrong with each field, by the id of its input: every problem at once, each
    /// shown beside its field.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = vec![
            ("rollout-soak", self.soak_ms().err()),
            ("rollout-threshold", parse_threshold(&self.threshold).err()),
            ("rollout-concurrency", self.concurrency().err()),
            ("rollout-timeout", self.timeout_ms().err()),
            ("rollout-start", self.start_at_ms().err()),
        ];
        match self.preset {
            Preset::Canary => {}
            Preset::Batches => problems.push(("rollout-batch", self.batch().err())),
            Preset::Custom => {
                problems.push(("rollout-phases", parse_phases(&self.phases, 0, false).err()));
            }
        }
        if let Some((start, end)) = &self.window {
            problems.push(("rollout-window-start", window_start(start).err()));
            problems.push(("rollout-window-end", window_end(end).err()));
        }
        problems
            .into_iter()
            .filter_map(|(id, problem)| Some((id, problem?)))
            .collect()
    }

    fn soak_ms(&self) -> Result<i64, String> {
        let minutes = number::<u32>(&self.soak_minutes, "Soak time (minutes)", 0..=10_080)?;
        Ok(i64::from(minutes) * 60_000)
    }

    fn batch(&self) -> Result<u32, String> {
        number(&self.batch, "Batch size", 1..=100_000)
    }

    fn phases(&self) -> Result<Vec<PhaseSpec>, String> {
        let soak_ms = self.soak_ms()?;
        match self.preset {
            Preset::Canary => parse_phases("1, 10%, 50%, 100%", soak_ms, self.approval),
            Preset::Batches => Ok(vec![PhaseSpec {
                size: Size::Count(self.batch()?),
                soak_ms,
                approval: self.approval,
            }]),
            Preset::Custom => parse_phases(&self.phases, soak_ms, self.approval),
        }
    }

    fn concurrency(&self) -> Result<u32, String> {
        number(&self.concurrency, "Writes at once", 1..=64)
    }

    fn timeout_ms(&self) -> Result<i64, String> {
        let minutes = number::<u32>(
            &self.timeout_minutes,
            "Per-device timeout (minutes)",
            1..=10_080,
        )?;
        Ok(i64::from(minutes) * 60_000)
    }

    fn start_at_ms(&self) -> Result<Option<i64>, String> {
        match self.start_at.trim() {
            "" => Ok(None),
            text => {
                let full = match text.len() {
                    16 => format!("{text}:00Z"),
                    _ => format!("{text}Z"),
                };
                microvisor_api::time::parse_iso8601(&full)
                    .map(|seconds| Some(seconds * 1000))
                    .ok_or_else(|| format!("'{text}' is not a start time."))
            }
        }
    }

    fn window(&self) -> Result<Option<Window>, String> {
        self.window
            .as_ref()
            .map(|(start, end)| {
                Ok(Window {
                    start_hour: window_start(start)?,
                    end_hour: window_end(end)?,
                })
            })
            .transpose()
    }
}

fn window_start(text: &str) -> Result<u8, String> {
    number(text, "The window's first hour", 0..=23)
}

fn window_end(text: &str) -> Result<u8, String> {
    number(text, "The window's end hour", 0..=24)
}

/// Phases typed as sizes separated by commas: a count (`1`) or a percentage (`10%`).
pub fn parse_phases(text: &str, soak_ms: i64, approval: bool) -> Result<Vec<PhaseSpec>, String> {
    let sizes: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if sizes.is_empty() {
        return Err("Give at least one phase, e.g. 1, 10%, 50%, 100%.".to_owned());
    }
    sizes
        .into_iter()
        .map(|size| {
            Ok(PhaseSpec {
                size: parse_size(size)?,
                soak_ms,
                approval,
            })
        })
        .collect()
}

fn parse_size(text: &str) -> Result<Size, String> {
    let bad = || format!("'{text}' is not a phase size: give a count (25) or a percentage (10%).");
    match text.strip_suffix('%') {
        Some(percent) => match percent.trim().parse::<u32>() {
            Ok(p @ 1..=100) => Ok(Size::Percent(p)),
            _ => Err(bad()),
        },
        None => match text.parse::<u32>() {
            Ok(n @ 1..) => Ok(Size::Count(n)),
            _ => Err(bad()),
        },
    }
}

/// A phase's sizes as typed.
pub fn phases_text(phases: &[PhaseSpec]) -> String {
    phases
        .iter()
        .map(|phase| match phase.size {
            Size::Count(n) => n.to_string(),
            Size::Percent(p) => format!("{p}%"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An error threshold typed as a count of devices (`3`) or a percentage of the phase (`10%`).
pub fn parse_threshold(text: &str) -> Result<Threshold, String> {
    let text = text.trim();
    let bad = || {
        format!("'{text}' is not a threshold: give a count of devices (3) or a percentage (10%).")
    };
    match text.strip_suffix('%') {
        Some(percent) => match percent.trim().parse::<u32>() {
            Ok(p @ 0..=100) => Ok(Threshold::Percent(p)),
            _ => Err(bad()),
        },
        None => text.parse::<u32>().map(Threshold::Count).map_err(|_| bad()),
    }
}

pub fn threshold_text(threshold: Threshold) -> String {
    match threshold {
        Threshold::Count(n) => format!("more than {n} failed"),
        Threshold::Percent(p) => format!("more than {p} % failed"),
    }
}

/// A plan in a line: "4 phases (1, 10%, 50%, 100%), halts at more than 10 % failed".
pub fn plan_summary(plan: &Plan) -> String {
    let phases = if plan.phases.len() == 1 && matches!(plan.phases[0].size, Size::Count(_)) {
        format!("batches of {}", phases_text(&plan.phases))
    } else {
        format!("phases {}", phases_text(&plan.phases))
    };
    format!(
        "{phases}, halts at {}, {} writes at once",
        threshold_text(plan.error_threshold),
        plan.concurrency
    )
}

#[cfg(test)]
mod tests;
