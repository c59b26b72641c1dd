//! Hostile text from the API (device and app names, config keys and values holding HTML,
//! `<script>`, `javascript:` URLs, right-to-left overrides, formulas and 10,000 characters)
//! renders as inert text in the list, the detail, the dialogs, the apps pages and the
//! exports, and no script runs. The fixture is written straight into the emulator's state
//! file, as a hostile or broken upstream could send it: the API itself refuses such names.

use console_e2e::harness::{Session, start_server};
use serde_json::Value;

const IMG: &str = "<img src=x onerror=\"window.__pwned=1\">pump";
const SCRIPT: &str = "<script>window.__pwned=2</script>";
const JS_URL: &str = "javascript:window.__pwned=3//";
const RTL: &str = "\u{202E}lave\u{202C}-gateway";
const FORMULA: &str = "=HYPERLINK(\"https://evil.example\",\"open\")";
const APP_SVG: &str = "<svg onload=\"window.__pwned=4\"></svg>app";
const APP_JS: &str = "javascript:alert(5)";
const CONFIG_KEY: &str = "<b onmouseover=\"window.__pwned=6\">key</b>";
const CONFIG_VALUE: &str = "<script>window.__pwned=7</script>value";

/// A name as the console shows it: reordering characters written out.
fn shown(name: &str) -> String {
    name.replace('\u{202E}', "⟨U+202E⟩")
        .replace('\u{202C}', "⟨U+202C⟩")
}

fn long_name() -> String {
    "W".repeat(10_000)
}

/// No element came from the text, no handler attribute exists, no link runs script, no
/// script set the canary, and the console is alive.
const INERT: &str = r#"
const injected = document.querySelectorAll('img, svg, iframe, object, embed, b, [onerror], [onload], [onmouseover]');
// The page's own scripts are the loader (a module), the early requests first in the body, and
// the config console-server writes in (JSON data, never run); any other came from elsewhere.
const own = (s) => s.type === 'module'
  || (s.id === 'console-early-requests' && s === document.body.firstElementChild)
  || (s.type === 'application/json' && s.id === 'console-config');
const scripts = [...document.scripts].filter((s) => !own(s));
const links = [...document.querySelectorAll('a[href]')].filter((a) => a.getAttribute('href').trim().toLowerCase().startsWith('javascript:'));
return {
  injected: [...injected].map((e) => e.outerHTML.slice(0, 80)),
  scripts: scripts.map((s) => s.outerHTML.slice(0, 80)),
  links: links.map((a) => a.outerHTML.slice(0, 80)),
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
};
"#;

async fn assert_inert(session: &Session, view: &str) {
    let report = session.eval(INERT).await;
    for field in ["injected", "scripts", "links"] {
        assert_eq!(
            report[field].as_array().map(Vec::len),
            Some(0),
            "{view}: {field} {report}"
        );
    }
    assert!(report["pwned"].is_null(), "{view}: a script ran: {report}");
    session.assert_no_panic().await;
}

