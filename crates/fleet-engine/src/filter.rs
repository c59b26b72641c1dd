//! Which loaded devices a person is looking at: a filter every part of which must hold, and
//! the facts about a device that filters, counts and dialogs share.

use microvisor_api::time::parse_iso8601;
use microvisor_api::{Device, UpdateStatus};
use serde::{Deserialize, Serialize};

use crate::apps::AppNames;

/// What narrows the loaded devices, and what a saved view keeps. Every part that is set must
/// hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceFilter {
    /// Case-insensitive text in the SID, unique name, or target or reported app (SID or name).
    pub text: String,
    pub status: Option<String>,
    pub target_app: Option<String>,
    pub logging_on: Option<bool>,
    pub target_differs: bool,
    /// Pending for longer than this many hours.
    pub pending_hours: Option<u32>,
}

/// The update status as the API words it, or "unknown" when the device has none.
pub fn status_word(device: &Device) -> &str {
    device
        .update_status()
        .map_or("unknown", UpdateStatus::as_wire)
}

/// Logging is on and has not expired at `now` (Unix seconds).
pub fn logging_on(device: &Device, now: i64) -> bool {
    device.logging.as_ref().is_some_and(|logging| {
        logging.enabled == Some(true)
            && logging
                .date_expires
                .as_deref()
                .and_then(parse_iso8601)
                .is_none_or(|expires| expires > now)
    })
}

/// Seconds the device has been pending, if it is.
pub fn pending_for(device: &Device, now: i64) -> Option<i64> {
    let app = device.app.as_ref()?;
    if app.update_status != Some(UpdateStatus::Pending) {
        return None;
    }
    Some(now - parse_iso8601(app.date_targeted.as_deref()?)?)
}

impl DeviceFilter {
    pub fn is_empty(&self) -> bool {
        *self == DeviceFilter::default()
    }

    pub fn matches(&self, device: &Device, apps: &AppNames, now: i64) -> bool {
        self.matches_text_in(&search_key(device, apps)) && self.matches_apart_from_text(device, now)
    }

    /// Whether the text part holds for a device whose search key (see `SearchIndex`) is `key`.
    fn matches_text_in(&self, key: &str) -> bool {
        let text = self.text.trim().to_lowercase();
        text.is_empty() || key.contains(&text)
    }

    /// Every part but the text.
    fn matches_apart_from_text(&self, device: &Device, now: i64) -> bool {
        let app = device.app.as_ref();
        if self
            .status
            .as_deref()
            .is_some_and(|status| status != status_word(device))
        {
            return false;
        }
        if self
            .target_app
            .as_ref()
            .is_some_and(|target| Some(target) != app.and_then(|a| a.target_sid.as_ref()))
        {
            return false;
        }
        if self
            .logging_on
            .is_some_and(|on| on != logging_on(device, now))
        {
            return false;
        }
        if self.target_differs && !device.reported_differs_from_target() {
            return false;
        }
        if let Some(hours) = self.pending_hours
            && pending_for(device, now).is_none_or(|seconds| seconds <= i64::from(hours) * 3600)
        {
            return false;
        }
        true
    }

    /// The positions in `devices` of those that match, in order. With a search index the text
    /// part is one pass of a substring search over every device's key at once, so a keystroke
    /// over 100,000 devices stays within a frame or two.
    pub fn matching(&self, devices: &[Device], index: &SearchIndex, now: i64) -> Vec<u32> {
        let text = self.text.trim().to_lowercase();
        let rest = |position: usize| {
            devices
                .get(position)
                .is_some_and(|device| self.matches_apart_from_text(device, now))
        };
        if text.is_empty() {
            return (0..devices.len())
                .filter(|&position| rest(position))
                .map(|position| position as u32)
                .collect();
        }
        index
            .positions_containing(&text)
            .into_iter()
            .filter(|&position| rest(position))
            .map(|position| position as u32)
            .collect()
    }
}

/// What the text filter searches in a device, lower-cased: its SID, unique name, and target
/// and reported apps by SID and by name, with a separator no typed text contains.
fn search_key(device: &Device, apps: &AppNames) -> String {
    let mut key = String::new();
    push_search_key(&mut key, device, apps);
    key
}

