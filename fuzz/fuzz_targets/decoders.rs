#![no_main]
//! Any bytes as an API response body: the decoders of every resource and of the list
//! envelope, the error mapping and the helpers that run on decoded devices must answer,
//! never panic; and any bytes as an app bundle or a manifest must be read or refused.

use libfuzzer_sys::fuzz_target;
use console_core::display::{logging_brief, relative_time};
use console_core::export::export_csv;
use console_core::FleetSummary;
use fleet_engine::AppNames;
use microvisor_api::{ApiErrorBody, App, Config, Device, ListPage, PageQuery, Secret};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut devices: Vec<Device> = Vec::new();
    if let Ok(page) = serde_json::from_str::<ListPage<Device>>(&text) {
        devices.extend(page.items);
    }
    if let Ok(device) = serde_json::from_str::<Device>(&text) {
        devices.push(device);
    }
    for device in &devices {
        let _ = logging_brief(device, 1_790_000_000);
        let _ = relative_time(device.date_updated.as_deref(), 1_790_000_000);
    }
    let _ = FleetSummary::of(&devices, 1_790_000_000, 24);
    let _ = export_csv(&devices, &AppNames::default());
    let _ = serde_json::from_str::<App>(&text);
    let _ = serde_json::from_str::<ListPage<App>>(&text);
    let _ = serde_json::from_str::<Config>(&text);
    let _ = serde_json::from_str::<ListPage<Config>>(&text);
    let _ = serde_json::from_str::<Secret>(&text);
    let _ = serde_json::from_str::<ListPage<Secret>>(&text);
    let _ = ApiErrorBody::from_failed_response(500, "Internal Server Error", &text);
    let _ = PageQuery::parse(&text);
    // Small limits, so an archive that claims much is refused quickly.
    let limits = app_bundle::Limits {
        archive_bytes: 1 << 20,
        uncompressed_bytes: 1 << 20,
        entries: 16,
    };
    if let Ok(bundle) = app_bundle::read(data, limits) {
        let _ = bundle.manifest.warnings();
    }
    if let Ok(manifest) = app_bundle::Manifest::decode(data) {
        let _ = manifest.regions();
    }
});
