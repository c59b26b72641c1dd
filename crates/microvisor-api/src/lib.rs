//! The wire model of the Microvisor REST API v1, shared by the console, the emulator and the
//! server: the API's resources, the list envelope, SIDs and unique names, paging parameters,
//! form encoding, error bodies and URL mapping. Pure types and functions: no I/O, no clock,
//! nothing of any one client; compiles for native and wasm32.
//!
//! The source of truth is the vendor's OpenAPI spec (`spec/twilio_microvisor_v1.json`). Decoding
//! is as liberal as the spec: every field is an `Option`, unknown fields are ignored, unknown
//! enum values are kept, integers are the spec's signed 64-bit ones, and a field the console
//! only shows reads as absent when something odd came. Only what the console needs to work (a
//! list under its key, a resource's SID or key) is refused, by name.

pub mod app;
pub mod config;
pub mod device;
pub mod error;
mod lenient;
pub mod list;
pub mod query;
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
pub use url::VENDOR_ORIGIN;
