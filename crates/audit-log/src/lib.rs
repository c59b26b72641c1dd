//! The audit log's pure rules, shared by console-server and the static demo's page: which
//! writes are recorded, what an entry says (secret values redacted, a device's fields before →
//! after), which entries a filter keeps, and the hash chain that makes a changed, removed or
//! inserted entry evident. No I/O and no clock: callers store the rows and pass the time.

use std::collections::BTreeMap;

use console_protocol::{AuditEntry, AuditRecord, AuditVerdict, Change, Role};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What stands in for a secret's value in every entry.
pub const REDACTED: &str = "[redacted]";

/// The name the entries of a rollout's own writes carry.
pub use console_protocol::ROLLOUT_OPERATOR;

/// The fields of a device whose change an entry shows, as (name, JSON pointer).
const DEVICE_FIELDS: [(&str, &str); 4] = [
    ("unique_name", "/unique_name"),
    ("target_app", "/app/target_sid"),
    ("logging", "/logging/enabled"),
    ("logging_until", "/logging/date_expires"),
];

/// Longest parameter value kept: an entry records a write, not its payload.
const MAX_VALUE_CHARS: usize = 500;

/// Writes worth an entry: POST and DELETE on the API and the console's own API, except those
/// that change nothing (a rollout's preview, checking the log itself, asking the fleet index
/// to read the fleet again).
pub fn audited(method: &str, path: &str) -> bool {
    matches!(method, "POST" | "DELETE")
        && (path == "/v1" || path.starts_with("/v1/") || path.starts_with("/console/v1/"))
        && path != "/console/v1/rollouts/preview"
        && path != "/console/v1/fleet/refresh"
        && !path.starts_with("/console/v1/audit")
}

/// An app upload (`POST /v1/Apps`, multipart): its entry says what was uploaded, never the
/// bytes, so it is made from an [`Upload`] rather than from the request's body.
pub fn is_upload(method: &str, path: &str) -> bool {
    method == "POST" && path == "/v1/Apps"
}

/// An upload as it happened, for [`upload`].
pub struct Upload<'a> {
    pub at_ms: i64,
    pub operator: &'a str,
    pub role: Role,
    pub client: Option<String>,
    pub file_name: Option<&'a str>,
    pub size: Option<u64>,
    pub unique_name: Option<&'a str>,
    /// The app's hash and signer, when the bundle read.
    pub hash: Option<&'a str>,
    pub signer: Option<&'a str>,
    /// The answer's status (0 when none came) and body.
    pub status: u16,
    pub answer: &'a [u8],
    pub duration_ms: i64,
}

/// The entry for one upload: the file's name and size, the unique name asked for, the app's
/// hash and signer, and the new app's SID when it was created.
pub fn upload(upload: Upload<'_>) -> AuditEntry {
    let mut params = BTreeMap::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            params.insert(key.to_owned(), value);
        }
    };
    put("File", upload.file_name.map(str::to_owned));
    put("Size", upload.size.map(|size| size.to_string()));
    put("UniqueName", upload.unique_name.map(str::to_owned));
    put("Hash", upload.hash.map(str::to_owned));
    put("Signer", upload.signer.map(str::to_owned));
    let created = serde_json::from_slice::<Value>(upload.answer)
        .ok()
        .and_then(|app| app.get("sid")?.as_str().map(str::to_owned))
        .filter(|_| (200..300).contains(&upload.status));
    put("Sid", created);
    AuditEntry {
        at_ms: upload.at_ms,
        operator: upload.operator.to_owned(),
        role: upload.role,
        client: upload.client,
        method: "POST".to_owned(),
        path: "/v1/Apps".to_owned(),
        params,
        status: upload.status,
        error_code: error_code(upload.status, upload.answer),
        duration_ms: upload.duration_ms,
        changes: Vec::new(),
        note: (upload.status == 0).then(|| "the upload broke off before an answer".to_owned()),
        rollout: None,
        device: None,
        names: BTreeMap::new(),
        started_by: None,
    }
}

