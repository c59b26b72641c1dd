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

/// `ana (operator)`, and where the request came from when that is known.
pub fn who_text(record: &AuditRecord) -> String {
    let who = format!("{} ({})", record.entry.operator, record.entry.role.name());
    match &record.entry.client {
        Some(client) => format!("{who} from {client}"),
        None => who,
    }
}

/// `POST /v1/Devices/pump-7`.
pub fn action_text(record: &AuditRecord) -> String {
    format!("{} {}", record.entry.method, record.entry.path)
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

/// `unique_name: pump-7 → pump-8; logging: false → true`, plus the entry's note.
pub fn changes_text(record: &AuditRecord) -> String {
    let shown = |value: &Option<String>| value.clone().unwrap_or_else(|| "(none)".to_owned());
    let mut parts: Vec<String> = record
        .entry
        .changes
        .iter()
        .map(|c| format!("{}: {} → {}", c.field, shown(&c.before), shown(&c.after)))
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
        assert_eq!(changes_text(&r), "unique_name: pump-7 → (none)");
        let csv = export_csv(std::slice::from_ref(&r));
        assert!(csv.starts_with("seq,time,operator,role,client,"), "{csv}");
        assert!(csv.contains(",operator,192.0.2.7,POST "), "{csv}");
        assert!(
            csv.contains(",'=cmd|' /C calc'!A0,"),
            "a formula was left live: {csv}"
        );
        assert!(export_json(&[r]).contains("\"seq\": 7"));
    }
}
