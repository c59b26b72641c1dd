//! Configs or Secrets of the account or of one device: the list, a row's edit, a new entry's
//! form, each with the equivalent commands for a terminal.

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

/// Whose entries, and which kind.
#[derive(Debug, Clone, PartialEq)]
struct Scope {
    /// `None` for the account's.
    device: Option<String>,
    secrets: bool,
}

impl Scope {
    fn noun(&self) -> &'static str {
        if self.secrets { "secret" } else { "config" }
    }

    /// The input type values are typed into: masked for secrets.
    fn value_type(&self) -> &'static str {
        if self.secrets { "password" } else { "text" }
    }

    /// A value as the commands show it: a secret's stays in a shell variable.
    fn shown_value(&self, value: String) -> String {
        if self.secrets {
            "$SECRET_VALUE".to_owned()
        } else {
            value
        }
    }

    /// `curl` and `twilio` commands for `verb` on `key` (`create`, `update`, `remove`).
    fn commands(&self, verb: &str, key: &str, value: Option<String>) -> (String, String) {
        let collection = collection_path(self.device.as_deref(), self.secrets);
        let value = value.map(|v| self.shown_value(v));
        let curl = match verb {
            "create" => curl_for(
                "POST",
                &collection,
                &[("Key", key), ("Value", value.as_deref().unwrap_or(""))],
            ),
            "remove" => curl_for(
                "DELETE",
                &format!("{collection}/{}", encode_segment(key)),
                &[],
            ),
            _ => curl_for(
                "POST",
                &format!("{collection}/{}", encode_segment(key)),
                &[("Value", value.as_deref().unwrap_or(""))],
            ),
        };
        let cli = key_value_cli_command(
            self.device.as_deref(),
            self.secrets,
            verb,
            key,
            value.as_deref(),
        );
        (curl, cli)
    }
}

async fn load(client: ApiClient, scope: Scope) -> Result<Vec<Entry>, ApiError> {
    let device = scope.device.as_deref();
    if scope.secrets {
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

/// A key and value checked against the API's limits before anything is sent.
fn check(key: Option<&str>, value: &str) -> Result<(), String> {
    if let Some(key) = key {
        validate_key(key).map_err(|e| e.to_string())?;
    }
    validate_value(value).map_err(|e| e.to_string())
}

/// What the panel's parts share: what is typed, which row is edited, the writes.
#[derive(Clone, Copy)]
struct Editing {
    new_key: RwSignal<String>,
    new_value: RwSignal<String>,
    /// The key of the row being edited, and the value typed for it.
    row: RwSignal<Option<String>>,
    row_value: RwSignal<String>,
    /// A value refused before it was sent.
    refused: RwSignal<Option<String>>,
    /// A write: the entry to replace (or none, to create), and the form.
    save: Action<(Option<String>, KeyValueForm), Result<(), ApiError>>,
    remove: Action<String, Result<(), ApiError>>,
}

impl Editing {
    /// Sends `form` once its value (and key, when new) passes the limits; else says why.
    fn send(self, existing: Option<String>, key: Option<String>, value: String) {
        match check(key.as_deref(), &value) {
            Err(message) => self.refused.set(Some(message)),
            Ok(()) => {
                self.refused.set(None);
                self.save.dispatch((
                    existing,
                    KeyValueForm {
                        key,
                        value: Some(value),
                    },
                ));
            }
        }
    }

    fn error(self) -> Option<String> {
        self.refused.get().or_else(|| {
            self.save
                .value()
                .get()
                .and_then(Result::err)
                .or_else(|| self.remove.value().get().and_then(Result::err))
                .map(|e| e.to_string())
        })
    }
}

/// Configs or Secrets of the account (`device` None) or of one device: list, create, update,
/// delete. Secret values are typed into masked inputs and never shown. Limits are checked
/// before anything is sent.
#[component]
pub fn KeyValues(#[prop(into)] device: Option<String>, secrets: bool) -> impl IntoView {
    let retrying = RwSignal::new(None);
    let client = expect_context::<ApiClient>().reporting_retries(retrying);
    let scope = StoredValue::new(Scope { device, secrets });
    let (new_key, new_value, row) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(None::<String>),
    );
    let save = Action::new_local({
        let client = client.clone();
        move |(existing, form): &(Option<String>, KeyValueForm)| {
            let (client, scope, existing, form) = (
                client.clone(),
                scope.get_value(),
                existing.clone(),
                form.clone(),
            );
            async move {
                client
                    .put_key_value(
                        scope.device.as_deref(),
                        scope.secrets,
                        existing.as_deref(),
                        &form,
                    )
                    .await?;
                // It landed: clear the form. A failed write keeps what was typed.
                new_key.set(String::new());
                new_value.set(String::new());
                row.set(None);
                Ok::<_, ApiError>(())
            }
        }
    });
    let remove = Action::new_local({
        let client = client.clone();
        move |key: &String| {
            let (client, scope, key) = (client.clone(), scope.get_value(), key.clone());
            async move {
                client
                    .delete_key_value(scope.device.as_deref(), scope.secrets, &key)
                    .await
            }
        }
    });
    // Read again whenever a write has finished: the writes' versions are its source.
    let entries = LocalResource::new(move || {
        save.version().track();
        remove.version().track();
        load(client.clone(), scope.get_value())
    });
    let editing = Editing {
        new_key,
        new_value,
        row,
        row_value: RwSignal::new(String::new()),
        refused: RwSignal::new(None),
        save,
        remove,
    };
    let to_delete = RwSignal::new(None::<String>);
    let confirm_open = RwSignal::new(false);
    let noun = scope.with_value(Scope::noun);
    let title = if secrets { "Secrets" } else { "Configs" };
    view! {
        <section class="panel key-values" aria-label=title>
            <RetryNote retrying/>
            <WriteGuard>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Err(error) => view! { <ErrorPanel error on_retry=Callback::new(move |()| entries.refetch())/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted empty-list">{format!("No {noun}s yet.")}</p> }.into_any(),
                        Ok(list) => view! { <EntryTable list scope editing to_delete confirm_open/> }.into_any(),
                    }
                })}
            </Transition>
            <NewEntryForm scope editing/>
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

