use serde::Deserialize;

/// `/config.json`, served by `console-server`: where the API is and what is behind it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConsoleConfig {
    #[serde(default = "default_mode")]
    pub mode: String,
    #[serde(default = "default_api_base")]
    pub api_base: String,
}

fn default_mode() -> String {
    "emulator".to_owned()
}

fn default_api_base() -> String {
    "/v1".to_owned()
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            mode: default_mode(),
            api_base: default_api_base(),
        }
    }
}

impl ConsoleConfig {
    /// The header's description of the backend.
    pub fn describe(&self) -> String {
        match self.mode.as_str() {
            "emulator" => "Backend: built-in emulator".to_owned(),
            "proxy" => "Backend: Microvisor API via server".to_owned(),
            other => format!("Backend: {other}"),
        }
    }
}

/// Reads `/config.json`; without one, the same-origin `/v1` default applies.
pub async fn load_config() -> ConsoleConfig {
    match gloo_net::http::Request::get("/config.json").send().await {
        Ok(response) if response.ok() => response.json().await.unwrap_or_default(),
        _ => ConsoleConfig::default(),
    }
}
