//! Device detail and edits in a real browser against console-server and its emulator.

use console_e2e::harness::Session;
use fantoccini::Locator;

/// Opens the list and returns (sid, unique name) of the first named device whose row
/// satisfies `pick` (given the row's text).
async fn pick_device(session: &Session, pick: &str) -> (String, String) {
    session.open("/devices?PageSize=100").await;
    session.wait_for_rows(100, &[]).await;
    let script = format!(
        "const rows = Array.from(document.querySelectorAll('table.devices tbody tr'));
         const found = rows.find(row => row.querySelector('td.col-name a.unnamed') === null && ({pick}));
         return found ? [found.dataset.sid, found.querySelector('td.col-name a').textContent] : null;"
    );
    let found = session
        .wait_for("a matching device", &script, |v| v.is_array())
        .await;
    (
        found[0].as_str().unwrap().to_owned(),
        found[1].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn open_by_unique_name_rename_and_find_it_in_the_list() {
    let session = Session::start(250).await;
    let (sid, name) = pick_device(&session, "true").await;
    session.open(&format!("/devices/{name}")).await;
    session.wait_for_text("h1", |t| t == name).await;
    session.screenshot_at("device-detail", 1280, false).await;
    session.screenshot_at("device-detail", 390, true).await;

    // Invalid names are refused before anything is sent, and what was typed stays.
    session
        .fill("unique-name", "UV0123456789abcdef0123456789abcdef")
        .await;
    session.click_button("Save name").await;
    session
        .wait_for_text("#unique-name-error", |t| t.contains("look like a SID"))
        .await;

    session.fill("unique-name", "renamed-in-e2e").await;
    session.click_button("Save name").await;
    session.wait_for_text("h1", |t| t == "renamed-in-e2e").await;
    let url = session.path_and_query().await;
    assert_eq!(
        url, "/devices/renamed-in-e2e",
        "the address follows the new name"
    );

    session.click_link("← Devices").await;
    session.wait_for_rows(50, &[]).await;
    session.open("/devices?PageSize=100").await;
    session.wait_for_rows(100, &[]).await;
    let script =
        format!("return document.querySelector('tr[data-sid=\"{sid}\"] td.col-name')?.textContent");
    let cell = session
        .wait_for("the renamed row", &script, |v| v.is_string())
        .await;
    assert_eq!(cell.as_str(), Some("renamed-in-e2e"));
    session.close().await;
}

#[tokio::test]
async fn a_duplicate_name_is_refused_beside_the_field_and_kept() {
    let session = Session::start(250).await;
    let (_, first) = pick_device(&session, "true").await;
    let (_, second) = pick_device(
        &session,
        &format!("row.querySelector('td.col-name a').textContent !== '{first}'"),
    )
    .await;
    session.open(&format!("/devices/{second}")).await;
    session.wait_for_text("h1", |t| t == second).await;
    session.fill("unique-name", &first).await;
    session.click_button("Save name").await;
    session
        .wait_for_text("#unique-name-error", |t| t.contains("already used"))
        .await;
    let typed = session
        .eval("return document.getElementById('unique-name').value")
        .await;
    assert_eq!(typed.as_str(), Some(first.as_str()));
    session.close().await;
}

#[tokio::test]
async fn deploy_with_confirmation_and_watch_pending_become_up_to_date() {
    let session = Session::start(250).await;
    let (_, name) = pick_device(
        &session,
        "row.querySelector('.badge').textContent === 'up-to-date'",
    )
    .await;
    session.open(&format!("/devices/{name}")).await;
    session.wait_for_text("h1", |t| t == name).await;
    session.fill("target-app", "sensor-hub").await;
    // The picker offers the apps; take the full name of the first sensor-hub build.
    let app = session
        .wait_for(
            "the app options",
            "return Array.from(document.querySelectorAll('#app-options option')).map(o => o.value).find(v => v.startsWith('sensor-hub')) ?? null",
            |v| v.is_string(),
        )
        .await;
    let app = app.as_str().unwrap().to_owned();
    session.fill("target-app", &app).await;
    session.click_button("Deploy…").await;
    let message = session
        .wait_for_text("dialog[open] .dialog-message", |t| t.contains('→'))
        .await;
    assert!(message.contains(&app), "{message}");
    session.screenshot_at("deploy-dialog", 1280, false).await;
    session.screenshot_at("deploy-dialog", 390, true).await;
    session.click_button("Deploy").await;
    session
        .wait_for_text("#deploy-status", |t| t == "Deploy requested.")
        .await;
    session.wait_for_text(".badge", |t| t == "pending").await;
    session
        .wait_for_text(".target-app", |t| t.starts_with(&app))
        .await;
    // The page polls while pending; the emulator lands the update within 2.25 s.
    session.wait_for_text(".badge", |t| t == "up-to-date").await;
    session
        .wait_for_text(".reported-app", |t| t.starts_with(&app))
        .await;
    session.close().await;
}

#[tokio::test]
async fn enable_logging_shows_a_countdown_then_disable() {
    let session = Session::start(250).await;
    let (_, name) = pick_device(
        &session,
        "row.querySelector('td.logging').textContent === 'off'",
    )
    .await;
    session.open(&format!("/devices/{name}")).await;
    session
        .wait_for_text(".logging-state", |t| t == "off")
        .await;
    session.click_button("Enable logging").await;
    let first = session
        .wait_for_text(".logging-state", |t| t.starts_with("on · 23 h 59 min"))
        .await;
    assert!(first.ends_with("left"), "{first}");
    session.click_button("Disable logging").await;
    session
        .wait_for_text(".logging-state", |t| t == "off")
        .await;
    session.close().await;
}

#[tokio::test]
async fn restart_asks_first_and_cancel_sends_nothing() {
    let session = Session::start(250).await;
    let (_, name) = pick_device(
        &session,
        "row.querySelector('.badge').textContent === 'up-to-date'",
    )
    .await;
    session.open(&format!("/devices/{name}")).await;
    session.wait_for_text("h1", |t| t == name).await;
    session.click_button("Restart app").await;
    session
        .wait_for_text("dialog[open] h2", |t| t == "Restart app")
        .await;
    session.screenshot_at("restart-dialog", 1280, true).await;
    session.click_button("Cancel").await;
    let open = session
        .eval("return document.querySelector('dialog[open]') !== null")
        .await;
    assert_eq!(open.as_bool(), Some(false));
    assert_eq!(
        session.wait_for_text(".badge", |_| true).await,
        "up-to-date"
    );

    session.click_button("Restart app").await;
    session
        .wait_for_text("dialog[open] h2", |t| t == "Restart app")
        .await;
    session.click_button("Restart").await;
    session
        .wait_for_text("#restart-status", |t| t == "Restart requested.")
        .await;
    session.wait_for_text(".badge", |t| t == "pending").await;
    session.wait_for_text(".badge", |t| t == "up-to-date").await;
    session.close().await;
}

#[tokio::test]
async fn a_failing_server_shows_an_error_with_retry() {
    let session = Session::start_with(&["--devices", "50", "--fault-rate", "1"]).await;
    session.open("/devices").await;
    session
        .wait_for_text("[role=alert] h2", |t| t == "Could not load")
        .await;
    let retry = session
        .client
        .find(Locator::XPath("//button[normalize-space()='Retry']"))
        .await;
    assert!(retry.is_ok(), "a Retry button is offered");
    session.screenshot_at("list-error", 1280, false).await;
    // While the retry runs, the button says so and a second press does not restart it; focus
    // stays on it. When that retry fails too, it can be pressed again.
    session.click_button("Retry").await;
    let waiting = session
        .wait_for(
            "the retry to run",
            "const b = document.querySelector('[role=alert] button');
             return b && b.getAttribute('aria-disabled') === 'true' ? [b.textContent, document.activeElement === b] : null;",
            |v| !v.is_null(),
        )
        .await;
    assert_eq!(waiting, serde_json::json!(["Retrying…", true]));
    session
        .wait_for_text(".retrying", |t| t.starts_with("Retrying… "))
        .await;
    session
        .wait_for_text("[role=alert] button", |t| t == "Retry")
        .await;
    session.close().await;
}

#[tokio::test]
async fn copy_as_curl_and_twilio_cli_give_the_same_write_without_credentials() {
    let session = Session::start(250).await;
    let (sid, name) = pick_device(&session, "true").await;
    session.open(&format!("/devices/{name}")).await;
    session.wait_for_text("h1", |t| t == name).await;
    // Catch what the page puts on the clipboard.
    session
        .eval("window.__copied = []; navigator.clipboard.writeText = t => { window.__copied.push(t); return Promise.resolve(); }; return 1;")
        .await;
    session.fill("unique-name", "pump 'north' 7").await;
    session.click_button("Copy as curl").await;
    session.click_button("Copy as twilio-cli").await;
    let copied: Vec<String> =
        serde_json::from_value(session.eval("return window.__copied").await).unwrap();
    assert_eq!(
        copied[0],
        format!(
            "curl -X POST https://microvisor.twilio.com/v1/Devices/{sid} \\\n  --data-urlencode 'UniqueName=pump '\\''north'\\'' 7' \\\n  -u \"$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN\""
        )
    );
    assert_eq!(
        copied[1],
        format!(
            "twilio api:microvisor:v1:devices:update --sid {sid} --unique-name 'pump '\\''north'\\'' 7'"
        )
    );
    session.close().await;
}
