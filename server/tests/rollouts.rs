//! Rollouts driven by the server's runner in-process against its emulator: created through
//! `/console/v1`, finished by the runner, each device given its app exactly once.

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use console_server::{Options, router_with_env};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn call(app: &Router, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "127.0.0.1:8080");
    if body.is_some() {
        request = request
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, "http://127.0.0.1:8080");
    }
    let request = request
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned())),
    )
}

async fn started(devices: usize, failure_rate: f64) -> Router {
    let options = Options {
        listen: "127.0.0.1:8080".parse().unwrap(),
        devices,
        seed: 3,
        update_delay_ms: 100,
        update_failure_rate: failure_rate,
        ..Options::defaults()
    };
    let server = router_with_env(&options, |_| None).await.unwrap();
    let runner = server.runner.clone();
    tokio::spawn(async move { runner.run().await });
    server.router
}

/// The SID of an app with a unique name, to roll out.
async fn some_app(app: &Router) -> String {
    let (status, apps) = call(app, "GET", "/v1/Apps?PageSize=50", None).await;
    assert_eq!(status, StatusCode::OK);
    apps["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["unique_name"].is_string())
        .expect("an app with a name")["sid"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn wait_until_final(app: &Router, id: &str) -> Value {
    for _ in 0..600 {
        let (status, rollout) = call(app, "GET", &format!("/console/v1/rollouts/{id}"), None).await;
        assert_eq!(status, StatusCode::OK, "{rollout}");
        let state = rollout["status"]["state"].as_str().unwrap().to_owned();
        if matches!(state.as_str(), "completed" | "halted" | "aborted") {
            return rollout;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the rollout did not finish in a minute");
}

fn writes(body: &Value) -> HashMap<String, u64> {
    serde_json::from_value(body["target_app_writes"].clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staged_rollout_completes_writing_each_device_once() {
    let app = started(120, 0.0).await;
    let target = some_app(&app).await;
    let (status, created) = call(
        &app,
        "POST",
        "/console/v1/rollouts",
        Some(json!({
            "name": "all of them",
            "target_app": target,
            "source": {"kind": "filter", "filter": {}},
            "plan": {"phases": [
                {"size": {"kind": "count", "value": 1}},
                {"size": {"kind": "percent", "value": 10}},
                {"size": {"kind": "percent", "value": 50}},
                {"size": {"kind": "percent", "value": 100}}
            ], "concurrency": 8}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let done = wait_until_final(&app, id).await;
    assert_eq!(done["status"]["state"], "completed", "{}", done["status"]);
    let devices = done["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 120);
    let written: Vec<&str> = devices
        .iter()
        .filter(|d| d["state"] != "skipped")
        .map(|d| d["sid"].as_str().unwrap())
        .collect();
    assert!(
        devices
            .iter()
            .all(|d| d["state"] == "succeeded" || d["state"] == "skipped")
    );
    let (_, body) = call(&app, "GET", "/emulator/v1/writes", None).await;
    let counts = writes(&body);
    for sid in &written {
        assert_eq!(
            counts.get(*sid),
            Some(&1),
            "{sid} written {:?}",
            counts.get(*sid)
        );
    }
    assert_eq!(counts.values().sum::<u64>(), written.len() as u64);
    // Every device now runs the target (those skipped already did).
    let (_, page) = call(&app, "GET", "/v1/Devices?PageSize=200", None).await;
    for device in page["devices"].as_array().unwrap() {
        assert_eq!(device["app"]["reported_sid"], json!(target), "{device}");
        assert_eq!(device["app"]["update_status"], "up-to-date", "{device}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_phase_halts_the_rollout_before_the_next_is_written() {
    // Which deploys fail is drawn per device and moment: 40 devices at 90 % leave no real
    // chance of a first phase under the threshold (10 at 50 % did, one run in 18).
    let app = started(200, 0.9).await;
    let target = some_app(&app).await;
    let (status, created) = call(
        &app,
        "POST",
        "/console/v1/rollouts",
        Some(json!({
            "name": "most fail",
            "target_app": target,
            "source": {"kind": "filter", "filter": {}},
            "plan": {"phases": [
                {"size": {"kind": "count", "value": 40}},
                {"size": {"kind": "percent", "value": 100}}
            ], "error_threshold": {"kind": "percent", "value": 20}}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let done = wait_until_final(&app, id).await;
    assert_eq!(done["status"]["state"], "halted", "{}", done["status"]);
    assert!(
        done["status"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("Phase 1 of 2"),
        "{}",
        done["status"]
    );
    let (_, body) = call(&app, "GET", "/emulator/v1/writes", None).await;
    let counts = writes(&body);
    let later: Vec<&Value> = done["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["phase"].as_u64() != Some(0))
        .collect();
    assert!(!later.is_empty());
    for device in later {
        let sid = device["sid"].as_str().unwrap();
        assert_eq!(counts.get(sid), None, "{sid} of a later phase was written");
    }
    assert!(counts.values().all(|n| *n == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_that_cannot_run_is_refused_with_a_reason() {
    let app = started(10, 0.0).await;
    let (status, body) = call(
        &app,
        "POST",
        "/console/v1/rollouts",
        Some(json!({
            "name": "nowhere",
            "target_app": "no-such-app",
            "source": {"kind": "filter", "filter": {}},
            "plan": {"phases": []}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("no-such-app"),
        "{body}"
    );
}