/// Writes a device's search key at the end of `out`, with no key of its own in between.
fn push_search_key(out: &mut String, device: &Device, apps: &AppNames) {
    let app = device.app.as_ref();
    let target = app.and_then(|a| a.target_sid.as_deref());
    let reported = app.and_then(|a| a.reported_sid.as_deref());
    let fields = [
        device.sid.as_deref(),
        device.unique_name.as_deref(),
        target,
        reported,
        target.and_then(|sid| apps.name_of(sid)),
        reported.and_then(|sid| apps.name_of(sid)),
    ];
    for (n, field) in fields.into_iter().flatten().enumerate() {
        if n > 0 {
            out.push(SEPARATOR);
        }
        out.push_str(&field.to_lowercase());
    }
}

/// Every device's search key, made once per set of loaded devices rather than per keystroke,
/// kept end to end in one text (`SEPARATOR` between fields and between devices) so a search
/// is one pass over contiguous memory rather than a search per device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchIndex {
    text: String,
    /// Where each device's key starts in `text`, by position.
    starts: Vec<usize>,
}

/// Between the fields of a key and between keys: a character no typed text contains.
pub(crate) const SEPARATOR: char = '\u{1f}';

impl SearchIndex {
    pub fn new(devices: &[Device], apps: &AppNames) -> SearchIndex {
        let mut index = SearchIndex::default();
        index.extend(devices, apps);
        index
    }

    /// Adds the keys of `devices` after those already indexed, as if they had been at the end
    /// of the slice given to `new`: a scan indexes each batch it loads once, not the whole
    /// fleet again per batch.
    pub fn extend(&mut self, devices: &[Device], apps: &AppNames) {
        self.text.reserve(devices.len() * 160);
        self.starts.reserve(devices.len());
        for device in devices {
            self.starts.push(self.text.len());
            push_search_key(&mut self.text, device, apps);
            self.text.push(SEPARATOR);
        }
    }

    /// The key of the device at `position`.
    fn key(&self, position: usize) -> &str {
        let end = self
            .starts
            .get(position + 1)
            .map_or(self.text.len(), |&next| next);
        let key = &self.text[self.starts[position]..end];
        // Only the separator after the key: a name may end with the character too.
        key.strip_suffix(SEPARATOR).unwrap_or(key)
    }

