//! Demo mode: the emulator core answers inside the page, with no server. Its state is kept in
//! localStorage, so a rename survives a reload, until "Reset demo".

use std::cell::RefCell;

use microvisor_api::url::split_origin;
use microvisor_sim::{Emulator, Method, RecordKind, SimConfig, SimRequest};

use super::{Call, HttpMethod, RawResponse};
use crate::web;

const STATE_KEY: &str = "microvisor-console.demo-state";

thread_local! {
    static DEMO: RefCell<Option<Emulator>> = const { RefCell::new(None) };
}

fn now_ms() -> i64 {
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

/// Answers one request the way the emulator behind a server would.
pub fn send(call: &Call<'_>) -> RawResponse {
    let (origin, rest) = split_origin(call.url).unwrap_or_default();
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    DEMO.with(|cell| {
        let mut slot = cell.borrow_mut();
        let emulator = slot.get_or_insert_with(load);
        let answer = emulator.handle(&SimRequest {
            method: method(call.method),
            origin: &origin,
            path,
            query,
            authorization: call.authorization,
            content_type: call.form.map(|_| "application/x-www-form-urlencoded"),
            body: call.form.unwrap_or("").as_bytes(),
            now_ms: now_ms(),
        });
        if !emulator.take_changes().is_empty() {
            save(emulator);
        }
        RawResponse {
            status: answer.status,
            status_text: String::new(),
            retry_after: None,
            text: answer.body,
        }
    })
}

/// Forgets every change: the next request meets the freshly seeded fleet.
pub fn reset() {
    web::forget(web::local_storage(), STATE_KEY);
    DEMO.with(|cell| *cell.borrow_mut() = None);
}
