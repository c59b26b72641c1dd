use std::collections::BTreeMap;

use microvisor_api::time::format_iso8601;
use microvisor_api::{Device, DeviceApp, DeviceLogging, UpdateStatus};
use proptest::prelude::*;

use super::*;

/// A device from a few fields, the rest as the API lists them.
fn device(n: u8, fields: (u8, u8, u8, u8, bool, u8)) -> Device {
    let (status, code, target, reported, logging, name) = fields;
    let statuses = ["up-to-date", "pending", "error"];
    Device {
        sid: Some(format!("UV{n:032}")),
        unique_name: (name > 0).then(|| format!("pump-{name}")),
        app: Some(DeviceApp {
            target_sid: (target > 0).then(|| format!("KA{target}")),
            reported_sid: (reported > 0).then(|| format!("KA{reported}")),
            update_status: Some(UpdateStatus::from_wire(statuses[status as usize % 3])),
            update_error_code: Some(i64::from(code)),
            date_targeted: Some(format_iso8601(1_700_000_000 + i64::from(n))),
            ..DeviceApp::default()
        }),
        logging: Some(DeviceLogging {
            enabled: Some(logging),
            date_expires: logging.then(|| format_iso8601(1_800_000_000)),
        }),
        date_updated: Some(format_iso8601(1_700_000_100)),
        ..Device::default()
    }
}

fn fleets() -> impl Strategy<Value = Vec<Vec<Device>>> {
    let fields = (0u8..3, 0u8..3, 0u8..3, 0u8..3, any::<bool>(), 0u8..3);
    let fleet = proptest::collection::btree_map(0u8..12, fields, 0..10)
        .prop_map(|devices| devices.into_iter().map(|(n, f)| device(n, f)).collect());
    proptest::collection::vec(fleet, 1..6)
}

/// What changed between two listings of one device, field by field, written out apart
/// from `changes`.
fn expected(before: Option<&Device>, after: Option<&Device>) -> Vec<EventKind> {
    match (before, after) {
        (None, None) => Vec::new(),
        (None, Some(_)) => vec![EventKind::Appeared],
        (Some(_), None) => vec![EventKind::Gone],
        (Some(b), Some(a)) => {
            let (ba, aa) = (b.app.as_ref().unwrap(), a.app.as_ref().unwrap());
            let mut kinds = Vec::new();
            if ba.update_status != aa.update_status {
                kinds.push(EventKind::Status);
            }
            if ba.update_error_code != aa.update_error_code {
                kinds.push(EventKind::ErrorCode);
            }
            if ba.target_sid != aa.target_sid {
                kinds.push(EventKind::TargetApp);
            }
            if ba.reported_sid != aa.reported_sid {
                kinds.push(EventKind::ReportedApp);
            }
            if b.logging.as_ref().unwrap().enabled != a.logging.as_ref().unwrap().enabled {
                kinds.push(EventKind::Logging);
            }
            if b.unique_name != a.unique_name {
                kinds.push(EventKind::UniqueName);
            }
            kinds
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// After each pass the index holds exactly the fleet as listed, and the pass's timeline
    /// holds exactly what changed since the last listing: no change lost, none invented.
    #[test]
    fn passes_keep_the_index_equal_to_the_fleet_and_the_timeline_to_its_changes(fleets in fleets()) {
        let mut index = MemoryIndex::default();
        let mut previous: BTreeMap<String, Device> = BTreeMap::new();
        for fleet in &fleets {
            let events = index.apply_pass(fleet);
            let now: BTreeMap<String, Device> = fleet
                .iter()
                .map(|d| (d.sid.clone().unwrap(), d.clone()))
                .collect();
            let present: BTreeMap<String, IndexRow> = index
                .present()
                .into_iter()
                .map(|row| (row.sid.clone(), row.clone()))
                .collect();
            let wanted: BTreeMap<String, IndexRow> = now
                .values()
                .map(|d| {
                    let row = IndexRow::of(d).unwrap();
                    (row.sid.clone(), row)
                })
                .collect();
            prop_assert_eq!(&present, &wanted);
            let mut by_device: BTreeMap<String, Vec<EventKind>> = BTreeMap::new();
            for (sid, change) in &events {
                by_device.entry(sid.clone()).or_default().push(change.kind);
            }
            let sids: std::collections::BTreeSet<&String> = previous.keys().chain(now.keys()).collect();
            for sid in sids {
                let wanted = expected(previous.get(sid), now.get(sid));
                prop_assert_eq!(by_device.remove(sid).unwrap_or_default(), wanted, "{}", sid);
            }
            prop_assert!(by_device.is_empty(), "events for devices that did not change: {:?}", by_device);
            previous = now;
        }
    }
}

#[test]
fn a_row_goes_back_to_the_device_it_came_from() {
    let listed = device(3, (2, 4, 1, 2, true, 1));
    let row = IndexRow::of(&listed).unwrap();
    assert_eq!(row.status, "error");
    assert_eq!(row.error_code, 4);
    assert_eq!(row.logging_expires_ms, Some(1_800_000_000_000));
    assert_eq!(IndexRow::of(&row.to_device()).unwrap(), row);
    assert_eq!(row.search_key(), format!("uv{:032}\u{1f}pump-1", 3));
    assert_eq!(row.apps().collect::<Vec<_>>(), ["KA1", "KA2"]);
    assert!(IndexRow::of(&Device::default()).is_none());
}

#[test]
fn any_field_changed_changes_the_hash() {
    let row = IndexRow::of(&device(1, (0, 0, 1, 1, false, 1))).unwrap();
    let mut other = row.clone();
    assert_eq!(row.hash(), other.hash());
    other.updated_ms = Some(5);
    assert_ne!(row.hash(), other.hash());
    let mut renamed = row.clone();
    renamed.unique_name = None;
    assert_ne!(row.hash(), renamed.hash());
}

#[test]
fn the_changes_of_a_retargeted_device_read_in_order() {
    let before = IndexRow::of(&device(1, (0, 0, 1, 1, false, 1))).unwrap();
    let after = IndexRow::of(&device(1, (1, 0, 2, 1, true, 1))).unwrap();
    let kinds: Vec<EventKind> = changes(Some(&before), &after)
        .iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(
        kinds,
        [EventKind::Status, EventKind::TargetApp, EventKind::Logging]
    );
    assert_eq!(
        changes(Some(&before), &after)[1],
        Change {
            kind: EventKind::TargetApp,
            before: Some("KA1".into()),
            after: Some("KA2".into())
        }
    );
    assert_eq!(gone(&after).kind, EventKind::Gone);
    assert_eq!(
        EventKind::parse("reported_app"),
        Some(EventKind::ReportedApp)
    );
}
