//! The console against an emulator that fails a fifth of all requests (500, 503, 429 with
//! Retry-After, dropped connections) and answers each after 300 ms. Reads heal themselves
//! (20 cold loads and 20 page turns need no click on Retry); edits and a bulk action each
//! complete or say what failed and offer to retry; nothing panics; the emulator's final state
//! is what the console reported.

use console_e2e::harness::Session;
use serde_json::Value;

const FLAKY: &[&str] = &[
    "--devices",
    "60",
    "--fault-rate",
    "0.2",
    "--latency-ms",
    "300",
    "--update-failure-rate",
    "0",
];

/// How many times a test may press Retry before it gives up on a load.
const RETRY_CLICKS: usize = 25;

/// Waits for `count` rows other than `previous`, pressing the error panel's Retry whenever
/// a load failed. Returns the rows' SIDs and how many times Retry was pressed.
async fn rows_or_retry(
    session: &Session,
    count: usize,
    previous: &[String],
) -> (Vec<String>, usize) {
    let previous = serde_json::to_string(previous).unwrap();
    let script = format!(
        "const rows = [...document.querySelectorAll('table.devices tbody tr')].map((r) => r.dataset.sid);
         const previous = {previous};
         if (rows.length === {count} && !document.querySelector('.list.stale') && !rows.some((r) => previous.includes(r))) return rows;
         return document.querySelector('[role=alert] button') ? 'failed' : null;"
    );
    for clicks in 0..=RETRY_CLICKS {
        let state = session
            .wait_for("rows or an error", &script, |v| !v.is_null())
            .await;
        if let Ok(rows) = serde_json::from_value::<Vec<String>>(state.clone()) {
            return (rows, clicks);
        }
        session.assert_no_panic().await;
        session.click_button("Retry").await;
    }
    panic!("the page did not load after {RETRY_CLICKS} clicks on Retry");
}

/// Reads are tried again on every transient failure within the retry policy, so under these
/// faults a person never has to press Retry to see a list.
#[tokio::test]
async fn lists_load_and_turn_without_a_click_on_retry_under_faults() {
    let session = Session::start_with(&[
        "--devices",
        "600",
        "--fault-rate",
        "0.2",
        "--latency-ms",
        "300",
    ])
    .await;
    let mut clicks = 0;
    for _ in 0..20 {
        // A cold load each time: a new document, the wasm started afresh.
        session.open("/devices?PageSize=25").await;
        clicks += rows_or_retry(&session, 25, &[]).await.1;
    }
    let (mut rows, _) = rows_or_retry(&session, 25, &[]).await;
    for _ in 0..20 {
        session.click_link("Next").await;
        let (next, pressed) = rows_or_retry(&session, 25, &rows).await;
        clicks += pressed;
        rows = next;
    }
    assert_eq!(
        clicks, 0,
        "Retry was needed {clicks} times in 20 loads and 20 turns"
    );
    session.close().await;
}

/// Waits until an edit's outcome shows: `done` says whether it succeeded; a failure must be
/// said in the control's alert, with what was typed still there.
async fn until_done(session: &Session, button: &str, done: &str, typed: Option<(&str, &str)>) {
    for _ in 0..25 {
        session.click_button(button).await;
        let outcome = session
            .wait_for(
                &format!("{button} to finish"),
                &format!(
                    "if ({done}) return 'done';
                     const alerts = [...document.querySelectorAll('.field-error[role=alert]')].map((a) => a.textContent).filter((t) => t.trim());
                     const busy = [...document.querySelectorAll('button')].some((b) => b.disabled && b.textContent.includes('…'));
                     return alerts.length && !busy ? alerts.join(' | ') : null;"
                ),
                |v| !v.is_null(),
            )
            .await;
        session.assert_no_panic().await;
        if outcome == "done" {
            return;
        }
        let said = outcome.as_str().unwrap_or_default();
        assert!(said.len() > 10, "a failure is explained: {said}");
        if let Some((id, text)) = typed {
            let kept = session
                .eval(&format!("return document.getElementById('{id}').value;"))
                .await;
            assert_eq!(kept, text, "what was typed is kept after: {said}");
        }
    }
    panic!("{button}: 25 attempts did not succeed");
}

fn device<'a>(page: &'a Value, sid: &str) -> &'a Value {
    page["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["sid"] == sid)
        .unwrap()
}

#[tokio::test]
async fn every_operation_completes_or_offers_retry_under_faults_and_latency() {
    let session = Session::start_with(FLAKY).await;

    // List and pagination.
    session.open("/devices?PageSize=25").await;
    let (first, _) = rows_or_retry(&session, 25, &[]).await;
    session.click_link("Next").await;
    let (second, _) = rows_or_retry(&session, 25, &first).await;

    // Detail: a failed load says so and retries.
    let sid = second[3].clone();
    session.open(&format!("/devices/{sid}")).await;
    let mut shown = false;
    for _ in 0..=RETRY_CLICKS {
        let state = session
            .wait_for(
                "the device or an error",
                "if (document.getElementById('unique-name')) return 'shown';
                 return document.querySelector('[role=alert] button') ? 'failed' : null;",
                |v| !v.is_null(),
            )
            .await;
        if state == "shown" {
            shown = true;
            break;
        }
        session.click_button("Retry").await;
    }
    assert!(
        shown,
        "the device did not load after {RETRY_CLICKS} clicks on Retry"
    );

    // Edits: rename and enable logging, retried by the operator until they land.
    session.fill("unique-name", "renamed-under-faults").await;
    until_done(
        &session,
        "Save name",
        "document.querySelector('h1').textContent === 'renamed-under-faults'",
        Some(("unique-name", "renamed-under-faults")),
    )
    .await;
    until_done(
        &session,
        "Enable logging",
        "document.querySelector('.logging-state').textContent.startsWith('on')",
        None,
    )
    .await;
    let state = session.get_json(&format!("/v1/Devices/{sid}")).await;
    assert_eq!(state["unique_name"], "renamed-under-faults");
    assert_eq!(state["logging"]["enabled"], true);

    // A bulk change of the first page: every device ends done or failed with a reason,
    // and the emulator agrees with each.
    session.open("/devices?PageSize=25").await;
    rows_or_retry(&session, 25, &[]).await;
    let apps = session.get_json("/v1/Apps?PageSize=100").await;
    let (app_sid, app_name) = (
        apps["apps"][1]["sid"].as_str().unwrap().to_owned(),
        apps["apps"][1]["unique_name"].as_str().unwrap().to_owned(),
    );
    let before = session.get_json("/v1/Devices?PageSize=100").await;
    session
        .eval("document.querySelector('td.select input').click(); return 1;")
        .await;
    session.click_button("Select page").await;
    session
        .wait_for_text(".bulk .toolbar span", |t| t == "25 selected")
        .await;
    session.review_bulk("target", Some(&app_name)).await;
    session.click_button("Apply").await;
    session
        .wait_for_text(".bulk-status", |t| t.starts_with("25 of 25 finished"))
        .await;
    let results = session.bulk_results().await;
    assert_eq!(results.len(), 25, "one result per device");
    let after = session.get_json("/v1/Devices?PageSize=100").await;
    for (sid, result) in &results {
        let now = &device(&after, sid)["app"]["target_sid"];
        if result == "done" {
            assert_eq!(now, app_sid.as_str(), "{sid} reported done");
        } else {
            assert!(
                result.starts_with("failed: ") && result.len() > 10,
                "{result}"
            );
            assert_eq!(
                now,
                &device(&before, sid)["app"]["target_sid"],
                "{sid} reported failed"
            );
        }
    }
    session.close().await;
}
