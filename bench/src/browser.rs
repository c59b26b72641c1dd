//! Timings in headless Chromium, read the same way on the console and on the vanilla-JS
//! baseline: both mark each row's name link with `elementtiming="device-row"`, and the
//! browser's Element Timing entries say when such a link first painted.

use std::time::{Duration, Instant};

use console_core::freshness::grouped;
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

/// Resolves with [first, all]: milliseconds from the click on the next-page control to the
/// frame that first shows a new first row, and to the frame that shows every row new (the last
/// row changed too, and all `rows` are there), each plus the rendering of that frame (a task
/// queued from its callback runs after the paint). Element Timing cannot serve here: a page
/// may rewrite the rows on screen in place, and an element reports only its first paint. It
/// clicks once the current page is fully drawn and has been on screen for `READING_MS`, as a
/// reader's would: the console fetches the next page while the browser is idle (the baseline
/// does not), and nobody clicks Next within a frame of seeing a page.
/// How long a page is on screen before Next is clicked.
pub const READING_MS: u64 = 1_000;

const NEXT_PAGE_PAINT: &str = r#"
const [label, rows, reading, done] = [arguments[0], arguments[1], arguments[2], arguments[arguments.length - 1]];
const cells = () => document.querySelectorAll('[elementtiming=device-row]');
const first = () => { const cell = cells()[0]; return cell ? cell.textContent : null; };
const last = () => { const all = cells(); return all.length ? all[all.length - 1].textContent : null; };
const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
const painted = () => new Promise((resolve) => setTimeout(resolve, 0));
(async () => {
  const settled = performance.now() + 20000;
  while (cells().length < rows && performance.now() < settled) await frame();
  await frame(); await frame();
  await new Promise((resolve) => setTimeout(resolve, reading));
  const [oldFirst, oldLast] = [first(), last()];
  const control = [...document.querySelectorAll('a, button')].find((el) => el.textContent.trim() === label);
  if (!control) { done(null); return; }
  const before = performance.now();
  control.click();
  let firstAt = null;
  while (performance.now() - before < 20000) {
    await frame();
    if (firstAt === null && first() !== null && first() !== oldFirst) {
      await painted(); firstAt = performance.now() - before;
    }
    if (firstAt !== null && cells().length >= rows && last() !== oldLast) {
      await painted(); done([firstAt, performance.now() - before]); return;
    }
  }
  done(null);
})();
"#;

/// Resolves with the time since navigation start when `arguments[0]` rows are in the DOM (the
/// page is already open; `performance.now()` counts from its navigation start).
const ALL_ROWS_IN_DOM: &str = r#"
const [rows, done] = [arguments[0], arguments[arguments.length - 1]];
const started = performance.now();
const check = () => {
  if (document.querySelectorAll('[elementtiming=device-row]').length >= rows) done(performance.now());
  else if (performance.now() - started > 20000) done(null);
  else requestAnimationFrame(check);
};
check();
"#;

/// [total, decoding]: milliseconds from the latest answer of the device list
/// (`api:/v1/Devices`) that rows were drawn after to the last "all rows drawn" mark after it,
/// and to the console's `decoded:/v1/Devices` mark between them (null when there is none: the
/// baseline decodes with `JSON.parse` unmarked, and a page fetched ahead was decoded before it
/// was handed over), or null. Both pages set the first two marks; the console's fetch of the
/// next page ahead sets them too, with nothing drawn after.
const RESPONSE_TO_ROWS: &str = r#"
const at = (name) => performance.getEntriesByName(name).map((m) => m.startTime);
const drawn = at('device-rows-drawn');
const answers = at('api:/v1/Devices').filter((t) => drawn.some((d) => d >= t));
if (!answers.length) return null;
const answer = answers[answers.length - 1];
const end = Math.max(...drawn.filter((t) => t >= answer));
const decoded = at('decoded:/v1/Devices').filter((t) => t >= answer && t <= end);
return [end - answer, decoded.length ? decoded[0] - answer : null];
"#;

/// Answer → rows drawn, and the part of it spent decoding where the console marked it.
#[derive(Default)]
pub struct AnswerToRows {
    pub total: Samples,
    pub decoding: Samples,
}

