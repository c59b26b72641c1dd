//! The rollout runner: drives every active rollout's engine with the store, the API and a lease.
//!
//! Exactly one replica drives rollouts at a time: the one holding the `rollouts` lease in the
//! store (renewed every few seconds; when its holder dies, another takes it once it expires).
//! Every state change is committed to the store before the action it allows: a device's write
//! is recorded as asked for before the request goes out, and its result after. A replica that
//! takes over (or a restart) tells the engine so; the engine then reads every device whose
//! write was asked for without a recorded result, and never writes one blindly again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use fleet_engine::rollout::{
    Action, Control, Input, Report, Rollout, RolloutDevice, Status, WriteResult,
};
use tokio::sync::mpsc;

use crate::api::Api;
use crate::emulator::unix_now_ms;
use crate::store::{Store, StoreError};

/// The lease's name in the store.
const LEASE: &str = "rollouts";

/// How the runner paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// A lease lasts this long unless renewed.
    pub lease_ttl: Duration,
    /// Renewed this often (well within the ttl).
    pub renew_every: Duration,
    /// A replica without the lease tries for it this often.
    pub try_every: Duration,
    /// Watched devices are read this often.
    pub poll_every: Duration,
    /// The loop wakes at least this often.
    pub tick: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            lease_ttl: Duration::from_secs(10),
            renew_every: Duration::from_secs(3),
            try_every: Duration::from_secs(2),
            poll_every: Duration::from_secs(2),
            tick: Duration::from_millis(250),
        }
    }
}

/// The longest one poll of watched devices may take before it counts as failed.
const POLL_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Up to this many watched devices are read one by one; more are read a page at a time.
const ONE_BY_ONE: usize = 20;

/// What the runner's tasks report back.
enum Event {
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
struct Driven {
    rollout: Rollout,
    saved: Vec<RolloutDevice>,
    /// Status, phase and number of samples as last saved.
    saved_head: (Status, u32, usize),
    /// Reads of devices under way, so a check is not sent twice.
    reading: BTreeSet<String>,
}

impl Driven {
    fn new(rollout: Rollout) -> Driven {
        Driven {
            saved: rollout.devices.clone(),
            saved_head: head(&rollout),
            rollout,
            reading: BTreeSet::new(),
        }
    }

    /// Whether anything but the clock moved since the last save.
    fn head_changed(&self) -> bool {
        head(&self.rollout) != self.saved_head
    }

    /// Positions of the devices that changed since the last save.
    fn changed(&self) -> Vec<usize> {
        self.rollout
            .devices
            .iter()
            .zip(&self.saved)
            .enumerate()
            .filter(|(_, (now, saved))| now != saved)
            .map(|(position, _)| position)
            .collect()
    }
}

fn head(rollout: &Rollout) -> (Status, u32, usize) {
    (rollout.status.clone(), rollout.phase, rollout.samples.len())
}

pub struct Runner {
    store: Store,
    api: Api,
    /// Who this replica is, in the lease.
    holder: String,
    timing: Timing,
}

impl Runner {
    pub fn new(store: Store, api: Api, timing: Timing) -> Runner {
        let holder = format!("{}-{}-{}", hostname(), std::process::id(), unix_now_ms());
        Runner {
            store,
            api,
            holder,
            timing,
        }
    }

    /// Runs until the process ends: waits for the lease, then drives rollouts while it holds it.
    pub async fn run(self: Arc<Self>) {
        loop {
            match self
                .store
                .acquire_lease(LEASE, &self.holder, unix_now_ms(), self.ttl_ms())
                .await
            {
                Ok(true) => {
                    tracing::info!(holder = %self.holder, "driving rollouts (lease taken)");
                    if let Err(err) = self.drive().await {
                        tracing::warn!("stopped driving rollouts: {err}");
                    }
                }
                Ok(false) => {}
                Err(err) => tracing::warn!("cannot reach the store for the rollouts lease: {err}"),
            }
            tokio::time::sleep(self.timing.try_every).await;
        }
    }

    fn ttl_ms(&self) -> i64 {
        self.timing.lease_ttl.as_millis() as i64
    }

