//! Preferences kept in localStorage. Reading never fails: a missing, blocked or garbled value
//! reads as the default.

use microvisor_api::query::{DEFAULT_PAGE_SIZE, parse_page_size_choice};

use crate::browser::web::{local_storage, store, stored};

const PAGE_SIZE_KEY: &str = "microvisor-console.page-size";

fn read(key: &str) -> Option<String> {
    stored(local_storage(), key)
}

fn write(key: &str, text: &str) {
    store(local_storage(), key, text);
}

/// The page size the user chose last, or the API's default.
pub fn page_size() -> u32 {
    read(PAGE_SIZE_KEY)
        .and_then(|text| parse_page_size_choice(&text))
        .unwrap_or(DEFAULT_PAGE_SIZE)
}

pub fn set_page_size(size: u32) {
    write(PAGE_SIZE_KEY, &size.to_string());
}

const THEME_KEY: &str = "microvisor-console.theme";

/// The colour theme: follow the system, or pin light or dark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "Same as the system",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    fn parse(text: &str) -> Theme {
        Theme::ALL
            .into_iter()
            .find(|theme| theme.as_str() == text)
            .unwrap_or(Theme::System)
    }
}

pub fn theme() -> Theme {
    read(THEME_KEY).map_or(Theme::System, |text| Theme::parse(&text))
}

pub fn set_theme(theme: Theme) {
    write(THEME_KEY, theme.as_str());
    apply_theme(theme);
}

/// Pins the theme on `<html data-theme>`; the stylesheet's palette follows it.
pub fn apply_theme(theme: Theme) {
    let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    else {
        return;
    };
    let _ = match theme {
        Theme::System => root.remove_attribute("data-theme"),
        pinned => root.set_attribute("data-theme", pinned.as_str()),
    };
}

const HIDDEN_COLUMNS_KEY: &str = "microvisor-console.hidden-columns";

/// Table columns the user hid (by name: "sid", "target", …).
pub fn hidden_columns() -> std::collections::BTreeSet<String> {
    read(HIDDEN_COLUMNS_KEY)
        .map(|text| {
            text.split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub fn set_hidden_columns(columns: &std::collections::BTreeSet<String>) {
    let text: Vec<&str> = columns.iter().map(String::as_str).collect();
    write(HIDDEN_COLUMNS_KEY, &text.join(","));
}
