//! The Audit page's pure parts: its filters as the URL's query, the words for an entry, and
//! the exports (CSV safe in a spreadsheet, and JSON).

use console_protocol::AuditRecord;
use microvisor_api::url::encode_segment;

use crate::export::csv;

/// What the Audit page shows, as its URL says. Empty means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub operator: String,
    pub device: String,
    pub action: String,
    pub outcome: String,
}

/// The actions a person can filter by: (value, label).
/// Entries the static demo's audit log keeps in localStorage (older ones are let go; the
/// Audit page says how many).
pub const DEMO_KEPT: usize = 2000;

pub const ACTIONS: [(&str, &str); 8] = [
    ("", "Any action"),
    ("device", "Devices"),
    ("app", "Apps"),
    ("config", "Configs"),
    ("secret", "Secrets"),
    ("view", "Saved views"),
    ("rollout", "Rollouts"),
    ("alert", "Alert rules"),
];

/// The outcomes: (value, label).
pub const OUTCOMES: [(&str, &str); 3] = [("", "Any outcome"), ("ok", "Done"), ("failed", "Failed")];

impl AuditFilter {
    /// From the URL's query pairs; unknown keys are ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> AuditFilter {
        let mut filter = AuditFilter::default();
        for (key, value) in pairs {
            let value = value.trim().to_owned();
            match key {
                "operator" => filter.operator = value,
                "device" => filter.device = value,
                "action" if ACTIONS.iter().any(|(a, _)| *a == value) => filter.action = value,
                "outcome" if OUTCOMES.iter().any(|(o, _)| *o == value) => filter.outcome = value,
                _ => {}
            }
        }
        filter
    }

    /// As a query string (`operator=ana&action=device`), only what is set; the same for the
    /// page's URL and for the server's API.
    pub fn query(&self) -> String {
        [
            ("operator", &self.operator),
            ("device", &self.device),
            ("action", &self.action),
            ("outcome", &self.outcome),
        ]
        .iter()
        .filter(|(_, value)| !value.trim().is_empty())
        .map(|(key, value)| format!("{key}={}", encode_segment(value.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// `2026-11-29 05:41:22 UTC`.
pub fn time_text(at_ms: i64) -> String {
    microvisor_api::time::format_iso8601(at_ms.div_euclid(1000))
        .replacen('T', " ", 1)
        .replace('Z', " UTC")
}

/// Who made a write: a person, or a rollout someone started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// `ana (operator)`, and where the request came from when that is known.
    Person(String),
    Rollout {
        id: String,
        /// Its name when the write was made; its SID for entries from before names were kept.
        name: String,
        /// `ana (operator)`, when known.
        started_by: Option<String>,
    },
}

pub fn who(record: &AuditRecord) -> Who {
    let entry = &record.entry;
    if let (Some(id), console_protocol::ROLLOUT_OPERATOR) =
        (&entry.rollout, entry.operator.as_str())
    {
        return Who::Rollout {
            id: id.clone(),
            name: entry.names.get(id).cloned().unwrap_or_else(|| id.clone()),
            started_by: entry.started_by.clone(),
        };
    }
    let who = format!("{} ({})", entry.operator, entry.role.name());
    Who::Person(match &entry.client {
        Some(client) => format!("{who} from {client}"),
        None => who,
    })
}

/// `ana (operator) from 192.0.2.7`, or `rollout 'canary 2.1', started by ana (operator)`.
pub fn who_text(record: &AuditRecord) -> String {
    match who(record) {
        Who::Person(text) => text,
        Who::Rollout {
            name, started_by, ..
        } => match started_by {
            Some(by) => format!("rollout '{name}', started by {by}"),
            None => format!("rollout '{name}'"),
        },
    }
}

/// `pump-7 (UV…)`: a SID with the name it had when the entry was written, or the SID alone.
pub fn named(record: &AuditRecord, sid: &str) -> String {
    match record.entry.names.get(sid) {
        Some(name) => format!("{name} ({sid})"),
        None => sid.to_owned(),
    }
}

/// What a write did, in words: `Device changed`, `App deleted`, `Rollout created`.
pub fn action_label(record: &AuditRecord) -> String {
    let entry = &record.entry;
    let kind = entry.kind();
    let rest = entry
        .path
        .strip_prefix("/console/v1/")
        .or_else(|| entry.path.strip_prefix("/v1/"))
        .unwrap_or(&entry.path);
    let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let verb = match (entry.method.as_str(), segments.last().copied()) {
        ("DELETE", _) => "deleted",
        _ if entry.rollout.is_some() && entry.device.is_some() => "device written",
        (_, Some("control")) => "controlled",
        (_, Some("ack")) => "acknowledged",
        (_, Some("silence")) => "silenced",
        (_, Some("webhooks")) => "webhook added",
        (_, Some("Apps")) => "uploaded",
        // A collection (`views`, `Devices/UV…/Configs`): something new in it.
        _ if segments.len() % 2 == 1 => "created",
        _ => "changed",
    };
    let mut label = kind.to_owned();
    if let Some(first) = label.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    format!("{label} {verb}")
}

/// What the entry is about, named: the device (`pump-7 (UV…)`), else the app or rollout its
/// path or parameters name.
pub fn subject(record: &AuditRecord) -> Option<String> {
    let entry = &record.entry;
    if let Some(device) = &entry.device {
        return Some(named(record, device));
    }
    let segments: Vec<&str> = entry.path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["v1", "Devices", id, ..] | ["v1", "Apps", id, ..] => Some(named(record, id)),
        ["v1", "Apps"] => entry.params.get("Sid").map(|sid| named(record, sid)),
        _ => None,
    }
}

/// `POST /v1/Devices/pump-7`.
pub fn action_text(record: &AuditRecord) -> String {
    format!("{} {}", record.entry.method, record.entry.path)
}

/// The parameters as fields, each value that is a SID the entry named shown with its name.
pub fn param_fields(record: &AuditRecord) -> Vec<(String, String)> {
    record
        .entry
        .params
        .iter()
        .map(|(key, value)| (key.clone(), named(record, value)))
        .collect()
}

/// `UniqueName=pump-8, Value=[redacted]`.
pub fn params_text(record: &AuditRecord) -> String {
    record
        .entry
        .params
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `name: pump-7 → pump-8; target app: fw-2.0 (KA…) → fw-2.1 (KA…)`, plus the entry's note.
pub fn changes_text(record: &AuditRecord) -> String {
    let shown = |value: &Option<String>| {
        value
            .as_deref()
            .map_or_else(|| "(none)".to_owned(), |value| named(record, value))
    };
    let field = |field: &str| match field {
        "unique_name" => "name".to_owned(),
        other => other.replace('_', " "),
    };
    let mut parts: Vec<String> = record
        .entry
        .changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} → {}",
                field(&c.field),
                shown(&c.before),
                shown(&c.after)
            )
        })
        .collect();
    if let Some(note) = &record.entry.note {
        parts.push(note.clone());
    }
    parts.join("; ")
}

