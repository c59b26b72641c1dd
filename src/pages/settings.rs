use console_protocol::ConsoleConfig;
use leptos::prelude::*;
use microvisor_api::PageQuery;
use microvisor_api::query::PAGE_SIZE_CHOICES;

use crate::api::{
    ApiClient, ApiError, Backend, ConnectionChoice, is_remembered, save_choice, saved_choice,
};
use crate::browser::prefs::{self, Theme};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Server,
    Demo,
    Custom,
}

/// `/settings`: where the console connects, the theme, and the default page size.
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <h1>"Settings"</h1>
        <ConnectionSettings/>
        <AppearanceSettings/>
    }
}

/// "Test connection": lists one device with the settings as entered.
fn connection_test(server_config: ConsoleConfig) -> Action<ConnectionChoice, Result<(), ApiError>> {
    Action::new_local(move |choice: &ConnectionChoice| {
        let client = match choice {
            ConnectionChoice::Server => ApiClient::server(&server_config),
            ConnectionChoice::Demo => Ok(ApiClient::in_page()),
            ConnectionChoice::Custom { url, key, secret } => ApiClient::custom(url, key, secret),
        };
        async move {
            let client = client?;
            client.list_devices(&PageQuery::first(1)).await?;
            Ok::<_, ApiError>(())
        }
    })
}

/// Where the console connects: its server, the demo, or a custom API; tested and saved.
#[component]
fn ConnectionSettings() -> impl IntoView {
    let backend = use_context::<Backend>();
    let saved = saved_choice();
    let (initial_mode, url, key, secret) = match &saved {
        Some(ConnectionChoice::Demo) => (Mode::Demo, String::new(), String::new(), String::new()),
        Some(ConnectionChoice::Custom { url, key, secret }) => {
            (Mode::Custom, url.clone(), key.clone(), secret.clone())
        }
        _ if backend.as_ref().is_some_and(Backend::is_demo) => {
            (Mode::Demo, String::new(), String::new(), String::new())
        }
        _ => (Mode::Server, String::new(), String::new(), String::new()),
    };
    let mode = RwSignal::new(initial_mode);
    let url = RwSignal::new(url);
    let key = RwSignal::new(key);
    let secret = RwSignal::new(secret);
    let remember = RwSignal::new(is_remembered());
    // A note of this page's own (after "Reset demo"); otherwise the connection test's result.
    let note = RwSignal::new(None::<String>);

    let choice = move || match mode.get() {
        Mode::Server => ConnectionChoice::Server,
        Mode::Demo => ConnectionChoice::Demo,
        Mode::Custom => ConnectionChoice::Custom {
            url: url.get().trim().to_owned(),
            key: key.get().trim().to_owned(),
            secret: secret.get(),
        },
    };
    let server_config = match &backend {
        Some(Backend::Server(config)) => config.clone(),
        _ => ConsoleConfig::default(),
    };
    let test = connection_test(server_config);
    let status = move || -> Option<Result<String, String>> {
        note.get().map(Ok).or_else(|| {
            test.value().get().map(|result| match result {
                Ok(()) => Ok("Connected: the API listed devices.".to_owned()),
                Err(err) => Err(format!("{err} {}", err.advice())),
            })
        })
    };
    let clear_status = move || {
        note.set(None);
        test.value().set(None);
    };
    let save = move |_| {
        save_choice(
            &choice(),
            remember.get_untracked() && mode.get_untracked() == Mode::Custom,
        );
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    };
    let reset_demo = move |_| {
        #[cfg(feature = "demo")]
        crate::api::reset_demo();
        clear_status();
        note.set(Some(
            "The demo fleet is back to its first state.".to_owned(),
        ));
    };

    let radio = move |value: Mode, label: &'static str, hint: &'static str| {
        let id = format!("connection-{}", label.to_lowercase().replace(' ', "-"));
        view! {
            <div class="choice">
                <input
                    type="radio"
                    name="connection"
                    id=id.clone()
                    prop:checked=move || mode.get() == value
                    on:change=move |_| {
                        mode.set(value);
                        clear_status();
                    }
                />
                <label for=id>{label}</label>
                <span class="muted">{hint}</span>
            </div>
        }
    };

    view! {
        <section class="panel" aria-labelledby="connection-heading">
            <h2 id="connection-heading">"Connection"</h2>
            <fieldset>
                <legend>"Connect to"</legend>
                {radio(Mode::Server, "This console's server", "the default where the console is served by console-server")}
                // A build without the emulator (the one console-server serves) offers no demo.
                {cfg!(feature = "demo").then(|| radio(Mode::Demo, "Demo in this browser", "an emulated fleet inside this page; changes stay in this browser"))}
                {radio(Mode::Custom, "Custom API", "any server that speaks the Microvisor API, such as your own proxy")}
            </fieldset>
            <Show when=move || mode.get() == Mode::Custom>
                <CustomApiFields url key secret remember/>
            </Show>
            <div class="actions">
                <button type="button" class="secondary" disabled=move || test.pending().get() on:click=move |_| { note.set(None); test.dispatch(choice()); }>
                    {move || if test.pending().get() { "Testing…" } else { "Test connection" }}
                </button>
                <button type="button" on:click=save>"Save connection"</button>
                {cfg!(feature = "demo").then(|| view! {
                    <button type="button" class="secondary" on:click=reset_demo>"Reset demo"</button>
                })}
            </div>
            <DemoNetwork/>
            <p class="connection-status" role="status">
                {move || status().map(|result| match result {
                    Ok(text) => view! { <span class="field-ok">{text}</span> }.into_any(),
                    Err(text) => view! { <span class="field-error">{text}</span> }.into_any(),
                })}
            </p>
        </section>
    }
}

