//! The fetch layer: one `ApiClient` over the configured API base, one `Clone` error type,
//! and two transports (HTTP, or the emulator inside the page) beneath them. It knows nothing
//! of pages or the router.

mod alerts;
mod call;
mod client;
mod config;
mod connection;
mod console;
mod error;
mod fleet_index;
mod live;
mod transport;

#[cfg(feature = "demo")]
pub use crate::demo::emulator::{
    script_faults as script_demo_faults, set_unreliable as set_demo_unreliable,
    unreliable as demo_unreliable,
};
#[cfg(feature = "demo")]
pub use crate::demo::reset as reset_demo;
#[cfg(feature = "demo")]
pub use crate::demo::rollouts::drive as drive_demo_rollouts;
pub use call::Retrying;
pub use client::ApiClient;
pub use config::{ServerAnswer, access_token, set_access_token, sign_out};
pub use connection::{
    Backend, ConnectionChoice, Startup, choose, is_remembered, save_choice, saved_choice, start,
};
pub use error::ApiError;
pub use live::{Live, use_live};
pub use transport::{EARLY_REQUEST_SCRIPT, READ_TIMEOUT, Upload, UploadCancel, WRITE_TIMEOUT};
