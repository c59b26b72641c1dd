//! A lease in the console store: one replica at a time does one kind of background work
//! (drive rollouts, keep the index, watch alerts). Taken, renewed by the work as it goes,
//! given up on a clean shutdown so another replica takes over at once.

use std::future::Future;
use std::time::Duration;

use crate::clock::unix_now_ms;
use crate::store::{Store, StoreError};

pub struct Lease {
    store: Store,
    name: &'static str,
    holder: String,
    ttl: Duration,
    try_every: Duration,
}

impl Lease {
    /// The lease `name` as `holder` would hold it: for `ttl` from each renewal, tried for
    /// every `try_every` while another holds it.
    pub fn new(
        store: Store,
        name: &'static str,
        holder: String,
        ttl: Duration,
        try_every: Duration,
    ) -> Lease {
        Lease {
            store,
            name,
            holder,
            ttl,
            try_every,
        }
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Takes or renews it; whether this replica holds it now.
    pub async fn take(&self) -> Result<bool, StoreError> {
        let ttl_ms = self.ttl.as_millis() as i64;
        self.store
            .acquire_lease(self.name, &self.holder, unix_now_ms(), ttl_ms)
            .await
    }

    /// Gives it up (on a clean shutdown).
    pub async fn release(&self) {
        let _ = self.store.release_lease(self.name, &self.holder).await;
    }

    /// Until the process ends: waits for the lease, then runs `work` (`what`, for the log),
    /// which returns when the lease is lost or the work fails, and waits again.
    pub async fn run<F, W>(&self, what: &str, mut work: F)
    where
        F: FnMut() -> W,
        W: Future<Output = Result<(), StoreError>>,
    {
        loop {
            match self.take().await {
                Ok(true) => {
                    tracing::info!(holder = %self.holder, "{what} (lease taken)");
                    if let Err(err) = work().await {
                        tracing::warn!("stopped {what}: {err}");
                    }
                }
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!("cannot reach the store for the {} lease: {err}", self.name)
                }
            }
            tokio::time::sleep(self.try_every).await;
        }
    }
}
