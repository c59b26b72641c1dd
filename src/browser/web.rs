//! The browser beneath everything else in the console: its clock, the origin and sub-path the
//! console is served from, and its storage. The lowest layer: it imports nothing of the
//! console, and every other module may use it.

use std::sync::OnceLock;

/// Unix milliseconds now, from the browser's clock.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Seconds since the Unix epoch, from the browser's clock.
pub fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// The page's origin (`http://127.0.0.1:8080`), or "" outside a page.
pub fn page_origin() -> String {
    web_sys::window()
        .and_then(|window| window.location().origin().ok())
        .unwrap_or_default()
}

/// The sub-path the console is served under, without a trailing slash: "" at the root. On a
/// static host it may live under `/microvisor-console/`, which trunk writes into
/// `<base href>`.
pub fn base_path() -> &'static str {
    static BASE: OnceLock<String> = OnceLock::new();
    BASE.get_or_init(|| {
        web_sys::window()
            .and_then(|window| window.document())
            .and_then(|document| document.base_uri().ok().flatten())
            .and_then(|uri| web_sys::Url::new(&uri).ok())
            .map(|url| url.pathname().trim_end_matches('/').to_owned())
            .unwrap_or_default()
    })
}

/// A path on the console's site (`/devices?PageSize=25`, `/config.json`) under its sub-path.
pub fn site_path(path: &str) -> String {
    format!("{}{path}", base_path())
}

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep(ms: u64) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                ms.min(i32::MAX as u64) as i32,
            );
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A performance mark: `cargo xtask bench` reads them to time the console from the inside (an
/// API answer's arrival to its rows drawn). A few bytes of timeline; nothing else.
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|window| window.performance()) {
        let _ = performance.mark(name);
    }
}

/// The text of the page's element with this `id`, if there is one.
pub fn element_text(id: &str) -> Option<String> {
    web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .text_content()
}

/// localStorage: kept on this device until cleared.
pub fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// sessionStorage: kept for this tab only.
pub fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The text stored under `key`, if any.
pub fn stored(storage: Option<web_sys::Storage>, key: &str) -> Option<String> {
    storage?.get_item(key).ok()?
}

/// Stores `text` under `key`. A full or blocked storage only costs persistence.
pub fn store(storage: Option<web_sys::Storage>, key: &str, text: &str) {
    if let Some(storage) = storage {
        let _ = storage.set_item(key, text);
    }
}

/// Forgets `key`.
pub fn forget(storage: Option<web_sys::Storage>, key: &str) {
    if let Some(storage) = storage {
        let _ = storage.remove_item(key);
    }
}

/// Offers `text` as a file download.
pub fn save_file(name: &str, mime: &str, text: &str) {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(document) = web_sys::window().and_then(|w| w.document())
        && let Ok(link) = document.create_element("a")
    {
        let link: web_sys::HtmlElement = link.unchecked_into();
        let _ = link.set_attribute("href", &url);
        let _ = link.set_attribute("download", name);
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

thread_local! {
    static LAST_LINK: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Notes the `href` of every link clicked in the page, before the router handles the click.
/// The router changes the address only once the new page's code is there, so when that code
/// cannot be fetched, the page is told where the operator was going by this. Installed once,
/// for the life of the page.
pub fn remember_link_clicks() {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else {
        return;
    };
    let listener =
        wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(|event: web_sys::Event| {
            let href = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                .and_then(|element| element.closest("a[href]").ok().flatten())
                .and_then(|link| link.get_attribute("href"));
            LAST_LINK.with(|last| *last.borrow_mut() = href);
        });
    let _ = window.add_event_listener_with_callback_and_bool(
        "click",
        listener.as_ref().unchecked_ref(),
        true,
    );
    // The page's lifetime: nothing removes this listener.
    listener.forget();
}

/// The `href` of the link clicked last, if any.
pub fn last_link_clicked() -> Option<String> {
    LAST_LINK.with(|last| last.borrow().clone())
}

/// Calls `hidden` when the page is left (unloaded, or put in the back/forward cache), until
/// the current view goes away. For what must not outlive the page's visit, such as a stream
/// holding one of the browser's few connections to the server.
pub fn on_page_hide(hidden: impl Fn() + 'static) {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else {
        return;
    };
    let listener = wasm_bindgen::closure::Closure::<dyn Fn()>::new(hidden);
    let _ = window.add_event_listener_with_callback("pagehide", listener.as_ref().unchecked_ref());
    let kept = send_wrapper::SendWrapper::new((window, listener));
    leptos::prelude::on_cleanup(move || {
        let (window, listener) = &*kept;
        let _ = window
            .remove_event_listener_with_callback("pagehide", listener.as_ref().unchecked_ref());
    });
}
