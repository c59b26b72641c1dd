//! "Select all N matching" on the indexed Fleet page: the query itself is selected, not N
//! SIDs. A rollout to it, or a bulk action on it, is resolved on the server when it starts,
//! so no list of a million SIDs travels through the browser.

use std::collections::BTreeSet;

use console_core::freshness::grouped;
use console_core::rollout_form::query_action;
use fleet_engine::DeviceFilter;
use fleet_engine::rollout::Change;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use microvisor_api::url::encode_segment;

use crate::api::ApiClient;
use crate::browser::routes::href;
use crate::components::{ConfirmDialog, WriteGuard};
use crate::fleet::indexed::IndexedFleet as Index;

#[component]
pub fn QuerySelection(
    fleet: Index,
    selected_query: RwSignal<Option<DeviceFilter>>,
    selected: RwSignal<BTreeSet<String>>,
) -> impl IntoView {
    let active = move || {
        selected_query.with(|chosen| {
            chosen
                .as_ref()
                .is_some_and(|chosen| fleet.filter.with(|f| f == chosen))
        })
    };
    let total = move || grouped(fleet.total().unwrap_or(0));
    let select = move |_| {
        selected.set(BTreeSet::new());
        selected_query.set(Some(fleet.filter.get_untracked()));
    };
    let roll_out = move || {
        let filter = fleet
            .filter
            .with(|f| serde_json::to_string(f).unwrap_or_default());
        href(&format!(
            "/rollouts/new?source=filter&filter={}",
            encode_segment(&filter)
        ))
    };
    view! {
        <section class="panel query-selection" aria-label="Every matching device">
            <Show
                when=active
                fallback=move || view! {
                    <button type="button" class="secondary" on:click=select disabled=move || fleet.total().unwrap_or(0) == 0>
                        {move || format!("Select all {} matching", total())}
                    </button>
                }
            >
                <p role="status">{move || format!("All {} devices matching this filter are selected.", total())}</p>
                <a class="button" href=roll_out>{move || format!("Roll out to all {} matching…", total())}</a>
                <QueryAction fleet/>
                <button type="button" class="secondary" on:click=move |_| selected_query.set(None)>"Clear selection"</button>
                <p class="muted">"The server finds the matching devices when the rollout or action starts, and runs it as a job you can follow, pause or abort on the Rollouts page."</p>
            </Show>
        </section>
    }
}

/// A bulk action on every matching device, confirmed with its count, then followed on its
/// rollout page (progress, pause, abort, each device's outcome).
#[component]
fn QueryAction(fleet: Index) -> impl IntoView {
    let client = expect_context::<ApiClient>();
    let change = RwSignal::new(Change::LoggingOn);
    let confirm_open = RwSignal::new(false);
    let navigate = use_navigate();
    let start = Action::new_local(
        move |(filter, action, matching): &(DeviceFilter, Change, u64)| {
            let request = query_action(filter, *action, *matching);
            let (client, navigate) = (client.clone(), navigate.clone());
            async move {
                let created = client.create_rollout(&request).await;
                if let Ok(created) = &created {
                    let path = format!("/rollouts/{}", encode_segment(&created.rollout.id));
                    navigate(&path, Default::default());
                }
                created.map(|_| ())
            }
        },
    );
    let message = Signal::derive(move || {
        format!(
            "{} on all {} devices matching this filter. The server runs it as a job; a device \
             whose write fails is listed, and sent again only if you retry it.",
            change.get().label(),
            grouped(fleet.total().unwrap_or(0))
        )
    });
    let on_confirm = Callback::new(move |()| {
        let matching = fleet.total().unwrap_or(0);
        start.dispatch((
            fleet.filter.get_untracked(),
            change.get_untracked(),
            matching,
        ));
    });
    view! {
        <WriteGuard>
            <label for="query-action">"Action on every matching device"</label>
            <select id="query-action" on:change=move |ev| {
                if let Some(chosen) = Change::from_key(&event_target_value(&ev)) {
                    change.set(chosen);
                }
            }>
                {Change::ACTIONS.into_iter().map(|choice| view! {
                    <option value=choice.key() selected=move || change.get() == choice>{choice.label()}</option>
                }).collect_view()}
            </select>
            <button type="button" on:click=move |_| confirm_open.set(true) disabled=move || start.pending().get()>
                {move || format!("Run on all {} matching…", grouped(fleet.total().unwrap_or(0)))}
            </button>
        </WriteGuard>
        {move || start.value().get().and_then(Result::err).map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })}
        <ConfirmDialog open=confirm_open title="Run on every matching device" message confirm_label="Run it" on_confirm/>
    }
}
