//! The fleet index at scale: an emulator of a million devices as its own process, and
//! console-server `--upstream` in front of it keeping the index, on SQLite and then on
//! PostgreSQL. A first pass (its time, and how much of it the store took), a pass after 1 %
//! of the devices changed, the server's resident memory during the first pass, the query API's
//! latencies, alert rules evaluated over the index, and the Fleet page in Chromium over it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use console_e2e::harness::{Group, Session, http_form, http_json, start_server_with_env};
use serde_json::Value;
use test_support::postgres::Postgres;

use console_core::freshness::grouped;

use crate::browser::act;
use crate::servers::{ACCOUNT_SID, AUTH_TOKEN, rss_of};
use crate::stats::Samples;

/// How long the bench leaves the server after its passes before timing queries.
const UPKEEP: Duration = Duration::from_secs(20);

/// A pass as the server recorded it.
#[derive(Debug, Clone, Default)]
pub struct PassFigures {
    pub ms: u64,
    /// Of which writing to the store (the rest is waiting on the API).
    pub store_ms: u64,
    pub listed: u64,
    pub written: u64,
}

impl PassFigures {
    fn of(pass: &Value) -> PassFigures {
        let int = |key: &str| pass[key].as_u64().unwrap_or(0);
        PassFigures {
            ms: int("finished_ms").saturating_sub(int("started_ms")),
            store_ms: int("store_ms"),
            listed: int("listed"),
            written: int("written"),
        }
    }
}

/// One store's figures.
pub struct Backend {
    pub store: &'static str,
    pub first: PassFigures,
    /// Devices renamed at the API before the second pass, and that pass.
    pub changed: usize,
    pub second: PassFigures,
    /// The server's resident memory before the first pass and at its highest during it.
    pub rss_before: u64,
    pub rss_peak: u64,
    /// A filtered, sorted page of 100; the whole summary; a free-text search.
    pub page_ms: Samples,
    pub summary_ms: Samples,
    pub search_ms: Samples,
    /// The summary asked each time with another `pending_hours`, so never remembered: what
    /// the first ask after a pass costs (a scan of the table).
    pub summary_cold_ms: Samples,
    /// Alert rules over the whole fleet, one evaluation each as the server timed it:
    /// "5 % or more in error", and "not reported for 24 h" (counted row by row).
    pub error_rule_ms: Samples,
    pub silent_rule_ms: Samples,
}

