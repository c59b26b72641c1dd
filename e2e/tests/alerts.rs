//! Alerts and live updates in Chromium against console-server: a rule made on the Alerts page
//! ("5 % or more of a saved view in error", with a webhook) fires while a rollout fails; the
//! device list open beside it turns those devices red without a reload; the test's receiver
//! gets one signed delivery; the bell shows 1; acknowledging is audited; and when the devices
//! recover the alert resolves, once, and the bell goes back to 0.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use console_e2e::harness::{Session, http_form, http_json};
use serde_json::{Value, json};
use test_support::webhooks::{Received, Receiver, signed_by};

const PATIENCE: Duration = Duration::from_secs(90);

/// Waits (without blocking the browser's driver) until the receiver has `n` answered 200.
async fn delivered(receiver: &Receiver, n: usize) -> Vec<Received> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let ok = receiver.answered_ok();
        if ok.len() >= n {
            return ok;
        }
        assert!(
            Instant::now() < deadline,
            "{n} deliveries: {:?}",
            receiver.received()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every byte but letters and digits percent-encoded: a query value.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn write(base: &str, sid: &str, form: &str) {
    let (status, body) = http_form(&format!("{base}/v1/Devices/{sid}"), form).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_failing_rollout_turns_rows_red_live_fires_one_signed_webhook_and_resolves() {
    let receiver = Receiver::start(0);
    let session = Session::start_with(&[
        "--devices",
        "300",
        "--update-delay-ms",
        "300",
        "--update-failure-rate",
        "1",
        "--index-interval",
        "2",
        "--alert-interval",
        "1",
        "--allow-private-webhooks",
    ])
    .await;
    let base = session.base_url.clone();

    // Every deploy fails here (`--update-failure-rate 1`), so the seeded devices with a
    // target report error; a restart lands whatever the rate. The view is one app's devices,
    // restarted first, so none of them is in error; the targets are twelve devices on the
    // list's first page on other apps, restarted too, so they start green.
    let (_, all) = http_json("GET", &format!("{base}/v1/Devices?PageSize=1000"), None).await;
    let all: Vec<Value> = all["devices"].as_array().unwrap().clone();
    let (_, apps) = http_json("GET", &format!("{base}/v1/Apps"), None).await;
    let app = apps["apps"][0]["sid"].as_str().unwrap().to_owned();
    let sid = |d: &Value| d["sid"].as_str().unwrap().to_owned();
    let in_view: Vec<String> = all
        .iter()
        .filter(|d| d["app"]["target_sid"] == app.as_str())
        .map(sid)
        .collect();
    let targets: Vec<String> = all[..50]
        .iter()
        .filter(|d| d["app"]["target_sid"] != app.as_str())
        .take(12)
        .map(sid)
        .collect();
    assert_eq!(targets.len(), 12);
    assert!(!in_view.is_empty());
    for device in in_view.iter().chain(&targets) {
        write(&base, device, "RestartApp=true").await;
    }
    let (status, view) = http_json(
        "POST",
        &format!("{base}/console/v1/views"),
        Some(&json!({"name": "app canary", "filter": {"target_app": app}}).to_string()),
    )
    .await;
    assert_eq!(status, 201, "{view}");
    let view_id = view["id"].as_str().unwrap().to_owned();
    // The index (a pass every 2 s) sees the view's devices all up to date.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (_, summary) = http_json(
            "GET",
            &format!(
                "{base}/console/v1/fleet/summary?filter={}",
                encoded(&json!({"target_app": app}).to_string())
            ),
            None,
        )
        .await;
        let up = summary["by_status"]["up-to-date"].as_u64().unwrap_or(0);
        if summary["total"].as_u64() == Some(in_view.len() as u64) && up == in_view.len() as u64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the view never settled: {summary}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The rule, made on the Alerts page; its signing secret shown once.
    session.open("/alerts").await;
    session
        .wait_for_text(".new-alert-rule h2", |t| t == "New alert rule")
        .await;
    session.fill("rule-name", "canary in error").await;
    session.choose("rule-view", &view_id).await;
    session.choose("rule-kind", "error_percent").await;
    session.fill("rule-value", "5").await;
    session.fill("rule-webhook", &receiver.url).await;
    session.click_button("Create rule").await;
    let secret = session
        .wait_for_text("code.secret", |t| t.starts_with("whsec_"))
        .await;
    session
        .wait_for_text(".alert-rule .alert-state", |t| t == "OK")
        .await;
    let violations = session.accessibility_violations().await;
    assert!(violations.is_empty(), "{violations:#?}");

    // The device list, live, the targets green; a mark on the window proves nothing reloads it.
    session.click_link("Devices").await;
    session.wait_for_text(".updated-ago", |t| t == "live").await;
    let green = format!(
        "const want = {};
         return want.filter(sid => {{
           const row = document.querySelector(`tr[data-sid='${{sid}}']`);
           return row && row.querySelector('.badge.ok');
         }}).length;",
        serde_json::to_string(&targets).unwrap()
    );
    session
        .wait_long("the targets green first", PATIENCE, &green, |v| v == 12)
        .await;
    session.eval("window.__notReloaded = true;").await;
    let (status, rollout) = http_json(
        "POST",
        &format!("{base}/console/v1/rollouts"),
        Some(
            &json!({
                "name": "canary rollout",
                "target_app": app,
                "source": {"kind": "devices", "sids": targets},
                "plan": {"phases": [{"size": {"kind": "percent", "value": 100}}],
                         "error_threshold": {"kind": "percent", "value": 50}}
            })
            .to_string(),
        ),
    )
    .await;
    assert_eq!(status, 201, "{rollout}");

    // Red on the open list, from the stream: every target's badge says error.
    let script = format!(
        "if (!window.__notReloaded) return 'reloaded';
         const want = {};
         return want.filter(sid => {{
           const row = document.querySelector(`tr[data-sid='${{sid}}']`);
           return row && row.querySelector('.badge.error');
         }}).length;",
        serde_json::to_string(&targets).unwrap()
    );
    session
        .wait_long("the targets red without a reload", PATIENCE, &script, |v| {
            v == 12
        })
        .await;

    // One signed delivery; the bell shows 1.
    let fired = delivered(&receiver, 1).await;
    assert!(signed_by(&secret, &fired[0]), "{:?}", fired[0]);
    let body: Value = serde_json::from_str(&fired[0].body).unwrap();
    assert_eq!(body["type"], "alert.fired", "{body}");
    assert_eq!(body["rule"]["name"], "canary in error");
    session
        .wait_for_text(".bell .bell-count", |t| t == "1")
        .await;
    let bell_words = session
        .eval("return document.querySelector('.bell .visually-hidden').textContent;")
        .await;
    assert_eq!(bell_words, " alert firing");

    // Acknowledged from the Alerts page (reached by the bell), and audited.
    session.click_css(".bell").await;
    session
        .wait_for_text(".alert-rule .alert-state", |t| t.starts_with("Firing:"))
        .await;
    session.click_button("Acknowledge").await;
    session
        .wait_for_text(".alert-rule .alert-state", |t| {
            t.contains("acknowledged by")
        })
        .await;
    let (_, audit) = http_json(
        "GET",
        &format!("{base}/console/v1/audit?action=alert"),
        None,
    )
    .await;
    let paths: BTreeSet<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert!(paths.iter().any(|p| p.ends_with("/ack")), "{audit}");
    let violations = session.accessibility_violations().await;
    assert!(violations.is_empty(), "{violations:#?}");
    session.screenshot_at("alerts-firing", 1280, false).await;
    session.screenshot_at("alerts-firing", 1280, true).await;

    // The devices recover (a restart lands): resolved, once; the bell back to 0.
    for sid in &targets {
        write(&base, sid, "RestartApp=true").await;
    }
    let both = delivered(&receiver, 2).await;
    let resolved: Value = serde_json::from_str(&both[1].body).unwrap();
    assert_eq!(resolved["type"], "alert.resolved", "{resolved}");
    assert_eq!(
        both[1].key,
        format!("{}-2", body["rule"]["id"].as_str().unwrap())
    );
    session
        .wait_for_text(".bell .bell-count", |t| t == "0")
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.received().len(), 2, "{:?}", receiver.received());
    session.assert_no_panic().await;
    session.close().await;
}
