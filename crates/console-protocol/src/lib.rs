//! The contract between the fleet console (in the browser) and `console-server`: what
//! `/config.json` says, and the header that carries the console's access token. Both sides
//! use these types, so neither can drift from the other. Data only: no I/O.

use serde::{Deserialize, Serialize};

/// The header that carries this console's access token to its server.
pub const ACCESS_TOKEN_HEADER: &str = "x-console-access-token";

/// The `id` of the element in `index.html` where console-server writes the config (a
/// `<script type="application/json">`), so the console need not fetch `config.json`.
pub const CONFIG_ELEMENT_ID: &str = "console-config";

/// Where `console-server` answers `/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The built-in emulator.
    #[default]
    Emulator,
    /// Forwarded to the real API with credentials that stay on the server.
    Proxy,
}

/// `/config.json`: the console's runtime configuration. Never a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleConfig {
    #[serde(default)]
    pub mode: Mode,
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// The account the server's credentials belong to (proxy mode); never a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_sid: Option<String>,
}

/// The API's path on the console's own origin.
pub const API_BASE: &str = "/v1";

fn default_api_base() -> String {
    API_BASE.to_owned()
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            mode: Mode::default(),
            api_base: default_api_base(),
            account_sid: None,
        }
    }
}

impl ConsoleConfig {
    /// The console header's description of the backend.
    pub fn describe(&self) -> String {
        let backend = match self.mode {
            Mode::Emulator => "built-in emulator on this server",
            Mode::Proxy => "Microvisor API via this server",
        };
        match &self.account_sid {
            Some(sid) => format!("Backend: {backend} · account {sid}"),
            None => format!("Backend: {backend}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips_and_old_fields_default() {
        let proxy = ConsoleConfig {
            mode: Mode::Proxy,
            api_base: "/v1".into(),
            account_sid: Some("AC1".into()),
        };
        let text = serde_json::to_string(&proxy).unwrap();
        assert_eq!(
            text,
            r#"{"mode":"proxy","api_base":"/v1","account_sid":"AC1"}"#
        );
        assert_eq!(serde_json::from_str::<ConsoleConfig>(&text).unwrap(), proxy);
        let emulator: ConsoleConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(emulator, ConsoleConfig::default());
        assert_eq!(
            serde_json::to_string(&emulator).unwrap(),
            r#"{"mode":"emulator","api_base":"/v1"}"#
        );
        assert_eq!(
            proxy.describe(),
            "Backend: Microvisor API via this server · account AC1"
        );
    }

    #[test]
    fn an_unknown_mode_is_refused() {
        assert!(serde_json::from_str::<ConsoleConfig>(r#"{"mode":"other"}"#).is_err());
    }
}
