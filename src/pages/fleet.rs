use std::cell::Cell;
use std::collections::BTreeSet;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use microvisor_api::fleet::{DeviceFilter, FleetSummary, export_csv, export_json, sort_devices};
use microvisor_api::{Device, PageQuery};

use crate::api::ApiClient;
use crate::bulk::BulkRun;
use crate::components::{
    AppNames, BulkPanel, ColumnChooser, DeviceTable, TableSelection, TableSort, use_row_keys,
};
use crate::pages::{LoadedDevices, now_seconds};

/// How many matching rows are drawn; the rest are counted, exported and acted on.
const MAX_ROWS: usize = 500;

#[derive(Debug, Clone, Default, PartialEq)]
struct ScanProgress {
    devices: usize,
    pages: usize,
    started_ms: f64,
    elapsed_ms: f64,
    done: bool,
    cancelled: bool,
    error: Option<String>,
}

impl ScanProgress {
    fn rate(&self) -> f64 {
        if self.elapsed_ms <= 0.0 {
            0.0
        } else {
            self.devices as f64 * 1000.0 / self.elapsed_ms
        }
    }
}

/// How often a scan shows what it has loaded so far.
const PUBLISH_EVERY_MS: f64 = 500.0;

/// `/fleet`: every device loaded, summarised, filtered, exported and changed in bulk.
#[component]
pub fn FleetPage() -> impl IntoView {
    let client = expect_context::<ApiClient>();
    // Kept above the page, so a scan survives navigation and app pages can use it.
    let devices = expect_context::<LoadedDevices>().0;
    let progress = RwSignal::new(None::<ScanProgress>);
    let scanning = RwSignal::new(false);
    let cancel_scan = StoredValue::new_local(Rc::new(Cell::new(false)));
    let filter = RwSignal::new(DeviceFilter::default());
    let pending_hours = RwSignal::new(24_u32);
    let sort = TableSort {
        state: RwSignal::new(None),
    };
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let run = BulkRun::new();
    use_row_keys(Some("fleet-search"));

    let apps = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            async move { client.list_apps(&PageQuery::first(1000)).await }
        }
    });
    let app_names = Signal::derive(move || {
        apps.get()
            .and_then(Result::ok)
            .map(|page| AppNames::from_apps(&page.items))
            .unwrap_or_default()
    });

    let start_scan = {
        let client = client.clone();
        move |_| {
            let flag = Rc::new(Cell::new(false));
            cancel_scan.set_value(Rc::clone(&flag));
            devices.set(Vec::new());
            selected.set(BTreeSet::new());
            scanning.set(true);
            let started = js_sys::Date::now();
            progress.set(Some(ScanProgress {
                started_ms: started,
                ..ScanProgress::default()
            }));
            let client = client.clone();
            spawn_local(async move {
                let mut query = Some(PageQuery::first(1000));
                // Loaded pages reach the summary, filters and table at most twice a second:
                // each publication recounts everything loaded so far.
                let mut unpublished: Vec<Device> = Vec::new();
                let mut published_ms = started;
                let publish = move |batch: &mut Vec<Device>| {
                    if !batch.is_empty() {
                        devices.update(|all| all.append(batch));
                    }
                };
                while let Some(current) = query.take() {
                    if flag.get() {
                        break;
                    }
                    match client.list_devices(&current).await {
                        Ok(page) => {
                            let count = page.items.len();
                            unpublished.extend(page.items);
                            if js_sys::Date::now() - published_ms >= PUBLISH_EVERY_MS {
                                publish(&mut unpublished);
                                published_ms = js_sys::Date::now();
                            }
                            progress.update(|p| {
                                if let Some(p) = p {
                                    p.devices += count;
                                    p.pages += 1;
                                    p.elapsed_ms = js_sys::Date::now() - p.started_ms;
                                }
                            });
                            query = page
                                .meta
                                .next_page_url
                                .as_deref()
                                .and_then(|next| client.base().page_query_of(next).ok());
                        }
                        Err(err) => {
                            progress.update(|p| {
                                if let Some(p) = p {
                                    p.error = Some(err.to_string())
                                }
                            });
                            break;
                        }
                    }
                }
                publish(&mut unpublished);
                progress.update(|p| {
                    if let Some(p) = p {
                        p.cancelled = flag.get();
                        p.done = !p.cancelled && p.error.is_none();
                        p.elapsed_ms = js_sys::Date::now() - p.started_ms;
                    }
                });
                scanning.set(false);
            });
        }
    };

    let summary = Memo::new(move |_| {
        devices.with(|all| FleetSummary::of(all, now_seconds(), pending_hours.get()))
    });
    // Every device that matches, sorted: what export and bulk actions use.
    let shown = Memo::new(move |_| {
        let names = app_names.get();
        let now = now_seconds();
        let mut matching: Vec<Device> = devices.with(|all| {
            filter.with(|f| {
                all.iter()
                    .filter(|d| f.matches(d, names.names(), now))
                    .cloned()
                    .collect()
            })
        });
        if let Some((key, ascending)) = sort.state.get() {
            sort_devices(&mut matching, key, ascending, names.names());
        }
        matching
    });

    let shown_rows = Signal::from(shown);
    let on_toggle = crate::bulk::selection_toggle(shown_rows, selected);
    // Made here, on the page's owner, so re-rendering the table never disposes it.
    let table_rows = Signal::derive(move || {
        shown.with(|rows| rows.iter().take(MAX_ROWS).cloned().collect::<Vec<Device>>())
    });

    let download = move |name: &str, mime: &str, text: String| save_file(name, mime, &text);
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
        <div class="page-head">
            <h1>"Fleet"</h1>
            <div class="actions">
                <Show
                    when=move || scanning.get()
                    fallback=move || view! { <button type="button" on:click=start_scan.clone()>"Scan fleet"</button> }
                >
                    <button type="button" class="secondary" on:click=move |_| cancel_scan.with_value(|flag| flag.set(true))>"Cancel scan"</button>
                </Show>
            </div>
        </div>
        <p class="muted">"Loads every device, 1,000 per page, to summarise, search, sort, export and change many at once."</p>
        {move || progress.get().map(|p| view! {
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
        })}
        <Show when=move || !devices.with(Vec::is_empty)>
            <section class="panel summary" aria-labelledby="summary-heading">
                <h2 id="summary-heading">"Summary"</h2>
                <div class="chips">
                    <button type="button" class="chip" on:click=move |_| set_filter(|_| {})>
                        {move || format!("All {}", summary.get().total)}
                    </button>
                    {move || summary.get().by_status.into_iter().map(|(status, count)| {
                        let value = status.clone();
                        view! {
                            <button type="button" class="chip" on:click=move |_| filter.update(|f| f.status = Some(value.clone()))>
                                {format!("{status} {count}")}
                            </button>
                        }
                    }).collect_view()}
                    <button type="button" class="chip" on:click=move |_| filter.update(|f| f.logging_on = Some(true))>
                        {move || format!("logging on {}", summary.get().logging_on)}
                    </button>
                    <button type="button" class="chip" on:click=move |_| filter.update(|f| f.target_differs = true)>
                        {move || format!("target ≠ reported {}", summary.get().target_differs)}
                    </button>
                    <button type="button" class="chip" on:click=move |_| filter.update(|f| f.pending_hours = Some(pending_hours.get_untracked()))>
                        {move || format!("pending > {} h {}", pending_hours.get(), summary.get().pending_long)}
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
                        summary.get().by_target.into_iter().map(|(sid, count)| {
                            let label = if sid.is_empty() { "no target".to_owned() } else { names.label(&sid) };
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
            <div class="toolbar">
                <label for="fleet-search">"Search"</label>
                <input id="fleet-search" type="search" placeholder="SID, unique name or app"
                    prop:value=move || filter.with(|f| f.text.clone())
                    on:input=move |ev| filter.update(|f| f.text = event_target_value(&ev))/>
                <span class="muted" aria-live="polite">{move || {
                    let active = filter.with(|f| !f.is_empty());
                    format!("{} matching{}", shown.with(Vec::len), if active { " (filtered)" } else { "" })
                }}</span>
                <button type="button" class="secondary" on:click=move |_| filter.set(DeviceFilter::default())>"Clear filters"</button>
                <ColumnChooser/>
                <button type="button" class="secondary" on:click=move |_| download("devices.csv", "text/csv", export_csv(&shown.get_untracked(), app_names.get_untracked().names()))>"Export CSV"</button>
                <button type="button" class="secondary" on:click=move |_| download("devices.json", "application/json", export_json(&shown.get_untracked()))>"Export JSON"</button>
            </div>
            <BulkPanel shown=shown_rows selected run app_names devices select_all_label="Select all matching"/>
            {move || {
                let total = shown.with(Vec::len);
                (total > MAX_ROWS).then(|| view! {
                    <p class="muted">{format!("Showing the first {MAX_ROWS} of {total}. Search, filter or export for the rest; bulk actions act on all selected.")}</p>
                })
            }}
            {move || view! {
                <DeviceTable
                    devices=table_rows
                    app_names=app_names.get()
                    selection=TableSelection { selected, on_toggle } sort/>
            }}
        </Show>
    }
}

/// Offers `text` as a file download.
fn save_file(name: &str, mime: &str, text: &str) {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(document) = web_sys::window().and_then(|w| w.document())
        && let Ok(link) = document.create_element("a")
    {
        let link: web_sys::HtmlElement = link.unchecked_into();
        let _ = link.set_attribute("href", &url);
        let _ = link.set_attribute("download", name);
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
