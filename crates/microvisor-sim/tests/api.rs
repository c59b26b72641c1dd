//! The emulator through its one entry point, as a client sees it.

use microvisor_api::{ApiErrorBody, App, Device, ListPage, UpdateStatus};
use microvisor_sim::{Emulator, Method, SimConfig, SimRequest, SimResponse};

const ORIGIN: &str = "http://127.0.0.1:9";
const NOW: i64 = 1_780_000_000_000;
const SECOND: i64 = 1000;

fn emulator(devices: usize) -> Emulator {
    Emulator::new(
        &SimConfig {
            devices,
            ..SimConfig::default()
        },
        NOW,
    )
}

fn emulator_with(devices: usize, failure_rate: f64) -> Emulator {
    let mut config = SimConfig {
        devices,
        ..SimConfig::default()
    };
    config.lifecycle.update_failure_rate = failure_rate;
    Emulator::new(&config, NOW)
}

fn iso(ms: i64) -> String {
    microvisor_api::time::format_iso8601(ms / 1000)
}

fn call(emu: &mut Emulator, method: Method, target: &str, body: &str, now: i64) -> SimResponse {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    emu.handle(&SimRequest {
        method,
        origin: ORIGIN,
        path,
        query,
        authorization: None,
        content_type: Some("application/x-www-form-urlencoded"),
        body: body.as_bytes(),
        now_ms: now,
    })
}

fn get(emu: &mut Emulator, target: &str) -> SimResponse {
    call(emu, Method::Get, target, "", NOW)
}

fn ok<T: serde::de::DeserializeOwned>(response: SimResponse) -> T {
    assert_eq!(response.status, 200, "{}", response.body);
    serde_json::from_str(&response.body).unwrap()
}

fn error(response: SimResponse, status: u16, code: i64) -> ApiErrorBody {
    assert_eq!(response.status, status, "{}", response.body);
    let body: ApiErrorBody = serde_json::from_str(&response.body).unwrap();
    assert_eq!(body.code, Some(code));
    assert_eq!(body.status, Some(status));
    assert_eq!(
        body.more_info,
        Some(format!("https://www.twilio.com/docs/errors/{code}"))
    );
    body
}

fn path_of(url: &str) -> String {
    url.strip_prefix(ORIGIN).unwrap().to_owned()
}

#[test]
fn first_page_has_the_spec_envelope() {
    let mut emu = emulator(250);
    let response = get(&mut emu, "/v1/Devices");
    let raw: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    let meta = raw["meta"].as_object().unwrap();
    let mut keys: Vec<&str> = meta.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "first_page_url",
            "key",
            "next_page_url",
            "page",
            "page_size",
            "previous_page_url",
            "url"
        ]
    );
    let page: ListPage<Device> = ok(response);
    assert_eq!(page.items.len(), 50);
    assert_eq!(page.meta.page_size, Some(50));
    assert_eq!(page.meta.key.as_deref(), Some("devices"));
    assert_eq!(
        page.meta.first_page_url.as_deref(),
        Some("http://127.0.0.1:9/v1/Devices?PageSize=50&Page=0")
    );
    assert!(page.meta.previous_page_url.is_none());
    let next = page.meta.next_page_url.unwrap();
    assert!(
        next.starts_with("http://127.0.0.1:9/v1/Devices?PageSize=50&Page=1&PageToken=PAUV"),
        "{next}"
    );
    let device = &page.items[0];
    assert!(
        device
            .url
            .as_deref()
            .unwrap()
            .starts_with("http://127.0.0.1:9/v1/Devices/UV")
    );
    assert!(
        device
            .links
            .as_ref()
            .unwrap()
            .device_secrets
            .as_deref()
            .unwrap()
            .ends_with("/Secrets")
    );
}

