//! The fetch layer, bulk runs, selection and start-up in headless Chromium, against the
//! emulator inside the page (`ApiClient::in_page()`), whose network can be told to fail.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use console_protocol::{ConsoleConfig, NewRollout};
use leptos::prelude::*;
use leptos::task::tick;
use microvisor_api::query::{DEFAULT_PAGE_SIZE, parse_page_size_choice};
use microvisor_api::url::{ApiBase, encode_segment};
use microvisor_api::{Device, DeviceUpdate, KeyValueForm, PageQuery};
use microvisor_console::api::{
    ApiClient, ApiError, Backend, ConnectionChoice, EARLY_REQUEST_SCRIPT, Live, Retrying,
    ServerAnswer, Startup, choose, drive_demo_rollouts, reset_demo, save_choice,
    script_demo_faults, start,
};
use microvisor_console::browser::web::sleep;
use microvisor_console::fleet::bulk::{BulkRun, Outcome, selection_toggle};
use microvisor_console::fleet::shown::ShownRows;
use microvisor_sim::faults::Fault;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh demo fleet, a running executor, and a reactive owner for what the test creates.
fn fresh() -> Owner {
    // Set once for the whole page; later calls find it set.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    reset_demo();
    let owner = Owner::new();
    owner.set();
    owner
}

async fn first_devices(client: &ApiClient, count: u32) -> Vec<Device> {
    client
        .list_devices(&PageQuery::first(count))
        .await
        .expect("the demo lists devices")
        .items
}

fn sid(device: &Device) -> String {
    device.sid.clone().expect("a SID")
}

/// Every value `signal` takes from now on, as an effect sees them.
fn record<T: Clone + Send + Sync + 'static>(signal: RwSignal<T>) -> Rc<RefCell<Vec<T>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&seen);
    let sink = send_wrapper::SendWrapper::new(sink);
    Effect::new(move || sink.borrow_mut().push(signal.get()));
    seen
}

#[wasm_bindgen_test]
async fn a_read_is_retried_through_transient_failures_and_the_page_hears_of_it() {
    let _owner = fresh();
    let retrying = RwSignal::new(None::<Retrying>);
    let seen = record(retrying);
    let client = ApiClient::in_page().reporting_retries(retrying);
    script_demo_faults([Fault::Internal, Fault::Disconnect, Fault::Unavailable]);
    let page = client.list_devices(&PageQuery::first(10)).await;
    assert_eq!(page.expect("the fourth try answers").items.len(), 10);
    tick().await;
    let seen = seen.borrow().clone();
    let notes: Vec<String> = seen.iter().flatten().map(Retrying::note).collect();
    assert!(
        notes.contains(&"Retrying… 2 of 6".to_owned())
            && notes.contains(&"Retrying… 4 of 6".to_owned()),
        "{notes:?}"
    );
    assert_eq!(seen.last(), Some(&None), "cleared once it answered");
}

#[wasm_bindgen_test]
async fn a_read_that_keeps_failing_gives_up_after_the_last_try() {
    let _owner = fresh();
    let client = ApiClient::in_page();
    script_demo_faults([Fault::Internal; 6]);
    let err = client
        .list_devices(&PageQuery::first(10))
        .await
        .expect_err("six failures spend the budget");
    assert_eq!(err.status(), Some(500));
    // The faults were all used: the next read goes through at once.
    assert_eq!(first_devices(&client, 3).await.len(), 3);
}

