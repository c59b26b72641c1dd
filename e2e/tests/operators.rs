//! Operators and roles in the browser: a viewer sees the fleet with every write control
//! disabled (and a write forced past the page is refused at the server and not applied); an
//! operator renames a device but may not change the views everyone shares.

use console_e2e::harness::{Session, add_operator, http_json_with, scratch_dir};

async fn sign_in(session: &Session, token: &str, rows: usize) {
    session.open("/devices").await;
    session.wait_for_text("h1", |t| t == "Sign in").await;
    session.fill("access-token", token).await;
    session.click_button("Sign in").await;
    session.wait_for_rows(rows, &[]).await;
}

/// How many of the page's buttons and fields are enabled inside `selector` (a closed dialog's
/// count for nothing: nothing disabled can open it).
async fn enabled_controls(session: &Session, selector: &str) -> u64 {
    session
        .eval(&format!(
            "return [...document.querySelectorAll({})].filter(e => e.matches(':enabled') && !e.closest('dialog:not([open])')).length",
            serde_json::to_string(&format!(
                "{selector} button, {selector} input, {selector} select"
            ))
            .unwrap()
        ))
        .await
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_viewer_looks_and_an_operator_changes_but_neither_manages_shared_views() {
    let file = scratch_dir("operators").join("operators.json");
    let viewer = add_operator(&file, "vic", "viewer");
    let operator = add_operator(&file, "ana", "operator");
    let session =
        Session::start_with(&["--devices", "60", "--operators", file.to_str().unwrap()]).await;

    sign_in(&session, &viewer, 50).await;
    let who = session
        .wait_for_text(".operator", |t| t.contains("vic"))
        .await;
    assert!(who.starts_with("vic · viewer"), "{who}");
    let rows = session.row_sids().await;
    session.open(&format!("/devices/{}", rows[0])).await;
    session.wait_for_text("h1", |t| !t.is_empty()).await;
    assert_eq!(
        enabled_controls(&session, ".editor").await,
        0,
        "a write control is enabled"
    );
    let reason = session
        .eval("return document.querySelector('.editor fieldset.write-guard').title")
        .await;
    assert_eq!(
        reason,
        "Your role (viewer) can look but not change anything."
    );
    session.click_button("Configs").await;
    session
        .wait_for_text("main", |t| t.contains("Add config"))
        .await;
    assert_eq!(enabled_controls(&session, ".key-values").await, 0);
    session.open("/fleet").await;
    session.scan(60).await;
    // A row chosen loads the bulk actions: all of them disabled for a viewer.
    session.click_css("td.select input").await;
    session.wait_for_bulk_actions().await;
    assert_eq!(enabled_controls(&session, ".bulk .edit-row").await, 0);

    // Forced past the page, as curl would: refused at the server, and not applied.
    let base = &session.base_url;
    let header = format!("x-console-access-token: {viewer}");
    let (status, body) = http_json_with(
        "POST",
        &format!("{base}/v1/Devices/{}", rows[0]),
        Some("UniqueName=forced-by-viewer"),
        &[&header],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (_, device) = http_json_with(
        "GET",
        &format!("{base}/v1/Devices/{}", rows[0]),
        None,
        &[&header],
    )
    .await;
    assert_ne!(device["unique_name"], "forced-by-viewer");
    session.assert_no_panic().await;

    // Sign out, then in as the operator: renames; shared views stay closed to them.
    session.click_button("Sign out").await;
    session.wait_for_text("h1", |t| t == "Sign in").await;
    session.fill("access-token", &operator).await;
    session.click_button("Sign in").await;
    // Signed in again where the viewer left off (the Fleet page).
    session
        .wait_for_text(".operator", |t| t.starts_with("ana · operator"))
        .await;
    session.open(&format!("/devices/{}", rows[1])).await;
    session.fill("unique-name", "renamed-by-ana").await;
    session.click_button("Save name").await;
    session.wait_for_text("h1", |t| t == "renamed-by-ana").await;
    session.open("/fleet").await;
    session
        .wait_for_text(".views h2", |t| t == "Saved views")
        .await;
    assert_eq!(enabled_controls(&session, ".views form").await, 0);
    session.assert_no_panic().await;
    session.close().await;
}

#[tokio::test]
async fn an_operators_rename_and_secret_are_in_the_audit_log_and_the_device_history() {
    let file = scratch_dir("operators-audit").join("operators.json");
    let operator = add_operator(&file, "ana", "operator");
    let session =
        Session::start_with(&["--devices", "30", "--operators", file.to_str().unwrap()]).await;
    sign_in(&session, &operator, 30).await;
    let rows = session.row_sids().await;
    session.open(&format!("/devices/{}", rows[2])).await;
    let before = session.wait_for_text("h1", |t| !t.is_empty()).await;
    session.fill("unique-name", "audited-by-ana").await;
    session.click_button("Save name").await;
    session.wait_for_text("h1", |t| t == "audited-by-ana").await;
    session.open("/secrets").await;
    session
        .wait_for_text("main", |t| t.contains("Add secret"))
        .await;
    session.fill("secret-key", "api-key").await;
    session.fill("secret-value", "hunter2-not-for-logs").await;
    session.click_button("Add secret").await;
    session
        .wait_for_text(".key-values table", |t| t.contains("api-key"))
        .await;

    session.open("/audit").await;
    let newest = session
        .wait_for_text("table.audit tbody tr", |t| t.contains("Secret created"))
        .await;
    assert!(newest.contains("ana (operator)"), "{newest}");
    // Parameters as fields: the name, then the value redacted.
    assert!(newest.contains("Value[redacted]"), "{newest}");
    assert!(!newest.contains("hunter2"), "{newest}");
    let table = session
        .wait_for_text("table.audit", |t| t.contains("audited-by-ana"))
        .await;
    assert!(
        table.contains(&format!("name: {before} → audited-by-ana")),
        "{table}"
    );
    let csv = session.exported_text("Export CSV").await;
    assert!(
        csv.contains("[redacted]") && !csv.contains("hunter2"),
        "{csv}"
    );
    assert!(csv.contains("audited-by-ana"));
    // Filtered by the URL: only secrets.
    session.open("/audit?action=secret").await;
    let filtered = session
        .wait_for_text("table.audit tbody", |t| !t.is_empty())
        .await;
    assert!(!filtered.contains("audited-by-ana"), "{filtered}");
    // An operator may not verify the chain; the control says why.
    let reason = session
        .eval("return document.querySelector('.page-head fieldset.write-guard').title")
        .await;
    assert_eq!(reason, "Only an admin can verify the log.");

    // The device's History tab.
    session.open("/devices/audited-by-ana").await;
    session.click_button("History").await;
    let history = session
        .wait_for_text("table.audit", |t| t.contains("audited-by-ana"))
        .await;
    assert!(history.contains("ana (operator)"), "{history}");
    assert!(!history.contains("Secret created"), "{history}");
    session.assert_no_panic().await;
    session.close().await;
}
