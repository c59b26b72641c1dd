//! A list's next page, fetched while the browser is idle, so that Next shows it without a
//! round trip. It belongs to the list's view: the view's cleanup cancels a pending idle
//! callback, and what was fetched goes with the view.

use std::future::Future;

use futures_channel::oneshot;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// A page fetched ahead is used only this soon after it was asked for; older, it is fetched
/// again, so Next never shows a page staler than this.
pub const FRESH_FOR_MS: f64 = 20_000.0;

/// The fetch starts at the browser's next idle period, or after this long: headless Chromium
/// measured over a second before its first idle period after drawing 1,000 rows.
const IDLE_WITHIN_MS: u32 = 250;

/// One page fetched ahead, for one key (the page's query).
pub struct Prefetch<K: 'static, T: 'static> {
    held: StoredValue<Option<Held<K, T>>, LocalStorage>,
    idle: StoredValue<Option<Idle>, LocalStorage>,
}

/// A pending idle callback: its handle, and the closure it calls, kept alive until then.
struct Idle {
    handle: u32,
    _callback: Closure<dyn FnMut()>,
}

impl Idle {
    fn cancel(&self) {
        if let Some(window) = web_sys::window() {
            window.cancel_idle_callback(self.handle);
        }
    }
}

struct Held<K, T> {
    key: K,
    asked_at_ms: f64,
    /// Only a page that loaded is sent; a failed fetch drops the sender.
    answer: oneshot::Receiver<T>,
}

impl<K: 'static, T: 'static> Clone for Prefetch<K, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: 'static, T: 'static> Copy for Prefetch<K, T> {}

impl<K: PartialEq + 'static, T: 'static> Prefetch<K, T> {
    /// A slot owned by the current reactive owner (call it while a view is set up).
    pub fn new() -> Self {
        let idle = StoredValue::new_local(None::<Idle>);
        on_cleanup(move || {
            idle.try_update_value(|idle| idle.take().map(|idle| idle.cancel()));
        });
        Prefetch {
            held: StoredValue::new_local(None),
            idle,
        }
    }

    /// Once the browser is idle, fetches the page for `key`, unless a fresh one for it is
    /// already held or on its way. Replaces whatever is held for another key.
    pub fn when_idle<F, Fut, E>(&self, key: K, fetch: F)
    where
        F: FnOnce() -> Fut + 'static,
        Fut: Future<Output = Result<T, E>> + 'static,
    {
        let now = js_sys::Date::now();
        let held_fresh = self.held.with_value(|held| {
            held.as_ref()
                .is_some_and(|held| held.key == key && now - held.asked_at_ms < FRESH_FOR_MS)
        });
        if held_fresh {
            return;
        }
        self.held.set_value(None);
        self.cancel_idle();
        let (sender, answer) = oneshot::channel();
        let held = self.held;
        // The idle callback may be called once only; the cell hands the fetch over then.
        let start = std::cell::Cell::new(Some((key, fetch, sender, answer)));
        let callback = Closure::<dyn FnMut()>::new(move || {
            let Some((key, fetch, sender, answer)) = start.take() else {
                return;
            };
            // The view may be gone by now; then nothing is fetched.
            let stored = held.try_update_value(|held| {
                *held = Some(Held {
                    key,
                    asked_at_ms: js_sys::Date::now(),
                    answer,
                });
            });
            if stored.is_none() {
                return;
            }
            spawn_local(async move {
                if let Ok(page) = fetch().await {
                    // The receiver is gone when Next came too late or the view closed.
                    let _ = sender.send(page);
                }
            });
        });
        let options = web_sys::IdleRequestOptions::new();
        options.set_timeout(IDLE_WITHIN_MS);
        let handle = web_sys::window().and_then(|window| {
            window
                .request_idle_callback_with_options(callback.as_ref().unchecked_ref(), &options)
                .ok()
        });
        if let Some(handle) = handle {
            self.idle.set_value(Some(Idle {
                handle,
                _callback: callback,
            }));
        }
    }

    /// The page for `key` when one was fetched ahead and is fresh: waits for it if it is still
    /// on its way. `None` means the caller fetches it itself (none held, stale, or failed).
    pub async fn take(&self, key: &K) -> Option<T> {
        // A page is loading now: a fetch ahead that has not started would be for the page
        // being left, and the one this page loads asks again.
        self.cancel_idle();
        let held = self.held.try_update_value(|held| {
            if held.as_ref().is_some_and(|held| &held.key == key) {
                held.take()
            } else {
                None
            }
        })??;
        if js_sys::Date::now() - held.asked_at_ms >= FRESH_FOR_MS {
            return None;
        }
        held.answer.await.ok()
    }

    fn cancel_idle(&self) {
        self.idle
            .try_update_value(|idle| idle.take().map(|idle| idle.cancel()));
    }
}

impl<K: PartialEq + 'static, T: 'static> Default for Prefetch<K, T> {
    fn default() -> Self {
        Prefetch::new()
    }
}
