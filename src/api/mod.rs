//! The fetch layer: one `ApiClient` over the configured API base, one `Clone` error type.

mod client;
mod config;
mod error;
mod http;

pub use client::ApiClient;
pub use config::{ConsoleConfig, load_config};
pub use error::ApiError;
