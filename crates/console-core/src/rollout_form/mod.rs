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
        let soak_ms = i64::from(number::<u32>(
            &self.soak_minutes,
            "Soak time (minutes)",
            0..=10_080,
        )?) * 60_000;
        let phases = match self.preset {
            Preset::Canary => parse_phases("1, 10%, 50%, 100%", soak_ms, self.approval)?,
            Preset::Batches => vec![PhaseSpec {
                size: Size::Count(number(&self.batch, "Batch size", 1..=100_000)?),
                soak_ms,
                approval: self.approval,
            }],
            Preset::Custom => parse_phases(&self.phases, soak_ms, self.approval)?,
        };
        let start_at_ms = match self.start_at.trim() {
            "" => None,
            text => {
                let full = match text.len() {
                    16 => format!("{text}:00Z"),
                    _ => format!("{text}Z"),
                };
                Some(
                    microvisor_api::time::parse_iso8601(&full)
                        .ok_or_else(|| format!("'{text}' is not a start time."))?
                        * 1000,
                )
            }
        };
        let window = match &self.window {
            None => None,
            Some((start, end)) => Some(Window {
                start_hour: number(start, "The window's first hour", 0..=23)?,
                end_hour: number(end, "The window's end hour", 0..=24)?,
            }),
        };
        Ok(Plan {
            phases,
            error_threshold: parse_threshold(&self.threshold)?,
            concurrency: number(&self.concurrency, "Writes at once", 1..=64)?,
            device_timeout_ms: i64::from(number::<u32>(
                &self.timeout_minutes,
                "Per-device timeout (minutes)",
                1..=10_080,
            )?) * 60_000,
            start_at_ms,
            window,
        })
    }
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
mod tests {
    use super::*;