/// Writes the hostile names into a state file made by console-server.
fn poison_state(path: &std::path::Path) -> Vec<(String, String)> {
    let db = rusqlite::Connection::open(path).expect("the state file");
    let records = |kind: &str| -> Vec<(String, Value)> {
        let mut query = db
            .prepare("SELECT id, json FROM records WHERE kind = ?1 ORDER BY pos")
            .unwrap();
        query
            .query_map([kind], |row| {
                let json: String = row.get(1)?;
                Ok((row.get(0)?, serde_json::from_str(&json).unwrap()))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let save = |kind: &str, id: &str, record: &Value| {
        db.execute(
            "UPDATE records SET json = ?1 WHERE kind = ?2 AND id = ?3",
            (record.to_string(), kind, id),
        )
        .unwrap();
    };
    let apps = records("app");
    for ((id, mut app), name) in apps.into_iter().zip([APP_SVG, APP_JS]) {
        app["unique_name"] = Value::from(name);
        save("app", &id, &app);
    }
    let long = long_name();
    let names = [IMG, SCRIPT, JS_URL, RTL, FORMULA, long.as_str()];
    let mut named = Vec::new();
    for ((id, mut device), name) in records("device").into_iter().zip(names) {
        device["unique_name"] = Value::from(name);
        device["configs"] = serde_json::json!([
            { "key": CONFIG_KEY, "value": CONFIG_VALUE, "date_updated": 1_790_000_000 },
            { "key": "long", "value": long, "date_updated": 1_790_000_000 },
        ]);
        save("device", &id, &device);
        named.push((id, name.to_owned()));
    }
    named
}

#[tokio::test]
async fn hostile_text_is_inert_everywhere_and_no_script_runs() {
    let state = std::env::temp_dir().join(format!("console-hostile-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&state);
    let state_arg = state.to_string_lossy().into_owned();
    let (seeding, _) =
        start_server(&["--state", &state_arg, "--devices", "7", "--apps", "3"]).await;
    drop(seeding);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let devices = poison_state(&state);
    let session = Session::start_with(&["--state", &state_arg]).await;

    // The list: every name is the cell's text, byte for byte.
    session.open("/devices").await;
    session.wait_for_rows(7, &[]).await;
    let names = session
        .eval("return [...document.querySelectorAll('td.col-name a')].map((a) => a.textContent);")
        .await;
    let names: Vec<String> = serde_json::from_value(names).unwrap();
    for (_, name) in &devices {
        assert!(
            names.contains(&shown(name)),
            "{} missing from {names:?}",
            &name[..name.len().min(40)]
        );
    }
    session.screenshot_at("hostile-list", 1280, false).await;
    // A 10,000-character name is cut short: the table still fits the window.
    let overflow = session
        .eval("const w = document.querySelector('.table-wrap'); return w.scrollWidth - w.clientWidth;")
        .await;
    assert!(
        overflow.as_i64().unwrap() < 400,
        "the table overflows by {overflow} px"
    );
    let targets = session
        .eval("return document.querySelector('table.devices tbody').textContent;")
        .await;
    assert!(
        targets.as_str().unwrap().contains(APP_SVG) || targets.as_str().unwrap().contains(APP_JS),
        "hostile app names show as text"
    );
    assert_inert(&session, "list").await;

    // Detail, configs, and the deploy and restart dialogs of each hostile device.
    for (sid, name) in &devices {
        session.open(&format!("/devices/{sid}")).await;
        session.wait_for_text("h1", |t| t == shown(name)).await;
        session.click_button("Configs").await;
        let configs = session
            .wait_for_text("table.key-values", |t| t.contains("value"))
            .await;
        assert!(
            configs.contains(CONFIG_KEY) && configs.contains(CONFIG_VALUE),
            "{configs}"
        );
        assert_inert(&session, "detail and configs").await;
    }
    let (sid, name) = &devices[0];
    session.open(&format!("/devices/{sid}")).await;
    session.wait_for_text("h1", |t| t == shown(name)).await;
    session.fill("target-app", APP_SVG).await;
    session.click_button("Deploy…").await;
    let message = session
        .wait_for_text("dialog[open] .dialog-message", |t| t.contains('→'))
        .await;
    assert!(message.contains(APP_SVG), "{message}");
    session
        .screenshot_at("hostile-deploy-dialog", 1280, true)
        .await;
    assert_inert(&session, "deploy dialog").await;
    session.click_button("Cancel").await;
    session.click_button("Restart app").await;
    session
        .wait_for_text("dialog[open] h2", |t| t == "Restart app")
        .await;
    assert_inert(&session, "restart dialog").await;
    session.click_button("Cancel").await;

    // Apps: list and detail.
    session.open("/apps").await;
    let apps = session.wait_for_text("main", |t| t.contains(APP_JS)).await;
    assert!(apps.contains(APP_SVG), "{apps}");
    assert_inert(&session, "apps").await;

    // The bulk dialog, and the exports.
    session.open("/fleet").await;
    session.scan(7).await;
    session.click_button("Select all matching").await;
    session.click_button("Review and apply…").await;
    session
        .wait_for_text("dialog[open] h2", |t| t == "Apply to many devices")
        .await;
    session
        .screenshot_at("hostile-bulk-dialog", 390, false)
        .await;
    assert_inert(&session, "bulk dialog").await;
    session.click_button("Cancel").await;
    let csv = session.exported_text("Export CSV").await;
    assert!(csv.contains("'=HYPERLINK"), "the formula is neutralised");
    for line in csv.lines() {
        for field in line.split(',') {
            let field = field.trim_start_matches('"');
            assert!(
                !field.starts_with(['=', '+', '@']),
                "a formula cell: {field}"
            );
        }
    }
    let json = session.exported_text("Export JSON").await;
    let exported: Vec<Value> = serde_json::from_str(&json).unwrap();
    for (_, name) in &devices {
        assert!(
            exported.iter().any(|d| d["unique_name"] == name.as_str()),
            "the JSON export keeps the name as it is"
        );
    }
    assert_inert(&session, "fleet").await;
    session.close().await;
    let _ = std::fs::remove_file(&state);
}
