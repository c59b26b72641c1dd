//! The event log's tail, one per server: it reads the store's event log (written by whichever
//! replica did the thing, in the same transaction as the thing) every 100 ms and fans each
//! event out to every open stream through a bounded channel, and lets old events go.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use console_protocol::ConsoleEvent;
use tokio::sync::broadcast;

use crate::clock::unix_now_ms;
use crate::store::{Store, StoreError};

/// Events read from the store at once.
pub const BATCH: i64 = 500;
/// How often the hub looks for new events.
const TAIL_EVERY: Duration = Duration::from_millis(100);

/// One event as sent: its number, its kind (the SSE `event:`), its JSON.
#[derive(Debug)]
pub struct Published {
    pub seq: i64,
    pub name: &'static str,
    pub data: String,
}

impl Published {
    /// An event as the store keeps it: its kind was written beside it, so the body is sent
    /// as it is, never parsed here.
    pub fn of(seq: i64, kind: &str, body: String) -> Published {
        // A kind this build does not know (a newer replica's) still moves the stream on.
        let name = ConsoleEvent::NAMES
            .into_iter()
            .find(|name| *name == kind)
            .unwrap_or("unknown");
        Published {
            seq,
            name,
            data: body,
        }
    }

    pub fn resync() -> Published {
        Published {
            seq: 0,
            name: ConsoleEvent::Resync.name(),
            data: r#"{"kind":"resync"}"#.to_owned(),
        }
    }
}

/// The tail of the event log, fanned out.
pub struct EventHub {
    store: Store,
    sender: broadcast::Sender<Arc<Published>>,
    /// The last event published.
    last: AtomicI64,
    /// Events older than this are let go.
    kept: Duration,
}

impl EventHub {
    /// `buffer` events may wait for a stream before it is told to resync.
    pub fn new(store: Store, buffer: usize, kept: Duration) -> Arc<EventHub> {
        let (sender, _) = broadcast::channel(buffer.max(16));
        Arc::new(EventHub {
            store,
            sender,
            last: AtomicI64::new(-1),
            kept,
        })
    }

    /// Tails the log until the process ends, from its head when it starts.
    pub async fn run(self: Arc<Self>) {
        let mut pruned = tokio::time::Instant::now();
        loop {
            if let Err(err) = self.tail().await {
                tracing::warn!("the event stream cannot read the store: {err}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            if pruned.elapsed() >= Duration::from_secs(60) {
                let before = unix_now_ms() - self.kept.as_millis() as i64;
                if let Err(err) = self.store.prune_console_events(before).await {
                    tracing::warn!("old events were not let go: {err}");
                }
                pruned = tokio::time::Instant::now();
            }
            tokio::time::sleep(TAIL_EVERY).await;
        }
    }

    /// Publishes every event after the last one published.
    async fn tail(&self) -> Result<(), StoreError> {
        let mut last = self.last.load(Ordering::Acquire);
        if last < 0 {
            last = self.store.event_bounds().await?.0;
            self.last.store(last, Ordering::Release);
        }
        loop {
            let events = self.store.events_after(last, BATCH).await?;
            let full = events.len() as i64 == BATCH;
            for (seq, kind, body) in events {
                last = seq;
                self.last.store(seq, Ordering::Release);
                // No stream open is no error.
                let _ = self.sender.send(Arc::new(Published::of(seq, &kind, body)));
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.sender.subscribe()
    }

    /// The store it tails.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The last event published (-1 before the hub has read the store).
    pub fn last(&self) -> i64 {
        self.last.load(Ordering::Acquire)
    }
}
