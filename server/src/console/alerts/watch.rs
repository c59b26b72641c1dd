//! The alerts' watcher, on the replica holding the `alerts` lease: evaluates every rule after
//! each index pass and each rollout event (seen on the event log, whichever replica wrote
//! them) and every `--alert-interval` (conditions that move with the clock), and sends the
//! deliveries due. A transition is stored with its deliveries before any is sent; a delivery
//! is marked after its attempt, so a crash or failover between the two sends it again with
//! the same idempotency key, and never loses it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fleet_engine::DeviceFilter;
use fleet_engine::alerts::{AlertRule, CULPRITS_KEPT, Culprit, Scope, Seen};
use tokio::sync::broadcast::error::TryRecvError;
use tokio::time::Instant;

use super::webhook;
use crate::clock::unix_now_ms;
use crate::console::hub::EventHub;
use crate::console::lease::Lease;
use crate::store::{StateChange, Store, StoreError};

/// The lease's name in the store.
const LEASE: &str = "alerts";
/// Deliveries started at once, at most.
const SENDING: i64 = 32;

#[derive(Debug, Clone, Copy)]
pub struct WatchTiming {
    /// Every rule is evaluated at least this often.
    pub interval: Duration,
    pub lease_ttl: Duration,
    pub renew_every: Duration,
    pub try_every: Duration,
}

impl Default for WatchTiming {
    fn default() -> Self {
        WatchTiming {
            interval: Duration::from_secs(30),
            lease_ttl: Duration::from_secs(10),
            renew_every: Duration::from_secs(3),
            try_every: Duration::from_secs(2),
        }
    }
}

pub struct AlertWatch {
    store: Store,
    hub: Arc<EventHub>,
    lease: Lease,
    timing: WatchTiming,
    allow_private: bool,
    /// Webhooks with an attempt under way: one at a time each, so they arrive in order.
    sending: Arc<Mutex<HashSet<String>>>,
}

impl AlertWatch {
    pub fn new(
        store: Store,
        hub: Arc<EventHub>,
        holder: String,
        timing: WatchTiming,
        allow_private: bool,
    ) -> AlertWatch {
        AlertWatch {
            lease: Lease::new(
                store.clone(),
                LEASE,
                holder,
                timing.lease_ttl,
                timing.try_every,
            ),
            store,
            hub,
            timing,
            allow_private,
            sending: Arc::default(),
        }
    }

    /// Runs until the process ends: waits for the lease, then watches while it holds it.
    pub async fn run(self: Arc<Self>) {
        self.lease
            .run("watching alert rules", || self.watch())
            .await;
    }

    async fn take_lease(&self) -> Result<bool, StoreError> {
        self.lease.take().await
    }

    /// Gives the lease up on a clean shutdown.
    pub async fn release(&self) {
        self.lease.release().await;
    }

    async fn watch(&self) -> Result<(), StoreError> {
        let mut events = self.hub.subscribe();
        let mut renewed = Instant::now();
        let mut evaluated: Option<Instant> = None;
        loop {
            if renewed.elapsed() >= self.timing.renew_every {
                if !self.take_lease().await? {
                    tracing::warn!("the alerts lease was lost: stopping");
                    return Ok(());
                }
                renewed = Instant::now();
            }
            // A pass, a rollout's step or a rule changed since the last look asks for an
            // evaluation now.
            let mut asked = false;
            loop {
                match events.try_recv() {
                    // A person's change to a rule (not the watcher's own transitions).
                    Ok(event) => {
                        asked |= matches!(event.name, "pass" | "rollout")
                            || (event.name == "alert" && !event.data.contains("\"transition\""))
                    }
                    Err(TryRecvError::Lagged(_)) => asked = true,
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
            if asked || evaluated.is_none_or(|at| at.elapsed() >= self.timing.interval) {
                self.evaluate_all().await?;
                evaluated = Some(Instant::now());
            }
            self.send_due().await?;
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Evaluates every rule once; a rule that cannot be evaluated says why on itself.
    pub async fn evaluate_all(&self) -> Result<(), StoreError> {
        for (rule, _, _) in self.store.alert_rules().await? {
            let now_ms = unix_now_ms();
            let started = Instant::now();
            let change = match self.seen(&rule, now_ms).await {
                Ok(seen) => StateChange::Seen {
                    fires: rule.input.condition.fires(&seen),
                    seen,
                    now_ms,
                    took_ms: started.elapsed().as_millis() as u64,
                },
                Err(StoreError::Unavailable(err)) => return Err(StoreError::Unavailable(err)),
                Err(err) => StateChange::Failed {
                    error: err.to_string(),
                    now_ms,
                },
            };
            match self.store.change_alert(&rule.id, change).await {
                // Deleted meanwhile.
                Ok(_) | Err(StoreError::NotFound(_)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// What the rule's condition sees now.
    async fn seen(&self, rule: &AlertRule, now_ms: i64) -> Result<Seen, StoreError> {
        let condition = &rule.input.condition;
        let Some(test) = condition.device_test(now_ms) else {
            let rollouts = self.store.list_rollouts().await?;
            let counted: Vec<Culprit> = rollouts
                .iter()
                .filter(|r| {
                    condition.rollout_counts(&r.rollout.status, r.rollout.updated_ms, now_ms)
                })
                .map(|r| Culprit {
                    id: r.rollout.id.clone(),
                    name: r.rollout.name.clone(),
                })
                .collect();
            return Ok(Seen {
                count: counted.len() as u64,
                of: rollouts.len() as u64,
                culprits: counted.into_iter().take(CULPRITS_KEPT).collect(),
            });
        };
        let filter = match &rule.input.scope {
            Scope::Fleet => DeviceFilter::default(),
            Scope::Filter(filter) => filter.clone(),
            Scope::View(id) => self.store.get_view(id).await?.filter,
        };
        self.store.alert_seen(&filter, test, now_ms).await
    }

    /// Starts an attempt at every delivery due whose webhook has none under way.
    async fn send_due(&self) -> Result<(), StoreError> {
        for due in self.store.due_deliveries(unix_now_ms(), SENDING).await? {
            let webhook_id = due.webhook.id.clone();
            {
                let mut sending = self.sending.lock().expect("never poisoned");
                if !sending.insert(webhook_id.clone()) {
                    continue;
                }
            }
            let (store, sending, allow_private) = (
                self.store.clone(),
                Arc::clone(&self.sending),
                self.allow_private,
            );
            tokio::spawn(async move {
                let attempt = webhook::attempt(&due, allow_private).await;
                tracing::info!(
                    rule = %due.rule.id,
                    webhook = %webhook_id,
                    seq = due.transition.seq,
                    outcome = ?attempt,
                    "webhook delivery"
                );
                if let Err(err) = store
                    .record_attempt(&webhook_id, due.transition.seq, attempt, unix_now_ms())
                    .await
                {
                    tracing::warn!("a delivery's attempt was not recorded: {err}");
                }
                sending.lock().expect("never poisoned").remove(&webhook_id);
            });
        }
        Ok(())
    }
}