/// A device update (`POST /v1/Devices/{id}`), whose before and after an entry shows.
pub fn device_path(method: &str, path: &str) -> bool {
    method == "POST"
        && path
            .strip_prefix("/v1/Devices/")
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
}

/// The parameters of a write: form fields (the API's) or the top-level fields of a JSON body
/// (the console's own), with the value of every secret replaced and long values cut.
pub fn params_of(path: &str, content_type: Option<&str>, body: &[u8]) -> BTreeMap<String, String> {
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
    let secret = path.contains("/Secrets");
    // A webhook's URL often carries its token: never kept.
    let webhook = path.starts_with("/console/v1/alerts");
    for (key, value) in &mut params {
        if (secret && key.eq_ignore_ascii_case("value"))
            || (webhook && matches!(key.as_str(), "url" | "webhooks"))
        {
            *value = REDACTED.to_owned();
        } else if value.chars().count() > MAX_VALUE_CHARS {
            *value = format!(
                "{}…",
                value.chars().take(MAX_VALUE_CHARS).collect::<String>()
            );
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

/// A write as it happened, for [`entry`].
pub struct Write<'a> {
    pub at_ms: i64,
    pub operator: &'a str,
    pub role: Role,
    /// The client's address, when it can be trusted.
    pub client: Option<String>,
    pub method: &'a str,
    pub path: &'a str,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// A device update's state just before the write, or why it could not be read.
    pub before: Result<Option<Value>, String>,
    /// The answer's status (0 when none came) and body.
    pub status: u16,
    pub answer: &'a [u8],
    pub duration_ms: i64,
    /// The names of the apps `apps_mentioned` found, as read when the write was made.
    pub app_names: BTreeMap<String, String>,
}

/// The entry for one write: its parameters redacted and, for a device update that succeeded,
/// each watched field before → after.
pub fn entry(write: Write<'_>) -> AuditEntry {
    let after = serde_json::from_slice::<Value>(write.answer).ok();
    let (before, mut note) = match write.before {
        Ok(before) => (before, None),
        Err(why) => (
            None,
            Some(format!(
                "the device could not be read before the write: {why}"
            )),
        ),
    };
    if write.status == 0 {
        note = Some("the answer broke off before it was complete".to_owned());
    }
    let is_device = device_path(write.method, write.path);
    let changes = match (&before, &after) {
        (Some(before), Some(after)) if (200..300).contains(&write.status) => {
            changes_of(before, after)
        }
        _ => Vec::new(),
    };
    let device = [&before, &after]
        .into_iter()
        .flatten()
        .find_map(|device| device.get("sid")?.as_str().map(str::to_owned))
        .filter(|_| is_device);
    let mut names = write.app_names;
    // The device's name as it was before the write (a rename's new name is in its changes).
    if let Some(sid) = &device {
        let name = [&before, &after]
            .into_iter()
            .flatten()
            .find_map(|d| d.get("unique_name")?.as_str().filter(|n| !n.is_empty()));
        if let Some(name) = name {
            names.insert(sid.clone(), name.to_owned());
        }
    }
    AuditEntry {
        at_ms: write.at_ms,
        operator: write.operator.to_owned(),
        role: write.role,
        client: write.client,
        method: write.method.to_owned(),
        path: write.path.to_owned(),
        params: params_of(write.path, write.content_type, write.body),
        status: write.status,
        error_code: error_code(write.status, write.answer),
        duration_ms: write.duration_ms,
        changes,
        note,
        rollout: None,
        device,
        names,
        started_by: None,
    }
}

/// The apps a device write mentions, whose names its entry keeps: the app the device targets
/// and runs before it (`before`, as read for the entry), and the one it is pointed at
/// (`TargetApp` in `body`).
pub fn apps_mentioned(
    before: &Result<Option<Value>, String>,
    content_type: Option<&str>,
    body: &[u8],
) -> Vec<String> {
    let before = before.as_ref().ok().and_then(Option::as_ref);
    let mut sids: Vec<String> = ["/app/target_sid", "/app/reported_sid"]
        .iter()
        .filter_map(|pointer| before?.pointer(pointer)?.as_str().map(str::to_owned))
        .collect();
    let form = !content_type.is_some_and(|t| t.starts_with("application/json"));
    if form {
        sids.extend(
            form_urlencoded::parse(body)
                .filter(|(key, _)| key == "TargetApp")
                .map(|(_, value)| value.into_owned()),
        );
    }
    sids.retain(|sid| sid.starts_with("KA"));
    sids.sort();
    sids.dedup();
    sids
}

/// One write a rollout made to one device, for [`rollout_write`].
pub struct RolloutWrite<'a> {
    pub at_ms: i64,
    pub id: &'a str,
    pub name: &'a str,
    /// Who started the rollout, as `name (role)`.
    pub started_by: Option<&'a str>,
    /// The form sent (`TargetApp=…`, or a bulk action's `LoggingEnabled=…`).
    pub form: &'a str,
    pub path: &'a str,
    /// The device just before the write, or why it could not be read.
    pub before: Result<Option<Value>, String>,
    pub status: u16,
    pub answer: &'a [u8],
    pub duration_ms: i64,
    pub app_names: BTreeMap<String, String>,
}

/// The entry for a rollout's write: as any device write's (before → after, names), under the
/// rollout's name and the person who started it.
pub fn rollout_write(write: RolloutWrite<'_>) -> AuditEntry {
    let mut entry = entry(Write {
        at_ms: write.at_ms,
        operator: ROLLOUT_OPERATOR,
        role: Role::Operator,
        client: None,
        method: "POST",
        path: write.path,
        content_type: Some("application/x-www-form-urlencoded"),
        body: write.form.as_bytes(),
        before: write.before,
        status: write.status,
        answer: write.answer,
        duration_ms: write.duration_ms,
        app_names: write.app_names,
    });
    entry.rollout = Some(write.id.to_owned());
    entry
        .names
        .insert(write.id.to_owned(), write.name.to_owned());
    entry.started_by = write.started_by.map(str::to_owned);
    entry
}

/// `GET …/audit?…`: a page of entries numbered below `before`, newest first, that `filter`
/// keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub before: i64,
    pub limit: usize,
    pub filter: Filter,
}