#[test]
fn pages_cover_the_fleet_once_forward_and_backward() {
    let mut emu = emulator(250);
    let mut target = "/v1/Devices?PageSize=25".to_owned();
    let mut forward = Vec::new();
    let mut pages = Vec::new();
    loop {
        let page: ListPage<Device> = ok(get(&mut emu, &target));
        forward.extend(page.items.iter().map(|d| d.sid.clone().unwrap()));
        pages.push(page.meta.clone());
        match page.meta.next_page_url {
            Some(next) => target = path_of(&next),
            None => break,
        }
    }
    assert_eq!(pages.len(), 10);
    assert_eq!(forward.len(), 250);
    let mut unique = forward.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 250);

    let mut backward = Vec::new();
    let mut previous = pages.last().unwrap().previous_page_url.clone();
    while let Some(url) = previous {
        let page: ListPage<Device> = ok(get(&mut emu, &path_of(&url)));
        backward.splice(0..0, page.items.iter().map(|d| d.sid.clone().unwrap()));
        previous = page.meta.previous_page_url;
    }
    assert_eq!(backward, forward[..225]);
}

#[test]
fn an_update_between_pages_neither_skips_nor_repeats() {
    let mut emu = emulator(30);
    let first: ListPage<Device> = ok(get(&mut emu, "/v1/Devices?PageSize=10"));
    let last_sid = first.items[9].sid.clone().unwrap();
    let renamed = call(
        &mut emu,
        Method::Post,
        &format!("/v1/Devices/{last_sid}"),
        "UniqueName=moved",
        NOW,
    );
    assert_eq!(renamed.status, 200);
    let second: ListPage<Device> = ok(get(&mut emu, &path_of(&first.meta.next_page_url.unwrap())));
    let all: ListPage<Device> = ok(get(&mut emu, "/v1/Devices?PageSize=30"));
    assert_eq!(second.items, all.items[10..20]);
}

#[test]
fn same_seed_same_fleet() {
    let a: ListPage<Device> = ok(get(&mut emulator(40), "/v1/Devices?PageSize=40"));
    let b: ListPage<Device> = ok(get(&mut emulator(40), "/v1/Devices?PageSize=40"));
    assert_eq!(a, b);
    let other = Emulator::new(
        &SimConfig {
            devices: 40,
            seed: 2,
            ..SimConfig::default()
        },
        NOW,
    );
    let mut other = other;
    let c: ListPage<Device> = ok(get(&mut other, "/v1/Devices?PageSize=40"));
    assert_ne!(a.items[0].sid, c.items[0].sid);
}

#[test]
fn the_seeded_fleet_is_a_mix() {
    let page: ListPage<Device> = ok(get(&mut emulator(250), "/v1/Devices?PageSize=250"));
    let count = |status: UpdateStatus| {
        page.items
            .iter()
            .filter(|d| d.update_status() == Some(&status))
            .count()
    };
    assert!(count(UpdateStatus::UpToDate) > 100);
    assert!(count(UpdateStatus::Pending) > 10);
    assert!(count(UpdateStatus::Error) > 5);
    let logging = page
        .items
        .iter()
        .filter(|d| d.logging.as_ref().unwrap().enabled == Some(true))
        .count();
    assert!((20..100).contains(&logging), "{logging}");
    assert!(
        page.items
            .iter()
            .filter(|d| d.unique_name.is_some())
            .count()
            > 200
    );
}

#[test]
fn fetch_by_sid_or_unique_name() {
    let mut emu = emulator(20);
    let page: ListPage<Device> = ok(get(&mut emu, "/v1/Devices?PageSize=20"));
    let named = page.items.iter().find(|d| d.unique_name.is_some()).unwrap();
    let by_sid: Device = ok(get(
        &mut emu,
        &format!("/v1/Devices/{}", named.sid.as_ref().unwrap()),
    ));
    let by_name: Device = ok(get(
        &mut emu,
        &format!("/v1/Devices/{}", named.unique_name.as_ref().unwrap()),
    ));
    assert_eq!(&by_sid, named);
    assert_eq!(by_sid, by_name);
}

#[test]
fn unknown_resources_paths_and_methods() {
    let mut emu = emulator(5);
    let body = error(
        get(&mut emu, "/v1/Devices/UV00000000000000000000000000000000"),
        404,
        20404,
    );
    assert!(
        body.message
            .unwrap()
            .contains("UV00000000000000000000000000000000")
    );
    error(get(&mut emu, "/v1/Devices/no-such-name"), 404, 20404);
    error(get(&mut emu, "/v1/Nothing"), 404, 20404);
    error(
        call(&mut emu, Method::Delete, "/v1/Devices", "", NOW),
        405,
        20004,
    );
}

