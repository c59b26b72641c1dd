//! The budgets, and the report: a summary table on stdout, BENCHMARKS.md in full.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use console_e2e::harness::given_path;

use crate::audit::{APPENDERS, Appends, WriteLatency};
use crate::browser::{AnswerToRows, ColdLoad, FleetTable, Memory, Page, PageTurns, Scan};
use crate::bundle::BundleFile;
use crate::emulator::ListLatency;
use crate::load::{CONCURRENCY, Load, SEQUENTIAL_REQUESTS, THROUGHPUT_SECONDS};
use crate::rollouts::{Drive, Planning};
use crate::stats::Samples;

/// The budgets (issue 15, after those of issue 8).
pub struct Budgets {
    pub brotli_bytes: u64,
    pub static_brotli_bytes: u64,
    pub cold_load_ratio: f64,
    pub next_page_ratio_50: f64,
    pub next_page_ratio_1000: f64,
    pub response_to_rows_ms_50: f64,
    pub response_to_rows_ms_1000: f64,
    pub memory_growth_after_25_percent: f64,
    pub proxy_added_p50_ms: f64,
    pub proxy_throughput_share: f64,
    pub scan_devices_per_second: f64,
    pub fleet_fps: f64,
    pub filter_ms: f64,
    pub sort_ms: f64,
    pub rows_in_dom: u64,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            brotli_bytes: 200_000,
            static_brotli_bytes: 230_000,
            cold_load_ratio: 1.3,
            next_page_ratio_50: 1.2,
            next_page_ratio_1000: 1.3,
            response_to_rows_ms_50: 20.0,
            response_to_rows_ms_1000: 150.0,
            memory_growth_after_25_percent: 3.0,
            proxy_added_p50_ms: 1.0,
            proxy_throughput_share: 0.8,
            scan_devices_per_second: 50_000.0,
            fleet_fps: 55.0,
            filter_ms: 50.0,
            sort_ms: 200.0,
            rows_in_dom: 200,
        }
    }
}

/// One browser timing, on the console and on the baseline, with the ratio it is held to.
pub struct Timing {
    pub label: String,
    pub limit: f64,
    pub console: Samples,
    pub baseline: Samples,
}

impl Timing {
    pub fn ratio(&self) -> f64 {
        self.console.median() / self.baseline.median()
    }
}

pub struct ProxyRow {
    pub name: &'static str,
    pub base_url: String,
    pub rounds: Vec<Load>,
}

impl ProxyRow {
    pub fn new(name: &'static str, base_url: &str) -> ProxyRow {
        ProxyRow {
            name,
            base_url: base_url.to_owned(),
            rounds: Vec::new(),
        }
    }

    /// The median over rounds of each round's figure.
    fn median_of(&self, figure: impl Fn(&Load) -> f64) -> f64 {
        Samples(self.rounds.iter().map(figure).collect()).median()
    }

    pub fn p50(&self) -> f64 {
        self.median_of(|load| load.latency.median())
    }

    pub fn p99(&self) -> f64 {
        self.median_of(|load| load.latency.percentile(99.0))
    }

    pub fn requests_per_second(&self) -> f64 {
        self.median_of(|load| load.requests_per_second)
    }
}