/// The entries, each with Edit and Delete, or, while edited, its new value, Save and Cancel.
#[component]
fn EntryTable(
    list: Vec<Entry>,
    scope: StoredValue<Scope>,
    editing: Editing,
    to_delete: RwSignal<Option<String>>,
    confirm_open: RwSignal<bool>,
) -> impl IntoView {
    let secrets = scope.with_value(|s| s.secrets);
    let value_type = scope.with_value(Scope::value_type);
    // The row being edited, as commands; made here so the rows only pass them on.
    let update_commands = Memo::new(move |_| {
        editing.row.get().map(|key| {
            scope.with_value(|s| s.commands("update", &key, Some(editing.row_value.get())))
        })
    });
    let update_curl = Signal::derive(move || update_commands.get().unwrap_or_default().0);
    let update_cli = Signal::derive(move || update_commands.get().unwrap_or_default().1);
    let rows = list.into_iter().map(|entry| {
        let key = entry.key.clone();
        let is_editing = {
            let key = key.clone();
            move || editing.row.get().as_deref() == Some(key.as_str())
        };
        let shown = entry.value.clone().unwrap_or_else(|| "••••••••".to_owned());
        let label = format!("New value for {key}");
        let (curl, cli) = scope.with_value(|s| s.commands("remove", &key, None));
        let idle_actions = {
            let key = key.clone();
            move || {
                let (edit_key, delete_key) = (key.clone(), key.clone());
                view! {
                    <button type="button" class="secondary" on:click=move |_| {
                        editing.row_value.set(String::new());
                        editing.row.set(Some(edit_key.clone()));
                    }>"Edit"</button>
                    <button type="button" class="secondary" on:click=move |_| {
                        to_delete.set(Some(delete_key.clone()));
                        confirm_open.set(true);
                    }>"Delete"</button>
                }
            }
        };
        let save_key = key.clone();
        view! {
            <tr data-key=key.clone()>
                <td><code>{key.clone()}</code></td>
                <td class="value">
                    <Show when=is_editing.clone() fallback=move || view! { <span>{shown.clone()}</span> }>
                        <input type=value_type aria-label=label.clone() prop:value=move || editing.row_value.get()
                            on:input=move |ev| editing.row_value.set(event_target_value(&ev))/>
                    </Show>
                </td>
                <td>{entry.date.clone().unwrap_or_default()}</td>
                <td class="row-actions">
                    <Show when=is_editing fallback=idle_actions>
                        <button type="button" on:click={
                            let save_key = save_key.clone();
                            move |_| editing.send(Some(save_key.clone()), None, editing.row_value.get_untracked())
                        }>"Save"</button>
                        <button type="button" class="secondary" on:click=move |_| editing.row.set(None)>"Cancel"</button>
                        <CopyCommandPair curl=update_curl cli=update_cli/>
                    </Show>
                    <CopyCommandPair curl=curl.clone() cli=cli.clone()/>
                </td>
            </tr>
        }
    }).collect_view();
    view! {
        <table class="key-values">
            <thead><tr>
                <th scope="col">"Key"</th>
                <th scope="col">{if secrets { "Value (write-only)" } else { "Value" }}</th>
                <th scope="col">{if secrets { "Rotated" } else { "Updated" }}</th>
                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// A new entry: key and value, checked, then sent; with its commands.
#[component]
fn NewEntryForm(scope: StoredValue<Scope>, editing: Editing) -> impl IntoView {
    let noun = scope.with_value(Scope::noun);
    let value_type = scope.with_value(Scope::value_type);
    let id = move |part: &str| format!("{noun}-{part}");
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let key = editing.new_key.get_untracked().trim().to_owned();
        editing.send(None, Some(key), editing.new_value.get_untracked());
    };
    let commands = Memo::new(move |_| {
        let (key, value) = (editing.new_key.get(), editing.new_value.get());
        scope.with_value(|s| s.commands("create", key.trim(), Some(value)))
    });
    let typed = move |field: RwSignal<String>| {
        move |ev: leptos::ev::Event| {
            field.set(event_target_value(&ev));
            editing.refused.set(None);
        }
    };
    view! {
        <form class="edit-row" on:submit=create novalidate>
            <label for=id("key")>{format!("New {noun} key")}</label>
            <input id=id("key") type="text" autocomplete="off" spellcheck="false"
                prop:value=move || editing.new_key.get() on:input=typed(editing.new_key)/>
            <label for=id("value")>"Value"</label>
            <input id=id("value") type=value_type autocomplete="off"
                prop:value=move || editing.new_value.get() on:input=typed(editing.new_value)/>
            <button type="submit" disabled=move || editing.save.pending().get()>{format!("Add {noun}")}</button>
            <CopyCommandPair curl=Signal::derive(move || commands.get().0) cli=Signal::derive(move || commands.get().1)/>
            <p class="field-error" role="alert">{move || editing.error()}</p>
        </form>
    }
}
