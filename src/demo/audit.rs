//! The demo's audit log: every write the page's emulator and console service answer, recorded
//! by the same rules as console-server's (`audit_log`), chained by the same hash, and kept in
//! localStorage with the newest entries only. The Audit page labels it as the demo's.

use std::collections::BTreeMap;

use audit_log::{AuditRow, ChainCheck, Query, Write};
use console_protocol::{AuditEntry, AuditPage, Role};
use serde::{Deserialize, Serialize};

use super::emulator;
use super::wire::{Answer, Method};
use crate::browser::web::{self, now_ms};

const AUDIT_KEY: &str = "microvisor-console.demo-audit";

/// Entries kept: older ones are let go (localStorage holds a few MB for the whole demo).
const KEPT: usize = console_core::audit::DEMO_KEPT;

/// Who the demo's entries name: whoever has this browser.
pub const OPERATOR: &str = "demo";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Log {
    /// The number and hash of the last entry let go (0 and "" while none was).
    anchor: (i64, String),
    /// The number and hash of the last entry written, kept apart as the server keeps its head.
    head: (i64, String),
    rows: Vec<AuditRow>,
}

fn load() -> Log {
    web::stored(web::local_storage(), AUDIT_KEY)
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

pub fn reset() {
    web::forget(web::local_storage(), AUDIT_KEY);
}

/// Appends `entry` to the chain and lets the oldest go past [`KEPT`].
pub fn append(entry: &AuditEntry) {
    let Ok(text) = serde_json::to_string(entry) else {
        return;
    };
    let mut log = load();
    let row = AuditRow::next(log.head.0, &log.head.1, entry.at_ms, text);
    log.head = (row.seq, row.hash.clone());
    log.rows.push(row);
    if log.rows.len() > KEPT {
        let gone: Vec<AuditRow> = log.rows.drain(..log.rows.len() - KEPT).collect();
        if let Some(last) = gone.last() {
            log.anchor = (last.seq, last.hash.clone());
        }
    }
    if let Ok(text) = serde_json::to_string(&log) {
        web::store(web::local_storage(), AUDIT_KEY, &text);
    }
}

/// Runs `answer` for the request `method path` and records it when it is a write, with a
/// device's state read just before (as the server does).
pub fn around(
    method: Method,
    path: &str,
    body: Option<(&str, &str)>,
    answer: impl FnOnce() -> Answer,
) -> Answer {
    let name = method.as_str();
    if !audit_log::audited(name, path) {
        return answer();
    }
    let (before, app_names) = if audit_log::device_path(name, path) {
        let before = device_before(path);
        let apps = audit_log::apps_mentioned(
            &before,
            body.map(|(content_type, _)| content_type),
            body.map_or("", |(_, text)| text).as_bytes(),
        );
        (before, app_names(apps))
    } else {
        (Ok(None), BTreeMap::new())
    };
    let started = now_ms();
    let response = answer();
    append(&audit_log::entry(Write {
        at_ms: now_ms(),
        operator: OPERATOR,
        role: Role::Admin,
        // The page is its own server: there is no address to record.
        client: None,
        method: name,
        path,
        content_type: body.map(|(content_type, _)| content_type),
        body: body.map_or("", |(_, text)| text).as_bytes(),
        before,
        status: response.status,
        answer: &response.body,
        duration_ms: now_ms() - started,
        app_names,
    }));
    response
}

/// A device just before a write to it (`path`), as the server reads it for its entry.
pub fn device_before(path: &str) -> Result<Option<serde_json::Value>, String> {
    let read = emulator::answer(&web::page_origin(), Method::Get, path, None, None);
    if read.status == 200 {
        Ok(serde_json::from_slice(&read.body).ok())
    } else {
        Err(format!("HTTP {}", read.status))
    }
}

/// The unique names of the apps `sids`, as the entry keeps them.
pub fn app_names(sids: Vec<String>) -> BTreeMap<String, String> {
    sids.into_iter()
        .filter_map(|sid| {
            let path = format!("/v1/Apps/{}", microvisor_api::url::encode_segment(&sid));
            let read = emulator::answer(&web::page_origin(), Method::Get, &path, None, None);
            let app: serde_json::Value = serde_json::from_slice(&read.body).ok()?;
            let name = app.get("unique_name")?.as_str()?.to_owned();
            (read.status == 200 && !name.is_empty()).then_some((sid, name))
        })
        .collect()
}

/// `GET /console/v1/audit?…`, as the server answers it.
pub fn list(query: &str) -> AuditPage {
    let query = Query::parse(query);
    let mut entries = Vec::new();
    let next_before = query.take(load().rows.into_iter().rev(), &mut entries);
    AuditPage {
        entries,
        next_before,
    }
}

/// `POST /console/v1/audit/verify`: the chain from its anchor to its head.
pub fn verify() -> console_protocol::AuditVerdict {
    let log = load();
    let mut check = ChainCheck::after(log.anchor.0, log.anchor.1);
    for row in &log.rows {
        if let Err(verdict) = check.row(row) {
            return verdict;
        }
    }
    check.finish(log.head.0, &log.head.1)
}
