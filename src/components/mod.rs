//! Reusable widgets. They take plain data and callbacks; they never fetch.

mod copy_button;
mod device_table;
mod error_panel;
mod pager;
mod status_badge;

pub use copy_button::CopyButton;
pub use device_table::{AppNames, DeviceTable};
pub use error_panel::{ErrorPanel, first_api_error};
pub use pager::{Pager, PagerLinks};
pub use status_badge::StatusBadge;
