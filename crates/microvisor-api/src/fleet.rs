//! Working over many loaded devices: filters, a summary, sorting, exports, bulk actions, and
//! the equivalent curl and twilio-cli commands. Pure, so it is tested on the host.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::time::parse_iso8601;
use crate::{Device, DeviceUpdate, UpdateStatus};

/// What narrows the loaded devices. Every part that is set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceFilter {
    /// Case-insensitive text in the SID, unique name, or target or reported app (SID or name).
    pub text: String,
    pub status: Option<String>,
    pub target_app: Option<String>,
    pub logging_on: Option<bool>,
    pub target_differs: bool,
    /// Pending for longer than this many hours.
    pub pending_hours: Option<u32>,
}

/// App SIDs to unique names, for matching and showing apps by name.
pub type AppNames = BTreeMap<String, String>;

fn status_word(device: &Device) -> &str {
    device
        .update_status()
        .map_or("unknown", UpdateStatus::as_wire)
}

fn logging_on(device: &Device, now: i64) -> bool {
    device.logging.as_ref().is_some_and(|logging| {
        logging.enabled == Some(true)
            && logging
                .date_expires
                .as_deref()
                .and_then(parse_iso8601)
                .is_none_or(|expires| expires > now)
    })
}

/// Seconds the device has been pending, if it is.
fn pending_for(device: &Device, now: i64) -> Option<i64> {
    let app = device.app.as_ref()?;
    if app.update_status != Some(UpdateStatus::Pending) {
        return None;
    }
    Some(now - parse_iso8601(app.date_targeted.as_deref()?)?)
}

impl DeviceFilter {
    pub fn is_empty(&self) -> bool {
        *self == DeviceFilter::default()
    }

    pub fn matches(&self, device: &Device, apps: &AppNames, now: i64) -> bool {
        let app = device.app.clone().unwrap_or_default();
        let text = self.text.trim().to_lowercase();
        if !text.is_empty() {
            let name_of =
                |sid: &Option<String>| sid.as_ref().and_then(|sid| apps.get(sid)).cloned();
            let haystack = [
                device.sid.clone(),
                device.unique_name.clone(),
                app.target_sid.clone(),
                app.reported_sid.clone(),
                name_of(&app.target_sid),
                name_of(&app.reported_sid),
            ];
            if !haystack
                .iter()
                .flatten()
                .any(|field| field.to_lowercase().contains(&text))
            {
                return false;
            }
        }
        if self
            .status
            .as_deref()
            .is_some_and(|status| status != status_word(device))
        {
            return false;
        }
        if self
            .target_app
            .as_ref()
            .is_some_and(|target| Some(target) != app.target_sid.as_ref())
        {
            return false;
        }
        if self
            .logging_on
            .is_some_and(|on| on != logging_on(device, now))
        {
            return false;
        }
        if self.target_differs && !device.reported_differs_from_target() {
            return false;
        }
        if let Some(hours) = self.pending_hours
            && pending_for(device, now).is_none_or(|seconds| seconds <= i64::from(hours) * 3600)
        {
            return false;
        }
        true
    }
}

/// Counts over the loaded devices; each count can become a filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetSummary {
    pub total: usize,
    pub by_status: BTreeMap<String, usize>,
    /// Target app SID (or "" for none) → count.
    pub by_target: BTreeMap<String, usize>,
    pub logging_on: usize,
    pub target_differs: usize,
    pub pending_long: usize,
}

impl FleetSummary {
    pub fn of(devices: &[Device], now: i64, pending_hours: u32) -> FleetSummary {
        let mut summary = FleetSummary {
            total: devices.len(),
            ..FleetSummary::default()
        };
        for device in devices {
            *summary
                .by_status
                .entry(status_word(device).to_owned())
                .or_default() += 1;
            let target = device
                .app
                .as_ref()
                .and_then(|app| app.target_sid.clone())
                .unwrap_or_default();
            *summary.by_target.entry(target).or_default() += 1;
            summary.logging_on += usize::from(logging_on(device, now));
            summary.target_differs += usize::from(device.reported_differs_from_target());
            summary.pending_long += usize::from(
                pending_for(device, now)
                    .is_some_and(|seconds| seconds > i64::from(pending_hours) * 3600),
            );
        }
        summary
    }
}

