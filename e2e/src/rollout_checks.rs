//! What the rollout tests check at the servers: the rollout as console-server has it, and the
//! emulator's own count of `TargetApp` writes and its devices' states.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Group, Session, http_json, start_server_with_env};

/// The emulator's count of `TargetApp` writes per device (`GET /emulator/v1/writes`).
pub async fn writes_at(emulator: &str) -> HashMap<String, u64> {
    let (status, body) = http_json("GET", &format!("{emulator}/emulator/v1/writes"), None).await;
    assert_eq!(status, 200, "{body}");
    writes(&body)
}

pub fn writes(body: &Value) -> HashMap<String, u64> {
    serde_json::from_value(body["target_app_writes"].clone()).expect("the emulator's write counts")
}

/// The rollout as the server has it.
pub async fn rollout_of(base: &str, id: &str) -> Value {
    let (status, rollout) =
        http_json("GET", &format!("{base}/console/v1/rollouts/{id}"), None).await;
    assert_eq!(status, 200, "{rollout}");
    rollout
}

pub fn devices_in(rollout: &Value) -> &Vec<Value> {
    rollout["devices"].as_array().expect("devices")
}

/// Every device the rollout wrote was written exactly once, and nothing else was.
pub fn assert_written_once(rollout: &Value, counts: &HashMap<String, u64>) {
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
pub async fn assert_states_match_emulator(emulator: &str, rollout: &Value) {
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

/// console-server in proxy mode in front of `emulator` (an emulator running as its own
/// process, so that it outlives a `kill -9` of the console and counts every write across
/// both lives), polling devices every 500 ms, with `store_args` naming its store.
pub async fn proxy_on(emulator: &str, store_args: &[&str]) -> (Group, String) {
    let mut args = vec!["--upstream", emulator, "--rollout-poll-ms", "500"];
    args.extend_from_slice(store_args);
    start_server_with_env(
        &args,
        &[
            ("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000"),
            ("TWILIO_AUTH_TOKEN", "token"),
        ],
    )
    .await
}

/// Waits until the rollout is in its second phase with `started` devices written so far in
/// the given range: mid-phase, the moment a crash test wants.
pub async fn wait_mid_phase(
    base: &str,
    id: &str,
    started: std::ops::Range<usize>,
    limit: Duration,
) {
    let deadline = Instant::now() + limit;
    loop {
        let rollout = rollout_of(base, id).await;
        let written = devices_in(&rollout)
            .iter()
            .filter(|d| d["attempts"].as_u64() > Some(0))
            .count();
        if rollout["phase"] == 1 && started.contains(&written) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never caught mid-phase: {}",
            rollout["status"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the rollout completes; returns it.
pub async fn wait_completed(base: &str, id: &str, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let rollout = rollout_of(base, id).await;
        if rollout["status"]["state"] == "completed" {
            return rollout;
        }
        assert!(
            Instant::now() < deadline,
            "not completed: {}",
            rollout["status"]
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Starts the previewed rollout through its confirmation; returns its id from the URL.
pub async fn start_previewed(session: &Session) -> String {
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
