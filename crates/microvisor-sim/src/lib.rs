//! The Microvisor emulator core. A fleet lives in memory, and one handler maps a request
//! (method, path, query, credentials, form body, the current time) to a response (status, JSON
//! body), checking credentials as the real service does when asked to.
//!
//! It has no I/O and no clock of its own: the caller passes `now` with every request. That
//! keeps it usable natively (the server) and on wasm32 (the in-page demo), and lets tests
//! control time. Devices change state lazily from the times stored on them, so nothing has to
//! tick in the background.

mod apps;
mod auth;
pub mod faults;
mod fleet;
mod handler;
mod key_values;
mod pagination;
mod records;
mod request;
pub mod rng;
mod seed;
mod store;

pub use apps::Upload;
pub use auth::Auth;
pub use fleet::{AppRecord, ConfigRecord, DeviceRecord, Fleet, Lifecycle, SecretRecord};
pub use handler::Emulator;
pub use records::{Change, RecordKind, RecordWrite};
pub use request::{Method, SimRequest, SimResponse};
pub use seed::SimConfig;
