fn main() {
    // The bench splits a cold load at this mark: the wasm is compiled and running.
    microvisor_console::browser::web::mark("wasm-ready");
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        microvisor_console::show_fatal_error(&info.to_string());
    }));
    microvisor_console::browser::web::remember_link_clicks();
    leptos::mount::mount_to_body(microvisor_console::App);
}

/// The app's wasm memory in bytes, as `window.wasmBindings.wasm_memory_bytes()`: the leak
/// check of `cargo xtask bench` reads it (the JS heap alone misses Rust allocations).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn wasm_memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) * 65_536) as f64
}
