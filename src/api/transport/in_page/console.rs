//! The demo's console service: what console-server answers under `/console/v1` (saved views,
//! rollouts), answered in the page, kept in localStorage. Rollouts are driven by the same
//! engine as on the server, one turn at a time while the tab is open (`drive`).
//!
//! A turn runs to completion in one task: the browser cannot stop it halfway, so the emulator's
//! state and the rollouts' are saved together at its end, and a write is never repeated after
//! a reload. A rollout left with a write of unknown result is checked first, as after a crash.

use std::cell::RefCell;
use std::collections::{BTreeSet, VecDeque};

use console_protocol::{
    NewRollout, RolloutControl, RolloutList, RolloutSource, RolloutSummary, SavedView, ViewInput,
    ViewList,
};
use fleet_engine::rollout::planning::{self, Planned, Selection};
use fleet_engine::rollout::{Action, Control, Input, Rollout, WriteResult};
use microvisor_api::error::codes;
use microvisor_api::url::{encode_segment, split_origin};
use microvisor_api::{ApiErrorBody, App, Device, DeviceUpdate, ListPage, PageQuery};
use serde::Serialize;

use super::super::{Body, HttpMethod, RawResponse};
use super::{audit, emulator_answer, now_ms};
use crate::web;

const VIEWS_KEY: &str = "microvisor-console.demo-views";
const ROLLOUTS_KEY: &str = "microvisor-console.demo-rollouts";

thread_local! {
    /// Controls asked for, applied at the next turn (as the server's runner does).
    static CONTROLS: RefCell<Vec<(String, Control)>> = const { RefCell::new(Vec::new()) };
    /// Rollouts this page has driven: one it has not met yet may have writes out from before.
    static MET: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

fn load<T: serde::de::DeserializeOwned + Default>(key: &str) -> T {
    web::stored(web::local_storage(), key)
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

fn keep<T: Serialize>(key: &str, value: &T) {
    if let Ok(text) = serde_json::to_string(value) {
        web::store(web::local_storage(), key, &text);
    }
}

pub fn reset() {
    web::forget(web::local_storage(), VIEWS_KEY);
    web::forget(web::local_storage(), ROLLOUTS_KEY);
    CONTROLS.with(|controls| controls.borrow_mut().clear());
    MET.with(|met| met.borrow_mut().clear());
}

fn json<T: Serialize>(status: u16, value: &T) -> RawResponse {
    RawResponse {
        status,
        status_text: String::new(),
        retry_after: None,
        body: serde_json::to_vec(value).unwrap_or_default(),
    }
}

fn error(status: u16, code: i64, message: &str) -> RawResponse {
    RawResponse {
        status,
        status_text: String::new(),
        retry_after: None,
        body: ApiErrorBody::new(status, code, message)
            .to_json()
            .into_bytes(),
    }
}

fn invalid(message: &str) -> RawResponse {
    error(400, codes::INVALID_PARAMETER, message)
}

fn not_found(what: &str) -> RawResponse {
    error(404, codes::NOT_FOUND, &format!("No {what} with that id."))
}

/// An id that no other in this browser has: the time and a random part.
fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}{:012x}{:08x}",
        now_ms(),
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32
    )
}

fn decode<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, RawResponse> {
    serde_json::from_str(body).map_err(|err| invalid(&err.to_string()))
}

