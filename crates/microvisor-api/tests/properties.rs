//! Properties of the wire model that must hold for any input, checked with proptest: the
//! query parser, the URL mapper and the form encoders never panic, what they encode decodes
//! back, and a mapped link never leaves the configured origin. Host only.
#![cfg(not(target_arch = "wasm32"))]

use microvisor_api::time::{format_iso8601, parse_iso8601};
use microvisor_api::url::{ApiBase, decode_segment, encode_segment, query_of, split_origin};
use microvisor_api::{DeviceUpdate, KeyValueForm, PageQuery};
use proptest::prelude::*;

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

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
    fn timestamps_never_panic_and_round_trip(text in any::<String>(), seconds in 0i64..4_102_444_800) {
        let _ = parse_iso8601(&text);
        prop_assert_eq!(parse_iso8601(&format_iso8601(seconds)), Some(seconds));
    }
}
