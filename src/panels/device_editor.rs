use console_core::display::shown_name;
use leptos::prelude::*;
use microvisor_api::{App, Device, DeviceUpdate, validate_unique_name};

use crate::api::{ApiClient, ApiError};
use crate::components::{ConfirmDialog, CopyCommands, WriteGuard};

type UpdateAction = Action<DeviceUpdate, Result<Device, ApiError>>;

/// One write to the device. Each form has its own, so each shows its own pending state and
/// error beside itself, and keeps what was typed when the write fails.
fn update_action(client: ApiClient, sid: String, on_updated: Callback<Device>) -> UpdateAction {
    Action::new_local(move |update: &DeviceUpdate| {
        let (client, sid, update) = (client.clone(), sid.clone(), update.clone());
        async move {
            let result = client.update_device(&sid, &update).await;
            if let Ok(device) = &result {
                on_updated.run(device.clone());
            }
            result
        }
    })
}

fn failure(action: UpdateAction) -> impl Fn() -> Option<String> + Copy {
    move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|err| err.to_string())
    }
}

fn succeeded(action: UpdateAction) -> impl Fn() -> bool + Copy {
    move || matches!(action.value().get(), Some(Ok(_))) && !action.pending().get()
}

/// The label of an app: "name (SID)", or what was typed when it is not in the list.
fn app_label(apps: &[App], text: &str) -> String {
    apps.iter()
        .find(|app| app.sid.as_deref() == Some(text) || app.unique_name.as_deref() == Some(text))
        .map(|app| match (&app.unique_name, &app.sid) {
            (Some(name), Some(sid)) => format!("{name} ({sid})"),
            (_, Some(sid)) => sid.clone(),
            _ => text.to_owned(),
        })
        .unwrap_or_else(|| text.to_owned())
}

/// Rename, deploy, logging and restart for one device.
#[component]
pub fn DeviceEditor(
    sid: String,
    device: Signal<Device>,
    apps: Signal<Vec<App>>,
    on_updated: Callback<Device>,
) -> impl IntoView {
    let client = expect_context::<ApiClient>();
    let rename = update_action(client.clone(), sid.clone(), on_updated);
    let deploy = update_action(client.clone(), sid.clone(), on_updated);
    let logging = update_action(client.clone(), sid.clone(), on_updated);
    let restart = update_action(client, sid, on_updated);
    view! {
        <section class="panel editor" aria-labelledby="edit-heading">
            <h2 id="edit-heading">"Change this device"</h2>
            <WriteGuard>
                <RenameForm device action=rename/>
                <DeployForm device apps action=deploy/>
                <LoggingControls device action=logging/>
                <RestartControl device action=restart/>
            </WriteGuard>
        </section>
    }
}

#[component]
fn RenameForm(device: Signal<Device>, action: UpdateAction) -> impl IntoView {
    let name = RwSignal::new(device.with_untracked(|d| d.unique_name.clone().unwrap_or_default()));
    let local_error = RwSignal::new(None::<String>);
    let server_error = failure(action);
    let error = move || local_error.get().or_else(server_error);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let proposed = name.get_untracked();
        match validate_unique_name(&proposed) {
            Err(err) => local_error.set(Some(err.to_string())),
            Ok(()) => {
                local_error.set(None);
                action.dispatch(DeviceUpdate {
                    unique_name: Some(proposed),
                    ..DeviceUpdate::default()
                });
            }
        }
    };
    view! {
        <form class="edit-row" on:submit=on_submit novalidate>
            <label for="unique-name">"Unique name"</label>
            <input
                id="unique-name"
                type="text"
                autocomplete="off"
                spellcheck="false"
                prop:value=move || name.get()
                on:input=move |ev| {
                    name.set(event_target_value(&ev));
                    local_error.set(None);
                }
                aria-invalid=move || error().is_some().to_string()
                aria-describedby="unique-name-error"
            />
            <button type="submit" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Saving…" } else { "Save name" }}
            </button>
            <p id="unique-name-error" class="field-error" role="alert">{error}</p>
            <CopyCommands sid=device.with_untracked(|d| d.sid.clone().unwrap_or_default()) update=Signal::derive(move || DeviceUpdate {
                unique_name: Some(name.get()),
                ..DeviceUpdate::default()
            })/>
            <p id="rename-status" class="field-ok" aria-live="polite">{move || succeeded(action)().then_some("Renamed.")}</p>
        </form>
    }
}