/// Answers `method path` (the path after `/console/v1`) with `body` (JSON).
pub fn answer(method: HttpMethod, path: &str, body: &str) -> RawResponse {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let result = match (method, segments.as_slice()) {
        (HttpMethod::Get, ["audit"]) => Ok(json(200, &audit::list(query))),
        (HttpMethod::Post, ["audit", "verify"]) => Ok(json(200, &audit::verify())),
        (HttpMethod::Get, ["views"]) => Ok(json(
            200,
            &ViewList {
                views: load(VIEWS_KEY),
            },
        )),
        (HttpMethod::Post, ["views"]) => decode(body).and_then(|input| create_view(&input)),
        (HttpMethod::Post, ["views", id]) => decode(body).and_then(|input| update_view(id, &input)),
        (HttpMethod::Delete, ["views", id]) => delete_view(id),
        (HttpMethod::Get, ["rollouts"]) => {
            let rollouts: Vec<Rollout> = load(ROLLOUTS_KEY);
            Ok(json(
                200,
                &RolloutList {
                    rollouts: rollouts.iter().rev().map(RolloutSummary::of).collect(),
                },
            ))
        }
        (HttpMethod::Post, ["rollouts", "preview"]) => decode(body)
            .and_then(|request| plan(request).map(|planned| json(200, &planned.preview()))),
        (HttpMethod::Post, ["rollouts"]) => decode(body).and_then(create_rollout),
        (HttpMethod::Get, ["rollouts", id]) => load::<Vec<Rollout>>(ROLLOUTS_KEY)
            .into_iter()
            .find(|r| r.id == *id)
            .map(|rollout| json(200, &rollout))
            .ok_or_else(|| not_found("rollout")),
        (HttpMethod::Post, ["rollouts", id, "control"]) => {
            decode(body).and_then(|input: RolloutControl| {
                let known = load::<Vec<Rollout>>(ROLLOUTS_KEY)
                    .iter()
                    .any(|r| r.id == *id);
                if !known {
                    return Err(not_found("rollout"));
                }
                CONTROLS.with(|controls| {
                    controls
                        .borrow_mut()
                        .push(((*id).to_owned(), input.control))
                });
                Ok(json(202, &serde_json::Value::Null))
            })
        }
        _ => Err(not_found("such resource")),
    };
    result.unwrap_or_else(|response| response)
}

fn create_view(input: &ViewInput) -> Result<RawResponse, RawResponse> {
    let name = input.valid_name().map_err(invalid)?;
    let now = now_ms();
    let view = SavedView {
        id: new_id("VW"),
        name,
        filter: input.filter.clone().unwrap_or_default(),
        created_by: "demo".to_owned(),
        created_ms: now,
        updated_ms: now,
    };
    let mut views: Vec<SavedView> = load(VIEWS_KEY);
    views.push(view.clone());
    keep(VIEWS_KEY, &views);
    Ok(json(201, &view))
}

fn update_view(id: &str, input: &ViewInput) -> Result<RawResponse, RawResponse> {
    let name = input.valid_name().map_err(invalid)?;
    let mut views: Vec<SavedView> = load(VIEWS_KEY);
    let view = views
        .iter_mut()
        .find(|v| v.id == id)
        .ok_or_else(|| not_found("view"))?;
    view.name = name;
    if let Some(filter) = &input.filter {
        view.filter = filter.clone();
    }
    view.updated_ms = now_ms();
    let answer = json(200, view);
    keep(VIEWS_KEY, &views);
    Ok(answer)
}

fn delete_view(id: &str) -> Result<RawResponse, RawResponse> {
    let mut views: Vec<SavedView> = load(VIEWS_KEY);
    let before = views.len();
    views.retain(|v| v.id != id);
    if views.len() == before {
        return Err(not_found("view"));
    }
    keep(VIEWS_KEY, &views);
    Ok(json(204, &serde_json::Value::Null))
}

/// The emulator's answer to a read, decoded.
fn read<T: serde::de::DeserializeOwned>(rest: &str) -> Result<T, RawResponse> {
    let answer = emulator_answer(&web::page_origin(), HttpMethod::Get, rest, None, None);
    if answer.status != 200 {
        return Err(answer);
    }
    serde_json::from_slice(&answer.body)
        .map_err(|err| error(500, codes::INTERNAL, &err.to_string()))
}

/// Every device in the demo fleet, following the list's own links.
fn all_devices() -> Result<Vec<Device>, RawResponse> {
    let mut devices = Vec::new();
    let mut next = Some(format!("/v1/Devices?{}", PageQuery::first(1000)));
    while let Some(rest) = next.take() {
        let page: ListPage<Device> = read(&rest)?;
        devices.extend(page.items);
        next = page
            .meta
            .next_page_url
            .as_deref()
            .and_then(split_origin)
            .map(|(_, rest)| rest.to_owned());
    }
    Ok(devices)
}