/// `200`, `404 · error 20404`, or `no answer`.
pub fn outcome_text(record: &AuditRecord) -> String {
    match (record.entry.status, record.entry.error_code) {
        (0, _) => "no answer".to_owned(),
        (status, Some(code)) => format!("{status} · error {code}"),
        (status, None) => status.to_string(),
    }
}

/// The entries as CSV, one row each, formula-safe.
pub fn export_csv(records: &[AuditRecord]) -> String {
    csv(
        [
            "seq",
            "time",
            "operator",
            "role",
            "client",
            "action",
            "parameters",
            "outcome",
            "changes",
            "rollout",
            "duration_ms",
            "hash",
        ],
        records.iter().map(|r| {
            [
                r.seq.to_string(),
                time_text(r.entry.at_ms),
                r.entry.operator.clone(),
                r.entry.role.name().to_owned(),
                r.entry.client.clone().unwrap_or_default(),
                action_text(r),
                params_text(r),
                outcome_text(r),
                changes_text(r),
                r.entry.rollout.clone().unwrap_or_default(),
                r.entry.duration_ms.to_string(),
                r.hash.clone(),
            ]
        }),
    )
}

/// The entries as a JSON array, as the server gave them.
pub fn export_json(records: &[AuditRecord]) -> String {
    serde_json::to_string_pretty(records).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use console_protocol::{AuditEntry, Change, Role};

    fn record() -> AuditRecord {
        AuditRecord {
            seq: 7,
            hash: "ab12".into(),
            entry: AuditEntry {
                at_ms: 1_764_394_882_000,
                operator: "=cmd|' /C calc'!A0".into(),
                role: Role::Operator,
                client: Some("192.0.2.7".into()),
                method: "POST".into(),
                path: "/v1/Devices/pump-7".into(),
                params: [("UniqueName".to_owned(), "pump-8".to_owned())].into(),
                status: 404,
                error_code: Some(20404),
                duration_ms: 12,
                changes: vec![Change {
                    field: "unique_name".into(),
                    before: Some("pump-7".into()),
                    after: None,
                }],
                note: None,
                rollout: None,
                device: None,
                names: Default::default(),
                started_by: None,
            },
        }
    }

    #[test]
    fn filters_round_trip_through_the_query() {
        let filter = AuditFilter::from_pairs([
            ("operator", "ana maria"),
            ("action", "secret"),
            ("outcome", "bogus"),
            ("other", "x"),
        ]);
        assert_eq!(filter.action, "secret");
        assert_eq!(filter.outcome, "", "unknown outcomes are dropped");
        assert_eq!(filter.query(), "operator=ana%20maria&action=secret");
        assert_eq!(AuditFilter::default().query(), "");
    }

    #[test]
    fn an_entry_reads_plainly_and_exports_safely() {
        let r = record();
        assert_eq!(time_text(r.entry.at_ms), "2025-11-29 05:41:22 UTC");
        assert_eq!(action_text(&r), "POST /v1/Devices/pump-7");
        assert_eq!(who_text(&r), "=cmd|' /C calc'!A0 (operator) from 192.0.2.7");
        assert_eq!(params_text(&r), "UniqueName=pump-8");
        assert_eq!(outcome_text(&r), "404 · error 20404");
        assert_eq!(changes_text(&r), "name: pump-7 → (none)");
        assert_eq!(action_label(&r), "Device changed");
        let label = |method: &str, path: &str| {
            let mut r = record();
            r.entry.method = method.into();
            r.entry.path = path.into();
            action_label(&r)
        };
        assert_eq!(label("POST", "/console/v1/views"), "View created");
        assert_eq!(label("POST", "/console/v1/views/V1"), "View changed");
        assert_eq!(label("POST", "/v1/Devices/UV1/Configs"), "Config created");
        assert_eq!(
            label("DELETE", "/v1/Devices/UV1/Secrets/k"),
            "Secret deleted"
        );
        assert_eq!(label("POST", "/v1/Apps"), "App uploaded");
        assert_eq!(
            label("POST", "/console/v1/rollouts/RO1/control"),
            "Rollout controlled"
        );
        assert_eq!(
            label("POST", "/console/v1/alerts/AR1/ack"),
            "Alert acknowledged"
        );
        // A write that failed read no device: its path names it.
        assert_eq!(subject(&r).as_deref(), Some("pump-7"));
        let csv = export_csv(std::slice::from_ref(&r));
        assert!(csv.starts_with("seq,time,operator,role,client,"), "{csv}");
        assert!(csv.contains(",operator,192.0.2.7,POST "), "{csv}");
        assert!(
            csv.contains(",'=cmd|' /C calc'!A0,"),
            "a formula was left live: {csv}"
        );
        assert!(export_json(&[r]).contains("\"seq\": 7"));
    }

    #[test]
    fn a_rollout_s_write_names_its_device_apps_rollout_and_starter() {
        let mut r = record();
        r.entry.operator = console_protocol::ROLLOUT_OPERATOR.into();
        r.entry.client = None;
        r.entry.status = 200;
        r.entry.error_code = None;
        r.entry.path = "/v1/Devices/UV1".into();
        r.entry.device = Some("UV1".into());
        r.entry.rollout = Some("RO1".into());
        r.entry.started_by = Some("ana (operator)".into());
        r.entry.params = [("TargetApp".to_owned(), "KAnew".to_owned())].into();
        r.entry.changes = vec![Change {
            field: "target_app".into(),
            before: Some("KAold".into()),
            after: Some("KAnew".into()),
        }];
        r.entry.names = [
            ("UV1", "pump-7"),
            ("RO1", "canary 2.1"),
            ("KAold", "fw-2.0"),
            ("KAnew", "fw-2.1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            who_text(&r),
            "rollout 'canary 2.1', started by ana (operator)"
        );
        assert_eq!(action_label(&r), "Rollout device written");
        assert_eq!(subject(&r).as_deref(), Some("pump-7 (UV1)"));
        assert_eq!(
            param_fields(&r),
            [("TargetApp".to_owned(), "fw-2.1 (KAnew)".to_owned())]
        );
        assert_eq!(
            changes_text(&r),
            "target app: fw-2.0 (KAold) → fw-2.1 (KAnew)"
        );
        // An entry from before names were kept still reads.
        r.entry.names.clear();
        r.entry.started_by = None;
        assert_eq!(who_text(&r), "rollout 'RO1'");
        assert_eq!(subject(&r).as_deref(), Some("UV1"));
    }
}
