//! The crash of issue 13: open the device list, click Next, then a device's name. The static
//! demo (whose in-page emulator answers at once) used to stop with "Tried to access a reactive
//! value that has already been disposed". The same steps on both builds of the console.

use console_e2e::harness::{Session, given_path, start_static_host};

/// List, a row chosen (which loads the bulk actions), Next, then the first device's name: its
/// page opens, and nothing panicked.
async fn next_then_open_a_device(session: &Session, list: &str) {
    session.open(list).await;
    let first = session.wait_for_rows(50, &[]).await;
    session.click_css("td.select input").await;
    session.wait_for_bulk_actions().await;
    session.click_link("Next").await;
    session.wait_for_rows(50, &first).await;
    // A new page starts with nothing chosen; the actions stay loaded.
    session
        .wait_for_text(".bulk .selected-count", |t| t == "0 selected")
        .await;
    session.wait_for_bulk_actions().await;
    let name = session
        .eval("return document.querySelector('tbody td.col-name a').textContent")
        .await;
    let name = name.as_str().expect("a device name").to_owned();
    session.click_link(&name).await;
    session.wait_for_text("h1", |t| t == name).await;
    session
        .wait_for_text(".detail-grid", |t| t.contains("Update status"))
        .await;
    session.assert_no_panic().await;
    // And back to the list and forward again, which leaves and enters both pages once more.
    session.client.back().await.expect("history back");
    session.wait_for_rows(50, &[]).await;
    session.client.forward().await.expect("history forward");
    session.wait_for_text("h1", |t| t == name).await;
}

#[tokio::test]
async fn next_then_a_device_opens_in_the_static_demo() {
    const PREFIX: &str = "/microvisor-console";
    let (host, _task) = start_static_host(&given_path("CONSOLE_STATIC_SITE"), PREFIX).await;
    let session = Session::browse(host).await;
    next_then_open_a_device(&session, &format!("{PREFIX}/devices")).await;
    session.close().await;
}

#[tokio::test]
async fn next_then_a_device_opens_on_console_server() {
    let session = Session::start(250).await;
    next_then_open_a_device(&session, "/devices").await;
    session.close().await;
}
