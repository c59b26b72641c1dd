//! Documents generated from the response schemas of the vendor's OpenAPI spec itself, with
//! every type, nullable value, enum, format and extreme value the schemas allow (and extra
//! fields they do not forbid), must all decode, and every helper the console runs on decoded
//! devices must accept them. The one exception is a list whose `meta.key` names another list
//! the answer holds, which the vendor's own helper libraries cannot read either: that one must
//! be refused, saying so. (A `meta.key` naming nothing in the answer, as a mock's random
//! string does, is ignored.) A list answer without its list at all (the schema requires no
//! property) is refused too, by name: the list is what the console needs to work. Where the
//! spec file is absent, the test is counted as skipped. Host only.
#![cfg(not(target_arch = "wasm32"))]

use console_core::FleetSummary;
use console_core::display::{list_summary, logging_brief, logging_summary, relative_time};
use console_core::export::{export_csv, export_json};
use fleet_engine::{AppNames, DeviceFilter};
use microvisor_api::{App, AppManifest, Config, Device, ListPage, PageQuery, Secret};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

const NOW: i64 = 1_790_000_000;

/// A 2xx JSON response of one operation: its path, and the schema of its body.
struct Response {
    path: String,
    schema: Value,
}

fn responses(spec: &Value) -> Vec<Response> {
    let mut out = Vec::new();
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            if !matches!(method.as_str(), "get" | "post" | "delete") {
                continue;
            }
            for (code, response) in operation["responses"].as_object().expect("responses") {
                let schema = &response["content"]["application/json"]["schema"];
                if code.starts_with('2') && !schema.is_null() {
                    out.push(Response {
                        path: path.clone(),
                        schema: schema.clone(),
                    });
                }
            }
        }
    }
    out
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &spec["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// Any JSON at all, for what the spec leaves open (free-form objects), with field names the
/// console looks for among them so that they reach deep into the decoders.
fn free_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        "up-to-date|pending|error|rolling-back|2026-01-01T00:00:00Z".prop_map(Value::from),
    ];
    let name = prop_oneof![
        prop::sample::select(vec![
            "target_sid",
            "target_hash",
            "date_targeted",
            "update_status",
            "update_error_code",
            "reported_sid",
            "date_reported",
            "enabled",
            "date_expires",
            "device_configs",
            "device_secrets",
            "app_manifests",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,10}",
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(name.clone(), inner, 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
    .boxed()
}

/// Date-times as the format allows them, the extremes included.
fn date_time() -> BoxedStrategy<Value> {
    prop_oneof![
        "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])",
        Just("0000-01-01T00:00:00Z".to_owned()),
        Just("9999-12-31T23:59:60Z".to_owned()),
    ]
    .prop_map(Value::from)
    .boxed()
}

fn uri() -> BoxedStrategy<Value> {
    prop_oneof![
        "https?://[a-z0-9.-]{1,30}(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,20}){0,4}(\\?[A-Za-z0-9=&%]{0,30})?",
        Just("https://microvisor.twilio.com/v1/Devices?PageSize=50&Page=0".to_owned()),
        "urn:[a-z]{1,8}:[a-z0-9]{1,20}",
    ]
    .prop_map(Value::from)
    .boxed()
}

fn integer() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        Just(0),
        Just(-1),
        Just(-62_562_497),
        any::<i64>(),
    ]
    .prop_map(Value::from)
    .boxed()
}

/// Documents valid by `schema`, with null wherever it is nullable, fields left out (the spec
/// requires none), and extra fields beside them.
fn document(spec: &Value, schema: &Value) -> BoxedStrategy<Value> {
    let schema = resolve(spec, schema);
    let value = match schema.get("type").and_then(Value::as_str) {
        Some("object") => match schema.get("properties").and_then(Value::as_object) {
            Some(properties) => {
                let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = properties
                    .iter()
                    .map(|(name, property)| {
                        let name = name.clone();
                        prop::option::weighted(0.85, document(spec, property))
                            .prop_map(move |value| value.map(|value| (name.clone(), value)))
                            .boxed()
                    })
                    .collect();
                let extra = prop::collection::btree_map("x_[a-z]{1,8}", free_json(), 0..3);
                (fields, extra)
                    .prop_map(|(fields, extra)| {
                        let mut object: Map<String, Value> = extra.into_iter().collect();
                        object.extend(fields.into_iter().flatten());
                        Value::Object(object)
                    })
                    .boxed()
            }
            // Free-form: the spec says nothing of what is inside.
            None => prop_oneof![
                prop::collection::btree_map("[a-z_]{1,12}", free_json(), 0..6),
                prop::collection::btree_map(
                    prop::sample::select(vec![
                        "target_sid".to_owned(),
                        "update_status".to_owned(),
                        "update_error_code".to_owned(),
                        "enabled".to_owned(),
                        "date_expires".to_owned(),
                        "reported_sid".to_owned(),
                    ]),
                    free_json(),
                    0..6,
                ),
            ]
            .prop_map(|fields| Value::Object(fields.into_iter().collect()))
            .boxed(),
        },
        Some("array") => prop::collection::vec(document(spec, &schema["items"]), 0..4)
            .prop_map(Value::Array)
            .boxed(),
        Some("string") => {
            if let Some(values) = schema.get("enum").and_then(Value::as_array) {
                prop::sample::select(values.clone()).boxed()
            } else if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
                proptest::string::string_regex(
                    pattern.trim_start_matches('^').trim_end_matches('$'),
                )
                .expect("the spec's patterns are regular expressions")
                .prop_map(Value::from)
                .boxed()
            } else {
                match schema.get("format").and_then(Value::as_str) {
                    Some("date-time") => date_time(),
                    Some("uri") => uri(),
                    _ => any::<String>().prop_map(Value::from).boxed(),
                }
            }
        }
        Some("integer") => integer(),
        Some("number") => any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from)
            .boxed(),
        Some("boolean") => any::<bool>().prop_map(Value::from).boxed(),
        _ => free_json(),
    };
    if schema.get("nullable") == Some(&Value::Bool(true)) {
        prop_oneof![1 => Just(Value::Null), 5 => value].boxed()
    } else {
        value
    }
}

