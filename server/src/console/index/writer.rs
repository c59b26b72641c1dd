//! What one pass writes to the store: each page's new and changed rows with their timeline
//! events, about ten pages a transaction, and at the end the devices the whole pass did not list,
//! marked gone. The sync runs it over the API's pages; the tests run it over any fleets.

use std::collections::{BTreeMap, HashMap, HashSet};

use fleet_engine::index::{IndexRow, gone, page_writes};
use microvisor_api::Device;
use tokio::task::JoinHandle;

use crate::store::{PageWrite, Store, StoreError};

/// Rows read at once when looking for the gone at a pass's end.
const LIVE_BATCH: i64 = 5_000;
/// Rows held before they are written, in one transaction: at a million devices, commits
/// of ten pages instead of one halve a first pass on SQLite (each commit writes every
/// B-tree page it touched).
const WRITE_BATCH: usize = 10_000;

/// A set of SIDs a million strong in a sixth of the memory of their strings: a device SID
/// (`UV` and 32 hex digits) is kept as the 128-bit number it spells, any other as text.
#[derive(Default)]
struct SidSet {
    numbers: HashSet<u128>,
    other: HashSet<String>,
}

impl SidSet {
    fn number(sid: &str) -> Option<u128> {
        let digits = sid.strip_prefix("UV")?;
        // Lower-case hex only, so one SID has one number.
        (digits.len() == 32
            && digits
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then(|| u128::from_str_radix(digits, 16).ok())?
    }

    /// Whether it was new.
    fn insert(&mut self, sid: &str) -> bool {
        match SidSet::number(sid) {
            Some(n) => self.numbers.insert(n),
            None => self.other.insert(sid.to_owned()),
        }
    }

    fn contains(&self, sid: &str) -> bool {
        match SidSet::number(sid) {
            Some(n) => self.numbers.contains(&n),
            None => self.other.contains(sid),
        }
    }
}

pub struct PassWriter {
    store: Store,
    /// The SIDs listed so far: a device listed twice (the list moved under the pass) is
    /// written once, and those never listed are the gone.
    seen: SidSet,
    /// Pages read and compared but not yet written.
    held: Vec<PageWrite>,
    held_rows: usize,
    /// The write under way.
    writing: Option<JoinHandle<Result<(), StoreError>>>,
}

impl Drop for PassWriter {
    /// A pass that stops (its lease lost) stops its write too: PostgreSQL rolls it back.
    fn drop(&mut self) {
        if let Some(writing) = self.writing.take() {
            writing.abort();
        }
    }
}

impl PassWriter {
    pub fn new(store: Store) -> PassWriter {
        PassWriter {
            store,
            seen: SidSet::default(),
            held: Vec::new(),
            held_rows: 0,
            writing: None,
        }
    }

    /// Takes what changed on one page, as of `at_ms`, written with the pages after it once
    /// enough are held; how many rows that was.
    pub async fn page(&mut self, at_ms: i64, devices: &[Device]) -> Result<u64, StoreError> {
        let rows: Vec<IndexRow> = devices
            .iter()
            .filter_map(IndexRow::of)
            .filter(|row| self.seen.insert(&row.sid))
            .collect();
        // Hashes first: a device that did not change costs a short row, and only the
        // changed ones are read whole, for their timeline.
        let hashes: HashMap<String, (String, bool)> = self
            .store
            .index_hashes(rows.iter().map(|row| row.sid.clone()).collect())
            .await?
            .into_iter()
            .map(|(sid, hash, gone)| (sid, (hash, gone)))
            .collect();
        let rows: Vec<IndexRow> = rows
            .into_iter()
            .filter(|row| match hashes.get(&row.sid) {
                Some((hash, false)) => *hash != row.hash(),
                _ => true,
            })
            .collect();
        let known: Vec<String> = rows
            .iter()
            .filter(|row| hashes.contains_key(&row.sid))
            .map(|row| row.sid.clone())
            .collect();
        let stored: BTreeMap<String, (IndexRow, bool)> = if known.is_empty() {
            BTreeMap::new()
        } else {
            self.store
                .index_rows(known)
                .await?
                .into_iter()
                .map(|(row, gone)| (row.sid.clone(), (row, gone)))
                .collect()
        };
        let (write, events) = page_writes(&stored, rows);
        let written = write.len() as u64;
        if !write.is_empty() {
            self.held_rows += write.len();
            self.held.push(PageWrite {
                at_ms,
                rows: write,
                events,
            });
        }
        if self.held_rows >= WRITE_BATCH {
            self.flush().await?;
        }
        Ok(written)
    }

    /// Starts writing the pages held, in one transaction, once the one before has ended:
    /// the pass reads and compares the next pages meanwhile (on PostgreSQL, over another
    /// connection). At most one write is under way.
    pub async fn flush(&mut self) -> Result<(), StoreError> {
        self.settle().await?;
        if !self.held.is_empty() {
            let store = self.store.clone();
            let pages = std::mem::take(&mut self.held);
            self.held_rows = 0;
            self.writing = Some(tokio::spawn(
                async move { store.write_index_pages(pages).await },
            ));
        }
        Ok(())
    }

    /// Waits for the write under way, if any; its error is the pass's.
    async fn settle(&mut self) -> Result<(), StoreError> {
        match self.writing.take() {
            None => Ok(()),
            Some(writing) => writing
                .await
                .map_err(|err| StoreError::Unavailable(format!("an index write failed: {err}")))?,
        }
    }

    /// The whole fleet has been listed: every device in the index that was not is gone, as
    /// of `at_ms`. How many that was.
    pub async fn finish(mut self, at_ms: i64) -> Result<u64, StoreError> {
        self.flush().await?;
        self.settle().await?;
        let mut after = String::new();
        let mut gone_now = Vec::new();
        loop {
            let rows = self.store.live_after(&after, LIVE_BATCH).await?;
            let Some(last) = rows.last() else { break };
            after = last.sid.clone();
            gone_now.extend(
                rows.iter()
                    .filter(|row| !self.seen.contains(&row.sid))
                    .map(|row| (row.clone(), gone(row))),
            );
        }
        let count = gone_now.len() as u64;
        if !gone_now.is_empty() {
            self.store.mark_gone(at_ms, gone_now).await?;
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::SidSet;

    #[test]
    fn a_sid_set_tells_every_sid_apart_whatever_its_form() {
        let mut set = SidSet::default();
        let device = "UV0123456789abcdef0123456789abcdef";
        assert!(set.insert(device));
        assert!(!set.insert(device));
        assert!(set.contains(device));
        // Upper-case hex, a short SID and any other text are kept as text, apart.
        for other in ["UV0123456789ABCDEF0123456789ABCDEF", "UV12", "device-7", ""] {
            assert!(!set.contains(other), "{other}");
            assert!(set.insert(other), "{other}");
            assert!(set.contains(other), "{other}");
        }
        assert!(!set.contains("UV0123456789abcdef0123456789abcdee"));
        assert_eq!(set.numbers.len(), 1);
        assert_eq!(set.other.len(), 4);
    }
}
