use leptos::prelude::*;

use crate::panels::KeyValues;

/// `/configs`: the account's Configs, readable by every device.
#[component]
pub fn AccountConfigsPage() -> impl IntoView {
    view! {
        <h1>"Account configs"</h1>
        <p class="muted">"Values every device on the account can read. A device's own configs are on its page."</p>
        <KeyValues device={ None::<String> } secrets=false/>
    }
}

/// `/secrets`: the account's Secrets. Their values can be set, never read back.
#[component]
pub fn AccountSecretsPage() -> impl IntoView {
    view! {
        <h1>"Account secrets"</h1>
        <p class="muted">"Values are write-only: the API never returns them, and the console never shows them."</p>
        <KeyValues device={ None::<String> } secrets=true/>
    }
}
