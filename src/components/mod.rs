//! Pure widgets: they take plain data, signals and callbacks, and never fetch (those that
//! load data are `panels`). They may import `fleet`'s data types, `api`'s types and
//! `browser`; never a panel or a page.

mod confirm_dialog;
mod copy_button;
mod device_properties;
mod device_table;
mod error_panel;
mod keyboard;
mod manifest_facts;
mod pager;
mod status_badge;
mod write_guard;

pub use confirm_dialog::ConfirmDialog;
pub use copy_button::{CopyButton, CopyCommandPair, CopyCommands, copy_from_button};
pub use device_properties::DeviceProperties;
pub use device_table::{ColumnChooser, DeviceTable, HiddenColumns, TableSelection, TableSort};
pub use error_panel::{ErrorPanel, RetryNote, first_api_error};
pub use keyboard::use_row_keys;
pub use manifest_facts::{ManifestFacts, bytes_text};
pub use pager::{Pager, PagerLinks};
pub use status_badge::StatusBadge;
pub use write_guard::{WriteGuard, write_refusal};