fn plan(request: NewRollout) -> Result<Planned, RawResponse> {
    let apps: ListPage<App> = read(&format!("/v1/Apps?{}", PageQuery::first(1000)))?;
    let fleet = all_devices()?;
    let view;
    let selection = match &request.source {
        RolloutSource::Devices { sids } => Selection::Sids(sids),
        RolloutSource::Filter { filter } => Selection::Filter(filter),
        RolloutSource::View { id } => {
            let views: Vec<SavedView> = load(VIEWS_KEY);
            view = views
                .into_iter()
                .find(|v| v.id == *id)
                .ok_or_else(|| not_found("view"))?;
            Selection::Filter(&view.filter)
        }
    };
    planning::plan(
        new_id("RO"),
        &request.name,
        &request.target_app,
        &apps.items,
        fleet,
        selection,
        request.plan,
        now_ms(),
    )
    .map_err(|err| invalid(&err.to_string()))
}

fn create_rollout(request: NewRollout) -> Result<RawResponse, RawResponse> {
    let rollout = plan(request)?.rollout;
    let mut rollouts: Vec<Rollout> = load(ROLLOUTS_KEY);
    rollouts.push(rollout.clone());
    keep(ROLLOUTS_KEY, &rollouts);
    MET.with(|met| met.borrow_mut().insert(rollout.id.clone()));
    Ok(json(201, &RolloutSummary::of(&rollout)))
}

/// One write of the rollout `id`, recorded in the demo's audit log as the server records it.
fn write(id: &str, sid: &str, target: &str) -> WriteResult {
    let form = DeviceUpdate {
        target_app: Some(target.to_owned()),
        ..DeviceUpdate::default()
    }
    .to_form();
    let started = now_ms();
    let answer = emulator_answer(
        &web::page_origin(),
        HttpMethod::Post,
        &format!("/v1/Devices/{}", encode_segment(sid)),
        Some(Body::Form(&form)),
        None,
    );
    let at_ms = now_ms();
    audit::append(&audit_log::rollout_write(
        at_ms,
        id,
        sid,
        target,
        answer.status,
        audit_log::error_code(answer.status, &answer.body),
        at_ms - started,
    ));
    planning::write_result(answer.status, answer.retry_after.as_deref(), &answer.body)
}

fn observe(sid: &str) -> Option<Input> {
    let answer = emulator_answer(
        &web::page_origin(),
        HttpMethod::Get,
        &format!("/v1/Devices/{}", encode_segment(sid)),
        None,
        None,
    );
    match planning::device_report(answer.status, &answer.body) {
        Ok(Some(report)) => Some(Input::Observed {
            sid: sid.to_owned(),
            report,
        }),
        Ok(None) => Some(Input::Unreadable {
            sid: sid.to_owned(),
            missing: true,
        }),
        Err(_) => None,
    }
}

/// One turn of every rollout that is still going: controls, reads of watched devices, time,
/// and the writes and checks they allow. Returns whether any rollout is still active.
pub fn drive() -> bool {
    let mut rollouts: Vec<Rollout> = load(ROLLOUTS_KEY);
    let controls = CONTROLS.with(|controls| std::mem::take(&mut *controls.borrow_mut()));
    let now = now_ms();
    let mut changed = false;
    for rollout in rollouts.iter_mut() {
        let mine: Vec<Control> = controls
            .iter()
            .filter(|(id, _)| *id == rollout.id)
            .map(|(_, control)| *control)
            .collect();
        if !rollout.status.is_active() && !rollout.has_writes_out() && mine.is_empty() {
            continue;
        }
        changed = true;
        let mut inputs = Vec::new();
        if MET.with(|met| met.borrow_mut().insert(rollout.id.clone())) {
            inputs.push(Input::Restarted);
        }
        inputs.extend(mine.into_iter().map(Input::Control));
        let watched: Vec<String> = rollout.watching().map(|d| d.sid.clone()).collect();
        inputs.extend(watched.iter().filter_map(|sid| observe(sid)));
        inputs.push(Input::Tick);
        let mut actions: VecDeque<Action> = VecDeque::new();
        for input in inputs {
            actions.extend(rollout.step(input, now));
        }
        // Ends: the engine writes a device once per turn at most, and checks only when told.
        while let Some(action) = actions.pop_front() {
            let input = match action {
                Action::Write { sid } => {
                    let result = write(&rollout.id.clone(), &sid, &rollout.target_app.clone());
                    Some(Input::Written { sid, result })
                }
                Action::Check { sid } => observe(&sid),
            };
            if let Some(input) = input {
                actions.extend(rollout.step(input, now));
            }
        }
    }
    if changed {
        keep(ROLLOUTS_KEY, &rollouts);
    }
    rollouts.iter().any(|r| r.status.is_active())
}
