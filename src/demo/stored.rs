//! What the demo's console service keeps in localStorage: saved views and rollouts, read and
//! written whole.

use serde::Serialize;

use crate::browser::web::{self, now_ms};

pub const VIEWS_KEY: &str = "microvisor-console.demo-views";
pub const ROLLOUTS_KEY: &str = "microvisor-console.demo-rollouts";

pub fn load<T: serde::de::DeserializeOwned + Default>(key: &str) -> T {
    web::stored(web::local_storage(), key)
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

pub fn keep<T: Serialize>(key: &str, value: &T) {
    if let Ok(text) = serde_json::to_string(value) {
        web::store(web::local_storage(), key, &text);
    }
}

/// Forgets the views and rollouts.
pub fn reset() {
    web::forget(web::local_storage(), VIEWS_KEY);
    web::forget(web::local_storage(), ROLLOUTS_KEY);
}

/// An id that no other in this browser has: the time and a random part.
pub fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}{:012x}{:08x}",
        now_ms(),
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32
    )
}