#[wasm_bindgen_test]
async fn a_write_is_retried_only_when_the_service_refused_it() {
    let _owner = fresh();
    let client = ApiClient::in_page();
    let device = first_devices(&client, 1).await.remove(0);
    let rename = |name: &str| DeviceUpdate {
        unique_name: Some(name.to_owned()),
        ..DeviceUpdate::default()
    };
    // A 500 may mean the write landed: it is not sent again, and the console says it failed.
    script_demo_faults([Fault::Internal]);
    let err = client
        .update_device(&sid(&device), &rename("after-a-500"))
        .await
        .expect_err("a write answered 500 fails");
    assert_eq!(err.status(), Some(500));
    let now = client.fetch_device(&sid(&device)).await.unwrap();
    assert_eq!(now.unique_name, device.unique_name, "nothing was applied");
    // A dropped connection is not retried for a write either.
    script_demo_faults([Fault::Disconnect]);
    assert!(matches!(
        client
            .update_device(&sid(&device), &rename("after-a-drop"))
            .await,
        Err(ApiError::Network(_))
    ));
    // 503 and 429 mean the service did not take it: tried again, applied once.
    script_demo_faults([Fault::Unavailable]);
    let renamed = client
        .update_device(&sid(&device), &rename("after-a-503"))
        .await
        .expect("retried after a 503");
    assert_eq!(renamed.unique_name.as_deref(), Some("after-a-503"));
}

#[wasm_bindgen_test]
async fn an_empty_answer_reads_as_success() {
    let _owner = fresh();
    let client = ApiClient::in_page();
    let form = KeyValueForm {
        key: Some("wasm-test-key".into()),
        value: Some("v".into()),
    };
    client
        .put_key_value(None, false, None, &form)
        .await
        .expect("created");
    // DELETE answers 204 with no body at all.
    client
        .delete_key_value(None, false, "wasm-test-key")
        .await
        .expect("an empty 204 is success");
    let configs = client.list_configs(None).await.unwrap();
    assert!(
        configs
            .items
            .iter()
            .all(|c| c.key.as_deref() != Some("wasm-test-key"))
    );
}

/// Waits until a bulk run has finished.
async fn finished(run: BulkRun) {
    for _ in 0..200 {
        if !run.running.get_untracked() {
            return;
        }
        sleep(10).await;
    }
    panic!("the bulk run did not finish");
}

fn outcomes(run: BulkRun) -> Vec<(String, Outcome)> {
    run.items
        .get_untracked()
        .into_iter()
        .map(|item| (item.sid, item.outcome))
        .collect()
}

#[wasm_bindgen_test]
async fn a_bulk_run_gives_every_device_a_result_and_retries_the_failed() {
    let _owner = fresh();
    let client = ApiClient::in_page();
    let devices = first_devices(&client, 3).await;
    let targets: Vec<(String, String)> = devices.iter().map(|d| (sid(d), sid(d))).collect();
    let update = DeviceUpdate {
        logging_enabled: Some(false),
        ..DeviceUpdate::default()
    };
    let answered = Rc::new(RefCell::new(Vec::new()));
    let on_finished = {
        let answered = send_wrapper::SendWrapper::new(Rc::clone(&answered));
        Callback::new(move |devices: Vec<Device>| answered.borrow_mut().extend(devices))
    };
    let run = BulkRun::new();
    // The first write sent fails with a 500; the others land.
    script_demo_faults([Fault::Internal]);
    run.start(client.clone(), targets, update.clone(), on_finished);
    finished(run).await;
    let results = outcomes(run);
    assert!(
        matches!(&results[0].1, Outcome::Failed(reason) if reason.contains("Injected fault")),
        "{results:?}"
    );
    assert_eq!(results[1].1, Outcome::Done);
    assert_eq!(results[2].1, Outcome::Done);
    assert_eq!(
        answered.borrow().len(),
        2,
        "each write's answer comes back once"
    );
    assert_eq!(run.failed(), vec![(sid(&devices[0]), sid(&devices[0]))]);

    run.start(client.clone(), run.failed(), update, on_finished);
    finished(run).await;
    assert_eq!(outcomes(run), vec![(sid(&devices[0]), Outcome::Done)]);
    let now = client.fetch_device(&sid(&devices[0])).await.unwrap();
    assert_eq!(now.logging.unwrap().enabled, Some(false));
}

