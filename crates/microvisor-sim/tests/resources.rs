//! Configs, Secrets, Apps and the state records, through the emulator's one entry point.

use microvisor_api::{ApiErrorBody, App, AppManifest, Config, Device, ListPage, Secret};
use microvisor_sim::{Emulator, Method, RecordKind, SimConfig, SimRequest, SimResponse};

const ORIGIN: &str = "http://localhost:8080";
const NOW: i64 = 1_780_000_000_000;

fn emulator(devices: usize) -> Emulator {
    Emulator::new(
        &SimConfig {
            devices,
            ..SimConfig::default()
        },
        NOW,
    )
}

fn call(emu: &mut Emulator, method: Method, target: &str, body: &str) -> SimResponse {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    emu.handle(&SimRequest {
        method,
        origin: ORIGIN,
        path,
        query,
        authorization: None,
        content_type: Some("application/x-www-form-urlencoded"),
        body: body.as_bytes(),
        now_ms: NOW,
    })
}

fn decode<T: serde::de::DeserializeOwned>(response: &SimResponse, status: u16) -> T {
    assert_eq!(response.status, status, "{}", response.body);
    serde_json::from_str(&response.body).unwrap()
}

fn error_message(response: &SimResponse, status: u16) -> String {
    let body: ApiErrorBody = decode(response, status);
    assert_eq!(body.status, Some(status));
    body.message.unwrap()
}

fn first_device(emu: &mut Emulator) -> Device {
    let page: ListPage<Device> =
        decode(&call(emu, Method::Get, "/v1/Devices?PageSize=20", ""), 200);
    page.items
        .into_iter()
        .find(|d| d.unique_name.is_some())
        .unwrap()
}

/// The five operations on one Configs or Secrets collection.
fn exercise_collection(emu: &mut Emulator, collection: &str, secret: bool) {
    let created = call(
        emu,
        Method::Post,
        collection,
        "Key=broker+url&Value=mqtts%3A%2F%2Fa",
    );
    let item_url = format!("{collection}/broker%20url");
    if secret {
        let secret: Secret = decode(&created, 201);
        assert_eq!(secret.key.as_deref(), Some("broker url"));
        assert!(
            !created.body.contains("mqtts"),
            "a secret value leaked: {}",
            created.body
        );
        let url = secret.url.unwrap();
        assert!(
            url.starts_with(ORIGIN) && url.ends_with("/Secrets/broker%20url"),
            "{url}"
        );
    } else {
        let config: Config = decode(&created, 201);
        assert_eq!(config.value.as_deref(), Some("mqtts://a"));
    }
    let duplicate = call(emu, Method::Post, collection, "Key=broker+url&Value=x");
    assert!(error_message(&duplicate, 400).contains("already exists"));
    let fetched = call(emu, Method::Get, &item_url, "");
    assert_eq!(fetched.status, 200);
    assert!(!secret || !fetched.body.contains("mqtts"));
    let updated = call(emu, Method::Post, &item_url, "Value=mqtts%3A%2F%2Fb");
    assert_eq!(updated.status, 200, "{}", updated.body);
    if !secret {
        assert_eq!(
            decode::<Config>(&updated, 200).value.as_deref(),
            Some("mqtts://b")
        );
    }
    let listed = call(emu, Method::Get, &format!("{collection}?PageSize=1000"), "");
    assert!(listed.body.contains("broker url"));
    assert!(!listed.body.contains("mqtts") || !secret);
    assert_eq!(call(emu, Method::Delete, &item_url, "").status, 204);
    assert_eq!(call(emu, Method::Delete, &item_url, "").status, 404);
    assert_eq!(call(emu, Method::Get, &item_url, "").status, 404);
    assert_eq!(call(emu, Method::Post, &item_url, "Value=1").status, 404);
}

#[test]
fn account_and_device_configs_and_secrets() {
    let mut emu = emulator(10);
    exercise_collection(&mut emu, "/v1/Configs", false);
    exercise_collection(&mut emu, "/v1/Secrets", true);
    let device = first_device(&mut emu);
    let by_sid = format!("/v1/Devices/{}", device.sid.as_ref().unwrap());
    let by_name = format!("/v1/Devices/{}", device.unique_name.as_ref().unwrap());
    exercise_collection(&mut emu, &format!("{by_sid}/Configs"), false);
    exercise_collection(&mut emu, &format!("{by_name}/Secrets"), true);
    let created: Config = decode(
        &call(
            &mut emu,
            Method::Post,
            &format!("{by_name}/Configs"),
            "Key=k&Value=v",
        ),
        201,
    );
    assert_eq!(created.device_sid, device.sid);
    assert_eq!(created.url, Some(format!("{ORIGIN}{by_sid}/Configs/k")));
}

