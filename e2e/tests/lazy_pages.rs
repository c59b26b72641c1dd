//! The release console is split by route: the device list is in the first load, and each other
//! page's code is fetched on its first visit (the list's bulk actions on the first row chosen).
//! Checked by the browser's own resource timing, and what an operator sees when that fetch
//! fails.

use console_e2e::harness::{Session, given_path, start_static_host};

/// The names of the wasm files the page has fetched so far.
const WASM_FETCHED: &str = "return performance.getEntriesByType('resource')\
    .map(e => new URL(e.name).pathname).filter(p => p.endsWith('.wasm'))\
    .map(p => p.split('/').pop());";

async fn wasm_fetched(session: &Session) -> Vec<String> {
    let value = session.eval(WASM_FETCHED).await;
    serde_json::from_value(value.clone()).unwrap_or_else(|err| panic!("{err}: {value}"))
}

/// The list loads only the main module; the bulk actions and Fleet then fetch their own, once.
async fn fleet_code_comes_on_first_visit(session: &Session, list: &str) {
    session.open(list).await;
    session.wait_for_rows(50, &[]).await;
    let first = wasm_fetched(session).await;
    assert_eq!(
        first.len(),
        1,
        "one wasm module on the first load: {first:?}"
    );
    assert!(first[0].ends_with("_bg.wasm"), "{first:?}");
    // The bulk actions come with the first row chosen (with the chunks of code they share
    // with other pages), and only once.
    session.click_css("td.select input").await;
    session.wait_for_bulk_actions().await;
    let chosen = wasm_fetched(session).await;
    let split: Vec<&String> = chosen
        .iter()
        .filter(|name| name.starts_with("split_"))
        .collect();
    assert!(
        split.len() == 1 && split[0].contains("bulk_actions"),
        "the bulk actions' module and no page's: {chosen:?}"
    );
    session.click_css("td.select input").await;
    session
        .wait_for_text(".bulk .selected-count", |t| t == "0 selected")
        .await;
    session.click_css("td.select input").await;
    session
        .wait_for_text(".bulk .selected-count", |t| t == "1 selected")
        .await;
    assert_eq!(wasm_fetched(session).await, chosen, "fetched again");
    session.click_link("Fleet").await;
    session.wait_for_text("h1", |t| t == "Fleet").await;
    let after = wasm_fetched(session).await;
    let fleet: Vec<&String> = after
        .iter()
        .filter(|name| name.contains("fleet_view"))
        .collect();
    assert_eq!(fleet.len(), 1, "Fleet's module fetched once: {after:?}");
    // Back to the list and to Fleet again: its module is not fetched a second time.
    session.click_link("Devices").await;
    session.wait_for_rows(50, &[]).await;
    session.click_link("Fleet").await;
    session.wait_for_text("h1", |t| t == "Fleet").await;
    assert_eq!(wasm_fetched(session).await, after);
    session.assert_no_panic().await;
}

#[tokio::test]
async fn console_server_fetches_a_page_s_code_on_its_first_visit() {
    let session = Session::start(250).await;
    fleet_code_comes_on_first_visit(&session, "/devices").await;
    session.close().await;
}

#[tokio::test]
async fn the_static_demo_fetches_a_page_s_code_on_its_first_visit() {
    const PREFIX: &str = "/microvisor-console";
    let (host, _task) = start_static_host(&given_path("CONSOLE_STATIC_SITE"), PREFIX).await;
    let session = Session::browse(host).await;
    fleet_code_comes_on_first_visit(&session, &format!("{PREFIX}/devices")).await;
    session.close().await;
}

/// The network drops (or the console was updated and the tab's files are gone) just as a page
/// is first opened: the console says so plainly, and Reload brings that page up.
#[tokio::test]
async fn a_page_whose_code_cannot_be_fetched_says_so_and_reload_recovers() {
    let session = Session::start(250).await;
    session.open("/devices").await;
    session.wait_for_rows(50, &[]).await;
    session
        .eval(
            "const real = window.fetch; window.fetch = (input, init) => \
             String(input).endsWith('.wasm') ? Promise.reject(new TypeError('offline')) \
             : real(input, init); return true;",
        )
        .await;
    session.click_link("Audit").await;
    let said = session
        .wait_for_text("#fatal-error", |t| !t.is_empty())
        .await;
    assert!(said.contains("could not be loaded"), "{said}");
    assert!(said.contains("Reload"), "{said}");
    // Reload goes where the operator was going (the address changes only once a page is in).
    session.click_link("Reload").await;
    session.wait_for_text("h1", |t| t == "Audit log").await;
    assert_eq!(session.path_and_query().await, "/audit");
    session.assert_no_panic().await;
    session.close().await;
}

/// Saved connection settings that cannot work (a key that is not ASCII): the shell says so and
/// shows Settings there, its code fetched then from the module its route was split into.
#[tokio::test]
async fn settings_that_do_not_work_bring_up_settings_from_its_own_module() {
    let session = Session::start(250).await;
    session.open("/devices").await;
    session.wait_for_rows(50, &[]).await;
    assert!(
        !wasm_fetched(&session)
            .await
            .iter()
            .any(|name| name.contains("settings")),
        "Settings is not in the first load"
    );
    session
        .eval(
            "localStorage.setItem('microvisor-console.connection', JSON.stringify(\
             {mode: 'custom', url: 'https://api.example.com', key: 'ключ', secret: 's'})); \
             return true;",
        )
        .await;
    session.open("/devices").await;
    let headings = session
        .wait_for(
            "the error and the Settings page",
            "return [...document.querySelectorAll('h1')].map((h) => h.textContent);",
            |value| value.as_array().is_some_and(|h| h.len() == 2),
        )
        .await;
    assert_eq!(
        headings,
        serde_json::json!(["The connection settings do not work", "Settings"])
    );
    let said = session.eval("return document.body.innerText;").await;
    assert!(
        said.as_str().is_some_and(|t| t.contains("plain ASCII")),
        "{said}"
    );
    let fetched = wasm_fetched(&session).await;
    assert!(
        fetched.iter().any(|name| name.contains("settings")),
        "{fetched:?}"
    );
    session.assert_no_panic().await;
    session.close().await;
}
