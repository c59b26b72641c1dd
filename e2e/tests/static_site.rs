//! The console as a static site under /microvisor-console/, with no console-server: demo mode
//! in the page, deep links through 404.html, and a switch to a custom API URL.

use std::path::PathBuf;

use console_e2e::harness::{Session, given_path, start_server, start_static_host};

const PREFIX: &str = "/microvisor-console";

fn site() -> PathBuf {
    let site = given_path("CONSOLE_STATIC_SITE");
    assert!(
        site.join("404.html").is_file(),
        "build the static site first: cargo xtask dist --public-url {PREFIX}/ (looked in {})",
        site.display()
    );
    site
}

#[tokio::test]
async fn the_demo_lists_pages_and_keeps_a_rename_across_a_reload() {
    let (host, _task) = start_static_host(&site(), PREFIX).await;
    let session = Session::browse(host).await;
    session.open(&format!("{PREFIX}/")).await;
    let first = session.wait_for_rows(50, &[]).await;
    assert_eq!(session.path_and_query().await, format!("{PREFIX}/devices"));
    session
        .wait_for_text(".backend", |t| t == "Backend: demo in this browser")
        .await;
    session.click_link("Next").await;
    session.wait_for_rows(50, &first).await;
    assert!(
        session
            .path_and_query()
            .await
            .starts_with(&format!("{PREFIX}/devices?PageSize=50&Page=1"))
    );

    session.open(&format!("{PREFIX}/devices")).await;
    session.wait_for_rows(50, &[]).await;
    let name = session
        .eval("return document.querySelector('tbody td.col-name a').textContent")
        .await;
    let name = name.as_str().unwrap().to_owned();
    session.click_link(&name).await;
    session.wait_for_text("h1", |t| t == name).await;
    session.fill("unique-name", "renamed-in-the-demo").await;
    session.click_button("Save name").await;
    session
        .wait_for_text("h1", |t| t == "renamed-in-the-demo")
        .await;
    assert_eq!(
        session.path_and_query().await,
        format!("{PREFIX}/devices/renamed-in-the-demo")
    );

    // A reload of the deep link goes through 404.html and finds the renamed device.
    session.client.refresh().await.unwrap();
    session
        .wait_for_text("h1", |t| t == "renamed-in-the-demo")
        .await;
    session.open(&format!("{PREFIX}/devices")).await;
    session.wait_for_rows(50, &[]).await;
    let cell = session
        .eval("return document.querySelector('tbody td.col-name a').textContent")
        .await;
    assert_eq!(cell.as_str(), Some("renamed-in-the-demo"));
    session.save_screenshot("static-demo").await;

    // The rename is in the demo's own audit log, labelled as such, and its chain checks out.
    session.open(&format!("{PREFIX}/audit")).await;
    session
        .wait_for_text(".demo-log", |t| t.contains("the demo's audit log"))
        .await;
    let entry = session
        .wait_for_text("table.audit tbody tr", |t| {
            t.contains("renamed-in-the-demo")
        })
        .await;
    assert!(entry.contains("demo (admin)"), "{entry}");
    assert!(
        entry.contains(&format!("name: {name} → renamed-in-the-demo")),
        "{entry}"
    );
    session.click_button("Verify the log").await;
    session
        .wait_for_text(".verdict", |t| t.starts_with("Intact"))
        .await;
    session
        .open(&format!("{PREFIX}/devices/renamed-in-the-demo"))
        .await;
    session.click_button("History").await;
    session
        .wait_for_text("table.audit", |t| t.contains("renamed-in-the-demo"))
        .await;

    // "Reset demo" brings the seeded fleet back.
    session.open(&format!("{PREFIX}/settings")).await;
    session.click_button("Reset demo").await;
    session
        .wait_for_text(".connection-status", |t| t.contains("first state"))
        .await;
    session.open(&format!("{PREFIX}/devices")).await;
    session.wait_for_rows(50, &[]).await;
    let cell = session
        .eval("return document.querySelector('tbody td.col-name a').textContent")
        .await;
    assert_eq!(cell.as_str(), Some(name.as_str()));
    // ... and an empty audit log.
    session.open(&format!("{PREFIX}/audit")).await;
    session
        .wait_for_text("main", |t| t.contains("No entries match."))
        .await;
    session.assert_no_panic().await;
    session.close().await;
}

#[tokio::test]
async fn a_deep_link_loads_on_a_static_host() {
    let (host, _task) = start_static_host(&site(), PREFIX).await;
    let session = Session::browse(host).await;
    session.open(&format!("{PREFIX}/devices?PageSize=10")).await;
    session.wait_for_rows(10, &[]).await;
    let name = session
        .eval("return document.querySelectorAll('tbody td.col-name a')[3].textContent")
        .await;
    let name = name.as_str().unwrap().to_owned();
    // A fresh load straight at the device: the host answers 404.html, the console routes.
    session.open(&format!("{PREFIX}/devices/{name}")).await;
    session.wait_for_text("h1", |t| t == name).await;
    session.close().await;
}

#[tokio::test]
async fn settings_switch_to_a_custom_api_url_on_a_running_console_server() {
    let (host, _task) = start_static_host(&site(), PREFIX).await;
    let (_server, server_url) =
        start_server(&["--devices", "70", "--seed", "42", "--cors-origin", &host]).await;
    let expected = {
        // The server's first device, read the way the console will.
        let session = Session::browse(server_url.clone()).await;
        session.open("/v1/Devices?PageSize=1").await;
        let text = session.eval("return document.body.innerText").await;
        session.close().await;
        let page: serde_json::Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
        page["devices"][0]["sid"].as_str().unwrap().to_owned()
    };

    let session = Session::browse(host).await;
    session.open(&format!("{PREFIX}/settings")).await;
    session.wait_for_text("h1", |t| t == "Settings").await;
    session.screenshot_at("settings", 1280, false).await;
    session.screenshot_at("settings", 390, true).await;
    session.click_css("#connection-custom-api").await;
    session.fill("api-url", &format!("{server_url}/v1")).await;
    session.click_button("Test connection").await;
    session
        .wait_for_text(".connection-status", |t| t.starts_with("Connected"))
        .await;
    session.click_button("Save connection").await;
    session
        .wait_for_text(".backend", |t| t.contains("custom API"))
        .await;
    session.open(&format!("{PREFIX}/devices")).await;
    let rows = session.wait_for_rows(50, &[]).await;
    assert_eq!(rows[0], expected, "the list comes from the console-server");
    session.click_link("Next").await;
    session.wait_for_rows(20, &rows).await;
    session.close().await;
}
