//! Rollouts end to end: made in the console in Chromium, driven by console-server (or, in the
//! static demo, by the page), checked against the emulator's own count of `TargetApp` writes.

use std::time::{Duration, Instant};

use console_e2e::harness::{
    Session, given_path, http_json, scratch_dir, start_server, start_static_host,
};
use console_e2e::rollout_checks::{
    assert_states_match_emulator, assert_written_once, devices_in, proxy_on, rollout_of,
    start_previewed, wait_completed, wait_mid_phase, writes, writes_at,
};
use serde_json::Value;

/// A rollout of several hundred devices has this long to finish.
const ROLLOUT_PATIENCE: Duration = Duration::from_secs(150);

/// Fills the New rollout form (every device matching `filter_text`, the canary preset unless
/// `phases` is given) and previews it; returns the preview's summary line.
async fn fill_and_preview(
    session: &Session,
    prefix: &str,
    name: &str,
    filter_text: &str,
    phases: Option<&str>,
    threshold: &str,
) -> (String, String) {
    session.open(&format!("{prefix}/rollouts/new")).await;
    session.fill("rollout-name", name).await;
    // The first app of the account.
    let app = session
        .wait_for(
            "an app to choose",
            "const o = document.querySelectorAll('#rollout-target option'); return o.length > 1 ? o[1].value : null;",
            |v| v.is_string(),
        )
        .await;
    let app = app.as_str().unwrap().to_owned();
    session.choose("rollout-target", &app).await;
    if !filter_text.is_empty() {
        session.fill("rollout-filter-text", filter_text).await;
    }
    if let Some(phases) = phases {
        session.choose("rollout-preset", "custom").await;
        session.fill("rollout-phases", phases).await;
    }
    session.fill("rollout-concurrency", "8").await;
    session.fill("rollout-threshold", threshold).await;
    session.click_button("Preview").await;
    let summary = session
        .wait_for_text(".preview-summary", |t| t.contains("devices:"))
        .await;
    (app, summary)
}