#[test]
fn bad_paging_parameters_are_400_naming_the_parameter() {
    let mut emu = emulator(5);
    for (target, name) in [
        ("/v1/Devices?PageSize=0", "PageSize"),
        ("/v1/Devices?PageSize=1001", "PageSize"),
        ("/v1/Devices?PageSize=ten", "PageSize"),
        ("/v1/Devices?Page=x", "Page"),
        ("/v1/Devices?PageToken=PAUVforged", "PageToken"),
        ("/v1/Apps?PageToken=nope", "PageToken"),
    ] {
        let body = error(get(&mut emu, target), 400, 20001);
        assert!(body.message.unwrap().contains(name), "{target}");
    }
}

fn first_device(emu: &mut Emulator) -> Device {
    let page: ListPage<Device> = ok(get(emu, "/v1/Devices?PageSize=1"));
    page.items.into_iter().next().unwrap()
}

#[test]
fn rename_checks_and_applies() {
    let mut emu = emulator(10);
    let page: ListPage<Device> = ok(get(&mut emu, "/v1/Devices?PageSize=10"));
    let sid = page.items[0].sid.clone().unwrap();
    let taken = page
        .items
        .iter()
        .skip(1)
        .find_map(|d| d.unique_name.clone())
        .unwrap();
    let path = format!("/v1/Devices/{sid}");
    let renamed: Device = ok(call(
        &mut emu,
        Method::Post,
        &path,
        "UniqueName=pump+%C3%BC+7",
        NOW + 5 * SECOND,
    ));
    assert_eq!(renamed.unique_name.as_deref(), Some("pump ü 7"));
    assert_eq!(
        renamed.date_updated.as_deref(),
        Some(iso(NOW + 5 * SECOND).as_str())
    );
    let fetched: Device = ok(get(&mut emu, "/v1/Devices/pump%20%C3%BC%207"));
    assert_eq!(fetched.sid.as_deref(), Some(sid.as_str()));

    for body in [
        "UniqueName=",
        "UniqueName=UV0123456789abcdef0123456789abcdef",
    ] {
        let message = error(call(&mut emu, Method::Post, &path, body, NOW), 400, 20001)
            .message
            .unwrap();
        assert!(message.contains("UniqueName"), "{message}");
    }
    let message = error(
        call(
            &mut emu,
            Method::Post,
            &path,
            &format!("UniqueName={taken}"),
            NOW,
        ),
        400,
        20001,
    )
    .message
    .unwrap();
    assert!(message.contains("already used"), "{message}");
    // A refused update changes nothing, even the parts that were valid.
    error(
        call(
            &mut emu,
            Method::Post,
            &path,
            "LoggingEnabled=true&TargetApp=nope",
            NOW,
        ),
        400,
        20001,
    );
    let after: Device = ok(get(&mut emu, &path));
    assert_eq!(after, fetched);
}

fn an_online_device(emu: &mut Emulator) -> (Device, String) {
    let page: ListPage<Device> = ok(get(emu, "/v1/Devices?PageSize=40"));
    let device = page
        .items
        .into_iter()
        .find(|d| {
            d.update_status() != Some(&UpdateStatus::Pending)
                && d.app.as_ref().unwrap().target_sid.is_some()
        })
        .unwrap();
    let path = format!("/v1/Devices/{}", device.sid.as_ref().unwrap());
    (device, path)
}