    #[test]
    fn a_query_action_is_one_phase_that_never_halts() {
        let filter = DeviceFilter {
            text: "pump".into(),
            ..DeviceFilter::default()
        };
        let request = query_action(&filter, Change::RestartApp, 12_345);
        assert_eq!(request.name, "Restart app · 12,345 matching devices");
        assert_eq!(request.change, Change::RestartApp);
        assert_eq!(request.source, RolloutSource::Filter { filter });
        assert_eq!(request.plan.phases.len(), 1);
        assert!(!request.plan.error_threshold.crossed(12_345, 12_345));
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["change"], "restart_app");
    }

    #[test]
    fn reads_phases_as_typed() {
        let phases = parse_phases(" 1, 10%,50 %, 100% ", 60_000, true).unwrap();
        assert_eq!(
            phases.iter().map(|p| p.size).collect::<Vec<_>>(),
            [
                Size::Count(1),
                Size::Percent(10),
                Size::Percent(50),
                Size::Percent(100)
            ]
        );
        assert!(phases.iter().all(|p| p.soak_ms == 60_000 && p.approval));
        assert_eq!(phases_text(&phases), "1, 10%, 50%, 100%");
        assert!(parse_phases("", 0, false).is_err());
        assert_eq!(
            parse_phases("1, 0%", 0, false).unwrap_err(),
            "'0%' is not a phase size: give a count (25) or a percentage (10%)."
        );
        assert!(parse_phases("0", 0, false).is_err());
        assert!(parse_phases("ten", 0, false).is_err());
        assert!(parse_phases("101%", 0, false).is_err());
    }

    #[test]
    fn drafts_become_plans_or_say_what_is_wrong() {
        let plan = PlanDraft::default().plan().unwrap();
        assert_eq!(plan.phases.len(), 4);
        assert_eq!(plan.error_threshold, Threshold::Percent(10));
        assert_eq!((plan.concurrency, plan.device_timeout_ms), (4, 1_800_000));
        assert_eq!((plan.start_at_ms, plan.window), (None, None));
        let draft = PlanDraft {
            preset: Preset::Batches,
            batch: "50".into(),
            soak_minutes: "2".into(),
            approval: true,
            start_at: "2026-12-01T09:30".into(),
            window: Some(("22".into(), "4".into())),
            ..PlanDraft::default()
        };
        let plan = draft.plan().unwrap();
        assert_eq!(
            plan.phases,
            [PhaseSpec {
                size: Size::Count(50),
                soak_ms: 120_000,
                approval: true
            }]
        );
        assert_eq!(plan.start_at_ms, Some(1_796_117_400_000));
        assert_eq!(
            plan.window,
            Some(Window {
                start_hour: 22,
                end_hour: 4
            })
        );
        let wrong = |draft: PlanDraft| draft.plan().unwrap_err();
        assert_eq!(
            wrong(PlanDraft {
                concurrency: "0".into(),
                ..PlanDraft::default()
            }),
            "Writes at once must be a whole number from 1 to 64."
        );
        assert_eq!(
            wrong(PlanDraft {
                start_at: "tomorrow".into(),
                ..PlanDraft::default()
            }),
            "'tomorrow' is not a start time."
        );
        assert!(
            wrong(PlanDraft {
                preset: Preset::Custom,
                phases: "x".into(),
                ..PlanDraft::default()
            })
            .contains("'x'")
        );
        assert_eq!(Preset::from_key(Preset::Batches.key()), Preset::Batches);
    }

    #[test]
    fn reads_thresholds() {
        assert_eq!(parse_threshold("10%"), Ok(Threshold::Percent(10)));
        assert_eq!(parse_threshold(" 3 "), Ok(Threshold::Count(3)));
        assert_eq!(parse_threshold("0"), Ok(Threshold::Count(0)));
        assert!(parse_threshold("-1").is_err());
        assert!(parse_threshold("150%").is_err());
        assert_eq!(
            threshold_text(Threshold::Percent(10)),
            "more than 10 % failed"
        );
    }

    #[test]
    fn plans_are_summed_up_in_words() {
        let summary = plan_summary(&Plan::canary(0));
        assert_eq!(
            summary,
            "phases 1, 10%, 50%, 100%, halts at more than 10 % failed, 4 writes at once"
        );
        assert!(plan_summary(&Plan::batches(25, 0)).starts_with("batches of 25,"));
    }

    #[test]
    fn the_form_opens_on_what_it_was_asked_for() {
        assert_eq!(
            RolloutFields::opening(String::new(), true, 3).source,
            SourceKind::Selection
        );
        // Nothing selected: the selection is not offered, the view (or a filter) is.
        assert_eq!(
            RolloutFields::opening("VW1".into(), true, 0).source,
            SourceKind::View
        );
        assert_eq!(
            RolloutFields::opening(String::new(), true, 0).source,
            SourceKind::Filter
        );
    }

    #[test]
    fn the_form_makes_its_request_or_says_what_is_missing() {
        let mut fields = RolloutFields::opening(String::new(), false, 0);
        assert_eq!(
            fields.request(&[]),
            Err("Choose the app to roll out.".to_owned())
        );
        fields.target = "KA1".into();
        fields.name = "canary".into();
        fields.filter.text = "pump".into();
        let request = fields.request(&[]).unwrap();
        assert_eq!(request.target_app, "KA1");
        assert_eq!(
            request.source,
            RolloutSource::Filter {
                filter: fields.filter.clone()
            }
        );
        assert_eq!(request.plan.window, None);
        fields.source = SourceKind::View;
        assert_eq!(fields.request(&[]), Err("Choose a saved view.".to_owned()));
        fields.view_id = "VW1".into();
        assert_eq!(
            fields.request(&[]).unwrap().source,
            RolloutSource::View { id: "VW1".into() }
        );
        fields.source = SourceKind::Selection;
        assert_eq!(
            fields.request(&["UV1".to_owned()]).unwrap().source,
            RolloutSource::Devices {
                sids: vec!["UV1".to_owned()]
            }
        );
        // The window's hours count only while it is on, and are checked then.
        fields.window = ("25".into(), "6".into());
        assert!(fields.request(&[]).is_ok());
        fields.use_window = true;
        assert!(fields.request(&[]).unwrap_err().contains("first hour"));
        fields.window = ("1".into(), "6".into());
        let window = fields.request(&[]).unwrap().plan.window.unwrap();
        assert_eq!((window.start_hour, window.end_hour), (1, 6));
        // A plan that does not read is said before anything else.
        fields.draft.concurrency = "0".into();
        assert!(fields.request(&[]).unwrap_err().contains("Writes at once"));
    }
}