impl AnswerToRows {
    async fn measure(&mut self, session: &Session) {
        let value = session.eval(RESPONSE_TO_ROWS).await;
        if let Some(total) = value.get(0).and_then(Value::as_f64) {
            self.total.0.push(total);
        }
        if let Some(decoding) = value.get(1).and_then(Value::as_f64) {
            self.decoding.0.push(decoding);
        }
    }
}

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

/// [wasm running, list's answer in, rows written]: ms from navigation start to the console's
/// `wasm-ready` mark (null for the baseline), to the end of the first device list's response
/// (resource timing, wherever it was asked from), and to the first "all rows drawn" mark after
/// it.
const COLD_PHASES: &str = r#"
const ready = performance.getEntriesByName('wasm-ready').map((m) => m.startTime)[0];
const list = performance.getEntriesByType('resource').find((e) => e.name.includes('/v1/Devices?'));
const answer = list ? list.responseEnd : null;
const drawn = performance.getEntriesByName('device-rows-drawn').map((m) => m.startTime)
  .filter((t) => answer !== null && t >= answer);
return [ready === undefined ? null : ready, answer, drawn.length ? drawn[0] : null];
"#;

/// A cold load split where the console can be made faster: its code running, its data in,
/// its rows written.
#[derive(Default)]
pub struct ColdPhases {
    pub wasm_ready: Samples,
    pub answer_in: Samples,
    pub rows_written: Samples,
}

impl ColdPhases {
    async fn measure(&mut self, session: &Session) {
        let value = session.eval(COLD_PHASES).await;
        for (at, samples) in [
            &mut self.wasm_ready,
            &mut self.answer_in,
            &mut self.rows_written,
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(ms) = value.get(at).and_then(Value::as_f64) {
                samples.0.push(ms);
            }
        }
    }
}

pub struct ColdLoad {
    pub phases: ColdPhases,
    pub first_row: Samples,
    /// Navigation start to every row of the page in the DOM.
    pub all_rows: Samples,
    /// The list's answer to its rows drawn, from the page's own performance marks.
    pub response_to_rows: AnswerToRows,
    /// Bytes of the page's files and of its API calls, from the last run.
    pub assets_bytes: u64,
    pub api_bytes: u64,
}

/// Navigation start to the first row painted, each run in a new browser (an empty cache).
pub async fn cold_load(base_url: &str, page: Page, page_size: u32, runs: usize) -> ColdLoad {
    let mut first_row = Samples::default();
    let mut all_rows = Samples::default();
    let mut response_to_rows = AnswerToRows::default();
    let mut phases = ColdPhases::default();
    let mut transferred = (0, 0);
    for _ in 0..runs {
        let session = Session::browse(base_url.to_owned()).await;
        session
            .open(&format!("{}?PageSize={page_size}", page.list_path))
            .await;
        first_row.0.push(first_row_paint(&session).await);
        all_rows
            .0
            .push(all_rows_in_dom(&session, page, page_size).await);
        response_to_rows.measure(&session).await;
        phases.measure(&session).await;
        let sizes = session.eval(TRANSFERRED).await;
        transferred = (number_at(&sizes, 0) as u64, number_at(&sizes, 1) as u64);
        session.close().await;
    }
    ColdLoad {
        phases,
        first_row,
        all_rows,
        response_to_rows,
        assets_bytes: transferred.0,
        api_bytes: transferred.1,
    }
}

/// Page turns: click on "Next" to the first new row painted, to every row new, and the
/// answer to the rows drawn, `clicks` times in one browser.
pub struct PageTurns {
    pub first_row: Samples,
    pub all_rows: Samples,
    pub response_to_rows: AnswerToRows,
}

pub async fn next_page(base_url: &str, page: Page, page_size: u32, clicks: usize) -> PageTurns {
    let session = Session::browse(base_url.to_owned()).await;
    session
        .open(&format!("{}?PageSize={page_size}", page.list_path))
        .await;
    first_row_paint(&session).await;
    let mut turns = PageTurns {
        first_row: Samples::default(),
        all_rows: Samples::default(),
        response_to_rows: AnswerToRows::default(),
    };
    for _ in 0..clicks {
        let (first, all) = next_page_paint(&session, page, page_size, READING_MS).await;
        turns.first_row.0.push(first);
        turns.all_rows.0.push(all);
        turns.response_to_rows.measure(&session).await;
    }
    session.close().await;
    turns
}

