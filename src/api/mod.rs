//! The fetch layer: one `ApiClient` over the configured API base, one `Clone` error type,
//! and two transports (HTTP, or the emulator inside the page) beneath them. It knows nothing
//! of pages or the router.

mod call;
mod client;
mod config;
mod connection;
mod error;
mod transport;

pub use call::{Retrying, sleep};
pub use client::ApiClient;
pub use config::{access_token, set_access_token};
pub use connection::{
    Backend, ConnectionChoice, Startup, is_remembered, save_choice, saved_choice, start,
};
pub use error::ApiError;
#[cfg(feature = "demo")]
pub use transport::in_page::reset as reset_demo;
pub use transport::{READ_TIMEOUT, WRITE_TIMEOUT};
