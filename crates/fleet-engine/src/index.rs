//! The fleet index's pure rules, run by the server's sync and checked by property tests: a
//! device as an index row (the fields filters, sorts and summaries use), a row's hash, what
//! changed between two rows (the device's timeline), and a pass applied to an index held in
//! memory (the model the stored index is measured against).

use std::collections::BTreeMap;

use microvisor_api::time::{format_iso8601, parse_iso8601};
use microvisor_api::{Device, DeviceApp, DeviceLogging, UpdateStatus};
use serde::{Deserialize, Serialize};

use crate::filter::status_word;

/// One device as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexRow {
    pub sid: String,
    pub unique_name: Option<String>,
    /// The update status as the API words it; `unknown` when it has none.
    pub status: String,
    pub error_code: i64,
    pub target_app: Option<String>,
    pub reported_app: Option<String>,
    pub logging_enabled: bool,
    /// Unix milliseconds.
    pub logging_expires_ms: Option<i64>,
    pub targeted_ms: Option<i64>,
    pub reported_ms: Option<i64>,
    pub updated_ms: Option<i64>,
}

fn millis(text: Option<&str>) -> Option<i64> {
    text.and_then(parse_iso8601).map(|seconds| seconds * 1000)
}

fn iso(ms: Option<i64>) -> Option<String> {
    ms.map(|ms| format_iso8601(ms.div_euclid(1000)))
}

impl IndexRow {
    /// The row of a device as listed; `None` for one without a SID (nothing to key it by).
    pub fn of(device: &Device) -> Option<IndexRow> {
        let app = device.app.as_ref();
        Some(IndexRow {
            sid: device.sid.clone()?,
            unique_name: device.unique_name.clone().filter(|name| !name.is_empty()),
            status: status_word(device).to_owned(),
            error_code: app.and_then(|a| a.update_error_code).unwrap_or(0),
            target_app: app.and_then(|a| a.target_sid.clone()),
            reported_app: app.and_then(|a| a.reported_sid.clone()),
            logging_enabled: device
                .logging
                .as_ref()
                .is_some_and(|l| l.enabled == Some(true)),
            logging_expires_ms: millis(
                device
                    .logging
                    .as_ref()
                    .and_then(|l| l.date_expires.as_deref()),
            ),
            targeted_ms: millis(app.and_then(|a| a.date_targeted.as_deref())),
            reported_ms: millis(app.and_then(|a| a.date_reported.as_deref())),
            updated_ms: millis(device.date_updated.as_deref()),
        })
    }

    /// The device as the console shows it, from what the index keeps.
    pub fn to_device(&self) -> Device {
        Device {
            sid: Some(self.sid.clone()),
            unique_name: self.unique_name.clone(),
            app: Some(DeviceApp {
                target_sid: self.target_app.clone(),
                date_targeted: iso(self.targeted_ms),
                update_status: (self.status != "unknown")
                    .then(|| UpdateStatus::from_wire(&self.status)),
                update_error_code: Some(self.error_code),
                reported_sid: self.reported_app.clone(),
                date_reported: iso(self.reported_ms),
                ..DeviceApp::default()
            }),
            logging: Some(DeviceLogging {
                enabled: Some(self.logging_enabled),
                date_expires: iso(self.logging_expires_ms),
            }),
            date_updated: iso(self.updated_ms),
            ..Device::default()
        }
    }

    /// What the store's free-text index holds: the SID and the name, lower case, apart as
    /// the Fleet page keeps them. The apps are matched through the account's apps instead
    /// (a handful of SIDs and names), which keeps the trigram index a third of the size.
    pub fn search_key(&self) -> String {
        let mut key = self.sid.to_lowercase();
        if let Some(name) = &self.unique_name {
            key.push(crate::filter::SEPARATOR);
            key.push_str(&name.to_lowercase());
        }
        key
    }

    /// The apps this row names, target then reported.
    pub fn apps(&self) -> impl Iterator<Item = &str> {
        [self.target_app.as_deref(), self.reported_app.as_deref()]
            .into_iter()
            .flatten()
    }

    /// A hash of every field: a pass writes a row only when this changed. FNV-1a over a
    /// canonical text, stable across builds and platforms.
    pub fn hash(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in text.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{hash:016x}")
    }
}