/// A rule's evaluations as the server times them: made, then changed `runs - 1` times (each
/// change is evaluated at once), each evaluation's `took_ms`.
async fn rule_evaluations(base: &str, condition: &str, runs: usize) -> Result<Samples, String> {
    let body = |n: usize| {
        format!(r#"{{"name":"bench rule {n}","scope":"fleet","condition":{condition}}}"#)
    };
    let (status, made) =
        http_json("POST", &format!("{base}/console/v1/alerts"), Some(&body(0))).await;
    if status != 201 {
        return Err(format!("a rule was not made: {status} {made}"));
    }
    let id = made["rule"]["id"].as_str().unwrap_or_default().to_owned();
    let mut samples = Vec::new();
    let mut last = 0;
    for n in 0..runs {
        if n > 0 {
            let path = format!("{base}/console/v1/alerts/{id}");
            http_json("POST", &path, Some(&body(n))).await;
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let (_, rule) = http_json("GET", &format!("{base}/console/v1/alerts/{id}"), None).await;
            let evaluated = rule["state"]["evaluated_ms"].as_i64().unwrap_or(0);
            if evaluated > last {
                last = evaluated;
                samples.push(rule["state"]["took_ms"].as_f64().unwrap_or(0.0));
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("the rule was not evaluated: {rule}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    http_json("DELETE", &format!("{base}/console/v1/alerts/{id}"), None).await;
    Ok(Samples(samples))
}

pub struct IndexBench {
    pub devices: usize,
    pub emulator_rss: u64,
    /// The whole list read once from the emulator, no store: the API's floor for a pass.
    pub list_ms: u64,
    pub backends: Vec<Backend>,
    /// The Fleet page: navigation to the summary and first rows painted; a filter keystroke
    /// to the new matches shown.
    pub first_paint_ms: Samples,
    pub keystroke_ms: Samples,
}

/// console-server `--upstream` in front of `emulator`, keeping the index in `database`,
/// passes only when asked (the bench asks).
async fn server_on(emulator: &str, database: &str) -> (Group, String) {
    start_server_with_env(
        &[
            "--upstream",
            emulator,
            "--database",
            database,
            "--index-interval",
            "86400",
        ],
        &[
            ("TWILIO_ACCOUNT_SID", ACCOUNT_SID),
            ("TWILIO_AUTH_TOKEN", AUTH_TOKEN),
        ],
    )
    .await
}

/// The last complete pass once one started after `after_ms`, sampling `pid`'s memory until
/// then; (the pass, the highest memory seen).
async fn pass_after(base: &str, after_ms: i64, pid: u32) -> Result<(Value, u64), String> {
    let peak = Arc::new(AtomicU64::new(rss_of(pid)));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let (peak, stop) = (Arc::clone(&peak), Arc::clone(&stop));
        async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_of(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(1800);
    let pass = loop {
        let (_, status) = http_json("GET", &format!("{base}/console/v1/fleet/status"), None).await;
        if status["complete"]["started_ms"]
            .as_i64()
            .is_some_and(|t| t > after_ms)
        {
            break status["complete"].clone();
        }
        if let Some(error) = status["latest"]["error"].as_str() {
            return Err(format!("a pass stopped: {error}"));
        }
        if Instant::now() > deadline {
            return Err(format!("no pass within 30 min: {status}"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    Ok((pass, peak.load(Ordering::Relaxed)))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `runs` GETs of `path`, each timed, request to whole answer.
async fn timed(base: &str, path: &str, runs: usize) -> Result<Samples, String> {
    timed_each(base, vec![path.to_owned(); runs]).await
}

/// A GET of each path in turn, each timed, request to whole answer.
async fn timed_each(base: &str, paths: Vec<String>) -> Result<Samples, String> {
    let client = reqwest::Client::new();
    let mut samples = Samples::default();
    for path in paths {
        let started = Instant::now();
        let response = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .map_err(|err| err.to_string())?;
        let status = response.status();
        response.bytes().await.map_err(|err| err.to_string())?;
        if !status.is_success() {
            return Err(format!("{path} answered {status}"));
        }
        samples.0.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(samples)
}

fn filter(json: &str) -> String {
    microvisor_api::url::encode_segment(json)
}

/// Renames `count` devices at the emulator (every `step`-th from `offset`), 16 at a time.
async fn rename_some(emulator: &str, count: usize, offset: usize, tag: &str) -> Result<(), String> {
    let client = reqwest::Client::new();
    let mut sids = Vec::with_capacity(count);
    let mut url = format!("{emulator}/v1/Devices?PageSize=1000");
    let mut at = 0usize;
    let step = 100;
    while sids.len() < count {
        let text = client
            .get(&url)
            .send()
            .await
            .map_err(|err| err.to_string())?
            .text()
            .await
            .map_err(|err| err.to_string())?;
        let page: Value = serde_json::from_str(&text).map_err(|err| err.to_string())?;
        for device in page["devices"].as_array().cloned().unwrap_or_default() {
            if at % step == offset && sids.len() < count {
                sids.push(device["sid"].as_str().unwrap_or_default().to_owned());
            }
            at += 1;
        }
        match page["meta"]["next_page_url"].as_str() {
            Some(next) => url = next.replace("https://microvisor.twilio.com", emulator),
            None => break,
        }
    }
    let chunks: Vec<Vec<String>> = sids
        .chunks(sids.len().div_ceil(16).max(1))
        .map(<[String]>::to_vec)
        .collect();
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let (emulator, tag) = (emulator.to_owned(), tag.to_owned());
            tokio::spawn(async move {
                for sid in chunk {
                    let (status, body) = http_form(
                        &format!("{emulator}/v1/Devices/{sid}"),
                        &format!("UniqueName={tag}-{sid}"),
                    )
                    .await;
                    if status != 200 {
                        return Err(format!("a rename answered {status}: {body}"));
                    }
                }
                Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await.map_err(|err| err.to_string())??;
    }
    Ok(())
}

/// One store: a first pass, 1 % renamed and a second pass, then the queries.
async fn backend(
    store: &'static str,
    emulator: &str,
    database: &str,
    devices: usize,
    offset: usize,
    runs: usize,
) -> Result<(Backend, Group, String), String> {
    let started = now_ms();
    let (server, base) = server_on(emulator, database).await;
    let rss_before = rss_of(server.pid());
    let (first, rss_peak) = pass_after(&base, started - 1, server.pid()).await?;
    let changed = devices / 100;
    println!(
        "bench: index on {store}: first pass in {} ms; renaming {changed}",
        PassFigures::of(&first).ms
    );
    rename_some(emulator, changed, offset, &format!("renamed{offset}")).await?;
    let asked = now_ms();
    let (status, _) = http_json(
        "POST",
        &format!("{base}/console/v1/fleet/refresh"),
        Some("{}"),
    )
    .await;
    if status != 202 {
        return Err(format!("refresh answered {status}"));
    }
    let (second, _) = pass_after(&base, asked, server.pid()).await?;
    // The queries are timed once the upkeep a big pass starts has ended (ANALYZE on SQLite,
    // VACUUM ANALYZE on PostgreSQL: seconds at a million devices), as an operator meets them.
    tokio::time::sleep(UPKEEP).await;
    let page = format!(
        "/console/v1/fleet/devices?limit=100&sort=updated&desc=1&filter={}",
        filter(r#"{"status":"pending"}"#)
    );
    let search = format!(
        "/console/v1/fleet/devices?limit=100&filter={}",
        filter(r#"{"text":"osaka-pump-1"}"#)
    );
    let backend = Backend {
        store,
        first: PassFigures::of(&first),
        changed,
        second: PassFigures::of(&second),
        rss_before,
        rss_peak,
        page_ms: timed(&base, &page, runs).await?,
        summary_ms: timed(&base, "/console/v1/fleet/summary", runs).await?,
        search_ms: timed(&base, &search, runs).await?,
        summary_cold_ms: timed_each(
            &base,
            (1..=runs)
                .map(|hours| format!("/console/v1/fleet/summary?pending_hours={hours}"))
                .collect(),
        )
        .await?,
        error_rule_ms: rule_evaluations(
            &base,
            r#"{"kind":"error_percent","at_least":5}"#,
            runs.min(5),
        )
        .await?,
        silent_rule_ms: rule_evaluations(
            &base,
            r#"{"kind":"not_reported","hours":24}"#,
            runs.min(5),
        )
        .await?,
    };
    Ok((backend, server, base))
}

/// The Fleet page over the index at `base`: cold navigations to the counts and first rows,
/// then keystrokes in the search box.
async fn fleet_page(base: &str, devices: usize, runs: usize) -> (Samples, Samples) {
    let session = Session::browse(base.to_owned()).await;
    let total = grouped(devices as u64);
    let mut paint = Samples::default();
    for _ in 0..runs {
        session.open("/fleet").await;
        let script = format!(
            "const done = arguments[0];
             const ready = () => {{
               const count = document.querySelector('.toolbar .muted');
               return count && count.textContent === '{total} matching'
                 && document.querySelector('.summary .chips button')
                 && document.querySelector('table.devices tbody tr[data-sid]');
             }};
             const check = () => ready() ? done(performance.now()) : (performance.now() > 30000 ? done(null) : requestAnimationFrame(check));
             check();"
        );
        let at = session
            .client
            .execute_async(&script, Vec::new())
            .await
            .expect("the paint script ran");
        paint.0.push(
            at.as_f64()
                .expect("the Fleet page painted its counts and rows"),
        );
    }
    let mut keys = Samples::default();
    for typed in ["osaka", "lima", "pump-12", "gateway", "berlin-v", ""] {
        keys.0
            .push(act(&session, &format!("key:{typed}"), ".toolbar .muted").await);
    }
    session.close().await;
    (paint, keys)
}

/// The API's share of a pass: every page of the list, one after another as a pass reads
/// them, straight from the emulator, decoded; ms.
async fn list_all(emulator: &str) -> Result<u64, String> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut url = Some(format!("{emulator}/v1/Devices?PageSize=1000"));
    while let Some(next) = url.take() {
        let body = client
            .get(&next)
            .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
            .send()
            .await
            .map_err(|err| err.to_string())?
            .bytes()
            .await
            .map_err(|err| err.to_string())?;
        let page: Value = serde_json::from_slice(&body).map_err(|err| err.to_string())?;
        url = page["meta"]["next_page_url"].as_str().map(str::to_owned);
    }
    Ok(started.elapsed().as_millis() as u64)
}

/// The whole measure: `devices` in the emulator, each store in turn.
pub async fn measure(devices: usize, runs: usize, page_runs: usize) -> Result<IndexBench, String> {
    let (emulator, emulator_url) =
        console_e2e::harness::start_server(&["--devices", &devices.to_string()]).await;
    let emulator_rss = rss_of(emulator.pid());
    let list_ms = list_all(&emulator_url).await?;
    let sqlite_dir = std::env::temp_dir().join(format!("bench-index-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&sqlite_dir);
    let sqlite = format!("sqlite:{}", sqlite_dir.join("console.db").display());
    let (on_sqlite, server, base) =
        backend("SQLite", &emulator_url, &sqlite, devices, 1, runs).await?;
    println!("bench: the Fleet page over the index of {devices}");
    let (first_paint_ms, keystroke_ms) = fleet_page(&base, devices, page_runs).await;
    drop(server);
    let postgres = Postgres::start()?;
    let database = postgres.database("bench_index")?;
    let (on_postgres, server, _) =
        backend("PostgreSQL", &emulator_url, &database, devices, 2, runs).await?;
    drop(server);
    let _ = std::fs::remove_dir_all(&sqlite_dir);
    Ok(IndexBench {
        devices,
        emulator_rss,
        list_ms,
        backends: vec![on_sqlite, on_postgres],
        first_paint_ms,
        keystroke_ms,
    })
}
