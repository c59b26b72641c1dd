use std::collections::BTreeSet;

use console_core::FleetSummary;
use console_core::display::app_label;
use console_core::export::{export_csv, export_json};
use console_core::sort::sorted;
use fleet_engine::filter::SearchIndex;
use fleet_engine::{AppNames, DeviceFilter};
use leptos::prelude::*;
use microvisor_api::Device;

use crate::api::ApiClient;
use crate::browser::web::{now_seconds, save_file};
use crate::components::{
    ColumnChooser, DeviceTable, RetryNote, TableSelection, TableSort, use_row_keys,
};
use crate::fleet::bulk::{BulkRun, selection_toggle};
use crate::fleet::scan::{FleetScan, ScanProgress};
use crate::fleet::shown::ShownRows;
use crate::pages::fleet_views::SavedViews;
use crate::pages::shared::use_apps;
use crate::panels::BulkPanel;

/// `/fleet`: every device loaded, summarised, filtered, exported and changed in bulk.
#[component]
pub fn FleetPage() -> impl IntoView {
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
    let counts = Memo::new(move |_| summary.with(|summary| summary.value.clone()));
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
            <FleetToolbar filter shown_rows app_names/>
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

/// The counts, each a chip that filters: by status, logging on, target ≠ reported, pending
/// longer than N hours, by target app.
#[component]
fn SummaryPanel(
    counts: Memo<FleetSummary>,
    filter: RwSignal<DeviceFilter>,
    pending_hours: RwSignal<u32>,
    app_names: Signal<AppNames>,
) -> impl IntoView {
    // A chip's filter replaces the others but keeps the search text.
    let set_filter = move |change: fn(&mut DeviceFilter)| {
        filter.update(|f| {
            let text = std::mem::take(&mut f.text);
            *f = DeviceFilter {
                text,
                ..DeviceFilter::default()
            };
            change(f);
        })
    };
    view! {
        <section class="panel summary" aria-labelledby="summary-heading">
            <h2 id="summary-heading">"Summary"</h2>
            <div class="chips">
                <button type="button" class="chip" on:click=move |_| set_filter(|_| {})>
                    {move || format!("All {}", counts.get().total)}
                </button>
                {move || counts.get().by_status.into_iter().map(|(status, count)| {
                    let value = status.clone();
                    view! {
                        <button type="button" class="chip" on:click=move |_| filter.update(|f| f.status = Some(value.clone()))>
                            {format!("{status} {count}")}
                        </button>
                    }
                }).collect_view()}
                <button type="button" class="chip" on:click=move |_| filter.update(|f| f.logging_on = Some(true))>
                    {move || format!("logging on {}", counts.get().logging_on)}
                </button>
                <button type="button" class="chip" on:click=move |_| filter.update(|f| f.target_differs = true)>
                    {move || format!("target ≠ reported {}", counts.get().target_differs)}
                </button>
                <button type="button" class="chip" on:click=move |_| filter.update(|f| f.pending_hours = Some(pending_hours.get_untracked()))>
                    {move || format!("pending > {} h {}", pending_hours.get(), counts.get().pending_long)}
                </button>
                <label class="inline">
                    "Pending longer than (h) "
                    <input type="number" min="1" class="hours" prop:value=move || pending_hours.get().to_string()
                        on:input=move |ev| {
                            if let Ok(h) = event_target_value(&ev).parse::<u32>() {
                                pending_hours.set(h.max(1));
                            }
                        }/>
                </label>
            </div>
            <h3>"By target app"</h3>
            <div class="chips">
                {move || {
                    let names = app_names.get();
                    counts.get().by_target.into_iter().map(|(sid, count)| {
                        let label = if sid.is_empty() { "no target".to_owned() } else { app_label(&names, &sid) };
                        let value = (!sid.is_empty()).then_some(sid);
                        view! {
                            <button type="button" class="chip" on:click=move |_| filter.update(|f| f.target_app = value.clone())>
                                {format!("{label} {count}")}
                            </button>
                        }
                    }).collect_view()
                }}
            </div>
        </section>
    }
}

/// Search, how many match, Clear filters, the column chooser and the exports of what is shown.
#[component]
fn FleetToolbar(
    filter: RwSignal<DeviceFilter>,
    shown_rows: ShownRows,
    app_names: Signal<AppNames>,
) -> impl IntoView {
    let shown =
        move || shown_rows.with(|rows| rows.iter().map(|d| (*d).clone()).collect::<Vec<Device>>());
    let download = move |name: &str, mime: &str, text: String| save_file(name, mime, &text);
    view! {
        <div class="toolbar">
            <label for="fleet-search">"Search"</label>
            <input id="fleet-search" type="search" placeholder="SID, unique name or app"
                prop:value=move || filter.with(|f| f.text.clone())
                on:input=move |ev| filter.update(|f| f.text = event_target_value(&ev))/>
            <span class="muted" aria-live="polite">{move || {
                let active = filter.with(|f| !f.is_empty());
                format!("{} matching{}", shown_rows.len(), if active { " (filtered)" } else { "" })
            }}</span>
            <button type="button" class="secondary" on:click=move |_| filter.set(DeviceFilter::default())>"Clear filters"</button>
            <ColumnChooser/>
            <button type="button" class="secondary" on:click=move |_| download("devices.csv", "text/csv", export_csv(&untrack(shown), &app_names.get_untracked()))>"Export CSV"</button>
            <button type="button" class="secondary" on:click=move |_| download("devices.json", "application/json", export_json(&untrack(shown)))>"Export JSON"</button>
        </div>
    }
}
