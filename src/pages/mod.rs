//! One module per route.

mod account_key_values;
mod app_detail;
mod app_list;
mod device_detail;
mod device_list;
mod fleet;
mod not_found;
mod settings;
mod sign_in;

pub use account_key_values::{AccountConfigsPage, AccountSecretsPage};
pub use app_detail::AppDetailPage;
pub use app_list::AppListPage;
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

/// Devices loaded by a fleet scan, shared by the pages that can use them.
#[derive(Clone, Copy)]
pub struct LoadedDevices(pub leptos::prelude::RwSignal<Vec<microvisor_api::Device>>);

/// Console routes (under `route`, e.g. `/devices`) for the API's page links. A link that fails
/// the origin check becomes no link at all: the console never follows it.
pub(crate) fn pager_links(
    client: &crate::api::ApiClient,
    meta: &microvisor_api::ListMeta,
    route: &str,
) -> crate::components::PagerLinks {
    let link = |url: &Option<String>| {
        let query = client.base().page_query_of(url.as_deref()?).ok()?;
        Some(crate::routes::href(&format!("{route}?{query}")))
    };
    crate::components::PagerLinks {
        first: meta
            .previous_page_url
            .as_ref()
            .and(link(&meta.first_page_url)),
        previous: link(&meta.previous_page_url),
        next: link(&meta.next_page_url),
    }
}