#[test]
fn deploy_goes_pending_then_up_to_date_after_the_jittered_delay() {
    let mut emu = emulator_with(40, 0.0);
    let apps: ListPage<App> = ok(get(&mut emu, "/v1/Apps"));
    let app = apps.items[3].clone();
    let (_, path) = an_online_device(&mut emu);

    let body = format!("TargetApp={}", app.unique_name.as_ref().unwrap());
    let pending: Device = ok(call(&mut emu, Method::Post, &path, &body, NOW));
    let state = pending.app.unwrap();
    assert_eq!(state.update_status, Some(UpdateStatus::Pending));
    assert_eq!(state.target_sid, app.sid);
    assert_eq!(state.date_targeted, Some(iso(NOW)));
    assert_eq!(state.reported_sid, None);
    assert_eq!(state.update_error_code, Some(0));
    assert_eq!(pending.date_updated, Some(iso(NOW)));

    // The delay is 50–150 % of 5 s: still pending before 2.5 s, settled after 7.5 s.
    let early: Device = ok(call(&mut emu, Method::Get, &path, "", NOW + 2_499));
    assert_eq!(early.update_status(), Some(&UpdateStatus::Pending));
    let later: Device = ok(call(&mut emu, Method::Get, &path, "", NOW + 7_500));
    let state = later.app.unwrap();
    assert_eq!(state.update_status, Some(UpdateStatus::UpToDate));
    assert_eq!(state.reported_sid, app.sid);
    assert_eq!(state.target_hash, app.hash);
    assert!(state.date_reported.is_some());
}

#[test]
fn delays_are_jittered_across_devices() {
    let mut emu = emulator_with(200, 0.0);
    let page: ListPage<Device> = ok(get(&mut emu, "/v1/Devices?PageSize=200"));
    let mut settled_at = Vec::new();
    for device in page.items.iter().take(20) {
        let path = format!("/v1/Devices/{}", device.sid.as_ref().unwrap());
        ok::<Device>(call(&mut emu, Method::Post, &path, "RestartApp=true", NOW));
        let first_settled = (0..=16)
            .map(|half_seconds| NOW + half_seconds * 500)
            .find(|&t| {
                let d: Device = ok(call(&mut emu, Method::Get, &path, "", t));
                d.update_status() == Some(&UpdateStatus::UpToDate)
            })
            .unwrap();
        settled_at.push(first_settled);
    }
    settled_at.sort_unstable();
    settled_at.dedup();
    assert!(settled_at.len() >= 4, "{settled_at:?}");
    assert!(
        settled_at
            .iter()
            .all(|&t| (NOW + 2_500..=NOW + 7_500).contains(&t))
    );
}

#[test]
fn failing_deploys_end_in_error_with_a_code() {
    let mut emu = emulator_with(40, 1.0);
    let (_, path) = an_online_device(&mut emu);
    let apps: ListPage<App> = ok(get(&mut emu, "/v1/Apps"));
    let body = format!("TargetApp={}", apps.items[0].sid.as_ref().unwrap());
    ok::<Device>(call(&mut emu, Method::Post, &path, &body, NOW));
    let failed: Device = ok(call(&mut emu, Method::Get, &path, "", NOW + 8 * SECOND));
    assert_eq!(failed.update_status(), Some(&UpdateStatus::Error));
    assert_ne!(failed.app.unwrap().update_error_code, Some(0));
}

#[test]
fn logging_opens_a_24_hour_window_and_closes() {
    let mut emu = emulator(3);
    let sid = first_device(&mut emu).sid.unwrap();
    let path = format!("/v1/Devices/{sid}");
    let on: Device = ok(call(
        &mut emu,
        Method::Post,
        &path,
        "LoggingEnabled=true",
        NOW,
    ));
    let logging = on.logging.unwrap();
    assert_eq!(logging.enabled, Some(true));
    assert_eq!(logging.date_expires, Some(iso(NOW + 86_400 * SECOND)));
    let expired: Device = ok(call(
        &mut emu,
        Method::Get,
        &path,
        "",
        NOW + 86_400 * SECOND,
    ));
    assert_eq!(expired.logging.unwrap().enabled, Some(false));
    ok::<Device>(call(
        &mut emu,
        Method::Post,
        &path,
        "LoggingEnabled=true",
        NOW,
    ));
    let off: Device = ok(call(
        &mut emu,
        Method::Post,
        &path,
        "LoggingEnabled=false",
        NOW,
    ));
    assert_eq!(off.logging.unwrap().date_expires, None);
}

