//! The console's own URLs, as `href`s under the sub-path it is served from.

use microvisor_api::Device;
use microvisor_api::url::encode_segment;

pub use crate::browser::web::base_path as base;

/// A console path (`/devices?PageSize=25`) as an `href` under the base.
pub fn href(path: &str) -> String {
    crate::browser::web::site_path(path)
}

/// A device's page, by unique name when it has one, else by SID.
pub fn device_href(device: &Device) -> String {
    href(&format!(
        "/devices/{}",
        encode_segment(device.display_name())
    ))
}

/// A device's page by the name or SID a person typed or a list holds.
pub fn device_href_by(id: &str) -> String {
    href(&format!("/devices/{}", encode_segment(id)))
}

/// The paging state of a list route (`/devices`, `/apps`) from the URL query. Leaving the route
/// does not change it: a page's state is its own route's query, so nothing on the page reacts
/// to the navigation that is taking it away.
pub fn use_route_query(route: &'static str) -> leptos::prelude::Memo<microvisor_api::PageQuery> {
    use leptos::prelude::*;
    let location = leptos_router::hooks::use_location();
    Memo::new(move |previous: Option<&microvisor_api::PageQuery>| {
        let here = location
            .pathname
            .with(|path| path.strip_prefix(base()).unwrap_or(path) == route);
        match previous {
            Some(previous) if !here => previous.clone(),
            _ => microvisor_api::PageQuery::parse(&location.search.get()).unwrap_or_default(),
        }
    })
}
