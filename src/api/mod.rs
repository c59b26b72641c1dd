//! The fetch layer: one `ApiClient` over the configured API base, one `Clone` error type,
//! and two transports (HTTP, or the emulator inside the page) beneath them.

mod client;
mod config;
mod connection;
#[cfg(feature = "demo")]
pub mod demo;
mod error;
mod http;
mod transport;

pub use client::ApiClient;
pub use config::{ConsoleConfig, access_token, set_access_token};
pub use connection::{
    Backend, ConnectionChoice, Startup, is_remembered, save_choice, saved_choice, start,
};
pub use error::ApiError;
