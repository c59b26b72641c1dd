//! The fetch layer: one `ApiClient` over the configured API base, one `Clone` error type.

mod client;
mod config;
mod error;
mod http;

pub use client::ApiClient;
pub use config::{ConfigOutcome, ConsoleConfig, access_token, load_config, set_access_token};
pub use error::ApiError;
