use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;
use microvisor_api::display::{logging_brief, relative_time};
use microvisor_api::fleet::{self, SortKey};
use microvisor_api::url::encode_segment;
use microvisor_api::{App, Device};

use super::{CopyButton, StatusBadge};

/// App SIDs to unique names, so tables can show names people recognise.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppNames(fleet::AppNames);

impl AppNames {
    pub fn from_apps(apps: &[App]) -> AppNames {
        AppNames(
            apps.iter()
                .filter_map(|app| Some((app.sid.clone()?, app.unique_name.clone()?)))
                .collect(),
        )
    }

    pub fn names(&self) -> &fleet::AppNames {
        &self.0
    }

    /// The app's unique name when known, else its SID.
    pub fn label(&self, sid: &str) -> String {
        self.0.get(sid).cloned().unwrap_or_else(|| sid.to_owned())
    }
}

/// Row checkboxes: which SIDs are selected, and what a click (with Shift or not) does.
#[derive(Clone, Copy)]
pub struct TableSelection {
    pub selected: RwSignal<BTreeSet<String>>,
    pub on_toggle: Callback<(String, bool)>,
}

/// Sortable headers: the column and direction, `None` for the API's order.
#[derive(Clone, Copy)]
pub struct TableSort {
    pub state: RwSignal<Option<(SortKey, bool)>>,
}

/// (header, sort key, class of the column's cells)
pub const COLUMNS: [(&str, SortKey, &str); 7] = [
    ("SID", SortKey::Sid, "col-sid"),
    ("Unique name", SortKey::UniqueName, "col-name"),
    ("Update status", SortKey::Status, "col-status"),
    ("Target app", SortKey::TargetApp, "col-target"),
    ("Reported app", SortKey::ReportedApp, "col-reported"),
    ("Logging", SortKey::Logging, "col-logging"),
    ("Updated", SortKey::Updated, "col-updated"),
];

/// Columns the user hid, by class; kept in preferences.
#[derive(Clone, Copy)]
pub struct HiddenColumns(pub RwSignal<BTreeSet<String>>);

