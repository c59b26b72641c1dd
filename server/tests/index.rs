//! The fleet index kept by the server's sync in-process against its emulator: a pass reads
//! the whole fleet, the query API answers from it (pages, counts, freshness), a write through
//! `/v1` shows in the counts and the timeline after "Refresh now", a rollout by filter is
//! resolved from the index, and `--no-index` turns all of it off.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use console_server::{Options, router_with_env};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// One request as a same-origin page sends it: JSON, or a form (the API's writes).
async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    body: Option<(&str, String)>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "127.0.0.1:8080");
    if let Some((content_type, _)) = &body {
        request = request
            .header(header::CONTENT_TYPE, *content_type)
            .header(header::ORIGIN, "http://127.0.0.1:8080");
    }
    let request = request
        .body(body.map_or(Body::empty(), |(_, text)| Body::from(text)))
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

async fn get(app: &Router, uri: &str) -> Value {
    let (status, body) = call(app, "GET", uri, None).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}

fn options(devices: usize, no_index: bool) -> Options {
    Options {
        listen: "127.0.0.1:8080".parse().unwrap(),
        devices,
        seed: 5,
        update_delay_ms: 100,
        update_failure_rate: 0.0,
        no_index,
        index_interval: 3_600,
        ..Options::defaults()
    }
}

/// The emulator's server with its index kept in the background.
async fn started(devices: usize) -> Router {
    let server = router_with_env(&options(devices, false), |_| None)
        .await
        .unwrap();
    let index = server.index.clone().expect("an index");
    tokio::spawn(async move { index.run().await });
    server.router
}

/// The last complete pass, once one started after `after_ms`.
async fn pass_after(app: &Router, after_ms: i64) -> Value {
    for _ in 0..300 {
        let status = get(app, "/console/v1/fleet/status").await;
        if status["complete"]["started_ms"]
            .as_i64()
            .is_some_and(|t| t > after_ms)
        {
            return status["complete"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no pass after {after_ms}");
}

fn filter_query(filter: Value) -> String {
    microvisor_api::url::encode_segment(&filter.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_indexes_the_fleet_and_a_write_reaches_counts_and_timeline_after_a_refresh() {
    let app = started(1_500).await;
    let first = pass_after(&app, 0).await;
    assert_eq!(
        (first["listed"].as_u64(), first["pages"].as_u64()),
        (Some(1_500), Some(2)),
        "{first}"
    );
    assert_eq!(first["written"], 1_500, "the first pass writes every row");

    // Pages follow their cursor through every device once, 600 at a time.
    let mut sids = Vec::new();
    let mut uri = "/console/v1/fleet/devices?limit=600&sort=unique_name".to_owned();
    loop {
        let page = get(&app, &uri).await;
        assert_eq!(page["total"], 1_500);
        assert_eq!(page["freshness"]["enabled"], true);
        sids.extend(
            page["devices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["sid"].as_str().unwrap().to_owned()),
        );
        match page["next"].as_str() {
            Some(next) => {
                uri = format!(
                    "/console/v1/fleet/devices?limit=600&sort=unique_name&after={}",
                    microvisor_api::url::encode_segment(next)
                );
            }
            None => break,
        }
    }
    let unique: std::collections::BTreeSet<&String> = sids.iter().collect();
    assert_eq!((sids.len(), unique.len()), (1_500, 1_500));

    // Retarget one device at the API; "Refresh now"; the counts and its timeline show it.
    let summary = get(&app, "/console/v1/fleet/summary").await;
    assert_eq!(summary["total"], 1_500);
    let (app_sid, before) = summary["by_target"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(sid, _)| !sid.is_empty())
        .min_by_key(|(_, n)| n.as_u64())
        .map(|(sid, n)| (sid.clone(), n.as_u64().unwrap()))
        .unwrap();
    let page = get(&app, "/console/v1/fleet/devices?limit=1000").await;
    let device = page["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["app"]["target_sid"] != app_sid.as_str())
        .unwrap();
    let sid = device["sid"].as_str().unwrap();
    let written_at = console_server::clock::unix_now_ms();
    let (status, _) = call(
        &app,
        "POST",
        &format!("/v1/Devices/{sid}"),
        Some((
            "application/x-www-form-urlencoded",
            format!("TargetApp={app_sid}"),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &app,
        "POST",
        "/console/v1/fleet/refresh",
        Some(("application/json", "{}".to_owned())),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let second = pass_after(&app, written_at).await;
    assert!(second["written"].as_u64().unwrap() >= 1, "{second}");
    assert!(
        second["written"].as_u64().unwrap() < 100,
        "only what changed is written: {second}"
    );
    let summary = get(&app, "/console/v1/fleet/summary").await;
    assert_eq!(summary["by_target"][&app_sid], before + 1);
    let timeline = get(&app, &format!("/console/v1/fleet/devices/{sid}/timeline")).await;
    let entries = timeline["entries"].as_array().unwrap();
    let seen = |source: &str, kind: &str| {
        entries
            .iter()
            .any(|e| e["source"] == source && e["kind"] == kind && e["after"] == app_sid.as_str())
    };
    assert!(seen("observed", "target_app"), "{timeline}");
    assert!(seen("write", "target_app"), "{timeline}");
    assert!(
        entries.iter().any(|e| e["kind"] == "appeared"),
        "{timeline}"
    );
    let times: Vec<i64> = entries
        .iter()
        .map(|e| e["at_ms"].as_i64().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    // A rollout by filter is planned from the index: the same devices the query finds.
    let filter = json!({"text": "berlin"});
    let found = get(
        &app,
        &format!(
            "/console/v1/fleet/devices?limit=1&filter={}",
            filter_query(filter.clone())
        ),
    )
    .await;
    let (status, preview) = call(
        &app,
        "POST",
        "/console/v1/rollouts/preview",
        Some((
            "application/json",
            json!({
                "name": "by query",
                "target_app": app_sid,
                "source": {"kind": "filter", "filter": filter},
                "plan": {"phases": [{"size": {"kind": "percent", "value": 100}}]}
            })
            .to_string(),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["devices"], found["total"], "{preview}");

    // Bad questions are refused with a reason.
    let (status, body) = call(&app, "GET", "/console/v1/fleet/devices?sort=colour", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("sort must be"),
        "{body}"
    );
    let (status, _) = call(
        &app,
        "GET",
        "/console/v1/fleet/devices?after=nonsense&sort=status",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn without_an_index_the_routes_say_so_and_the_page_scans() {
    let server = router_with_env(&options(20, true), |_| None).await.unwrap();
    assert!(server.index.is_none());
    let (status, body) = call(&server.router, "GET", "/console/v1/fleet/status", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["message"].as_str().unwrap().contains("--no-index"),
        "{body}"
    );
}
