//! The emulator core in-process, without HTTP: how long one list request takes in a large
//! fleet, over a walk of every page.

use std::time::Instant;

use microvisor_sim::{Emulator, Method, SimConfig, SimRequest};
use serde_json::Value;

use crate::stats::Samples;

pub struct ListLatency {
    pub devices: usize,
    pub page_size: u32,
    pub latency: Samples,
}

pub fn list_latency(devices: usize, page_size: u32) -> ListLatency {
    let now_ms = 1_800_000_000_000;
    let config = SimConfig {
        devices,
        ..SimConfig::default()
    };
    let mut emulator = Emulator::new(&config, now_ms);
    let mut query = format!("PageSize={page_size}");
    let mut latency = Samples::default();
    loop {
        let started = Instant::now();
        let response = emulator.handle(&SimRequest {
            method: Method::Get,
            origin: "http://127.0.0.1",
            path: "/v1/Devices",
            query: &query,
            authorization: None,
            content_type: None,
            body: &[],
            now_ms,
        });
        latency.0.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(response.status, 200, "{}", response.body);
        let page: Value = serde_json::from_str(&response.body).expect("a JSON page");
        let next = page["meta"]["next_page_url"].as_str().map(str::to_owned);
        match next.and_then(|url| url.split_once('?').map(|(_, query)| query.to_owned())) {
            Some(next_query) => query = next_query,
            None => break,
        }
    }
    ListLatency {
        devices,
        page_size,
        latency,
    }
}
