//! What a test does on a page, as a person would: open, wait, click, type, choose; and what it
//! checks there: rows, text, screenshots, axe, no panic.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::Value;

use super::processes::{PATIENCE, given_path};
use super::session::Session;

/// A DevTools command, through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct ChromeCommand {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for ChromeCommand {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

impl Session {
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base_url))
            .await
            .expect("navigation");
    }

    /// Runs `script` in every page this session opens from now on, before the page's own
    /// scripts (Chromium's `Page.addScriptToEvaluateOnNewDocument`).
    pub async fn before_each_page(&self, script: &str) {
        self.client
            .issue_cmd(ChromeCommand {
                cmd: "Page.addScriptToEvaluateOnNewDocument",
                params: serde_json::json!({ "source": script }),
            })
            .await
            .expect("chromedriver ran the DevTools command");
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("script runs")
    }

    /// Waits until `script` returns a value for which `ready` holds, and returns it.
    pub async fn wait_for(
        &self,
        what: &str,
        script: &str,
        ready: impl Fn(&Value) -> bool,
    ) -> Value {
        self.wait_long(what, PATIENCE, script, ready).await
    }

    /// SIDs of the device rows on screen, in order.
    pub async fn row_sids(&self) -> Vec<String> {
        let value = self
            .eval("return Array.from(document.querySelectorAll('table.devices tbody tr[data-sid]')).map(r => r.dataset.sid);")
            .await;
        serde_json::from_value(value.clone())
            .unwrap_or_else(|err| panic!("rows without a data-sid ({err}): {value}"))
    }

    /// Waits for a full table of `count` rows that differs from `previous`.
    pub async fn wait_for_rows(&self, count: usize, previous: &[String]) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let rows = self.row_sids().await;
            if rows.len() == count && rows != previous {
                return rows;
            }
            if Instant::now() > deadline {
                self.save_screenshot("timeout-rows").await;
                panic!(
                    "timed out waiting for {count} new rows; have {}",
                    rows.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the first button whose text is `text`.
    pub async fn click_button(&self, text: &str) {
        let xpath = format!("//button[normalize-space()='{text}']");
        let deadline = Instant::now() + PATIENCE;
        loop {
            // Several may exist (closed dialogs hold theirs): take the first one shown.
            for button in self
                .client
                .find_all(Locator::XPath(&xpath))
                .await
                .unwrap_or_default()
            {
                if button.is_displayed().await.unwrap_or(false)
                    && button.is_enabled().await.unwrap_or(false)
                    && button.click().await.is_ok()
                {
                    return;
                }
            }
            if Instant::now() > deadline {
                self.save_screenshot(&format!("timeout-button-{}", text.replace(' ', "-")))
                    .await;
                panic!("no clickable button '{text}'");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Replaces the text of the input with this `id`.
    pub async fn fill(&self, id: &str, text: &str) {
        self.fill_css(&format!("#{id}"), text).await;
    }

    /// Replaces the text of the input found by a CSS selector.
    pub async fn fill_css(&self, selector: &str, text: &str) {
        let input = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|err| panic!("input {selector}: {err}"));
        input.clear().await.expect("clear");
        input.send_keys(text).await.expect("type");
    }

    /// Waits until the text of `selector` satisfies `ready`, and returns it.
    pub async fn wait_for_text(&self, selector: &str, ready: impl Fn(&str) -> bool) -> String {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.textContent : null;",
            serde_json::to_string(selector).unwrap()
        );
        let value = self
            .wait_for(&format!("text of {selector}"), &script, |v| {
                v.as_str().is_some_and(&ready)
            })
            .await;
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Screenshots at a width, in the light or dark theme, for people to look at.
    pub async fn screenshot_at(&self, name: &str, width: u32, dark: bool) {
        let theme = if dark { "dark" } else { "light" };
        self.eval(&format!(
            "document.documentElement.dataset.theme = '{theme}'; return 1;"
        ))
        .await;
        let _ = self.client.set_window_size(width, 900).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.save_screenshot(&format!("{name}-{width}-{theme}"))
            .await;
        let _ = self.client.set_window_size(1280, 900).await;
        self.eval("delete document.documentElement.dataset.theme; return 1;")
            .await;
    }

    pub async fn click_link(&self, text: &str) {
        let link = self
            .client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|err| panic!("link {text}: {err}"));
        link.click().await.expect("click");
    }

    pub async fn path_and_query(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Saves a PNG under `e2e/artifacts/` for people to look at.
    pub async fn save_screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts");
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }

    /// Fails the test if the console hit a panic (it then shows its fatal-error screen).
    pub async fn assert_no_panic(&self) {
        let fatal = self
            .eval("const e = document.getElementById('fatal-error'); return e ? e.textContent : null;")
            .await;
        assert!(fatal.is_null(), "the console panicked: {fatal}");
    }

    /// Scans until a scan completes: with injected faults a page load may fail, and the console
    /// then says so and stops; the operator scans again.
    pub async fn scan(&self, devices: usize) {
        for _ in 0..8 {
            self.click_button("Scan fleet").await;
            let status = self
                .wait_for_text(".scan-status", |t| {
                    t.contains("complete") || t.contains("stopped")
                })
                .await;
            if status.contains("complete") {
                assert!(
                    status.starts_with(&format!("{devices} devices")),
                    "{status}"
                );
                return;
            }
        }
        panic!("no scan completed in 8 tries");
    }

    /// GET through the faulty server until it answers 200.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let script = format!(
            "const done = arguments[0];
             (async () => {{
               for (let i = 0; i < 50; i++) {{
                 try {{ const r = await fetch('{path}'); if (r.status === 200) {{ done(await r.json()); return; }} }} catch (e) {{}}
               }}
               done(null);
             }})();"
        );
        self.client
            .execute_async(&script, vec![])
            .await
            .expect("a fetch in the page")
    }

    /// Clicks an export button and returns the file's text, caught as the page makes it.
    pub async fn exported_text(&self, button: &str) -> String {
        self
            .eval("window.__blobs = []; const make = URL.createObjectURL; URL.createObjectURL = b => { window.__blobs.push(b); return make.call(URL, b); }; return 1;")
            .await;
        self.click_button(button).await;
        let text = self
            .client
            .execute_async(
                "const done = arguments[0]; window.__blobs[0].text().then(done);",
                vec![],
            )
            .await
            .unwrap();
        text.as_str().unwrap().to_owned()
    }

    /// Waits for the bulk panel's actions, which load with the first row selected.
    pub async fn wait_for_bulk_actions(&self) {
        self.wait_for(
            "the bulk actions",
            "return !!document.getElementById('bulk-action')",
            |loaded| loaded.as_bool() == Some(true),
        )
        .await;
    }

    /// In the bulk panel: chooses `action` (the select's value; for "target", `target_app`
    /// is typed into its field) and opens the confirmation.
    pub async fn review_bulk(&self, action: &str, target_app: Option<&str>) {
        self.wait_for_bulk_actions().await;
        self.client
            .find(Locator::Id("bulk-action"))
            .await
            .expect("the bulk panel's action")
            .select_by_value(action)
            .await
            .expect("a bulk action");
        if let Some(app) = target_app {
            self.fill("bulk-target", app).await;
        }
        self.click_button("Review and apply…").await;
    }

    /// The bulk results table: (device SID, result) per row.
    pub async fn bulk_results(&self) -> Vec<(String, String)> {
        let rows = self
            .eval("return [...document.querySelectorAll('table.results tbody tr')].map((r) => [r.dataset.sid, r.cells[1].textContent]);")
            .await;
        serde_json::from_value(rows).expect("rows of SID and result")
    }

    /// Clicks the element `selector` (CSS) finds.
    pub async fn click_css(&self, selector: &str) {
        self.client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|err| panic!("no {selector}: {err}"))
            .click()
            .await
            .unwrap_or_else(|err| panic!("cannot click {selector}: {err}"));
    }

    /// Types `keys` into whatever has focus, as a keyboard would.
    pub async fn press(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .expect("a focused element")
            .send_keys(keys)
            .await
            .expect("keys sent");
    }

    /// Presses Tab until `focused` (a script expression over `el`, the focused element) is
    /// true; fails after 80 presses.
    pub async fn tab_to(&self, focused: &str) {
        let check = format!("const el = document.activeElement; return Boolean({focused});");
        for _ in 0..80 {
            if self.eval(&check).await.as_bool() == Some(true) {
                return;
            }
            self.press(&fantoccini::key::Key::Tab.to_string()).await;
        }
        panic!("Tab never reached {focused}");
    }

    /// axe-core's serious and critical violations on the page as it is now, one line each.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let script = given_path("AXE_CORE_JS");
        let source = std::fs::read_to_string(&script).unwrap_or_else(|err| {
            panic!(
                "axe-core at {} (cargo xtask setup --browser): {err}",
                script.display()
            )
        });
        self.client
            .execute(&format!("{source}\nreturn typeof axe;"), Vec::new())
            .await
            .expect("axe-core loads in the page");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(
                   (result) => done(result.violations
                     .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 4)
                       .map((n) => n.target.join(' ') + ' — ' + n.failureSummary.replace(/\\s+/g, ' '))
                       .join(' | '))),
                   (error) => done([`axe failed: ${error}`]));",
                Vec::new(),
            )
            .await
            .expect("axe-core ran");
        // A result of another shape (a new axe-core, a broken script) is a failure, never
        // "no violations".
        serde_json::from_value(found.clone())
            .unwrap_or_else(|err| panic!("axe-core answered something unexpected ({err}): {found}"))
    }

    /// Chooses `path` in the file input `input_id`, as the browser's file chooser does.
    pub async fn choose_file(&self, input_id: &str, path: &std::path::Path) {
        let input = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Id(input_id))
            .await
            .unwrap_or_else(|err| panic!("no file input #{input_id}: {err}"));
        input
            .send_keys(&path.to_string_lossy())
            .await
            .unwrap_or_else(|err| panic!("cannot choose {}: {err}", path.display()));
    }

    /// Chooses the option of a `<select>` (by its value) as a person would.
    pub async fn choose(&self, select_id: &str, value: &str) {
        let script = format!(
            "const s = document.getElementById({id}); if (!s) return false;
             if (![...s.options].some(o => o.value === {value})) return false;
             s.value = {value}; s.dispatchEvent(new Event('change', {{bubbles: true}})); return true;",
            id = serde_json::to_string(select_id).unwrap(),
            value = serde_json::to_string(value).unwrap()
        );
        self.wait_for(&format!("option {value} of {select_id}"), &script, |v| {
            v == &Value::Bool(true)
        })
        .await;
    }

    /// Waits up to `limit` for `script` to return a value `ready` accepts (for slow work such
    /// as a rollout, beyond the usual patience).
    pub async fn wait_long(
        &self,
        what: &str,
        limit: Duration,
        script: &str,
        ready: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let value = self.eval(script).await;
            if ready(&value) {
                return value;
            }
            if Instant::now() > deadline {
                self.save_screenshot(&format!("timeout-{}", what.replace(' ', "-")))
                    .await;
                panic!("timed out waiting for {what}; last value: {value}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
