//! The console store: what console-server keeps of its own (saved views, rollouts and their
//! devices, leases, the audit log, the fleet index, alert rules, the event log), in SQLite (embedded, the default) or PostgreSQL (for several
//! replicas). Every operation is one transaction, written once (`ops.rs`) over what the two
//! drivers share (`tx.rs`), with every statement in `sql.rs`; `sqlite.rs` and `postgres.rs`
//! hold only what differs: connecting, and running a transaction.
//!
//! rusqlite and tokio-postgres (with deadpool for a pool) rather than one abstraction over both:
//! each is the well-kept, thin client for its database.

mod alerts;
mod error;
mod events;
mod fleet;
mod fleet_query;
mod fleet_sql;
mod migrations;
mod ops;
mod postgres;
mod sql;
mod sqlite;
mod tx;
mod url;

use console_protocol::{ConsoleEvent, Delivery, RolloutSummary};
use console_protocol::{FleetCounts, Freshness, PassInfo};
use fleet_engine::DeviceFilter;
use fleet_engine::alerts::{
    AlertRule, AlertState, CULPRITS_KEPT, DeviceTest, RuleInput, Seen, Transition,
};
use fleet_engine::index::{Change, IndexRow};
use fleet_engine::rollout::Rollout;

pub use alerts::{Attempt, Due, StateChange, Webhook};
pub use audit_log::AuditRow;
pub use console_protocol::SavedView as StoredView;
pub use error::StoreError;
pub use fleet::PageWrite;
pub use fleet_query::PageAsk;
pub use migrations::SCHEMA_VERSION;
pub use url::{database_url, redact_url};

use tx::{Tx, TxFuture};

/// A rule, its alert's state, and its webhooks.
pub type RuleWithState = (AlertRule, AlertState, Vec<Webhook>);

/// The store, on one of its two backends.
#[derive(Clone)]
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