#[test]
fn key_value_limits_and_required_parameters() {
    let mut emu = emulator(3);
    let long_key = format!("Key={}&Value=v", "k".repeat(101));
    assert!(
        error_message(&call(&mut emu, Method::Post, "/v1/Configs", &long_key), 400).contains("Key")
    );
    let long_value = format!("Key=k&Value={}", "v".repeat(4097));
    assert!(
        error_message(
            &call(&mut emu, Method::Post, "/v1/Secrets", &long_value),
            400
        )
        .contains("Value")
    );
    assert!(
        error_message(&call(&mut emu, Method::Post, "/v1/Configs", "Value=v"), 400).contains("Key")
    );
    assert!(
        error_message(&call(&mut emu, Method::Post, "/v1/Configs", "Key=k"), 400).contains("Value")
    );
    let exact = format!("Key={}&Value={}", "k".repeat(100), "v".repeat(4096));
    assert_eq!(
        call(&mut emu, Method::Post, "/v1/Configs", &exact).status,
        201
    );
    assert_eq!(
        call(
            &mut emu,
            Method::Post,
            "/v1/Devices/nobody/Configs",
            "Key=k&Value=v"
        )
        .status,
        404
    );
}

#[test]
fn apps_manifest_and_delete_rules() {
    let mut emu = emulator(50);
    let apps: ListPage<App> = decode(
        &call(&mut emu, Method::Get, "/v1/Apps?PageSize=100", ""),
        200,
    );
    assert_eq!(apps.items.len(), 8);
    let devices: ListPage<Device> = decode(
        &call(&mut emu, Method::Get, "/v1/Devices?PageSize=50", ""),
        200,
    );
    let targeted: Vec<String> = devices
        .items
        .iter()
        .filter_map(|d| d.app.as_ref()?.target_sid.clone())
        .collect();
    let used = apps
        .items
        .iter()
        .find(|a| targeted.contains(a.sid.as_ref().unwrap()))
        .unwrap();
    let unused = apps
        .items
        .iter()
        .find(|a| !targeted.contains(a.sid.as_ref().unwrap()));

    let manifest: AppManifest = decode(
        &call(
            &mut emu,
            Method::Get,
            &format!("/v1/Apps/{}/Manifest", used.unique_name.as_ref().unwrap()),
            "",
        ),
        200,
    );
    assert_eq!(manifest.app_sid, used.sid);
    assert_eq!(manifest.hash, used.hash);
    assert!(manifest.encoded_bytes.unwrap().len() > 20);

    let refused = call(
        &mut emu,
        Method::Delete,
        &format!("/v1/Apps/{}", used.sid.as_ref().unwrap()),
        "",
    );
    assert!(error_message(&refused, 400).contains("still targets it"));
    if let Some(unused) = unused {
        let path = format!("/v1/Apps/{}", unused.sid.as_ref().unwrap());
        assert_eq!(call(&mut emu, Method::Delete, &path, "").status, 204);
        assert_eq!(call(&mut emu, Method::Get, &path, "").status, 404);
    }
    // Once no device targets it any more, the app can go.
    let other = apps.items.iter().find(|a| a.sid != used.sid).unwrap();
    for device in devices
        .items
        .iter()
        .filter(|d| d.app.as_ref().unwrap().target_sid == used.sid)
    {
        let path = format!("/v1/Devices/{}", device.sid.as_ref().unwrap());
        let body = format!("TargetApp={}", other.sid.as_ref().unwrap());
        assert_eq!(call(&mut emu, Method::Post, &path, &body).status, 200);
    }
    // Devices beyond the first 50 may target it too.
    let all: ListPage<Device> = decode(
        &call(&mut emu, Method::Get, "/v1/Devices?PageSize=1000", ""),
        200,
    );
    assert!(
        all.items
            .iter()
            .all(|d| d.app.as_ref().unwrap().target_sid != used.sid)
    );
    assert_eq!(
        call(
            &mut emu,
            Method::Delete,
            &format!("/v1/Apps/{}", used.sid.as_ref().unwrap()),
            ""
        )
        .status,
        204
    );
}

#[test]
fn methods_a_path_does_not_have_are_405() {
    let mut emu = emulator(3);
    let device = first_device(&mut emu);
    let sid = device.sid.unwrap();
    for (method, path) in [
        (Method::Post, "/v1/Devices".to_owned()),
        (Method::Delete, format!("/v1/Devices/{sid}")),
        (Method::Post, "/v1/Apps".to_owned()),
        (Method::Post, "/v1/Apps/x/Manifest".to_owned()),
        (Method::Delete, "/v1/Configs".to_owned()),
        (Method::Other, format!("/v1/Devices/{sid}/Secrets")),
    ] {
        let response = call(&mut emu, method, &path, "");
        assert_eq!(response.status, 405, "{method:?} {path}: {}", response.body);
    }
    assert_eq!(
        call(&mut emu, Method::Get, "/v1/Devices/x/Other", "").status,
        404
    );
    assert_eq!(call(&mut emu, Method::Get, "/v2/Devices", "").status, 404);
}

