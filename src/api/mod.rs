//! The fetch layer: one `ApiClient` over the configured API base, one `Clone` error type,
//! and two transports (HTTP, or the emulator inside the page) beneath them. It knows nothing
//! of pages or the router.

mod call;
mod client;
mod config;
mod connection;
mod console;
mod error;
mod transport;

pub use call::Retrying;
pub use client::ApiClient;
pub use config::{ServerAnswer, access_token, set_access_token, sign_out};
pub use connection::{
    Backend, ConnectionChoice, Startup, choose, is_remembered, save_choice, saved_choice, start,
};
pub use error::ApiError;
#[cfg(feature = "demo")]
pub use transport::in_page::console::drive as drive_demo_rollouts;
#[cfg(feature = "demo")]
pub use transport::in_page::{
    reset as reset_demo, script_faults as script_demo_faults,
    set_unreliable as set_demo_unreliable, unreliable as demo_unreliable,
};
pub use transport::{READ_TIMEOUT, WRITE_TIMEOUT};

/// Entries the demo's audit log keeps in localStorage (older ones are let go).
pub const DEMO_AUDIT_KEPT: usize = 2000;
