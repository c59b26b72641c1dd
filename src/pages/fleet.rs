use std::cell::Cell;
use std::collections::BTreeSet;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use microvisor_api::fleet::{
    BulkAction, DeviceFilter, FleetSummary, export_csv, export_json, sort_devices,
};
use microvisor_api::{Device, PageQuery};

use crate::api::ApiClient;
use crate::bulk::{BulkRun, Outcome};
use crate::components::CopyCommandPair;
use crate::components::{
    AppNames, ColumnChooser, ConfirmDialog, DeviceTable, TableSelection, TableSort, use_row_keys,
};
use crate::pages::{LoadedDevices, now_seconds};
use microvisor_api::fleet::{bulk_curl_command, bulk_twilio_cli_command};

/// How many matching rows are drawn; the rest are counted, exported and acted on.
const MAX_ROWS: usize = 500;

#[derive(Debug, Clone, Default, PartialEq)]
struct ScanProgress {
    devices: usize,
    pages: usize,
    started_ms: f64,
    elapsed_ms: f64,
    done: bool,
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
    let last_clicked = StoredValue::new(None::<String>);
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
                while let Some(current) = query.take() {
                    if flag.get() {
                        break;
                    }
                    match client.list_devices(&current).await {
                        Ok(page) => {
                            let count = page.items.len();
                            devices.update(|all| all.extend(page.items));
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
                progress.update(|p| {
                    if let Some(p) = p {
                        p.done = !flag.get() && p.error.is_none();
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

    let on_toggle = Callback::new(move |(sid, shift): (String, bool)| {
        let anchor = last_clicked.get_value();
        let range: Vec<String> = match anchor.filter(|_| shift) {
            Some(anchor) => shown.with(|rows| {
                let a = rows
                    .iter()
                    .position(|d| d.sid.as_deref() == Some(anchor.as_str()));
                let b = rows
                    .iter()
                    .position(|d| d.sid.as_deref() == Some(sid.as_str()));
                match (a, b) {
                    (Some(a), Some(b)) => rows[a.min(b)..=a.max(b)]
                        .iter()
                        .filter_map(|d| d.sid.clone())
                        .collect(),
                    _ => vec![sid.clone()],
                }
            }),
            None => vec![sid.clone()],
        };
        let select = !selected.with(|s| s.contains(&sid));
        selected.update(|s| {
            for sid in range {
                if select {
                    s.insert(sid);
                } else {
                    s.remove(&sid);
                }
            }
        });
        last_clicked.set_value(Some(sid));
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
                    {if p.done { " · complete" } else if p.error.is_some() { " · stopped" } else { "" }}
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
            <BulkPanel shown selected run app_names devices/>
            {move || {
                let rows = shown.get();
                let total = rows.len();
                let rows: Vec<Device> = rows.into_iter().take(MAX_ROWS).collect();
                view! {
                    {(total > MAX_ROWS).then(|| view! {
                        <p class="muted">{format!("Showing the first {MAX_ROWS} of {total}. Search, filter or export for the rest; bulk actions act on all {total} selected.")}</p>
                    })}
                    <DeviceTable devices=rows app_names=app_names.get() now=now_seconds()
                        selection=TableSelection { selected, on_toggle } sort/>
                }
            }}
        </Show>
    }
}

/// Selection, the action, its confirmation, progress and per-device results.
#[component]
fn BulkPanel(
    shown: Memo<Vec<Device>>,
    selected: RwSignal<BTreeSet<String>>,
    run: BulkRun,
    app_names: Signal<AppNames>,
    devices: RwSignal<Vec<Device>>,
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
                format!("{}: {before} → {after}", d.display_name())
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
    let on_device = Callback::new(move |updated: Device| {
        devices.update(|all| {
            if let Some(slot) = all.iter_mut().find(|d| d.sid == updated.sid) {
                *slot = updated;
            }
        })
    });
    let start = {
        let client = client.clone();
        move |targets: Vec<(String, String)>| {
            run.start(client.clone(), targets, action().update(), on_device)
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
                .filter_map(|d| Some((d.sid.clone()?, d.display_name().to_owned())))
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
                <button type="button" class="secondary" on:click=move |_| selected.update(|s| s.extend(shown.with(|rows| rows.iter().filter_map(|d| d.sid.clone()).collect::<Vec<_>>()))) >"Select all matching"</button>
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
