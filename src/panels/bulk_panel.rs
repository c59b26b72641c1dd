use std::collections::BTreeSet;

use console_core::BulkAction;
use console_core::commands::{bulk_curl_command, bulk_twilio_cli_command};
use console_core::display::shown_name;
use fleet_engine::AppNames;
use leptos::prelude::*;
use microvisor_api::Device;

use crate::api::ApiClient;
use crate::browser::web::now_seconds;
use crate::components::{ConfirmDialog, CopyCommandPair, WriteGuard};
use crate::fleet::bulk::{BulkRun, Outcome};
use crate::fleet::handoff::SelectionForRollout;
use crate::fleet::shown::ShownRows;

/// Selection, the action, its confirmation, progress and per-device results. Always on the
/// page above its table, so choosing rows never moves the table under the pointer.
///
/// The selection's toolbar is in the first load. The rest (actions, commands, confirmation,
/// progress) loads with the first row selected: 24 KB brotli off the main module that most
/// visits to the list never use. Until then [`idle_actions`] holds its place.
#[component]
pub fn BulkPanel(
    /// The rows on show, in order: what "select all" takes.
    shown: ShownRows,
    selected: RwSignal<BTreeSet<String>>,
    run: BulkRun,
    app_names: Signal<AppNames>,
    /// Every device the selection may name, as last known.
    devices: Signal<Vec<Device>>,
    /// Receives every device as the API returned it after a run.
    on_updated: Callback<Vec<Device>>,
    /// "Select all matching", "Select page": what selecting everything shown means here.
    select_all_label: &'static str,
) -> impl IntoView {
    let nothing_selected = move || selected.with(BTreeSet::is_empty);
    // Once wanted, kept: clearing the selection must not unload the controls or the results.
    let wanted = Memo::new(move |was: Option<&bool>| {
        was.copied().unwrap_or(false) || !nothing_selected() || !run.items.with(Vec::is_empty)
    });
    let select_all = move |_| {
        let sids = untrack(|| shown.sids());
        selected.update(|s| s.extend(sids));
    };
    let has_rollouts = expect_context::<ApiClient>().has_console_api();
    let parts = BulkParts {
        selected,
        run,
        app_names,
        devices,
        on_updated,
        has_rollouts,
    };
    view! {
        <section class="panel bulk" aria-labelledby="bulk-heading">
            <h2 id="bulk-heading">"Change many devices"</h2>
            <div class="toolbar">
                <span class="selected-count" aria-live="polite">{move || format!("{} selected", selected.with(BTreeSet::len))}</span>
                <button type="button" class="secondary" on:click=select_all>{select_all_label}</button>
                <button type="button" class="secondary" disabled=nothing_selected on:click=move |_| selected.set(BTreeSet::new())>"Clear selection"</button>
            </div>
            <Show when=move || wanted.get() fallback=move || idle_actions(has_rollouts)>
                <Suspense fallback=move || idle_actions(has_rollouts)>
                    {Suspend::new(bulk_actions(parts))}
                </Suspense>
            </Show>
        </section>
    }
}

/// The loaded part's controls as they stand with nothing selected, disabled: the same words
/// in the same boxes, so the page does not move when the real ones replace them.
fn idle_actions(has_rollouts: bool) -> impl IntoView {
    view! {
        <fieldset class="write-guard" disabled>
            <div class="edit-row">
                <label for="bulk-action-idle">"Action"</label>
                <select id="bulk-action-idle">{action_options()}</select>
                <button type="button">{REVIEW}</button>
                {has_rollouts.then(|| view! { <button type="button" class="secondary">{ROLL_OUT}</button> })}
            </div>
            <span class="copy-commands">
                <button type="button" class="copy">"Copy as curl"</button>
                <button type="button" class="copy">"Copy as twilio-cli"</button>
            </span>
        </fieldset>
    }
}

/// The buttons' words, the same in the stand-in and the loaded part.
const REVIEW: &str = "Review and apply…";
const ROLL_OUT: &str = "Roll out to selected…";

/// One `<option>` per bulk action, for the stand-in and the loaded part alike.
fn action_options() -> impl IntoView {
    BulkAction::CHOICES
        .into_iter()
        .map(|choice| view! { <option value=choice.key()>{choice.label()}</option> })
        .collect_view()
}

