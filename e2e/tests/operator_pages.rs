//! The operator's pages read well (issue 31): a rollout started by a signed-in operator, then
//! its writes on the Audit page with the names of the time and before → after; its page offers
//! only the controls that apply, with axes on its chart and a table that sorts and narrows; the
//! new-rollout form counts its reach as it is typed, the same count as its preview. Each page
//! is checked by axe at 1280 px in both themes and at 390 px, with screenshots kept.

use std::time::Duration;

use console_e2e::harness::{Session, add_operator, http_json_with, scratch_dir};
use console_e2e::rollout_checks::start_previewed;
use serde_json::Value;

/// axe at 1280 px and at 390 px, each in both themes, adding "view: violation"
/// lines to `found`; screenshots of each as `e2e/artifacts/{name}-{width}-{theme}.png`.
async fn check_page(session: &Session, name: &str, found: &mut Vec<String>) {
    for (width, theme) in [
        (1280, "light"),
        (1280, "dark"),
        (390, "light"),
        (390, "dark"),
    ] {
        session.client.set_window_size(width, 900).await.unwrap();
        session
            .eval(&format!(
                "document.documentElement.dataset.theme = '{theme}'; return 1;"
            ))
            .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        for violation in session.accessibility_violations().await {
            found.push(format!("{name} at {width} px, {theme}: {violation}"));
        }
        session
            .save_screenshot(&format!("{name}-{width}-{theme}"))
            .await;
    }
    session.client.set_window_size(1280, 900).await.unwrap();
    session
        .eval("delete document.documentElement.dataset.theme; return 1;")
        .await;
    session.assert_no_panic().await;
}

/// The live count once it settles on `devices`, within a few seconds of the form's last edit.
async fn reach_settles_on(session: &Session, devices: u64) {
    session
        .wait_for(
            &format!("the live count to say {devices}"),
            "const r = document.querySelector('.reach [data-devices]'); return r ? Number(r.dataset.devices) : null;",
            |v| v.as_u64() == Some(devices),
        )
        .await;
}

/// Types `text` as the form's filter, previews, and returns the preview's count, once the
/// live count shows the same.
async fn counted_both_ways(session: &Session, text: &str) -> u64 {
    session.fill("rollout-filter-text", text).await;
    session.click_button("Preview").await;
    let previewed = session
        .wait_for(
            &format!("the preview for '{text}'"),
            "const p = document.querySelector('.preview-summary'); return p ? Number(p.dataset.devices) : null;",
            |v| v.as_u64().is_some(),
        )
        .await
        .as_u64()
        .unwrap();
    reach_settles_on(session, previewed).await;
    previewed
}