/// The columns a device list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Sid,
    UniqueName,
    Status,
    TargetApp,
    ReportedApp,
    Logging,
    Updated,
}

/// Sorts in place; ties keep their order (the API's creation order).
pub fn sort_devices(devices: &mut [Device], key: SortKey, ascending: bool, apps: &AppNames) {
    let app_label =
        |sid: Option<&String>| sid.map(|sid| apps.get(sid).unwrap_or(sid).to_lowercase());
    let text_key = |device: &Device| -> Option<String> {
        let app = device.app.as_ref();
        match key {
            SortKey::Sid => device.sid.clone(),
            SortKey::UniqueName => device.unique_name.as_ref().map(|name| name.to_lowercase()),
            SortKey::Status => Some(status_word(device).to_owned()),
            SortKey::TargetApp => app_label(app.and_then(|a| a.target_sid.as_ref())),
            SortKey::ReportedApp => app_label(app.and_then(|a| a.reported_sid.as_ref())),
            SortKey::Logging => device.logging.as_ref().and_then(|l| l.date_expires.clone()),
            SortKey::Updated => device
                .date_updated
                .as_deref()
                .and_then(parse_iso8601)
                .map(|t| format!("{t:020}")),
        }
    };
    devices.sort_by(|a, b| {
        // Missing values go last whichever way the list is sorted.
        match (text_key(a), text_key(b)) {
            (Some(x), Some(y)) if ascending => x.cmp(&y),
            (Some(x), Some(y)) => y.cmp(&x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    });
}

/// Every property, nested objects flattened, in a fixed order.
pub const CSV_COLUMNS: [&str; 18] = [
    "sid",
    "unique_name",
    "account_sid",
    "app.target_sid",
    "app.target_hash",
    "app.date_targeted",
    "app.update_status",
    "app.update_error_code",
    "app.reported_sid",
    "app.date_reported",
    "logging.enabled",
    "logging.date_expires",
    "date_created",
    "date_updated",
    "url",
    "links.device_configs",
    "links.device_secrets",
    "target_app_name",
];

fn csv_row(device: &Device, apps: &AppNames) -> [String; 18] {
    let app = device.app.clone().unwrap_or_default();
    let logging = device.logging.clone().unwrap_or_default();
    let links = device.links.clone().unwrap_or_default();
    let text = |value: Option<String>| value.unwrap_or_default();
    [
        text(device.sid.clone()),
        text(device.unique_name.clone()),
        text(device.account_sid.clone()),
        text(app.target_sid.clone()),
        text(app.target_hash),
        text(app.date_targeted),
        text(app.update_status.map(|s| s.as_wire().to_owned())),
        text(app.update_error_code.map(|c| c.to_string())),
        text(app.reported_sid),
        text(app.date_reported),
        text(logging.enabled.map(|e| e.to_string())),
        text(logging.date_expires),
        text(device.date_created.clone()),
        text(device.date_updated.clone()),
        text(device.url.clone()),
        text(links.device_configs),
        text(links.device_secrets),
        text(
            app.target_sid
                .as_ref()
                .and_then(|sid| apps.get(sid).cloned()),
        ),
    ]
}

/// One CSV field: quoted when needed, and neutralised when a spreadsheet would read it as a
/// formula (a leading `=`, `+`, `-`, `@`, tab or carriage return gets a `'` in front).
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The devices as CSV with a header row, lines ending in CRLF as RFC 4180 has it.
pub fn export_csv(devices: &[Device], apps: &AppNames) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for device in devices {
        let row: Vec<String> = csv_row(device, apps)
            .iter()
            .map(|field| csv_field(field))
            .collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The devices as a JSON array, exactly as the API gave them.
pub fn export_json(devices: &[Device]) -> String {
    serde_json::to_string_pretty(devices).unwrap_or_else(|_| "[]".to_owned())
}

/// A change to make on many devices at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    SetTargetApp(String),
    EnableLogging,
    DisableLogging,
    RestartApp,
}

impl BulkAction {
    pub fn update(&self) -> DeviceUpdate {
        match self {
            BulkAction::SetTargetApp(app) => DeviceUpdate {
                target_app: Some(app.clone()),
                ..DeviceUpdate::default()
            },
            BulkAction::EnableLogging => DeviceUpdate {
                logging_enabled: Some(true),
                ..DeviceUpdate::default()
            },
            BulkAction::DisableLogging => DeviceUpdate {
                logging_enabled: Some(false),
                ..DeviceUpdate::default()
            },
            BulkAction::RestartApp => DeviceUpdate {
                restart_app: Some(true),
                ..DeviceUpdate::default()
            },
        }
    }

    pub fn describe(&self, apps: &AppNames) -> String {
        match self {
            BulkAction::SetTargetApp(app) => {
                format!("Set the target app to {}", apps.get(app).unwrap_or(app))
            }
            BulkAction::EnableLogging => "Enable or extend logging for 24 h".to_owned(),
            BulkAction::DisableLogging => "Disable logging".to_owned(),
            BulkAction::RestartApp => "Restart the app".to_owned(),
        }
    }

    /// What changes on `device`: (before, after).
    pub fn before_after(&self, device: &Device, apps: &AppNames, now: i64) -> (String, String) {
        let label = |sid: Option<&String>| {
            sid.map_or("none".to_owned(), |sid| {
                apps.get(sid).unwrap_or(sid).clone()
            })
        };
        match self {
            BulkAction::SetTargetApp(app) => {
                let app_sid = apps
                    .iter()
                    .find(|(_, name)| *name == app)
                    .map_or(app, |(sid, _)| sid);
                (
                    label(device.app.as_ref().and_then(|a| a.target_sid.as_ref())),
                    label(Some(app_sid)),
                )
            }
            BulkAction::EnableLogging | BulkAction::DisableLogging => {
                let before = if logging_on(device, now) {
                    "logging on"
                } else {
                    "logging off"
                };
                let after = if matches!(self, BulkAction::EnableLogging) {
                    "logging on for 24 h"
                } else {
                    "logging off"
                };
                (before.to_owned(), after.to_owned())
            }
            BulkAction::RestartApp => ("running".to_owned(), "restarting".to_owned()),
        }
    }
}

/// Quotes a value for a POSIX shell.
pub fn shell_quote(value: &str) -> String {
    if !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b))
    {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// A write as a curl command against the vendor's API: `method` on `api_path` (`/v1/...`)
/// with form `pairs`. Credentials stay in environment variables; their values never appear.
pub fn curl_for(method: &str, api_path: &str, pairs: &[(&str, &str)]) -> String {
    let mut parts = vec![format!(
        "curl -X {method} {}",
        shell_quote(&format!("{}{api_path}", crate::VENDOR_ORIGIN))
    )];
    for (name, value) in pairs {
        parts.push(format!(
            "--data-urlencode {}",
            shell_or_variable(&format!("{name}="), value)
        ));
    }
    parts.push("-u \"$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN\"".to_owned());
    parts.join(" \\\n  ")
}

/// A value, or, for one that starts with `$`, a shell variable left to expand
/// (`"Value=$SECRET_VALUE"`), so secrets need not be pasted into a command line.
fn shell_or_variable(prefix: &str, value: &str) -> String {
    if value.starts_with('$')
        && value[1..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'_')
    {
        format!("\"{prefix}{value}\"")
    } else {
        shell_quote(&format!("{prefix}{value}"))
    }
}

fn update_pairs(update: &DeviceUpdate) -> Vec<(&'static str, String)> {
    let mut pairs = Vec::new();
    if let Some(name) = &update.unique_name {
        pairs.push(("UniqueName", name.clone()));
    }
    if let Some(app) = &update.target_app {
        pairs.push(("TargetApp", app.clone()));
    }
    if let Some(enabled) = update.logging_enabled {
        pairs.push(("LoggingEnabled", enabled.to_string()));
    }
    if let Some(restart) = update.restart_app {
        pairs.push(("RestartApp", restart.to_string()));
    }
    pairs
}

/// The same device update as a curl command.
pub fn curl_command(device_sid: &str, update: &DeviceUpdate) -> String {
    let pairs = update_pairs(update);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    curl_for(
        "POST",
        &format!("/v1/Devices/{}", crate::url::encode_segment(device_sid)),
        &pairs,
    )
}

fn cli_flags(update: &DeviceUpdate) -> String {
    update_pairs(update)
        .into_iter()
        .map(|(name, value)| {
            let flag = match name {
                "UniqueName" => "--unique-name",
                "TargetApp" => "--target-app",
                "LoggingEnabled" => "--logging-enabled",
                _ => "--restart-app",
            };
            format!(" {flag} {}", shell_quote(&value))
        })
        .collect()
}

/// The same device update with twilio-cli (`api:microvisor:v1:devices:update`).
pub fn twilio_cli_command(device_sid: &str, update: &DeviceUpdate) -> String {
    format!(
        "twilio api:microvisor:v1:devices:update --sid {}{}",
        shell_quote(device_sid),
        cli_flags(update)
    )
}

/// A bulk update as a shell loop over the devices, with curl.
pub fn bulk_curl_command(device_sids: &[String], update: &DeviceUpdate) -> String {
    let sids: Vec<String> = device_sids.iter().map(|sid| shell_quote(sid)).collect();
    let pairs = update_pairs(update);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let one = curl_for("POST", "/v1/Devices/SID_PLACEHOLDER", &pairs).replace(
        "https://microvisor.twilio.com/v1/Devices/SID_PLACEHOLDER",
        "\"https://microvisor.twilio.com/v1/Devices/$sid\"",
    );
    format!("for sid in {}; do\n  {one}\ndone", sids.join(" "))
}

/// A bulk update as a shell loop over the devices, with twilio-cli.
pub fn bulk_twilio_cli_command(device_sids: &[String], update: &DeviceUpdate) -> String {
    let sids: Vec<String> = device_sids.iter().map(|sid| shell_quote(sid)).collect();
    format!(
        "for sid in {}; do\n  twilio api:microvisor:v1:devices:update --sid \"$sid\"{}\ndone",
        sids.join(" "),
        cli_flags(update)
    )
}

/// A Config or Secret write (create, update or remove) with twilio-cli. Secret values are
/// left to a shell variable.
pub fn key_value_cli_command(
    device_sid: Option<&str>,
    secrets: bool,
    action: &str,
    key: &str,
    value: Option<&str>,
) -> String {
    let collection = if secrets { "secrets" } else { "configs" };
    let mut command = match device_sid {
        Some(sid) => format!(
            "twilio api:microvisor:v1:devices:{collection}:{action} --device-sid {}",
            shell_quote(sid)
        ),
        None => format!("twilio api:microvisor:v1:{collection}:{action}"),
    };
    command.push_str(&format!(" --key {}", shell_quote(key)));
    if let Some(value) = value {
        command.push_str(&format!(" --value {}", shell_or_variable("", value)));
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_iso8601;
    use crate::{DeviceApp, DeviceLogging};

    fn device(n: u32, status: &str, target: &str, reported: Option<&str>) -> Device {
        Device {
            sid: Some(format!("UV{n:032}")),
            unique_name: Some(format!("pump-{n}")),
            app: Some(DeviceApp {
                target_sid: Some(target.to_owned()),
                reported_sid: reported.map(str::to_owned),
                update_status: Some(UpdateStatus::from_wire(status)),
                date_targeted: Some(format_iso8601(0)),
                ..DeviceApp::default()
            }),
            logging: Some(DeviceLogging {
                enabled: Some(n.is_multiple_of(2)),
                date_expires: Some(format_iso8601(100_000)),
            }),
            date_updated: Some(format_iso8601(i64::from(n) * 10)),
            ..Device::default()
        }
    }

    fn apps() -> AppNames {
        [
            ("KA1".to_owned(), "fw-1".to_owned()),
            ("KA2".to_owned(), "fw-2".to_owned()),
        ]
        .into()
    }

    #[test]
    fn summary_counts_everything_once() {
        let fleet = [
            device(1, "up-to-date", "KA1", Some("KA1")),
            device(2, "pending", "KA2", None),
            device(3, "error", "KA1", Some("KA2")),
        ];
        let summary = FleetSummary::of(&fleet, 7_200 + 1, 2);
        assert_eq!(summary.total, 3);
        assert_eq!(summary.by_status["pending"], 1);
        assert_eq!(summary.by_target["KA1"], 2);
        assert_eq!(summary.logging_on, 1);
        assert_eq!(summary.target_differs, 1);
        assert_eq!(summary.pending_long, 1);
        assert_eq!(FleetSummary::of(&fleet, 7_199, 2).pending_long, 0);
    }

    #[test]
    fn filters_combine() {
        let fleet = [
            device(1, "up-to-date", "KA1", Some("KA1")),
            device(2, "pending", "KA2", None),
            device(3, "error", "KA1", Some("KA2")),
        ];
        let apps = apps();
        let count = |filter: &DeviceFilter| {
            fleet
                .iter()
                .filter(|d| filter.matches(d, &apps, 10))
                .count()
        };
        assert_eq!(count(&DeviceFilter::default()), 3);
        assert_eq!(
            count(&DeviceFilter {
                text: "FW-2".into(),
                ..DeviceFilter::default()
            }),
            2,
            "by app name, either side"
        );
        assert_eq!(
            count(&DeviceFilter {
                text: "pump-3".into(),
                ..DeviceFilter::default()
            }),
            1
        );
        assert_eq!(
            count(&DeviceFilter {
                status: Some("error".into()),
                ..DeviceFilter::default()
            }),
            1
        );
        assert_eq!(
            count(&DeviceFilter {
                target_app: Some("KA1".into()),
                logging_on: Some(false),
                ..DeviceFilter::default()
            }),
            2
        );
        assert_eq!(
            count(&DeviceFilter {
                target_differs: true,
                ..DeviceFilter::default()
            }),
            1
        );
    }

    #[test]
    fn sorts_both_ways_with_missing_values_last() {
        let mut fleet = vec![
            device(2, "pending", "KA2", None),
            device(1, "up-to-date", "KA1", Some("KA1")),
            device(3, "error", "KA1", Some("KA2")),
        ];
        fleet[0].unique_name = None;
        sort_devices(&mut fleet, SortKey::UniqueName, true, &apps());
        let names: Vec<_> = fleet.iter().map(|d| d.unique_name.clone()).collect();
        assert_eq!(names, [Some("pump-1".into()), Some("pump-3".into()), None]);
        sort_devices(&mut fleet, SortKey::UniqueName, false, &apps());
        assert_eq!(fleet[0].unique_name.as_deref(), Some("pump-3"));
        assert_eq!(fleet[2].unique_name, None);
        sort_devices(&mut fleet, SortKey::Updated, false, &apps());
        assert_eq!(fleet[0].sid, device(3, "", "", None).sid);
        sort_devices(&mut fleet, SortKey::ReportedApp, true, &apps());
        assert_eq!(fleet[2].app.as_ref().unwrap().reported_sid, None);
    }

    #[test]
    fn csv_has_every_column_and_is_safe_in_spreadsheets() {
        let mut hostile = device(1, "up-to-date", "KA1", Some("KA1"));
        hostile.unique_name = Some("=HYPERLINK(\"http://evil\",\"x\"), \"quoted\"\nline".into());
        let csv = export_csv(&[hostile, device(2, "pending", "KA2", None)], &apps());
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0].split(',').count(), CSV_COLUMNS.len());
        assert!(
            csv.contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\"), \"\"quoted\"\"\nline\""),
            "{csv}"
        );
        assert!(lines.last().unwrap().is_empty(), "ends with a line break");
        assert!(csv.contains(",fw-2\r\n"));
        for risky in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(
                csv_field(risky).trim_start_matches('"').starts_with('\''),
                "{risky}"
            );
        }
        assert_eq!(csv_field("plain"), "plain");
    }

    #[test]
    fn json_export_round_trips() {
        let fleet = vec![device(1, "up-to-date", "KA1", Some("KA1"))];
        let back: Vec<Device> = serde_json::from_str(&export_json(&fleet)).unwrap();
        assert_eq!(back, fleet);
    }

    #[test]
    fn commands_quote_values_and_never_hold_credentials() {
        let update = DeviceUpdate {
            unique_name: Some("it's a pump; rm -rf /".into()),
            logging_enabled: Some(true),
            ..DeviceUpdate::default()
        };
        let curl = curl_command("UV1", &update);
        assert!(
            curl.contains("--data-urlencode 'UniqueName=it'\\''s a pump; rm -rf /'"),
            "{curl}"
        );
        assert!(curl.contains("--data-urlencode LoggingEnabled=true"));
        assert!(curl.contains("\"$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN\""));
        assert!(curl.starts_with("curl -X POST https://microvisor.twilio.com/v1/Devices/UV1"));
        let cli = twilio_cli_command("UV1", &BulkAction::SetTargetApp("fw 2".into()).update());
        assert_eq!(
            cli,
            "twilio api:microvisor:v1:devices:update --sid UV1 --target-app 'fw 2'"
        );
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn bulk_and_key_value_commands() {
        let sids = vec!["UV1".to_owned(), "UV2".to_owned()];
        let curl = bulk_curl_command(&sids, &BulkAction::EnableLogging.update());
        assert!(curl.starts_with("for sid in UV1 UV2; do\n  curl -X POST \"https://microvisor.twilio.com/v1/Devices/$sid\""), "{curl}");
        assert!(curl.ends_with("\ndone"));
        let cli = bulk_twilio_cli_command(&sids, &BulkAction::RestartApp.update());
        assert_eq!(
            cli,
            "for sid in UV1 UV2; do\n  twilio api:microvisor:v1:devices:update --sid \"$sid\" --restart-app true\ndone"
        );
        assert_eq!(
            key_value_cli_command(
                Some("UV1"),
                true,
                "create",
                "api key",
                Some("$SECRET_VALUE")
            ),
            "twilio api:microvisor:v1:devices:secrets:create --device-sid UV1 --key 'api key' --value \"$SECRET_VALUE\""
        );
        assert_eq!(
            key_value_cli_command(None, false, "remove", "k", None),
            "twilio api:microvisor:v1:configs:remove --key k"
        );
        let delete = curl_for("DELETE", "/v1/Configs/k", &[]);
        assert_eq!(
            delete,
            "curl -X DELETE https://microvisor.twilio.com/v1/Configs/k \\\n  -u \"$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN\""
        );
        let secret = curl_for(
            "POST",
            "/v1/Secrets",
            &[("Key", "k"), ("Value", "$SECRET_VALUE")],
        );
        assert!(
            secret.contains("--data-urlencode \"Value=$SECRET_VALUE\""),
            "{secret}"
        );
    }

    #[test]
    fn bulk_actions_say_before_and_after() {
        let apps = apps();
        let d = device(1, "up-to-date", "KA1", Some("KA1"));
        assert_eq!(
            BulkAction::SetTargetApp("fw-2".into()).before_after(&d, &apps, 0),
            ("fw-1".into(), "fw-2".into())
        );
        assert_eq!(
            BulkAction::SetTargetApp("KA2".into()).before_after(&d, &apps, 0),
            ("fw-1".into(), "fw-2".into())
        );
        assert_eq!(
            BulkAction::DisableLogging
                .before_after(&device(2, "", "KA1", None), &apps, 0)
                .0,
            "logging on"
        );
        assert_eq!(BulkAction::RestartApp.update().restart_app, Some(true));
        assert_eq!(
            BulkAction::EnableLogging.describe(&apps),
            "Enable or extend logging for 24 h"
        );
    }
}
