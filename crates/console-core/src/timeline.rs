//! How a device's History reads: what the fleet index saw it do, and the writes made to it
//! through this console, as one list of sentences ("reported error 2", "targeted
//! meter-reader-2.1 by ana (rollout 'canary 2.1')", "now up to date on meter-reader-2.1").

use console_protocol::TimelineEntry;
use fleet_engine::AppNames;

use crate::display::app_label;

/// One line of the History: when, what, and whether it was a write that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineLine {
    pub at_ms: i64,
    /// `observed` or `write`, as the entries it came from.
    pub source: String,
    pub text: String,
    pub failed: bool,
}

/// The entries (newest first) as lines: the changes one pass saw on the device are one line,
/// so a device that went to `error` with code 2 reads "reported error 2", not two lines.
pub fn timeline_lines(entries: &[TimelineEntry], apps: &AppNames) -> Vec<TimelineLine> {
    let mut lines: Vec<TimelineLine> = Vec::new();
    let mut at = 0;
    while at < entries.len() {
        let entry = &entries[at];
        if entry.source != "observed" {
            lines.push(write_line(entry, apps));
            at += 1;
            continue;
        }
        let same_pass = entries[at..]
            .iter()
            .take_while(|e| e.source == "observed" && e.at_ms == entry.at_ms)
            .count();
        lines.push(TimelineLine {
            at_ms: entry.at_ms,
            source: entry.source.clone(),
            text: observed_text(&entries[at..at + same_pass], apps),
            failed: false,
        });
        at += same_pass;
    }
    lines
}

fn app_or_none(apps: &AppNames, sid: Option<&String>) -> String {
    sid.map_or_else(|| "no app".to_owned(), |sid| app_label(apps, sid))
}

fn write_line(entry: &TimelineEntry, apps: &AppNames) -> TimelineLine {
    let who = entry.operator.as_deref().unwrap_or("someone");
    let after = entry.after.as_deref().unwrap_or("none");
    let what = match entry.kind.as_str() {
        "target_app" => format!("targeted {}", app_or_none(apps, entry.after.as_ref())),
        "unique_name" => format!("renamed to {after}"),
        "logging" => format!("logging turned {after}"),
        "restart_app" => "app restarted".to_owned(),
        "config" | "secret" => format!("{} changed", entry.kind),
        _ => "changed".to_owned(),
    };
    let mut text = format!("{what} by {who}");
    if let Some(rollout) = &entry.rollout {
        text.push_str(&format!(" (rollout '{rollout}')"));
    }
    if entry.failed {
        text.push_str(": failed");
    }
    TimelineLine {
        at_ms: entry.at_ms,
        source: entry.source.clone(),
        text,
        failed: entry.failed,
    }
}

/// The changes one pass saw, as one sentence.
fn observed_text(changes: &[TimelineEntry], apps: &AppNames) -> String {
    let after = |kind: &str| {
        changes
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| c.after.clone())
    };
    let mut parts: Vec<String> = Vec::new();
    let status = after("status").flatten();
    let reported = after("reported_app");
    let code = after("error_code").flatten().filter(|code| code != "0");
    match status.as_deref() {
        Some("error") => parts.push(match &code {
            Some(code) => format!("reported error {code}"),
            None => "reported an error".to_owned(),
        }),
        Some("up-to-date") => parts.push(match &reported {
            Some(app) => format!("now up to date on {}", app_or_none(apps, app.as_ref())),
            None => "now up to date".to_owned(),
        }),
        Some(other) => parts.push(format!("now {other}")),
        None => {}
    }
    for change in changes {
        let before = change.before.as_deref().unwrap_or("none");
        match change.kind.as_str() {
            "appeared" => parts.push(format!(
                "first seen ({})",
                change.after.as_deref().unwrap_or("unknown")
            )),
            "gone" => parts.push("no longer listed".to_owned()),
            "target_app" => parts.push(format!(
                "target now {}",
                app_or_none(apps, change.after.as_ref())
            )),
            // Said with the status when it came with one.
            "reported_app" if status.as_deref() != Some("up-to-date") => parts.push(format!(
                "reports {}",
                app_or_none(apps, change.after.as_ref())
            )),
            "error_code" if status.as_deref() != Some("error") && code.is_some() => {
                parts.push(format!(
                    "error code {before} → {}",
                    change.after.as_deref().unwrap_or("none")
                ))
            }
            "logging" => parts.push(format!(
                "logging {}",
                change.after.as_deref().unwrap_or("off")
            )),
            "unique_name" => parts.push(format!(
                "renamed from {before} to {}",
                change.after.as_deref().unwrap_or("none")
            )),
            _ => {}
        }
    }
    if parts.is_empty() {
        "changed".to_owned()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use microvisor_api::App;

    fn seen(at_ms: i64, kind: &str, before: Option<&str>, after: Option<&str>) -> TimelineEntry {
        TimelineEntry {
            at_ms,
            source: "observed".to_owned(),
            kind: kind.to_owned(),
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
            operator: None,
            rollout: None,
            failed: false,
        }
    }

    fn apps() -> AppNames {
        AppNames::from_apps(&[App {
            sid: Some("KA21".to_owned()),
            unique_name: Some("meter-reader-2.1".to_owned()),
            ..App::default()
        }])
    }

    #[test]
    fn a_pass_reads_as_one_sentence_and_a_write_names_who_and_which_rollout() {
        let entries = vec![
            seen(30, "status", Some("pending"), Some("up-to-date")),
            seen(30, "reported_app", Some("KA1"), Some("KA21")),
            TimelineEntry {
                operator: Some("ana".to_owned()),
                rollout: Some("canary 2.1".to_owned()),
                ..seen(20, "target_app", Some("KA1"), Some("KA21"))
            }
            .with_source("write"),
            seen(10, "status", Some("up-to-date"), Some("error")),
            seen(10, "error_code", Some("0"), Some("2")),
            seen(5, "appeared", None, Some("up-to-date")),
        ];
        let texts: Vec<String> = timeline_lines(&entries, &apps())
            .into_iter()
            .map(|line| line.text)
            .collect();
        assert_eq!(
            texts,
            [
                "now up to date on meter-reader-2.1",
                "targeted meter-reader-2.1 by ana (rollout 'canary 2.1')",
                "reported error 2",
                "first seen (up-to-date)",
            ]
        );
    }

    #[test]
    fn lesser_changes_and_failed_writes_are_said_too() {
        let entries = vec![
            seen(9, "logging", Some("off"), Some("on")),
            seen(9, "unique_name", None, Some("pump-7")),
            TimelineEntry {
                operator: Some("bo".to_owned()),
                failed: true,
                ..seen(8, "restart_app", None, None)
            }
            .with_source("write"),
            seen(7, "gone", Some("pending"), None),
        ];
        let lines = timeline_lines(&entries, &apps());
        assert_eq!(lines[0].text, "logging on; renamed from none to pump-7");
        assert_eq!(lines[1].text, "app restarted by bo: failed");
        assert!(lines[1].failed);
        assert_eq!(lines[2].text, "no longer listed");
    }

    trait WithSource {
        fn with_source(self, source: &str) -> TimelineEntry;
    }

    impl WithSource for TimelineEntry {
        fn with_source(self, source: &str) -> TimelineEntry {
            TimelineEntry {
                source: source.to_owned(),
                ..self
            }
        }
    }
}
