//! The audit log: every write that passes through console-server (on `/v1`, on its own API, and
//! each write a rollout makes), appended to a hash chain in the console store, who made it and
//! with what role, with secret values replaced and, for device updates, what changed. `verify`
//! walks the chain and names the first entry changed, removed or inserted.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use console_protocol::{AuditEntry, AuditVerdict, Change, Operator, Role};
use serde_json::Value;

use crate::api::Api;
use crate::emulator::unix_now_ms;
use crate::store::{Store, StoreError, chain_hash};

/// What stands in for a secret's value in every entry.
pub const REDACTED: &str = "[redacted]";

/// The fields of a device whose change an entry shows, as (name, JSON pointer).
const DEVICE_FIELDS: [(&str, &str); 4] = [
    ("unique_name", "/unique_name"),
    ("target_app", "/app/target_sid"),
    ("logging", "/logging/enabled"),
    ("logging_until", "/logging/date_expires"),
];

/// Largest request body kept for an entry (the API's writes are a few form fields).
const MAX_BODY: usize = 64 * 1024;
/// Largest answer read back for an entry (a device, an error).
const MAX_ANSWER: usize = 1024 * 1024;

pub struct Auditor {
    pub store: Store,
    pub api: Api,
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

/// Writes worth an entry: POST and DELETE on the API and the server's own API, except those
/// that change nothing (a rollout's preview, checking the log itself).
fn audited(method: &Method, path: &str) -> bool {
    matches!(*method, Method::POST | Method::DELETE)
        && (path == "/v1" || path.starts_with("/v1/") || path.starts_with("/console/v1/"))
        && path != "/console/v1/rollouts/preview"
        && !path.starts_with("/console/v1/audit")
}

/// A device update's path (`/v1/Devices/{id}`), whose before and after an entry shows.
fn device_path(method: &Method, path: &str) -> bool {
    *method == Method::POST
        && path
            .strip_prefix("/v1/Devices/")
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
}

/// The parameters of a write: form fields (the API's) or the top-level fields of a JSON body
/// (the server's own), with the value of every secret replaced.
pub fn params_of(path: &str, content_type: Option<&str>, body: &[u8]) -> BTreeMap<String, String> {
    let secret = path.contains("/Secrets");
    let json = content_type.is_some_and(|t| t.starts_with("application/json"));
    let mut params: BTreeMap<String, String> = if json {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(fields)) => fields
                .into_iter()
                .map(|(key, value)| match value {
                    Value::String(text) => (key, text),
                    other => (key, other.to_string()),
                })
                .collect(),
            _ => BTreeMap::new(),
        }
    } else {
        form_urlencoded::parse(body).into_owned().collect()
    };
    if secret {
        for (key, value) in &mut params {
            if key.eq_ignore_ascii_case("value") {
                *value = REDACTED.to_owned();
            }
        }
    }
    // Long values are cut: an entry records a write, not its payload.
    for value in params.values_mut() {
        if value.chars().count() > 500 {
            *value = format!("{}…", value.chars().take(500).collect::<String>());
        }
    }
    params
}

/// Each watched field of a device that differs between `before` and `after`.
pub fn changes_of(before: &Value, after: &Value) -> Vec<Change> {
    let text = |value: Option<&Value>| match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    DEVICE_FIELDS
        .iter()
        .filter_map(|(field, pointer)| {
            let (was, now) = (text(before.pointer(pointer)), text(after.pointer(pointer)));
            (was != now).then(|| Change {
                field: (*field).to_owned(),
                before: was,
                after: now,
            })
        })
        .collect()
}

/// The vendor's error code in a failed answer's body.
pub fn error_code(status: u16, body: &[u8]) -> Option<i64> {
    if (200..300).contains(&status) {
        return None;
    }
    serde_json::from_slice::<Value>(body)
        .ok()?
        .get("code")?
        .as_i64()
}

/// The middleware: the request and its answer, recorded once the answer is known. It sits
/// inside the guard (which found the operator) and inside the compression (so it reads the
/// answer as sent).
pub async fn record(State(auditor): State<Arc<Auditor>>, request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    if !audited(&method, &path) {
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
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return crate::http::error(413, 20413, "The request body is too large.");
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let params = params_of(&path, content_type.as_deref(), &body);
    // A device's state just before, so the entry can say what changed.
    let mut note = None;
    let before = if device_path(&method, &path) {
        match auditor.api.call(Method::GET, &path, None).await {
            Ok(answer) if answer.status == 200 => {
                serde_json::from_slice::<Value>(&answer.body).ok()
            }
            Ok(answer) => {
                note = Some(format!(
                    "the device could not be read before the write: HTTP {}",
                    answer.status
                ));
                None
            }
            Err(err) => {
                note = Some(format!(
                    "the device could not be read before the write: {err}"
                ));
                None
            }
        }
    } else {
        None
    };
    let started = Instant::now();
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let (parts, answer) = response.into_parts();
    // An answer that breaks off (a dropped connection) is recorded as none, and breaks off
    // for the client too.
    let (answer, broke_off): (Bytes, bool) = match axum::body::to_bytes(answer, MAX_ANSWER).await {
        Ok(bytes) => (bytes, false),
        Err(_) => (Bytes::new(), true),
    };
    let status = if broke_off { 0 } else { parts.status.as_u16() };
    if broke_off {
        note = Some("the answer broke off before it was complete".to_owned());
    }
    let after = serde_json::from_slice::<Value>(&answer).ok();
    let changes = match (&before, &after) {
        (Some(before), Some(after)) if (200..300).contains(&status) => changes_of(before, after),
        _ => Vec::new(),
    };
    let device = [&before, &after]
        .into_iter()
        .flatten()
        .find_map(|device| device.get("sid")?.as_str().map(str::to_owned))
        .filter(|_| device_path(&method, &path));
    append(
        &auditor.store,
        &AuditEntry {
            at_ms: unix_now_ms(),
            operator: operator.name,
            role: operator.role,
            method: method.to_string(),
            path,
            params,
            status,
            error_code: error_code(status, &answer),
            duration_ms,
            changes,
            note,
            rollout: None,
            device,
        },
    )
    .await;
    if broke_off {
        let broken = futures_util::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("the answer broke off"))
        });
        return Response::from_parts(parts, Body::from_stream(broken));
    }
    Response::from_parts(parts, Body::from(answer))
}

