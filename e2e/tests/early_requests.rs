//! The first page's API requests leave before the wasm is ready (the loader in index.html,
//! `src/api/transport/early_request.js`), and the console takes their answers instead of
//! asking again: seen in the browser's own resource timing.

use console_e2e::harness::Session;
use serde_json::Value;

/// Each request to `url` the page made: [start, response end], ms from navigation start; and
/// when the wasm was running (`wasm-ready`) and when its file had arrived.
const TIMINGS: &str = r#"
const url = arguments[0];
// gloo-net ends a URL with a query with '&' (nothing after it); the loader's do not.
const requests = performance.getEntriesByType('resource')
  .filter((e) => e.name.replace(/&$/, '') === url)
  .map((e) => [e.startTime, e.responseEnd]);
const ready = performance.getEntriesByName('wasm-ready')[0];
const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('_bg.wasm'));
const left = (window.consoleEarly || []).map((e) => e.url);
return { requests, ready: ready ? ready.startTime : null, wasm: wasm ? wasm.responseEnd : null, left };
"#;

struct Timings {
    requests: Vec<(f64, f64)>,
    ready: f64,
    wasm_arrived: f64,
    left: Vec<String>,
}

async fn timings_of(session: &Session, api_path: &str) -> Timings {
    let url = format!("{}{api_path}", session.base_url);
    let value = session
        .client
        .execute(TIMINGS, vec![Value::from(url)])
        .await
        .expect("the timing script ran");
    let number = |value: &Value| value.as_f64().expect("a time");
    Timings {
        requests: value["requests"]
            .as_array()
            .expect("requests")
            .iter()
            .map(|pair| (number(&pair[0]), number(&pair[1])))
            .collect(),
        ready: number(&value["ready"]),
        wasm_arrived: number(&value["wasm"]),
        left: serde_json::from_value(value["left"].clone()).expect("urls"),
    }
}

/// The request to `api_path` was made once, before the wasm ran; nothing is left untaken.
async fn asked_once_before_the_wasm(session: &Session, api_path: &str) -> Timings {
    let timings = timings_of(session, api_path).await;
    assert_eq!(
        timings.requests.len(),
        1,
        "{api_path} asked once: {:?}",
        timings.requests
    );
    let (start, end) = timings.requests[0];
    assert!(
        start < timings.ready,
        "{api_path} started at {start:.1} ms, the wasm ran at {:.1} ms",
        timings.ready
    );
    assert!(timings.left.is_empty(), "untaken: {:?}", timings.left);
    println!(
        "{api_path}: started {start:.1} ms, answered {end:.1} ms; wasm file in {:.1} ms, running {:.1} ms",
        timings.wasm_arrived, timings.ready
    );
    timings
}

#[tokio::test]
async fn the_first_page_s_requests_leave_before_the_wasm_and_are_made_once() {
    let session = Session::start(120).await;

    // The list, with the size in its URL.
    session.open("/devices?PageSize=25").await;
    let rows = session.wait_for_rows(25, &[]).await;
    asked_once_before_the_wasm(&session, "/v1/Devices?PageSize=25").await;
    asked_once_before_the_wasm(&session, "/v1/Apps?PageSize=1000&Page=0").await;

    // The list at the size remembered in this browser, reached through `/`.
    session
        .eval("localStorage.setItem('microvisor-console.page-size', '100')")
        .await;
    session.open("/").await;
    session.wait_for_rows(100, &[]).await;
    asked_once_before_the_wasm(&session, "/v1/Devices?PageSize=100").await;

    // A device's page.
    let sid = &rows[3];
    session.open(&format!("/devices/{sid}")).await;
    session
        .wait_for_text(".detail-grid", |text| text.contains(sid.as_str()))
        .await;
    asked_once_before_the_wasm(&session, &format!("/v1/Devices/{sid}")).await;

    // Other pages start with other requests: none is made early for them.
    session.open("/settings").await;
    session.wait_for_text("h1", |text| text == "Settings").await;
    assert_eq!(
        session
            .eval("return (window.consoleEarly || []).length")
            .await,
        0
    );
    session.close().await;
}

#[tokio::test]
async fn a_page_size_changed_before_the_console_asks_lets_the_early_request_go() {
    let session = Session::start(120).await;
    session.open("/devices").await;
    session.wait_for_rows(50, &[]).await;
    session
        .eval("localStorage.setItem('microvisor-console.page-size', '25')")
        .await;
    // The loader reads the size as 10 (as if another tab changed it a moment before), the
    // console reads 25; the page keeps the loader's list to look at afterwards.
    session
        .before_each_page(
            r#"
            const getItem = Storage.prototype.getItem;
            let first = true;
            Storage.prototype.getItem = function (key) {
              if (key === 'microvisor-console.page-size' && first) { first = false; return '10'; }
              return getItem.call(this, key);
            };
            Object.defineProperty(window, 'consoleEarly', {
              configurable: true,
              get() { return this.earlyKept; },
              set(list) { this.earlyKept = list; this.earlySeen = list.slice(); },
            });
            "#,
        )
        .await;
    session.open("/devices").await;
    session.wait_for_rows(25, &[]).await;
    let ten = timings_of(&session, "/v1/Devices?PageSize=10").await;
    let own = timings_of(&session, "/v1/Devices?PageSize=25").await;
    assert_eq!(
        own.requests.len(),
        1,
        "the console asked for its own page once"
    );
    assert!(
        ten.requests.len() <= 1,
        "the loader's asked at most once: {:?}",
        ten.requests
    );
    let let_go = session
        .eval(
            "return window.earlySeen
               .filter((e) => e.url.endsWith('/v1/Devices?PageSize=10'))
               .map((e) => e.controller.signal.aborted)",
        )
        .await;
    assert_eq!(let_go, serde_json::json!([true]), "the loader's was let go");
    // The apps' early answer was still taken.
    asked_once_before_the_wasm(&session, "/v1/Apps?PageSize=1000&Page=0").await;
    session.close().await;
}