/// What the timeline says of a device: each a change a pass saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// First listed (or listed again after it was gone).
    Appeared,
    /// No longer listed.
    Gone,
    Status,
    ErrorCode,
    TargetApp,
    ReportedApp,
    Logging,
    UniqueName,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::Appeared,
        EventKind::Gone,
        EventKind::Status,
        EventKind::ErrorCode,
        EventKind::TargetApp,
        EventKind::ReportedApp,
        EventKind::Logging,
        EventKind::UniqueName,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Appeared => "appeared",
            EventKind::Gone => "gone",
            EventKind::Status => "status",
            EventKind::ErrorCode => "error_code",
            EventKind::TargetApp => "target_app",
            EventKind::ReportedApp => "reported_app",
            EventKind::Logging => "logging",
            EventKind::UniqueName => "unique_name",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// One change to a device, before → after (as text; `None` for none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub kind: EventKind,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What changed from `old` (the index's row; `None` when the index has never seen it) to `new`
/// (the device as listed now), in a fixed order.
pub fn changes(old: Option<&IndexRow>, new: &IndexRow) -> Vec<Change> {
    let Some(old) = old else {
        return vec![Change {
            kind: EventKind::Appeared,
            before: None,
            after: Some(new.status.clone()),
        }];
    };
    let mut out = Vec::new();
    let mut field = |kind: EventKind, before: Option<String>, after: Option<String>| {
        if before != after {
            out.push(Change {
                kind,
                before,
                after,
            });
        }
    };
    field(
        EventKind::Status,
        Some(old.status.clone()),
        Some(new.status.clone()),
    );
    field(
        EventKind::ErrorCode,
        Some(old.error_code.to_string()),
        Some(new.error_code.to_string()),
    );
    field(
        EventKind::TargetApp,
        old.target_app.clone(),
        new.target_app.clone(),
    );
    field(
        EventKind::ReportedApp,
        old.reported_app.clone(),
        new.reported_app.clone(),
    );
    let on = |enabled: bool| Some(if enabled { "on" } else { "off" }.to_owned());
    field(
        EventKind::Logging,
        on(old.logging_enabled),
        on(new.logging_enabled),
    );
    field(
        EventKind::UniqueName,
        old.unique_name.clone(),
        new.unique_name.clone(),
    );
    out
}

/// The change that says a device went from the list.
pub fn gone(row: &IndexRow) -> Change {
    Change {
        kind: EventKind::Gone,
        before: Some(row.status.clone()),
        after: None,
    }
}

/// What a pass writes for one page: the rows new or changed since the index last had them
/// (`stored`: the index's rows of the page's devices, each with whether it is gone), and
/// their changes. A row whose hash is unchanged is not written at all.
pub fn page_writes(
    stored: &BTreeMap<String, (IndexRow, bool)>,
    rows: Vec<IndexRow>,
) -> (Vec<IndexRow>, Vec<(String, Change)>) {
    let mut write = Vec::new();
    let mut events = Vec::new();
    for row in rows {
        let known = stored
            .get(&row.sid)
            .filter(|(_, gone)| !gone)
            .map(|(old, _)| old);
        if known.is_some_and(|old| old.hash() == row.hash()) {
            continue;
        }
        events.extend(
            changes(known, &row)
                .into_iter()
                .map(|change| (row.sid.clone(), change)),
        );
        write.push(row);
    }
    (write, events)
}

/// An index held in memory: each device's row, and whether it is gone. The stored index
/// holds the same, and its tests check it against this.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryIndex {
    pub rows: BTreeMap<String, (IndexRow, bool)>,
}

impl MemoryIndex {
    /// One whole pass over `listed` (the fleet as listed now): the changes it sees, by SID,
    /// each device's in order, devices in the order listed, then those gone.
    pub fn apply_pass(&mut self, listed: &[Device]) -> Vec<(String, Change)> {
        let mut seen = std::collections::BTreeSet::new();
        let mut events = Vec::new();
        for row in listed.iter().filter_map(IndexRow::of) {
            if !seen.insert(row.sid.clone()) {
                continue;
            }
            let known = self
                .rows
                .get(&row.sid)
                .filter(|(_, gone)| !gone)
                .map(|(row, _)| row);
            for change in changes(known, &row) {
                events.push((row.sid.clone(), change));
            }
            self.rows.insert(row.sid.clone(), (row, false));
        }
        for (sid, (row, gone)) in self.rows.iter_mut() {
            if !*gone && !seen.contains(sid) {
                *gone = true;
                events.push((sid.clone(), self::gone(row)));
            }
        }
        events
    }

    /// The rows of the devices listed at the last pass.
    pub fn present(&self) -> Vec<&IndexRow> {
        self.rows
            .values()
            .filter(|(_, gone)| !gone)
            .map(|(row, _)| row)
            .collect()
    }
}

// Host only: proptest has no wasm32 backend.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
