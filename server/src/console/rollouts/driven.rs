//! The runner's memory, without I/O: the rollouts it drives with what the store last saw of
//! them, what its tasks reported, and one step of every engine. Unit-tested here; the runner
//! does the reading, writing and waiting around it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use fleet_engine::rollout::{Action, Input, Report, Rollout, RolloutDevice, Status, WriteResult};

/// What the runner's tasks report back.
#[derive(Debug)]
pub enum Event {
    Written {
        rollout: String,
        sid: String,
        result: WriteResult,
    },
    Read {
        rollout: String,
        sid: String,
        report: Result<Option<Report>, String>,
    },
    Polled {
        reports: Result<HashMap<String, Report>, String>,
    },
}

/// One rollout in memory, with what the store last saw of it.
pub struct Driven {
    pub rollout: Rollout,
    saved: Vec<RolloutDevice>,
    /// Status, phase and number of samples as last saved.
    saved_head: (Status, u32, usize),
    /// Reads of devices under way, so a check is not sent twice.
    reading: BTreeSet<String>,
}

fn head(rollout: &Rollout) -> (Status, u32, usize) {
    (rollout.status.clone(), rollout.phase, rollout.samples.len())
}

impl Driven {
    /// A rollout as just read from the store.
    pub fn new(rollout: Rollout) -> Driven {
        Driven {
            saved: rollout.devices.clone(),
            saved_head: head(&rollout),
            rollout,
            reading: BTreeSet::new(),
        }
    }

    /// What to save: `None` when only the clock moved since the last save, else the
    /// positions of the devices that changed (maybe none, when only the header did).
    pub fn unsaved(&self) -> Option<Vec<usize>> {
        let changed: Vec<usize> = self
            .rollout
            .devices
            .iter()
            .zip(&self.saved)
            .enumerate()
            .filter(|(_, (now, saved))| now != saved)
            .map(|(position, _)| position)
            .collect();
        (!changed.is_empty() || head(&self.rollout) != self.saved_head).then_some(changed)
    }

    /// The store has what is in memory now.
    pub fn mark_saved(&mut self) {
        self.saved = self.rollout.devices.clone();
        self.saved_head = head(&self.rollout);
    }

    /// Notes a read of `sid` as started; false when one is under way already.
    pub fn start_reading(&mut self, sid: &str) -> bool {
        self.reading.insert(sid.to_owned())
    }

    /// Whether it must stay in memory: still active, or with writes whose results are out.
    pub fn is_live(&self) -> bool {
        self.rollout.status.is_active() || self.rollout.has_writes_out()
    }
}

/// The rollouts this replica drives, by id.
pub type Fleet = BTreeMap<String, Driven>;

/// What an event tells the engines, as inputs for the rollouts it concerns.
pub fn inputs_of(driven: &mut Fleet, event: Event) -> Vec<(String, Input)> {
    match event {
        Event::Written {
            rollout,
            sid,
            result,
        } => vec![(rollout, Input::Written { sid, result })],
        Event::Read {
            rollout,
            sid,
            report,
        } => {
            if let Some(d) = driven.get_mut(&rollout) {
                d.reading.remove(&sid);
            }
            match report {
                Ok(Some(report)) => vec![(rollout, Input::Observed { sid, report })],
                Ok(None) => vec![(rollout, Input::Unreadable { sid, missing: true })],
                Err(err) => {
                    tracing::debug!(%sid, "a read failed, tried again later: {err}");
                    Vec::new()
                }
            }
        }
        Event::Polled { reports } => match reports {
            Ok(reports) => driven
                .iter()
                .flat_map(|(id, d)| {
                    d.rollout.watching().filter_map(|device| {
                        let report = reports.get(&device.sid)?;
                        Some((
                            id.clone(),
                            Input::Observed {
                                sid: device.sid.clone(),
                                report: report.clone(),
                            },
                        ))
                    })
                })
                .collect(),
            Err(err) => {
                tracing::debug!("a poll failed, tried again later: {err}");
                Vec::new()
            }
        },
    }
}

/// Steps every engine: its inputs in order, then the time. The actions they ask for.
pub fn step_all(
    driven: &mut Fleet,
    inputs: Vec<(String, Input)>,
    now: i64,
) -> Vec<(String, Action)> {
    let mut actions = Vec::new();
    for (id, input) in inputs {
        if let Some(d) = driven.get_mut(&id) {
            actions.extend(
                d.rollout
                    .step(input, now)
                    .into_iter()
                    .map(|a| (id.clone(), a)),
            );
        }
    }
    for (id, d) in driven.iter_mut() {
        actions.extend(
            d.rollout
                .step(Input::Tick, now)
                .into_iter()
                .map(|a| (id.clone(), a)),
        );
    }
    actions
}

/// Every device some rollout is waiting to see report.
pub fn watched(driven: &Fleet) -> Vec<String> {
    driven
        .values()
        .flat_map(|d| d.rollout.watching().map(|device| device.sid.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleet_engine::rollout::{Candidate, DeviceState, Plan};

    fn rollout(devices: &[&str]) -> Rollout {
        let candidates = devices
            .iter()
            .map(|sid| Candidate {
                sid: sid.to_string(),
                name: sid.to_string(),
                report: None,
            })
            .collect();
        Rollout::new(
            "RO1".into(),
            "r".into(),
            "KA1".into(),
            Plan::default(),
            candidates,
            0,
        )
        .unwrap()
    }

    #[test]
    fn only_what_moved_is_saved_and_a_save_is_remembered() {
        let mut d = Driven::new(rollout(&["UV1", "UV2"]));
        assert_eq!(d.unsaved(), None);
        d.rollout.devices[1].state = DeviceState::Failed;
        assert_eq!(d.unsaved(), Some(vec![1]));
        d.mark_saved();
        assert_eq!(d.unsaved(), None);
        d.rollout.phase += 1;
        assert_eq!(d.unsaved(), Some(vec![]));
    }

    #[test]
    fn a_read_is_started_once_and_its_answer_frees_it() {
        let mut driven = Fleet::new();
        driven.insert("RO1".into(), Driven::new(rollout(&["UV1"])));
        let d = driven.get_mut("RO1").unwrap();
        assert!(d.start_reading("UV1"));
        assert!(!d.start_reading("UV1"));
        let inputs = inputs_of(
            &mut driven,
            Event::Read {
                rollout: "RO1".into(),
                sid: "UV1".into(),
                report: Ok(None),
            },
        );
        assert!(matches!(
            inputs.as_slice(),
            [(id, Input::Unreadable { missing: true, .. })] if id == "RO1"
        ));
        assert!(driven.get_mut("RO1").unwrap().start_reading("UV1"));
        // A failed read says nothing to the engine: it is tried again later.
        let failed = Event::Read {
            rollout: "RO1".into(),
            sid: "UV1".into(),
            report: Err("timed out".into()),
        };
        assert!(inputs_of(&mut driven, failed).is_empty());
    }
}
