//! Which backend the console talks to: its own server (the default when `config.json`
//! answers), the emulator in the page (demo), or a custom API URL the user gave.

use console_protocol::ConsoleConfig;
use serde::{Deserialize, Serialize};

use super::config::{ServerAnswer, embedded_config, load_config};
use super::{ApiClient, ApiError};
use crate::browser::web;

/// What the user chose in Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum ConnectionChoice {
    Server,
    Demo,
    Custom {
        url: String,
        #[serde(default)]
        key: String,
        #[serde(default)]
        secret: String,
    },
}

const CHOICE_KEY: &str = "microvisor-console.connection";

fn read(storage: Option<web_sys::Storage>) -> Option<ConnectionChoice> {
    serde_json::from_str(&web::stored(storage, CHOICE_KEY)?).ok()
}

/// The saved choice: this tab's first, then one remembered on this device.
pub fn saved_choice() -> Option<ConnectionChoice> {
    read(web::session_storage()).or_else(|| read(web::local_storage()))
}

/// Whether the saved choice is remembered on this device (not only for this tab).
pub fn is_remembered() -> bool {
    read(web::local_storage()).is_some()
}

/// Saves the choice for this tab, or on this device when `remember` is set. The other place
/// is cleared, so a secret is never left behind where the user did not ask for it.
pub fn save_choice(choice: &ConnectionChoice, remember: bool) {
    let Ok(text) = serde_json::to_string(choice) else {
        return;
    };
    let (keep, clear) = if remember {
        (web::local_storage(), web::session_storage())
    } else {
        (web::session_storage(), web::local_storage())
    };
    web::forget(clear, CHOICE_KEY);
    web::store(keep, CHOICE_KEY, &text);
}

/// The backend in use.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    Server(ConsoleConfig),
    /// The emulator in this page: chosen in Settings, or because no server answered.
    Demo,
    Custom {
        url: String,
        key: String,
        secret: String,
    },
}

impl Backend {
    pub fn describe(&self) -> String {
        match self {
            Backend::Server(config) => config.describe(),
            Backend::Demo => "Backend: demo in this browser".to_owned(),
            Backend::Custom { url, .. } => format!("Backend: custom API {url}"),
        }
    }

    /// Who the console's server says is signed in; None where no server decides (the demo,
    /// a custom API) or the server is older than roles.
    pub fn operator(&self) -> Option<&console_protocol::Operator> {
        match self {
            Backend::Server(config) => config.operator.as_ref(),
            _ => None,
        }
    }

    pub fn is_demo(&self) -> bool {
        matches!(self, Backend::Demo)
    }

    pub fn client(&self) -> Result<ApiClient, ApiError> {
        match self {
            Backend::Server(config) => ApiClient::server(config),
            Backend::Demo => Ok(ApiClient::in_page()),
            Backend::Custom { url, key, secret } => ApiClient::custom(url, key, secret),
        }
    }
}

/// How the console starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Startup {
    Ready(Backend),
    NeedsSignIn { rejected: bool },
}

/// Picks the backend: the saved choice, else the server when `config.json` answers, else the
/// in-page demo.
pub async fn start() -> Startup {
    let saved = saved_choice();
    // A choice of the demo or a custom API needs nothing from this console's server.
    let served = match saved {
        Some(ConnectionChoice::Demo | ConnectionChoice::Custom { .. }) => None,
        Some(ConnectionChoice::Server) | None => Some(match embedded_config() {
            Some(config) => ServerAnswer::Config(config),
            None => load_config().await,
        }),
    };
    choose(saved, served)
}

/// The backend from what was saved in this browser and what this console's server said (if it
/// was asked): a saved demo or custom API first, then the server, then the in-page demo.
pub fn choose(saved: Option<ConnectionChoice>, served: Option<ServerAnswer>) -> Startup {
    match (saved, served) {
        (Some(ConnectionChoice::Demo), _) => Startup::Ready(Backend::Demo),
        (Some(ConnectionChoice::Custom { url, key, secret }), _) => {
            Startup::Ready(Backend::Custom { url, key, secret })
        }
        (_, Some(ServerAnswer::Config(config))) => Startup::Ready(Backend::Server(config)),
        (_, Some(ServerAnswer::NeedsSignIn { rejected })) => Startup::NeedsSignIn { rejected },
        (_, Some(ServerAnswer::Absent) | None) => Startup::Ready(Backend::Demo),
    }
}
