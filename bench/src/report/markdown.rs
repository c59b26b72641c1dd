//! BENCHMARKS.md: one function per section, in the order they are written.

use std::fmt::Write as _;
use std::path::Path;

use super::format::{bytes, command_output, file_row, lazy_modules, machine};
use super::model::{Budgets, Report};
use crate::audit::APPENDERS;
use crate::bundle::BundleFile;
use crate::load::{CONCURRENCY, SEQUENTIAL_REQUESTS, THROUGHPUT_SECONDS};

impl Report {
    /// The whole file.
    pub fn markdown(&self, budgets: &Budgets) -> String {
        let mut md = String::new();
        self.heading(&mut md, budgets);
        self.bundle_section(&mut md);
        self.browser_section(&mut md);
        self.cold_phases_section(&mut md);
        self.memory_section(&mut md);
        self.fleet_sections(&mut md);
        self.proxy_section(&mut md);
        self.emulator_section(&mut md);
        self.rollouts_section(&mut md);
        self.audit_section(&mut md);
        self.uploads_section(&mut md);
        self.streams_section(&mut md);
        self.index_section(&mut md);
        let notes = Path::new(env!("CARGO_MANIFEST_DIR")).join("NOTES.md");
        if let Ok(text) = std::fs::read_to_string(notes) {
            let _ = writeln!(md, "\n{}", text.trim_end());
        }
        md
    }

    /// The title, the command and machine, and every budget's verdict.
    fn heading(&self, md: &mut String, budgets: &Budgets) {
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
    }

    /// The files a first visit loads, by build, and the lazy modules.
    fn bundle_section(&self, md: &mut String) {
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
                file_row(md, file);
            }
            let total = |figure: fn(&BundleFile) -> u64| files.iter().map(figure).sum::<u64>();
            let _ = writeln!(
                md,
                "| **total** | {} | {} | **{}** |\n",
                bytes(total(|f| f.raw)),
                bytes(total(|f| f.gzip)),
                bytes(total(|f| f.brotli))
            );
            lazy_modules(md, lazy);
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
    }

    /// Cold loads and page turns beside the baseline.
    fn browser_section(&self, md: &mut String) {
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
    }

    /// Where a cold load's time goes, from the page's own marks and resource timing.
    fn cold_phases_section(&self, md: &mut String) {
        if self.cold_phases.is_empty() {
            return;
        }
        let _ = writeln!(
            md,
            "\nCold load, split (ms from navigation start; median (min–max, runs)): the \
         console's wasm running (`wasm-ready`, the first line of `main`), the first device \
         list's answer in (its resource timing `responseEnd`, whether the page's loader or the \
         console asked), and every row written (the first `device-rows-drawn` mark after \
         it). The served console's loader asks for the list while the wasm loads, so the \
         answer can be in before the wasm runs.\n"
        );
        let _ = writeln!(
            md,
            "| Page | Rows | Wasm running | Answer in | Rows written |\n|---|---:|---|---|---|"
        );
        for (name, rows, phases) in &self.cold_phases {
            let or_none = |samples: &crate::stats::Samples| {
                if samples.0.is_empty() {
                    "—".to_owned()
                } else {
                    samples.describe_ms()
                }
            };
            let _ = writeln!(
                md,
                "| {name} | {rows} | {} | {} | {} |",
                or_none(&phases.wasm_ready),
                or_none(&phases.answer_in),
                or_none(&phases.rows_written)
            );
        }
    }

    /// Heap and wasm memory over the page turns.
    fn memory_section(&self, md: &mut String) {
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
    }

    /// The fleet table and the scan, when measured.
    fn fleet_sections(&self, md: &mut String) {
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
    }

    /// The proxy beside direct and nginx.
    fn proxy_section(&self, md: &mut String) {
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
    }

    /// The emulator core in-process.
    fn emulator_section(&self, md: &mut String) {
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
    }

    /// Planning and driving rollouts.
    fn rollouts_section(&self, md: &mut String) {
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
    }

    /// Audit appends and what auditing adds to a write.
    fn audit_section(&self, md: &mut String) {
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
    }

    /// App uploads: reading a bundle, and many uploads at once through the proxy.
    fn uploads_section(&self, md: &mut String) {
        let lines = self.upload_lines();
        if lines.is_empty() {
            return;
        }
        let _ = writeln!(md, "\n## Uploads\n");
        let _ = writeln!(
            md,
            "A bundle of a 1 MiB flash image that does not compress, made by `app_bundle::build`. \
             Reading is `app_bundle::read` in this process. The uploads go to console-server \
             `--upstream` in front of an emulator on this machine, all at once; the proxy's \
             `VmRSS` is sampled every 5 ms while they run, after one upload made beforehand.\n"
        );
        for line in lines {
            let _ = writeln!(md, "- {line}");
        }
    }

    /// Live updates: many event streams open on one server; a webhook receiver's outage.
    fn streams_section(&self, md: &mut String) {
        let lines = self.stream_lines();
        let outage = self.outage_lines();
        if lines.is_empty() && outage.is_empty() {
            return;
        }
        let _ = writeln!(md, "\n## Live updates and alerts\n");
        for line in outage {
            let _ = writeln!(md, "- {line}");
        }
        if lines.is_empty() {
            return;
        }
        let _ = writeln!(
            md,
            "`GET /console/v1/events` streams held open by this process against one \
             console-server (SQLite store), then alert rules made one every 200 ms through its \
             API: each is an event through the store's event log, the hub's 100 ms tail and \
             the fan-out, the path an index change takes. Timed from before each write is sent \
             (so the write's own time is included) to the read that brings it on each stream.\n"
        );
        for line in lines {
            let _ = writeln!(md, "- {line}");
        }
    }
}
