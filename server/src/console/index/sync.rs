//! The index's sync: on the replica holding the `fleet-index` lease, a pass over the whole
//! fleet every `--index-interval` (at once when one took longer, or when "Refresh now" asks),
//! through the server's own client of `/v1` (the emulator in-process, or the upstream). The
//! changed rows of about ten pages and their timeline are one transaction; devices not
//! listed by a whole pass are marked gone at its end. A pass cut short (a `kill -9`, a lost
//! lease, the API failing) leaves every transaction it committed whole, and the next driver
//! starts a fresh one.

use std::sync::Arc;
use std::time::Duration;

use console_protocol::PassInfo;
use microvisor_api::{Device, ListPage};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::clock::unix_now_ms;
use crate::console::index::writer::PassWriter;
use crate::console::lease::Lease;
use crate::console::shared::new_id;
use crate::store::{Store, StoreError};
use crate::v1::client::{Api, first_devices_page, next_page};

/// The lease's name in the store (the rollouts' is another).
/// The lease's name in the store.
const LEASE: &str = "fleet-index";

/// How the sync paces itself.
#[derive(Debug, Clone, Copy)]
pub struct SyncTiming {
    /// A full pass this often (the next starts at once when one takes longer).
    pub interval: Duration,
    /// Pages read ahead of the store: the list is a chain (each page's link is in the one
    /// before), so more than two gains nothing but memory.
    pub concurrency: usize,
    /// Timeline events older than this are let go.
    pub history: Duration,
    pub lease_ttl: Duration,
    pub renew_every: Duration,
    pub try_every: Duration,
}

impl Default for SyncTiming {
    fn default() -> Self {
        SyncTiming {
            interval: Duration::from_secs(60),
            concurrency: 2,
            history: Duration::from_secs(30 * 86_400),
            lease_ttl: Duration::from_secs(10),
            renew_every: Duration::from_secs(3),
            try_every: Duration::from_secs(2),
        }
    }
}

/// Events let go per prune, so a prune never holds the store for long.
const PRUNE_BATCH: i64 = 10_000;
/// Passes whose records are kept.
const PASSES_KEPT: i64 = 100;

pub struct IndexSync {
    store: Store,
    api: Api,
    lease: Lease,
    timing: SyncTiming,
}

/// Why a pass stopped before its end.
enum Stopped {
    Store(StoreError),
    Api(String),
    LeaseLost,
}

impl From<StoreError> for Stopped {
    fn from(err: StoreError) -> Stopped {
        Stopped::Store(err)
    }
}

impl Stopped {
    fn describe(&self) -> String {
        match self {
            Stopped::Store(err) => err.to_string(),
            Stopped::Api(err) => format!("the Microvisor API: {err}"),
            Stopped::LeaseLost => "another replica took over the index".to_owned(),
        }
    }
}

impl IndexSync {
    pub fn new(store: Store, api: Api, holder: String, timing: SyncTiming) -> IndexSync {
        IndexSync {
            lease: Lease::new(
                store.clone(),
                LEASE,
                holder,
                timing.lease_ttl,
                timing.try_every,
            ),
            store,
            api,
            timing,
        }
    }

    /// Runs until the process ends: waits for the lease, then keeps the index while it
    /// holds it.
    pub async fn run(self: Arc<Self>) {
        self.lease
            .run("keeping the fleet index", || self.drive())
            .await;
    }

    async fn take_lease(&self) -> Result<bool, StoreError> {
        self.lease.take().await
    }

