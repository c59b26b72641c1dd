//! Rollouts: planning a large one with the pure engine in-process, and console-server driving
//! one against its emulator with no update delay, as devices per second.

use std::time::{Duration, Instant};

use console_e2e::harness::{http_json, start_server};
use fleet_engine::DeviceFilter;
use fleet_engine::rollout::Change;
use fleet_engine::rollout::planning::{Selection, plan};
use microvisor_api::{App, Device, ListPage};
use microvisor_sim::{Emulator, Method, SimConfig, SimRequest};
use serde_json::json;

use crate::stats::Samples;

pub struct Planning {
    pub devices: usize,
    pub ms: Samples,
}

pub struct Drive {
    pub devices: usize,
    pub concurrency: u32,
    pub seconds: f64,
}

impl Drive {
    pub fn per_second(&self) -> f64 {
        self.devices as f64 / self.seconds
    }
}

/// Every item of a list, page by page, straight from the emulator core.
fn walk<T: serde::de::DeserializeOwned + microvisor_api::ListResource>(
    emulator: &mut Emulator,
    path: &str,
    now_ms: i64,
) -> Vec<T> {
    let mut items = Vec::new();
    let mut query = "PageSize=1000".to_owned();
    loop {
        let response = emulator.handle(&SimRequest {
            method: Method::Get,
            origin: "http://127.0.0.1",
            path,
            query: &query,
            authorization: None,
            content_type: None,
            body: &[],
            now_ms,
        });
        let page: ListPage<T> = serde_json::from_str(&response.body).expect("a page");
        items.extend(page.items);
        match page
            .meta
            .next_page_url
            .and_then(|url| url.split_once('?').map(|(_, q)| q.to_owned()))
        {
            Some(next) => query = next,
            None => return items,
        }
    }
}

/// Plans (selects, phases, previews) a rollout of every device of a fleet of `devices`,
/// `runs` times.
pub fn planning(devices: usize, runs: usize) -> Planning {
    let now_ms = 1_800_000_000_000;
    let mut emulator = Emulator::new(
        &SimConfig {
            devices,
            ..SimConfig::default()
        },
        now_ms,
    );
    let fleet: Vec<Device> = walk(&mut emulator, "/v1/Devices", now_ms);
    let apps: Vec<App> = walk(&mut emulator, "/v1/Apps", now_ms);
    let target = apps[0].sid.clone().expect("an app SID");
    let canary: fleet_engine::rollout::Plan = serde_json::from_value(json!({"phases": [
        {"size": {"kind": "count", "value": 1}},
        {"size": {"kind": "percent", "value": 10}},
        {"size": {"kind": "percent", "value": 50}},
        {"size": {"kind": "percent", "value": 100}}
    ]}))
    .expect("a plan");
    let filter = DeviceFilter::default();
    let mut ms = Samples::default();
    for _ in 0..runs {
        let started = Instant::now();
        let planned = plan(
            "RObench".to_owned(),
            "bench",
            Change::TargetApp,
            &target,
            &apps,
            fleet.clone(),
            Selection::Filter(&filter),
            canary.clone(),
            now_ms,
        )
        .expect("a plan that runs");
        let preview = planned.preview();
        ms.0.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(preview.devices, devices);
    }
    Planning { devices, ms }
}

/// console-server with `devices` emulated devices that update at once and never fail, driving
/// one single-phase rollout of all of them at `concurrency`: created to completed.
pub async fn drive(devices: usize, concurrency: u32) -> Result<Drive, String> {
    let count = devices.to_string();
    let (_server, base) = start_server(&[
        "--devices",
        &count,
        "--update-delay-ms",
        "0",
        "--update-failure-rate",
        "0",
        "--rollout-poll-ms",
        "100",
    ])
    .await;
    let (_, apps) = http_json("GET", &format!("{base}/v1/Apps?PageSize=50"), None).await;
    let target = apps["apps"][0]["sid"]
        .as_str()
        .ok_or("the emulator listed no app")?
        .to_owned();
    let body = json!({
        "name": format!("bench at {concurrency}"),
        "target_app": target,
        "source": {"kind": "filter", "filter": {}},
        "plan": {"phases": [{"size": {"kind": "percent", "value": 100}}],
                 "concurrency": concurrency, "error_threshold": {"kind": "percent", "value": 100}}
    });
    let started = Instant::now();
    let (status, created) = http_json(
        "POST",
        &format!("{base}/console/v1/rollouts"),
        Some(&body.to_string()),
    )
    .await;
    if status != 201 {
        return Err(format!("creating the rollout: {status} {created}"));
    }
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let written = created["device_count"]
        .as_u64()
        .map_or(devices, |n| n as usize);
    loop {
        let (_, rollouts) = http_json("GET", &format!("{base}/console/v1/rollouts"), None).await;
        let state = rollouts["rollouts"]
            .as_array()
            .and_then(|all| all.iter().find(|r| r["id"] == id.as_str()))
            .map(|r| r["status"]["state"].clone());
        match state.as_ref().and_then(|s| s.as_str()) {
            Some("completed") => break,
            Some("halted" | "aborted") => return Err(format!("the rollout ended {state:?}")),
            _ => {}
        }
        if started.elapsed() > Duration::from_secs(1800) {
            return Err("the rollout did not finish in 30 minutes".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Drive {
        devices: written,
        concurrency,
        seconds: started.elapsed().as_secs_f64(),
    })
}
