//! The same write from a terminal: curl and twilio-cli commands for every write the console
//! makes, with credentials (and secret values) left in environment variables.

use microvisor_api::DeviceUpdate;

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
        shell_quote(&format!("{}{api_path}", microvisor_api::VENDOR_ORIGIN))
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
        &format!(
            "/v1/Devices/{}",
            microvisor_api::url::encode_segment(device_sid)
        ),
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

/// Deleting an app with twilio-cli.
pub fn app_delete_cli_command(app_sid: &str) -> String {
    format!(
        "twilio api:microvisor:v1:apps:remove --sid {}",
        shell_quote(app_sid)
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
    use crate::BulkAction;

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
        assert_eq!(
            app_delete_cli_command("it's"),
            "twilio api:microvisor:v1:apps:remove --sid 'it'\\''s'"
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
}
