//! Sorting a device table by any of its columns.

use std::cmp::Ordering;

use microvisor_api::Device;
use microvisor_api::time::parse_iso8601;

use crate::AppNames;
use crate::filter::status_word;

/// The columns a device list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Sid,
    UniqueName,
    Status,
    TargetApp,
    ReportedApp,
    Logging,
    Updated,
}

/// Sorts in place; ties keep their order (the API's creation order).
pub fn sort_devices(devices: &mut [Device], key: SortKey, ascending: bool, apps: &AppNames) {
    let app_label = |sid: Option<&String>| sid.map(|sid| apps.name_or_sid(sid).to_lowercase());
    let text_key = |device: &Device| -> Option<String> {
        let app = device.app.as_ref();
        match key {
            SortKey::Sid => device.sid.clone(),
            SortKey::UniqueName => device.unique_name.as_ref().map(|name| name.to_lowercase()),
            SortKey::Status => Some(status_word(device).to_owned()),
            SortKey::TargetApp => app_label(app.and_then(|a| a.target_sid.as_ref())),
            SortKey::ReportedApp => app_label(app.and_then(|a| a.reported_sid.as_ref())),
            SortKey::Logging => device.logging.as_ref().and_then(|l| l.date_expires.clone()),
            SortKey::Updated => device
                .date_updated
                .as_deref()
                .and_then(parse_iso8601)
                .map(|t| format!("{t:020}")),
        }
    };
    devices.sort_by(|a, b| {
        // Missing values go last whichever way the list is sorted.
        match (text_key(a), text_key(b)) {
            (Some(x), Some(y)) if ascending => x.cmp(&y),
            (Some(x), Some(y)) => y.cmp(&x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::tests::{apps, device};

    #[test]
    fn sorts_both_ways_with_missing_values_last() {
        let mut fleet = vec![
            device(2, "pending", "KA2", None),
            device(1, "up-to-date", "KA1", Some("KA1")),
            device(3, "error", "KA1", Some("KA2")),
        ];
        fleet[0].unique_name = None;
        sort_devices(&mut fleet, SortKey::UniqueName, true, &apps());
        let names: Vec<_> = fleet.iter().map(|d| d.unique_name.clone()).collect();
        assert_eq!(names, [Some("pump-1".into()), Some("pump-3".into()), None]);
        sort_devices(&mut fleet, SortKey::UniqueName, false, &apps());
        assert_eq!(fleet[0].unique_name.as_deref(), Some("pump-3"));
        assert_eq!(fleet[2].unique_name, None);
        sort_devices(&mut fleet, SortKey::Updated, false, &apps());
        assert_eq!(fleet[0].sid, device(3, "", "", None).sid);
        sort_devices(&mut fleet, SortKey::ReportedApp, true, &apps());
        assert_eq!(fleet[2].app.as_ref().unwrap().reported_sid, None);
    }
}
