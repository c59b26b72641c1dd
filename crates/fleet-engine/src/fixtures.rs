//! Devices and app names for tests, here and in the crates above.

use microvisor_api::time::format_iso8601;
use microvisor_api::{Device, DeviceApp, DeviceLogging, UpdateStatus};

use crate::apps::AppNames;

/// Device `n`: named `pump-n`, targeting `target`, reporting `reported`, in `status`,
/// targeted at time 0, logging on for even `n` (until 100,000), updated at `10 n`.
pub fn device(n: u32, status: &str, target: &str, reported: Option<&str>) -> Device {
    Device {
        sid: Some(format!("UV{n:032}")),
        unique_name: Some(format!("pump-{n}")),
        app: Some(DeviceApp {
            target_sid: Some(target.to_owned()),
            reported_sid: reported.map(str::to_owned),
            update_status: Some(UpdateStatus::from_wire(status)),
            date_targeted: Some(format_iso8601(0)),
            ..DeviceApp::default()
        }),
        logging: Some(DeviceLogging {
            enabled: Some(n.is_multiple_of(2)),
            date_expires: Some(format_iso8601(100_000)),
        }),
        date_updated: Some(format_iso8601(i64::from(n) * 10)),
        ..Device::default()
    }
}

/// KA1 is fw-1, KA2 is fw-2.
pub fn apps() -> AppNames {
    [
        ("KA1".to_owned(), "fw-1".to_owned()),
        ("KA2".to_owned(), "fw-2".to_owned()),
    ]
    .into_iter()
    .collect()
}