#[derive(Default)]
pub struct Report {
    command: String,
    pub bundle: Vec<BundleFile>,
    pub static_bundle: Vec<BundleFile>,
    /// The modules each build loads on a page's first visit (split at lazy routes).
    pub lazy_bundle: Vec<BundleFile>,
    pub static_lazy_bundle: Vec<BundleFile>,
    /// A page of 1,000 devices on the wire: raw, gzip, zstd.
    pub api_page: Option<(u64, u64, u64)>,
    timings: Vec<Timing>,
    /// The console's answer-to-rows-drawn, by page size and by how the page came: a cold
    /// load decodes its answer in between; a page turn takes a page fetched ahead, decoded.
    response_to_rows: Vec<(u32, &'static str, AnswerToRows)>,
    pub fleet_table: Option<FleetTable>,
    /// (page name, bytes of files, bytes of API calls) of a cold load at PageSize 50.
    transfers: Vec<(&'static str, u64, u64)>,
    memory: Vec<(&'static str, Memory)>,
    pub scan: Option<Scan>,
    pub proxy: Vec<ProxyRow>,
    pub emulator: Option<ListLatency>,
    pub planning: Option<Planning>,
    pub drives: Vec<Drive>,
    pub audit_appends: Vec<Appends>,
    pub audit_latency: Option<WriteLatency>,
}

impl Report {
    pub fn new(command: &str) -> Report {
        Report {
            command: command.to_owned(),
            ..Report::default()
        }
    }

    fn timing(&mut self, label: String, limit: f64) -> &mut Timing {
        if let Some(index) = self.timings.iter().position(|t| t.label == label) {
            return &mut self.timings[index];
        }
        self.timings.push(Timing {
            label,
            limit,
            console: Samples::default(),
            baseline: Samples::default(),
        });
        self.timings.last_mut().expect("just pushed")
    }

    fn record(&mut self, label: String, limit: f64, page: Page, samples: Samples) {
        let timing = self.timing(label, limit);
        if page.name == crate::browser::CONSOLE.name {
            timing.console = samples;
        } else {
            timing.baseline = samples;
        }
    }

    fn add_response_to_rows(
        &mut self,
        page: Page,
        page_size: u32,
        how: &'static str,
        samples: AnswerToRows,
    ) {
        if page.name == crate::browser::CONSOLE.name {
            self.response_to_rows.push((page_size, how, samples));
        }
    }

    pub fn add_cold_load(&mut self, page: Page, page_size: u32, load: ColdLoad) {
        if page_size == 50 {
            self.transfers
                .push((page.name, load.assets_bytes, load.api_bytes));
        }
        let limit = Budgets::default().cold_load_ratio;
        let label = format!("Cold load → first row painted, PageSize={page_size}");
        self.record(label, limit, page, load.first_row);
        let label = format!("Cold load → every row in the DOM, PageSize={page_size}");
        self.record(label, limit, page, load.all_rows);
        self.add_response_to_rows(page, page_size, "cold load", load.response_to_rows);
    }

    pub fn add_next_page(&mut self, page: Page, page_size: u32, turns: PageTurns) {
        let budgets = Budgets::default();
        let limit = if page_size <= 50 {
            budgets.next_page_ratio_50
        } else {
            budgets.next_page_ratio_1000
        };
        let label = format!("Next clicked → new rows painted, {page_size} rows");
        self.record(label, limit, page, turns.first_row);
        let label = format!("Next clicked → every row new in the DOM, {page_size} rows");
        self.record(label, limit, page, turns.all_rows);
        self.add_response_to_rows(page, page_size, "after Next", turns.response_to_rows);
    }

    pub fn add_memory(&mut self, page: Page, memory: Memory) {
        self.memory.push((page.name, memory));
    }

    fn brotli_total(&self) -> u64 {
        self.bundle.iter().map(|file| file.brotli).sum()
    }

    fn proxy_row(&self, prefix: &str) -> Option<&ProxyRow> {
        self.proxy.iter().find(|row| row.name.starts_with(prefix))
    }

    /// (budget, measured, verdict) for every budget.
    fn verdicts(&self, budgets: &Budgets) -> Vec<(String, String, bool)> {
        let mut rows = Vec::new();
        let brotli = self.brotli_total();
        rows.push((
            format!(
                "First-load transfer (console-server's build), brotli ≤ {} KB",
                budgets.brotli_bytes / 1000
            ),
            format!("{:.1} KB", brotli as f64 / 1000.0),
            brotli <= budgets.brotli_bytes,
        ));
        let static_brotli: u64 = self.static_bundle.iter().map(|file| file.brotli).sum();
        rows.push((
            format!(
                "First-load transfer (static demo site), brotli ≤ {} KB",
                budgets.static_brotli_bytes / 1000
            ),
            format!("{:.1} KB", static_brotli as f64 / 1000.0),
            static_brotli <= budgets.static_brotli_bytes,
        ));
        for timing in &self.timings {
            rows.push((
                format!("{} ≤ {} × baseline", timing.label, timing.limit),
                format!(
                    "{:.2} × ({:.1} ms vs {:.1} ms)",
                    timing.ratio(),
                    timing.console.median(),
                    timing.baseline.median()
                ),
                timing.ratio() <= timing.limit,
            ));
        }
        for (page_size, how, samples) in &self.response_to_rows {
            let limit = if *page_size <= 50 {
                budgets.response_to_rows_ms_50
            } else {
                budgets.response_to_rows_ms_1000
            };
            let decoding = if samples.decoding.0.is_empty() {
                String::new()
            } else {
                format!("; decoding {:.1} ms of it", samples.decoding.median())
            };
            rows.push((
                format!(
                    "Answer → all {page_size} rows drawn, {how} (performance marks) ≤ {limit} ms"
                ),
                format!(
                    "{:.1} ms (p50 of {}{decoding})",
                    samples.total.median(),
                    samples.total.0.len()
                ),
                samples.total.median() <= limit,
            ));
        }
        for (name, memory) in &self.memory {
            if *name == crate::browser::CONSOLE.name {
                let after = memory.growth_after_percent(25).unwrap_or(f64::NAN);
                rows.push((
                    format!(
                        "Memory growth from turn 25 to turn {} ≤ {} %",
                        memory.turns, budgets.memory_growth_after_25_percent
                    ),
                    format!(
                        "{after:+.1} % (from turn 1: {:+.1} %)",
                        memory.growth_percent()
                    ),
                    after <= budgets.memory_growth_after_25_percent,
                ));
            }
        }
        if let (Some(direct), Some(proxy), Some(nginx)) = (
            self.proxy_row("direct"),
            self.proxy_row("console-server"),
            self.proxy_row("nginx"),
        ) {
            let added = proxy.p50() - direct.p50();
            rows.push((
                format!("Proxy adds ≤ {} ms at p50", budgets.proxy_added_p50_ms),
                format!("{added:+.3} ms"),
                added <= budgets.proxy_added_p50_ms,
            ));
            let share = proxy.requests_per_second() / direct.requests_per_second();
            rows.push((
                format!(
                    "Proxy keeps ≥ {:.0} % of direct throughput",
                    budgets.proxy_throughput_share * 100.0
                ),
                format!("{:.0} %", share * 100.0),
                share >= budgets.proxy_throughput_share,
            ));
            rows.push((
                "Proxy no slower than nginx (p50 and throughput)".to_owned(),
                format!(
                    "p50 {:.3} vs {:.3} ms; {:.0} vs {:.0} req/s",
                    proxy.p50(),
                    nginx.p50(),
                    proxy.requests_per_second(),
                    nginx.requests_per_second()
                ),
                proxy.p50() <= nginx.p50()
                    && proxy.requests_per_second() >= nginx.requests_per_second(),
            ));
        }
        if let Some(scan) = &self.scan {
            let rate = scan.devices as f64 / scan.seconds;
            rows.push((
                format!(
                    "Fleet scan ≥ {:.0} devices/s",
                    budgets.scan_devices_per_second
                ),
                format!("{rate:.0} devices/s"),
                rate >= budgets.scan_devices_per_second,
            ));
        }
        if let Some(table) = &self.fleet_table {
            let n = table.devices;
            rows.push((
                format!(
                    "Fleet table of {n}: scrolling ≥ {} frames/s (median)",
                    budgets.fleet_fps
                ),
                format!(
                    "{:.0} frames/s ({:.1} ms median frame, {} frames)",
                    table.fps(),
                    table.scroll_frames.median(),
                    table.scroll_frames.0.len()
                ),
                table.fps() >= budgets.fleet_fps,
            ));
            rows.push((
                format!(
                    "Fleet table of {n}: rows in the DOM ≤ about {}",
                    budgets.rows_in_dom
                ),
                format!("{} at most while scrolling", table.most_rows),
                table.most_rows <= budgets.rows_in_dom,
            ));
            rows.push((
                format!(
                    "Fleet table of {n}: a filter keystroke redrawn ≤ {} ms (p50)",
                    budgets.filter_ms
                ),
                format!(
                    "{:.1} ms (max {:.1})",
                    table.filter.median(),
                    table.filter.max()
                ),
                table.filter.median() <= budgets.filter_ms,
            ));
            rows.push((
                format!(
                    "Fleet table of {n}: a column sort redrawn ≤ {} ms (p50)",
                    budgets.sort_ms
                ),
                format!(
                    "{:.1} ms (max {:.1})",
                    table.sort.median(),
                    table.sort.max()
                ),
                table.sort.median() <= budgets.sort_ms,
            ));
        }
        rows
    }

    pub fn summary_table(&self, budgets: &Budgets) -> String {
        let mut out = String::new();
        for (budget, measured, met) in self.verdicts(budgets) {
            let verdict = if met { "met" } else { "MISSED" };
            let _ = writeln!(out, "{verdict:7} {measured:>40}  {budget}");
        }
        for line in self.rollout_lines().into_iter().chain(self.audit_lines()) {
            let _ = writeln!(out, "{:7} {line}", "");
        }
        out
    }

    /// The audit log's figures (issue 18), measured to watch; they have no budget.
    fn audit_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .audit_appends
            .iter()
            .map(|a| {
                format!(
                    "Audit appends on {}: {:.0} entries/s ({} entries by {APPENDERS} appenders at once in {:.2} s, chain verified after)",
                    a.store,
                    a.per_second(),
                    a.entries,
                    a.seconds
                )
            })
            .collect();
        if let Some(l) = &self.audit_latency {
            lines.push(format!(
                "Auditing adds {:+.3} ms at p50 to a proxied write (device rename p50: {:.3} ms direct, {:.3} ms through console-server; device read p50: {:.3} ms direct, {:.3} ms proxied; {} of each)",
                l.added_by_auditing(),
                l.direct_write.median(),
                l.proxied_write.median(),
                l.direct_read.median(),
                l.proxied_read.median(),
                l.direct_write.0.len()
            ));
        }
        lines
    }

    /// The rollout figures, which have no budget yet: measured to watch, not to judge.
    fn rollout_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(planning) = &self.planning {
            lines.push(format!(
                "Planning a rollout of {} devices (select, phases, preview): p50 {:.1} ms, max {:.1} ms over {} runs",
                planning.devices,
                planning.ms.median(),
                planning.ms.max(),
                planning.ms.0.len()
            ));
        }
        for drive in &self.drives {
            lines.push(format!(
                "console-server driving a rollout of {} devices at concurrency {}: {:.0} devices/s ({:.1} s, created to completed)",
                drive.devices,
                drive.concurrency,
                drive.per_second(),
                drive.seconds
            ));
        }
        lines
    }

    pub fn markdown(&self, budgets: &Budgets) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "Written by `{}` on {}. Every figure below comes from that one run; the \
             baseline and the console were measured side by side in it. Re-run the command \
             to refresh this file.\n",
            self.command,
            command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
        );
        let _ = writeln!(md, "## Machine\n\n{}\n", machine());
        let _ = writeln!(md, "## Budgets\n");
        let _ = writeln!(md, "| Budget | Measured | Verdict |\n|---|---|---|");
        for (budget, measured, met) in self.verdicts(budgets) {
            let verdict = if met { "met" } else { "**missed**" };
            let _ = writeln!(md, "| {budget} | {measured} | {verdict} |");
        }
        let _ = writeln!(md, "\n## Bundle\n");
        let _ = writeln!(
            md,
            "Files a first visit loads: `dist/` as console-server serves it (built with \
             `--no-default-features`), and `target/site/` as `cargo xtask dist` writes the \
             static demo. gzip and brotli are the `.gz`/`.br` copies the build writes (gzip -9, \
             brotli quality 11), which console-server sends to browsers that accept them.\n"
        );
        for (title, files, lazy) in [
            (
                "console-server's build (`dist/`)",
                &self.bundle,
                &self.lazy_bundle,
            ),
            (
                "static demo site (`target/site/`)",
                &self.static_bundle,
                &self.static_lazy_bundle,
            ),
        ] {
            let _ = writeln!(md, "{title}:\n");
            let _ = writeln!(md, "| File | Raw | gzip | brotli |\n|---|---:|---:|---:|");
            for file in files.iter() {
                file_row(&mut md, file);
            }
            let total = |figure: fn(&BundleFile) -> u64| files.iter().map(figure).sum::<u64>();
            let _ = writeln!(
                md,
                "| **total** | {} | {} | **{}** |\n",
                bytes(total(|f| f.raw)),
                bytes(total(|f| f.gzip)),
                bytes(total(|f| f.brotli))
            );
            lazy_modules(&mut md, lazy);
        }
        if let Some((raw, gzip, zstd)) = self.api_page {
            let _ = writeln!(
                md,
                "An API answer, compressed by console-server per request at the fastest level \
                 (zstd where the browser accepts it, as Chromium does; else gzip):\n\n\
                 | Answer | Raw | gzip | zstd |\n|---|---:|---:|---:|\n\
                 | `GET /v1/Devices?PageSize=1000` | {} | {} | {} |\n",
                bytes(raw),
                bytes(gzip),
                bytes(zstd)
            );
        }
        for (name, assets, api) in &self.transfers {
            let _ = writeln!(
                md,
                "Measured in Chromium ({name}, PageSize=50): {} of the page's files and {} of \
                 API responses over plain-HTTP loopback.",
                bytes(*assets),
                bytes(*api)
            );
        }
        let _ = writeln!(md, "\n## Browser timings\n");
        let _ = writeln!(
            md,
            "Headless Chromium, 1280×900, against console-server's emulator on loopback. \
             Both pages mark each row's name link with `elementtiming`. A cold load ends at the \
             `renderTime` of the first such cell painted, counted from navigation start, each run \
             in a new browser (empty cache). A page turn starts with a click on Next {reading} ms \
             after the page was drawn, as a reader's would (the console fetches the next page \
             while the browser is idle; the baseline does not), and ends when the frame that \
             first shows the new first row has rendered (the console rewrites rows in place, and \
             Element Timing reports an element's first paint only). Median (min–max, runs).\n",
            reading = crate::browser::READING_MS
        );
        let _ = writeln!(
            md,
            "| Timing | Console | Baseline | Ratio |\n|---|---|---|---:|"
        );
        for timing in &self.timings {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.2} |",
                timing.label,
                timing.console.describe_ms(),
                timing.baseline.describe_ms(),
                timing.ratio()
            );
        }
        let _ = writeln!(md, "\n## Memory\n");
        let _ = writeln!(
            md,
            "JS heap (`performance.memory.usedJSHeapSize` with `--enable-precise-memory-info`, \
             after `gc()`) plus the console's wasm memory, after one page turn of 50 rows and \
             after all of them.\n"
        );
        let _ = writeln!(
            md,
            "| Page | After 1 turn (JS + wasm) | After all turns (JS + wasm) | Growth |\n|---|---|---|---:|"
        );
        for (name, memory) in &self.memory {
            let _ = writeln!(
                md,
                "| {name} | {} + {} | {} + {} ({} turns) | {:+.1} % |",
                bytes(memory.after_one.0 as u64),
                bytes(memory.after_one.1 as u64),
                bytes(memory.after_all.0 as u64),
                bytes(memory.after_all.1 as u64),
                memory.turns,
                memory.growth_percent()
            );
        }
        for (name, memory) in &self.memory {
            let series: Vec<String> = memory
                .checkpoints
                .iter()
                .map(|(turn, (js, wasm))| {
                    if *wasm > 0.0 {
                        format!("{turn}: {} + {}", bytes(*js as u64), bytes(*wasm as u64))
                    } else {
                        format!("{turn}: {}", bytes(*js as u64))
                    }
                })
                .collect();
            let _ = writeln!(
                md,
                "\n{name}, JS heap (+ wasm memory) after N turns: {}.",
                series.join(" · ")
            );
        }
        if let Some(table) = &self.fleet_table {
            let _ = writeln!(md, "\n## Fleet table\n");
            let _ = writeln!(
                md,
                "After the scan, in the same browser: the table scrolled from top to bottom by \
                 1.5 screens a frame (frame times from `requestAnimationFrame`), eight keystrokes \
                 of a search and back, and six clicks on the Unique name header (each from the \
                 action to the rendered frame that shows the change).\n\n\
                 Frames: {}. Rows in the DOM at most: {}. Filter: {}. Sort: {}.",
                table.scroll_frames.describe_ms(),
                table.most_rows,
                table.filter.describe_ms(),
                table.sort.describe_ms()
            );
        }
        if let Some(scan) = &self.scan {
            let _ = writeln!(md, "\n## Fleet scan\n");
            let _ = writeln!(
                md,
                "The console's fleet view, \"Scan fleet\" to \"complete\", PageSize 1000 over \
                 loopback: {} devices in {:.2} s = **{:.0} devices/s**.",
                scan.devices,
                scan.seconds,
                scan.devices as f64 / scan.seconds
            );
        }
        if !self.proxy.is_empty() {
            let _ = writeln!(md, "\n## Proxy\n");
            let _ = writeln!(
                md,
                "`GET /v1/Devices?PageSize=50` against one emulator of 10,000 devices. Latency: \
                 {SEQUENTIAL_REQUESTS} requests one at a time on a kept-alive connection. \
                 Throughput: {CONCURRENCY} in flight for {THROUGHPUT_SECONDS} s. The three \
                 ways are measured in turn, {} rounds; each figure is the median of the rounds. \
                 The load generator shares the machine's cores with the servers.\n",
                self.proxy.first().map_or(0, |row| row.rounds.len())
            );
            let _ = writeln!(md, "| Way | p50 | p99 | Requests/s |\n|---|---:|---:|---:|");
            for row in &self.proxy {
                let _ = writeln!(
                    md,
                    "| {} | {:.3} ms | {:.3} ms | {:.0} |",
                    row.name,
                    row.p50(),
                    row.p99(),
                    row.requests_per_second()
                );
            }
        }
        if let Some(list) = &self.emulator {
            let _ = writeln!(md, "\n## Emulator\n");
            let _ = writeln!(
                md,
                "The emulator core in-process (no HTTP), {} devices, a walk of every page at \
                 PageSize {} ({} requests): p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms.",
                list.devices,
                list.page_size,
                list.latency.0.len(),
                list.latency.median(),
                list.latency.percentile(99.0),
                list.latency.max()
            );
        }
        let rollouts = self.rollout_lines();
        if !rollouts.is_empty() {
            let _ = writeln!(md, "\n## Rollouts\n");
            let _ = writeln!(
                md,
                "Planning runs the pure engine in-process over a fleet taken from the emulator \
                 core. Driving is console-server in emulator mode with no update delay and no \
                 failures, one phase of every device, polling every 100 ms, timed from the \
                 create request to the state `completed` (every device written once and read \
                 back up to date).\n"
            );
            for line in rollouts {
                let _ = writeln!(md, "- {line}");
            }
        }
        let audit = self.audit_lines();
        if !audit.is_empty() {
            let _ = writeln!(md, "\n## Audit log\n");
            let _ = writeln!(
                md,
                "Appends: the store's own append (the head row locked, the entry and its hash \
                 written, in one transaction) called in-process by {APPENDERS} tasks at once, \
                 on a SQLite file and on a private PostgreSQL server on this machine. Latency: \
                 one request at a time, a device read and a device rename, direct to an \
                 emulator and through console-server `--upstream` (SQLite store) in front of \
                 it, interleaved; what auditing adds is the proxy's extra on a write less its \
                 extra on a read (reads are not audited), so it includes the read of the \
                 device before the write and the append.\n"
            );
            for line in audit {
                let _ = writeln!(md, "- {line}");
            }
        }
        let notes = Path::new(env!("CARGO_MANIFEST_DIR")).join("NOTES.md");
        if let Ok(text) = std::fs::read_to_string(notes) {
            let _ = writeln!(md, "\n{}", text.trim_end());
        }
        md
    }
}

