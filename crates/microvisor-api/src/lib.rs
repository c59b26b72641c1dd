//! The wire model of the Microvisor REST API v1, shared by the console, the emulator and the
//! server. Pure types and functions: no I/O, no clock, compiles for native and wasm32.
//!
//! The source of truth is the vendor's OpenAPI spec (`twilio_microvisor_v1.json`). Every field
//! the spec marks nullable is an `Option` here, and unknown fields are ignored, so a decoder
//! never fails on a response the real service might send.

pub mod app;
pub mod config;
pub mod device;
pub mod display;
pub mod error;
pub mod fleet;
pub mod list;
pub mod query;
pub mod retry;
pub mod sid;
pub mod time;
pub mod update;
pub mod url;

pub use app::{App, AppManifest};
pub use config::{Config, KeyValueError, KeyValueForm, Secret};
pub use device::{Device, DeviceApp, DeviceLinks, DeviceLogging, UpdateStatus};
pub use error::ApiErrorBody;
pub use list::{ListMeta, ListPage, ListResource};
pub use query::{PageQuery, PageQueryError};
pub use sid::{ResourceRef, Sid, SidKind, UniqueNameError, validate_unique_name};
pub use update::{DeviceUpdate, FormError};

/// The vendor's API origin. Absolute URLs on this origin are mapped onto the configured base.
pub const VENDOR_ORIGIN: &str = "https://microvisor.twilio.com";
