//! Demo mode: the emulator core answers inside the page, with no server. Its state is kept in
//! localStorage, so a rename survives a reload, until "Reset demo". The demo can also play an
//! unreliable network (a fifth of requests fail, 300 ms each), planned by the emulator core's
//! fault plan as the server's `--fault-rate` is.

pub mod audit;
pub mod console;

use std::cell::RefCell;

use microvisor_api::url::split_origin;
use microvisor_sim::faults::{Fault, FaultPlan};
use microvisor_sim::{Emulator, Method, RecordKind, SimConfig, SimRequest};

use super::{Body, Call, HttpMethod, RawResponse};
use crate::api::ApiError;
use crate::web;

const STATE_KEY: &str = "microvisor-console.demo-state";
const NETWORK_KEY: &str = "microvisor-console.demo-network";

/// The unreliable network the demo can play: as `--fault-rate 0.2 --latency-ms 300`.
const UNRELIABLE_RATE: f64 = 0.2;
const UNRELIABLE_LATENCY_MS: u64 = 300;

thread_local! {
    static DEMO: RefCell<Option<Emulator>> = const { RefCell::new(None) };
    static NETWORK: RefCell<FaultPlan> = RefCell::new(network(unreliable()));
}

fn network(unreliable: bool) -> FaultPlan {
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
    NETWORK.with(|plan| *plan.borrow_mut() = network(on));
}

/// The next requests fail with these faults, in order: for tests of what the console does then.
pub fn script_faults(faults: impl IntoIterator<Item = Fault>) {
    NETWORK.with(|plan| plan.borrow_mut().script(faults));
}

pub(super) fn now_ms() -> i64 {
    js_sys::Date::now() as i64
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

fn method(method: HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::Get,
        HttpMethod::Post => Method::Post,
        HttpMethod::Delete => Method::Delete,
    }
}

/// Answers one request the way the emulator behind a server would, through the demo's network.
/// The console's own API (views, rollouts) is answered by the page's console service, as the
/// server answers it apart from `/v1`.
pub async fn send(call: &Call<'_>) -> Result<RawResponse, ApiError> {
    let (_, rest) = split_origin(call.url).unwrap_or_default();
    if let Some(path) = rest.strip_prefix(&crate::web::site_path(console_protocol::CONSOLE_API)) {
        let (resource, _) = path.split_once('?').unwrap_or((path, ""));
        let audited = format!("{}{resource}", console_protocol::CONSOLE_API);
        return Ok(audit::around(call.method, &audited, call.body, || {
            console::answer(call.method, path, call.body.map_or("", Body::text))
        }));
    }
    let (delay, fault) = NETWORK.with(|plan| plan.borrow_mut().roll());
    if delay > 0 {
        web::sleep(delay).await;
    }
    match fault.map(|fault| (fault, fault.response())) {
        // A request the network dropped never reached the emulator: nothing to record.
        None => {
            let (path, _) = rest.split_once('?').unwrap_or((rest, ""));
            Ok(audit::around(call.method, path, call.body, || answer(call)))
        }
        Some((fault, Some(response))) => Ok(RawResponse {
            status: response.status,
            status_text: String::new(),
            retry_after: fault.retry_after().map(|seconds| seconds.to_string()),
            body: response.body.into_bytes(),
        }),
        Some((_, None)) => Err(ApiError::Network(
            "the connection dropped (the demo's unreliable network)".to_owned(),
        )),
    }
}

fn answer(call: &Call<'_>) -> RawResponse {
    let (origin, rest) = split_origin(call.url).unwrap_or_default();
    emulator_answer(&origin, call.method, rest, call.body, call.authorization)
}

/// The emulator's answer to one request (`rest` is the path and query), its changes saved.
pub(super) fn emulator_answer(
    origin: &str,
    http_method: HttpMethod,
    rest: &str,
    body: Option<Body<'_>>,
    authorization: Option<&str>,
) -> RawResponse {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    DEMO.with(|cell| {
        let mut slot = cell.borrow_mut();
        let emulator = slot.get_or_insert_with(load);
        let answer = emulator.handle(&SimRequest {
            method: method(http_method),
            origin,
            path,
            query,
            authorization,
            content_type: body.map(Body::content_type),
            body: body.map_or("", Body::text).as_bytes(),
            now_ms: now_ms(),
        });
        if !emulator.take_changes().is_empty() {
            save(emulator);
        }
        RawResponse {
            status: answer.status,
            status_text: String::new(),
            retry_after: None,
            body: answer.body.into_bytes(),
        }
    })
}

/// Forgets every change: the next request meets the freshly seeded fleet, with no saved views,
/// rollouts or audit entries.
pub fn reset() {
    web::forget(web::local_storage(), STATE_KEY);
    console::reset();
    audit::reset();
    DEMO.with(|cell| *cell.borrow_mut() = None);
}