#[wasm_bindgen_test]
async fn a_bulk_run_cancelled_at_once_sends_nothing() {
    let _owner = fresh();
    let client = ApiClient::in_page();
    let devices = first_devices(&client, 6).await;
    let targets: Vec<(String, String)> = devices.iter().map(|d| (sid(d), sid(d))).collect();
    let run = BulkRun::new();
    run.start(
        client.clone(),
        targets,
        DeviceUpdate {
            unique_name: None,
            restart_app: Some(true),
            ..DeviceUpdate::default()
        },
        Callback::new(|_| ()),
    );
    run.cancel();
    finished(run).await;
    assert!(
        outcomes(run)
            .iter()
            .all(|(_, outcome)| *outcome == Outcome::NotSent),
        "{:?}",
        outcomes(run)
    );
    assert_eq!(run.failed().len(), 6, "not sent counts for Retry failed");
    let after = first_devices(&client, 6).await;
    assert_eq!(after, devices, "no device changed");
}

#[wasm_bindgen_test]
async fn shift_clicks_select_ranges_in_the_order_shown() {
    let _owner = fresh();
    let client = ApiClient::in_page();
    let devices = first_devices(&client, 5).await;
    let sids: Vec<String> = devices.iter().map(sid).collect();
    let rows = RwSignal::new(devices);
    let selected = RwSignal::new(BTreeSet::new());
    let toggle = selection_toggle(ShownRows::all(rows), selected);
    toggle.run((sids[1].clone(), false));
    toggle.run((sids[3].clone(), true));
    assert_eq!(
        selected.get_untracked(),
        sids[1..=3].iter().cloned().collect::<BTreeSet<_>>()
    );
    // Reversed order on screen: the range follows what is shown.
    rows.update(|rows| rows.reverse());
    toggle.run((sids[0].clone(), true));
    assert_eq!(
        selected.get_untracked(),
        sids[0..=3].iter().cloned().collect::<BTreeSet<_>>()
    );
    toggle.run((sids[2].clone(), false));
    assert!(!selected.get_untracked().contains(&sids[2]));
}

#[wasm_bindgen_test]
fn a_saved_choice_wins_then_the_server_then_the_demo() {
    let server = ServerAnswer::Config(ConsoleConfig::default());
    let custom = ConnectionChoice::Custom {
        url: "https://proxy.example/v1".into(),
        key: String::new(),
        secret: String::new(),
    };
    assert_eq!(
        choose(Some(ConnectionChoice::Demo), Some(server.clone())),
        Startup::Ready(Backend::Demo)
    );
    assert!(matches!(
        choose(Some(custom), Some(server.clone())),
        Startup::Ready(Backend::Custom { .. })
    ));
    assert_eq!(
        choose(Some(ConnectionChoice::Server), Some(server.clone())),
        Startup::Ready(Backend::Server(ConsoleConfig::default()))
    );
    assert_eq!(
        choose(None, Some(server)),
        Startup::Ready(Backend::Server(ConsoleConfig::default()))
    );
    assert_eq!(
        choose(None, Some(ServerAnswer::NeedsSignIn { rejected: false })),
        Startup::NeedsSignIn { rejected: false }
    );
    assert_eq!(
        choose(None, Some(ServerAnswer::Absent)),
        Startup::Ready(Backend::Demo)
    );
}

#[wasm_bindgen_test]
async fn start_up_reads_the_saved_choice_and_falls_back_to_the_demo() {
    // The test runner's server has no config.json: with nothing saved, the demo starts.
    save_choice(&ConnectionChoice::Server, false);
    assert_eq!(start().await, Startup::Ready(Backend::Demo));
    let custom = ConnectionChoice::Custom {
        url: "https://proxy.example/v1".into(),
        key: "SK1".into(),
        secret: "s".into(),
    };
    save_choice(&custom, false);
    assert_eq!(
        start().await,
        Startup::Ready(Backend::Custom {
            url: "https://proxy.example/v1".into(),
            key: "SK1".into(),
            secret: "s".into()
        })
    );
    save_choice(&ConnectionChoice::Demo, false);
    assert_eq!(start().await, Startup::Ready(Backend::Demo));
    microvisor_console::browser::web::forget(
        microvisor_console::browser::web::session_storage(),
        "microvisor-console.connection",
    );
}

