use leptos::prelude::*;

use crate::api::set_access_token;

/// Shown when the console's server asks for its access token. The token is kept for this
/// tab only.
#[component]
pub fn SignInPage(rejected: bool, on_signed_in: Callback<()>) -> impl IntoView {
    let token = RwSignal::new(String::new());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = token.get_untracked();
        if !value.trim().is_empty() {
            set_access_token(value.trim());
            on_signed_in.run(());
        }
    };
    view! {
        <section class="panel sign-in">
            <h1>"Sign in"</h1>
            <p>"This console's server asks for its access token. Ask whoever runs it."</p>
            {rejected.then(|| view! { <p class="field-error" role="alert">"That token was not accepted."</p> })}
            <form class="edit-row" on:submit=on_submit>
                <label for="access-token">"Access token"</label>
                <input
                    id="access-token"
                    type="password"
                    autocomplete="current-password"
                    prop:value=move || token.get()
                    on:input=move |ev| token.set(event_target_value(&ev))
                />
                <button type="submit">"Sign in"</button>
            </form>
            <p class="muted">"It is kept for this browser tab only."</p>
        </section>
    }
}