    /// Drives rollouts for as long as the lease holds.
    async fn drive(&self) -> Result<(), StoreError> {
        let (events_tx, mut events) = mpsc::unbounded_channel::<Event>();
        let mut driven: BTreeMap<String, Driven> = BTreeMap::new();
        let mut renewed = tokio::time::Instant::now();
        let mut polled = tokio::time::Instant::now();
        let mut polling = false;
        loop {
            if renewed.elapsed() >= self.timing.renew_every {
                if !self
                    .store
                    .acquire_lease(LEASE, &self.holder, unix_now_ms(), self.ttl_ms())
                    .await?
                {
                    tracing::warn!("the rollouts lease was lost: stopping");
                    return Ok(());
                }
                renewed = tokio::time::Instant::now();
            }
            let now = unix_now_ms();
            let mut inputs: Vec<(String, Input)> = Vec::new();
            // Rollouts made or left active elsewhere (a replica's API, before a restart).
            for id in self.store.active_rollouts().await? {
                if !driven.contains_key(&id) {
                    let rollout = self.store.get_rollout(&id).await?;
                    driven.insert(id.clone(), Driven::new(rollout));
                    // Whatever this replica did not ask for itself has an unknown result.
                    inputs.push((id, Input::Restarted));
                }
            }
            for (id, control) in self.store.take_controls().await? {
                if let Ok(control) =
                    serde_json::from_value::<Control>(serde_json::Value::String(control))
                {
                    // A finished rollout is driven again for a control that wakes it ("Retry
                    // failed" on a completed one).
                    if !driven.contains_key(&id) {
                        match self.store.get_rollout(&id).await {
                            Ok(rollout) => {
                                driven.insert(id.clone(), Driven::new(rollout));
                            }
                            Err(StoreError::NotFound(_)) => continue,
                            Err(err) => return Err(err),
                        }
                    }
                    inputs.push((id, Input::Control(control)));
                }
            }
            while let Ok(event) = events.try_recv() {
                match event {
                    Event::Written {
                        rollout,
                        sid,
                        result,
                    } => inputs.push((rollout, Input::Written { sid, result })),
                    Event::Read {
                        rollout,
                        sid,
                        report,
                    } => {
                        if let Some(d) = driven.get_mut(&rollout) {
                            d.reading.remove(&sid);
                        }
                        match report {
                            Ok(Some(report)) => {
                                inputs.push((rollout, Input::Observed { sid, report }))
                            }
                            Ok(None) => {
                                inputs.push((rollout, Input::Unreadable { sid, missing: true }))
                            }
                            Err(err) => {
                                tracing::debug!(%sid, "a read failed, tried again later: {err}")
                            }
                        }
                    }
                    Event::Polled { reports } => {
                        polling = false;
                        match reports {
                            Ok(reports) => {
                                for (id, d) in &driven {
                                    for device in d.rollout.watching() {
                                        if let Some(report) = reports.get(&device.sid) {
                                            inputs.push((
                                                id.clone(),
                                                Input::Observed {
                                                    sid: device.sid.clone(),
                                                    report: report.clone(),
                                                },
                                            ));
                                        }
                                    }
                                }
                            }
                            Err(err) => tracing::debug!("a poll failed, tried again later: {err}"),
                        }
                    }
                }
            }
            // Step every engine: the inputs, then the time.
            let mut actions: Vec<(String, Action)> = Vec::new();
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
            // Committed before anything they allow is done.
            for d in driven.values_mut() {
                let changed = d.changed();
                if !changed.is_empty() || d.head_changed() {
                    self.store.save_rollout(&d.rollout, &changed).await?;
                    d.saved = d.rollout.devices.clone();
                    d.saved_head = head(&d.rollout);
                }
            }
            for (id, action) in actions {
                match action {
                    Action::Write { sid } => {
                        let Some(d) = driven.get(&id) else { continue };
                        let (api, tx, target, store) = (
                            self.api.clone(),
                            events_tx.clone(),
                            d.rollout.target_app.clone(),
                            self.store.clone(),
                        );
                        tokio::spawn(async move {
                            let started = std::time::Instant::now();
                            let (result, status, code) = api.target(&sid, &target).await;
                            let took = started.elapsed().as_millis() as i64;
                            // In the audit log, marked with the rollout that made it.
                            crate::audit::append(
                                &store,
                                &audit_log::rollout_write(
                                    crate::emulator::unix_now_ms(),
                                    &id,
                                    &sid,
                                    &target,
                                    status,
                                    code,
                                    took,
                                ),
                            )
                            .await;
                            let _ = tx.send(Event::Written {
                                rollout: id,
                                sid,
                                result,
                            });
                        });
                    }
                    Action::Check { sid } => {
                        let Some(d) = driven.get_mut(&id) else {
                            continue;
                        };
                        if !d.reading.insert(sid.clone()) {
                            continue;
                        }
                        let (api, tx) = (self.api.clone(), events_tx.clone());
                        tokio::spawn(async move {
                            let report = api.device(&sid).await;
                            let _ = tx.send(Event::Read {
                                rollout: id,
                                sid,
                                report,
                            });
                        });
                    }
                }
            }
            // Watched devices: read one by one when few, else a page at a time.
            let watched: Vec<String> = driven
                .values()
                .flat_map(|d| d.rollout.watching().map(|device| device.sid.clone()))
                .collect();
            if !watched.is_empty() && !polling && polled.elapsed() >= self.timing.poll_every {
                polled = tokio::time::Instant::now();
                polling = true;
                let (api, tx) = (self.api.clone(), events_tx.clone());
                tokio::spawn(async move {
                    // A poll that never ends must not stop every later one.
                    let reports = tokio::time::timeout(POLL_LIMIT, poll(&api, &watched))
                        .await
                        .unwrap_or_else(|_| Err("the poll took too long".to_owned()));
                    if let Err(err) = &reports {
                        tracing::info!(
                            "a poll of {} devices failed, tried again: {err}",
                            watched.len()
                        );
                    }
                    let _ = tx.send(Event::Polled { reports });
                });
            }
            // Finished rollouts leave memory once nothing of theirs is out.
            driven.retain(|_, d| d.rollout.status.is_active() || d.rollout.has_writes_out());
            tokio::select! {
                event = events.recv() => {
                    if let Some(event) = event {
                        // Put it back for the next turn to take with the rest.
                        let _ = events_tx.send(event);
                    }
                }
                () = tokio::time::sleep(self.timing.tick) => {}
            }
        }
    }

    /// Gives the lease up (on a clean shutdown), so another replica takes over at once.
    pub async fn release(&self) {
        let _ = self.store.release_lease(LEASE, &self.holder).await;
    }
}

/// Reports of the watched devices.
async fn poll(api: &Api, watched: &[String]) -> Result<HashMap<String, Report>, String> {
    if watched.len() <= ONE_BY_ONE {
        let mut reports = HashMap::new();
        for sid in watched {
            if let Some(report) = api.device(sid).await? {
                reports.insert(sid.clone(), report);
            }
        }
        return Ok(reports);
    }
    let wanted: BTreeSet<&String> = watched.iter().collect();
    Ok(api
        .all_devices()
        .await?
        .into_iter()
        .filter_map(|device| {
            let sid = device.sid.clone()?;
            wanted.contains(&sid).then(|| (sid, Report::of(&device)))
        })
        .collect())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "console-server".to_owned())
}