/// What the panel's loaded part works on.
#[derive(Clone, Copy)]
struct BulkParts {
    selected: RwSignal<BTreeSet<String>>,
    run: BulkRun,
    app_names: Signal<AppNames>,
    devices: Signal<Vec<Device>>,
    on_updated: Callback<Vec<Device>>,
    /// Whether the console's server runs rollouts (the panel's shell asked the client once).
    has_rollouts: bool,
}

/// The action, its commands, confirmation, progress and per-device results.
#[cfg_attr(feature = "split", leptos::lazy)]
async fn bulk_actions(parts: BulkParts) -> AnyView {
    let BulkParts {
        selected,
        run,
        app_names,
        devices,
        on_updated,
        has_rollouts,
    } = parts;
    let client = expect_context::<ApiClient>();
    let action = RwSignal::new(BulkAction::EnableLogging);
    // Kept apart from the action, so switching actions never loses what was typed.
    let target = RwSignal::new(String::new());
    let chosen_action = move || {
        action
            .with(|action| BulkAction::from_key(action.key(), &target.get()))
            .unwrap_or(BulkAction::EnableLogging)
    };
    let confirm_open = RwSignal::new(false);
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
        app_names.with(|names| chosen_action().confirmation(&chosen(), names, now_seconds()))
    });
    let start = {
        let client = client.clone();
        move |targets: Vec<(String, String)>| {
            run.start(
                client.clone(),
                targets,
                chosen_action().update(),
                on_updated,
            )
        }
    };
    let retry_failed = {
        let start = start.clone();
        Callback::new(move |()| start(run.failed()))
    };
    let on_confirm = Callback::new(move |()| {
        let targets = chosen()
            .iter()
            .filter_map(|d| Some((d.sid.clone()?, shown_name(d).into_owned())))
            .collect();
        start(targets);
    });
    let done = move || {
        run.items
            .with(|items| items.iter().filter(|i| i.outcome == Outcome::Done).count())
    };
    let nothing_selected = move || selected.with(BTreeSet::is_empty);
    // A staged rollout instead of all at once: the selection goes to the rollout form.
    let navigate = leptos_router::hooks::use_navigate();
    let roll_out = move |_| {
        if let Some(handoff) = SelectionForRollout::get() {
            handoff.0.set(chosen_sids());
        }
        // The router adds the base itself.
        navigate("/rollouts/new?source=selection", Default::default());
    };
    view! {
        <WriteGuard>
            <div class="edit-row">
                <label for="bulk-action">"Action"</label>
                <select id="bulk-action" prop:value=move || action.with(BulkAction::key)
                    on:change=move |ev| {
                        if let Some(chosen) = BulkAction::from_key(&event_target_value(&ev), "") {
                            action.set(chosen);
                        }
                    }>
                    {action_options()}
                </select>
                <Show when=move || matches!(action.get(), BulkAction::SetTargetApp(_))>
                    <label for="bulk-target" class="visually-hidden">"Target app for the selection"</label>
                    <input id="bulk-target" type="text" list="bulk-app-options" placeholder="unique name or KA… SID"
                        prop:value=move || target.get() on:input=move |ev| target.set(event_target_value(&ev))/>
                    <datalist id="bulk-app-options">
                        {move || app_names.with(|names| names.names().map(|name| view! { <option value=name.to_owned()></option> }).collect_view())}
                    </datalist>
                </Show>
                <button type="button"
                    disabled=move || run.running.get() || nothing_selected() || !chosen_action().is_complete()
                    on:click=move |_| confirm_open.set(true)>
                    {REVIEW}
                </button>
                {has_rollouts.then(|| view! {
                    <button type="button" class="secondary" disabled=nothing_selected on:click=roll_out>{ROLL_OUT}</button>
                })}
            </div>
        </WriteGuard>
        <CopyCommandPair
            curl=Signal::derive(move || bulk_curl_command(&chosen_sids(), &chosen_action().update()))
            cli=Signal::derive(move || bulk_twilio_cli_command(&chosen_sids(), &chosen_action().update()))
            disabled=Signal::derive(nothing_selected)
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
    }
    .into_any()
}