/// Waits on the rollout's page until its state is one of `states`; returns the state.
async fn wait_for_state(session: &Session, states: &[&str]) -> String {
    let script = "const e = document.querySelector('.rollout-meta [data-state]'); return e ? e.dataset.state : null;";
    let state = session
        .wait_long("the rollout to finish", ROLLOUT_PATIENCE, script, |v| {
            v.as_str().is_some_and(|s| states.contains(&s))
        })
        .await;
    state.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_canary_rollout_of_300_devices_completes_writing_each_device_once() {
    let session = Session::start_with(&[
        "--devices",
        "300",
        "--update-delay-ms",
        "300",
        "--update-failure-rate",
        "0",
        "--rollout-poll-ms",
        "500",
    ])
    .await;
    let (_, summary) = fill_and_preview(&session, "", "canary to all", "", None, "10%").await;
    assert!(summary.starts_with("300 devices:"), "{summary}");
    // The preview lists the phases (1, then up to 10 %, 50 %, all) and the first device.
    let phases = session
        .eval(
            "return Array.from(document.querySelectorAll('ol.phases li')).map(l => l.textContent)",
        )
        .await;
    assert_eq!(phases.as_array().map(Vec::len), Some(4), "{phases}");
    assert_eq!(phases[0], "Phase 1: 1 device");
    let id = start_previewed(&session).await;
    assert_eq!(
        wait_for_state(&session, &["completed", "halted"]).await,
        "completed"
    );
    session
        .screenshot_at("rollout-completed", 1280, false)
        .await;
    session.screenshot_at("rollout-completed", 1280, true).await;
    let rollout = rollout_of(&session.base_url, &id).await;
    assert_eq!(devices_in(&rollout).len(), 300);
    let (_, body) = http_json(
        "GET",
        &format!("{}/emulator/v1/writes", session.base_url),
        None,
    )
    .await;
    assert_written_once(&rollout, &writes(&body));
    assert_states_match_emulator(&session.base_url, &rollout).await;
    // The list shows it with its bars and counts.
    session.open("/rollouts").await;
    let row = session
        .wait_for_text(&format!("tr[data-rollout='{id}']"), |t| {
            t.contains("Completed")
        })
        .await;
    assert!(row.contains("0 failed"), "{row}");
    session.assert_no_panic().await;
    session.close().await;
}

#[tokio::test]
async fn a_failing_rollout_halts_in_an_early_phase_with_its_reason_on_screen() {
    let session = Session::start_with(&[
        "--devices",
        "300",
        "--update-delay-ms",
        "300",
        "--update-failure-rate",
        "0.5",
        "--rollout-poll-ms",
        "500",
    ])
    .await;
    fill_and_preview(&session, "", "half will fail", "", None, "10%").await;
    let id = start_previewed(&session).await;
    assert_eq!(
        wait_for_state(&session, &["halted", "completed"]).await,
        "halted"
    );
    let reason = session
        .wait_for_text(".halt-reason", |t| !t.is_empty())
        .await;
    assert!(
        reason.starts_with("Phase 1 of 4") || reason.starts_with("Phase 2 of 4"),
        "{reason}"
    );
    // Nothing of a later phase was written, at the emulator; nothing is written while halted.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rollout = rollout_of(&session.base_url, &id).await;
    let halted_in = rollout["phase"].as_u64().unwrap();
    let (_, body) = http_json(
        "GET",
        &format!("{}/emulator/v1/writes", session.base_url),
        None,
    )
    .await;
    let counts = writes(&body);
    for device in devices_in(&rollout) {
        if device["phase"].as_u64().unwrap() > halted_in {
            let sid = device["sid"].as_str().unwrap();
            assert_eq!(counts.get(sid), None, "{sid} of a later phase was written");
            assert_eq!(device["state"], "waiting");
        }
    }
    assert_written_once(&rollout, &counts);
    // Abort, confirmed with its count: the unsent devices are marked not sent.
    session.click_button("Abort…").await;
    session
        .wait_for_text("dialog[open] .dialog-message", |t| {
            t.starts_with("Abort this rollout?")
        })
        .await;
    session.click_button("Confirm").await;
    assert_eq!(wait_for_state(&session, &["aborted"]).await, "aborted");
    let rollout = rollout_of(&session.base_url, &id).await;
    assert!(
        devices_in(&rollout)
            .iter()
            .any(|d| d["state"] == "not_sent")
    );
    session.assert_no_panic().await;
    session.close().await;
}

#[tokio::test]
async fn a_rollout_survives_kill_9_of_console_server_and_writes_each_device_once() {
    // The emulator runs as its own process behind the proxy, so it outlives the kill.
    let (_emulator, emulator) = start_server(&[
        "--devices",
        "300",
        "--update-delay-ms",
        "500",
        "--update-failure-rate",
        "0",
        "--latency-ms",
        "40",
    ])
    .await;
    let store = scratch_dir("kill-store");
    let store = store.to_str().unwrap().to_owned();
    let (first, base) = proxy_on(&emulator, &["--data-dir", &store]).await;
    let session = Session::browse(base.clone()).await;
    fill_and_preview(
        &session,
        "",
        "through a crash",
        "",
        Some("10%, 100%"),
        "10%",
    )
    .await;
    session.fill("rollout-concurrency", "2").await;
    session.click_button("Preview").await;
    let id = start_previewed(&session).await;
    // Mid-phase: some devices written, most not.
    wait_mid_phase(&base, &id, 20..200, ROLLOUT_PATIENCE).await;
    // kill -9 of its whole process group.
    drop(first);
    // Restarted on the same store, with no browser open.
    let (_second, base) = proxy_on(&emulator, &["--data-dir", &store]).await;
    let rollout = wait_completed(&base, &id, ROLLOUT_PATIENCE).await;
    assert_written_once(&rollout, &writes_at(&emulator).await);
    assert_states_match_emulator(&emulator, &rollout).await;
    session.close().await;
}

#[tokio::test]
async fn a_rollout_through_an_unreliable_network_completes_and_agrees_with_the_emulator() {
    let session = Session::start_with(&[
        "--devices",
        "120",
        "--update-delay-ms",
        "300",
        "--update-failure-rate",
        "0",
        "--fault-rate",
        "0.2",
        "--latency-ms",
        "100",
        "--rollout-poll-ms",
        "500",
    ])
    .await;
    fill_and_preview(&session, "", "stormy", "", Some("10%, 100%"), "10%").await;
    let id = start_previewed(&session).await;
    // Read through the faults until it ends; on a timeout, say which devices were not done.
    let deadline = Instant::now() + ROLLOUT_PATIENCE;
    let rollout = loop {
        let (status, rollout) = http_json(
            "GET",
            &format!("{}/console/v1/rollouts/{id}", session.base_url),
            None,
        )
        .await;
        if status == 200 && rollout["status"]["state"] != "running" {
            break rollout;
        }
        if status == 200 && Instant::now() > deadline {
            let open: Vec<&Value> = devices_in(&rollout)
                .iter()
                .filter(|d| {
                    !matches!(
                        d["state"].as_str(),
                        Some("succeeded" | "failed" | "skipped")
                    )
                })
                .collect();
            panic!("not finished: {} with {open:?}", rollout["status"]);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        rollout["status"]["state"], "completed",
        "{}",
        rollout["status"]
    );
    let emulator = session.base_url.clone();
    let (_, body) = session_json(&session, "/emulator/v1/writes").await;
    let counts = writes(&body);
    // Faults may drop answers to writes that landed: those devices are read, never re-written.
    for device in devices_in(&rollout) {
        if let Some(n) = counts.get(device["sid"].as_str().unwrap()) {
            assert_eq!(*n, 1, "{}", device["sid"]);
        }
    }
    assert_states_match_emulator_through_faults(&emulator, &rollout).await;
    session.close().await;
}

/// Reads through a faulty server until it answers.
async fn session_json(session: &Session, path: &str) -> (u16, Value) {
    for _ in 0..50 {
        let (status, body) = http_json("GET", &format!("{}{path}", session.base_url), None).await;
        if status == 200 {
            return (status, body);
        }
    }
    panic!("{path} never answered");
}

async fn assert_states_match_emulator_through_faults(base: &str, rollout: &Value) {
    for _ in 0..50 {
        let (status, page) =
            http_json("GET", &format!("{base}/v1/Devices?PageSize=1000"), None).await;
        if status == 200 && page["devices"].is_array() {
            let target = rollout["target_app"].as_str().unwrap();
            for device in devices_in(rollout) {
                let sid = device["sid"].as_str().unwrap();
                let there = page["devices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|d| d["sid"] == sid)
                    .unwrap();
                let on_target = there["app"]["reported_sid"] == target
                    && there["app"]["update_status"] == "up-to-date";
                assert_eq!(
                    device["state"] == "succeeded" || device["state"] == "skipped",
                    on_target,
                    "{sid}: {}",
                    there["app"]
                );
            }
            return;
        }
    }
    panic!("the device list never answered");
}

#[tokio::test]
async fn the_static_demo_runs_a_small_rollout_in_the_page() {
    const PREFIX: &str = "/microvisor-console";
    let (host, _task) = start_static_host(&given_path("CONSOLE_STATIC_SITE"), PREFIX).await;
    let session = Session::browse(host).await;
    session.open(&format!("{PREFIX}/rollouts/new")).await;
    session
        .wait_for_text(".demo-rollouts", |t| {
            t.contains("only while this tab is open")
        })
        .await;
    // A tenth or so of the demo fleet; the demo's own failure rate may not halt it.
    let (_, summary) =
        fill_and_preview(&session, PREFIX, "in the page", "-001", None, "100%").await;
    assert!(!summary.starts_with("0 devices"), "{summary}");
    let _id = start_previewed(&session).await;
    assert_eq!(wait_for_state(&session, &["completed"]).await, "completed");
    let pending = session
        .eval("return document.querySelectorAll('table.rollout-devices tr[data-state=waiting], table.rollout-devices tr[data-state=watching]').length")
        .await;
    assert_eq!(pending, 0);
    session.assert_no_panic().await;
    session.close().await;
}

#[tokio::test]
async fn approval_pause_resume_and_retry_failed_work_from_the_rollout_page() {
    let session = Session::start_with(&[
        "--devices",
        "60",
        "--update-delay-ms",
        "2000",
        "--update-failure-rate",
        "0.3",
        "--latency-ms",
        "200",
        "--rollout-poll-ms",
        "500",
    ])
    .await;
    // Phases of 10 % and the rest, two writes at a time (each about 200 ms, so the second
    // phase writes for seconds), waiting for approval between them; never halted.
    fill_and_preview(&session, "", "step by step", "", Some("10%, 100%"), "100%").await;
    session.fill("rollout-concurrency", "2").await;
    session.click_css("#rollout-approval").await;
    session.click_button("Preview").await;
    session
        .wait_for_text(".preview-summary", |t| t.contains("devices:"))
        .await;
    let id = start_previewed(&session).await;
    assert_eq!(
        wait_for_state(&session, &["waiting-approval", "completed"]).await,
        "waiting-approval"
    );
    // Only the first phase was written while it waits.
    let rollout = rollout_of(&session.base_url, &id).await;
    let first_phase: Vec<&str> = devices_in(&rollout)
        .iter()
        .filter(|d| d["phase"] == 0 && d["state"] != "skipped")
        .map(|d| d["sid"].as_str().unwrap())
        .collect();
    let counts = writes_at(&session.base_url).await;
    assert_eq!(counts.len(), first_phase.len(), "{counts:?}");
    assert!(first_phase.iter().all(|sid| counts.get(*sid) == Some(&1)));

    session.click_button("Approve next phase").await;
    assert_eq!(
        wait_for_state(&session, &["running", "completed"]).await,
        "running"
    );
    // Paused while it runs; nothing new is written while paused.
    session.click_button("Pause").await;
    assert_eq!(
        wait_for_state(&session, &["paused", "completed"]).await,
        "paused"
    );
    // Writes sent before the pause still land (each reads its device first, for the audit
    // log): counted once none is out.
    let deadline = Instant::now() + ROLLOUT_PATIENCE;
    while devices_in(&rollout_of(&session.base_url, &id).await)
        .iter()
        .any(|d| d["state"] == "sending")
    {
        assert!(Instant::now() < deadline, "a write still out");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let paused_at = writes_at(&session.base_url).await.values().sum::<u64>();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        writes_at(&session.base_url).await.values().sum::<u64>(),
        paused_at,
        "written while paused"
    );
    session.click_button("Resume").await;
    assert_eq!(wait_for_state(&session, &["completed"]).await, "completed");

    // About 30 % failed: retry them, confirmed with their count, as second attempts.
    let rollout = rollout_of(&session.base_url, &id).await;
    let failed: Vec<String> = devices_in(&rollout)
        .iter()
        .filter(|d| d["state"] == "failed")
        .map(|d| d["sid"].as_str().unwrap().to_owned())
        .collect();
    assert!(!failed.is_empty(), "with a 30 % failure rate some fail");
    session
        .click_button(&format!("Retry failed ({})…", failed.len()))
        .await;
    session
        .wait_for_text("dialog[open] .dialog-message", |t| {
            t.starts_with(&format!(
                "Write the failed devices ({} device{}) a second time?",
                failed.len(),
                if failed.len() == 1 { "" } else { "s" }
            ))
        })
        .await;
    session.click_button("Confirm").await;
    let deadline = Instant::now() + ROLLOUT_PATIENCE;
    let rollout = loop {
        let rollout = rollout_of(&session.base_url, &id).await;
        let retried_all = failed.iter().all(|sid| {
            devices_in(&rollout).iter().any(|d| {
                d["sid"] == sid.as_str()
                    && d["attempts"] == 2
                    && matches!(d["state"].as_str(), Some("succeeded" | "failed"))
            })
        });
        if retried_all && rollout["status"]["state"] == "completed" {
            break rollout;
        }
        // The retry works the earliest phase with a failed device again, gates included: the
        // next phase waits for approval once more.
        if rollout["status"]["state"] == "waiting_approval" {
            session.click_button("Approve next phase").await;
        }
        assert!(
            Instant::now() < deadline,
            "the retry never finished: {}; retried devices now: {:?}",
            rollout["status"],
            devices_in(&rollout)
                .iter()
                .filter(|d| failed.iter().any(|f| d["sid"] == f.as_str()))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // Written twice exactly where retried, once everywhere else.
    let counts = writes_at(&session.base_url).await;
    for device in devices_in(&rollout) {
        let sid = device["sid"].as_str().unwrap();
        let expected = if failed.iter().any(|f| f == sid) {
            2
        } else {
            1
        };
        if device["state"] != "skipped" {
            assert_eq!(counts.get(sid), Some(&expected), "{sid}");
        }
    }
    session.assert_no_panic().await;
    session.close().await;
}