    /// Passes, one after another, for as long as the lease holds.
    async fn drive(&self) -> Result<(), StoreError> {
        // A pass left running by a replica that went away will not end by itself.
        self.store.close_unfinished_passes(unix_now_ms()).await?;
        let mut renewed = Instant::now();
        let mut next_pass = Instant::now();
        loop {
            if renewed.elapsed() >= self.timing.renew_every {
                if !self.take_lease().await? {
                    tracing::warn!("the index lease was lost: stopping");
                    return Ok(());
                }
                renewed = Instant::now();
            }
            let asked = self.store.take_refresh().await?;
            if asked || Instant::now() >= next_pass {
                let started = Instant::now();
                let lease_lost = self.pass().await;
                renewed = Instant::now();
                next_pass = started + self.timing.interval;
                if lease_lost {
                    return Ok(());
                }
                self.prune().await?;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Lets go of events past the history, in batches, and of old pass records.
    async fn prune(&self) -> Result<(), StoreError> {
        let before = unix_now_ms() - self.timing.history.as_millis() as i64;
        while self.store.prune_events(before, PRUNE_BATCH).await? == PRUNE_BATCH as u64 {}
        self.store.prune_passes(PASSES_KEPT).await
    }

    /// One pass over the whole fleet, its record saying how it went; true when it stopped
    /// because the lease was lost.
    async fn pass(&self) -> bool {
        let id = new_id("IP");
        let mut pass = PassInfo {
            started_ms: unix_now_ms(),
            ..PassInfo::default()
        };
        let outcome = self.pass_pages(&id, &mut pass).await;
        pass.finished_ms = unix_now_ms();
        if let Err(stopped) = &outcome {
            tracing::warn!("a pass of the index stopped: {}", stopped.describe());
            pass.error = Some(stopped.describe());
        }
        if let Err(err) = self
            .store
            .record_pass(&id, self.lease.holder(), pass.clone())
            .await
        {
            tracing::warn!("the pass's record was not written: {err}");
        }
        // A pass that rewrote a tenth of the index or more (the first, above all) leaves the
        // planner's statistics behind.
        if outcome.is_ok()
            && pass.written * 10 >= pass.listed
            && pass.written > 0
            && let Err(err) = self.store.analyze_index().await
        {
            tracing::warn!("the index's statistics were not brought up to date: {err}");
        }
        tracing::info!(
            listed = pass.listed,
            written = pass.written,
            gone = pass.gone,
            ms = pass.finished_ms - pass.started_ms,
            "index pass"
        );
        matches!(outcome, Err(Stopped::LeaseLost))
    }

    async fn pass_pages(&self, id: &str, pass: &mut PassInfo) -> Result<(), Stopped> {
        self.store
            .record_pass(id, self.lease.holder(), pass.clone())
            .await?;
        let apps = self.api.apps().await.map_err(Stopped::Api)?;
        let apps = apps
            .into_iter()
            .filter_map(|app| Some((app.sid?, app.unique_name.unwrap_or_default())))
            .collect();
        self.store.replace_apps(apps).await?;
        // Pages are read ahead of the store, one chain of links, a bounded queue apart.
        let (pages_tx, mut pages) =
            mpsc::channel::<Result<ListPage<Device>, String>>(self.timing.concurrency.max(2) - 1);
        let api = self.api.clone();
        let reader = tokio::spawn(async move {
            let mut next = Some(first_devices_page());
            while let Some(path) = next.take() {
                let page = api.devices_page(&path).await;
                if let Ok(page) = &page {
                    next = next_page(page);
                }
                let failed = page.is_err();
                if pages_tx.send(page).await.is_err() || failed {
                    return;
                }
            }
        });
        let mut writer = PassWriter::new(self.store.clone());
        let mut renewed = Instant::now();
        while let Some(page) = pages.recv().await {
            let page = page.map_err(Stopped::Api)?;
            let at_ms = unix_now_ms();
            let writing = Instant::now();
            let written = writer.page(at_ms, &page.items).await?;
            pass.store_ms += writing.elapsed().as_millis() as u64;
            pass.pages += 1;
            pass.listed += page.items.len() as u64;
            pass.written += written;
            if renewed.elapsed() >= self.timing.renew_every {
                if !self.take_lease().await? {
                    reader.abort();
                    return Err(Stopped::LeaseLost);
                }
                self.store
                    .record_pass(id, self.lease.holder(), pass.clone())
                    .await?;
                renewed = Instant::now();
            }
        }
        let _ = reader.await;
        let writing = Instant::now();
        pass.gone = writer.finish(unix_now_ms()).await?;
        pass.store_ms += writing.elapsed().as_millis() as u64;
        Ok(())
    }

    /// Gives the lease up (on a clean shutdown), so another replica takes over at once.
    pub async fn release(&self) {
        self.lease.release().await;
    }
}
