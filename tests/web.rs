//! Component tests in headless Chromium (wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]

use fleet_engine::AppNames;
use leptos::prelude::*;
use leptos::task::tick;
use microvisor_api::{App, Device, DeviceApp, DeviceLogging, UpdateStatus};
use microvisor_console::components::{DeviceTable, Pager, PagerLinks, StatusBadge};
use microvisor_console::fleet::shown::ShownRows;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount(view: impl FnOnce() -> AnyView + 'static) -> (web_sys::HtmlElement, impl Drop) {
    let document = document();
    let host: web_sys::HtmlElement = document.create_element("section").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone(), view);
    (host, handle)
}

fn device(n: u32, status: &str, target: &str, reported: Option<&str>) -> Device {
    Device {
        sid: Some(format!("UV{n:032x}")),
        unique_name: (n != 2).then(|| format!("pump-{n}")),
        app: Some(DeviceApp {
            target_sid: Some(target.to_owned()),
            reported_sid: reported.map(str::to_owned),
            update_status: Some(UpdateStatus::from_wire(status)),
            ..DeviceApp::default()
        }),
        logging: Some(DeviceLogging {
            enabled: Some(false),
            date_expires: None,
        }),
        date_updated: Some("2026-01-01T00:00:00Z".into()),
        ..Device::default()
    }
}