async fn next_page_paint(session: &Session, page: Page, rows: u32, reading_ms: u64) -> (f64, f64) {
    let value = session
        .client
        .execute_async(
            NEXT_PAGE_PAINT,
            vec![
                Value::from(page.next_label),
                Value::from(rows),
                Value::from(reading_ms),
            ],
        )
        .await
        .expect("the next-page script ran");
    match (
        value.get(0).and_then(Value::as_f64),
        value.get(1).and_then(Value::as_f64),
    ) {
        (Some(first), Some(all)) => (first, all),
        _ => panic!(
            "{}: the rows were not all new after Next: {value}",
            page.name
        ),
    }
}

async fn all_rows_in_dom(session: &Session, page: Page, rows: u32) -> f64 {
    let value = session
        .client
        .execute_async(ALL_ROWS_IN_DOM, vec![Value::from(rows)])
        .await
        .expect("the all-rows script ran");
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{}: {rows} rows never all in the DOM", page.name))
}

pub struct Memory {
    pub after_one: (f64, f64),
    pub after_all: (f64, f64),
    pub turns: usize,
    /// (turns so far, (JS heap, wasm) bytes), to tell a leak (steady growth) from a
    /// high-water mark (growth that stops). The wasm's memory only grows, by whole 64 KiB
    /// pages, when its allocator needs more than it ever had: a step, not live bytes.
    pub checkpoints: Vec<(usize, (f64, f64))>,
}

impl Memory {
    pub fn total(bytes: (f64, f64)) -> f64 {
        bytes.0 + bytes.1
    }

    pub fn growth_percent(&self) -> f64 {
        100.0 * (Memory::total(self.after_all) / Memory::total(self.after_one) - 1.0)
    }

