use leptos::prelude::*;
use microvisor_api::DeviceUpdate;
use microvisor_api::fleet::{curl_command, twilio_cli_command};

/// Copies `text` to the clipboard; the button says so for a moment.
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    #[prop(into)] label: String,
    /// The visible word; "Copy" unless given.
    #[prop(optional, into)]
    caption: Option<String>,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let caption = caption.unwrap_or_else(|| "Copy".to_owned());
    let on_click = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window
                .navigator()
                .clipboard()
                .write_text(&text.get_untracked());
            copied.set(true);
            set_timeout(
                move || copied.set(false),
                std::time::Duration::from_millis(1500),
            );
        }
    };
    view! {
        <button type="button" class="copy" aria-label=label on:click=on_click>
            {move || if copied.get() { "Copied".to_owned() } else { caption.clone() }}
        </button>
    }
}

/// Copies a plain button's `data-copy` text; the button says so for a moment. For tables,
/// where one listener serves every row's button.
pub fn copy_from_button(button: &web_sys::Element) {
    let (Some(text), Some(window)) = (button.get_attribute("data-copy"), web_sys::window()) else {
        return;
    };
    let _ = window.navigator().clipboard().write_text(&text);
    let caption = button.text_content();
    button.set_text_content(Some("Copied"));
    let button = send_wrapper::SendWrapper::new(button.clone());
    set_timeout(
        move || button.set_text_content(caption.as_deref()),
        std::time::Duration::from_millis(1500),
    );
}

/// "Copy as curl" and "Copy as twilio-cli": the same write from a terminal, with
/// credentials as environment variables, never values.
#[component]
pub fn CopyCommandPair(
    #[prop(into)] curl: Signal<String>,
    #[prop(into)] cli: Signal<String>,
) -> impl IntoView {
    view! {
        <span class="copy-commands">
            <CopyButton text=curl label="Copy as curl" caption="Copy as curl"/>
            <CopyButton text=cli label="Copy as twilio-cli" caption="Copy as twilio-cli"/>
        </span>
    }
}

/// The pair for one device update.
#[component]
pub fn CopyCommands(
    #[prop(into)] sid: Signal<String>,
    #[prop(into)] update: Signal<DeviceUpdate>,
) -> impl IntoView {
    let curl = Signal::derive(move || curl_command(&sid.get(), &update.get()));
    let cli = Signal::derive(move || twilio_cli_command(&sid.get(), &update.get()));
    view! { <CopyCommandPair curl cli/> }
}
