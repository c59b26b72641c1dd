//! The console's own server: its runtime config (`/config.json`) and this tab's access token.

use console_protocol::{CONFIG_ELEMENT_ID, ConsoleConfig};

use super::ApiError;
use super::call::send_and_decode;
use super::transport::{Call, HttpMethod, Transport};
use crate::browser::web;

const ACCESS_TOKEN_KEY: &str = "microvisor-console.access-token";

/// The access token for this tab, if the user signed in.
pub fn access_token() -> Option<String> {
    web::stored(web::session_storage(), ACCESS_TOKEN_KEY).filter(|token| !token.is_empty())
}

/// Keeps the token for this tab only: it is gone when the tab closes.
pub fn set_access_token(token: &str) {
    web::store(web::session_storage(), ACCESS_TOKEN_KEY, token);
}

/// Forgets this tab's token; the console then asks for one again.
pub fn sign_out() {
    web::forget(web::session_storage(), ACCESS_TOKEN_KEY);
}

/// What `config.json` said, if a server answered it.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerAnswer {
    Config(ConsoleConfig),
    NeedsSignIn {
        rejected: bool,
    },
    /// No console-server here: a static host, or a plain file server.
    Absent,
}

/// The config console-server wrote into the page, if it did: then no request waits for it.
pub fn embedded_config() -> Option<ConsoleConfig> {
    serde_json::from_str(&web::element_text(CONFIG_ELEMENT_ID)?).ok()
}

/// Reads `config.json` beside the console (under its sub-path, if any), through the same
/// fetch stack as every API call: timeout, abort and retries included.
pub async fn load_config() -> ServerAnswer {
    let token = access_token();
    let url = format!("{}{}", web::page_origin(), web::site_path("/config.json"));
    let answer = send_and_decode::<ConsoleConfig>(
        Transport::Http,
        Call {
            method: HttpMethod::Get,
            url: &url,
            body: None,
            authorization: None,
            access_token: token.as_deref(),
        },
        None,
    )
    .await;
    match answer {
        Ok(config) => ServerAnswer::Config(config),
        Err(err @ ApiError::Api { .. }) if err.status() == Some(401) => ServerAnswer::NeedsSignIn {
            rejected: token.is_some(),
        },
        Err(_) => ServerAnswer::Absent,
    }
}
