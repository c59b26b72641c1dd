//! Reusable widgets. They take plain data and callbacks; they never fetch.

mod bulk_panel;
mod confirm_dialog;
mod copy_button;
mod device_editor;
mod device_properties;
mod device_table;
mod error_panel;
mod key_values;
mod keyboard;
mod pager;
mod status_badge;
mod write_guard;

pub use bulk_panel::BulkPanel;
pub use confirm_dialog::ConfirmDialog;
pub use copy_button::{CopyButton, CopyCommandPair, CopyCommands, copy_from_button};
pub use device_editor::DeviceEditor;
pub use device_properties::DeviceProperties;
pub use device_table::{ColumnChooser, DeviceTable, HiddenColumns, TableSelection, TableSort};
pub use error_panel::{ErrorPanel, RetryNote, first_api_error};
pub use key_values::KeyValues;
pub use keyboard::use_row_keys;
pub use pager::{Pager, PagerLinks};
pub use status_badge::StatusBadge;
pub use write_guard::{WriteGuard, write_refusal};
