//! One module per route.

mod device_detail;
mod device_list;
mod fleet;
mod not_found;
mod settings;
mod sign_in;

pub use device_detail::DeviceDetailPage;
pub use device_list::DeviceListPage;
pub use fleet::FleetPage;
pub use not_found::NotFoundPage;
pub use settings::SettingsPage;
pub use sign_in::SignInPage;

/// Seconds since the Unix epoch, from the browser's clock.
pub(crate) fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}