#[wasm_bindgen_test]
async fn the_demo_s_page_tells_of_a_rollout_moving_as_the_server_s_stream_would() {
    let owner = fresh();
    let client = ApiClient::in_page();
    let live = Live::start(&client);
    assert!(
        live.connected.get_untracked(),
        "the demo's stream is up at once"
    );
    assert!(
        !live.devices_live(),
        "the demo keeps no index: device pages go on polling"
    );
    let heard = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&heard);
    live.on_stale(move |stale| sink.borrow_mut().push(stale.rollout.clone()));

    let targets: Vec<String> = first_devices(&client, 3).await.iter().map(sid).collect();
    let app = client
        .list_apps(&PageQuery::first(1))
        .await
        .expect("the demo lists apps")
        .items[0]
        .sid
        .clone()
        .expect("an app SID");
    let request: NewRollout = serde_json::from_value(serde_json::json!({
        "name": "heard",
        "target_app": app,
        "source": {"kind": "devices", "sids": targets},
        "plan": {"phases": [{"size": {"kind": "percent", "value": 100}}]}
    }))
    .expect("a rollout request");
    let created = client.create_rollout(&request).await.expect("created");
    let id = created.rollout.id.clone();
    assert_eq!(*heard.borrow(), vec![Some(id.clone())], "told of its start");

    drive_demo_rollouts();
    assert_eq!(heard.borrow().len(), 2, "told of its first turn");
    assert!(
        heard
            .borrow()
            .iter()
            .all(|rollout| *rollout == Some(id.clone()))
    );

    // Gone with the view that listened, and the page's listener with it.
    owner.cleanup();
    drive_demo_rollouts();
    assert_eq!(heard.borrow().len(), 2, "nothing told after the view went");
}

/// The loader's URLs (`early_request.js`) for a page at `path`.
fn loader_urls(path: &str, search: &str, stored: Option<&str>) -> Vec<String> {
    let function = js_sys::Function::new_with_args(
        "path, search, stored",
        &format!(
            "{EARLY_REQUEST_SCRIPT}\nreturn consoleEarlyUrls(path, search, stored, '/v1/', 'http://127.0.0.1:8080');"
        ),
    );
    let stored = stored.map_or(JsValue::NULL, JsValue::from_str);
    let urls = function
        .call3(&JsValue::NULL, &path.into(), &search.into(), &stored)
        .expect("the loader's function ran");
    js_sys::Array::from(&urls)
        .iter()
        .map(|url| url.as_string().expect("a URL"))
        .collect()
}

