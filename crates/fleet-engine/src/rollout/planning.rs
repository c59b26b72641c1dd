//! From a request for a rollout and what the API says (the apps, the fleet) to a planned
//! rollout and its preview; and from the API's answers to what the engine is told. Shared by
//! console-server and the in-page demo, so both plan and judge answers the same way.

use std::collections::BTreeSet;

use microvisor_api::{ApiErrorBody, App, Device};
use serde::{Deserialize, Serialize};

use super::change::Change;
use super::device::DeviceState;
use super::machine::Rollout;
use super::messages::{Report, WriteResult};
use super::plan::{Candidate, Plan, PlanError};
use crate::apps::AppNames;
use crate::filter::DeviceFilter;

/// Which of the fleet's devices a rollout is for (a saved view is passed as its filter).
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    Sids(&'a [String]),
    Filter(&'a DeviceFilter),
}

/// Why a rollout cannot be planned; the text is shown to the person asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanningError {
    Name,
    UnknownApp(String),
    Plan(PlanError),
}

impl std::fmt::Display for PlanningError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanningError::Name => f.write_str("A rollout needs a name of 1 to 100 characters."),
            PlanningError::UnknownApp(wanted) => write!(
                f,
                "TargetApp '{wanted}' does not name an App on this account."
            ),
            PlanningError::Plan(err) => err.fmt(f),
        }
    }
}

/// A rollout as planned, not yet saved, with what its preview needs.
pub struct Planned {
    pub rollout: Rollout,
    pub names: AppNames,
    pub devices: Vec<Device>,
}

/// What a rollout would do, before it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    /// The target app's SID and name.
    pub target_sid: String,
    pub target_name: String,
    pub devices: usize,
    /// Devices per phase, in order.
    pub phase_sizes: Vec<usize>,
    /// The first phase's devices: (name, app before, app after).
    pub first_phase: Vec<(String, String, String)>,
    /// Devices already on the target: never written.
    pub skipped: Vec<String>,
}

/// The SID of the app `wanted` names, by SID or unique name.
pub fn target_of(apps: &[App], wanted: &str) -> Result<String, PlanningError> {
    let wanted = wanted.trim();
    apps.iter()
        .find(|app| {
            app.sid.as_deref() == Some(wanted) || app.unique_name.as_deref() == Some(wanted)
        })
        .and_then(|app| app.sid.clone())
        .ok_or_else(|| PlanningError::UnknownApp(wanted.to_owned()))
}

/// The devices of `fleet` that `selection` picks, in the fleet's order.
pub fn select(
    fleet: Vec<Device>,
    selection: Selection<'_>,
    names: &AppNames,
    now_s: i64,
) -> Vec<Device> {
    match selection {
        Selection::Sids(sids) => {
            let wanted: BTreeSet<&String> = sids.iter().collect();
            fleet
                .into_iter()
                .filter(|d| d.sid.as_ref().is_some_and(|sid| wanted.contains(sid)))
                .collect()
        }
        Selection::Filter(filter) => fleet
            .into_iter()
            .filter(|d| filter.matches(d, names, now_s))
            .collect(),
    }
}

/// Plans rollout `id` named `name` of `change` (the app `wanted`, for a target app) to the
/// devices `selection` picks.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    id: String,
    name: &str,
    change: Change,
    wanted: &str,
    apps: &[App],
    fleet: Vec<Device>,
    selection: Selection<'_>,
    plan: Plan,
    now_ms: i64,
) -> Result<Planned, PlanningError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(PlanningError::Name);
    }
    let target = match change {
        Change::TargetApp => target_of(apps, wanted)?,
        _ => String::new(),
    };
    let names = AppNames::from_apps(apps);
    let devices = select(fleet, selection, &names, now_ms / 1000);
    let candidates = devices
        .iter()
        .filter_map(|device| {
            Some(Candidate {
                sid: device.sid.clone()?,
                name: device.display_name().to_owned(),
                report: Some(Report::of(device)),
            })
        })
        .collect();
    let rollout = match change {
        Change::TargetApp => Rollout::new(id, name.to_owned(), target, plan, candidates, now_ms),
        action => Rollout::of_change(id, name.to_owned(), action, plan, candidates, now_ms),
    }
    .map_err(PlanningError::Plan)?;
    Ok(Planned {
        rollout,
        names,
        devices,
    })
}