/// Walks the whole chain, oldest first: every entry must follow the one before it, carry the
/// hash of its own content and its predecessor's, and the last must be the head.
pub async fn verify(store: &Store) -> Result<AuditVerdict, StoreError> {
    let broken = |entries: i64, problem: String| AuditVerdict {
        intact: false,
        entries,
        problem: Some(problem),
    };
    let (mut previous, mut expected) = (String::new(), 1_i64);
    loop {
        let rows = store.audit_after(expected - 1, 1000).await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            if row.seq != expected {
                return Ok(broken(
                    expected - 1,
                    format!(
                        "entry {expected} was removed (the next is entry {})",
                        row.seq
                    ),
                ));
            }
            if chain_hash(&previous, row.seq, row.at_ms, &row.entry) != row.hash {
                return Ok(broken(
                    expected - 1,
                    format!("entry {expected} was changed, or put in, after it was written"),
                ));
            }
            previous = row.hash;
            expected += 1;
        }
    }
    let (head, head_hash) = store.audit_head().await?;
    let last = expected - 1;
    if head != last || head_hash != previous {
        return Ok(broken(
            last,
            if head > last {
                format!("entries {} to {head} were removed from the end", last + 1)
            } else {
                format!("entry {last} is not the one the log last wrote")
            },
        ));
    }
    Ok(AuditVerdict {
        intact: true,
        entries: last,
        problem: None,
    })
}

/// The entry for one write a rollout made.
pub fn rollout_write(
    rollout: &str,
    sid: &str,
    target: &str,
    status: u16,
    error_code: Option<i64>,
    duration_ms: i64,
) -> AuditEntry {
    AuditEntry {
        at_ms: unix_now_ms(),
        operator: "rollout".to_owned(),
        role: Role::Operator,
        method: "POST".to_owned(),
        path: format!("/v1/Devices/{sid}"),
        params: BTreeMap::from([("TargetApp".to_owned(), target.to_owned())]),
        status,
        error_code,
        duration_ms,
        changes: Vec::new(),
        note: None,
        rollout: Some(rollout.to_owned()),
        device: Some(sid.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_redacted_and_the_rest_kept() {
        let secret = params_of(
            "/v1/Devices/x/Secrets",
            Some("application/x-www-form-urlencoded"),
            b"Key=api-key&Value=hunter2",
        );
        assert_eq!(secret["Key"], "api-key");
        assert_eq!(secret["Value"], REDACTED);
        let account = params_of("/v1/Secrets/k", None, b"Value=hunter2");
        assert_eq!(account["Value"], REDACTED);
        let config = params_of("/v1/Configs", None, b"Key=k&Value=plain");
        assert_eq!(config["Value"], "plain");
        let json = params_of(
            "/console/v1/views",
            Some("application/json"),
            br#"{"name":"mine","filter":{"text":"x"}}"#,
        );
        assert_eq!(json["name"], "mine");
        assert_eq!(json["filter"], r#"{"text":"x"}"#);
    }

    #[test]
    fn device_changes_name_each_field_before_and_after() {
        let before = serde_json::json!({"unique_name": "a", "app": {"target_sid": "KA1"}, "logging": {"enabled": false}});
        let after = serde_json::json!({"unique_name": "b", "app": {"target_sid": "KA1"}, "logging": {"enabled": true, "date_expires": "2026-12-01T00:00:00Z"}});
        let changes = changes_of(&before, &after);
        let fields: Vec<(&str, Option<&str>, Option<&str>)> = changes
            .iter()
            .map(|c| (c.field.as_str(), c.before.as_deref(), c.after.as_deref()))
            .collect();
        assert_eq!(
            fields,
            [
                ("unique_name", Some("a"), Some("b")),
                ("logging", Some("false"), Some("true")),
                ("logging_until", None, Some("2026-12-01T00:00:00Z")),
            ]
        );
    }

    #[test]
    fn only_writes_are_audited() {
        assert!(audited(&Method::POST, "/v1/Devices/x"));
        assert!(audited(&Method::DELETE, "/v1/Configs/k"));
        assert!(audited(&Method::POST, "/console/v1/views"));
        assert!(!audited(&Method::GET, "/v1/Devices"));
        assert!(!audited(&Method::POST, "/console/v1/rollouts/preview"));
        assert!(!audited(&Method::POST, "/console/v1/audit/verify"));
        assert!(device_path(&Method::POST, "/v1/Devices/pump-7"));
        assert!(!device_path(&Method::POST, "/v1/Devices/pump-7/Configs"));
    }
}