    /// Positions, in order, of the devices whose key contains `needle` (lower-cased).
    fn positions_containing(&self, needle: &str) -> Vec<usize> {
        // Text with the separator could match across two keys: search key by key.
        if needle.contains(SEPARATOR) {
            return (0..self.starts.len())
                .filter(|&position| self.key(position).contains(needle))
                .collect();
        }
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let haystack = self.text.as_bytes();
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(at) = finder.find(&haystack[from..]) {
            let position = self.starts.partition_point(|&start| start <= from + at) - 1;
            found.push(position);
            // The rest of this device's key need not be searched.
            from = self
                .starts
                .get(position + 1)
                .map_or(haystack.len(), |&next| next);
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{apps, device};

    #[test]
    fn an_index_extended_batch_by_batch_is_the_index_made_at_once() {
        let fleet: Vec<Device> = (1..=25)
            .map(|n| device(n, "pending", if n % 2 == 0 { "KA1" } else { "KA2" }, None))
            .collect();
        let apps = apps();
        let at_once = SearchIndex::new(&fleet, &apps);
        for split in 0..=fleet.len() {
            let mut batches = SearchIndex::new(&fleet[..split], &apps);
            batches.extend(&fleet[split..], &apps);
            assert_eq!(batches, at_once, "batches split at {split}");
        }
        let mut empty = SearchIndex::default();
        empty.extend(&fleet, &apps);
        assert_eq!(
            empty.positions_containing("pump-2"),
            at_once.positions_containing("pump-2")
        );
        assert_eq!(empty.positions_containing("fw-1").len(), 12);
    }

    #[test]
    fn the_index_finds_what_matching_one_by_one_finds() {
        let fleet: Vec<Device> = (1..=40)
            .map(|n| {
                let status = ["up-to-date", "pending", "error"][n as usize % 3];
                device(
                    n,
                    status,
                    if n % 2 == 0 { "KA1" } else { "KA2" },
                    Some("KA1"),
                )
            })
            .collect();
        let apps = apps();
        let index = SearchIndex::new(&fleet, &apps);
        for filter in [
            DeviceFilter::default(),
            DeviceFilter {
                text: " FW-2 ".into(),
                ..DeviceFilter::default()
            },
            DeviceFilter {
                text: "pump-1".into(),
                status: Some("pending".into()),
                ..DeviceFilter::default()
            },
            DeviceFilter {
                target_app: Some("KA1".into()),
                target_differs: false,
                logging_on: Some(true),
                ..DeviceFilter::default()
            },
        ] {
            let one_by_one: Vec<u32> = (0..fleet.len() as u32)
                .filter(|&i| filter.matches(&fleet[i as usize], &apps, 10))
                .collect();
            assert_eq!(
                filter.matching(&fleet, &index, 10),
                one_by_one,
                "{filter:?}"
            );
        }
        // The separator keeps a search from matching across two fields.
        assert!(
            !DeviceFilter {
                text: "0001pump".into(),
                ..DeviceFilter::default()
            }
            .matches(&fleet[0], &apps, 10)
        );
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// Searching the joined keys finds exactly the devices whose own key holds the text,
        /// whatever the names hold (the separator included) and whatever is typed.
        #[test]
        fn one_pass_over_the_index_finds_what_each_key_finds(
            names in proptest::collection::vec(proptest::option::of("[aB\u{1f}-]{0,5}"), 0..30),
            typed in "[ab\u{1f} -]{0,4}",
        ) {
            let apps = apps();
            let fleet: Vec<Device> = names
                .into_iter()
                .enumerate()
                .map(|(n, name)| {
                    let mut d = device(n as u32, "pending", "KA1", None);
                    // Without apps the name is the key's last field, as it may end with
                    // the separator.
                    if n % 2 == 0 {
                        d.app = None;
                    }
                    d.unique_name = name;
                    d
                })
                .collect();
            let index = SearchIndex::new(&fleet, &apps);
            let filter = DeviceFilter { text: typed, ..DeviceFilter::default() };
            let one_by_one: Vec<u32> = (0..fleet.len() as u32)
                .filter(|&i| filter.matches(&fleet[i as usize], &apps, 10))
                .collect();
            proptest::prop_assert_eq!(filter.matching(&fleet, &index, 10), one_by_one);
        }
    }

    #[test]
    fn filters_combine() {
        let fleet = [
            device(1, "up-to-date", "KA1", Some("KA1")),
            device(2, "pending", "KA2", None),
            device(3, "error", "KA1", Some("KA2")),
        ];
        let apps = apps();
        let count = |filter: &DeviceFilter| {
            fleet
                .iter()
                .filter(|d| filter.matches(d, &apps, 10))
                .count()
        };
        assert_eq!(count(&DeviceFilter::default()), 3);
        assert_eq!(
            count(&DeviceFilter {
                text: "FW-2".into(),
                ..DeviceFilter::default()
            }),
            2,
            "by app name, either side"
        );
        assert_eq!(
            count(&DeviceFilter {
                text: "pump-3".into(),
                ..DeviceFilter::default()
            }),
            1
        );
        assert_eq!(
            count(&DeviceFilter {
                status: Some("error".into()),
                ..DeviceFilter::default()
            }),
            1
        );
        assert_eq!(
            count(&DeviceFilter {
                target_app: Some("KA1".into()),
                logging_on: Some(false),
                ..DeviceFilter::default()
            }),
            2
        );
        assert_eq!(
            count(&DeviceFilter {
                target_differs: true,
                ..DeviceFilter::default()
            }),
            1
        );
    }
}

/// The devices of a list with the ones in `updates` put in, where an update is newer than
/// what was listed (a write moves `date_updated`; a later listing wins over an older write).
pub fn with_updates(listed: &[Device], updates: &[Device]) -> Vec<Device> {
    let updated_at = |device: &Device| device.date_updated.as_deref().and_then(parse_iso8601);
    listed
        .iter()
        .map(|device| {
            updates
                .iter()
                .rev()
                .find(|update| update.sid.is_some() && update.sid == device.sid)
                .filter(|update| updated_at(update) > updated_at(device))
                .unwrap_or(device)
                .clone()
        })
        .collect()
}

#[cfg(test)]
mod update_tests {
    use super::*;
    use crate::fixtures::device;
    use microvisor_api::time::format_iso8601;

    #[test]
    fn newer_updates_replace_listed_devices_and_older_ones_do_not() {
        let listed = vec![
            device(1, "up-to-date", "KA1", Some("KA1")),
            device(2, "up-to-date", "KA1", Some("KA1")),
        ];
        let mut newer = device(1, "pending", "KA2", Some("KA1"));
        newer.date_updated = Some(format_iso8601(1_000));
        let mut older = device(2, "pending", "KA2", Some("KA1"));
        older.date_updated = Some(format_iso8601(0));
        let merged = with_updates(&listed, &[newer.clone(), older]);
        assert_eq!(merged[0], newer);
        assert_eq!(merged[1], listed[1]);
        assert_eq!(with_updates(&listed, &[]), listed);
    }
}