impl Planned {
    pub fn preview(&self) -> Preview {
        let Planned {
            rollout,
            names,
            devices,
        } = self;
        let target_name = match rollout.change {
            Change::TargetApp => names.name_or_sid(&rollout.target_app).to_owned(),
            action => action.label().to_owned(),
        };
        let before = |sid: &str| {
            devices
                .iter()
                .find(|d| d.sid.as_deref() == Some(sid))
                .and_then(|d| d.app.as_ref()?.target_sid.clone())
                .map_or("no target".to_owned(), |app| {
                    names.name_or_sid(&app).to_owned()
                })
        };
        let phases = rollout.phases();
        Preview {
            target_sid: rollout.target_app.clone(),
            devices: rollout.devices.len(),
            phase_sizes: phases.values().map(Vec::len).collect(),
            first_phase: phases
                .get(&0)
                .map(|first| {
                    first
                        .iter()
                        .map(|d| (d.name.clone(), before(&d.sid), target_name.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            skipped: rollout
                .devices
                .iter()
                .filter(|d| d.state == DeviceState::Skipped)
                .map(|d| d.name.clone())
                .collect(),
            target_name,
        }
    }
}

/// What a failed answer says: its status and the vendor's message.
pub fn failure_message(status: u16, body: &[u8]) -> String {
    let body = ApiErrorBody::from_failed_response(status, "", &String::from_utf8_lossy(body));
    format!("HTTP {status}: {}", body.message.unwrap_or_default())
}

/// What the answer to a rollout's write means: taken, refused for now (429/503, after its
/// `Retry-After` in seconds), refused for good (another 4xx), or unknown (a 5xx: it may have
/// landed). No answer at all is `WriteResult::Unknown` too, made by the caller.
pub fn write_result(status: u16, retry_after: Option<&str>, body: &[u8]) -> WriteResult {
    match status {
        200..=299 => WriteResult::Accepted,
        429 | 503 => WriteResult::Refused {
            retry_after_ms: retry_after
                .and_then(|s| s.trim().parse::<i64>().ok())
                .map_or(1000, |seconds| seconds.clamp(0, 60) * 1000),
        },
        400..=499 => WriteResult::Rejected {
            reason: failure_message(status, body),
        },
        _ => WriteResult::Unknown {
            reason: failure_message(status, body),
        },
    }
}

/// What the answer to reading one device says of it: `Ok(None)` when it does not exist, an
/// error when the read should simply be tried again later.
pub fn device_report(status: u16, body: &[u8]) -> Result<Option<Report>, String> {
    match status {
        200 => serde_json::from_slice::<Device>(body)
            .map(|device| Some(Report::of(&device)))
            .map_err(|err| err.to_string()),
        404 => Ok(None),
        _ => Err(failure_message(status, body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::device;
    use crate::rollout::{PhaseSpec, Size};

    fn app(sid: &str, name: &str) -> App {
        App {
            sid: Some(sid.to_owned()),
            unique_name: Some(name.to_owned()),
            ..App::default()
        }
    }

    /// Devices 0 to 2 already run KA2 ("new"), the rest KA1 ("old").
    fn fleet() -> (Vec<App>, Vec<Device>) {
        let apps = vec![app("KA1", "old"), app("KA2", "new")];
        let devices = (0..20)
            .map(|n| {
                let on = if n < 3 { "KA2" } else { "KA1" };
                device(n, "up-to-date", on, Some(on))
            })
            .collect();
        (apps, devices)
    }

    #[test]
    fn plans_by_app_name_and_previews_phases() {
        let (apps, devices) = fleet();
        let planned = plan(
            "RO1".into(),
            " ship it ",
            Change::TargetApp,
            "new",
            &apps,
            devices,
            Selection::Filter(&DeviceFilter::default()),
            Plan {
                phases: vec![
                    PhaseSpec {
                        size: Size::Count(1),
                        soak_ms: 0,
                        approval: false,
                    },
                    PhaseSpec {
                        size: Size::Percent(100),
                        soak_ms: 0,
                        approval: false,
                    },
                ],
                ..Plan::default()
            },
            1_000,
        )
        .unwrap();
        assert_eq!(planned.rollout.name, "ship it");
        assert_eq!(planned.rollout.target_app, "KA2");
        let preview = planned.preview();
        assert_eq!(preview.target_name, "new");
        assert_eq!(preview.devices, 20);
        assert_eq!(preview.phase_sizes, [1, 16]);
        assert_eq!(preview.skipped, ["pump-0", "pump-1", "pump-2"]);
        assert_eq!(
            preview.first_phase,
            [("pump-3".to_owned(), "old".to_owned(), "new".to_owned())]
        );
    }

    #[test]
    fn refuses_what_cannot_be_planned() {
        let (apps, devices) = fleet();
        let all = DeviceFilter::default();
        let attempt = |name: &str, app: &str, sids: &[String]| {
            let selection = if sids.is_empty() {
                Selection::Filter(&all)
            } else {
                Selection::Sids(sids)
            };
            plan(
                "RO".into(),
                name,
                Change::TargetApp,
                app,
                &apps,
                devices.clone(),
                selection,
                Plan::default(),
                0,
            )
            .err()
            .map(|e| e.to_string())
        };
        assert_eq!(
            attempt("", "new", &[]).unwrap(),
            "A rollout needs a name of 1 to 100 characters."
        );
        assert_eq!(
            attempt("x", "KAnope", &[]).unwrap(),
            "TargetApp 'KAnope' does not name an App on this account."
        );
        assert_eq!(
            attempt("x", "new", &["UVnone".to_owned()]).unwrap(),
            "The rollout has no devices."
        );
        let one = [format!("UV{:032}", 5)];
        assert_eq!(attempt("x", "new", &one), None);
    }

    #[test]
    fn judges_answers_as_the_engine_needs() {
        assert_eq!(write_result(200, None, b"{}"), WriteResult::Accepted);
        assert_eq!(
            write_result(429, Some("3"), b""),
            WriteResult::Refused {
                retry_after_ms: 3000
            }
        );
        assert_eq!(
            write_result(503, None, b""),
            WriteResult::Refused {
                retry_after_ms: 1000
            }
        );
        let body =
            br#"{"code":20404,"message":"The requested resource was not found","status":404}"#;
        assert_eq!(
            write_result(404, None, body),
            WriteResult::Rejected {
                reason: "HTTP 404: The requested resource was not found".into()
            }
        );
        assert!(matches!(
            write_result(502, None, b""),
            WriteResult::Unknown { .. }
        ));
        assert_eq!(device_report(404, body), Ok(None));
        assert!(device_report(500, b"").is_err());
    }
}
