use console_core::commands::{curl_for, key_value_cli_command};
use leptos::prelude::*;
use microvisor_api::KeyValueForm;
use microvisor_api::config::{collection_path, validate_key, validate_value};
use microvisor_api::url::encode_segment;

use crate::api::{ApiClient, ApiError};
use crate::components::{ConfirmDialog, CopyCommandPair, ErrorPanel, RetryNote, WriteGuard};

/// One Config or Secret as a row. A Secret's value is never known to the console.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    key: String,
    value: Option<String>,
    date: Option<String>,
}

async fn load(
    client: ApiClient,
    device: Option<String>,
    secrets: bool,
) -> Result<Vec<Entry>, ApiError> {
    let device = device.as_deref();
    if secrets {
        let page = client.list_secrets(device).await?;
        Ok(page
            .items
            .into_iter()
            .map(|s| Entry {
                key: s.key.unwrap_or_default(),
                value: None,
                date: s.date_rotated,
            })
            .collect())
    } else {
        let page = client.list_configs(device).await?;
        Ok(page
            .items
            .into_iter()
            .map(|c| Entry {
                key: c.key.unwrap_or_default(),
                value: c.value,
                date: c.date_updated,
            })
            .collect())
    }
}

/// Configs or Secrets of the account (`device` None) or of one device: list, create, update,
/// delete. Secret values are typed into masked inputs and never shown. Limits are checked
/// before anything is sent.
#[component]
pub fn KeyValues(#[prop(into)] device: Option<String>, secrets: bool) -> impl IntoView {
    let retrying = RwSignal::new(None);
    let client = expect_context::<ApiClient>().reporting_retries(retrying);
    let entries = LocalResource::new({
        let (client, device) = (client.clone(), device.clone());
        move || load(client.clone(), device.clone(), secrets)
    });
    let noun = if secrets { "secret" } else { "config" };
    let id = move |part: &str| format!("{noun}-{part}");
    let new_key = RwSignal::new(String::new());
    let new_value = RwSignal::new(String::new());
    let editing = RwSignal::new(None::<String>);
    let edit_value = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<String>);
    let to_delete = RwSignal::new(None::<String>);
    let confirm_open = RwSignal::new(false);

    let save = Action::new_local({
        let (client, device) = (client.clone(), device.clone());
        move |(existing, form): &(Option<String>, KeyValueForm)| {
            let (client, device, existing, form) = (
                client.clone(),
                device.clone(),
                existing.clone(),
                form.clone(),
            );
            async move {
                client
                    .put_key_value(device.as_deref(), secrets, existing.as_deref(), &form)
                    .await?;
                // It landed: clear the form and reload the list. A failed write keeps what
                // was typed.
                new_key.set(String::new());
                new_value.set(String::new());
                editing.set(None);
                entries.refetch();
                Ok::<_, ApiError>(())
            }
        }
    });
    let remove = Action::new_local({
        let (client, device) = (client.clone(), device.clone());
        move |key: &String| {
            let (client, device, key) = (client.clone(), device.clone(), key.clone());
            async move {
                client
                    .delete_key_value(device.as_deref(), secrets, &key)
                    .await?;
                entries.refetch();
                Ok::<_, ApiError>(())
            }
        }
    });
    let error = move || {
        local_error.get().or_else(|| {
            save.value()
                .get()
                .and_then(Result::err)
                .or_else(|| remove.value().get().and_then(Result::err))
                .map(|e| e.to_string())
        })
    };
    let check = move |key: Option<&str>, value: &str| -> Result<(), String> {
        if let Some(key) = key {
            validate_key(key).map_err(|e| e.to_string())?;
        }
        validate_value(value).map_err(|e| e.to_string())
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (key, value) = (
            new_key.get_untracked().trim().to_owned(),
            new_value.get_untracked(),
        );
        match check(Some(&key), &value) {
            Err(message) => local_error.set(Some(message)),
            Ok(()) => {
                local_error.set(None);
                save.dispatch((
                    None,
                    KeyValueForm {
                        key: Some(key),
                        value: Some(value),
                    },
                ));
            }
        }
    };
    let update = move |key: String| {
        let value = edit_value.get_untracked();
        match check(None, &value) {
            Err(message) => local_error.set(Some(message)),
            Ok(()) => {
                local_error.set(None);
                save.dispatch((
                    Some(key),
                    KeyValueForm {
                        key: None,
                        value: Some(value),
                    },
                ));
            }
        }
    };
    let value_type = if secrets { "password" } else { "text" };
    // Commands for the terminal; a secret's value stays in a shell variable.
    let shown_value = move |value: String| {
        if secrets {
            "$SECRET_VALUE".to_owned()
        } else {
            value
        }
    };
    let collection = collection_path(device.as_deref(), secrets);
    let create_curl = Signal::derive({
        let collection = collection.clone();
        move || {
            curl_for(
                "POST",
                &collection,
                &[
                    ("Key", new_key.get().trim()),
                    ("Value", &shown_value(new_value.get())),
                ],
            )
        }
    });
    let create_cli = Signal::derive({
        let device = device.clone();
        move || {
            key_value_cli_command(
                device.as_deref(),
                secrets,
                "create",
                new_key.get().trim(),
                Some(&shown_value(new_value.get())),
            )
        }
    });
    let row_commands = {
        let (device, collection) = (device.clone(), collection.clone());
        move |key: &str| {
            let path = format!("{collection}/{}", encode_segment(key));
            let curl = curl_for("DELETE", &path, &[]);
            let cli = key_value_cli_command(device.as_deref(), secrets, "remove", key, None);
            view! { <CopyCommandPair curl cli/> }
        }
    };
    // The row being edited, as commands; made here so the rows only pass them on.
    let update_curl = Signal::derive({
        let collection = collection.clone();
        move || {
            editing
                .get()
                .map(|key| {
                    let path = format!("{collection}/{}", encode_segment(&key));
                    curl_for("POST", &path, &[("Value", &shown_value(edit_value.get()))])
                })
                .unwrap_or_default()
        }
    });
    let update_cli = Signal::derive({
        let device = device.clone();
        move || {
            editing
                .get()
                .map(|key| {
                    key_value_cli_command(
                        device.as_deref(),
                        secrets,
                        "update",
                        &key,
                        Some(&shown_value(edit_value.get())),
                    )
                })
                .unwrap_or_default()
        }
    });
    let retry = Callback::new(move |()| entries.refetch());
    let title = if secrets { "Secrets" } else { "Configs" };

    view! {
        <section class="panel key-values" aria-label=title>
            <RetryNote retrying/>
            <WriteGuard>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let row_commands = row_commands.clone();
                    Suspend::new(async move {
                    match entries.await {
                        Err(error) => view! { <ErrorPanel error on_retry=retry/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted empty-list">{format!("No {noun}s yet.")}</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="key-values">
                                <thead><tr>
                                    <th scope="col">"Key"</th>
                                    <th scope="col">{if secrets { "Value (write-only)" } else { "Value" }}</th>
                                    <th scope="col">{if secrets { "Rotated" } else { "Updated" }}</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|entry| {
                                        let row_commands = row_commands.clone();
                                        let key = entry.key.clone();
                                        let (edit_key, save_key, delete_key) = (key.clone(), key.clone(), key.clone());
                                        let is_editing = {
                                            let key = key.clone();
                                            move || editing.get().as_deref() == Some(key.as_str())
                                        };
                                        let shown = entry.value.clone().unwrap_or_else(|| "••••••••".to_owned());
                                        let label = format!("New value for {key}");
                                        view! {
                                            <tr data-key=key.clone()>
                                                <td><code>{key.clone()}</code></td>
                                                <td class="value">
                                                    <Show when=is_editing.clone() fallback=move || view! { <span>{shown.clone()}</span> }>
                                                        <input type=value_type aria-label=label.clone() prop:value=move || edit_value.get()
                                                            on:input=move |ev| edit_value.set(event_target_value(&ev))/>
                                                    </Show>
                                                </td>
                                                <td>{entry.date.clone().unwrap_or_default()}</td>
                                                <td class="row-actions">
                                                    <Show when=is_editing.clone() fallback=move || {
                                                        let edit_key = edit_key.clone();
                                                        let delete_key = delete_key.clone();
                                                        view! {
                                                            <button type="button" class="secondary" on:click=move |_| {
                                                                edit_value.set(String::new());
                                                                editing.set(Some(edit_key.clone()));
                                                            }>"Edit"</button>
                                                            <button type="button" class="secondary" on:click=move |_| {
                                                                to_delete.set(Some(delete_key.clone()));
                                                                confirm_open.set(true);
                                                            }>"Delete"</button>
                                                        }
                                                    }>
                                                        <button type="button" on:click={
                                                            let save_key = save_key.clone();
                                                            move |_| update(save_key.clone())
                                                        }>"Save"</button>
                                                        <button type="button" class="secondary" on:click=move |_| editing.set(None)>"Cancel"</button>
                                                        <CopyCommandPair curl=update_curl cli=update_cli/>
                                                    </Show>
                                                    {row_commands(&key)}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}}
            </Transition>
            <form class="edit-row" on:submit=create novalidate>
                <label for=id("key")>{format!("New {noun} key")}</label>
                <input id=id("key") type="text" autocomplete="off" spellcheck="false" prop:value=move || new_key.get()
                    on:input=move |ev| { new_key.set(event_target_value(&ev)); local_error.set(None); }/>
                <label for=id("value")>"Value"</label>
                <input id=id("value") type=value_type autocomplete="off" prop:value=move || new_value.get()
                    on:input=move |ev| { new_value.set(event_target_value(&ev)); local_error.set(None); }/>
                <button type="submit" disabled=move || save.pending().get()>{format!("Add {noun}")}</button>
                <CopyCommandPair curl=create_curl cli=create_cli/>
                <p class="field-error" role="alert">{error}</p>
            </form>
            </WriteGuard>
            <ConfirmDialog
                open=confirm_open
                title=format!("Delete {noun}")
                message=Signal::derive(move || format!("Delete the {noun} {}?", to_delete.get().unwrap_or_default()))
                confirm_label="Delete"
                on_confirm=Callback::new(move |()| { if let Some(key) = to_delete.get_untracked() { remove.dispatch(key); } })
            />
        </section>
    }
}
