//! Rollouts end to end: made in the console in Chromium, driven by console-server (or, in the
//! static demo, by the page), checked against the emulator's own count of `TargetApp` writes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use console_e2e::harness::{
    Group, Session, given_path, http_json, scratch_dir, start_server, start_server_with_env,
    start_static_host,
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

/// Starts the previewed rollout through its confirmation; returns its id from the URL.
async fn start_previewed(session: &Session) -> String {
    session.click_button("Start rollout…").await;
    session
        .wait_for_text("dialog[open] .dialog-message", |t| {
            t.starts_with("Start rolling out")
        })
        .await;
    session.click_button("Start rollout").await;
    let path = session
        .wait_for("the rollout's page", "return location.pathname", |v| {
            v.as_str().is_some_and(|p| p.contains("/rollouts/RO"))
        })
        .await;
    path.as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
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

fn writes(body: &Value) -> HashMap<String, u64> {
    serde_json::from_value(body["target_app_writes"].clone()).expect("the emulator's write counts")
}

/// The rollout as the server has it.
async fn rollout_of(base: &str, id: &str) -> Value {
    let (status, rollout) =
        http_json("GET", &format!("{base}/console/v1/rollouts/{id}"), None).await;
    assert_eq!(status, 200, "{rollout}");
    rollout
}

fn devices_in(rollout: &Value) -> &Vec<Value> {
    rollout["devices"].as_array().expect("devices")
}

/// Every device the rollout wrote was written exactly once, and nothing else was.
fn assert_written_once(rollout: &Value, counts: &HashMap<String, u64>) {
    let written: Vec<&str> = devices_in(rollout)
        .iter()
        .filter(|d| {
            !matches!(
                d["state"].as_str(),
                Some("skipped" | "not_sent" | "waiting")
            )
        })
        .map(|d| d["sid"].as_str().unwrap())
        .collect();
    for sid in &written {
        assert_eq!(
            counts.get(*sid),
            Some(&1),
            "{sid} was written {:?} times",
            counts.get(*sid)
        );
    }
    assert_eq!(
        counts.values().sum::<u64>(),
        written.len() as u64,
        "writes beyond the rollout's"
    );
}

/// Every device the emulator reports on the target, as `up-to-date`, when the rollout says it
/// succeeded (or was skipped as already there).
async fn assert_states_match_emulator(emulator: &str, rollout: &Value) {
    let target = rollout["target_app"].as_str().unwrap();
    let (_, page) = http_json("GET", &format!("{emulator}/v1/Devices?PageSize=1000"), None).await;
    let by_sid: HashMap<&str, &Value> = page["devices"]
        .as_array()
        .expect("a page of devices")
        .iter()
        .map(|d| (d["sid"].as_str().unwrap(), d))
        .collect();
    for device in devices_in(rollout) {
        let sid = device["sid"].as_str().unwrap();
        let there = by_sid[sid];
        let on_target =
            there["app"]["reported_sid"] == target && there["app"]["update_status"] == "up-to-date";
        match device["state"].as_str() {
            Some("succeeded" | "skipped") => assert!(
                on_target,
                "{sid} succeeded but the emulator has {}",
                there["app"]
            ),
            Some("failed") => assert!(
                !on_target
                    || device["reason"]
                        .as_str()
                        .is_some_and(|r| r.contains("timed out")),
                "{sid}"
            ),
            other => panic!("{sid} did not end in a final state: {other:?}"),
        }
    }
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
    assert_eq!(phases[0], "Phase 1: 1 devices");
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

/// The emulator runs as its own process behind console-server's proxy, so it outlives a
/// `kill -9` of the console and counts every write across both lives.
async fn emulator_process(args: &[&str]) -> (Group, String) {
    start_server(args).await
}

async fn proxy_on(emulator: &str, store: &str, extra: &[&str]) -> (Group, String) {
    let mut args = vec!["--upstream", emulator, "--rollout-poll-ms", "500"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--data-dir", store]);
    start_server_with_env(
        &args,
        &[
            ("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000"),
            ("TWILIO_AUTH_TOKEN", "token"),
        ],
    )
    .await
}

#[tokio::test]
async fn a_rollout_survives_kill_9_of_console_server_and_writes_each_device_once() {
    let (_emulator, emulator) = emulator_process(&[
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
    let (first, base) = proxy_on(&emulator, &store, &[]).await;
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
    let deadline = Instant::now() + ROLLOUT_PATIENCE;
    loop {
        let rollout = rollout_of(&base, &id).await;
        let started = devices_in(&rollout)
            .iter()
            .filter(|d| d["attempts"].as_u64() > Some(0))
            .count();
        if rollout["phase"] == 1 && (20..200).contains(&started) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never caught mid-phase: {}",
            rollout["status"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // kill -9 of its whole process group.
    drop(first);
    // Restarted on the same store, with no browser open.
    let (_second, base) = proxy_on(&emulator, &store, &[]).await;
    let deadline = Instant::now() + ROLLOUT_PATIENCE;
    let rollout = loop {
        let rollout = rollout_of(&base, &id).await;
        if rollout["status"]["state"] == "completed" {
            break rollout;
        }
        assert!(
            Instant::now() < deadline,
            "not resumed: {}",
            rollout["status"]
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let (_, body) = http_json("GET", &format!("{emulator}/emulator/v1/writes"), None).await;
    assert_written_once(&rollout, &writes(&body));
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
    assert_eq!(
        wait_for_state(&session, &["completed", "halted"]).await,
        "completed"
    );
    let rollout = rollout_of(&session.base_url, &id).await;
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
