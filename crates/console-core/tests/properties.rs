//! Properties that must hold for any input, checked with proptest: the decoders of every
//! resource and of the list envelope never panic, every helper the console runs on what they
//! decode (wording, filters, summary, sorting, exports) accepts it, and CSV fields are never
//! formulas. Host only.
#![cfg(not(target_arch = "wasm32"))]

use console_core::FleetSummary;
use console_core::display::{logging_brief, logging_summary, relative_time};
use console_core::export::{csv_field, export_csv, export_json};
use console_core::rows::escape;
use console_core::sort::sort_devices;
use console_protocol::FleetSortKey;
use fleet_engine::{AppNames, DeviceFilter};
use microvisor_api::{ApiErrorBody, App, Config, Device, ListPage, Secret};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const NOW: i64 = 1_790_000_000;

/// Field names the decoders look for, mixed with arbitrary ones, so generated objects reach
/// deep into the decoders instead of being ignored as unknown.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "sid",
            "unique_name",
            "account_sid",
            "app",
            "logging",
            "date_created",
            "date_updated",
            "url",
            "links",
            "target_sid",
            "target_hash",
            "date_targeted",
            "update_status",
            "update_status_reason",
            "reported_sid",
            "reported_hash",
            "date_reported",
            "enabled",
            "date_expires",
            "devices",
            "apps",
            "configs",
            "secrets",
            "meta",
            "key",
            "page",
            "page_size",
            "next_page_url",
            "previous_page_url",
            "first_page_url",
            "hash",
            "manifest",
            "value",
            "code",
            "message",
            "more_info",
            "status",
            "device_sid",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,12}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        // Shapes the decoders parse further: timestamps, SIDs, URLs.
        "20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?",
        "(UV|KA|AC|ZC|ZS)[0-9a-f]{0,34}",
        "https?://[a-z.]{1,20}(:[0-9]{1,6})?/v1/[A-Za-z/?=&%0-9]{0,40}",
        "up-to-date|pending|error|scheduled|[a-z-]{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Decodes `value` as every resource and envelope, and uses whatever decoded.
fn decode_everything(value: &Value) {
    let as_text = value.to_string();
    if let Ok(device) = serde_json::from_value::<Device>(value.clone()) {
        use_devices(std::slice::from_ref(&device));
    }
    if let Ok(page) = serde_json::from_value::<ListPage<Device>>(value.clone()) {
        use_devices(&page.items);
    }
    let _ = serde_json::from_value::<App>(value.clone());
    let _ = serde_json::from_value::<ListPage<App>>(value.clone());
    let _ = serde_json::from_value::<Config>(value.clone());
    let _ = serde_json::from_value::<ListPage<Config>>(value.clone());
    let _ = serde_json::from_value::<Secret>(value.clone());
    let _ = serde_json::from_value::<ListPage<Secret>>(value.clone());
    let _ = ApiErrorBody::from_failed_response(500, "Internal Server Error", &as_text);
}

/// Every display and fleet helper the console runs on decoded devices.
fn use_devices(devices: &[Device]) {
    let apps = AppNames::default();
    for device in devices {
        let _ = logging_brief(device, NOW);
        let _ = logging_summary(device, NOW);
        let _ = relative_time(device.date_updated.as_deref(), NOW);
        let _ = DeviceFilter::default().matches(device, &apps, NOW);
    }
    let _ = FleetSummary::of(devices, NOW, 24);
    let _ = export_csv(devices, &apps);
    let _ = export_json(devices);
    let mut sorted = devices.to_vec();
    for key in [
        FleetSortKey::Sid,
        FleetSortKey::UniqueName,
        FleetSortKey::Status,
        FleetSortKey::Updated,
    ] {
        sort_devices(&mut sorted, key, true, &apps);
    }
}

fn valid_device_page() -> Value {
    json!({
        "devices": [{
            "sid": "UV00000000000000000000000000000001",
            "unique_name": "pump-1",
            "account_sid": "AC00000000000000000000000000000001",
            "app": {
                "target_sid": "KA00000000000000000000000000000001",
                "target_hash": "abc",
                "date_targeted": "2026-01-01T00:00:00Z",
                "update_status": "pending",
                "update_status_reason": null,
                "reported_sid": null,
                "reported_hash": null,
                "date_reported": null
            },
            "logging": { "enabled": true, "date_expires": "2026-01-02T00:00:00Z" },
            "date_created": "2025-01-01T00:00:00Z",
            "date_updated": "2026-01-01T00:00:00Z",
            "url": "https://microvisor.twilio.com/v1/Devices/UV00000000000000000000000000000001",
            "links": { "device_configs": "x", "device_secrets": "y" }
        }],
        "meta": {
            "page": 0, "page_size": 50, "key": "devices",
            "first_page_url": "https://microvisor.twilio.com/v1/Devices?PageSize=50&Page=0",
            "previous_page_url": null,
            "url": "https://microvisor.twilio.com/v1/Devices?PageSize=50&Page=0",
            "next_page_url": "https://microvisor.twilio.com/v1/Devices?PageSize=50&Page=1&PageToken=PAx"
        }
    })
}

/// Every JSON pointer into `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (name, child) in fields {
                let path = format!("{at}/{name}");
                out.push(path.clone());
                pointers(child, path, out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let path = format!("{at}/{index}");
                out.push(path.clone());
                pointers(child, path, out);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoders_never_panic_on_arbitrary_text(text in any::<String>()) {
        if let Ok(value) = serde_json::from_str::<Value>(&text) {
            decode_everything(&value);
        }
        let _ = serde_json::from_str::<ListPage<Device>>(&text);
        let _ = serde_json::from_str::<Device>(&text);
        let _ = ApiErrorBody::from_failed_response(502, "", &text);
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_json(value in json_value()) {
        decode_everything(&value);
        // The same value in every envelope and as every resource's list item.
        for key in ["devices", "apps", "configs", "secrets"] {
            decode_everything(&json!({ key: [value.clone()], "meta": { "key": key } }));
        }
    }

    #[test]
    fn a_valid_page_with_any_one_field_replaced_never_panics(
        choice in any::<prop::sample::Index>(),
        replacement in json_value(),
    ) {
        let mut page = valid_device_page();
        let mut all = Vec::new();
        pointers(&page, String::new(), &mut all);
        let pointer = choice.get(&all).clone();
        if let Some(slot) = page.pointer_mut(&pointer) {
            *slot = replacement;
        }
        decode_everything(&page);
    }

    #[test]
    fn csv_fields_are_never_formulas(value in any::<String>()) {
        let field = csv_field(&value);
        let content = field.strip_prefix('"').unwrap_or(&field);
        prop_assert!(
            !content.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{:?} reads as a formula", field
        );
    }

    #[test]
    fn escaped_text_is_never_markup(text in any::<String>()) {
        let escaped = escape(&text);
        prop_assert!(!escaped.contains(['<', '>', '"', '\'']), "{:?}", escaped);
        // Every `&` starts one of the five references escape writes.
        for (at, _) in escaped.match_indices('&') {
            let rest = &escaped[at..];
            prop_assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].iter().any(|r| rest.starts_with(r)),
                "{:?}", rest
            );
        }
        let unescaped = escaped
            .replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
            .replace("&#39;", "'").replace("&amp;", "&");
        prop_assert_eq!(unescaped, text);
    }
}
