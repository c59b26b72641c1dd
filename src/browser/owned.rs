//! Timers that belong to the view that sets them: the view's cleanup cancels what is still
//! pending, so no callback runs against a view that is gone.

use std::time::Duration;

use leptos::prelude::*;

/// One pending timeout at a time for the current view; setting it again replaces it.
#[derive(Clone, Copy)]
pub struct OwnedTimeout(StoredValue<Option<TimeoutHandle>>);

impl OwnedTimeout {
    /// A slot owned by the current reactive owner (call it while a view is set up).
    pub fn new() -> OwnedTimeout {
        let slot = StoredValue::new(None::<TimeoutHandle>);
        on_cleanup(move || {
            if let Some(Some(handle)) = slot.try_get_value() {
                handle.clear();
            }
        });
        OwnedTimeout(slot)
    }

    /// Runs `callback` after `delay`, unless the view goes away or `set` is called again first.
    pub fn set(&self, callback: impl FnOnce() + 'static, delay: Duration) {
        self.clear();
        if let Ok(handle) = set_timeout_with_handle(callback, delay) {
            self.0.set_value(Some(handle));
        }
    }

    pub fn clear(&self) {
        if let Some(Some(handle)) = self.0.try_get_value() {
            handle.clear();
        }
    }
}

impl Default for OwnedTimeout {
    fn default() -> Self {
        OwnedTimeout::new()
    }
}

/// Runs `callback` every `period` until the current view goes away.
pub fn every(period: Duration, callback: impl Fn() + 'static) {
    if let Ok(handle) = set_interval_with_handle(callback, period) {
        on_cleanup(move || handle.clear());
    }
}