#[test]
fn restart_reports_back_like_a_deploy() {
    let mut emu = emulator(40);
    let page: ListPage<Device> = ok(get(&mut emu, "/v1/Devices?PageSize=40"));
    let device = page
        .items
        .iter()
        .find(|d| {
            d.update_status() == Some(&UpdateStatus::UpToDate)
                && d.app.as_ref().unwrap().target_sid.is_some()
        })
        .unwrap();
    let path = format!("/v1/Devices/{}", device.sid.as_ref().unwrap());
    let restarted: Device = ok(call(&mut emu, Method::Post, &path, "RestartApp=true", NOW));
    assert_eq!(restarted.update_status(), Some(&UpdateStatus::Pending));
    // A restart is not a deploy: it never fails, even at a failure rate of 1.
    let settled: Device = ok(call(&mut emu, Method::Get, &path, "", NOW + 60 * SECOND));
    assert_eq!(settled.update_status(), Some(&UpdateStatus::UpToDate));
    assert_eq!(
        settled.app.as_ref().unwrap().target_sid,
        device.app.as_ref().unwrap().target_sid
    );
}

#[test]
fn writes_must_be_form_encoded() {
    let mut emu = emulator(3);
    let sid = first_device(&mut emu).sid.unwrap();
    let response = emu.handle(&SimRequest {
        method: Method::Post,
        origin: ORIGIN,
        path: &format!("/v1/Devices/{sid}"),
        query: "",
        authorization: None,
        content_type: Some("application/json"),
        body: br#"{"UniqueName":"x"}"#,
        now_ms: NOW,
    });
    let body = error(response, 400, 20001);
    assert!(body.message.unwrap().contains("x-www-form-urlencoded"));
    let message = error(
        call(
            &mut emu,
            Method::Post,
            &format!("/v1/Devices/{sid}"),
            "LoggingEnabled=maybe",
            NOW,
        ),
        400,
        20001,
    )
    .message
    .unwrap();
    assert!(message.contains("LoggingEnabled"));
}

#[test]
fn apps_list_and_fetch() {
    let mut emu = emulator(3);
    let apps: ListPage<App> = ok(get(&mut emu, "/v1/Apps?PageSize=2"));
    assert_eq!(apps.items.len(), 2);
    assert!(apps.meta.next_page_url.is_some());
    let app = &apps.items[0];
    assert!(app.hash.as_deref().unwrap().starts_with("sha256:"));
    let by_name: App = ok(get(
        &mut emu,
        &format!("/v1/Apps/{}", app.unique_name.as_ref().unwrap()),
    ));
    assert_eq!(&by_name, app);
    let next: ListPage<App> = ok(get(&mut emu, &path_of(&apps.meta.next_page_url.unwrap())));
    assert_eq!(next.items.len(), 2);
    assert_ne!(next.items[0], apps.items[0]);
}

#[test]
fn credentials_are_checked_before_anything_else_when_asked_for() {
    use base64::Engine;
    let mut emu = emulator(3);
    emu.set_auth(microvisor_sim::Auth::basic_from_pair("AC1:right"));
    let with = |emu: &mut Emulator, authorization: Option<&str>, method: Method, path: &str| {
        emu.handle(&SimRequest {
            method,
            origin: ORIGIN,
            path,
            query: "",
            authorization,
            content_type: Some("application/x-www-form-urlencoded"),
            body: b"UniqueName=renamed",
            now_ms: NOW,
        })
    };
    let good = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("AC1:right")
    );
    let bad = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("AC1:wrong")
    );
    let denied = with(&mut emu, None, Method::Get, "/v1/Devices");
    let body = error(denied, 401, 20003);
    assert!(body.message.unwrap().contains("Authentication Error"));
    let sid = emu.fleet().devices[0].sid.to_string();
    let refused = with(
        &mut emu,
        Some(&bad),
        Method::Post,
        &format!("/v1/Devices/{sid}"),
    );
    error(refused, 401, 20003);
    assert!(
        emu.take_changes().is_empty(),
        "a refused write changes nothing"
    );
    assert_eq!(
        with(&mut emu, Some(&good), Method::Get, "/v1/Devices").status,
        200
    );
    assert_eq!(
        with(
            &mut emu,
            Some(&good),
            Method::Post,
            &format!("/v1/Devices/{sid}")
        )
        .status,
        200
    );
}
