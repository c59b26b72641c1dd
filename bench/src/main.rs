//! `cargo xtask bench` runs this after building the console, the server and the baseline
//! page (see xtask). It measures the bundle, browser timings beside a vanilla-JS baseline,
//! memory over many page turns, the fleet scan, the proxy beside direct and nginx, the
//! emulator core, rollouts, the audit log and live-update streams; prints a table and writes BENCHMARKS.md. Nothing here is a test: no
//! timing is asserted.

mod audit;
mod browser;
mod bundle;
mod emulator;
mod index;
mod load;
mod outage;
mod report;
mod rollouts;
mod servers;
mod stats;
mod streams;
mod uploads;

use std::path::PathBuf;
use std::process::ExitCode;

use base64::Engine;
use clap::Parser;
use console_e2e::harness::{free_port, sample_nginx_server_block, start_nginx, start_server};

use crate::browser::{BASELINE, CONSOLE};
use crate::report::{Budgets, ProxyRow, Report};
use crate::servers::{ACCOUNT_SID, AUTH_TOKEN, emulator_and_proxy};

#[derive(Parser)]
struct Args {
    /// The built console with the baseline page under `baseline/` (xtask prepares it).
    #[arg(long, env = "CONSOLE_DIST")]
    site: PathBuf,
    /// The static demo site (with the emulator in the page), for its bundle size.
    #[arg(long, env = "CONSOLE_STATIC_SITE")]
    static_site: PathBuf,
    /// One run of each measure at small sizes, to check the benchmark still works (what
    /// `cargo xtask test` runs); the figures mean little.
    #[arg(long)]
    quick: bool,
    /// Where to write the report.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    /// Cold loads per page.
    #[arg(long, default_value_t = 11)]
    runs: usize,
    /// Next-page clicks per page size.
    #[arg(long, default_value_t = 15)]
    clicks: usize,
    /// Page turns for the memory check.
    #[arg(long, default_value_t = 200)]
    turns: usize,
    /// Devices in the emulated fleet for the scan and the emulator's list latency.
    #[arg(long, default_value_t = 100_000)]
    fleet: usize,
    /// Rounds of the three proxy measurements, interleaved.
    #[arg(long, default_value_t = 3)]
    proxy_rounds: usize,
    /// Measure one part only (`browser`, `proxy`, `rollouts`, `audit`, `uploads`, `index`,
    /// `streams`, `outage` or `emulator`; the bundle always), while working on it. The report then has only that part.
    #[arg(long)]
    only: Option<String>,
    /// How the run was started, for the report.
    #[arg(long, default_value = "cargo xtask bench")]
    command: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<(), String> {
    let quick = Args {
        runs: 1,
        clicks: 2,
        turns: 30,
        fleet: 5_000,
        proxy_rounds: 1,
        site: args.site.clone(),
        static_site: args.static_site.clone(),
        out: args.out.clone(),
        command: args.command.clone(),
        only: args.only.clone(),
        quick: true,
    };
    let args = if args.quick { &quick } else { args };
    let mut report = Report::new(&args.command);

    println!("bench: bundle");
    report.bundle = bundle::measure(&args.site)?;
    report.static_bundle = bundle::measure(&args.static_site)?;
    report.lazy_bundle = bundle::lazy(&args.site)?;
    report.static_lazy_bundle = bundle::lazy(&args.static_site)?;

    let wants = |part: &str| args.only.as_deref().is_none_or(|only| only == part);
    if wants("browser") {
        browser_part(args, &mut report).await?;
    }
    if wants("proxy") {
        println!("bench: proxy, {} rounds", args.proxy_rounds);
        report.proxy = proxy(args).await?;
    }
    if wants("rollouts") {
        rollouts_part(args, &mut report).await?;
    }
    if wants("audit") {
        let (appends, writes) = if args.quick {
            (500, 100)
        } else {
            (20_000, 1_000)
        };
        println!("bench: audit appends, {appends} on SQLite and on PostgreSQL");
        report.audit_appends = audit::appends_on_each_store(appends).await?;
        println!("bench: what auditing adds to a proxied write, {writes} writes");
        report.audit_latency = Some(audit::write_latency(writes).await?);
    }
    if wants("uploads") {
        let (concurrent, reads) = if args.quick { (4, 3) } else { (20, 20) };
        println!("bench: {concurrent} uploads of a 1 MiB bundle at once through the proxy");
        report.uploads = Some(uploads::measure(concurrent, reads).await?);
    }
    if wants("index") {
        let (devices, runs, loads) = if args.quick {
            (20_000, 10, 2)
        } else {
            (1_000_000, 40, 5)
        };
        println!("bench: the fleet index of {devices} devices, on SQLite and on PostgreSQL");
        report.index = Some(index::measure(devices, runs, loads).await?);
    }
    if wants("streams") {
        let (streams, events) = if args.quick { (50, 3) } else { (1_000, 20) };
        println!("bench: {streams} event streams on one server, {events} events");
        report.streams = Some(streams::measure(streams, events).await?);
    }
    if wants("outage") {
        let (down, flips) = if args.quick { (20, 1) } else { (600, 3) };
        println!("bench: a webhook receiver down {down} s while a rule flips {flips} times");
        report.outage = Some(outage::measure(std::time::Duration::from_secs(down), flips).await?);
    }
    if wants("emulator") {
        println!("bench: emulator list latency at {} devices", args.fleet);
        report.emulator = Some(emulator::list_latency(args.fleet, 50));
    }

    let markdown = report.markdown(&Budgets::default());
    println!("\n{}", report.summary_table(&Budgets::default()));
    std::fs::write(&args.out, markdown)
        .map_err(|err| format!("cannot write {}: {err}", args.out.display()))?;
    println!("bench: wrote {}", args.out.display());
    Ok(())
}

/// Cold loads, page turns and memory beside the baseline, then the fleet scan and table.
async fn browser_part(args: &Args, report: &mut Report) -> Result<(), String> {
    let fleet = args.fleet.to_string();
    let (_server, base_url) =
        start_server(&["--devices", &fleet, "--update-failure-rate", "0"]).await;
    report.api_page = Some(bundle::api_page(&base_url).await?);
    println!("bench: cold loads, {} per page", args.runs);
    for page in [CONSOLE, BASELINE] {
        for page_size in [50, 1000] {
            let load = browser::cold_load(&base_url, page, page_size, args.runs).await;
            report.add_cold_load(page, page_size, load);
        }
    }
    println!("bench: next page, {} clicks per page size", args.clicks);
    for page in [CONSOLE, BASELINE] {
        for page_size in [50, 1000] {
            let turns = browser::next_page(&base_url, page, page_size, args.clicks).await;
            report.add_next_page(page, page_size, turns);
        }
    }
    println!("bench: memory over {} page turns", args.turns);
    for page in [CONSOLE, BASELINE] {
        // One run's growth moves by a few percent with the collector's timing: the console's
        // budget is held to the median of three.
        let runs = if page.name == CONSOLE.name && !args.quick {
            3
        } else {
            1
        };
        for _ in 0..runs {
            let memory = browser::memory(&base_url, page, args.turns).await;
            report.add_memory(page, memory);
        }
    }
    println!("bench: fleet scan and table of {} devices", args.fleet);
    let (scan, table) = browser::fleet(&base_url).await;
    report.scan = Some(scan);
    report.fleet_table = Some(table);

    Ok(())
}

/// Planning a rollout in-process, and console-server driving one at two concurrencies.
async fn rollouts_part(args: &Args, report: &mut Report) -> Result<(), String> {
    let (plan_devices, drive_devices) = if args.quick {
        (5_000, 500)
    } else {
        (100_000, 10_000)
    };
    println!("bench: planning a rollout of {plan_devices} devices");
    report.planning = Some(rollouts::planning(
        plan_devices,
        if args.quick { 1 } else { 5 },
    ));
    for concurrency in [4, 16] {
        println!(
            "bench: console-server driving a rollout of {drive_devices} devices at concurrency {concurrency}"
        );
        report
            .drives
            .push(rollouts::drive(drive_devices, concurrency).await?);
    }
    Ok(())
}

/// `GET /v1/Devices?PageSize=50` direct to an emulator, through console-server --upstream,
/// and through nginx with the sample config, all in front of the same emulator.
async fn proxy(args: &Args) -> Result<Vec<ProxyRow>, String> {
    let (_servers, emulator_url, proxy_url) = emulator_and_proxy(10_000).await;
    let port = free_port();
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"));
    let block = sample_nginx_server_block(port, &args.site, &emulator_url, &basic);
    let (_nginx, nginx_url) = start_nginx(&block, port).await;
    let mut rows = vec![
        ProxyRow::new("direct to the emulator", &emulator_url),
        ProxyRow::new("console-server --upstream", &proxy_url),
        ProxyRow::new("nginx (deploy/ sample config)", &nginx_url),
    ];
    for _ in 0..args.proxy_rounds {
        for row in &mut rows {
            let url = format!("{}/v1/Devices?PageSize=50", row.base_url);
            row.rounds.push(load::measure(&url).await?);
        }
    }
    Ok(rows)
}
