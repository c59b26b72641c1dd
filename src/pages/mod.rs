//! One module per route (each may be split into the parts it is made of); `shared` is what
//! several pages use; `lazy` loads a page's code on its first visit. Pages may import every
//! layer below them; no other layer imports a page.

mod account_key_values;
mod alerts;
mod app_detail;
mod app_list;
mod audit;
mod device_detail;
mod device_list;
mod fleet;
mod fleet_indexed;
mod fleet_query;
mod fleet_summary;
mod fleet_views;
pub mod lazy;
mod not_found;
mod rollout_detail;
mod rollout_list;
mod rollout_new;
mod settings;
mod shared;
mod sign_in;

pub use account_key_values::{AccountConfigsPage, AccountSecretsPage};
pub use alerts::AlertsPage;
pub use app_detail::AppDetailPage;
pub use app_list::AppListPage;
pub use audit::{AuditEntries, AuditLogPage};
pub use device_detail::DeviceDetailPage;
pub use device_list::DeviceListPage;
pub use fleet::FleetPage;
pub use not_found::NotFoundPage;
pub use rollout_detail::RolloutDetailPage;
pub use rollout_list::RolloutListPage;
pub use rollout_new::NewRolloutPage;
pub use settings::SettingsPage;
pub use sign_in::SignInPage;