#[wasm_bindgen_test]
fn the_loader_asks_for_the_urls_the_console_will() {
    let base = ApiBase::new("/v1/", "http://127.0.0.1:8080").expect("a base");
    let apps = base
        .url_for(&format!("/v1/Apps?{}", PageQuery::first(1000)))
        .expect("a URL");
    // The list page: its route's query, else the default, with the remembered size.
    let searches = [
        "",
        "?PageSize=25",
        "?PageSize=+025&Page=3&x=1",
        "?Page=2&PageToken=PA%2Bb+c%C3%A9&PageSize=10",
        "?PageSize=0",
        "?PageSize=25&PageSize=100",
        "?Page=99999999999",
        "?Page=-1",
        "?PageToken=",
        "?PageSize=1001",
    ];
    let stored = [
        None,
        Some("100"),
        Some(" 250 "),
        Some("7"),
        Some("abc"),
        Some("+10"),
    ];
    for search in searches {
        for remembered in stored {
            let mut query = PageQuery::parse(search).unwrap_or_default();
            query.page_size.get_or_insert_with(|| {
                remembered
                    .and_then(parse_page_size_choice)
                    .unwrap_or(DEFAULT_PAGE_SIZE)
            });
            let devices = base
                .url_for(&format!("/v1/Devices?{query}"))
                .expect("a URL");
            assert_eq!(
                loader_urls("/devices", search, remembered),
                vec![devices, apps.clone()],
                "{search} with {remembered:?} remembered"
            );
        }
    }
    // `/` sends the reader to `/devices`, leaving its query behind.
    let default = base
        .url_for(&format!("/v1/Devices?PageSize={DEFAULT_PAGE_SIZE}"))
        .expect("a URL");
    assert_eq!(
        loader_urls("/", "?PageSize=10", None),
        vec![default, apps.clone()]
    );
    // A device's page, by SID or by any name.
    for id in [
        "UV00000000000000000000000000000001",
        "meter 7 (north)!",
        "café*'~.-_",
    ] {
        let path = format!("/devices/{}", encode_segment(id));
        let device = base
            .url_for(&format!("/v1/Devices/{}", encode_segment(id)))
            .expect("a URL");
        assert_eq!(
            loader_urls(&path, "", None),
            vec![device, apps.clone()],
            "{id}"
        );
    }
    // Pages that start with other requests get none.
    for path in ["/fleet", "/devices/a/b", "/settings", "/devices/"] {
        assert_eq!(loader_urls(path, "", None), Vec::<String>::new(), "{path}");
    }
}

/// Leaves a request in the page as its loader would, answered with `body`; gives its abort.
fn plant_early_request(url: &str, body: &[u8]) -> web_sys::AbortController {
    let plant = js_sys::Function::new_with_args(
        "url, body",
        "const controller = new AbortController();
         window.consoleEarly = [{ url, token: null, controller, answer: Promise.resolve(new Response(body)) }];
         return controller;",
    );
    plant
        .call2(
            &JsValue::NULL,
            &url.into(),
            &js_sys::Uint8Array::from(body).into(),
        )
        .expect("planted")
        .unchecked_into()
}

fn early_left() -> u32 {
    js_sys::Reflect::get(
        &web_sys::window().expect("a window"),
        &"consoleEarly".into(),
    )
    .map(|list| js_sys::Array::from(&list).length())
    .unwrap_or(0)
}

#[wasm_bindgen_test]
async fn the_first_read_takes_the_loader_s_answer_and_a_changed_one_lets_it_go() {
    let _owner = fresh();
    microvisor_console::api::sign_out();
    let demo = ApiClient::in_page();
    let body = demo
        .list_devices_body(&PageQuery::first(5))
        .await
        .expect("a page of the demo");
    let server = ApiClient::server(
        &serde_json::from_str::<ConsoleConfig>(r#"{"api_base":"/v1"}"#).expect("a config"),
    )
    .expect("a client");
    let url = server
        .base()
        .url_for(&format!("/v1/Devices?{}", PageQuery::first(5)))
        .expect("a URL");

    // Taken: the loader's answer is the console's, with nothing sent (this test's server has
    // no `/v1`, so a request of its own would fail).
    let planted = plant_early_request(&url, &body);
    let page = server
        .list_devices(&PageQuery::first(5))
        .await
        .expect("the loader's answer");
    let expected = ApiClient::decode_devices(body.clone()).expect("decoded");
    assert_eq!(page.items, expected.items);
    assert_eq!(early_left(), 0, "taken once");
    assert!(!planted.signal().aborted());

    // The page size changed before the console asked: the loader's request is aborted and
    // the console asks for its own.
    let planted = plant_early_request(&url, &body);
    let own = server.list_devices(&PageQuery::first(10)).await;
    assert!(planted.signal().aborted(), "let go");
    assert_eq!(early_left(), 0);
    assert_eq!(
        own.map(|page| page.items.len()).map_err(|err| err.status()),
        Err(Some(404))
    );
}