/// Which entries a reader wants. Empty means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub operator: String,
    /// A device's SID or unique name, as it appears in the path written.
    pub device: String,
    /// One of [`AuditEntry::kind`]'s words.
    pub action: String,
    /// `ok` or `failed`.
    pub outcome: String,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

impl Query {
    pub const DEFAULT_LIMIT: usize = 100;
    pub const MAX_LIMIT: usize = 1000;

    /// From a URL's query string; unknown keys and numbers that do not parse are ignored.
    pub fn parse(query: &str) -> Query {
        let mut parsed = Query {
            before: i64::MAX,
            limit: Self::DEFAULT_LIMIT,
            filter: Filter::default(),
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim();
            let number = value.parse::<i64>().ok();
            match key.as_ref() {
                "before" => parsed.before = number.unwrap_or(parsed.before),
                "limit" => {
                    parsed.limit = number.map_or(parsed.limit, |n| {
                        n.clamp(1, Self::MAX_LIMIT as i64) as usize
                    })
                }
                "operator" => parsed.filter.operator = value.to_owned(),
                "device" => parsed.filter.device = value.to_owned(),
                "action" => parsed.filter.action = value.to_owned(),
                "outcome" => parsed.filter.outcome = value.to_owned(),
                "from_ms" => parsed.filter.from_ms = number,
                "to_ms" => parsed.filter.to_ms = number,
                _ => {}
            }
        }
        parsed
    }

    /// Keeps, from `rows` (newest first, each numbered below the last), those the filter
    /// matches, until `entries` holds a page. Returns where the next page starts once it does.
    pub fn take(
        &self,
        rows: impl IntoIterator<Item = AuditRow>,
        entries: &mut Vec<AuditRecord>,
    ) -> Option<i64> {
        for row in rows {
            if row.seq >= self.before || entries.len() >= self.limit {
                continue;
            }
            // A row whose text no longer decodes is for `verify` to name, not for a reader.
            let Ok(entry) = serde_json::from_str::<AuditEntry>(&row.entry) else {
                continue;
            };
            if self.filter.matches(&entry) {
                entries.push(AuditRecord {
                    seq: row.seq,
                    hash: row.hash,
                    entry,
                });
                if entries.len() == self.limit {
                    return Some(row.seq);
                }
            }
        }
        None
    }
}

