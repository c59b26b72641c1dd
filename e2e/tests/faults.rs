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

/// Waits until `ready` (a script's expression) gives a value, pressing the error panel's
/// Retry whenever a load failed and waiting while that retry runs. Returns the value and what
/// each failure that needed Retry said.
async fn until_loaded(session: &Session, what: &str, ready: &str) -> (Value, Vec<String>) {
    let script = format!(
        "const ready = {ready};
         if (ready !== null) return {{ ready }};
         const failed = document.querySelector('[role=alert]:has(button:not([aria-disabled=true]))');
         return failed ? {{ failed: failed.querySelector('.message').textContent }} : null;"
    );
    let mut said = Vec::new();
    for _ in 0..=RETRY_CLICKS {
        let state = session.wait_for(what, &script, |v| !v.is_null()).await;
        if let Some(ready) = state.get("ready") {
            return (ready.clone(), said);
        }
        session.assert_no_panic().await;
        said.push(state["failed"].as_str().unwrap_or_default().to_owned());
        session.click_button("Retry").await;
    }
    panic!("{what}: not loaded after {RETRY_CLICKS} clicks on Retry: {said:?}");
}

/// Waits for `count` rows other than `previous`, as `until_loaded`; returns the rows' SIDs.
async fn rows_or_retry(
    session: &Session,
    count: usize,
    previous: &[String],
) -> (Vec<String>, Vec<String>) {
    let previous = serde_json::to_string(previous).unwrap();
    let ready = format!(
        "(() => {{
            const rows = [...document.querySelectorAll('table.devices tbody tr')].map((r) => r.dataset.sid);
            const previous = {previous};
            const fresh = rows.length === {count} && !document.querySelector('.list.stale') && !rows.some((r) => previous.includes(r));
            return fresh ? rows : null;
        }})()"
    );
    let (rows, said) = until_loaded(session, "rows or an error", &ready).await;
    (serde_json::from_value(rows).unwrap(), said)
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
    let mut failures = Vec::new();
    for _ in 0..20 {
        // A cold load each time: a new document, the wasm started afresh.
        session.open("/devices?PageSize=25").await;
        failures.extend(rows_or_retry(&session, 25, &[]).await.1);
    }
    let (mut rows, _) = rows_or_retry(&session, 25, &[]).await;
    for _ in 0..20 {
        session.click_link("Next").await;
        let (next, said) = rows_or_retry(&session, 25, &rows).await;
        failures.extend(said);
        rows = next;
    }
    assert!(
        failures.is_empty(),
        "Retry was needed {} times in 20 loads and 20 turns: {failures:?}",
        failures.len()
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
                     const shown = [...document.querySelectorAll('.field-error[role=alert]')].filter((a) => a.textContent.trim());
                     // A control's last failure stays shown while it is tried again, with its
                     // buttons disabled: only an alert beside enabled buttons is an outcome.
                     const settled = shown.filter((a) => !a.closest('.edit-row, form')?.querySelector('button:disabled'));
                     return shown.length && settled.length === shown.length ? shown.map((a) => a.textContent).join(' | ') : null;"
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
    until_loaded(
        &session,
        "the device or an error",
        "document.getElementById('unique-name') ? true : null",
    )
    .await;

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