/// Every helper the console runs on a page of devices.
fn use_devices(page: &ListPage<Device>) {
    let apps = AppNames::default();
    for device in &page.items {
        let _ = logging_brief(device, NOW);
        let _ = logging_summary(device, NOW);
        let _ = relative_time(device.date_updated.as_deref(), NOW);
        let _ = DeviceFilter::default().matches(device, &apps, NOW);
    }
    let _ = list_summary(
        &page.meta,
        &PageQuery::default(),
        page.items.len(),
        "devices",
    );
    let _ = FleetSummary::of(&page.items, NOW, 24);
    let _ = export_csv(&page.items, &apps);
    let _ = export_json(&page.items);
}

fn decode<T: DeserializeOwned>(document: &Value) -> Result<T, String> {
    serde_json::from_value(document.clone()).map_err(|err| err.to_string())
}

/// `meta.key`, when it names another list that the answer holds: the one exception.
fn names_another_list<T: microvisor_api::ListResource>(document: &Value) -> Option<&str> {
    let key = document["meta"]["key"].as_str()?;
    (key != T::KEY && key != "meta" && document.get(key).is_some()).then_some(key)
}

/// Why a list answer must be refused, if it must.
fn expected_refusal<T: microvisor_api::ListResource>(document: &Value) -> Option<String> {
    if let Some(key) = names_another_list::<T>(document) {
        return Some(format!("the list holds `{key}`"));
    }
    document
        .get(T::KEY)
        .is_none()
        .then(|| format!("the answer has no `{}` list", T::KEY))
}

fn decode_list<T: DeserializeOwned + microvisor_api::ListResource>(
    document: &Value,
) -> Result<ListPage<T>, String> {
    match (
        decode::<ListPage<T>>(document),
        expected_refusal::<T>(document),
    ) {
        (Err(err), Some(reason)) if err.contains(&reason) => Ok(ListPage {
            items: Vec::new(),
            meta: Default::default(),
        }),
        (Err(err), Some(reason)) => Err(format!("refused, but not for {reason}: {err}")),
        (Ok(_), Some(reason)) => Err(format!("read, though {reason}")),
        (result, None) => result,
    }
}

/// Decodes `document` as the answer of the operation on `path`, as the console does.
fn decode_answer(path: &str, document: &Value) -> Result<(), String> {
    let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
    match segments.as_slice() {
        ["Devices"] => decode_list::<Device>(document).map(|page| use_devices(&page)),
        ["Devices", _] => decode::<Device>(document).map(|_| ()),
        ["Apps"] => decode_list::<App>(document).map(|_| ()),
        ["Apps", _] => decode::<App>(document).map(|_| ()),
        ["Apps", _, "Manifest"] => decode::<AppManifest>(document).map(|_| ()),
        ["Configs"] | ["Devices", _, "Configs"] => decode_list::<Config>(document).map(|_| ()),
        ["Configs", _] | ["Devices", _, "Configs", _] => decode::<Config>(document).map(|_| ()),
        ["Secrets"] | ["Devices", _, "Secrets"] => decode_list::<Secret>(document).map(|_| ()),
        ["Secrets", _] | ["Devices", _, "Secrets", _] => decode::<Secret>(document).map(|_| ()),
        _ => Err(format!("no decoder for {path}")),
    }
}

#[test]
fn every_document_the_spec_allows_decodes() {
    let Some(spec) = test_support::spec_or_skip("spec_documents") else {
        return;
    };
    let answers = responses(&spec);
    assert_eq!(
        answers.len(),
        22,
        "every 2xx JSON answer of the spec's 27 operations"
    );
    let mut runner = TestRunner::new(RunnerConfig {
        cases: 256,
        ..RunnerConfig::default()
    });
    for answer in &answers {
        let list_key = answer.path.rsplit('/').next().unwrap_or("").to_lowercase();
        // A third of the lists name themselves in `meta.key`, as the service does; a third
        // name another key the answer holds (the exception); the rest carry whatever string
        // the schema allows there.
        let strategy =
            (document(&spec, &answer.schema), 0..3u8).prop_map(move |(mut document, choice)| {
                if document["meta"].is_object() {
                    match choice {
                        0 => document["meta"]["key"] = json!(list_key.clone()),
                        1 => {
                            document["x_other"] = json!([]);
                            document["meta"]["key"] = json!("x_other");
                        }
                        _ => {}
                    }
                }
                document
            });
        runner
            .run(&strategy, |document| {
                decode_answer(&answer.path, &document).map_err(|err| {
                    TestCaseError::fail(format!("{}: {err}\n{document}", answer.path))
                })
            })
            .unwrap_or_else(|failure| panic!("{failure}"));
    }
}
