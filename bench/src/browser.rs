//! Timings in headless Chromium, read the same way on the console and on the vanilla-JS
//! baseline: both mark each row's name link with `elementtiming="device-row"`, and the
//! browser's Element Timing entries say when such a link first painted.

use std::time::{Duration, Instant};

use console_e2e::harness::Session;
use serde_json::Value;

use crate::stats::Samples;

/// A page under test: the console or the baseline, by the path that lists devices.
#[derive(Clone, Copy)]
pub struct Page {
    pub name: &'static str,
    /// Path (and query, without PageSize) of the device list.
    pub list_path: &'static str,
    /// Text of the control that shows the next page.
    pub next_label: &'static str,
}

pub const CONSOLE: Page = Page {
    name: "console",
    list_path: "/devices",
    next_label: "Next",
};

pub const BASELINE: Page = Page {
    name: "vanilla-JS baseline",
    list_path: "/baseline/",
    next_label: "Next",
};

/// Resolves with the first row's paint time since navigation start (Element Timing entries
/// are only readable through a buffered observer).
const FIRST_ROW_PAINT: &str = r#"
const done = arguments[arguments.length - 1];
const observer = new PerformanceObserver((list) => {
  const entry = list.getEntries().find((e) => e.identifier === 'device-row');
  if (entry) { observer.disconnect(); done(entry.renderTime); }
});
observer.observe({ type: 'element', buffered: true });
setTimeout(() => { observer.disconnect(); done(null); }, 20000);
"#;

