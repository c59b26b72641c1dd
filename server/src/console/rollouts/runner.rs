//! The rollout runner: drives every active rollout's engine with the store, the API and a lease.
//!
//! Exactly one replica drives rollouts at a time: the one holding the `rollouts` lease in the
//! store (renewed every few seconds; when its holder dies, another takes it once it expires).
//! Every state change is committed to the store before the action it allows: a device's write
//! is recorded as asked for before the request goes out, and its result after. A replica that
//! takes over (or a restart) tells the engine so; the engine then reads every device whose
//! write was asked for without a recorded result, and never writes one blindly again.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use fleet_engine::rollout::{Action, Control, Input, Report};
use microvisor_api::DeviceUpdate;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::driven::{Driven, Event, Fleet, inputs_of, step_all, watched};
use crate::clock::unix_now_ms;
use crate::console::audit::{self, AppNames};
use crate::console::lease::Lease;
use crate::store::{Store, StoreError};
use crate::v1::client::Api;

/// The lease's name in the store.
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
const POLL_LIMIT: Duration = Duration::from_secs(30);

/// Up to this many watched devices are read one by one; more are read a page at a time.
const ONE_BY_ONE: usize = 20;

pub struct Runner {
    store: Store,
    api: Api,
    /// Shared with the auditor: the names its entries give apps.
    apps: AppNames,
    /// The rollouts' lease, as this replica holds it.
    lease: Lease,
    timing: Timing,
}

/// What one spell of driving (one hold of the lease) keeps between turns.
struct Spell {
    driven: Fleet,
    events_tx: mpsc::UnboundedSender<Event>,
    events: mpsc::UnboundedReceiver<Event>,
    renewed: Instant,
    polled: Instant,
    polling: bool,
}

impl Runner {
    pub fn new(store: Store, api: Api, apps: AppNames, timing: Timing) -> Runner {
        let holder = format!("{}-{}-{}", hostname(), std::process::id(), unix_now_ms());
        Runner {
            lease: Lease::new(
                store.clone(),
                LEASE,
                holder,
                timing.lease_ttl,
                timing.try_every,
            ),
            store,
            api,
            apps,
            timing,
        }
    }

    /// Who this replica is, in its leases.
    pub fn holder(&self) -> &str {
        self.lease.holder()
    }

    /// Runs until the process ends: waits for the lease, then drives rollouts while it holds it.
    pub async fn run(self: Arc<Self>) {
        self.lease.run("driving rollouts", || self.drive()).await;
    }

    async fn take_lease(&self) -> Result<bool, StoreError> {
        self.lease.take().await
    }

    /// Drives rollouts for as long as the lease holds, a turn at a time.
    async fn drive(&self) -> Result<(), StoreError> {
        let (events_tx, events) = mpsc::unbounded_channel::<Event>();
        let mut spell = Spell {
            driven: Fleet::new(),
            events_tx,
            events,
            renewed: Instant::now(),
            polled: Instant::now(),
            polling: false,
        };
        loop {
            if !self.renew_lease(&mut spell).await? {
                tracing::warn!("the rollouts lease was lost: stopping");
                return Ok(());
            }
            let now = unix_now_ms();
            let mut inputs = self.take_up_active(&mut spell.driven).await?;
            inputs.extend(self.take_controls(&mut spell.driven).await?);
            inputs.extend(spell.take_events());
            let actions = step_all(&mut spell.driven, inputs, now);
            // Committed before anything they allow is done.
            self.persist(&mut spell.driven).await?;
            self.dispatch(&mut spell, actions);
            self.start_poll(&mut spell);
            // Finished rollouts leave memory once nothing of theirs is out.
            spell.driven.retain(|_, d| d.is_live());
            spell.wait(self.timing.tick).await;
        }
    }

    /// Renews the lease when due; false once it is lost.
    async fn renew_lease(&self, spell: &mut Spell) -> Result<bool, StoreError> {
        if spell.renewed.elapsed() < self.timing.renew_every {
            return Ok(true);
        }
        let held = self.take_lease().await?;
        spell.renewed = Instant::now();
        Ok(held)
    }

    /// Rollouts made or left active elsewhere (a replica's API, before a restart): whatever
    /// this replica did not ask for itself has an unknown result.
    async fn take_up_active(&self, driven: &mut Fleet) -> Result<Vec<(String, Input)>, StoreError> {
        let mut inputs = Vec::new();
        for id in self.store.active_rollouts().await? {
            if !driven.contains_key(&id) {
                let rollout = self.store.get_rollout(&id).await?;
                driven.insert(id.clone(), Driven::new(rollout));
                inputs.push((id, Input::Restarted));
            }
        }
        Ok(inputs)
    }

