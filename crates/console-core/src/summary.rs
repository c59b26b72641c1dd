//! Counts over the loaded devices; each count can become a filter.

use std::collections::BTreeMap;

use console_protocol::FleetCounts;
use microvisor_api::Device;

use fleet_engine::filter::{logging_on, pending_for, status_word};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetSummary {
    pub total: usize,
    pub by_status: BTreeMap<String, usize>,
    /// Target app SID (or "" for none) → count.
    pub by_target: BTreeMap<String, usize>,
    /// Reported app SID (or "" for none) → count.
    pub by_reported: BTreeMap<String, usize>,
    pub logging_on: usize,
    pub target_differs: usize,
    pub pending_long: usize,
}

impl FleetSummary {
    pub fn of(devices: &[Device], now: i64, pending_hours: u32) -> FleetSummary {
        let mut summary = FleetSummary::default();
        summary.add(devices, now, pending_hours);
        summary
    }

    /// Counts `devices` as well, at `now`: a scan counts each batch it loads once, not the
    /// whole fleet again per batch.
    pub fn add(&mut self, devices: &[Device], now: i64, pending_hours: u32) {
        self.total += devices.len();
        for device in devices {
            count(&mut self.by_status, status_word(device));
            let target = device
                .app
                .as_ref()
                .and_then(|app| app.target_sid.as_deref());
            count(&mut self.by_target, target.unwrap_or_default());
            let reported = device
                .app
                .as_ref()
                .and_then(|app| app.reported_sid.as_deref());
            count(&mut self.by_reported, reported.unwrap_or_default());
            self.logging_on += usize::from(logging_on(device, now));
            self.target_differs += usize::from(device.reported_differs_from_target());
            self.pending_long += usize::from(
                pending_for(device, now)
                    .is_some_and(|seconds| seconds > i64::from(pending_hours) * 3600),
            );
        }
    }
}

impl From<&FleetCounts> for FleetSummary {
    /// The server's index counted them: the same summary, over the whole fleet.
    fn from(counts: &FleetCounts) -> FleetSummary {
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let sizes = |map: &BTreeMap<String, u64>| {
            map.iter().map(|(key, n)| (key.clone(), size(*n))).collect()
        };
        FleetSummary {
            total: size(counts.total),
            by_status: sizes(&counts.by_status),
            by_target: sizes(&counts.by_target),
            by_reported: sizes(&counts.by_reported),
            logging_on: size(counts.logging_on),
            target_differs: size(counts.target_differs),
            pending_long: size(counts.pending_long),
        }
    }
}

/// One more under `key`; the key is copied only the first time it is seen.
fn count(counts: &mut BTreeMap<String, usize>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleet_engine::fixtures::device;

    #[test]
    fn summary_counts_everything_once() {
        let fleet = [
            device(1, "up-to-date", "KA1", Some("KA1")),
            device(2, "pending", "KA2", None),
            device(3, "error", "KA1", Some("KA2")),
        ];
        let summary = FleetSummary::of(&fleet, 7_200 + 1, 2);
        assert_eq!(summary.total, 3);
        assert_eq!(summary.by_status["pending"], 1);
        assert_eq!(summary.by_target["KA1"], 2);
        assert_eq!(summary.by_reported["KA2"], 1);
        assert_eq!(summary.by_reported[""], 1);
        assert_eq!(summary.logging_on, 1);
        assert_eq!(summary.target_differs, 1);
        assert_eq!(summary.pending_long, 1);
        assert_eq!(FleetSummary::of(&fleet, 7_199, 2).pending_long, 0);
    }

    #[test]
    fn the_index_counts_read_as_the_same_summary() {
        let fleet = [
            device(1, "up-to-date", "KA1", Some("KA1")),
            device(2, "pending", "KA2", None),
        ];
        let counted = FleetSummary::of(&fleet, 100, 24);
        let wide = |map: &BTreeMap<String, usize>| {
            map.iter().map(|(k, n)| (k.clone(), *n as u64)).collect()
        };
        let from_server = FleetCounts {
            total: 2,
            by_status: wide(&counted.by_status),
            by_target: wide(&counted.by_target),
            by_reported: wide(&counted.by_reported),
            logging_on: counted.logging_on as u64,
            target_differs: counted.target_differs as u64,
            pending_long: counted.pending_long as u64,
            freshness: Default::default(),
        };
        assert_eq!(FleetSummary::from(&from_server), counted);
    }

    #[test]
    fn counting_in_batches_gives_the_counts_of_counting_at_once() {
        let mut fleet: Vec<Device> = (1..=30)
            .map(|n| {
                let status = ["up-to-date", "pending", "error"][n as usize % 3];
                device(n, status, ["KA1", "KA2", "KA3"][n as usize % 3 / 2], None)
            })
            .collect();
        // One with no app at all: counted under no target.
        fleet.insert(7, Device::default());
        let at_once = FleetSummary::of(&fleet, 7_201, 2);
        assert_eq!(at_once.by_target[""], 1);
        for split in 0..=fleet.len() {
            for second in split..=fleet.len() {
                let mut batches = FleetSummary::of(&fleet[..split], 7_201, 2);
                batches.add(&fleet[split..second], 7_201, 2);
                batches.add(&fleet[second..], 7_201, 2);
                assert_eq!(batches, at_once, "batches split at {split} and {second}");
            }
        }
    }
}
