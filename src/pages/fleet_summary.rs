//! What both ways of showing the fleet share (scanned in the tab, or asked of the server's
//! index): the summary's counts, each a filter, and the toolbar over the table.

use console_core::FleetSummary;
use console_core::display::app_label;
use console_core::export::{export_csv, export_json};
use console_core::freshness::grouped;
use fleet_engine::{AppNames, DeviceFilter};
use leptos::prelude::*;
use microvisor_api::Device;

use crate::browser::web::save_file;
use crate::components::ColumnChooser;
use crate::fleet::shown::ShownRows;

/// The counts, each a chip that filters: by status, logging on, target ≠ reported, pending
/// longer than N hours, by target app.
#[component]
pub(crate) fn SummaryPanel(
    counts: Signal<FleetSummary>,
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
            <h3>"By reported app"</h3>
            // The filter has no reported-app term: these count, they do not filter.
            <ul class="chips counts">
                {move || {
                    let names = app_names.get();
                    counts.get().by_reported.into_iter().map(|(sid, count)| {
                        let label = if sid.is_empty() { "none reported".to_owned() } else { app_label(&names, &sid) };
                        view! { <li class="chip">{format!("{label} {count}")}</li> }
                    }).collect_view()
                }}
            </ul>
        </section>
    }
}

/// Search, how many match, Clear filters, the column chooser and the exports of what is shown.
#[component]
pub(crate) fn FleetToolbar(
    filter: RwSignal<DeviceFilter>,
    shown_rows: ShownRows,
    app_names: Signal<AppNames>,
    /// How many devices the filter keeps, loaded or not.
    matching: Signal<u64>,
    /// Whether only some of the matching rows are loaded: the exports then say so.
    loaded_only: bool,
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
                format!("{} matching{}", grouped(matching.get()), if active { " (filtered)" } else { "" })
            }}</span>
            <button type="button" class="secondary" on:click=move |_| filter.set(DeviceFilter::default())>"Clear filters"</button>
            <ColumnChooser/>
            <button type="button" class="secondary" on:click=move |_| download("devices.csv", "text/csv", export_csv(&untrack(shown), &app_names.get_untracked()))>
                {if loaded_only { "Export loaded rows as CSV" } else { "Export CSV" }}
            </button>
            <button type="button" class="secondary" on:click=move |_| download("devices.json", "application/json", export_json(&untrack(shown)))>
                {if loaded_only { "Export loaded rows as JSON" } else { "Export JSON" }}
            </button>
        </div>
    }
}
