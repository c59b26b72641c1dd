//! The budgets' verdicts, and the figures watched without a budget: the summary table on
//! stdout, and the lines BENCHMARKS.md lists.

use std::fmt::Write as _;

use super::model::{Budgets, Report};
use crate::audit::APPENDERS;

impl Report {
    /// (budget, measured, verdict) for every budget.
    pub(super) fn verdicts(&self, budgets: &Budgets) -> Vec<(String, String, bool)> {
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
        let console_runs: Vec<_> = self
            .memory
            .iter()
            .filter(|(name, _)| *name == crate::browser::CONSOLE.name)
            .map(|(_, memory)| memory)
            .collect();
        if let Some(first) = console_runs.first() {
            let growths = crate::stats::Samples(
                console_runs
                    .iter()
                    .map(|memory| memory.growth_after_percent(25).unwrap_or(f64::NAN))
                    .collect(),
            );
            let after = growths.median();
            let each: Vec<String> = growths.0.iter().map(|g| format!("{g:+.1} %")).collect();
            rows.push((
                format!(
                    "Memory growth from turn 25 to turn {} ≤ {} %, median of runs",
                    first.turns, budgets.memory_growth_after_25_percent
                ),
                format!(
                    "{after:+.1} % (runs: {}; from turn 1 in the first: {:+.1} %)",
                    each.join(", "),
                    first.growth_percent()
                ),
                after <= budgets.memory_growth_after_25_percent,
            ));
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
        rows.extend(self.index_verdicts());
        rows
    }

    pub fn summary_table(&self, budgets: &Budgets) -> String {
        let mut out = String::new();
        for (budget, measured, met) in self.verdicts(budgets) {
            let verdict = if met { "met" } else { "MISSED" };
            let _ = writeln!(out, "{verdict:7} {measured:>40}  {budget}");
        }
        for line in self
            .rollout_lines()
            .into_iter()
            .chain(self.audit_lines())
            .chain(self.upload_lines())
        {
            let _ = writeln!(out, "{:7} {line}", "");
        }
        out
    }

    /// The audit log's figures (issue 18), measured to watch; they have no budget.
    pub(super) fn audit_lines(&self) -> Vec<String> {
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
    pub(super) fn rollout_lines(&self) -> Vec<String> {
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

    /// The upload figures (issue 27), measured to watch; they have no budget.
    pub(super) fn upload_lines(&self) -> Vec<String> {
        let Some(u) = &self.uploads else {
            return Vec::new();
        };
        vec![
            format!(
                "Reading and checking a {} KB bundle in-process: p50 {:.1} ms, max {:.1} ms ({} runs)",
                u.bundle_bytes / 1000,
                u.read_ms.median(),
                u.read_ms.max(),
                u.read_ms.0.len()
            ),
            format!(
                "{} uploads of it at once through console-server --upstream: p50 {:.0} ms, max {:.0} ms each, request to answer",
                u.concurrent,
                u.upload_ms.median(),
                u.upload_ms.max()
            ),
            format!(
                "The proxy's resident memory: {:.1} MB before, {:.1} MB at most while they ran: {:.0} KB more per upload in flight, against {} KB per bundle; {:.0} KB per upload for as many uploads of a {} KB bundle (what an upload in flight costs is its connection's, not its bundle's)",
                u.rss_before as f64 / 1e6,
                u.rss_peak as f64 / 1e6,
                u.growth_per_upload() / 1000.0,
                u.bundle_bytes / 1000,
                u.small_growth_per_upload() / 1000.0,
                u.small_bundle_bytes / 1000
            ),
        ]
    }

    /// The event streams (issue 29): p99 of write → every stream ≤ 250 ms, and the streams'
    /// memory ≤ 200 MB at 1,000.
    pub(super) fn stream_lines(&self) -> Vec<String> {
        let Some(s) = &self.streams else {
            return Vec::new();
        };
        let p99 = s.latency_ms.percentile(99.0);
        let word = |met: bool| if met { "met" } else { "missed" };
        vec![
            format!(
                "{} events, each to {} open streams: write sent → read on the stream p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (budget p99 ≤ 250 ms: {}); {} reads missed",
                s.events,
                s.streams,
                s.latency_ms.median(),
                p99,
                s.latency_ms.max(),
                word(p99 <= 250.0 && s.missed == 0),
                s.missed
            ),
            format!(
                "console-server's resident memory: {:.1} MB with no stream, {:.1} MB with {} open: {:.1} MB for the streams, {:.0} KB each (budget ≤ 200 MB at 1,000: {})",
                s.rss_before as f64 / 1e6,
                s.rss_open as f64 / 1e6,
                s.streams,
                s.growth() as f64 / 1e6,
                s.growth() as f64 / 1e3 / s.streams.max(1) as f64,
                word(s.growth() as f64 * 1000.0 / s.streams.max(1) as f64 <= 200e6)
            ),
        ]
    }

    /// A webhook receiver down, then back (issue 29): every transition once, in order.
    pub(super) fn outage_lines(&self) -> Vec<String> {
        let Some(o) = &self.outage else {
            return Vec::new();
        };
        vec![format!(
            "A webhook receiver answering 503 for {} s while a rule fired and resolved {}: {} of {} transitions answered 200 once each, {} twice or more, in the rule's order: {}; the last in {:.1} s after the receiver was back; {} requests in all (budget: each transition once, in order: {})",
            o.down_s,
            match o.transitions / 2 {
                1 => "once".to_owned(),
                n => format!("{n} times"),
            },
            o.transitions - o.lost,
            o.transitions,
            o.repeated,
            if o.in_order { "yes" } else { "no" },
            o.caught_up_s,
            o.requests,
            if o.met() { "met" } else { "missed" }
        )]
    }
}
