//! `/fleet` over the server's fleet index: the counts and the first rows at once, with no
//! scan; filters, sorts and counts run on the server, rows load as the table scrolls, and
//! "Select all N matching" selects the query (`fleet_query`), which a rollout or a bulk
//! action resolves on the server.

use std::collections::BTreeSet;
use std::time::Duration;

use console_core::FleetSummary;
use console_core::freshness::{freshness_text, newer_pass};
use console_protocol::Freshness;
use fleet_engine::DeviceFilter;
use leptos::prelude::*;
use leptos::task::spawn_local_scoped_with_cancellation;
use microvisor_api::Device;

use crate::api::ApiClient;
use crate::browser::web::now_seconds;
use crate::components::{
    DeviceTable, ErrorPanel, RetryNote, TableSelection, TableSort, first_api_error, use_row_keys,
};
use crate::fleet::bulk::{BulkRun, selection_toggle};
use crate::fleet::indexed::IndexedFleet as Index;
use crate::fleet::shown::ShownRows;
use crate::pages::fleet_query::QuerySelection;
use crate::pages::fleet_summary::{FleetToolbar, SummaryPanel};
use crate::pages::fleet_views::SavedViews;
use crate::pages::shared::{use_apps, use_client_reporting_retries};
use crate::panels::BulkPanel;

/// How often the page asks how fresh the index is: often while a refresh it asked for runs,
/// every `IDLE_TICKS` ticks otherwise.
const TICK: Duration = Duration::from_secs(2);
const IDLE_TICKS: u32 = 15;

#[component]
pub fn IndexedFleet() -> impl IntoView {
    let (client, retrying) = use_client_reporting_retries();
    let fleet = Index::new(client.clone());
    let selected = RwSignal::new(BTreeSet::<String>::new());
    // "Select all N matching": the filter it was chosen under; it holds while that filter does.
    let selected_query = RwSignal::new(None::<DeviceFilter>);
    let run = BulkRun::new();
    use_row_keys(Some("fleet-search"));
    let (_, app_names) = use_apps(&client);
    let counts = Signal::derive(move || {
        fleet.counts.with(|counts| match counts {
            Some(Ok(counts)) => FleetSummary::from(counts),
            _ => FleetSummary::default(),
        })
    });
    let shown_rows = ShownRows::all(fleet.rows);
    let on_toggle = selection_toggle(shown_rows, selected);
    // What a bulk run changed shows after the index's next pass; its counts are asked again.
    let on_updated = Callback::new(move |_: Vec<Device>| fleet.reload());
    // Each pass the index ends (told by the tab's event stream) brings new counts and rows.
    if let Some(live) = crate::api::use_live() {
        live.on_stale(move |stale| {
            if stale.fleet {
                fleet.reload();
            }
        });
    }
    let on_near_end = Callback::new({
        let client = client.clone();
        move |()| fleet.load_more(client.clone())
    });
    let matching = Signal::derive(move || fleet.total().unwrap_or(0));
    let sort = TableSort { state: fleet.sort };
    let retry = Callback::new(move |()| fleet.reload());
    view! {
        <div class="page-head">
            <h1>"Fleet"</h1>
        </div>
        <FreshnessNote fleet client=client.clone()/>
        <RetryNote retrying/>
        <SavedViews filter=fleet.filter on_open=Callback::new(|()| {})/>
        <Transition fallback=|| view! { <p class="loading">"Asking the fleet index…"</p> }>
            <ErrorBoundary fallback=move |errors| view! { <ErrorPanel error=first_api_error(&errors.read()) on_retry=retry/> }>
                {move || Suspend::new(async move {
                    fleet.first.await.map(|_| ())?;
                    fleet.counts.await.map(|_| ())
                })}
            </ErrorBoundary>
        </Transition>
        <SummaryPanel counts filter=fleet.filter pending_hours=fleet.pending_hours app_names/>
        <FleetToolbar filter=fleet.filter shown_rows app_names matching loaded_only=true/>
        <QuerySelection fleet selected_query selected/>
        <BulkPanel shown=shown_rows selected run app_names devices=fleet.rows.into() on_updated select_all_label="Select loaded rows"/>
        <DeviceTable rows=shown_rows app_names selection=TableSelection { selected, on_toggle } sort scroll=true on_near_end/>
        {move || fleet.more_error().map(|error| {
            let client = client.clone();
            view! { <ErrorPanel error on_retry=Callback::new(move |()| fleet.retry_more(client.clone()))/> }
        })}
    }
}

/// How fresh the index is, "Refresh now", and, once a newer pass has finished, a button that
/// shows it (rows are not reordered under the reader unasked).
#[component]
fn FreshnessNote(fleet: Index, client: ApiClient) -> impl IntoView {
    // The latest status asked for, newer than the one the counts came with.
    let status = RwSignal::new(None::<Freshness>);
    // A refresh asked for here, and the freshness it was asked from.
    let waiting = RwSignal::new(None::<Freshness>);
    let newer = RwSignal::new(false);
    let refresh = Action::new_local({
        let client = client.clone();
        move |(): &()| {
            let client = client.clone();
            async move { client.refresh_fleet().await }
        }
    });
    let shown = move || status.get().or_else(|| fleet.freshness());
    let ticks = StoredValue::new(0_u32);
    let poll = move || {
        ticks.update_value(|t| *t += 1);
        if waiting.with_untracked(Option::is_none) && !ticks.get_value().is_multiple_of(IDLE_TICKS)
        {
            return;
        }
        let client = client.clone();
        spawn_local_scoped_with_cancellation(async move {
            let Ok(now) = client.fleet_freshness().await else {
                return;
            };
            let before = waiting
                .get_untracked()
                .or_else(|| untrack(|| fleet.freshness()))
                .unwrap_or_default();
            if newer_pass(&before, &now) {
                if waiting.get_untracked().is_some() {
                    waiting.set(None);
                    fleet.reload();
                } else {
                    newer.set(true);
                }
            }
            status.set(Some(now));
        });
    };
    // The timer is the page's: it stops when the page goes.
    if let Ok(handle) = set_interval_with_handle(poll, TICK) {
        on_cleanup(move || handle.clear());
    }
    let ask = move |_| {
        waiting.set(Some(untrack(shown).unwrap_or_default()));
        refresh.dispatch(());
    };
    let show_newer = move |_| {
        newer.set(false);
        status.set(None);
        fleet.reload();
    };
    view! {
        <section class="panel note freshness" aria-live="polite">
            <p>{move || shown().map(|f| freshness_text(&f, now_seconds() * 1000)).unwrap_or_default()}</p>
            <button type="button" class="secondary" on:click=ask disabled=move || waiting.with(Option::is_some)>
                {move || if waiting.with(Option::is_some) { "Refreshing…" } else { "Refresh now" }}
            </button>
            <Show when=move || newer.get()>
                <button type="button" on:click=show_newer>"Show the latest pass"</button>
            </Show>
            {move || refresh.value().get().and_then(Result::err).map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })}
        </section>
    }
}