    /// People's controls, queued by any replica. A finished rollout is driven again for a
    /// control that wakes it ("Retry failed" on a completed one).
    async fn take_controls(&self, driven: &mut Fleet) -> Result<Vec<(String, Input)>, StoreError> {
        let mut inputs = Vec::new();
        for (id, control) in self.store.take_controls().await? {
            let Ok(control) = serde_json::from_value::<Control>(serde_json::Value::String(control))
            else {
                continue;
            };
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
        Ok(inputs)
    }

    /// Saves every rollout that changed: its header and the devices that moved.
    async fn persist(&self, driven: &mut Fleet) -> Result<(), StoreError> {
        for d in driven.values_mut() {
            if let Some(changed) = d.unsaved() {
                self.store.save_rollout(&d.rollout, &changed).await?;
                d.mark_saved();
            }
        }
        Ok(())
    }

    /// Starts what the engines asked for, each in a task that reports back as an event.
    fn dispatch(&self, spell: &mut Spell, actions: Vec<(String, Action)>) {
        for (id, action) in actions {
            let Some(d) = spell.driven.get_mut(&id) else {
                continue;
            };
            match action {
                Action::Write { sid } => {
                    let update = d.rollout.change.update(&d.rollout.target_app);
                    let named = Named {
                        name: d.rollout.name.clone(),
                        started_by: d.rollout.started_by.clone(),
                        id,
                    };
                    let write = write_device(
                        self.api.clone(),
                        self.store.clone(),
                        self.apps.clone(),
                        named,
                        sid,
                        update,
                    );
                    spell.report(write);
                }
                Action::Check { sid } => {
                    if !d.start_reading(&sid) {
                        continue;
                    }
                    let api = self.api.clone();
                    spell.report(async move {
                        let report = api.device(&sid).await;
                        Event::Read {
                            rollout: id,
                            sid,
                            report,
                        }
                    });
                }
            }
        }
    }

    /// Reads the watched devices when a poll is due and none is under way.
    fn start_poll(&self, spell: &mut Spell) {
        let watched = watched(&spell.driven);
        if watched.is_empty() || spell.polling || spell.polled.elapsed() < self.timing.poll_every {
            return;
        }
        spell.polled = Instant::now();
        spell.polling = true;
        let api = self.api.clone();
        spell.report(async move {
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
            Event::Polled { reports }
        });
    }

    /// Gives the lease up (on a clean shutdown), so another replica takes over at once.
    pub async fn release(&self) {
        self.lease.release().await;
    }
}

impl Spell {
    /// Runs `task` in the background; what it ends with comes back as an event.
    fn report(&self, task: impl Future<Output = Event> + Send + 'static) {
        let events = self.events_tx.clone();
        tokio::spawn(async move {
            let _ = events.send(task.await);
        });
    }

    /// Every event reported since the last turn, as inputs.
    fn take_events(&mut self) -> Vec<(String, Input)> {
        let mut inputs = Vec::new();
        while let Ok(event) = self.events.try_recv() {
            if matches!(event, Event::Polled { .. }) {
                self.polling = false;
            }
            inputs.extend(inputs_of(&mut self.driven, event));
        }
        inputs
    }

    /// Until an event comes or a tick passes.
    async fn wait(&mut self, tick: Duration) {
        tokio::select! {
            event = self.events.recv() => {
                if let Some(event) = event {
                    // Put it back for the next turn to take with the rest.
                    let _ = self.events_tx.send(event);
                }
            }
            () = tokio::time::sleep(tick) => {}
        }
    }
}

/// The rollout a write is for, as its audit entry names it.
struct Named {
    id: String,
    name: String,
    started_by: Option<String>,
}

/// One device written the rollout's change, recorded in the audit log as the rollout's write:
/// read first (one read more per write) so the entry says what it ran before, as a person's
/// write's entry does.
async fn write_device(
    api: Api,
    store: Store,
    apps: AppNames,
    rollout: Named,
    sid: String,
    update: DeviceUpdate,
) -> Event {
    let path = format!("/v1/Devices/{}", microvisor_api::url::encode_segment(&sid));
    let form = update.to_form();
    let before = audit::device_before(&api, &path).await;

    let mentioned = audit_log::apps_mentioned(&before, None, form.as_bytes());
    let app_names = apps.of(&api, mentioned).await;
    let started = std::time::Instant::now();
    let (result, status, answer) = api.write_device(&path, form.clone()).await;
    let took = started.elapsed().as_millis() as i64;
    let entry = audit_log::rollout_write(audit_log::RolloutWrite {
        at_ms: unix_now_ms(),
        id: &rollout.id,
        name: &rollout.name,
        started_by: rollout.started_by.as_deref(),
        form: &form,
        path: &path,
        before,
        status,
        answer: &answer,
        duration_ms: took,
        app_names,
    });
    audit::append(&store, &entry).await;
    Event::Written {
        rollout: rollout.id,
        sid,
        result,
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