    /// Growth from the checkpoint after `turn` turns to the end: past the first turns' high
    /// water mark (caches, the router's history), what a leak would still show.
    pub fn growth_after_percent(&self, turn: usize) -> Option<f64> {
        let (_, from) = self.checkpoints.iter().find(|(t, _)| *t == turn)?;
        Some(100.0 * (Memory::total(self.after_all) / Memory::total(*from) - 1.0))
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
    // Turns at once: 200 turns read for a second each would take minutes.
    next_page_paint(&session, page, 50, 0).await;
    let after_one = pair(&session.eval(MEMORY).await);
    let mut checkpoints = vec![(1, after_one)];
    for turn in 2..=turns {
        next_page_paint(&session, page, 50, 0).await;
        if turn % 25 == 0 && turn < turns {
            checkpoints.push((turn, pair(&session.eval(MEMORY).await)));
        }
    }
    let after_all = pair(&session.eval(MEMORY).await);
    checkpoints.push((turns, after_all));
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

/// The fleet table over everything a scan loaded.
pub struct FleetTable {
    pub devices: u64,
    /// Milliseconds between animation frames while scrolling from top to bottom.
    pub scroll_frames: Samples,
    /// Rows in the DOM at most while scrolling.
    pub most_rows: u64,
    /// A keystroke in the search box to the frame showing the new matches.
    pub filter: Samples,
    /// A click on a column header to the frame showing the new order.
    pub sort: Samples,
}

impl FleetTable {
    pub fn fps(&self) -> f64 {
        1000.0 / self.scroll_frames.median()
    }
}

/// Scrolls the fleet table from top to bottom, a screenful and more each frame, timing frames.
const SCROLL_THROUGH: &str = r#"
const done = arguments[arguments.length - 1];
const box = document.querySelector('.table-wrap.scroller');
const frames = []; let most = 0; let last = null;
const step = (now) => {
  if (last !== null) frames.push(now - last);
  last = now;
  most = Math.max(most, document.querySelectorAll('table.devices tbody tr[data-sid]').length);
  const bottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 1;
  if (bottom || frames.length >= 10000) { done([frames, most]); return; }
  box.scrollTop += box.clientHeight * 1.5;
  requestAnimationFrame(step);
};
box.scrollTop = 0;
requestAnimationFrame(step);
"#;

/// Resolves with the milliseconds from an action (`arguments[0]`: "key:<text>" types text into
/// the search box, "sort:<label>" clicks a header) to the rendered frame in which `watch`
/// shows something else than before: a CSS selector's text, or with "rows" the order of the
/// drawn rows.
const ACT_AND_WAIT: &str = r#"
const [action, watch, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const text = () => {
  if (watch === 'rows') return [...document.querySelectorAll('table.devices tbody tr[data-sid]')].map((r) => r.dataset.sid).join();
  const e = document.querySelector(watch); return e ? e.textContent : null;
};
const before = text();
const started = performance.now();
if (action.startsWith('key:')) {
  const input = document.getElementById('fleet-search');
  input.value = action.slice(4);
  input.dispatchEvent(new Event('input', { bubbles: true }));
} else {
  const label = action.slice(5);
  [...document.querySelectorAll('th button.sort')].find((b) => b.textContent === label).click();
}
const check = () => {
  if (text() !== before) setTimeout(() => done(performance.now() - started), 0);
  else if (performance.now() - started > 20000) done(null);
  else requestAnimationFrame(check);
};
requestAnimationFrame(check);
"#;

/// The console's fleet scan from the click on "Scan fleet" to "complete", then the table over
/// what it loaded: scrolling, filtering, sorting.
pub async fn fleet(base_url: &str) -> (Scan, FleetTable) {
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
    let devices = status
        .split_whitespace()
        .next()
        .and_then(|count| count.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no device count in {status:?}"));
    let scan = Scan { devices, seconds };
    session
        .wait_for_text(".toolbar .muted", |t| {
            t == format!("{} matching", grouped(devices))
        })
        .await;
    // From top to bottom of 100,000 rows is a few thousand frames: minutes where frames are slow.
    session
        .client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(600)),
            None,
            None,
        ))
        .await
        .expect("the script timeout set");
    let scrolled = session
        .client
        .execute_async(SCROLL_THROUGH, Vec::new())
        .await
        .expect("the scrolling script ran");
    let scroll_frames = Samples(
        scrolled[0]
            .as_array()
            .map(|frames| frames.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default(),
    );
    let most_rows = scrolled[1].as_u64().unwrap_or(0);
    // Back to the top, where every sort shows other rows (at the bottom, sorted either way, are
    // the devices without the value).
    session
        .client
        .execute_async(
            "const done = arguments[0]; document.querySelector('.table-wrap.scroller').scrollTop = 0;
             requestAnimationFrame(() => requestAnimationFrame(() => done(1)));",
            Vec::new(),
        )
        .await
        .expect("scrolled back");
    let mut filter = Samples::default();
    // Searches that each change what matches, then back to everything; each is one input
    // event, as a keystroke is.
    for typed in [
        "meter", "tracker", "sensor", "meter-00", "berlin", "lima", "osaka", "",
    ] {
        filter
            .0
            .push(act(&session, &format!("key:{typed}"), ".toolbar .muted").await);
    }
    let mut sort = Samples::default();
    for _ in 0..2 {
        for label in ["Unique name", "Unique name", "Unique name"] {
            sort.0
                .push(act(&session, &format!("sort:{label}"), "rows").await);
        }
    }
    session.close().await;
    (
        scan,
        FleetTable {
            devices,
            scroll_frames,
            most_rows,
            filter,
            sort,
        },
    )
}

/// Does `action` (`key:TEXT` typed in the fleet search, or `sort:LABEL`) and times it to the
/// frame where `watch` (a selector, or `rows`) changed.
pub async fn act(session: &Session, action: &str, watch: &str) -> f64 {
    session
        .client
        .execute_async(ACT_AND_WAIT, vec![Value::from(action), Value::from(watch)])
        .await
        .expect("the timing script ran")
        .as_f64()
        .unwrap_or_else(|| panic!("{action}: nothing changed in {watch}"))
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
