//! `/console/v1/fleet/…`: the index asked as the Fleet page asks (its filter, any sort, keyset
//! or offset paging), the fleet's counts, how fresh the index is, "Refresh now", and a
//! device's timeline (what passes saw, with the audit log's writes). Every answer says how
//! fresh the index is.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use console_protocol::{FleetPage, FleetSort, FleetSortKey, Freshness, Timeline, TimelineEntry};
use fleet_engine::DeviceFilter;

use crate::clock::unix_now_ms;
use crate::console::audit::page_of;
use crate::console::memo::version_of;
use crate::console::shared::{ConsoleApi, invalid, new_id, store_error};
use crate::store::PageAsk;

/// Rows a page holds unless asked otherwise, and at most.
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;
/// Timeline entries shown, of each kind.
const TIMELINE_LIMIT: i64 = 200;

/// A request's query: `filter` (the Fleet page's filter, as JSON), `sort`, `desc`, `after`,
/// `offset`, `limit`, `pending_hours`.
struct Asked {
    filter: DeviceFilter,
    sort: FleetSort,
    after: Option<String>,
    offset: u64,
    limit: u32,
    pending_hours: u32,
}

fn parse(query: Option<&str>) -> Result<Asked, String> {
    let pairs: BTreeMap<String, String> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let number = |name: &str, default: u64, max: u64| -> Result<u64, String> {
        match pairs.get(name) {
            None => Ok(default),
            Some(text) => match text.parse::<u64>() {
                Ok(n) if n <= max => Ok(n),
                _ => Err(format!("{name} must be a whole number from 0 to {max}.")),
            },
        }
    };
    let filter = match pairs.get("filter") {
        None => DeviceFilter::default(),
        Some(json) => serde_json::from_str(json)
            .map_err(|err| format!("filter is not a device filter: {err}"))?,
    };
    let key = match pairs.get("sort") {
        None => FleetSortKey::Sid,
        Some(text) => FleetSortKey::parse(text).ok_or_else(|| {
            let known: Vec<&str> = FleetSortKey::ALL.iter().map(|k| k.as_str()).collect();
            format!("sort must be one of {}.", known.join(", "))
        })?,
    };
    let limit = number("limit", u64::from(DEFAULT_LIMIT), u64::from(MAX_LIMIT))?.max(1) as u32;
    Ok(Asked {
        filter,
        sort: FleetSort {
            key,
            descending: pairs.get("desc").is_some_and(|d| d == "1" || d == "true"),
        },
        after: pairs.get("after").cloned(),
        offset: number("offset", 0, 10_000_000)?,
        limit,
        pending_hours: number("pending_hours", 24, 24 * 365)?.max(1) as u32,
    })
}

async fn freshness(state: &ConsoleApi) -> Result<Freshness, Response> {
    state.store.freshness().await.map_err(store_error)
}

/// What a query asks, and how fresh the index is as it is answered.
async fn asked_now(
    state: &ConsoleApi,
    query: Option<&str>,
) -> Result<(Asked, Freshness), Response> {
    let asked = parse(query).map_err(|message| invalid(&message))?;
    Ok((asked, freshness(state).await?))
}

/// `GET /console/v1/fleet/devices`: a page of the devices the filter keeps.
pub async fn devices(State(state): State<Arc<ConsoleApi>>, RawQuery(query): RawQuery) -> Response {
    let (asked, freshness) = match asked_now(&state, query.as_deref()).await {
        Ok(both) => both,
        Err(answer) => return answer,
    };
    let version = version_of(&freshness);
    let question = serde_json::to_string(&asked.filter).unwrap_or_default();
    let known_total = state.totals.get(&question, &version);
    let ask = PageAsk {
        filter: asked.filter,
        sort: asked.sort,
        after: asked.after,
        offset: asked.offset,
        limit: asked.limit,
        now_ms: unix_now_ms(),
        count: known_total.is_none(),
    };
    let (rows, next, counted) = match state.store.fleet_page(ask).await {
        Ok(page) => page,
        Err(err) => return store_error(err),
    };
    let total = match (known_total, counted) {
        (Some(total), _) => total,
        (None, Some(total)) => {
            state.totals.put(question, version, total);
            total
        }
        (None, None) => 0,
    };
    Json(FleetPage {
        devices: rows.iter().map(|row| row.to_device()).collect(),
        next,
        total,
        freshness,
    })
    .into_response()
}

/// `GET /console/v1/fleet/summary`: the counts over what the filter keeps.
pub async fn summary(State(state): State<Arc<ConsoleApi>>, RawQuery(query): RawQuery) -> Response {
    let (asked, freshness) = match asked_now(&state, query.as_deref()).await {
        Ok(both) => both,
        Err(answer) => return answer,
    };
    let version = version_of(&freshness);
    let question = format!(
        "{}/{}",
        serde_json::to_string(&asked.filter).unwrap_or_default(),
        asked.pending_hours
    );
    let counts = match state.counts.get(&question, &version) {
        Some(counts) => counts,
        None => match state
            .store
            .fleet_counts(&asked.filter, unix_now_ms(), asked.pending_hours)
            .await
        {
            Ok(counts) => {
                state.counts.put(question, version, counts.clone());
                counts
            }
            Err(err) => return store_error(err),
        },
    };
    Json(console_protocol::FleetCounts {
        freshness,
        ..counts
    })
    .into_response()
}

/// `GET /console/v1/fleet/status`: how fresh the index is.
pub async fn status(State(state): State<Arc<ConsoleApi>>) -> Response {
    match freshness(&state).await {
        Ok(freshness) => Json(freshness).into_response(),
        Err(answer) => answer,
    }
}

