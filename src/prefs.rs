//! Preferences kept in localStorage. Reading never fails: a missing, blocked or garbled value
//! reads as the default.

use microvisor_api::query::{DEFAULT_PAGE_SIZE, parse_page_size_choice};

const PAGE_SIZE_KEY: &str = "microvisor-console.page-size";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The page size the user chose last, or the API's default.
pub fn page_size() -> u32 {
    storage()
        .and_then(|storage| storage.get_item(PAGE_SIZE_KEY).ok()?)
        .and_then(|text| parse_page_size_choice(&text))
        .unwrap_or(DEFAULT_PAGE_SIZE)
}

pub fn set_page_size(size: u32) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(PAGE_SIZE_KEY, &size.to_string());
    }
}
