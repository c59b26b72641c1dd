//! The demo's console service: what console-server answers under `/console/v1` (saved views,
//! rollouts, the audit log), answered in the page and kept in localStorage. Rollouts are
//! driven by the same engine as on the server, by `rollouts::drive`.

use console_protocol::{
    ConsoleEvent, NewRollout, RolloutControl, RolloutList, RolloutSource, RolloutSummary,
    SavedView, ViewInput, ViewList,
};
use fleet_engine::rollout::Rollout;
use fleet_engine::rollout::planning::{self, Planned, Selection};
use microvisor_api::error::codes;
use microvisor_api::url::split_origin;
use microvisor_api::{App, Device, ListPage, PageQuery};

use super::stored::{ROLLOUTS_KEY, VIEWS_KEY, keep, load, new_id};
use super::wire::{Answer, Method};
use super::{audit, emulator, events, rollouts};
use crate::browser::web::{self, now_ms};

fn decode<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, Answer> {
    serde_json::from_str(body).map_err(|err| Answer::invalid(&err.to_string()))
}

/// Answers `method path` (the path after `/console/v1`) with `body` (JSON).
pub fn answer(method: Method, path: &str, body: &str) -> Answer {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let result = match (method, segments.as_slice()) {
        (Method::Get, ["audit"]) => Ok(Answer::json(200, &audit::list(query))),
        (Method::Post, ["audit", "verify"]) => Ok(Answer::json(200, &audit::verify())),
        (Method::Get, ["views"]) => Ok(Answer::json(
            200,
            &ViewList {
                views: load(VIEWS_KEY),
            },
        )),
        (Method::Post, ["views"]) => decode(body).and_then(|input| create_view(&input)),
        (Method::Post, ["views", id]) => decode(body).and_then(|input| update_view(id, &input)),
        (Method::Delete, ["views", id]) => delete_view(id),
        (Method::Get, ["rollouts"]) => {
            let rollouts: Vec<Rollout> = load(ROLLOUTS_KEY);
            Ok(Answer::json(
                200,
                &RolloutList {
                    rollouts: rollouts.iter().rev().map(RolloutSummary::of).collect(),
                },
            ))
        }
        (Method::Post, ["rollouts", "preview"]) => decode(body)
            .and_then(|request| plan(request).map(|planned| Answer::json(200, &planned.preview()))),
        (Method::Post, ["rollouts"]) => decode(body).and_then(create_rollout),
        (Method::Get, ["rollouts", id]) => load::<Vec<Rollout>>(ROLLOUTS_KEY)
            .into_iter()
            .find(|r| r.id == *id)
            .map(|rollout| Answer::json(200, &rollout))
            .ok_or_else(|| Answer::not_found("rollout")),
        (Method::Post, ["rollouts", id, "control"]) => {
            decode(body).and_then(|input: RolloutControl| {
                let known = load::<Vec<Rollout>>(ROLLOUTS_KEY)
                    .iter()
                    .any(|r| r.id == *id);
                if !known {
                    return Err(Answer::not_found("rollout"));
                }
                rollouts::queue_control(id, input.control);
                Ok(Answer::json(202, &serde_json::Value::Null))
            })
        }
        _ => Err(Answer::not_found("such resource")),
    };
    result.unwrap_or_else(|response| response)
}

fn create_view(input: &ViewInput) -> Result<Answer, Answer> {
    let name = input.valid_name().map_err(Answer::invalid)?;
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
    Ok(Answer::json(201, &view))
}

fn update_view(id: &str, input: &ViewInput) -> Result<Answer, Answer> {
    let name = input.valid_name().map_err(Answer::invalid)?;
    let mut views: Vec<SavedView> = load(VIEWS_KEY);
    let view = views
        .iter_mut()
        .find(|v| v.id == id)
        .ok_or_else(|| Answer::not_found("view"))?;
    view.name = name;
    if let Some(filter) = &input.filter {
        view.filter = filter.clone();
    }
    view.updated_ms = now_ms();
    let answer = Answer::json(200, view);
    keep(VIEWS_KEY, &views);
    Ok(answer)
}

fn delete_view(id: &str) -> Result<Answer, Answer> {
    let mut views: Vec<SavedView> = load(VIEWS_KEY);
    let before = views.len();
    views.retain(|v| v.id != id);
    if views.len() == before {
        return Err(Answer::not_found("view"));
    }
    keep(VIEWS_KEY, &views);
    Ok(Answer::json(204, &serde_json::Value::Null))
}

/// The emulator's answer to a read, decoded.
fn read<T: serde::de::DeserializeOwned>(rest: &str) -> Result<T, Answer> {
    let answer = emulator::answer(&web::page_origin(), Method::Get, rest, None, None);
    if answer.status != 200 {
        return Err(answer);
    }
    serde_json::from_slice(&answer.body)
        .map_err(|err| Answer::error(500, codes::INTERNAL, &err.to_string()))
}

/// Every device in the demo fleet, following the list's own links.
fn all_devices() -> Result<Vec<Device>, Answer> {
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

fn plan(request: NewRollout) -> Result<Planned, Answer> {
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
                .ok_or_else(|| Answer::not_found("view"))?;
            Selection::Filter(&view.filter)
        }
    };
    planning::plan(
        new_id("RO"),
        &request.name,
        request.change,
        &request.target_app,
        &apps.items,
        fleet,
        selection,
        request.plan,
        now_ms(),
    )
    .map_err(|err| Answer::invalid(&err.to_string()))
}

fn create_rollout(request: NewRollout) -> Result<Answer, Answer> {
    let mut rollout = plan(request)?.rollout;
    rollout.started_by = Some(format!("{} (admin)", audit::OPERATOR));
    let mut rollouts: Vec<Rollout> = load(ROLLOUTS_KEY);
    rollouts.push(rollout.clone());
    keep(ROLLOUTS_KEY, &rollouts);
    rollouts::met(&rollout.id);
    events::publish(&ConsoleEvent::rollout_moved(&rollout));
    Ok(Answer::json(201, &RolloutSummary::of(&rollout)))
}
