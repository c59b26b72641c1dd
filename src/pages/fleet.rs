//! `/fleet`: which way the fleet is shown (the server's index, or a scan in the tab), and the scan.

use std::collections::BTreeSet;

use console_core::FleetSummary;
use console_core::sort::sorted;
use fleet_engine::DeviceFilter;
use fleet_engine::filter::SearchIndex;
use leptos::prelude::*;
use microvisor_api::Device;

use crate::api::ApiClient;
use crate::browser::web::now_seconds;
use crate::components::{DeviceTable, RetryNote, TableSelection, TableSort, use_row_keys};
use crate::fleet::bulk::{BulkRun, selection_toggle};
use crate::fleet::scan::{FleetScan, ScanProgress};
use crate::fleet::shown::ShownRows;
use crate::pages::fleet_indexed::IndexedFleet;
use crate::pages::fleet_summary::{FleetToolbar, SummaryPanel};
use crate::pages::fleet_views::SavedViews;
use crate::pages::shared::use_apps;
use crate::panels::BulkPanel;

/// `/fleet`: the whole fleet summarised, filtered, sorted, exported and changed in bulk. A
/// console-server with a fleet index answers it (`IndexedFleet`); the demo and a custom API
/// scan every device into the tab.
#[component]
pub fn FleetPage() -> impl IntoView {
    if expect_context::<ApiClient>().has_index() {
        view! { <IndexedFleet/> }.into_any()
    } else {
        view! { <ScannedFleet/> }.into_any()
    }
}

/// The fleet scanned into the tab: every device loaded, 1,000 a page.
#[component]
fn ScannedFleet() -> impl IntoView {
    let client = expect_context::<ApiClient>();
    // The scan belongs to the app: it goes on while the operator looks elsewhere.
    let scan = expect_context::<FleetScan>();
    let devices = scan.devices;
    let progress = scan.progress;
    let filter = RwSignal::new(DeviceFilter::default());
    let pending_hours = RwSignal::new(24_u32);
    let sort = TableSort {
        state: RwSignal::new(None),
    };
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let run = BulkRun::new();
    use_row_keys(Some("fleet-search"));
    let (_, app_names) = use_apps(&client);

    let start_scan = {
        let client = client.clone();
        move |_| {
            selected.set(BTreeSet::new());
            scan.start(client.clone());
        }
    };
    // A view opened before the fleet was loaded loads it.
    let on_view_open = Callback::new(move |()| {
        if devices.with_untracked(Vec::is_empty) && !scan.running() {
            scan.start(client.clone());
        }
    });

    // Made batch by batch as the scan loads, not from the whole fleet at each publication.
    let summary = scan.grown(
        move || pending_hours.get(),
        |summary: &mut FleetSummary, batch, &hours| summary.add(batch, now_seconds(), hours),
    );
    let counts = Signal::derive(move || summary.with(|summary| summary.value.clone()));
    // Each device's search text, made once per device loaded, not per keystroke.
    let index = scan.grown(
        move || app_names.get(),
        |index: &mut SearchIndex, batch, names| index.extend(batch, names),
    );
    // Positions of the devices that match, sorted: what the table, export and bulk actions use.
    let order = Memo::new(move |_| {
        let now = now_seconds();
        let matching = devices
            .with(|all| filter.with(|f| index.with(|index| f.matching(all, &index.value, now))));
        match sort.state.get() {
            Some((key, ascending)) => app_names
                .with(|names| devices.with(|all| sorted(all, matching, key, ascending, names))),
            None => matching,
        }
    });
    let shown_rows = ShownRows::ordered(devices, order);
    let on_toggle = selection_toggle(shown_rows, selected);
    // A bulk run's answers replace the scanned devices they changed.
    let on_updated = Callback::new(move |updated: Vec<Device>| scan.replace(updated));

    view! {
        <div class="page-head">
            <h1>"Fleet"</h1>
            <div class="actions">
                <Show
                    when=move || scan.running()
                    fallback=move || view! { <button type="button" on:click=start_scan.clone()>"Scan fleet"</button> }
                >
                    <button type="button" class="secondary" on:click=move |_| scan.cancel()>"Cancel scan"</button>
                </Show>
            </div>
        </div>
        <p class="muted">"Loads every device, 1,000 per page, to summarise, search, sort, export and change many at once."</p>
        <RetryNote retrying=scan.retrying/>
        <SavedViews filter on_open=on_view_open/>
        <ScanStatus progress/>
        <Show when=move || !devices.with(Vec::is_empty)>
            <SummaryPanel counts filter pending_hours app_names/>
            <FleetToolbar filter shown_rows app_names matching=Signal::derive(move || shown_rows.len() as u64) loaded_only=false/>
            <BulkPanel shown=shown_rows selected run app_names devices=devices.into() on_updated select_all_label="Select all matching"/>
            // Every matching device, however many: only those in view are drawn.
            <DeviceTable rows=shown_rows app_names selection=TableSelection { selected, on_toggle } sort scroll=true/>
        </Show>
    }
}

/// The scan's progress: devices, pages, rate, and how it ended.
#[component]
fn ScanStatus(progress: RwSignal<Option<ScanProgress>>) -> impl IntoView {
    move || {
        progress.get().map(|p| view! {
        <section class="panel scan" aria-live="polite">
            // Indeterminate while scanning: the API gives no total.
            <progress max="1" value=p.done.then_some("1") aria-label="Scan progress"></progress>
            <p class="scan-status">
                {format!("{} devices · {} pages · {:.0} devices/s", p.devices, p.pages, p.rate())}
                {if p.done {
                    " · complete"
                } else if p.cancelled {
                    " · cancelled"
                } else if p.error.is_some() {
                    " · stopped"
                } else {
                    ""
                }}
            </p>
            {p.error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </section>
    })
    }
}
