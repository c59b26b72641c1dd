//! Working over devices: keyboard, the column chooser, auto-refresh.

use console_e2e::harness::Session;
use fantoccini::key::Key;

/// Types `key` into whatever has focus, as a person at the keyboard does.
#[tokio::test]
async fn keyboard_moves_between_rows_and_opens_one() {
    let session = Session::start(60).await;
    session.open("/devices").await;
    session.wait_for_rows(50, &[]).await;
    let focused = "return document.activeElement?.closest('tr')?.dataset.sid ?? null";
    let rows = session.row_sids().await;
    session.press("j").await;
    assert_eq!(session.eval(focused).await.as_str(), Some(rows[0].as_str()));
    session.press("j").await;
    session.press("j").await;
    session.press("k").await;
    assert_eq!(session.eval(focused).await.as_str(), Some(rows[1].as_str()));
    session.press(&Key::Enter.to_string()).await;
    session
        .wait_for(
            "the device page",
            "return location.pathname.startsWith('/devices/')",
            |v| v.as_bool() == Some(true),
        )
        .await;

    session.open("/fleet").await;
    session.click_button("Scan fleet").await;
    session
        .wait_for_text(".scan-status", |t| t.contains("complete"))
        .await;
    session
        .eval("document.activeElement.blur(); return 1;")
        .await;
    session.press("/").await;
    let id = session.eval("return document.activeElement.id").await;
    assert_eq!(id.as_str(), Some("fleet-search"));
    session.close().await;
}

#[tokio::test]
async fn hidden_columns_stay_hidden_after_a_reload() {
    let session = Session::start(20).await;
    session.open("/devices").await;
    session.wait_for_rows(20, &[]).await;
    let shown =
        "return getComputedStyle(document.querySelector('tbody td.col-target')).display !== 'none'";
    assert_eq!(session.eval(shown).await.as_bool(), Some(true));
    session.click_css("details.column-chooser summary").await;
    session.click_css("#show-target").await;
    session
        .wait_for("the column to hide", shown, |v| v.as_bool() == Some(false))
        .await;
    session.client.refresh().await.unwrap();
    session.wait_for_rows(20, &[]).await;
    assert_eq!(session.eval(shown).await.as_bool(), Some(false));
    session.close().await;
}

#[tokio::test]
async fn auto_refresh_shows_changes_made_elsewhere() {
    let session = Session::start(20).await;
    session.open("/devices").await;
    let rows = session.wait_for_rows(20, &[]).await;
    session.click_css("#auto-refresh").await;
    // Someone else renames the first device.
    session
        .client
        .execute_async(
            &format!("const done = arguments[0]; fetch('/v1/Devices/{}', {{method: 'POST', headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: 'UniqueName=changed-elsewhere'}}).then(r => done(r.status));", rows[0]),
            vec![],
        )
        .await
        .unwrap();
    session
        .wait_for_text("tbody tr td.col-name a", |t| t == "changed-elsewhere")
        .await;
    // The list says how old what it shows is, and auto-refresh keeps that young: a count that
    // grows past the refresh interval (10 s, plus a second of the clock's tick) means it stopped.
    let age = |text: &str| {
        text.strip_prefix("updated ")
            .and_then(|rest| rest.strip_suffix(" s ago"))
            .and_then(|n| n.parse::<u64>().ok())
    };
    for _ in 0..3 {
        let text = session
            .wait_for_text(".updated-ago", |t| age(t).is_some())
            .await;
        let seconds = age(&text).unwrap_or(u64::MAX);
        assert!(seconds <= 11, "auto-refresh fell behind: {text}");
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
    session.close().await;
}
