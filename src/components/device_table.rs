use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;
use microvisor_api::display::{logging_brief, relative_time, reveal_hidden};
use microvisor_api::fleet::{self, SortKey};
use microvisor_api::url::encode_segment;
use microvisor_api::{App, Device};

use wasm_bindgen::JsCast;

use super::{StatusBadge, copy_from_button};

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
        self.0
            .get(sid)
            .map_or_else(|| sid.to_owned(), |name| reveal_hidden(name).into_owned())
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

/// Rows drawn at once for a new page; the rest follow, ROWS_PER_FRAME a frame.
const FIRST_ROWS: usize = 100;
const ROWS_PER_FRAME: usize = 300;

/// Columns the user hid, by class; kept in preferences.
#[derive(Clone, Copy)]
pub struct HiddenColumns(pub RwSignal<BTreeSet<String>>);

#[component]
pub fn DeviceTable(
    #[prop(into)] devices: Signal<Vec<Device>>,
    app_names: AppNames,
    /// The time rows are relative to; when each row is drawn unless given.
    #[prop(optional)]
    now: Option<i64>,
    #[prop(optional)] selection: Option<TableSelection>,
    #[prop(optional)] sort: Option<TableSort>,
) -> impl IntoView {
    // A new set of rows (another page, another order) is drawn FIRST_ROWS at once and the
    // rest a batch per frame, so the first screen paints without waiting for 1,000 rows.
    let drawn = RwSignal::new(0usize);
    let first_drawn = StoredValue::new(None::<String>);
    let each = move || {
        let devices = devices.get();
        let first = devices.first().and_then(|device| device.sid.clone());
        let fresh = first_drawn.with_value(|drawn_first| *drawn_first != first);
        if fresh {
            first_drawn.set_value(first);
        }
        let so_far = drawn.get();
        let limit = if fresh {
            FIRST_ROWS
        } else {
            so_far.max(FIRST_ROWS)
        }
        .min(devices.len());
        if limit < devices.len() {
            request_animation_frame(move || drawn.set(limit + ROWS_PER_FRAME));
        }
        let mut devices = devices;
        devices.truncate(limit);
        devices
    };
    // Rows by position, not keyed: a new page rewrites the rows on screen in place. (A keyed
    // `For` kept about 100 bytes of wasm memory for every row it ever removed, measured by
    // `cargo xtask bench` over 200 page turns; this does not grow.)
    // Redrawn only when the rows to show differ: a fleet scan that loads more devices, or an
    // auto-refresh that finds nothing new, leaves the table alone.
    let visible = Memo::new(move |_| each());
    let rows = move || {
        let app_names = app_names.clone();
        let now = now.unwrap_or_else(crate::pages::now_seconds);
        visible
            .get()
            .into_iter()
            .map(|device| view! { <DeviceRow device app_names=app_names.clone() now selection/> })
            .collect_view()
    };
    // One listener for every row's copy button and checkbox: at 1,000 rows, a component or
    // a closure per row costs more than the whole rest of the row.
    let on_body_click = move |ev: leptos::ev::MouseEvent| {
        let Some(target) = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        if let Ok(Some(button)) = target.closest("button[data-copy]") {
            copy_from_button(&button);
        } else if let (Some(selection), Ok(Some(checkbox))) =
            (selection, target.closest("input[data-select]"))
            && let Some(sid) = checkbox.get_attribute("data-select")
        {
            selection.on_toggle.run((sid, ev.shift_key()));
        }
    };
    // Checkboxes follow the selection through one effect over the drawn rows; rows drawn
    // later start from the selection as it is then.
    let body = NodeRef::<leptos::html::Tbody>::new();
    Effect::new(move || {
        let (Some(selection), Some(body)) = (selection, body.get()) else {
            return;
        };
        selection.selected.with(|selected| {
            let Ok(boxes) = body.query_selector_all("input[data-select]") else {
                return;
            };
            for index in 0..boxes.length() {
                if let Some(checkbox) = boxes
                    .item(index)
                    .and_then(|node| node.dyn_into::<web_sys::HtmlInputElement>().ok())
                    && let Some(sid) = checkbox.get_attribute("data-select")
                {
                    checkbox.set_checked(selected.contains(&sid));
                }
            }
        });
    });
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
                <tbody node_ref=body on:click=on_body_click>{rows}</tbody>
            </table>
        </div>
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
                let checked = selection.selected.with_untracked(|selected| selected.contains(&sid));
                let label = format!("Select {}", device.shown_name());
                view! {
                    <td class="select">
                        // Clicks are handled by the table body.
                        <input
                            type="checkbox"
                            aria-label=label
                            data-select=sid.clone()
                            // Kept in step with the selection by the table, not by a
                            // subscription per row.
                            prop:checked=checked
                        />
                    </td>
                }
            })}
            <td class="sid col-sid" data-label="SID">
                <code>{sid.clone()}</code>
                <button type="button" class="copy" aria-label="Copy SID" data-copy=sid.clone()>"Copy"</button>
            </td>
            <td class="name col-name" data-label="Unique name">
                // `elementtiming`: browsers record when each name first paints (`cargo xtask bench`).
                <a href={href} {..custom_attribute("elementtiming", "device-row")}>
                    {match name {
                        Some(name) => reveal_hidden(&name).into_owned().into_any(),
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
