//! What is shown, as files: CSV with every property (safe to open in a spreadsheet) and JSON
//! exactly as the API gave it.

use microvisor_api::Device;

use fleet_engine::AppNames;

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
                .as_deref()
                .and_then(|sid| apps.name_of(sid))
                .map(str::to_owned),
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

/// Rows as CSV with a header row, lines ending in CRLF as RFC 4180 has it.
pub fn csv<const N: usize>(header: [&str; N], rows: impl Iterator<Item = [String; N]>) -> String {
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        let fields: Vec<String> = row.iter().map(|field| csv_field(field)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The devices as CSV.
pub fn export_csv(devices: &[Device], apps: &AppNames) -> String {
    csv(
        CSV_COLUMNS,
        devices.iter().map(|device| csv_row(device, apps)),
    )
}

/// The devices as a JSON array, exactly as the API gave them.
pub fn export_json(devices: &[Device]) -> String {
    serde_json::to_string_pretty(devices).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleet_engine::fixtures::{apps, device};

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
}