#[tokio::test]
async fn a_rollout_reads_plainly_in_the_audit_log_and_its_pages_offer_what_applies() {
    let file = scratch_dir("operator-pages").join("operators.json");
    let token = add_operator(&file, "ana", "operator");
    let session = Session::start_with(&[
        "--devices",
        "60",
        "--update-delay-ms",
        "200",
        "--update-failure-rate",
        "0",
        "--rollout-poll-ms",
        "300",
        "--index-interval",
        "3600",
        "--operators",
        file.to_str().unwrap(),
    ])
    .await;
    let header = format!("x-console-access-token: {token}");
    session.open("/devices").await;
    session.wait_for_text("h1", |t| t == "Sign in").await;
    session.fill("access-token", &token).await;
    session.click_button("Sign in").await;
    session.wait_for_rows(50, &[]).await;
    let mut found = Vec::new();

    // The form: the app picker says how many devices target each app (from the index).
    session.open("/rollouts/new").await;
    let choice = session
        .wait_for(
            "an app with its count",
            "const o = document.querySelectorAll('#rollout-target option'); return o.length > 1 && o[1].textContent.includes('target it') ? [o[1].value, o[1].textContent] : null;",
            |v| v.is_array(),
        )
        .await;
    let app = choice[0].as_str().unwrap().to_owned();
    let label = choice[1].as_str().unwrap();
    let (_, apps) = http_json_with(
        "GET",
        &format!("{}/v1/Apps/{app}", session.base_url),
        None,
        &[&header],
    )
    .await;
    let app_name = apps["unique_name"].as_str().unwrap().to_owned();
    let hash = apps["hash"].as_str().unwrap_or_default();
    assert!(label.starts_with(&format!("{app_name} ({app})")), "{label}");
    assert!(
        label.contains(&hash.chars().take(8).collect::<String>()),
        "{label}"
    );
    session.fill("rollout-name", "canary 2.1").await;
    session.choose("rollout-target", &app).await;
    // A field's problem beside it, not at the foot of the form.
    session.fill("rollout-concurrency", "0").await;
    let problem = session
        .wait_for_text("#rollout-concurrency-error", |t| !t.is_empty())
        .await;
    assert!(problem.starts_with("Writes at once must be"), "{problem}");
    session.fill("rollout-concurrency", "8").await;
    // The live count and the preview agree, for three filters that reach different numbers.
    let mut counts = Vec::new();
    for text in ["", "valve", "meter"] {
        counts.push(counted_both_ways(&session, text).await);
    }
    counts.sort_unstable();
    counts.dedup();
    assert_eq!(counts.len(), 3, "three filters, three counts: {counts:?}");
    check_page(&session, "new-rollout", &mut found).await;

    // Started as ana, in two phases.
    session.choose("rollout-preset", "custom").await;
    session.fill("rollout-phases", "1, 100%").await;
    session.click_button("Preview").await;
    session
        .wait_for_text(".preview-summary", |t| t.contains("devices:"))
        .await;
    let id = start_previewed(&session).await;
    let state = session
        .wait_long(
            "the rollout to complete",
            Duration::from_secs(120),
            "const e = document.querySelector('.rollout-meta [data-state]'); return e ? e.dataset.state : null;",
            |v| v == "completed",
        )
        .await;
    assert_eq!(state, "completed");

    // Completed with nothing failed: no control applies.
    let controls = session
        .eval("return [...document.querySelectorAll('.rollout-controls button')].map(b => b.textContent);")
        .await;
    assert_eq!(controls, serde_json::json!([]), "{controls}");
    let phases = session
        .eval("return [...document.querySelectorAll('.phase-name')].map(p => p.textContent);")
        .await;
    assert!(
        phases[0]
            .as_str()
            .unwrap()
            .starts_with("Phase 1 · 1 device · "),
        "{phases}"
    );
    // The chart's axes and the second phase's start.
    let axes = session
        .eval("return [document.querySelectorAll('.chart-times span').length, document.querySelectorAll('.chart-counts span').length, [...document.querySelectorAll('.phase-start')].map(p => p.textContent)];")
        .await;
    assert_eq!(axes[0], 3, "{axes}");
    assert_eq!(axes[1], 3, "{axes}");
    assert_eq!(axes[2], serde_json::json!(["Phase 2"]), "{axes}");
    // The label stands where its dashed line is, not at the axis.
    let placed = session
        .eval("const l = document.querySelector('.phase-start'), m = document.querySelector('.phase-line'); return Math.abs(l.getBoundingClientRect().left - m.getBoundingClientRect().left) < 12;")
        .await;
    assert_eq!(placed, true);
    // The table sorts by device name and narrows to a phase.
    session.click_button("Device").await;
    let names = session
        .wait_for(
            "rows sorted by name",
            "const th = document.querySelector('table.rollout-devices th[aria-sort]'); if (!th || th.getAttribute('aria-sort') !== 'ascending') return null; return [...document.querySelectorAll('table.rollout-devices tbody tr td:first-child')].map(td => td.textContent);",
            |v| v.is_array(),
        )
        .await;
    let names: Vec<String> = names
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    session.choose("rollout-phase", "0").await;
    let first_phase = session
        .wait_for(
            "the first phase's rows",
            "const rows = [...document.querySelectorAll('table.rollout-devices tbody tr td:nth-child(2)')].map(td => td.textContent); return rows.length && rows.every(p => p === '1') ? rows.length : null;",
            |v| v.is_u64(),
        )
        .await;
    let (_, rollout) = http_json_with(
        "GET",
        &format!("{}/console/v1/rollouts/{id}", session.base_url),
        None,
        &[&header],
    )
    .await;
    // The canary and the devices skipped as already on the app (kept in the first phase).
    let in_first = rollout["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["phase"] == 0)
        .count();
    assert_eq!(first_phase, in_first as u64);
    check_page(&session, "rollout-page", &mut found).await;
    session.open("/rollouts").await;
    session
        .wait_for_text("main", |t| t.contains("Completed"))
        .await;
    check_page(&session, "rollouts", &mut found).await;

    // The Audit page: each of its writes by the rollout and the person who started it, the
    // device by name, the app by name, before → after.
    let written: Vec<&Value> = rollout["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["state"] == "succeeded")
        .collect();
    assert!(!written.is_empty());
    session.open("/audit?action=rollout").await;
    let rows = session
        .wait_for(
            "the rollout's writes",
            "const rows = [...document.querySelectorAll('table.audit tbody tr')].filter(r => r.textContent.includes('device written')); return rows.length ? rows.map(r => [...r.cells].map(c => c.textContent)) : null;",
            |v| v.is_array(),
        )
        .await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), written.len(), "{rows:?}");
    for device in &written {
        let name = device["name"].as_str().unwrap();
        let row = rows
            .iter()
            .find(|r| r[3].as_str().unwrap().contains(name))
            .unwrap_or_else(|| panic!("no entry names {name}: {rows:?}"));
        assert_eq!(
            row[2], "rollout 'canary 2.1', started by ana (operator)",
            "{row:?}"
        );
        // Named beside its SID, when it has a name.
        let sid = device["sid"].as_str().unwrap();
        let shown = if name == sid {
            sid.to_owned()
        } else {
            format!("{name} ({sid})")
        };
        assert!(row[3].as_str().unwrap().ends_with(&shown), "{row:?}");
        assert!(
            row[4]
                .as_str()
                .unwrap()
                .contains(&format!("{app_name} ({app})")),
            "{row:?}"
        );
        let changes = row[6].as_str().unwrap();
        if device["targeted_before"].is_null() {
            assert!(
                changes.starts_with("target app: ")
                    && changes.ends_with(&format!("→ {app_name} ({app})")),
                "{row:?}"
            );
        } else {
            // It targeted the app already (still pending): written again, target unchanged.
            assert!(!changes.contains("target app"), "{row:?}");
        }
    }
    // The filter bar on one line at 1280 px: its first and last control share a line.
    let one_line = session
        .eval("const f = document.querySelector('.audit-filters'); const c = [...f.children]; const top = (e) => e.getBoundingClientRect().top; return Math.abs(top(c[0]) - top(c[c.length - 1])) < 8;")
        .await;
    assert_eq!(one_line, true);
    check_page(&session, "audit", &mut found).await;

    // The log still reads after the device is renamed: names are those of the time.
    let named = written
        .iter()
        .find(|d| d["name"] != d["sid"])
        .expect("a written device with a name");
    let renamed = named["sid"].as_str().unwrap();
    let old_name = named["name"].as_str().unwrap();
    let status = session
        .client
        .execute_async(
            "const [sid, token, done] = arguments;
             fetch('/v1/Devices/' + sid, {method: 'POST', body: 'UniqueName=renamed-later',
               headers: {'Content-Type': 'application/x-www-form-urlencoded', 'x-console-access-token': token}})
               .then((r) => done(r.status), (e) => done(String(e)));",
            vec![renamed.into(), token.clone().into()],
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    session.open("/audit?action=rollout").await;
    session
        .wait_for_text("table.audit tbody", |t| {
            t.contains(&format!("{old_name} ({renamed})"))
        })
        .await;

    assert!(found.is_empty(), "axe found:\n{}", found.join("\n"));
    session.close().await;
}
