//! What one run measured, and the budgets it is judged by.

use crate::audit::{Appends, WriteLatency};
use crate::browser::{AnswerToRows, ColdLoad, FleetTable, Memory, Page, PageTurns, Scan};
use crate::bundle::BundleFile;
use crate::emulator::ListLatency;
use crate::index::IndexBench;
use crate::load::Load;
use crate::outage::Outage;
use crate::rollouts::{Drive, Planning};
use crate::stats::Samples;
use crate::streams::Streams;
use crate::uploads::Uploads;

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
    pub(super) fn median_of(&self, figure: impl Fn(&Load) -> f64) -> f64 {
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
    pub(super) command: String,
    pub bundle: Vec<BundleFile>,
    pub static_bundle: Vec<BundleFile>,
    /// The modules each build loads on a page's first visit (split at lazy routes).
    pub lazy_bundle: Vec<BundleFile>,
    pub static_lazy_bundle: Vec<BundleFile>,
    /// A page of 1,000 devices on the wire: raw, gzip, zstd.
    pub api_page: Option<(u64, u64, u64)>,
    pub(super) timings: Vec<Timing>,
    /// The console's answer-to-rows-drawn, by page size and by how the page came: a cold
    /// load decodes its answer in between; a page turn takes a page fetched ahead, decoded.
    pub(super) response_to_rows: Vec<(u32, &'static str, AnswerToRows)>,
    /// (page, page size, the cold load's phases)
    pub(super) cold_phases: Vec<(&'static str, u32, crate::browser::ColdPhases)>,
    pub fleet_table: Option<FleetTable>,
    /// (page name, bytes of files, bytes of API calls) of a cold load at PageSize 50.
    pub(super) transfers: Vec<(&'static str, u64, u64)>,
    pub(super) memory: Vec<(&'static str, Memory)>,
    pub scan: Option<Scan>,
    pub proxy: Vec<ProxyRow>,
    pub emulator: Option<ListLatency>,
    pub planning: Option<Planning>,
    pub drives: Vec<Drive>,
    pub audit_appends: Vec<Appends>,
    pub audit_latency: Option<WriteLatency>,
    pub uploads: Option<Uploads>,
    pub streams: Option<Streams>,
    pub outage: Option<Outage>,
    pub index: Option<IndexBench>,
}

impl Report {
    pub fn new(command: &str) -> Report {
        Report {
            command: command.to_owned(),
            ..Report::default()
        }
    }

    pub(super) fn timing(&mut self, label: String, limit: f64) -> &mut Timing {
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

    pub(super) fn record(&mut self, label: String, limit: f64, page: Page, samples: Samples) {
        let timing = self.timing(label, limit);
        if page.name == crate::browser::CONSOLE.name {
            timing.console = samples;
        } else {
            timing.baseline = samples;
        }
    }

    pub(super) fn add_response_to_rows(
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
        self.cold_phases.push((page.name, page_size, load.phases));
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

    pub(super) fn brotli_total(&self) -> u64 {
        self.bundle.iter().map(|file| file.brotli).sum()
    }

    pub(super) fn proxy_row(&self, prefix: &str) -> Option<&ProxyRow> {
        self.proxy.iter().find(|row| row.name.starts_with(prefix))
    }
}