#[component]
pub fn DeviceTable(
    #[prop(into)] devices: Signal<Vec<Device>>,
    app_names: AppNames,
    now: i64,
    #[prop(optional)] selection: Option<TableSelection>,
    #[prop(optional)] sort: Option<TableSort>,
) -> impl IntoView {
    // Keyed rows: a change to one device redraws that row only.
    let rows = view! {
        <For each=move || devices.get() key=row_key let:device>
            <DeviceRow device app_names=app_names.clone() now selection/>
        </For>
    };
    let header = move |label: &'static str, key: SortKey, class: &'static str| match sort {
        None => view! { <th scope="col" class=class>{label}</th> }.into_any(),
        Some(sort) => {
            let aria = move || match sort.state.get() {
                Some((current, true)) if current == key => "ascending",
                Some((current, false)) if current == key => "descending",
                _ => "none",
            };
            let on_click = move |_| {
                sort.state.update(|state| {
                    *state = match *state {
                        Some((current, true)) if current == key => Some((key, false)),
                        Some((current, false)) if current == key => None,
                        _ => Some((key, true)),
                    }
                })
            };
            view! {
                <th scope="col" class=class aria-sort=aria>
                    <button type="button" class="sort" on:click=on_click>{label}</button>
                </th>
            }
            .into_any()
        }
    };
    view! {
        <div class="table-wrap">
            <table class=move || {
                let hidden = use_context::<HiddenColumns>().map(|h| h.0.get()).unwrap_or_default();
                hidden.iter().fold("devices".to_owned(), |classes, column| format!("{classes} hide-{column}"))
            }>
                <caption class="visually-hidden">"Devices"</caption>
                <thead>
                    <tr>
                        {selection.map(|_| view! { <th scope="col"><span class="visually-hidden">"Selected"</span></th> })}
                        {COLUMNS.into_iter().map(|(label, key, class)| header(label, key, class)).collect_view()}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// What identifies a row's content: the device and whatever it shows that can change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RowKey {
    sid: Option<String>,
    unique_name: Option<String>,
    date_updated: Option<String>,
    status: Option<String>,
    reported_sid: Option<String>,
    logging_expires: Option<String>,
}

fn row_key(device: &Device) -> RowKey {
    RowKey {
        sid: device.sid.clone(),
        unique_name: device.unique_name.clone(),
        date_updated: device.date_updated.clone(),
        status: device.update_status().map(|s| s.as_wire().to_owned()),
        reported_sid: device.app.as_ref().and_then(|a| a.reported_sid.clone()),
        logging_expires: device.logging.as_ref().and_then(|l| l.date_expires.clone()),
    }
}

#[component]
fn DeviceRow(
    device: Device,
    app_names: AppNames,
    now: i64,
    selection: Option<TableSelection>,
) -> impl IntoView {
    let sid = device.sid.clone().unwrap_or_default();
    let href = crate::routes::href(&format!(
        "/devices/{}",
        encode_segment(device.display_name())
    ));
    let name = device.unique_name.clone();
    let app = device.app.clone().unwrap_or_default();
    let target = app.target_sid.as_deref().map(|sid| app_names.label(sid));
    let reported = app.reported_sid.as_deref().map(|sid| app_names.label(sid));
    let differs = device.reported_differs_from_target();
    let logging = logging_brief(&device, now);
    let logging_class = if logging.starts_with("on") {
        "logging on col-logging"
    } else {
        "logging col-logging"
    };
    let updated = relative_time(device.date_updated.as_deref(), now);
    let updated_exact = device.date_updated.clone().unwrap_or_default();
    let row_sid = sid.clone();
    view! {
        <tr data-sid=row_sid>
            {selection.map(|selection| {
                let sid = sid.clone();
                let checked_sid = sid.clone();
                let label = format!("Select {}", device.display_name());
                view! {
                    <td class="select">
                        <input
                            type="checkbox"
                            aria-label=label
                            prop:checked=move || selection.selected.with(|selected| selected.contains(&checked_sid))
                            on:click=move |ev| selection.on_toggle.run((sid.clone(), ev.shift_key()))
                        />
                    </td>
                }
            })}
            <td class="sid col-sid" data-label="SID">
                <code>{sid.clone()}</code>
                <CopyButton text=sid.clone() label="Copy SID"/>
            </td>
            // `elementtiming`: browsers record when each row first paints (`cargo xtask bench`).
            <td class="name col-name" data-label="Unique name"
                {..custom_attribute("elementtiming", "device-row")}>
                <a href=href>
                    {match name {
                        Some(name) => name.into_any(),
                        None => view! { <span class="muted">"(no name)"</span> }.into_any(),
                    }}
                </a>
            </td>
            <td class="col-status" data-label="Update status"><StatusBadge status=app.update_status.clone()/></td>
            <td class="col-target" data-label="Target app">{target.unwrap_or_else(|| "—".to_owned())}</td>
            <td class="col-reported" class:differs=differs data-label="Reported app">
                {reported.unwrap_or_else(|| "—".to_owned())}
                {differs.then(|| view! {
                    <span class="note" title="The device reports a different app than its target">
                        " ≠ target"
                    </span>
                })}
            </td>
            <td class=logging_class data-label="Logging">{logging}</td>
            <td class="col-updated" data-label="Updated"><time datetime=updated_exact.clone() title=updated_exact>{updated}</time></td>
        </tr>
    }
}

/// Shows or hides table columns; the choice is remembered.
#[component]
pub fn ColumnChooser() -> impl IntoView {
    let Some(hidden) = use_context::<HiddenColumns>() else {
        return ().into_any();
    };
    view! {
        <details class="column-chooser">
            <summary>"Columns"</summary>
            {COLUMNS.into_iter().filter(|(_, _, class)| *class != "col-name").map(|(label, _, class)| {
                let column = class.trim_start_matches("col-").to_owned();
                let id = format!("show-{column}");
                let checked_column = column.clone();
                view! {
                    <div class="choice">
                        <input type="checkbox" id=id.clone()
                            prop:checked=move || !hidden.0.with(|h| h.contains(&checked_column))
                            on:change=move |ev| {
                                let show = event_target_checked(&ev);
                                hidden.0.update(|h| {
                                    if show { h.remove(&column); } else { h.insert(column.clone()); }
                                });
                                crate::prefs::set_hidden_columns(&hidden.0.get_untracked());
                            }/>
                        <label for=id>{label}</label>
                    </div>
                }
            }).collect_view()}
        </details>
    }
    .into_any()
}
