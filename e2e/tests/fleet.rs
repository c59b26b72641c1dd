//! Fleet operations in a real browser: scan, summary, filters, selection and a bulk action.

use console_e2e::harness::Session;
use fantoccini::Locator;

#[tokio::test]
async fn scan_filter_select_and_change_many_devices() {
    let session = Session::start(250).await;
    session.open("/fleet").await;
    session.click_button("Scan fleet").await;
    let status = session
        .wait_for_text(".scan-status", |t| t.contains("complete"))
        .await;
    assert!(status.starts_with("250 devices · 1 pages"), "{status}");
    session
        .wait_for_text(".chips button", |t| t == "All 250")
        .await;

    // A count filters the view.
    let chip = session
        .eval("return Array.from(document.querySelectorAll('.chips button')).map(b => b.textContent).find(t => t.startsWith('pending '))")
        .await;
    let pending: usize = chip
        .as_str()
        .unwrap()
        .trim_start_matches("pending ")
        .parse()
        .unwrap();
    session.click_button(chip.as_str().unwrap()).await;
    session
        .wait_for_text(".toolbar .muted", |t| {
            t == format!("{pending} matching (filtered)")
        })
        .await;
    session.click_button("Clear filters").await;
    session
        .wait_for_text(".toolbar .muted", |t| t == "250 matching")
        .await;

    // Search narrows by name.
    session.fill("fleet-search", "berlin").await;
    let matching = session
        .wait_for_text(".toolbar .muted", |t| t.ends_with("(filtered)"))
        .await;
    let berlin: usize = matching.split(' ').next().unwrap().parse().unwrap();
    assert!(berlin > 5 && berlin < 250, "{matching}");

    // Click the first box, shift-click the fifth: a range of five.
    select_range(&session, 0, 4).await;
    session
        .wait_for_text(".bulk .toolbar span", |t| t == "5 selected")
        .await;
    session.click_button("Select all matching").await;
    session
        .wait_for_text(".bulk .toolbar span", |t| t == format!("{berlin} selected"))
        .await;

    // Enable logging on all of them, with a confirmation that counts them.
    session.click_button("Review and apply…").await;
    let message = session
        .wait_for_text("dialog[open] .dialog-message", |t| !t.is_empty())
        .await;
    assert!(
        message.starts_with(&format!(
            "Enable or extend logging for 24 h on {berlin} devices."
        )),
        "{message}"
    );
    assert!(message.contains("→ logging on for 24 h"), "{message}");
    session.click_button("Apply").await;
    let done = session
        .wait_for_text(".bulk-status", |t| {
            t.starts_with(&format!("{berlin} of {berlin} finished"))
        })
        .await;
    assert_eq!(
        done,
        format!("{berlin} of {berlin} finished · {berlin} done · 0 failed or not sent")
    );
    let rows = session
        .eval("return document.querySelectorAll('table.results tbody tr').length")
        .await;
    assert_eq!(
        rows.as_u64(),
        Some(berlin as u64),
        "a result for every device"
    );
    session.screenshot_at("fleet", 1280, false).await;

    // The summary follows the changes.
    session.click_button("Clear filters").await;
    let logging = session
        .eval("return Array.from(document.querySelectorAll('.chips button')).map(b => b.textContent).find(t => t.startsWith('logging on '))")
        .await;
    let on: usize = logging
        .as_str()
        .unwrap()
        .trim_start_matches("logging on ")
        .parse()
        .unwrap();
    assert!(on >= berlin, "{on} < {berlin}");
    session.close().await;
}

