//! What one pass writes to the store: each page's new and changed rows with their timeline
//! events, one transaction a page, and at the end the devices the whole pass did not list,
//! marked gone. The sync runs it over the API's pages; the tests run it over any fleets.

use std::collections::{BTreeMap, HashSet};

use fleet_engine::index::{IndexRow, gone, page_writes};
use microvisor_api::Device;

use crate::store::{Store, StoreError};

/// Rows read at once when looking for the gone at a pass's end.
const LIVE_BATCH: i64 = 5_000;

pub struct PassWriter {
    store: Store,
    /// The SIDs listed so far: a device listed twice (the list moved under the pass) is
    /// written once, and those never listed are the gone.
    seen: HashSet<String>,
}

impl PassWriter {
    pub fn new(store: Store) -> PassWriter {
        PassWriter {
            store,
            seen: HashSet::new(),
        }
    }

    /// Writes what changed on one page, as of `at_ms`; how many rows that was.
    pub async fn page(&mut self, at_ms: i64, devices: &[Device]) -> Result<u64, StoreError> {
        let rows: Vec<IndexRow> = devices
            .iter()
            .filter_map(IndexRow::of)
            .filter(|row| self.seen.insert(row.sid.clone()))
            .collect();
        let stored: BTreeMap<String, (IndexRow, bool)> = self
            .store
            .index_rows(rows.iter().map(|row| row.sid.clone()).collect())
            .await?
            .into_iter()
            .map(|(row, gone)| (row.sid.clone(), (row, gone)))
            .collect();
        let (write, events) = page_writes(&stored, rows);
        let written = write.len() as u64;
        if !write.is_empty() {
            self.store.write_index_page(at_ms, write, events).await?;
        }
        Ok(written)
    }

    /// The whole fleet has been listed: every device in the index that was not is gone, as
    /// of `at_ms`. How many that was.
    pub async fn finish(self, at_ms: i64) -> Result<u64, StoreError> {
        let mut after = String::new();
        let mut gone_now = Vec::new();
        loop {
            let rows = self.store.live_after(&after, LIVE_BATCH).await?;
            let Some(last) = rows.last() else { break };
            after = last.sid.clone();
            gone_now.extend(
                rows.iter()
                    .filter(|row| !self.seen.contains(&row.sid))
                    .map(|row| (row.sid.clone(), gone(row))),
            );
        }
        let count = gone_now.len() as u64;
        if !gone_now.is_empty() {
            self.store.mark_gone(at_ms, gone_now).await?;
        }
        Ok(count)
    }
}
