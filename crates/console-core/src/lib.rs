//! The fleet console's pure logic, apart from the wire model and from any view: filters over
//! loaded devices, the fleet summary, table sorting, CSV and JSON exports, bulk actions, the
//! equivalent curl and twilio-cli commands, how device state is worded, and when a request is
//! retried. No I/O, no clock (callers pass `now`), no web-sys or Leptos: it compiles for the
//! host, where it is tested, and for wasm32, where the console runs it.

pub mod alerts;
pub mod audit;
pub mod bulk;
pub mod commands;
pub mod display;
pub mod export;
pub mod freshness;
pub mod live;
pub mod retry;
pub mod rollout_form;
pub mod rollout_words;
pub mod rows;
pub mod selection;
pub mod sort;
pub mod summary;
pub mod timeline;

pub use bulk::BulkAction;
pub use summary::FleetSummary;