impl Store {
    /// Opens (creating a SQLite file and its folder when needed) and migrates to this version's
    /// schema. A store from a newer version is refused, untouched.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_at(url, SCHEMA_VERSION).await
    }

    /// As `open`, migrating only up to `version` (tests make old stores with it).
    pub async fn open_at(url: &str, version: i64) -> Result<Store, StoreError> {
        let store = if let Some(path) = url.strip_prefix("sqlite:") {
            Store::Sqlite(sqlite::SqliteStore::open(path).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Store::Postgres(postgres::PgStore::open(url).await?)
        } else {
            return Err(StoreError::Incompatible(format!(
                "--database takes sqlite:PATH or postgres://…; got '{}'",
                redact_url(url)
            )));
        };
        let found = store.write(|tx| Box::pin(ops::prepare_schema(tx))).await?;
        // One version per transaction, so a store is always at exactly one version.
        for target in (found + 1)..=version.min(SCHEMA_VERSION) {
            store
                .write(move |tx| Box::pin(ops::migrate_to(tx, target)))
                .await?;
        }
        Ok(store)
    }

    /// "SQLite at PATH" or "PostgreSQL at HOST/DB", with no password.
    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite(s) => format!("SQLite at {}", s.path()),
            Store::Postgres(p) => format!("PostgreSQL at {}", p.describe()),
        }
    }

    /// Runs `work` in a transaction that writes.
    async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut dyn Tx) -> TxFuture<'a, T, StoreError> + Send + 'static,
    {
        match self {
            Store::Sqlite(s) => s.run(true, work).await,
            Store::Postgres(p) => p.run(work).await,
        }
    }

    /// Runs `work` in a transaction that only reads.
    async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut dyn Tx) -> TxFuture<'a, T, StoreError> + Send + 'static,
    {
        match self {
            Store::Sqlite(s) => s.run(false, work).await,
            Store::Postgres(p) => p.run(work).await,
        }
    }

    /// The schema version the store is at.
    pub async fn version(&self) -> Result<i64, StoreError> {
        self.read(|tx| Box::pin(ops::version(tx))).await
    }

    // ---- saved views ----

    pub async fn list_views(&self) -> Result<Vec<StoredView>, StoreError> {
        self.read(|tx| Box::pin(ops::list_views(tx))).await
    }

    pub async fn get_view(&self, id: &str) -> Result<StoredView, StoreError> {
        let id = id.to_owned();
        self.read(|tx| Box::pin(ops::get_view(tx, id))).await
    }

    pub async fn create_view(&self, view: &StoredView) -> Result<(), StoreError> {
        let view = view.clone();
        self.write(|tx| Box::pin(ops::create_view(tx, view))).await
    }

    /// Renames a view and, when given, replaces its filter.
    pub async fn update_view(
        &self,
        id: &str,
        name: &str,
        filter: Option<&DeviceFilter>,
        now: i64,
    ) -> Result<StoredView, StoreError> {
        let (id, name, filter) = (id.to_owned(), name.to_owned(), filter.cloned());
        self.write(move |tx| Box::pin(ops::update_view(tx, id, name, filter, now)))
            .await
    }

    pub async fn delete_view(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(|tx| Box::pin(ops::delete_view(tx, id))).await
    }

    // ---- the audit log ----

    /// Appends one entry at the chain's head, taking turns with every other appender; its
    /// number.
    pub async fn append_audit(&self, at_ms: i64, entry: &str) -> Result<i64, StoreError> {
        let entry = entry.to_owned();
        self.write(move |tx| Box::pin(ops::append_audit(tx, at_ms, entry)))
            .await
    }

    /// Up to `limit` entries numbered below `before`, newest first.
    pub async fn audit_before(&self, before: i64, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        self.read(move |tx| Box::pin(ops::audit_rows(tx, sql::AUDIT_BEFORE, before, limit)))
            .await
    }

    /// Up to `limit` entries numbered above `after`, oldest first.
    pub async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        self.read(move |tx| Box::pin(ops::audit_rows(tx, sql::AUDIT_AFTER, after, limit)))
            .await
    }

    /// The chain's head: the last entry's number and hash (0 and "" when empty).
    pub async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        self.read(|tx| Box::pin(ops::audit_head(tx))).await
    }

    // ---- leases ----

    /// Takes or renews the lease `name` for `holder` until `now + ttl_ms`, when no one else
    /// holds it or their hold has expired. True when `holder` has it now.
    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |tx| Box::pin(ops::acquire_lease(tx, name, holder, now, ttl_ms)))
            .await
    }

    /// Gives the lease up at once (a clean shutdown), so another replica need not wait.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |tx| Box::pin(ops::release_lease(tx, name, holder)))
            .await
    }

    // ---- rollouts ----

    /// Saves a rollout: its header, and the devices in `changed` (positions in
    /// `rollout.devices`), in one transaction. A new rollout is saved with every device.
    pub async fn save_rollout(
        &self,
        rollout: &Rollout,
        changed: &[usize],
    ) -> Result<(), StoreError> {
        let (rollout, changed) = (rollout.clone(), changed.to_vec());
        self.write(move |tx| Box::pin(ops::save_rollout(tx, rollout, changed)))
            .await
    }

    /// Every rollout, newest first, without their devices' detail (counts are in the header).
    pub async fn list_rollouts(&self) -> Result<Vec<RolloutSummary>, StoreError> {
        self.read(|tx| Box::pin(ops::list_rollouts(tx))).await
    }

    /// A whole rollout.
    pub async fn get_rollout(&self, id: &str) -> Result<Rollout, StoreError> {
        let id = id.to_owned();
        self.read(|tx| Box::pin(ops::get_rollout(tx, id))).await
    }

    /// Queues a person's control for the replica that drives rollouts.
    pub async fn queue_control(
        &self,
        id: &str,
        rollout_id: &str,
        control: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let (id, rollout_id, control) = (id.to_owned(), rollout_id.to_owned(), control.to_owned());
        self.write(move |tx| Box::pin(ops::queue_control(tx, id, rollout_id, control, now)))
            .await
    }

    /// Takes every queued control, oldest first: (rollout id, control).
    pub async fn take_controls(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.write(|tx| Box::pin(ops::take_controls(tx))).await
    }

    /// The ids of rollouts that may still write or are watching writes.
    pub async fn active_rollouts(&self) -> Result<Vec<String>, StoreError> {
        self.read(|tx| Box::pin(ops::active_rollouts(tx))).await
    }

    // ---- the fleet index ----

    /// The stored rows of these SIDs, each with whether it is gone.
    /// The planner's statistics of the index brought up to date; on PostgreSQL its
    /// visibility map too (`VACUUM`, outside any transaction), so counts read the partial
    /// indexes alone.
    pub async fn analyze_index(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(_) => self.write(|tx| Box::pin(fleet::analyze(tx))).await,
            Store::Postgres(p) => p.outside_transaction(fleet::VACUUM_INDEX).await,
        }
    }

    pub async fn index_hashes(
        &self,
        sids: Vec<String>,
    ) -> Result<Vec<(String, String, bool)>, StoreError> {
        self.read(|tx| Box::pin(fleet::hashes_of(tx, sids))).await
    }

    pub async fn index_rows(&self, sids: Vec<String>) -> Result<Vec<(IndexRow, bool)>, StoreError> {
        self.read(|tx| Box::pin(fleet::rows_of(tx, sids))).await
    }

    /// What one page of a pass found, in one transaction.
    pub async fn write_index_page(
        &self,
        at_ms: i64,
        rows: Vec<IndexRow>,
        events: Vec<(String, Change)>,
    ) -> Result<(), StoreError> {
        self.write_index_pages(vec![fleet::PageWrite {
            at_ms,
            rows,
            events,
        }])
        .await
    }

    /// What several pages of a pass found, in one transaction: fewer, larger commits write
    /// each index page touched once instead of once per page of devices.
    pub async fn write_index_pages(&self, pages: Vec<fleet::PageWrite>) -> Result<(), StoreError> {
        self.write(move |tx| {
            Box::pin(async move {
                let Some(at_ms) = pages.last().map(|page| page.at_ms) else {
                    return Ok(());
                };
                let event =
                    events::devices_event(pages.iter().flat_map(|page| page.rows.iter()), false);
                for page in pages {
                    fleet::write_page(tx, page.at_ms, page.rows, page.events).await?;
                }
                events::append(tx, at_ms, &event).await?;
                Ok(())
            })
        })
        .await
    }

    /// Devices no longer listed (as they were last seen), with their events, in one
    /// transaction.
    pub async fn mark_gone(
        &self,
        at_ms: i64,
        gone: Vec<(IndexRow, Change)>,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            Box::pin(async move {
                let event = events::devices_event(gone.iter().map(|(row, _)| row), true);
                let gone = gone
                    .into_iter()
                    .map(|(row, change)| (row.sid, change))
                    .collect();
                fleet::mark_gone(tx, at_ms, gone).await?;
                events::append(tx, at_ms, &event).await?;
                Ok(())
            })
        })
        .await
    }

    /// Rows still listed, by SID after `after`.
    pub async fn live_after(&self, after: &str, limit: i64) -> Result<Vec<IndexRow>, StoreError> {
        let after = after.to_owned();
        self.read(move |tx| Box::pin(fleet::live_after(tx, after, limit)))
            .await
    }

    pub async fn record_pass(
        &self,
        id: &str,
        holder: &str,
        pass: PassInfo,
    ) -> Result<(), StoreError> {
        let (id, holder) = (id.to_owned(), holder.to_owned());
        self.write(move |tx| {
            Box::pin(async move {
                let ended = (pass.finished_ms > 0).then_some(ConsoleEvent::Pass {
                    listed: pass.listed,
                    written: pass.written,
                    gone: pass.gone,
                });
                let at_ms = pass.finished_ms;
                fleet::record_pass(tx, id, holder, pass).await?;
                if let Some(event) = ended {
                    events::append(tx, at_ms, &event).await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Ends the records of passes whose replica went away mid-pass.
    pub async fn close_unfinished_passes(&self, now_ms: i64) -> Result<(), StoreError> {
        self.write(move |tx| Box::pin(fleet::close_unfinished_passes(tx, now_ms)))
            .await
    }

    /// How fresh the index is.
    pub async fn freshness(&self) -> Result<Freshness, StoreError> {
        self.read(|tx| Box::pin(fleet::freshness(tx))).await
    }

    pub async fn prune_passes(&self, keep: i64) -> Result<(), StoreError> {
        self.write(move |tx| Box::pin(fleet::prune_passes(tx, keep)))
            .await
    }

    /// The account's apps as last listed, by SID and name.
    pub async fn replace_apps(&self, apps: Vec<(String, String)>) -> Result<(), StoreError> {
        self.write(move |tx| Box::pin(fleet::replace_apps(tx, apps)))
            .await
    }

    /// A page of the index: rows, the cursor after them, the total the filter keeps.
    pub async fn fleet_page(
        &self,
        ask: PageAsk,
    ) -> Result<(Vec<IndexRow>, Option<String>, Option<u64>), StoreError> {
        self.read(move |tx| Box::pin(fleet_query::page(tx, ask)))
            .await
    }

    /// Every row the filter keeps, by SID.
    pub async fn fleet_matching(
        &self,
        filter: &DeviceFilter,
        now_ms: i64,
    ) -> Result<Vec<IndexRow>, StoreError> {
        let filter = filter.clone();
        self.read(move |tx| Box::pin(fleet_query::sids_matching(tx, filter, now_ms)))
            .await
    }

    /// The counts over what the filter keeps.
    pub async fn fleet_counts(
        &self,
        filter: &DeviceFilter,
        now_ms: i64,
        pending_hours: u32,
    ) -> Result<FleetCounts, StoreError> {
        let filter = filter.clone();
        self.read(move |tx| Box::pin(fleet_query::counts(tx, filter, now_ms, pending_hours)))
            .await
    }

    /// A device's timeline, newest first: (at, kind, before, after).
    pub async fn timeline(
        &self,
        sid: &str,
        limit: i64,
    ) -> Result<Vec<(i64, String, Option<String>, Option<String>)>, StoreError> {
        let sid = sid.to_owned();
        self.read(move |tx| Box::pin(fleet::timeline(tx, sid, limit)))
            .await
    }

    /// Lets go of up to `batch` events older than `before_ms`; how many went.
    pub async fn prune_events(&self, before_ms: i64, batch: i64) -> Result<u64, StoreError> {
        self.write(move |tx| Box::pin(fleet::prune_events(tx, before_ms, batch)))
            .await
    }

    /// "Refresh now", for whichever replica holds the index's lease.
    pub async fn ask_refresh(&self, id: &str, now_ms: i64) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |tx| Box::pin(fleet::ask_refresh(tx, id, now_ms)))
            .await
    }

    /// Takes every refresh asked for; whether there was one.
    pub async fn take_refresh(&self) -> Result<bool, StoreError> {
        self.write(|tx| Box::pin(fleet::take_refresh(tx))).await
    }

    /// What an alert's device test sees among the devices `filter` keeps.
    pub async fn alert_seen(
        &self,
        filter: &DeviceFilter,
        test: DeviceTest,
        now_ms: i64,
    ) -> Result<Seen, StoreError> {
        let filter = filter.clone();
        let kept = CULPRITS_KEPT as i64;
        self.read(move |tx| Box::pin(fleet_query::seen(tx, filter, test, now_ms, kept)))
            .await
    }

    // ---- the event log ----

    /// Up to `limit` events after number `after`: (number, kind, body).
    pub async fn events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        self.read(move |tx| Box::pin(events::after(tx, after, limit)))
            .await
    }

    /// The last event's number, and the oldest kept.
    pub async fn event_bounds(&self) -> Result<(i64, i64), StoreError> {
        self.read(|tx| Box::pin(events::bounds(tx))).await
    }

    /// Lets go of events older than `before_ms`.
    pub async fn prune_console_events(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.write(move |tx| Box::pin(events::prune(tx, before_ms)))
            .await
    }

    // ---- alert rules ----

    pub async fn create_alert_rule(
        &self,
        rule: AlertRule,
        webhooks: Vec<Webhook>,
    ) -> Result<(), StoreError> {
        self.write(move |tx| Box::pin(alerts::create_rule(tx, rule, webhooks)))
            .await
    }

    pub async fn update_alert_rule(
        &self,
        id: &str,
        input: RuleInput,
        now_ms: i64,
    ) -> Result<AlertRule, StoreError> {
        let id = id.to_owned();
        self.write(move |tx| Box::pin(alerts::update_rule(tx, id, input, now_ms)))
            .await
    }

    pub async fn delete_alert_rule(&self, id: &str, now_ms: i64) -> Result<AlertRule, StoreError> {
        let id = id.to_owned();
        self.write(move |tx| Box::pin(alerts::delete_rule(tx, id, now_ms)))
            .await
    }

    pub async fn alert_rule(&self, id: &str) -> Result<RuleWithState, StoreError> {
        let id = id.to_owned();
        self.read(move |tx| Box::pin(alerts::get_rule(tx, id)))
            .await
    }

    pub async fn alert_rules(&self) -> Result<Vec<RuleWithState>, StoreError> {
        self.read(|tx| Box::pin(alerts::list_rules(tx))).await
    }

    pub async fn add_webhook(&self, webhook: Webhook) -> Result<(), StoreError> {
        self.write(move |tx| Box::pin(alerts::add_webhook(tx, webhook)))
            .await
    }

    pub async fn delete_webhook(&self, rule_id: &str, id: &str) -> Result<(), StoreError> {
        let (rule_id, id) = (rule_id.to_owned(), id.to_owned());
        self.write(move |tx| Box::pin(alerts::delete_webhook(tx, rule_id, id)))
            .await
    }

    /// Applies an evaluation's result or a person's act to a rule's alert.
    pub async fn change_alert(
        &self,
        id: &str,
        change: StateChange,
    ) -> Result<(AlertState, Option<Transition>), StoreError> {
        let id = id.to_owned();
        self.write(move |tx| Box::pin(alerts::change_state(tx, id, change)))
            .await
    }

    /// A rule's transitions and deliveries, newest first.
    pub async fn alert_history(
        &self,
        id: &str,
        limit: i64,
    ) -> Result<(Vec<Transition>, Vec<Delivery>), StoreError> {
        let id = id.to_owned();
        self.read(move |tx| Box::pin(alerts::history(tx, id, limit)))
            .await
    }

    /// Deliveries due now, each webhook's oldest pending one.
    pub async fn due_deliveries(&self, now_ms: i64, limit: i64) -> Result<Vec<Due>, StoreError> {
        self.read(move |tx| Box::pin(alerts::due(tx, now_ms, limit)))
            .await
    }

    pub async fn record_attempt(
        &self,
        webhook_id: &str,
        seq: u64,
        attempt: Attempt,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let webhook_id = webhook_id.to_owned();
        self.write(move |tx| Box::pin(alerts::record_attempt(tx, webhook_id, seq, attempt, now_ms)))
            .await
    }

    /// How many rules are firing.
    pub async fn alerts_firing(&self) -> Result<u64, StoreError> {
        self.read(|tx| Box::pin(alerts::firing(tx))).await
    }
}