fn texts(host: &web_sys::HtmlElement, selector: &str) -> Vec<String> {
    let nodes = host.query_selector_all(selector).unwrap();
    (0..nodes.length())
        .map(|i| nodes.item(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn device_table_renders_one_row_per_device_with_names_and_badges() {
    let apps = vec![App {
        sid: Some("KA1".into()),
        unique_name: Some("pump-fw-1.0".into()),
        ..App::default()
    }];
    let devices = vec![
        device(1, "up-to-date", "KA1", Some("KA1")),
        device(2, "scheduled", "KA1", None),
        device(3, "error", "KA1", Some("KA9")),
    ];
    let (host, _handle) = mount(move || {
        view! { <DeviceTable rows=ShownRows::all(devices) app_names=AppNames::from_apps(&apps) now=1_767_225_600 + 600/> }.into_any()
    });
    tick().await;
    assert_eq!(texts(&host, "tbody tr").len(), 3);
    assert_eq!(texts(&host, "thead th").len(), 7);
    assert_eq!(texts(&host, ".badge"), ["up-to-date", "pending", "error"]);
    let names = texts(&host, "tbody td:nth-child(2) a");
    assert_eq!(names, ["pump-1", "(no name)", "pump-3"]);
    // The row without a name links by SID; names resolve app SIDs.
    let link = host
        .query_selector("tbody tr:nth-child(2) a")
        .unwrap()
        .unwrap();
    assert_eq!(
        link.get_attribute("href").unwrap(),
        format!("/devices/UV{:032x}", 2)
    );
    assert_eq!(
        texts(&host, "tbody tr:first-child td:nth-child(4)"),
        ["pump-fw-1.0"]
    );
    let reported = texts(&host, "td.differs");
    assert_eq!(reported, ["KA9 ≠ target"]);
    assert_eq!(texts(&host, "tbody time")[0], "10 min ago");
}

#[wasm_bindgen_test]
async fn hostile_names_render_as_text() {
    let mut hostile = device(1, "up-to-date", "KA1", Some("KA1"));
    hostile.unique_name = Some("<img src=x onerror=\"window.__pwned=1\">".into());
    let (host, _handle) = mount(move || {
        view! { <DeviceTable rows=ShownRows::all(vec![hostile]) app_names=AppNames::default() now=0/> }
            .into_any()
    });
    tick().await;
    assert!(host.query_selector("tbody img").unwrap().is_none());
    assert_eq!(
        texts(&host, "tbody td:nth-child(2) a")[0],
        "<img src=x onerror=\"window.__pwned=1\">"
    );
}

#[wasm_bindgen_test]
async fn pager_disables_missing_links_and_everything_while_busy() {
    let busy = RwSignal::new(false);
    let links = PagerLinks {
        first: Some("/devices?PageSize=50&Page=0".into()),
        previous: None,
        next: Some("/devices?x".into()),
    };
    let (host, _handle) = mount(move || {
        view! { <Pager links summary="Page 2 · devices 51–100".to_owned() busy/> }.into_any()
    });
    tick().await;
    let anchors = host.query_selector_all("a").unwrap();
    let state = |i: u32| {
        let a: web_sys::Element = anchors.item(i).unwrap().unchecked_into();
        (
            a.text_content().unwrap(),
            a.get_attribute("href"),
            a.get_attribute("aria-disabled").unwrap(),
        )
    };
    assert_eq!(
        state(0),
        (
            "First".into(),
            Some("/devices?PageSize=50&Page=0".into()),
            "false".into()
        )
    );
    assert_eq!(state(1), ("Previous".into(), None, "true".into()));
    assert_eq!(
        state(2),
        ("Next".into(), Some("/devices?x".into()), "false".into())
    );
    busy.set(true);
    tick().await;
    assert_eq!(state(2), ("Next".into(), None, "true".into()));
    assert_eq!(texts(&host, ".summary"), ["Page 2 · devices 51–100"]);
}

#[wasm_bindgen_test]
async fn status_badge_words() {
    let (host, _handle) = mount(|| {
        view! {
            <StatusBadge status=Some(UpdateStatus::from_wire("rolling"))/>
            <StatusBadge status=None/>
        }
        .into_any()
    });
    tick().await;
    assert_eq!(texts(&host, ".badge"), ["rolling", "unknown"]);
}

fn editor_host(device: Device) -> (web_sys::HtmlElement, impl Drop) {
    use microvisor_api::url::ApiBase;
    use microvisor_console::api::ApiClient;
    use microvisor_console::panels::DeviceEditor;
    mount(move || {
        // A base no test request reaches: these tests stop at validation or a dialog.
        provide_context(ApiClient::new(
            ApiBase::new("/unreachable/v1", "http://127.0.0.1:9").unwrap(),
        ));
        let sid = device.sid.clone().unwrap_or_default();
        let device = Signal::derive(move || device.clone());
        view! { <DeviceEditor sid device apps=Signal::derive(Vec::new) on_updated=Callback::new(|_| ())/> }.into_any()
    })
}

fn input(host: &web_sys::HtmlElement, id: &str, text: &str) {
    let element: web_sys::HtmlInputElement = host
        .query_selector(&format!("#{id}"))
        .unwrap()
        .unwrap()
        .unchecked_into();
    element.set_value(text);
    element
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
}

fn click(host: &web_sys::HtmlElement, selector: &str) {
    let element: web_sys::HtmlElement = host
        .query_selector(selector)
        .unwrap()
        .unwrap()
        .unchecked_into();
    element.click();
}

#[wasm_bindgen_test]
async fn rename_form_refuses_bad_names_before_sending_and_keeps_them() {
    let (host, _handle) = editor_host(device(1, "up-to-date", "KA1", Some("KA1")));
    tick().await;
    let field: web_sys::HtmlInputElement = host
        .query_selector("#unique-name")
        .unwrap()
        .unwrap()
        .unchecked_into();
    assert_eq!(
        field.value(),
        "pump-1",
        "the form starts from the current name"
    );
    let label = host
        .query_selector("label[for=unique-name]")
        .unwrap()
        .unwrap();
    assert_eq!(label.text_content().unwrap(), "Unique name");

    input(&host, "unique-name", "UV0123456789abcdef0123456789abcdef");
    click(&host, "form button[type=submit]");
    tick().await;
    assert!(texts(&host, "#unique-name-error")[0].contains("look like a SID"));
    assert_eq!(field.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(field.value(), "UV0123456789abcdef0123456789abcdef");

    input(&host, "unique-name", "");
    click(&host, "form button[type=submit]");
    tick().await;
    assert_eq!(
        texts(&host, "#unique-name-error"),
        ["A unique name cannot be empty."]
    );
    // Typing clears the complaint.
    input(&host, "unique-name", "pump-2");
    tick().await;
    assert_eq!(texts(&host, "#unique-name-error"), [""]);
}

#[wasm_bindgen_test]
async fn deploy_needs_an_app_and_asks_first() {
    let (host, _handle) = editor_host(device(1, "up-to-date", "KA1", Some("KA1")));
    tick().await;
    let deploy = "form:nth-of-type(2) button[type=submit]";
    click(&host, deploy);
    tick().await;
    assert_eq!(
        texts(&host, "#target-app-error"),
        ["Choose an app by unique name or SID."]
    );
    assert!(host.query_selector("dialog[open]").unwrap().is_none());

    input(&host, "target-app", "KA0123456789abcdef0123456789abcdef");
    click(&host, deploy);
    tick().await;
    let message = texts(&host, "dialog[open] .dialog-message");
    assert_eq!(message.len(), 1, "the confirmation is open");
    assert!(
        message[0].contains("KA1 → KA0123456789abcdef0123456789abcdef"),
        "{}",
        message[0]
    );
    click(&host, "dialog[open] button.secondary");
    tick().await;
    assert!(
        host.query_selector("dialog[open]").unwrap().is_none(),
        "Cancel closes it"
    );
}

#[wasm_bindgen_test]
async fn logging_buttons_follow_the_state() {
    let mut on = device(1, "up-to-date", "KA1", Some("KA1"));
    on.logging = Some(DeviceLogging {
        enabled: Some(true),
        date_expires: Some("2099-01-01T00:00:00Z".into()),
    });
    let (host, _handle) = editor_host(on);
    tick().await;
    let buttons = texts(&host, "[role=group] > button");
    assert_eq!(buttons, ["Extend logging 24 h", "Disable logging"]);
    // Every write offers its terminal equivalents, credentials as variables.
    assert_eq!(
        texts(&host, "[role=group] .copy-commands button"),
        ["Copy as curl", "Copy as twilio-cli"]
    );
    let (host_off, _handle_off) = editor_host(device(2, "up-to-date", "KA1", Some("KA1")));
    tick().await;
    assert_eq!(
        texts(&host_off, "[role=group] > button"),
        ["Enable logging"]
    );
}

#[wasm_bindgen_test]
async fn the_header_checkbox_selects_every_row_and_shows_a_partial_choice() {
    use microvisor_console::components::TableSelection;
    use std::collections::BTreeSet;
    let devices = vec![
        device(1, "up-to-date", "KA1", Some("KA1")),
        device(2, "pending", "KA1", None),
        device(3, "error", "KA1", Some("KA9")),
    ];
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let on_toggle = Callback::new(move |(sid, _shift): (String, bool)| {
        selected.update(|s| {
            if !s.remove(&sid) {
                s.insert(sid);
            }
        })
    });
    let (host, _handle) = mount(move || {
        view! {
            <DeviceTable rows=ShownRows::all(devices) app_names=AppNames::default() now=0
                selection=TableSelection { selected, on_toggle }/>
        }
        .into_any()
    });
    tick().await;
    let header: web_sys::HtmlInputElement = host
        .query_selector("thead input.select-all")
        .unwrap()
        .expect("a header checkbox")
        .unchecked_into();
    assert_eq!(
        header.get_attribute("aria-label").as_deref(),
        Some("Select every row")
    );
    assert!(!header.checked() && !header.indeterminate());
    // One row: the header box is neither checked nor clear.
    click(&host, "tbody tr:nth-child(2) input[data-select]");
    tick().await;
    assert_eq!(selected.get_untracked().len(), 1);
    assert!(!header.checked() && header.indeterminate());
    // The header box takes every row; again, none.
    header.click();
    tick().await;
    assert_eq!(selected.get_untracked().len(), 3);
    assert!(header.checked() && !header.indeterminate());
    let boxes = host.query_selector_all("tbody input[data-select]").unwrap();
    assert!((0..boxes.length()).all(|i| {
        boxes
            .item(i)
            .unwrap()
            .unchecked_into::<web_sys::HtmlInputElement>()
            .checked()
    }));
    header.click();
    tick().await;
    assert!(selected.get_untracked().is_empty());
    assert!(!header.checked() && !header.indeterminate());
}

#[wasm_bindgen_test]
fn a_range_of_the_shown_rows_follows_the_order_and_stays_in_bounds() {
    let owner = Owner::new();
    owner.with(|| {
        let devices: Vec<Device> = (0..6).map(|n| device(n, "pending", "KA1", None)).collect();
        let rows = ShownRows::ordered(devices, vec![5_u32, 3, 1]);
        let names = |range| {
            rows.with_range(range, |shown, total| {
                let names: Vec<String> = shown
                    .iter()
                    .map(|d| d.unique_name.clone().unwrap_or_default())
                    .collect();
                (names, total)
            })
        };
        assert_eq!(names(1..3), (vec!["pump-3".into(), "pump-1".into()], 3));
        assert_eq!(names(2..40), (vec!["pump-1".into()], 3));
        assert_eq!(names(9..12), (vec![], 3));
        let all = ShownRows::all(vec![device(7, "error", "KA1", None)]);
        assert_eq!(
            all.with_range(0..5, |shown, total| (shown.len(), total)),
            (1, 1)
        );
    });
}

/// What a `FleetScan::grown` memo was given: each batch's size, and the SIDs seen with `basis`.
#[derive(Default)]
struct Given {
    batches: Vec<usize>,
    sids: Vec<String>,
}

#[wasm_bindgen_test]
fn what_is_grown_from_a_scan_takes_each_new_batch_once_and_starts_over_on_a_change() {
    let owner = Owner::new();
    owner.with(|| {
        let scan = microvisor_console::fleet::scan::FleetScan::new();
        let suffix = RwSignal::new("a".to_owned());
        let grown = scan.grown(
            move || suffix.get(),
            |given: &mut Given, batch, suffix| {
                given.batches.push(batch.len());
                given.sids.extend(
                    batch
                        .iter()
                        .map(|d| format!("{}{suffix}", d.unique_name.clone().unwrap_or_default())),
                );
            },
        );
        let seen = move || grown.with(|g| (g.value.batches.clone(), g.value.sids.len()));
        let add = |from: u32, to: u32| {
            scan.devices
                .update(|all| all.extend((from..to).map(|n| device(n, "pending", "KA1", None))))
        };
        add(3, 6);
        assert_eq!(seen(), (vec![3], 3));
        // A scan's next batches: only they are given.
        add(6, 10);
        add(10, 11);
        assert_eq!(seen(), (vec![3, 5], 8));
        // Devices replaced in place: everything again, with the new device in its place.
        let mut renamed = device(4, "pending", "KA1", None);
        renamed.unique_name = Some("renamed".into());
        scan.replace(vec![renamed]);
        assert_eq!(seen(), (vec![8], 8));
        assert_eq!(grown.with(|g| g.value.sids[1].clone()), "renameda");
        // What else it is made from changed: everything again.
        suffix.set("b".into());
        assert_eq!(seen(), (vec![8], 8));
        assert!(grown.with(|g| g.value.sids.iter().all(|sid| sid.ends_with('b'))));
    });
}

#[wasm_bindgen_test]
async fn manifest_facts_say_what_an_app_needs_and_warn_before_a_rollout() {
    use app_bundle::{BuildOptions, Limits};
    use microvisor_console::components::ManifestFacts;
    let options = BuildOptions {
        debuggable: true,
        minimum_kernel_version: 12,
        ..BuildOptions::default()
    };
    let bundle = app_bundle::build(&[7u8; 5000], &options).unwrap();
    let read = app_bundle::read(&bundle, Limits::default()).unwrap();
    let manifest = read.manifest.clone();
    let (host, _mounted) = mount(move || {
        view! { <ManifestFacts manifest=manifest.clone() sizes=vec![5000]/> }.into_any()
    });
    tick().await;
    assert_eq!(texts(&host, ".manifest-hash"), vec![read.manifest.hash]);
    assert_eq!(texts(&host, ".manifest-kernel"), ["12 or newer"]);
    assert_eq!(texts(&host, ".manifest-debug"), ["Allowed"]);
    assert_eq!(texts(&host, ".manifest-signer"), ["Not signed"]);
    let layers = texts(&host, ".manifest-layers li");
    assert_eq!(
        layers,
        ["Layer 1: internal flash at 0x0, 1 MiB · 4.9 KiB of image"]
    );
    let warnings = texts(&host, ".manifest-warnings li");
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings[0].starts_with("Unsigned"), "{warnings:?}");
    assert!(
        warnings[1].starts_with("Remotely debuggable"),
        "{warnings:?}"
    );
    assert!(
        warnings[2].starts_with("Needs Microvisor kernel 12"),
        "{warnings:?}"
    );
}
