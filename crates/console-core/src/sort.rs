//! Sorting a device table by any of its columns.

use std::cmp::Ordering;

use microvisor_api::Device;
use microvisor_api::time::parse_iso8601;

use console_protocol::FleetSortKey;
use fleet_engine::AppNames;
use fleet_engine::filter::status_word;

/// The value a device sorts by: a string, so every column compares alike.
fn sort_key(device: &Device, key: FleetSortKey, apps: &AppNames) -> Option<String> {
    let app = device.app.as_ref();
    let app_label = |sid: Option<&String>| sid.map(|sid| apps.name_or_sid(sid).to_lowercase());
    match key {
        FleetSortKey::Sid => device.sid.clone(),
        FleetSortKey::UniqueName => device.unique_name.as_ref().map(|name| name.to_lowercase()),
        FleetSortKey::Status => Some(status_word(device).to_owned()),
        FleetSortKey::TargetApp => app_label(app.and_then(|a| a.target_sid.as_ref())),
        FleetSortKey::ReportedApp => app_label(app.and_then(|a| a.reported_sid.as_ref())),
        FleetSortKey::Logging => device.logging.as_ref().and_then(|l| l.date_expires.clone()),
        FleetSortKey::Updated => device
            .date_updated
            .as_deref()
            .and_then(parse_iso8601)
            .map(|t| format!("{t:020}")),
    }
}

/// `order` (positions in `devices`) sorted by a column; ties keep their order (the API's
/// creation order). Each device's key is worked out once, not once per comparison.
pub fn sorted(
    devices: &[Device],
    order: Vec<u32>,
    key: FleetSortKey,
    ascending: bool,
    apps: &AppNames,
) -> Vec<u32> {
    let mut keyed: Vec<(Option<String>, u32)> = order
        .into_iter()
        .map(|position| (sort_key(&devices[position as usize], key, apps), position))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        // Missing values go last whichever way the list is sorted.
        match (a, b) {
            (Some(x), Some(y)) if ascending => x.cmp(y),
            (Some(x), Some(y)) => y.cmp(x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    });
    keyed.into_iter().map(|(_, position)| position).collect()
}

/// Sorts in place; ties keep their order (the API's creation order).
pub fn sort_devices(
    devices: &mut Vec<Device>,
    key: FleetSortKey,
    ascending: bool,
    apps: &AppNames,
) {
    let order = sorted(
        devices,
        (0..devices.len() as u32).collect(),
        key,
        ascending,
        apps,
    );
    let mut slots: Vec<Option<Device>> = std::mem::take(devices).into_iter().map(Some).collect();
    devices.extend(
        order
            .into_iter()
            .filter_map(|position| slots[position as usize].take()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleet_engine::fixtures::{apps, device};

    #[test]
    fn sorts_both_ways_with_missing_values_last() {
        let mut fleet = vec![
            device(2, "pending", "KA2", None),
            device(1, "up-to-date", "KA1", Some("KA1")),
            device(3, "error", "KA1", Some("KA2")),
        ];
        fleet[0].unique_name = None;
        sort_devices(&mut fleet, FleetSortKey::UniqueName, true, &apps());
        let names: Vec<_> = fleet.iter().map(|d| d.unique_name.clone()).collect();
        assert_eq!(names, [Some("pump-1".into()), Some("pump-3".into()), None]);
        sort_devices(&mut fleet, FleetSortKey::UniqueName, false, &apps());
        assert_eq!(fleet[0].unique_name.as_deref(), Some("pump-3"));
        assert_eq!(fleet[2].unique_name, None);
        sort_devices(&mut fleet, FleetSortKey::Updated, false, &apps());
        assert_eq!(fleet[0].sid, device(3, "", "", None).sid);
        sort_devices(&mut fleet, FleetSortKey::ReportedApp, true, &apps());
        assert_eq!(fleet[2].app.as_ref().unwrap().reported_sid, None);
    }
}
