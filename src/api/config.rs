use serde::Deserialize;

/// `/config.json`, served by `console-server`: where the API is and what is behind it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConsoleConfig {
    #[serde(default = "default_mode")]
    pub mode: String,
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// The account the server's credentials belong to (proxy mode); never a secret.
    #[serde(default)]
    pub account_sid: Option<String>,
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
            account_sid: None,
        }
    }
}

impl ConsoleConfig {
    /// The header's description of the backend.
    pub fn describe(&self) -> String {
        let backend = match self.mode.as_str() {
            "emulator" => "built-in emulator on this server".to_owned(),
            "proxy" => "Microvisor API via this server".to_owned(),
            other => other.to_owned(),
        };
        match &self.account_sid {
            Some(sid) => format!("Backend: {backend} · account {sid}"),
            None => format!("Backend: {backend}"),
        }
    }
}

const ACCESS_TOKEN_KEY: &str = "microvisor-console.access-token";
pub const ACCESS_TOKEN_HEADER: &str = "X-Console-Access-Token";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The access token for this tab, if the user signed in.
pub fn access_token() -> Option<String> {
    session_storage()?
        .get_item(ACCESS_TOKEN_KEY)
        .ok()?
        .filter(|token| !token.is_empty())
}

/// Keeps the token for this tab only: it is gone when the tab closes.
pub fn set_access_token(token: &str) {
    if let Some(storage) = session_storage() {
        let _ = storage.set_item(ACCESS_TOKEN_KEY, token);
    }
}

/// What `config.json` said, if a server answered it.
pub enum ServerAnswer {
    Config(ConsoleConfig),
    NeedsSignIn {
        rejected: bool,
    },
    /// No console-server here: a static host, or a plain file server.
    Absent,
}

/// Reads `config.json` beside the console (under its sub-path, if any).
pub async fn load_config() -> ServerAnswer {
    let token = access_token();
    let mut request = gloo_net::http::Request::get(&crate::routes::href("/config.json"));
    if let Some(token) = &token {
        request = request.header(ACCESS_TOKEN_HEADER, token);
    }
    match request.send().await {
        Ok(response) if response.status() == 401 => ServerAnswer::NeedsSignIn {
            rejected: token.is_some(),
        },
        Ok(response) if response.ok() => match response.json::<ConsoleConfig>().await {
            Ok(config) => ServerAnswer::Config(config),
            Err(_) => ServerAnswer::Absent,
        },
        _ => ServerAnswer::Absent,
    }
}