/// Resolves with the milliseconds from the click on the next-page control to the frame that
/// shows the new page: the first animation frame whose DOM has a new first row, plus the
/// rendering of that frame (a task queued from its callback runs after the paint). Element
/// Timing cannot serve here: a page may rewrite the rows on screen in place, and an element
/// reports only its first paint. It starts once the current page is fully drawn.
const NEXT_PAGE_PAINT: &str = r#"
const [label, rows, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const cells = () => document.querySelectorAll('[elementtiming=device-row]');
const first = () => { const cell = cells()[0]; return cell ? cell.textContent : null; };
const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
(async () => {
  const settled = performance.now() + 20000;
  while (cells().length < rows && performance.now() < settled) await frame();
  await frame(); await frame();
  const old = first();
  const control = [...document.querySelectorAll('a, button')].find((el) => el.textContent.trim() === label);
  if (!control) { done(null); return; }
  const before = performance.now();
  control.click();
  const check = () => {
    if (first() !== null && first() !== old) {
      setTimeout(() => done(performance.now() - before), 0);
    } else if (performance.now() - before > 20000) {
      done(null);
    } else {
      requestAnimationFrame(check);
    }
  };
  requestAnimationFrame(check);
})();
"#;

/// Bytes the browser fetched over the network for the page's own files, and for API calls.
const TRANSFERRED: &str = r#"
const entries = performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'));
const api = (e) => e.name.includes('/v1/') || e.name.endsWith('/config.json');
const sum = (list) => list.reduce((total, e) => total + e.transferSize, 0);
return [sum(entries.filter((e) => !api(e))), sum(entries.filter(api))];
"#;

/// JS heap after a full collection, plus the console's wasm memory (0 for the baseline).
/// The browser's own timing buffers are emptied first: they grow with every request.
const MEMORY: &str = r#"
performance.clearResourceTimings(); performance.clearMarks(); performance.clearMeasures();
gc(); gc();
const wasm = window.wasmBindings && window.wasmBindings.wasm_memory_bytes ? window.wasmBindings.wasm_memory_bytes() : 0;
return [performance.memory.usedJSHeapSize, wasm];
"#;

pub struct ColdLoad {
    pub first_row: Samples,
    /// Bytes of the page's files and of its API calls, from the last run.
    pub assets_bytes: u64,
    pub api_bytes: u64,
}

/// Navigation start to the first row painted, each run in a new browser (an empty cache).
pub async fn cold_load(base_url: &str, page: Page, page_size: u32, runs: usize) -> ColdLoad {
    let mut first_row = Samples::default();
    let mut transferred = (0, 0);
    for _ in 0..runs {
        let session = Session::browse(base_url.to_owned()).await;
        session
            .open(&format!("{}?PageSize={page_size}", page.list_path))
            .await;
        first_row.0.push(first_row_paint(&session).await);
        let sizes = session.eval(TRANSFERRED).await;
        transferred = (number_at(&sizes, 0) as u64, number_at(&sizes, 1) as u64);
        session.close().await;
    }
    ColdLoad {
        first_row,
        assets_bytes: transferred.0,
        api_bytes: transferred.1,
    }
}

/// Click on "Next" to the first new row painted, `clicks` times in one browser.
pub async fn next_page(base_url: &str, page: Page, page_size: u32, clicks: usize) -> Samples {
    let session = Session::browse(base_url.to_owned()).await;
    session
        .open(&format!("{}?PageSize={page_size}", page.list_path))
        .await;
    first_row_paint(&session).await;
    let mut samples = Samples::default();
    for _ in 0..clicks {
        samples
            .0
            .push(next_page_paint(&session, page, page_size).await);
    }
    session.close().await;
    samples
}

async fn next_page_paint(session: &Session, page: Page, rows: u32) -> f64 {
    let value = session
        .client
        .execute_async(
            NEXT_PAGE_PAINT,
            vec![Value::from(page.next_label), Value::from(rows)],
        )
        .await
        .expect("the next-page script ran");
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{}: no new row painted after Next", page.name))
}

pub struct Memory {
    pub after_one: (f64, f64),
    pub after_all: (f64, f64),
    pub turns: usize,
    /// (turns so far, JS heap + wasm bytes), to tell a leak (steady growth) from a
    /// high-water mark (growth that stops).
    pub checkpoints: Vec<(usize, f64)>,
}

impl Memory {
    pub fn total(bytes: (f64, f64)) -> f64 {
        bytes.0 + bytes.1
    }

    pub fn growth_percent(&self) -> f64 {
        100.0 * (Memory::total(self.after_all) / Memory::total(self.after_one) - 1.0)
    }
}

/// JS heap and wasm memory after one page turn and after `turns`, collected first.
pub async fn memory(base_url: &str, page: Page, turns: usize) -> Memory {
    let session = Session::browse_with_args(
        base_url.to_owned(),
        &["--js-flags=--expose-gc", "--enable-precise-memory-info"],
    )
    .await;
    session
        .open(&format!("{}?PageSize=50", page.list_path))
        .await;
    first_row_paint(&session).await;
    next_page_paint(&session, page, 50).await;
    let after_one = pair(&session.eval(MEMORY).await);
    let mut checkpoints = vec![(1, Memory::total(after_one))];
    for turn in 2..=turns {
        next_page_paint(&session, page, 50).await;
        if turn % 25 == 0 && turn < turns {
            checkpoints.push((turn, Memory::total(pair(&session.eval(MEMORY).await))));
        }
    }
    let after_all = pair(&session.eval(MEMORY).await);
    checkpoints.push((turns, Memory::total(after_all)));
    session.close().await;
    Memory {
        after_one,
        after_all,
        turns,
        checkpoints,
    }
}

pub struct Scan {
    pub devices: u64,
    pub seconds: f64,
}

/// The console's fleet scan from the click on "Scan fleet" to "complete".
pub async fn fleet_scan(base_url: &str) -> Scan {
    let session = Session::browse(base_url.to_owned()).await;
    session.open("/fleet").await;
    session
        .wait_for_text("h1", |text| text.contains("Fleet"))
        .await;
    let started = Instant::now();
    session.click_button("Scan fleet").await;
    let status = loop {
        let status = session
            .eval(
                "const s = document.querySelector('.scan-status'); return s ? s.textContent : '';",
            )
            .await;
        let status = status.as_str().unwrap_or_default().to_owned();
        if status.contains("complete") {
            break status;
        }
        assert!(
            !status.contains("stopped") && started.elapsed() < Duration::from_secs(600),
            "the scan did not complete: {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let seconds = started.elapsed().as_secs_f64();
    session.close().await;
    let devices = status
        .split_whitespace()
        .next()
        .and_then(|count| count.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no device count in {status:?}"));
    Scan { devices, seconds }
}

async fn first_row_paint(session: &Session) -> f64 {
    let painted = session
        .client
        .execute_async(FIRST_ROW_PAINT, Vec::new())
        .await
        .expect("the paint-timing script ran");
    if let Some(time) = painted.as_f64() {
        return time;
    }
    let page = session
        .eval("return location.href + ' ' + document.body.innerText.slice(0, 300);")
        .await;
    panic!("no row painted within 20 s: {page}");
}

fn number_at(value: &Value, index: usize) -> f64 {
    value.get(index).and_then(Value::as_f64).unwrap_or(0.0)
}

fn pair(value: &Value) -> (f64, f64) {
    (number_at(value, 0), number_at(value, 1))
}