impl Filter {
    pub fn matches(&self, entry: &AuditEntry) -> bool {
        let path = entry.path.to_ascii_lowercase();
        let device = self.device.to_ascii_lowercase();
        let prefix = format!("/v1/devices/{device}");
        (self.operator.is_empty() || entry.operator == self.operator)
            && (device.is_empty()
                || entry.device.as_deref() == Some(self.device.as_str())
                || path == prefix
                || path.starts_with(&format!("{prefix}/")))
            && (self.action.is_empty() || entry.kind() == self.action)
            && match self.outcome.as_str() {
                "ok" => entry.succeeded(),
                "failed" => !entry.succeeded(),
                _ => true,
            }
            && self.from_ms.is_none_or(|from| entry.at_ms >= from)
            && self.to_ms.is_none_or(|to| entry.at_ms <= to)
    }
}

/// One stored entry: its number in the chain, its time, its text as hashed, and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at_ms: i64,
    pub entry: String,
    pub hash: String,
}

impl AuditRow {
    /// The row that follows the one numbered `seq` with hash `previous`.
    pub fn next(seq: i64, previous: &str, at_ms: i64, entry: String) -> AuditRow {
        let seq = seq + 1;
        AuditRow {
            hash: chain_hash(previous, seq, at_ms, &entry),
            seq,
            at_ms,
            entry,
        }
    }
}

/// The hash that links entry `seq` to the one before it: SHA-256 over the previous hash, the
/// number, the time and the entry's text, each prefixed by its length, so changing any of them
/// breaks every later link.
pub fn chain_hash(previous: &str, seq: i64, at_ms: i64, entry: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in [previous, &seq.to_string(), &at_ms.to_string(), entry] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Walks a chain oldest first: every row must follow the one before it and carry the hash of
/// its own content and its predecessor's; at the end the head must be the last row.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    previous: String,
    expected: i64,
}

impl Default for ChainCheck {
    fn default() -> Self {
        ChainCheck::after(0, String::new())
    }
}

impl ChainCheck {
    /// A check that starts after entry `seq` whose hash was `hash` (a log whose oldest entries
    /// were let go keeps the last one's number and hash as its anchor).
    pub fn after(seq: i64, hash: String) -> ChainCheck {
        ChainCheck {
            previous: hash,
            expected: seq + 1,
        }
    }

    /// The last entry checked so far.
    pub fn checked(&self) -> i64 {
        self.expected - 1
    }

    fn broken(&self, problem: String) -> AuditVerdict {
        AuditVerdict {
            intact: false,
            entries: self.checked(),
            problem: Some(problem),
        }
    }

    /// The next row; the verdict naming the entry at the first problem.
    pub fn row(&mut self, row: &AuditRow) -> Result<(), AuditVerdict> {
        let expected = self.expected;
        if row.seq != expected {
            return Err(self.broken(format!(
                "entry {expected} was removed (the next is entry {})",
                row.seq
            )));
        }
        if chain_hash(&self.previous, row.seq, row.at_ms, &row.entry) != row.hash {
            return Err(self.broken(format!(
                "entry {expected} was changed, or put in, after it was written"
            )));
        }
        self.previous.clone_from(&row.hash);
        self.expected += 1;
        Ok(())
    }

    /// The verdict once every row has been seen, given the head the log keeps apart.
    pub fn finish(self, head: i64, head_hash: &str) -> AuditVerdict {
        let last = self.checked();
        if head != last || head_hash != self.previous {
            return self.broken(if head > last {
                format!("entries {} to {head} were removed from the end", last + 1)
            } else {
                format!("entry {last} is not the one the log last wrote")
            });
        }
        AuditVerdict {
            intact: true,
            entries: last,
            problem: None,
        }
    }
}

#[cfg(test)]
mod tests;
