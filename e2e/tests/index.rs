//! The fleet index end to end: console-server reads the emulator's fleet into its store, and
//! the Fleet page in Chromium shows counts and rows from it with no scan; a device retargeted
//! through the API shows in its timeline and in the counts after the next pass; a rollout to
//! "every device matching" is resolved on the server and writes each matching device once, and
//! so does a bulk action on the same query.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use console_core::freshness::grouped;
use console_e2e::harness::{Session, http_form, http_json};
use console_e2e::rollout_checks::{assert_written_once, devices_in, rollout_of, writes};
use serde_json::Value;

const PATIENCE: Duration = Duration::from_secs(120);

/// Every device the API lists, page by page.
async fn every_device(base: &str) -> Vec<Value> {
    let mut devices = Vec::new();
    let mut url = format!("{base}/v1/Devices?PageSize=1000");
    loop {
        let (status, page) = http_json("GET", &url, None).await;
        assert_eq!(status, 200, "{page}");
        devices.extend(page["devices"].as_array().cloned().unwrap_or_default());
        match page["meta"]["next_page_url"].as_str() {
            Some(next) => url = next.replace("https://microvisor.twilio.com", base),
            None => return devices,
        }
    }
}

/// Waits until the index has finished a pass that started after `after_ms`; returns it.
async fn pass_after(base: &str, after_ms: i64) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (_, status) = http_json("GET", &format!("{base}/console/v1/fleet/status"), None).await;
        let complete = &status["complete"];
        if complete["started_ms"]
            .as_i64()
            .is_some_and(|t| t > after_ms)
        {
            return complete.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no pass after {after_ms}: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The apps by SID, with their unique names.
async fn app_names(base: &str) -> HashMap<String, String> {
    let (_, apps) = http_json("GET", &format!("{base}/v1/Apps?PageSize=1000"), None).await;
    apps["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .filter_map(|a| {
            Some((
                a["sid"].as_str()?.to_owned(),
                a["unique_name"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// The text a chip of the summary starts with, or null.
fn chip_script(prefix: &str) -> String {
    format!(
        "return Array.from(document.querySelectorAll('.summary .chips button')).map(b => b.textContent).find(t => t.startsWith({})) || null;",
        serde_json::to_string(prefix).unwrap()
    )
}

#[tokio::test]
async fn ten_thousand_devices_show_from_the_index_and_a_retarget_reaches_counts_and_timeline() {
    let session = Session::start_with(&[
        "--devices",
        "10000",
        "--update-delay-ms",
        "1500",
        "--update-failure-rate",
        "0",
        "--index-interval",
        "3",
    ])
    .await;
    let base = session.base_url.clone();
    let first = pass_after(&base, 0).await;
    assert_eq!(first["listed"], 10000, "{first}");

    // Counts and rows at once: no scan, a small DOM, the total from the server.
    session.open("/fleet").await;
    session
        .wait_for_text(".toolbar .muted", |t| t == "10,000 matching")
        .await;
    session
        .wait_for_text(".summary .chips button", |t| t == "All 10000")
        .await;
    let scan_buttons = session
        .eval("return Array.from(document.querySelectorAll('button')).filter(b => b.textContent.includes('Scan fleet')).length")
        .await;
    assert_eq!(scan_buttons, 0);
    let drawn = session.row_sids().await;
    assert!(
        drawn.len() > 10 && drawn.len() < 100,
        "{} rows drawn",
        drawn.len()
    );
    let freshness = session
        .wait_for_text(".freshness p", |t| t.starts_with("Index updated"))
        .await;
    assert!(freshness.contains("10,000 devices read"), "{freshness}");

    // Search runs on the server and agrees with the API's own list.
    let fleet = every_device(&base).await;
    let berlin = fleet
        .iter()
        .filter(|d| {
            d["unique_name"]
                .as_str()
                .is_some_and(|n| n.to_lowercase().contains("berlin"))
        })
        .count();
    assert!(berlin > 100 && berlin < 10000, "{berlin}");
    session.fill("fleet-search", "berlin").await;
    session
        .wait_for_text(".toolbar .muted", |t| {
            t == format!("{} matching (filtered)", grouped(berlin as u64))
        })
        .await;
    session.click_button("Clear filters").await;

    // Sorted by name on the server (by its bytes, devices with no name first, equals in the
    // order the index first saw them, which is the list's): the first row is the least of all.
    let least = fleet
        .iter()
        .enumerate()
        .map(|(listed, d)| {
            (
                d["unique_name"].as_str().unwrap_or_default().to_owned(),
                listed,
                d["sid"].as_str().unwrap_or_default(),
            )
        })
        .min()
        .expect("devices");
    session
        .eval("document.querySelector('th.col-name button').click();")
        .await;
    session
        .wait_for("the least name first", "const r = document.querySelector('table.devices tbody tr[data-sid]'); return r ? r.dataset.sid : null;", |v| v == least.2)
        .await;

    // Scrolling to the end of the loaded rows loads the next page.
    session
        .eval("const w = document.querySelector('.table-wrap.scroller'); w.scrollTop = w.scrollHeight; w.dispatchEvent(new Event('scroll'));")
        .await;
    session
        .wait_for(
            "more rows loaded",
            "return Number(document.querySelector('table.devices').getAttribute('aria-rowcount'))",
            |v| v.as_u64().is_some_and(|n| n > 201),
        )
        .await;
    let violations = session.accessibility_violations().await;
    assert!(violations.is_empty(), "{violations:#?}");
    session.screenshot_at("fleet-index", 1280, false).await;
    session.screenshot_at("fleet-index", 1280, true).await;

    // Retarget one device through the API; after the next pass the counts and its timeline
    // show it.
    let names = app_names(&base).await;
    let (app, name) = names
        .iter()
        .min_by_key(|(sid, _)| {
            fleet
                .iter()
                .filter(|d| d["app"]["target_sid"] == sid.as_str())
                .count()
        })
        .map(|(sid, name)| (sid.clone(), name.clone()))
        .expect("an app");
    let before = fleet
        .iter()
        .filter(|d| d["app"]["target_sid"] == app.as_str())
        .count();
    let device = fleet
        .iter()
        .find(|d| d["app"]["target_sid"] != app.as_str())
        .expect("a device on another app");
    let sid = device["sid"].as_str().unwrap().to_owned();
    let written_at = now_ms();
    let (status, answer) = http_form(
        &format!("{base}/v1/Devices/{sid}"),
        &format!("TargetApp={app}"),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    session.click_button("Refresh now").await;
    pass_after(&base, written_at).await;
    let chip = session
        .wait_for(
            "the app's new count",
            &chip_script(&format!("{name} ")),
            |v| v.as_str() == Some(&format!("{name} {}", before + 1)),
        )
        .await;
    assert_eq!(chip, format!("{name} {}", before + 1).as_str());

    session.open(&format!("/devices/{sid}")).await;
    session.click_button("History").await;
    let timeline = session
        .wait_for_text("ol.timeline", |t| t.contains(&format!("target now {name}")))
        .await;
    assert!(
        timeline.contains(&format!("targeted {name} by")),
        "the write beside what was seen: {timeline}"
    );
    assert!(timeline.contains("first seen"), "{timeline}");
    session.close().await;
}

#[tokio::test]
async fn a_rollout_to_every_matching_device_is_resolved_on_the_server_and_writes_each_once() {
    let session = Session::start_with(&[
        "--devices",
        "2000",
        "--update-delay-ms",
        "1500",
        "--update-failure-rate",
        "0",
        "--index-interval",
        "3",
        "--rollout-poll-ms",
        "500",
    ])
    .await;
    let base = session.base_url.clone();
    pass_after(&base, 0).await;
    let osaka: Vec<String> = every_device(&base)
        .await
        .iter()
        .filter(|d| {
            d["unique_name"]
                .as_str()
                .is_some_and(|n| n.to_lowercase().contains("osaka"))
        })
        .map(|d| d["sid"].as_str().unwrap().to_owned())
        .collect();
    assert!(osaka.len() > 20, "{}", osaka.len());

    session.open("/fleet").await;
    session.fill("fleet-search", "osaka").await;
    let count = grouped(osaka.len() as u64);
    session
        .wait_for_text(".toolbar .muted", |t| {
            t == format!("{count} matching (filtered)")
        })
        .await;
    session
        .click_button(&format!("Select all {count} matching"))
        .await;
    session
        .wait_for_text(".query-selection [role=status]", |t| {
            t == format!("All {count} devices matching this filter are selected.")
        })
        .await;
    session.click_css(".query-selection a.button").await;
    // The form opens on the query, which the server resolves.
    session
        .wait_for(
            "the filter carried over",
            "const e = document.getElementById('rollout-filter-text'); return e ? e.value : null;",
            |v| v == "osaka",
        )
        .await;
    session.fill("rollout-name", "osaka by query").await;
    let app = session
        .wait_for(
            "an app to choose",
            "const o = document.querySelectorAll('#rollout-target option'); return o.length > 1 ? o[1].value : null;",
            |v| v.is_string(),
        )
        .await;
    session
        .choose("rollout-target", app.as_str().unwrap())
        .await;
    session.choose("rollout-preset", "custom").await;
    session.fill("rollout-phases", "10%, 100%").await;
    session.fill("rollout-concurrency", "8").await;
    session.click_button("Preview").await;
    let summary = session
        .wait_for_text(".preview-summary", |t| t.contains("devices:"))
        .await;
    assert!(
        summary.starts_with(&format!("{} devices:", osaka.len())),
        "{summary}"
    );
    session.click_button("Start rollout…").await;
    session.click_button("Start rollout").await;
    let id = completed_rollout(&session, "").await;
    let rollout = rollout_of(&base, &id).await;
    let mut planned: Vec<String> = devices_in(&rollout)
        .iter()
        .map(|d| d["sid"].as_str().unwrap().to_owned())
        .collect();
    planned.sort();
    let mut expected = osaka.clone();
    expected.sort();
    assert_eq!(
        planned, expected,
        "the rollout holds exactly the matching devices"
    );
    let (_, body) = http_json("GET", &format!("{base}/emulator/v1/writes"), None).await;
    assert_written_once(&rollout, &writes(&body));

    // A bulk action on the same query runs on the server too: every matching device gets
    // logging on, written once, and no app is retargeted by it.
    session.open("/fleet").await;
    session.fill("fleet-search", "osaka").await;
    session
        .click_button(&format!("Select all {count} matching"))
        .await;
    session.choose("query-action", "logging-on").await;
    session
        .click_button(&format!("Run on all {count} matching…"))
        .await;
    session.click_button("Run it").await;
    let action_id = completed_rollout(&session, &id).await;
    let meta = session
        .wait_for_text(".rollout-meta", |t| t.contains("·"))
        .await;
    assert!(meta.contains("Enable or extend logging"), "{meta}");
    let action = rollout_of(&base, &action_id).await;
    assert_eq!(action["change"], "logging_on");
    let mut acted: Vec<String> = devices_in(&action)
        .iter()
        .map(|d| {
            assert_eq!(d["state"], "succeeded", "{d}");
            d["sid"].as_str().unwrap().to_owned()
        })
        .collect();
    acted.sort();
    assert_eq!(
        acted, expected,
        "the action holds exactly the matching devices"
    );
    let logged = action_writes(&base, &action_id).await;
    assert_eq!(logged.len(), expected.len(), "one audited write per device");
    for sid in &expected {
        assert_eq!(
            logged.get(sid).map(Vec::as_slice),
            Some(&["LoggingEnabled=true".to_owned()][..]),
            "{sid}"
        );
    }
    let (_, body) = http_json("GET", &format!("{base}/emulator/v1/writes"), None).await;
    assert_written_once(&rollout, &writes(&body));
    for device in every_device(&base).await {
        let sid = device["sid"].as_str().unwrap().to_owned();
        if expected.binary_search(&sid).is_ok() {
            assert_eq!(device["logging"]["enabled"], true, "{sid}: {device}");
        }
    }
    session.close().await;
}

/// Once the page has gone to a rollout (other than `before`), its id when it has completed.
async fn completed_rollout(session: &Session, before: &str) -> String {
    let path = session
        .wait_for("a rollout's page", "return location.pathname", |v| {
            v.as_str().is_some_and(|p| {
                p.contains("/rollouts/RO") && (before.is_empty() || !p.ends_with(before))
            })
        })
        .await;
    let id = path
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    session
        .wait_long(
            "the rollout to complete",
            Duration::from_secs(150),
            "const e = document.querySelector('.rollout-meta [data-state]'); return e ? e.dataset.state : null;",
            |v| v == "completed",
        )
        .await;
    id
}

/// The audited writes of rollout `id`, by device: each write's parameters as a form.
async fn action_writes(base: &str, id: &str) -> HashMap<String, Vec<String>> {
    let mut by_device: HashMap<String, Vec<String>> = HashMap::new();
    let mut url = format!("{base}/console/v1/audit?action=rollout&limit=1000");
    loop {
        let (status, page) = http_json("GET", &url, None).await;
        assert_eq!(status, 200, "{page}");
        for entry in page["entries"].as_array().unwrap() {
            if entry["rollout"] != id {
                continue;
            }
            let params: Vec<String> = entry["params"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            by_device
                .entry(entry["device"].as_str().unwrap().to_owned())
                .or_default()
                .push(params.join("&"));
        }
        match page["next_before"].as_i64() {
            Some(before) => {
                url = format!("{base}/console/v1/audit?action=rollout&limit=1000&before={before}")
            }
            None => return by_device,
        }
    }
}
