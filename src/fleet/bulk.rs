//! Runs one update on many devices with bounded concurrency, progress, cancel, and a result
//! for every device: nothing is skipped silently. The run's tasks belong to the view that
//! made the run, so they stop when it goes away.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, VecDeque};
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local_scoped_with_cancellation;
use microvisor_api::{Device, DeviceUpdate};

use crate::api::ApiClient;
use crate::fleet::shown::ShownRows;

/// Requests in flight at once: enough to be quick, few enough to stay clear of rate limits.
pub const CONCURRENCY: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Waiting,
    Done,
    Failed(String),
    /// Cancelled before it was sent.
    NotSent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkItem {
    pub sid: String,
    pub name: String,
    pub outcome: Outcome,
}

/// A bulk run's state, in signals the view reads.
#[derive(Clone, Copy)]
pub struct BulkRun {
    pub items: RwSignal<Vec<BulkItem>>,
    pub running: RwSignal<bool>,
    cancelled: StoredValue<Rc<Cell<bool>>, LocalStorage>,
    /// The owner of the view that made the run: its tasks end with it.
    owner: StoredValue<Option<Owner>, LocalStorage>,
}

impl BulkRun {
    pub fn new() -> BulkRun {
        BulkRun {
            items: RwSignal::new(Vec::new()),
            running: RwSignal::new(false),
            cancelled: StoredValue::new_local(Rc::new(Cell::new(false))),
            owner: StoredValue::new_local(Owner::current()),
        }
    }

    pub fn finished(&self) -> usize {
        self.items.with(|items| {
            items
                .iter()
                .filter(|i| i.outcome != Outcome::Waiting)
                .count()
        })
    }

    pub fn failed(&self) -> Vec<(String, String)> {
        self.items.with(|items| {
            items
                .iter()
                .filter(|i| matches!(i.outcome, Outcome::Failed(_) | Outcome::NotSent))
                .map(|i| (i.sid.clone(), i.name.clone()))
                .collect()
        })
    }

    pub fn cancel(&self) {
        self.cancelled.with_value(|flag| flag.set(true));
    }

    /// Starts `update` on every device in `targets` ((sid, name) pairs). `on_finished`
    /// receives every device as the API returned it, once, when the run ends, so a table
    /// is redrawn once rather than per device.
    pub fn start(
        &self,
        client: ApiClient,
        targets: Vec<(String, String)>,
        update: DeviceUpdate,
        on_finished: Callback<Vec<Device>>,
    ) {
        let flag = Rc::new(Cell::new(false));
        self.cancelled.set_value(Rc::clone(&flag));
        self.items.set(
            targets
                .iter()
                .map(|(sid, name)| BulkItem {
                    sid: sid.clone(),
                    name: name.clone(),
                    outcome: Outcome::Waiting,
                })
                .collect(),
        );
        self.running.set(true);
        let queue = Rc::new(RefCell::new(
            targets.into_iter().enumerate().collect::<VecDeque<_>>(),
        ));
        let workers_left = Rc::new(Cell::new(CONCURRENCY));
        let updated = Rc::new(RefCell::new(Vec::new()));
        let run = *self;
        let owner = self.owner.get_value().unwrap_or_default();
        for _ in 0..CONCURRENCY {
            let (queue, flag, workers_left, client, update, updated) = (
                Rc::clone(&queue),
                Rc::clone(&flag),
                Rc::clone(&workers_left),
                client.clone(),
                update.clone(),
                Rc::clone(&updated),
            );
            let worker = async move {
                loop {
                    let next = queue.borrow_mut().pop_front();
                    let Some((index, (sid, _))) = next else { break };
                    let outcome = if flag.get() {
                        Outcome::NotSent
                    } else {
                        match client.update_device(&sid, &update).await {
                            Ok(device) => {
                                updated.borrow_mut().push(device);
                                Outcome::Done
                            }
                            Err(err) => Outcome::Failed(err.to_string()),
                        }
                    };
                    run.items.update(|items| items[index].outcome = outcome);
                }
                workers_left.set(workers_left.get() - 1);
                if workers_left.get() == 0 {
                    let devices = std::mem::take(&mut *updated.borrow_mut());
                    on_finished.run(devices);
                    run.running.set(false);
                }
            };
            owner.with(|| spawn_local_scoped_with_cancellation(worker));
        }
    }
}

impl Default for BulkRun {
    fn default() -> Self {
        BulkRun::new()
    }
}

/// What a row checkbox does: toggles its device, or with Shift the whole range from the last
/// row clicked, in the order `rows` shows them.
pub fn selection_toggle(
    rows: ShownRows,
    selected: RwSignal<BTreeSet<String>>,
) -> Callback<(String, bool)> {
    let anchor = StoredValue::new(None::<String>);
    Callback::new(move |(sid, shift): (String, bool)| {
        let next_anchor = rows.with(|rows| {
            let order: Vec<&str> = rows.iter().filter_map(|d| d.sid.as_deref()).collect();
            anchor.with_value(|anchor| {
                let mut next = None;
                selected.update(|selected| {
                    next = Some(console_core::selection::toggle(
                        selected,
                        &order,
                        anchor.as_deref(),
                        &sid,
                        shift,
                    ));
                });
                next
            })
        });
        anchor.set_value(next_anchor);
    })
}