#[test]
fn a_walk_with_page_size_7_meets_every_device_once_while_others_rename() {
    let mut emu = emulator(1000);
    let mut next = Some(format!("{ORIGIN}/v1/Devices?PageSize=7"));
    let mut seen = Vec::new();
    let mut renames = 0;
    while let Some(url) = next {
        let path = url.strip_prefix(ORIGIN).unwrap();
        let page: ListPage<Device> = decode(&call(&mut emu, Method::Get, path, ""), 200);
        seen.extend(page.items.iter().map(|d| d.sid.clone().unwrap()));
        // Another client renames a device on this page and one far ahead.
        for target in [&page.items[0], &page.items[page.items.len() - 1]] {
            let body = format!("UniqueName=renamed-{renames}");
            renames += 1;
            let path = format!("/v1/Devices/{}", target.sid.as_ref().unwrap());
            assert_eq!(call(&mut emu, Method::Post, &path, &body).status, 200);
        }
        next = page.meta.next_page_url;
    }
    assert_eq!(seen.len(), 1000);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 1000);
}

#[test]
fn state_survives_export_and_import() {
    let mut emu = emulator(30);
    let device = first_device(&mut emu);
    let path = format!("/v1/Devices/{}", device.sid.as_ref().unwrap());
    assert_eq!(
        call(
            &mut emu,
            Method::Post,
            &path,
            "UniqueName=kept&LoggingEnabled=true"
        )
        .status,
        200
    );
    assert_eq!(
        call(&mut emu, Method::Post, "/v1/Secrets", "Key=s&Value=v").status,
        201
    );
    assert_eq!(
        call(
            &mut emu,
            Method::Post,
            "/v1/Devices/kept/Configs",
            "Key=c&Value=v"
        )
        .status,
        201
    );
    let changes = emu.take_changes();
    let kinds: Vec<RecordKind> = changes.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [RecordKind::Device, RecordKind::AccountSecret]);
    assert!(changes.iter().all(|c| c.json.is_some()));
    assert!(emu.take_changes().is_empty());

    let records: Vec<(RecordKind, String)> = emu
        .export()
        .into_iter()
        .map(|r| (r.kind, r.json.unwrap()))
        .collect();
    let mut restored = Emulator::import(SimConfig::default().lifecycle, &records).unwrap();
    for target in [
        "/v1/Devices?PageSize=30",
        "/v1/Devices/kept",
        "/v1/Devices/kept/Configs",
        "/v1/Secrets",
        "/v1/Apps",
    ] {
        assert_eq!(
            call(&mut emu, Method::Get, target, ""),
            call(&mut restored, Method::Get, target, ""),
            "{target}"
        );
    }
    assert!(Emulator::import(SimConfig::default().lifecycle, &[]).is_err());
    assert!(
        Emulator::import(
            SimConfig::default().lifecycle,
            &[(RecordKind::Device, "{".into())]
        )
        .is_err()
    );
}

#[test]
fn deleted_records_are_reported_as_deletions() {
    let mut emu = emulator(3);
    assert_eq!(
        call(&mut emu, Method::Post, "/v1/Configs", "Key=gone&Value=v").status,
        201
    );
    assert_eq!(
        call(&mut emu, Method::Delete, "/v1/Configs/gone", "").status,
        204
    );
    let changes = emu.take_changes();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (
            changes[0].kind,
            changes[0].id.as_str(),
            changes[0].json.as_deref()
        ),
        (RecordKind::AccountConfig, "gone", None)
    );
}

#[test]
fn a_large_fleet_lists_quickly_enough_to_serve() {
    // 100,000 devices: the list touches only one page, whatever the fleet size.
    let mut emu = emulator(100_000);
    let page: ListPage<Device> = decode(
        &call(
            &mut emu,
            Method::Get,
            "/v1/Devices?PageSize=1000&Page=98",
            "",
        ),
        200,
    );
    assert_eq!(page.items.len(), 1000);
    let next = page.meta.next_page_url.unwrap();
    let last: ListPage<Device> = decode(
        &call(
            &mut emu,
            Method::Get,
            next.strip_prefix(ORIGIN).unwrap(),
            "",
        ),
        200,
    );
    assert_eq!(last.items.len(), 1000);
    assert_eq!(
        last.meta.next_page_url, None,
        "page 100 of 100,000 at 1000 is the last"
    );
}
