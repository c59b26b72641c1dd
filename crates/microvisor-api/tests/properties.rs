//! Properties that must hold for any input, checked with proptest: the decoders of every
//! resource and of the list envelope, the query parser, the URL mapper and the form encoders
//! never panic; what they encode decodes back; CSV fields are never formulas. Host only.
#![cfg(not(target_arch = "wasm32"))]

use microvisor_api::display::{logging_brief, logging_summary, relative_time};
use microvisor_api::fleet::{self, AppNames, DeviceFilter, FleetSummary, SortKey};
use microvisor_api::time::{format_iso8601, parse_iso8601};
use microvisor_api::url::{ApiBase, decode_segment, encode_segment, query_of, split_origin};
use microvisor_api::{
    ApiErrorBody, App, Config, Device, DeviceUpdate, KeyValueForm, ListPage, PageQuery, Secret,
};
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
    let apps = AppNames::new();
    for device in devices {
        let _ = logging_brief(device, NOW);
        let _ = logging_summary(device, NOW);
        let _ = relative_time(device.date_updated.as_deref(), NOW);
        let _ = DeviceFilter::default().matches(device, &apps, NOW);
    }
    let _ = FleetSummary::of(devices, NOW, 24);
    let _ = fleet::export_csv(devices, &apps);
    let _ = fleet::export_json(devices);
    let mut sorted = devices.to_vec();
    for key in [
        SortKey::Sid,
        SortKey::UniqueName,
        SortKey::Status,
        SortKey::Updated,
    ] {
        fleet::sort_devices(&mut sorted, key, true, &apps);
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
    fn the_query_parser_never_panics_and_round_trips(
        text in any::<String>(),
        page_size in 1u32..=1000,
        page in 0u32..100_000,
        token in "[A-Za-z0-9&=%+ ?#]{1,30}",
    ) {
        let _ = PageQuery::parse(&text);
        let query = PageQuery { page_size: Some(page_size), page: Some(page), page_token: Some(token) };
        prop_assert_eq!(PageQuery::parse(&query.to_query_string()), Ok(query));
    }

    #[test]
    fn the_url_mapper_never_panics(base in text(), origin in text(), link in text()) {
        let _ = ApiBase::new(&base, &origin);
        let _ = split_origin(&link);
        let _ = query_of(&link);
        let _ = decode_segment(&link);
        for base in ["/v1", "http://127.0.0.1:8080/v1", "https://proxy.example/api/v1"] {
            let api = ApiBase::new(base, "http://127.0.0.1:8080").expect("a valid base");
            if let Ok(mapped) = api.map_response_url(&link) {
                // A mapped link never leaves the configured origin.
                prop_assert!(mapped.starts_with(api.origin()), "{} left {}", mapped, api.origin());
            }
            let _ = api.page_query_of(&link);
        }
    }

    #[test]
    fn path_segments_round_trip(segment in any::<String>()) {
        let encoded = encode_segment(&segment);
        prop_assert!(!encoded.contains('/') && !encoded.contains('?') && !encoded.contains('#'));
        prop_assert_eq!(decode_segment(&encoded), Some(segment));
    }

    #[test]
    fn form_encoders_round_trip_and_decoders_never_panic(
        unique_name in proptest::option::of(any::<String>()),
        target_app in proptest::option::of(any::<String>()),
        logging_enabled in proptest::option::of(any::<bool>()),
        restart_app in proptest::option::of(any::<bool>()),
        key in proptest::option::of(any::<String>()),
        value in proptest::option::of(any::<String>()),
        body in any::<String>(),
    ) {
        let update = DeviceUpdate { unique_name, target_app, logging_enabled, restart_app };
        prop_assert_eq!(DeviceUpdate::from_form(&update.to_form()), Ok(update));
        let form = KeyValueForm { key, value };
        prop_assert_eq!(KeyValueForm::from_form(&form.to_form()), Ok(form));
        let _ = DeviceUpdate::from_form(&body);
        let _ = KeyValueForm::from_form(&body);
    }

    #[test]
    fn csv_fields_are_never_formulas(value in any::<String>()) {
        let field = fleet::csv_field(&value);
        let content = field.strip_prefix('"').unwrap_or(&field);
        prop_assert!(
            !content.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{:?} reads as a formula", field
        );
    }

    #[test]
    fn timestamps_never_panic_and_round_trip(text in any::<String>(), seconds in 0i64..4_102_444_800) {
        let _ = parse_iso8601(&text);
        prop_assert_eq!(parse_iso8601(&format_iso8601(seconds)), Some(seconds));
    }
}
