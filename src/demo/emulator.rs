//! The emulator core inside the page, as the demo's `/v1`: its state kept in localStorage (a
//! rename survives a reload, until "Reset demo"), and the unreliable network the demo can
//! play (a fifth of requests fail, 300 ms each), planned by the emulator core's fault plan as
//! the server's `--fault-rate` is.

use std::cell::RefCell;

use microvisor_sim::faults::{Fault, FaultPlan};
use microvisor_sim::{Emulator, Method, RecordKind, SimConfig, SimRequest, Upload};

use super::wire::{Answer, UploadRequest};
use crate::browser::web::{self, now_ms};

const STATE_KEY: &str = "microvisor-console.demo-state";
const NETWORK_KEY: &str = "microvisor-console.demo-network";

/// The unreliable network the demo can play: as `--fault-rate 0.2 --latency-ms 300`.
const UNRELIABLE_RATE: f64 = 0.2;
const UNRELIABLE_LATENCY_MS: u64 = 300;

thread_local! {
    static DEMO: RefCell<Option<Emulator>> = const { RefCell::new(None) };
    static NETWORK: RefCell<FaultPlan> = RefCell::new(plan_for(unreliable()));
}

fn plan_for(unreliable: bool) -> FaultPlan {
    if unreliable {
        FaultPlan::new(
            UNRELIABLE_RATE,
            UNRELIABLE_LATENCY_MS,
            js_sys::Date::now() as u64,
        )
    } else {
        FaultPlan::none()
    }
}

/// Whether the demo plays an unreliable network (remembered on this device).
pub fn unreliable() -> bool {
    web::stored(web::local_storage(), NETWORK_KEY).as_deref() == Some("unreliable")
}

pub fn set_unreliable(on: bool) {
    if on {
        web::store(web::local_storage(), NETWORK_KEY, "unreliable");
    } else {
        web::forget(web::local_storage(), NETWORK_KEY);
    }
    NETWORK.with(|plan| *plan.borrow_mut() = plan_for(on));
}

/// The next requests fail with these faults, in order: for tests of what the console does then.
pub fn script_faults(faults: impl IntoIterator<Item = Fault>) {
    NETWORK.with(|plan| plan.borrow_mut().script(faults));
}

/// The saved demo, or a freshly seeded one when there is none (or it cannot be read).
fn load() -> Emulator {
    let config = SimConfig::default();
    let saved = web::stored(web::local_storage(), STATE_KEY)
        .and_then(|text| serde_json::from_str::<Vec<(String, String)>>(&text).ok())
        .map(|records| {
            records
                .into_iter()
                .filter_map(|(kind, json)| Some((RecordKind::parse(&kind)?, json)))
                .collect::<Vec<_>>()
        })
        .and_then(|records| Emulator::import(config.lifecycle, &records).ok());
    saved.unwrap_or_else(|| Emulator::new(&config, now_ms()))
}

fn save(emulator: &Emulator) {
    let records: Vec<(&str, String)> = emulator
        .export()
        .into_iter()
        .filter_map(|record| Some((record.kind.as_str(), record.json?)))
        .collect();
    if let Ok(text) = serde_json::to_string(&records) {
        web::store(web::local_storage(), STATE_KEY, &text);
    }
}

/// The fault the demo's network plays for the next request, after its latency: `None` lets it
/// through.
pub async fn network() -> Option<Fault> {
    let (delay, fault) = NETWORK.with(|plan| plan.borrow_mut().roll());
    if delay > 0 {
        web::sleep(delay).await;
    }
    fault
}

/// The emulator's answer to one request (`rest` is the path and query), its changes saved.
pub fn answer(
    origin: &str,
    method: Method,
    rest: &str,
    body: Option<(&str, &str)>,
    authorization: Option<&str>,
) -> Answer {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    DEMO.with(|cell| {
        let mut slot = cell.borrow_mut();
        let emulator = slot.get_or_insert_with(load);
        let answer = emulator.handle(&SimRequest {
            method,
            origin,
            path,
            query,
            authorization,
            content_type: body.map(|(content_type, _)| content_type),
            body: body.map_or("", |(_, text)| text).as_bytes(),
            now_ms: now_ms(),
        });
        if !emulator.take_changes().is_empty() {
            save(emulator);
        }
        Answer {
            status: answer.status,
            retry_after: None,
            body: answer.body.into_bytes(),
        }
    })
}

/// Creates the app of an upload whose bundle read, its changes saved.
pub fn add_app(
    origin: &str,
    manifest: &app_bundle::Manifest,
    request: &UploadRequest<'_>,
) -> Answer {
    DEMO.with(|cell| {
        let mut slot = cell.borrow_mut();
        let emulator = slot.get_or_insert_with(load);
        let answer = emulator.add_app(&Upload {
            manifest,
            unique_name: request.unique_name,
            authorization: request.authorization,
            origin,
            now_ms: now_ms(),
        });
        if !emulator.take_changes().is_empty() {
            save(emulator);
        }
        Answer {
            status: answer.status,
            retry_after: None,
            body: answer.body.into_bytes(),
        }
    })
}

/// Forgets the emulator's state: the next request meets the freshly seeded fleet.
pub fn reset() {
    web::forget(web::local_storage(), STATE_KEY);
    DEMO.with(|cell| *cell.borrow_mut() = None);
}
