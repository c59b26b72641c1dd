//! Counts over the loaded devices; each count can become a filter.

use std::collections::BTreeMap;

use microvisor_api::Device;

use crate::filter::{logging_on, pending_for, status_word};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetSummary {
    pub total: usize,
    pub by_status: BTreeMap<String, usize>,
    /// Target app SID (or "" for none) → count.
    pub by_target: BTreeMap<String, usize>,
    pub logging_on: usize,
    pub target_differs: usize,
    pub pending_long: usize,
}

impl FleetSummary {
    pub fn of(devices: &[Device], now: i64, pending_hours: u32) -> FleetSummary {
        let mut summary = FleetSummary {
            total: devices.len(),
            ..FleetSummary::default()
        };
        for device in devices {
            *summary
                .by_status
                .entry(status_word(device).to_owned())
                .or_default() += 1;
            let target = device
                .app
                .as_ref()
                .and_then(|app| app.target_sid.clone())
                .unwrap_or_default();
            *summary.by_target.entry(target).or_default() += 1;
            summary.logging_on += usize::from(logging_on(device, now));
            summary.target_differs += usize::from(device.reported_differs_from_target());
            summary.pending_long += usize::from(
                pending_for(device, now)
                    .is_some_and(|seconds| seconds > i64::from(pending_hours) * 3600),
            );
        }
        summary
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
        assert_eq!(summary.logging_on, 1);
        assert_eq!(summary.target_differs, 1);
        assert_eq!(summary.pending_long, 1);
        assert_eq!(FleetSummary::of(&fleet, 7_199, 2).pending_long, 0);
    }
}