#[component]
fn DeployForm(
    device: Signal<Device>,
    apps: Signal<Vec<App>>,
    action: UpdateAction,
) -> impl IntoView {
    let target = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<String>);
    let confirm_open = RwSignal::new(false);
    let error = move || local_error.get().or_else(failure(action));
    let message = Signal::derive(move || {
        let before = device
            .with(|d| d.app.as_ref()?.target_sid.clone())
            .map(|sid| apps.with(|apps| app_label(apps, &sid)))
            .unwrap_or_else(|| "no target app".to_owned());
        let after = apps.with(|apps| app_label(apps, target.get().trim()));
        format!(
            "Target app of {}: {before} → {after}. The device downloads and installs it.",
            device.with(|d| shown_name(d).into_owned())
        )
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if target.get_untracked().trim().is_empty() {
            local_error.set(Some("Choose an app by unique name or SID.".to_owned()));
        } else {
            local_error.set(None);
            confirm_open.set(true);
        }
    };
    let on_confirm = Callback::new(move |()| {
        action.dispatch(DeviceUpdate {
            target_app: Some(target.get_untracked().trim().to_owned()),
            ..DeviceUpdate::default()
        });
    });
    view! {
        <form class="edit-row" on:submit=on_submit novalidate>
            <label for="target-app">"Target app"</label>
            <input
                id="target-app"
                type="text"
                list="app-options"
                autocomplete="off"
                spellcheck="false"
                placeholder="unique name or KA… SID"
                prop:value=move || target.get()
                on:input=move |ev| {
                    target.set(event_target_value(&ev));
                    local_error.set(None);
                }
                aria-invalid=move || error().is_some().to_string()
                aria-describedby="target-app-error"
            />
            <datalist id="app-options">
                {move || {
                    apps.get()
                        .into_iter()
                        .filter_map(|app| Some((app.unique_name?, app.sid?)))
                        .map(|(name, sid)| view! { <option value=name>{sid}</option> })
                        .collect_view()
                }}
            </datalist>
            <button type="submit" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Deploying…" } else { "Deploy…" }}
            </button>
            <p id="target-app-error" class="field-error" role="alert">{error}</p>
            <CopyCommands sid=device.with_untracked(|d| d.sid.clone().unwrap_or_default()) update=Signal::derive(move || DeviceUpdate {
                target_app: Some(target.get().trim().to_owned()),
                ..DeviceUpdate::default()
            })/>
            <p id="deploy-status" class="field-ok" aria-live="polite">{move || succeeded(action)().then_some("Deploy requested.")}</p>
            <ConfirmDialog open=confirm_open title="Deploy app" message confirm_label="Deploy" on_confirm/>
        </form>
    }
}

#[component]
fn LoggingControls(device: Signal<Device>, action: UpdateAction) -> impl IntoView {
    let enabled = move || device.with(|d| d.logging.as_ref().and_then(|l| l.enabled) == Some(true));
    let set = move |on: bool| {
        action.dispatch(DeviceUpdate {
            logging_enabled: Some(on),
            ..DeviceUpdate::default()
        });
    };
    view! {
        <div class="edit-row" role="group" aria-labelledby="logging-label">
            <span id="logging-label" class="label">"Logging"</span>
            <Show
                when=enabled
                fallback=move || view! {
                    <button type="button" disabled=move || action.pending().get() on:click=move |_| set(true)>
                        "Enable logging"
                    </button>
                }
            >
                <button type="button" disabled=move || action.pending().get() on:click=move |_| set(true)>
                    "Extend logging 24 h"
                </button>
                <button type="button" class="secondary" disabled=move || action.pending().get() on:click=move |_| set(false)>
                    "Disable logging"
                </button>
            </Show>
            <CopyCommands sid=device.with_untracked(|d| d.sid.clone().unwrap_or_default()) update=Signal::derive(move || DeviceUpdate {
                logging_enabled: Some(!enabled()),
                ..DeviceUpdate::default()
            })/>
            <p class="field-error" role="alert">{failure(action)}</p>
        </div>
    }
}

#[component]
fn RestartControl(device: Signal<Device>, action: UpdateAction) -> impl IntoView {
    let confirm_open = RwSignal::new(false);
    let message = Signal::derive(move || {
        format!(
            "Restart the app running on {}? It stops and starts afresh.",
            device.with(|d| shown_name(d).into_owned())
        )
    });
    let on_confirm = Callback::new(move |()| {
        action.dispatch(DeviceUpdate {
            restart_app: Some(true),
            ..DeviceUpdate::default()
        });
    });
    view! {
        <div class="edit-row">
            <span class="label">"App"</span>
            <button type="button" class="danger" disabled=move || action.pending().get() on:click=move |_| confirm_open.set(true)>
                "Restart app"
            </button>
            <p class="field-error" role="alert">{failure(action)}</p>
            <CopyCommands sid=device.with_untracked(|d| d.sid.clone().unwrap_or_default()) update=DeviceUpdate {
                restart_app: Some(true),
                ..DeviceUpdate::default()
            }/>
            <p id="restart-status" class="field-ok" aria-live="polite">{move || succeeded(action)().then_some("Restart requested.")}</p>
            <ConfirmDialog open=confirm_open title="Restart app" message confirm_label="Restart" on_confirm/>
        </div>
    }
}