/// `POST /console/v1/fleet/refresh`: a pass now, by whichever replica keeps the index.
pub async fn refresh(State(state): State<Arc<ConsoleApi>>) -> Response {
    match state.store.ask_refresh(&new_id("FR"), unix_now_ms()).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(err) => store_error(err),
    }
}

/// `GET /console/v1/fleet/devices/{sid}/timeline`: what passes saw the device do, and the
/// writes made to it through this console, newest first in one list.
pub async fn timeline(State(state): State<Arc<ConsoleApi>>, Path(sid): Path<String>) -> Response {
    let observed = match state.store.timeline(&sid, TIMELINE_LIMIT).await {
        Ok(events) => events,
        Err(err) => return store_error(err),
    };
    let mut entries: Vec<TimelineEntry> = observed
        .into_iter()
        .map(|(at_ms, kind, before, after)| TimelineEntry {
            at_ms,
            source: "observed".to_owned(),
            kind,
            before,
            after,
            operator: None,
            rollout: None,
            failed: false,
        })
        .collect();
    let query = audit_log::Query::parse(&format!(
        "device={}&limit={TIMELINE_LIMIT}",
        microvisor_api::url::encode_segment(&sid)
    ));
    let writes = match page_of(&state.store, &query).await {
        Ok(page) => page.entries,
        Err(err) => return store_error(err),
    };
    let mut rollout_names: BTreeMap<String, String> = BTreeMap::new();
    for record in writes {
        let entry = record.entry;
        let rollout = match &entry.rollout {
            Some(id) => {
                if !rollout_names.contains_key(id)
                    && let Ok(rollout) = state.store.get_rollout(id).await
                {
                    rollout_names.insert(id.clone(), rollout.name);
                }
                Some(rollout_names.get(id).cloned().unwrap_or_else(|| id.clone()))
            }
            None => None,
        };
        let (kind, before, after) = write_kind(&entry);
        entries.push(TimelineEntry {
            at_ms: entry.at_ms,
            source: "write".to_owned(),
            kind,
            before,
            after,
            operator: Some(entry.operator.clone()),
            rollout,
            failed: !entry.succeeded(),
        });
    }
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.at_ms));
    match freshness(&state).await {
        Ok(freshness) => Json(Timeline { entries, freshness }).into_response(),
        Err(answer) => answer,
    }
}

/// What a write did to a device, as a timeline entry's kind, before and after: its own
/// change when the audit log recorded one, else the form field it sent.
fn write_kind(entry: &console_protocol::AuditEntry) -> (String, Option<String>, Option<String>) {
    let change = |field: &str| entry.changes.iter().find(|c| c.field == field);
    let param = |name: &str| entry.params.get(name).cloned();
    if let Some(change) = change("target_app") {
        return (
            "target_app".to_owned(),
            change.before.clone(),
            change.after.clone(),
        );
    }
    if let Some(app) = param("TargetApp") {
        return ("target_app".to_owned(), None, Some(app));
    }
    if let Some(name) = param("UniqueName") {
        let before = change("unique_name").and_then(|c| c.before.clone());
        return ("unique_name".to_owned(), before, Some(name));
    }
    if let Some(enabled) = param("LoggingEnabled") {
        let on = if enabled == "true" { "on" } else { "off" };
        return ("logging".to_owned(), None, Some(on.to_owned()));
    }
    if param("RestartApp").as_deref() == Some("true") {
        return ("restart_app".to_owned(), None, None);
    }
    (entry.kind().to_owned(), None, None)
}

/// Every index route, when the index is off: a 404 that says so.
pub async fn no_index() -> Response {
    crate::answers::error(
        404,
        microvisor_api::error::codes::NOT_FOUND,
        "This server keeps no fleet index (it was started with --no-index).",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use console_protocol::FleetQuery;

    #[test]
    fn what_the_page_writes_the_routes_read() {
        let asked = FleetQuery {
            filter: DeviceFilter {
                text: "pump & co=1".to_owned(),
                pending_hours: Some(3),
                ..DeviceFilter::default()
            },
            sort: Some(FleetSort {
                key: FleetSortKey::Updated,
                descending: true,
            }),
            after: Some("a b/c".to_owned()),
            limit: Some(200),
            pending_hours: Some(48),
        };
        let read = parse(Some(&asked.query())).ok().unwrap();
        assert_eq!(read.filter, asked.filter);
        assert_eq!(Some(read.sort), asked.sort);
        assert_eq!(read.after, asked.after);
        assert_eq!(read.limit, 200);
        assert_eq!(read.pending_hours, 48);
    }

    #[test]
    fn a_query_reads_its_filter_sort_and_paging_or_says_what_is_wrong() {
        let asked = parse(Some(
            "filter=%7B%22status%22%3A%22error%22%7D&sort=unique_name&desc=1&after=x&limit=50",
        ))
        .ok()
        .unwrap();
        assert_eq!(asked.filter.status.as_deref(), Some("error"));
        assert_eq!(asked.sort.key, FleetSortKey::UniqueName);
        assert!(asked.sort.descending);
        assert_eq!(asked.after.as_deref(), Some("x"));
        assert_eq!(asked.limit, 50);
        assert_eq!(asked.pending_hours, 24);
        assert!(
            parse(Some("sort=colour"))
                .err()
                .unwrap()
                .contains("sort must be")
        );
        assert!(parse(Some("limit=5000")).err().unwrap().contains("limit"));
        assert!(
            parse(Some("filter=%7Bnope"))
                .err()
                .unwrap()
                .contains("filter")
        );
    }
}
