//! Widgets that load or write data through the fetch layer: a scope's configs and secrets
//! (`key_values`), a device's editor (`device_editor`), the bulk actions (`bulk_panel`), an
//! app's upload (`upload_app`), a device's timeline (`device_timeline`). They
//! may import `components`, `fleet`, `api` and `browser`; never a page.

mod bulk_panel;
mod device_editor;
mod device_timeline;
mod key_values;
mod upload_app;

pub use bulk_panel::BulkPanel;
pub use device_editor::DeviceEditor;
pub use device_timeline::DeviceTimeline;
pub use key_values::KeyValues;
pub use upload_app::UploadApp;