#[tokio::test]
async fn a_bulk_deploy_to_200_devices_under_faults_reports_every_device_truthfully() {
    let session = Session::start_with(&[
        "--devices",
        "200",
        "--fault-rate",
        "0.1",
        "--update-failure-rate",
        "0",
    ])
    .await;
    session.open("/fleet").await;
    session.scan(200).await;
    let apps = session.get_json("/v1/Apps?PageSize=100").await;
    let app = apps["apps"][2].clone();
    let (app_sid, app_name) = (
        app["sid"].as_str().unwrap().to_owned(),
        app["unique_name"].as_str().unwrap().to_owned(),
    );
    let before = session.get_json("/v1/Devices?PageSize=1000").await;

    session.click_button("Select all matching").await;
    session
        .wait_for_text(".bulk .toolbar span", |t| t == "200 selected")
        .await;
    session.review_bulk("target", Some(&app_name)).await;
    let message = session
        .wait_for_text("dialog[open] .dialog-message", |t| !t.is_empty())
        .await;
    assert!(
        message.starts_with(&format!("Set the target app to {app_name} on 200 devices.")),
        "{message}"
    );
    session.click_button("Apply").await;
    session
        .wait_for_text(".bulk-status", |t| t.starts_with("200 of 200 finished"))
        .await;

    let results = session.bulk_results().await;
    assert_eq!(results.len(), 200, "a result for every device");
    let failed = results.iter().filter(|(_, r)| r != "done").count();
    for (_, result) in &results {
        assert!(
            result == "done" || (result.starts_with("failed: ") && result.len() > 10),
            "{result}"
        );
    }

    // The emulator's state matches the report: done means targeted, failed means untouched.
    let all = session.get_json("/v1/Devices?PageSize=1000").await;
    let target_in = |list: &serde_json::Value, sid: &str| -> String {
        list["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["sid"] == sid)
            .unwrap()["app"]["target_sid"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    let target_of = |sid: &str| target_in(&all, sid);
    let target_before = |sid: &str| target_in(&before, sid);
    for (sid, result) in &results {
        if result == "done" {
            assert_eq!(target_of(sid), app_sid, "{sid} was reported done");
        }
    }
    let untouched = results
        .iter()
        .filter(|(sid, r)| r != "done" && target_of(sid) == target_before(sid))
        .count();
    assert_eq!(
        untouched, failed,
        "every device reported failed kept its old target"
    );

    // Retry failed until none is left.
    for _ in 0..6 {
        if session
            .eval("return document.querySelector('.bulk-status').textContent")
            .await
            .as_str()
            .unwrap()
            .ends_with(" 0 failed or not sent")
        {
            break;
        }
        session.click_button("Retry failed").await;
        session
            .wait_for_text(".bulk-status", |t| !t.contains("waiting"))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        session
            .wait_for_text(".bulk-status", |t| {
                let parts: Vec<&str> = t.split(' ').collect();
                parts.len() > 2 && parts[0] == parts[2]
            })
            .await;
    }
    session.close().await;
}

#[tokio::test]
async fn a_scan_of_10000_devices_summarises_correctly_and_exports_csv() {
    let session = Session::start_with(&["--devices", "10000"]).await;
    session.open("/fleet").await;
    session.scan(10_000).await;
    session
        .wait_for_text(".scan-status", |t| {
            t.starts_with("10000 devices · 10 pages")
        })
        .await;

    // The summary against the emulator's own data, counted here by status.
    let counts = session
        .client
        .execute_async(
            "const done = arguments[0];
             (async () => {
               const counts = {}; let url = '/v1/Devices?PageSize=1000';
               while (url) {
                 const page = await (await fetch(url)).json();
                 for (const d of page.devices) counts[d.app.update_status] = (counts[d.app.update_status] || 0) + 1;
                 url = page.meta.next_page_url;
               }
               done(counts);
             })();",
            vec![],
        )
        .await
        .unwrap();
    let chips = session.eval("return Array.from(document.querySelectorAll('.summary .chips button')).map(b => b.textContent)").await;
    let chips: Vec<String> = serde_json::from_value(chips).unwrap();
    assert!(chips.contains(&"All 10000".to_owned()), "{chips:?}");
    let by_status: usize = chips
        .iter()
        .filter_map(|c| {
            ["error ", "pending ", "up-to-date "]
                .iter()
                .find_map(|p| c.strip_prefix(p))
        })
        .filter_map(|n| n.parse::<usize>().ok())
        .sum();
    assert_eq!(by_status, 10_000, "every device in one status: {chips:?}");
    for (status, count) in counts.as_object().unwrap() {
        assert!(
            chips.contains(&format!("{status} {count}")),
            "{status} {count} not in {chips:?}"
        );
    }

    // Export what a search shows, and read it back.
    session.fill("fleet-search", "lagos-pump").await;
    let matching = session
        .wait_for_text(".toolbar .muted", |t| t.ends_with("(filtered)"))
        .await;
    let count: usize = matching.split(' ').next().unwrap().parse().unwrap();
    let csv = session.exported_text("Export CSV").await;
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(lines[0].split(',').next(), Some("sid"));
    assert_eq!(lines.len() - 1, count, "one row per matching device");
    for line in &lines[1..] {
        let fields: Vec<&str> = line.split(',').collect();
        assert!(
            fields[0].starts_with("UV") && fields[1].contains("lagos-pump"),
            "{line}"
        );
    }
    session.close().await;
}

#[tokio::test]
async fn a_slow_scan_can_be_cancelled_and_json_export_reads_back() {
    let session = Session::start_with(&["--devices", "3000", "--latency-ms", "600"]).await;
    session.open("/fleet").await;
    session.click_button("Scan fleet").await;
    session.click_button("Cancel scan").await;
    let status = session
        .wait_for_text(".scan-status", |t| t.contains("cancelled"))
        .await;
    let loaded: usize = status.split(' ').next().unwrap().parse().unwrap();
    assert!(loaded < 3000, "{status}");
    let json = session.exported_text("Export JSON").await;
    let devices: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(devices.len(), loaded, "the export holds what was loaded");
    assert!(
        devices
            .iter()
            .all(|d| d["sid"].as_str().unwrap().starts_with("UV") && d["app"].is_object())
    );
    session.close().await;
}

#[tokio::test]
async fn select_a_range_on_a_page_and_change_it() {
    let session = Session::start(60).await;
    session.open("/devices?PageSize=25").await;
    let rows = session.wait_for_rows(25, &[]).await;
    let on_before = session
        .eval("return Array.from(document.querySelectorAll('td.col-logging')).filter(td => td.textContent.startsWith('on')).length")
        .await;
    let texts = session.eval("return Array.from(document.querySelectorAll('td.col-logging')).map(td => td.textContent)").await;
    assert!(
        on_before.as_u64().unwrap() > 0,
        "the seeded page has devices logging: {texts}"
    );
    select_range(&session, 2, 9).await;
    session
        .wait_for_text(".bulk .toolbar span", |t| t == "8 selected")
        .await;
    session.click_button("Select page").await;
    session
        .wait_for_text(".bulk .toolbar span", |t| t == "25 selected")
        .await;
    session.review_bulk("logging-off", None).await;
    session
        .wait_for_text("dialog[open] .dialog-message", |t| {
            t.starts_with("Disable logging on 25 devices.")
        })
        .await;
    session.click_button("Apply").await;
    session
        .wait_for_text(".bulk-status", |t| {
            t == "25 of 25 finished · 25 done · 0 failed or not sent"
        })
        .await;
    // The rows show the result without a reload.
    session
        .wait_for("every row off", "const cells = Array.from(document.querySelectorAll('td.col-logging')); return cells.length === 25 && cells.every(td => td.textContent === 'off')", |v| v.as_bool() == Some(true))
        .await;
    assert_eq!(session.row_sids().await, rows);
    session.close().await;
}

/// Clicks the first row's checkbox of `first`, then Shift-clicks that of `last`.
async fn select_range(session: &Session, first: usize, last: usize) {
    let boxes = session
        .client
        .find_all(Locator::Css("td.select input"))
        .await
        .unwrap();
    boxes[first].click().await.unwrap();
    session
        .eval(&format!(
            "const b = document.querySelectorAll('td.select input')[{last}]; \
             b.dispatchEvent(new MouseEvent('click', {{bubbles: true, shiftKey: true}})); return 1;"
        ))
        .await;
}

/// The scroll box of the fleet table: scrolls so that row `index` (counting from 0) is in view.
async fn scroll_to_row(session: &Session, index: usize) {
    session
        .eval(&format!(
            "const box = document.querySelector('.table-wrap.scroller');
             const total = Number(document.querySelector('table.devices').getAttribute('aria-rowcount'));
             box.scrollTop = {index} * box.scrollHeight / total; return 1;"
        ))
        .await;
    session
        .wait_for(
            &format!("row {index} drawn"),
            &format!(
                "if (document.querySelector('table.devices tbody tr[aria-rowindex=\"{}\"]')) return true;
                 const box = document.querySelector('.table-wrap.scroller');
                 const rows = [...document.querySelectorAll('table.devices tbody tr[data-sid]')];
                 return [box.scrollTop, box.scrollHeight, rows.length, rows.length ? rows[0].getAttribute('aria-rowindex') : null];",
                index + 2
            ),
            |v| v.as_bool() == Some(true),
        )
        .await;
}

/// Ten thousand devices in one table: every one reachable by scrolling, never more than about
/// 200 rows in the page, a Shift-click range that spans a scroll, and a bulk action on it.
#[tokio::test]
async fn a_table_of_ten_thousand_devices_scrolls_to_the_last_and_acts_on_a_range() {
    let session = Session::start(10_000).await;
    session.open("/fleet").await;
    session.scan(10_000).await;
    session
        .wait_for_text(".toolbar .muted", |t| t == "10,000 matching")
        .await;
    // The API's last device, by following its page links.
    let last = session
        .client
        .execute_async(
            "const done = arguments[0];
             (async () => {
               let url = '/v1/Devices?PageSize=1000', last = null;
               while (url) { const page = await (await fetch(url)).json(); last = page.devices.at(-1).sid; url = page.meta.next_page_url; }
               done(last);
             })();",
            vec![],
        )
        .await
        .unwrap();
    let drawn = "return document.querySelectorAll('table.devices tbody tr[data-sid]').length";
    let count = session.eval(drawn).await.as_u64().unwrap();
    assert!(count > 10 && count <= 200, "{count} rows in the DOM");

    // Choose row 9,950, scroll on to the end, Shift-click the last row: 50 devices.
    scroll_to_row(&session, 9_950).await;
    session
        .click_css("table.devices tbody tr[aria-rowindex=\"9952\"] td.select input")
        .await;
    scroll_to_row(&session, 9_999).await;
    let last_row = "const rows = document.querySelectorAll('table.devices tbody tr[data-sid]'); return rows[rows.length - 1].dataset.sid";
    assert_eq!(
        session.eval(last_row).await,
        last,
        "the last row is the API's last device"
    );
    let count = session.eval(drawn).await.as_u64().unwrap();
    assert!(count <= 200, "{count} rows in the DOM at the end");
    session
        .eval(
            "const b = document.querySelector('table.devices tbody tr[aria-rowindex=\"10001\"] td.select input');
             b.dispatchEvent(new MouseEvent('click', {bubbles: true, shiftKey: true})); return 1;",
        )
        .await;
    session
        .wait_for_text(".bulk .selected-count", |t| t == "50 selected")
        .await;
    session.save_screenshot("fleet-10000-end").await;

    session.review_bulk("logging-off", None).await;
    session.click_button("Apply").await;
    session
        .wait_for_text(".bulk-status", |t| {
            t.starts_with("50 of 50 finished · 50 done")
        })
        .await;
    let results = session.bulk_results().await;
    assert_eq!(results.len(), 50);
    assert!(
        results
            .iter()
            .any(|(sid, _)| Some(sid.as_str()) == last.as_str())
    );
    let state = session
        .get_json(&format!("/v1/Devices/{}", last.as_str().unwrap()))
        .await;
    assert_eq!(state["logging"]["enabled"], false);
    session.close().await;
}
