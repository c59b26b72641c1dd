//! Accessibility: axe-core finds no serious or critical violation on any view the operators
//! use (list, detail, edit and confirmation dialogs, configs, bulk dialog, settings, apps,
//! fleet), in the light and the dark theme and at a phone's width; and a device is renamed and deployed with the
//! keyboard alone.

use console_e2e::harness::Session;
use fantoccini::key::Key;

/// Scans the page in both themes at 1280 px and at 390 px (a phone); adds
/// "view, theme: violation" lines to `found`.
async fn scan(session: &Session, view: &str, found: &mut Vec<String>) {
    for (width, theme) in [
        (1280, "light"),
        (1280, "dark"),
        (390, "light"),
        (390, "dark"),
    ] {
        if width != 1280 {
            session.client.set_window_size(width, 900).await.unwrap();
        }
        session
            .eval(&format!(
                "document.documentElement.dataset.theme = '{theme}'; return 1;"
            ))
            .await;
        for violation in session.accessibility_violations().await {
            found.push(format!("{view}, {theme} at {width} px: {violation}"));
        }
    }
    session.client.set_window_size(1280, 900).await.unwrap();
    session
        .eval("delete document.documentElement.dataset.theme; return 1;")
        .await;
    session.assert_no_panic().await;
}

#[tokio::test]
async fn axe_finds_no_serious_violation_in_either_theme() {
    let session = Session::start(60).await;
    let mut found = Vec::new();

    session.open("/devices").await;
    let rows = session.wait_for_rows(50, &[]).await;
    scan(&session, "device list", &mut found).await;

    session
        .eval("document.querySelector('td.select input').click(); return 1;")
        .await;
    session.click_button("Review and apply…").await;
    session
        .wait_for_text("dialog[open] h2", |t| t == "Apply to many devices")
        .await;
    scan(&session, "bulk dialog", &mut found).await;
    session.click_button("Cancel").await;

    session.open(&format!("/devices/{}", rows[0])).await;
    session.wait_for_text("h1", |t| !t.is_empty()).await;
    scan(&session, "device detail", &mut found).await;
    session
        .fill("unique-name", "UV0123456789abcdef0123456789abcdef")
        .await;
    session.click_button("Save name").await;
    session
        .wait_for_text("#unique-name-error", |t| !t.is_empty())
        .await;
    scan(&session, "rename with an error", &mut found).await;
    session.fill("target-app", "gateway-core").await;
    session.click_button("Deploy…").await;
    session
        .wait_for_text("dialog[open] .dialog-message", |t| t.contains('→'))
        .await;
    scan(&session, "deploy dialog", &mut found).await;
    session.click_button("Cancel").await;
    session.click_button("Restart app").await;
    session
        .wait_for_text("dialog[open] h2", |t| t == "Restart app")
        .await;
    scan(&session, "restart dialog", &mut found).await;
    session.click_button("Cancel").await;
    session.click_button("Configs").await;
    session
        .wait_for_text("main", |t| t.contains("Add config"))
        .await;
    scan(&session, "device configs", &mut found).await;

    for (path, ready) in [
        ("/configs", "Add config"),
        ("/secrets", "Add secret"),
        ("/apps", "Apps"),
        ("/settings", "Test connection"),
    ] {
        session.open(path).await;
        session.wait_for_text("main", |t| t.contains(ready)).await;
        scan(&session, path, &mut found).await;
    }
    let app = session.get_json("/v1/Apps?PageSize=1").await;
    session
        .open(&format!(
            "/apps/{}",
            app["apps"][0]["sid"].as_str().unwrap()
        ))
        .await;
    session.wait_for_text("h1", |t| !t.is_empty()).await;
    scan(&session, "app detail", &mut found).await;
    session.open("/fleet").await;
    session.scan(60).await;
    scan(&session, "fleet", &mut found).await;

    session.close().await;
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[tokio::test]
async fn a_device_is_renamed_and_deployed_with_the_keyboard_alone() {
    let session = Session::start(30).await;
    session.open("/devices").await;
    let rows = session.wait_for_rows(30, &[]).await;
    let apps = session.get_json("/v1/Apps?PageSize=100").await;
    let (app_sid, app_name) = (
        apps["apps"][2]["sid"].as_str().unwrap().to_owned(),
        apps["apps"][2]["unique_name"].as_str().unwrap().to_owned(),
    );

    // j to the third row, Enter to open it.
    for _ in 0..3 {
        session.press("j").await;
    }
    session.press(&Key::Enter.to_string()).await;
    // The device page's code is fetched on its first visit; the address changes once it is in.
    session
        .wait_for(
            "Enter to open the device",
            "return location.pathname;",
            |path| path.as_str().is_some_and(|p| p.starts_with("/devices/")),
        )
        .await;
    session.wait_for_text("h1", |t| !t.is_empty()).await;

    // Tab to the name, replace it, Enter to save.
    session.tab_to("el.id === 'unique-name'").await;
    session
        .press(&format!("{}a{}", Key::Control, Key::Null))
        .await;
    session.press("keyboard-renamed").await;
    session.press(&Key::Enter.to_string()).await;
    session
        .wait_for_text("h1", |t| t == "keyboard-renamed")
        .await;

    // Tab to the target app, type it, Enter for the confirmation, Tab to Deploy, Enter.
    session.tab_to("el.id === 'target-app'").await;
    session.press(&app_name).await;
    session.press(&Key::Enter.to_string()).await;
    session
        .wait_for_text("dialog[open] .dialog-message", |t| t.contains('→'))
        .await;
    session
        .tab_to("el.closest('dialog[open]') && el.textContent.trim() === 'Deploy'")
        .await;
    session.press(&Key::Enter.to_string()).await;
    session
        .wait_for_text("#deploy-status", |t| t == "Deploy requested.")
        .await;

    let device = session.get_json(&format!("/v1/Devices/{}", rows[2])).await;
    assert_eq!(device["unique_name"], "keyboard-renamed");
    assert_eq!(device["app"]["target_sid"], app_sid.as_str());
    // The focus stayed visible all along: the focused element draws an outline.
    let outline = session
        .eval("return getComputedStyle(document.activeElement).outlineStyle;")
        .await;
    assert_ne!(outline, "none", "the focused control shows where focus is");
    session.close().await;
}

#[tokio::test]
async fn axe_finds_no_serious_violation_on_saved_views_and_rollouts() {
    let session = Session::start_with(&[
        "--devices",
        "60",
        "--update-delay-ms",
        "300",
        "--update-failure-rate",
        "0",
        "--rollout-poll-ms",
        "500",
    ])
    .await;
    let mut found = Vec::new();

    session.open("/fleet").await;
    session.scan(60).await;
    session.fill("fleet-search", "berlin").await;
    session.fill("view-name", "Berlin").await;
    session.click_button("Save view").await;
    session
        .wait_for_text(".view-list .view-link", |t| t == "Berlin")
        .await;
    scan(&session, "fleet with a saved view", &mut found).await;

    session.open("/rollouts/new").await;
    let app = session
        .wait_for(
            "an app to choose",
            "const o = document.querySelectorAll('#rollout-target option'); return o.length > 1 ? o[1].value : null;",
            |v| v.is_string(),
        )
        .await;
    scan(&session, "new rollout", &mut found).await;
    session.fill("rollout-name", "everyone").await;
    session
        .choose("rollout-target", app.as_str().unwrap())
        .await;
    session.click_button("Preview").await;
    session
        .wait_for_text(".preview-summary", |t| t.contains("devices:"))
        .await;
    scan(&session, "rollout preview", &mut found).await;
    session.click_button("Start rollout…").await;
    session
        .wait_for_text("dialog[open] .dialog-message", |t| {
            t.starts_with("Start rolling out")
        })
        .await;
    scan(&session, "start rollout dialog", &mut found).await;
    session.click_button("Start rollout").await;
    session
        .wait_long(
            "the rollout to complete",
            std::time::Duration::from_secs(120),
            "const e = document.querySelector('.rollout-meta [data-state]'); return e ? e.dataset.state : null;",
            |v| v == "completed",
        )
        .await;
    scan(&session, "rollout detail", &mut found).await;
    session.open("/rollouts").await;
    session
        .wait_for_text("main", |t| t.contains("Completed"))
        .await;
    scan(&session, "rollout list", &mut found).await;
    // The audit log with the rollout's writes, and the alerts (none yet, a rule being made).
    session.open("/audit").await;
    session
        .wait_for_text("main", |t| t.contains("device written"))
        .await;
    scan(&session, "audit log", &mut found).await;
    session.open("/alerts").await;
    session
        .wait_for_text("main", |t| t.contains("New alert rule"))
        .await;
    scan(&session, "alerts", &mut found).await;

    session.close().await;
    assert!(found.is_empty(), "{}", found.join("\n"));
}