/// A custom API: its URL, key and secret, and whether to remember them on this device.
#[component]
fn CustomApiFields(
    url: RwSignal<String>,
    key: RwSignal<String>,
    secret: RwSignal<String>,
    remember: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <div class="edit-row">
            <label for="api-url">"API URL"</label>
            <input id="api-url" type="url" placeholder="https://proxy.example.com/v1" prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev))/>
        </div>
        <div class="edit-row">
            <label for="api-key">"API key"</label>
            <input id="api-key" type="text" autocomplete="username" placeholder="optional" prop:value=move || key.get() on:input=move |ev| key.set(event_target_value(&ev))/>
        </div>
        <div class="edit-row">
            <label for="api-secret">"API secret"</label>
            <input id="api-secret" type="password" autocomplete="current-password" prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev))/>
        </div>
        <div class="edit-row">
            <input id="remember" type="checkbox" prop:checked=move || remember.get() on:change=move |ev| remember.set(event_target_checked(&ev))/>
            <label for="remember">"Remember on this device"</label>
            <p class="warning">
                "Without it, the URL and key are kept for this tab only. With it, they stay in this browser's storage, "
                "where anyone with access to this device, or a script on this origin, can read them. Prefer a proxy "
                "that holds the credentials."
            </p>
        </div>
    }
}

/// The theme, and the page size lists start with.
#[component]
fn AppearanceSettings() -> impl IntoView {
    view! {
    <section class="panel" aria-labelledby="appearance-heading">
        <h2 id="appearance-heading">"Appearance and lists"</h2>
        <fieldset>
            <legend>"Theme"</legend>
            {Theme::ALL.into_iter().map(|theme| {
                let id = format!("theme-{}", theme.as_str());
                view! {
                    <div class="choice">
                        <input type="radio" name="theme" id=id.clone() prop:checked=prefs::theme() == theme on:change=move |_| prefs::set_theme(theme)/>
                        <label for=id>{theme.label()}</label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
        <div class="edit-row">
            <label for="default-page-size">"Default page size"</label>
            <select id="default-page-size" on:change=move |ev| {
                if let Ok(size) = event_target_value(&ev).parse() {
                    prefs::set_page_size(size);
                }
            }>
                {PAGE_SIZE_CHOICES.iter().map(|&size| view! {
                    <option value=size.to_string() selected=prefs::page_size() == size>{size.to_string()}</option>
                }).collect_view()}
            </select>
        </div>
    </section>
    }
}

/// In the demo: whether the in-page emulator plays an unreliable network, to see how the
/// console copes (reads retried, writes failed honestly, bulk results per device).
#[cfg(feature = "demo")]
#[component]
fn DemoNetwork() -> impl IntoView {
    view! {
        <div class="edit-row">
            <input id="demo-unreliable" type="checkbox" prop:checked=crate::api::demo_unreliable()
                on:change=move |ev| crate::api::set_demo_unreliable(event_target_checked(&ev))/>
            <label for="demo-unreliable">"Demo: simulate an unreliable network"</label>
            <span class="muted">"a fifth of requests fail (500, 503, 429 or a dropped connection) and each takes about 300 ms"</span>
        </div>
    }
}

#[cfg(not(feature = "demo"))]
#[component]
fn DemoNetwork() -> impl IntoView {}
