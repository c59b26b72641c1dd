fn main() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        microvisor_console::show_fatal_error(&info.to_string());
    }));
    leptos::mount::mount_to_body(microvisor_console::App);
}
