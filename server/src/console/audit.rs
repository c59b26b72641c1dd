//! The audit log: every write that passes through console-server (on `/v1`, on its own API, and
//! each write a rollout makes), appended to a hash chain in the console store, who made it and
//! with what role, and `/console/v1/audit` to read and verify it. What an entry says and how
//! the chain is checked are `audit_log`'s rules, shared with the static demo; this module does
//! the I/O around them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use audit_log::{ChainCheck, Write};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use console_protocol::{AuditEntry, AuditVerdict, Operator, Role};
use microvisor_api::url::encode_segment;
use serde_json::Value;

use super::shared::{ConsoleApi, store_error};
use crate::answers::error;
use crate::clock::unix_now_ms;
use crate::security::ClientAddress;
use crate::store::{Store, StoreError};
use crate::v1::client::Api;
use crate::v1::uploads::Uploaded;

/// Largest request body kept for an entry (the API's writes are a few form fields).
const MAX_BODY: usize = 64 * 1024;
/// Largest answer read back for an entry (a device, an error).
const MAX_ANSWER: usize = 1024 * 1024;

pub struct Auditor {
    pub store: Store,
    pub api: Api,
    pub apps: AppNames,
}

/// Apps' unique names by SID, each read once: an app cannot be renamed (the API has no update
/// for it), so a name read stays right, and entries keep it after the app is deleted.
#[derive(Clone, Default)]
pub struct AppNames(Arc<Mutex<HashMap<String, String>>>);

impl AppNames {
    /// The names of `sids` (those that have one), read from the API when not known yet.
    pub async fn of(&self, api: &Api, sids: Vec<String>) -> BTreeMap<String, String> {
        let mut names = BTreeMap::new();
        for sid in sids {
            let known = self
                .0
                .lock()
                .ok()
                .and_then(|known| known.get(&sid).cloned());
            let name = match known {
                Some(name) => name,
                None => {
                    let path = format!("/v1/Apps/{}", encode_segment(&sid));
                    let Ok(answer) = api.call(Method::GET, &path, None).await else {
                        continue;
                    };
                    if answer.status != 200 {
                        continue;
                    }
                    let name = serde_json::from_slice::<Value>(&answer.body)
                        .ok()
                        .and_then(|app| app.get("unique_name")?.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    if let Ok(mut known) = self.0.lock() {
                        known.insert(sid.clone(), name.clone());
                    }
                    name
                }
            };
            if !name.is_empty() {
                names.insert(sid, name);
            }
        }
        names
    }
}

/// A device's state just before a write to it (`path`), so its entry can say what changed.
pub async fn device_before(api: &Api, path: &str) -> Result<Option<Value>, String> {
    match api.call(Method::GET, path, None).await {
        Ok(answer) if answer.status == 200 => {
            Ok(serde_json::from_slice::<Value>(&answer.body).ok())
        }
        Ok(answer) => Err(format!("HTTP {}", answer.status)),
        Err(err) => Err(err.to_string()),
    }
}

/// Appends an entry; a store that fails is logged, never a reason to fail the write that
/// already happened.
pub async fn append(store: &Store, entry: &AuditEntry) {
    let text = match serde_json::to_string(entry) {
        Ok(text) => text,
        Err(err) => {
            tracing::error!("audit entry not encoded: {err}");
            return;
        }
    };
    if let Err(err) = store.append_audit(entry.at_ms, &text).await {
        tracing::error!(path = %entry.path, "audit entry not written: {err}");
    }
}

/// The middleware: the request and its answer, recorded once the answer is known. It sits
/// inside the guard (which found the operator) and inside the compression (so it reads the
/// answer as sent).
pub async fn record(State(auditor): State<Arc<Auditor>>, request: Request, next: Next) -> Response {
    let (method, path) = (
        request.method().to_string(),
        request.uri().path().to_owned(),
    );
    if !audit_log::audited(&method, &path) {
        return next.run(request).await;
    }
    let operator = request
        .extensions()
        .get::<Operator>()
        .cloned()
        .unwrap_or(Operator {
            name: console_protocol::LOCAL_OPERATOR.to_owned(),
            role: Role::Admin,
        });
    let client = request
        .extensions()
        .get::<ClientAddress>()
        .and_then(|address| address.0.clone());
    if audit_log::is_upload(&method, &path) {
        return record_upload(&auditor, operator, client, request, next).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return error(413, 20413, "The request body is too large.");
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    // A device's state just before, so the entry can say what changed, and the names of the
    // apps it mentions.
    let (before, app_names) = if audit_log::device_path(&method, &path) {
        let before = device_before(&auditor.api, &path).await;
        let apps = audit_log::apps_mentioned(&before, content_type.as_deref(), &body);
        (before, auditor.apps.of(&auditor.api, apps).await)
    } else {
        (Ok(None), BTreeMap::new())
    };
    let started = Instant::now();
    let response = next
        .run(Request::from_parts(parts, Body::from(body.clone())))
        .await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let (parts, answer) = response.into_parts();
    // An answer that breaks off (a dropped connection) is recorded as none, and breaks off
    // for the client too.
    let (answer, broke_off): (Bytes, bool) = match axum::body::to_bytes(answer, MAX_ANSWER).await {
        Ok(bytes) => (bytes, false),
        Err(_) => (Bytes::new(), true),
    };
    let entry = audit_log::entry(Write {
        at_ms: unix_now_ms(),
        operator: &operator.name,
        role: operator.role,
        client,
        method: &method,
        path: &path,
        content_type: content_type.as_deref(),
        body: &body,
        before,
        status: if broke_off { 0 } else { parts.status.as_u16() },
        answer: &answer,
        duration_ms,
        app_names,
    });
    append(&auditor.store, &entry).await;
    if broke_off {
        let broken = futures_util::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("the answer broke off"))
        });
        return Response::from_parts(parts, Body::from_stream(broken));
    }
    Response::from_parts(parts, Body::from(answer))
}