fn bytes(n: u64) -> String {
    if n >= 10_000 {
        format!("{:.1} KB", n as f64 / 1000.0)
    } else {
        format!("{n} B")
    }
}

fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        // Some tools (nginx -v) print their version on stderr.
        .map(|out| {
            let text = if out.stdout.is_empty() {
                out.stderr
            } else {
                out.stdout
            };
            String::from_utf8_lossy(&text).trim().to_owned()
        })
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| format!("({program} not available)"))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("MemTotal"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or_else(
            || "?".to_owned(),
            |kb| format!("{:.0} GiB", kb / 1_048_576.0),
        );
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|release| {
            release
                .lines()
                .find_map(|line| line.strip_prefix("PRETTY_NAME="))
                .map(|name| name.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "unknown OS".to_owned());
    format!(
        "- {cpu}, {cores} cores, {memory} RAM; {os}, kernel {}\n- {}; {}; {}",
        command_output("uname", &["-r"]),
        command_output(&given_path("CHROMIUM").to_string_lossy(), &["--version"]),
        command_output("rustc", &["--version"]),
        command_output(&given_path("NGINX").to_string_lossy(), &["-v"]),
    )
}

fn file_row(md: &mut String, file: &BundleFile) {
    let _ = writeln!(
        md,
        "| `{}` | {} | {} | {} |",
        file.name,
        bytes(file.raw),
        bytes(file.gzip),
        bytes(file.brotli)
    );
}

/// The split modules of one build: each page's own module, and the shared chunks in one row.
fn lazy_modules(md: &mut String, lazy: &[BundleFile]) {
    if lazy.is_empty() {
        return;
    }
    let (pages, chunks): (Vec<&BundleFile>, Vec<&BundleFile>) =
        lazy.iter().partition(|file| !file.name.contains("/chunk_"));
    let _ = writeln!(
        md,
        "Not in the first load: the modules wasm-split cut out at the lazy routes, fetched when a \
         page is first opened (a page's own module and the shared chunks it needs):\n\n\
         | Module | Raw | gzip | brotli |\n|---|---:|---:|---:|"
    );
    for file in pages {
        file_row(md, file);
    }
    let sum = |figure: fn(&BundleFile) -> u64| chunks.iter().map(|file| figure(file)).sum::<u64>();
    let _ = writeln!(
        md,
        "| {} shared chunks | {} | {} | {} |",
        chunks.len(),
        bytes(sum(|f| f.raw)),
        bytes(sum(|f| f.gzip)),
        bytes(sum(|f| f.brotli))
    );
    let all: u64 = lazy.iter().map(|file| file.brotli).sum();
    let _ = writeln!(md, "| **all lazy modules** | | | **{}** |\n", bytes(all));
}
