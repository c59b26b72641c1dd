use console_core::commands::{curl_command, twilio_cli_command};
use leptos::prelude::*;
use microvisor_api::DeviceUpdate;

use crate::browser::owned::OwnedTimeout;

/// Copies `text` to the clipboard; the button says so for a moment.
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    #[prop(into)] label: String,
    /// The visible word; "Copy" unless given.
    #[prop(optional, into)]
    caption: Option<String>,
    /// Greyed out while there is nothing to copy.
    #[prop(optional, into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let reset = OwnedTimeout::new();
    let caption = caption.unwrap_or_else(|| "Copy".to_owned());
    let on_click = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window
                .navigator()
                .clipboard()
                .write_text(&text.get_untracked());
            copied.set(true);
            reset.set(move || copied.set(false), COPIED_FOR);
        }
    };
    view! {
        <button type="button" class="copy" aria-label=label disabled=move || disabled.get() on:click=on_click>
            {move || if copied.get() { "Copied".to_owned() } else { caption.clone() }}
        </button>
    }
}

/// How long a copy button says "Copied".
const COPIED_FOR: std::time::Duration = std::time::Duration::from_millis(1500);

/// Copies a plain button's `data-copy` text; the button says so for a moment. For tables,
/// where one listener serves every row's button. The timer touches only that element, never
/// reactive state, so it is harmless after the table is gone.
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
        COPIED_FOR,
    );
}

/// "Copy as curl" and "Copy as twilio-cli": the same write from a terminal, with
/// credentials as environment variables, never values.
#[component]
pub fn CopyCommandPair(
    #[prop(into)] curl: Signal<String>,
    #[prop(into)] cli: Signal<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <span class="copy-commands">
            <CopyButton text=curl label="Copy as curl" caption="Copy as curl" disabled/>
            <CopyButton text=cli label="Copy as twilio-cli" caption="Copy as twilio-cli" disabled/>
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