/// An upload, recorded by what the upload code found (`Uploaded`, in the answer's
/// extensions): the request's body is streamed on untouched, never read here.
async fn record_upload(
    auditor: &Auditor,
    operator: Operator,
    client: Option<String>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let (parts, answer) = response.into_parts();
    let (answer, broke_off): (Bytes, bool) = match axum::body::to_bytes(answer, MAX_ANSWER).await {
        Ok(bytes) => (bytes, false),
        Err(_) => (Bytes::new(), true),
    };
    let uploaded = parts.extensions.get::<Uploaded>();
    let entry = audit_log::upload(audit_log::Upload {
        at_ms: unix_now_ms(),
        operator: &operator.name,
        role: operator.role,
        client,
        file_name: uploaded.map(|u| u.file_name.as_str()),
        size: uploaded.map(|u| u.size),
        unique_name: uploaded.and_then(|u| u.unique_name.as_deref()),
        hash: uploaded.and_then(|u| u.hash.as_deref()),
        signer: uploaded.and_then(|u| u.signer.as_deref()),
        status: if broke_off { 0 } else { parts.status.as_u16() },
        answer: &answer,
        duration_ms,
    });
    append(&auditor.store, &entry).await;
    Response::from_parts(parts, Body::from(answer))
}

/// Walks the whole chain, oldest first, a thousand entries at a time (`audit_log::ChainCheck`).
pub async fn verify(store: &Store) -> Result<AuditVerdict, StoreError> {
    let mut check = ChainCheck::default();
    loop {
        let rows = store.audit_after(check.checked(), 1000).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            if let Err(verdict) = check.row(row) {
                return Ok(verdict);
            }
        }
    }
    let (head, head_hash) = store.audit_head().await?;
    Ok(check.finish(head, &head_hash))
}

/// `GET /console/v1/audit`: pages through the chain newest first, keeping what the filters
/// match (`audit_log::Query`), until a page is full or the log is read to its start.
pub async fn list_audit(
    State(state): State<Arc<ConsoleApi>>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let query = audit_log::Query::parse(query.as_deref().unwrap_or(""));
    match page_of(&state.store, &query).await {
        Ok(page) => Json(page).into_response(),
        Err(err) => store_error(err),
    }
}

/// A page of the entries `query` keeps, newest first: the chain read back 500 at a time
/// until the page is full or the log's start is reached.
pub async fn page_of(
    store: &Store,
    query: &audit_log::Query,
) -> Result<console_protocol::AuditPage, StoreError> {
    let mut before = query.before;
    let mut entries = Vec::new();
    loop {
        let rows = store.audit_before(before, 500).await?;
        let Some(last) = rows.last().map(|row| row.seq) else {
            return Ok(console_protocol::AuditPage {
                entries,
                next_before: None,
            });
        };
        if let Some(next_before) = query.take(rows, &mut entries) {
            return Ok(console_protocol::AuditPage {
                entries,
                next_before: Some(next_before),
            });
        }
        before = last;
    }
}

/// `POST /console/v1/audit/verify` (admins): the whole chain checked.
pub async fn verify_audit(State(state): State<Arc<ConsoleApi>>) -> Response {
    match verify(&state.store).await {
        Ok(verdict) => Json(verdict).into_response(),
        Err(err) => store_error(err),
    }
}
