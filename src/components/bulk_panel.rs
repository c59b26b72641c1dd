use std::collections::BTreeSet;

use leptos::prelude::*;
use microvisor_api::Device;
use microvisor_api::fleet::{BulkAction, bulk_curl_command, bulk_twilio_cli_command};

use super::{AppNames, ConfirmDialog, CopyCommandPair};
use crate::api::ApiClient;
use crate::bulk::{BulkRun, Outcome};
use crate::pages::now_seconds;

/// Selection, the action, its confirmation, progress and per-device results.
#[component]
pub fn BulkPanel(
    shown: Signal<Vec<Device>>,
    selected: RwSignal<BTreeSet<String>>,
    run: BulkRun,
    app_names: Signal<AppNames>,
    devices: RwSignal<Vec<Device>>,
    /// "Select all matching", "Select page": what selecting everything shown means here.
    select_all_label: &'static str,
) -> impl IntoView {
    let client = expect_context::<ApiClient>();
    let action_kind = RwSignal::new("logging-on".to_owned());
    let target = RwSignal::new(String::new());
    let confirm_open = RwSignal::new(false);
    let action = move || match action_kind.get().as_str() {
        "target" => BulkAction::SetTargetApp(target.get().trim().to_owned()),
        "logging-off" => BulkAction::DisableLogging,
        "restart" => BulkAction::RestartApp,
        _ => BulkAction::EnableLogging,
    };
    let chosen = move || -> Vec<Device> {
        selected.with(|s| {
            devices.with(|all| {
                all.iter()
                    .filter(|d| d.sid.as_ref().is_some_and(|sid| s.contains(sid)))
                    .cloned()
                    .collect()
            })
        })
    };
    let chosen_sids = move || selected.with(|s| s.iter().cloned().collect::<Vec<String>>());
    let message = Signal::derive(move || {
        let devices = chosen();
        let names = app_names.get();
        let action = action();
        let now = now_seconds();
        let examples: Vec<String> = devices
            .iter()
            .take(3)
            .map(|d| {
                let (before, after) = action.before_after(d, names.names(), now);
                format!("{}: {before} → {after}", d.shown_name())
            })
            .collect();
        let more = devices.len().saturating_sub(3);
        format!(
            "{} on {} device{}. {}{}",
            action.describe(names.names()),
            devices.len(),
            if devices.len() == 1 { "" } else { "s" },
            examples.join("; "),
            if more > 0 {
                format!("; and {more} more.")
            } else {
                ".".to_owned()
            }
        )
    });
    let on_finished = Callback::new(move |updated: Vec<Device>| {
        let by_sid: std::collections::HashMap<Option<String>, Device> =
            updated.into_iter().map(|d| (d.sid.clone(), d)).collect();
        devices.update(|all| {
            for slot in all.iter_mut() {
                if let Some(device) = by_sid.get(&slot.sid) {
                    *slot = device.clone();
                }
            }
        })
    });
    let start = {
        let client = client.clone();
        move |targets: Vec<(String, String)>| {
            run.start(client.clone(), targets, action().update(), on_finished)
        }
    };
    let retry_failed = {
        let start = start.clone();
        Callback::new(move |()| start(run.failed()))
    };
    let on_confirm = {
        let start = start.clone();
        Callback::new(move |()| {
            let targets = chosen()
                .iter()
                .filter_map(|d| Some((d.sid.clone()?, d.shown_name().into_owned())))
                .collect();
            start(targets);
        })
    };
    let done = move || {
        run.items
            .with(|items| items.iter().filter(|i| i.outcome == Outcome::Done).count())
    };
    view! {
        <section class="panel bulk" aria-labelledby="bulk-heading">
            <h2 id="bulk-heading">"Change many devices"</h2>
            <div class="toolbar">
                <span aria-live="polite">{move || format!("{} selected", selected.with(BTreeSet::len))}</span>
                <button type="button" class="secondary" on:click=move |_| selected.update(|s| s.extend(shown.with(|rows| rows.iter().filter_map(|d| d.sid.clone()).collect::<Vec<_>>()))) >{select_all_label}</button>
                <button type="button" class="secondary" on:click=move |_| selected.set(BTreeSet::new())>"Clear selection"</button>
            </div>
            <div class="edit-row">
                <label for="bulk-action">"Action"</label>
                <select id="bulk-action" on:change=move |ev| action_kind.set(event_target_value(&ev))>
                    <option value="logging-on">"Enable or extend logging (24 h)"</option>
                    <option value="logging-off">"Disable logging"</option>
                    <option value="restart">"Restart app"</option>
                    <option value="target">"Set target app"</option>
                </select>
                <Show when=move || action_kind.get() == "target">
                    <label for="bulk-target" class="visually-hidden">"Target app for the selection"</label>
                    <input id="bulk-target" type="text" list="bulk-app-options" placeholder="unique name or KA… SID"
                        prop:value=move || target.get() on:input=move |ev| target.set(event_target_value(&ev))/>
                    <datalist id="bulk-app-options">
                        {move || app_names.get().names().values().map(|name| view! { <option value=name.clone()></option> }).collect_view()}
                    </datalist>
                </Show>
                <button type="button"
                    disabled=move || run.running.get() || selected.with(BTreeSet::is_empty) || (action_kind.get() == "target" && target.get().trim().is_empty())
                    on:click=move |_| confirm_open.set(true)>
                    "Review and apply…"
                </button>
            </div>
            <CopyCommandPair
                curl=Signal::derive(move || bulk_curl_command(&chosen_sids(), &action().update()))
                cli=Signal::derive(move || bulk_twilio_cli_command(&chosen_sids(), &action().update()))
            />
            <ConfirmDialog open=confirm_open title="Apply to many devices" message confirm_label="Apply" on_confirm/>
            <Show when=move || !run.items.with(Vec::is_empty)>
                <div class="bulk-progress" aria-live="polite">
                    <progress max=move || run.items.with(Vec::len).to_string() value=move || run.finished().to_string() aria-label="Bulk progress"></progress>
                    <span class="bulk-status">{move || {
                        let total = run.items.with(Vec::len);
                        let failed = run.failed().len();
                        format!("{} of {total} finished · {} done · {failed} failed or not sent", run.finished(), done())
                    }}</span>
                    <Show when=move || run.running.get()>
                        <button type="button" class="secondary" on:click=move |_| run.cancel()>"Cancel"</button>
                    </Show>
                    <Show when=move || !run.running.get() && !run.failed().is_empty()>
                        <button type="button" on:click=move |_| retry_failed.run(())>"Retry failed"</button>
                    </Show>
                </div>
                <div class="table-wrap">
                    <table class="results">
                        <caption class="visually-hidden">"Result for every selected device"</caption>
                        <thead><tr><th scope="col">"Device"</th><th scope="col">"Result"</th></tr></thead>
                        <tbody>
                            {move || run.items.get().into_iter().map(|item| {
                                let (class, text) = match item.outcome {
                                    Outcome::Waiting => ("waiting", "waiting".to_owned()),
                                    Outcome::Done => ("done", "done".to_owned()),
                                    Outcome::Failed(reason) => ("failed", format!("failed: {reason}")),
                                    Outcome::NotSent => ("failed", "not sent (cancelled)".to_owned()),
                                };
                                view! { <tr data-sid=item.sid><td>{item.name}</td><td class=class>{text}</td></tr> }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}
