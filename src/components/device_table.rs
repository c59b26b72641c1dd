use std::collections::BTreeSet;

use console_core::AppNames;
use console_core::SortKey;
use console_core::display::{logging_brief, relative_time, reveal_hidden, shown_name};
use console_core::selection::header_state;
use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;
use microvisor_api::Device;
use wasm_bindgen::JsCast;

use super::{StatusBadge, copy_from_button};
use crate::routes::device_href;

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

/// Rows drawn at once for a new set of rows; the rest follow, ROWS_PER_FRAME a frame.
const FIRST_ROWS: usize = 100;
const ROWS_PER_FRAME: usize = 300;

/// Columns the user hid, by class; kept in preferences.
#[derive(Clone, Copy)]
pub struct HiddenColumns(pub RwSignal<BTreeSet<String>>);

/// What identifies a set of rows: a new page or order starts drawing over.
fn rows_key(devices: &[Device]) -> (Option<String>, usize) {
    (
        devices.first().and_then(|device| device.sid.clone()),
        devices.len(),
    )
}

#[component]
pub fn DeviceTable(
    #[prop(into)] devices: Signal<Vec<Device>>,
    #[prop(into)] app_names: Signal<AppNames>,
    /// The time rows are relative to; when each row is drawn unless given.
    #[prop(optional)]
    now: Option<i64>,
    #[prop(optional)] selection: Option<TableSelection>,
    #[prop(optional)] sort: Option<TableSort>,
) -> impl IntoView {
    let hidden = use_context::<HiddenColumns>();
    // A new set of rows is drawn FIRST_ROWS at once and the rest a batch per frame, so the
    // first screen paints without waiting for 1,000 rows.
    let key = Memo::new(move |_| devices.with(|d| rows_key(d)));
    let drawn = RwSignal::new((key.get_untracked(), FIRST_ROWS));
    let visible = Memo::new(move |_| {
        let key = key.get();
        let limit = drawn.with(|(drawn_key, count)| {
            if *drawn_key == key {
                *count
            } else {
                FIRST_ROWS
            }
        });
        devices.with(|all| all[..limit.min(all.len())].to_vec())
    });
    // The frame loop: while rows are left to draw, the next frame draws more. A frame not yet
    // run when the rows change, or when the table goes away, is cancelled.
    Effect::new(move || {
        let key = key.get();
        let shown = visible.with(Vec::len);
        if shown < key.1
            && let Ok(frame) = request_animation_frame_with_handle(move || {
                drawn.set((key, shown + ROWS_PER_FRAME));
            })
        {
            on_cleanup(move || frame.cancel());
        }
    });
    // Rows by position, not keyed: a new page rewrites the rows on screen in place. (A keyed
    // `For` kept about 100 bytes of wasm memory for every row it ever removed, measured by
    // `cargo xtask bench` over 200 page turns; this does not grow.)
    let rows = move || {
        let now = now.unwrap_or_else(crate::web::now_seconds);
        app_names.with(|app_names| {
            visible
                .get()
                .into_iter()
                .map(|device| device_row(device, app_names, now, selection))
                .collect_view()
        })
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
        visible.track();
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
    let table_class = move || {
        let hidden = hidden.map(|h| h.0.get()).unwrap_or_default();
        hidden.iter().fold("devices".to_owned(), |classes, column| {
            format!("{classes} hide-{column}")
        })
    };
    view! {
        <div class="table-wrap">
            <table class=table_class>
                <caption class="visually-hidden">"Devices"</caption>
                <thead>
                    <tr>
                        {selection.map(|selection| view! { <SelectAllBox devices selection/> })}
                        {COLUMNS.into_iter().map(|(label, key, class)| header(label, key, class)).collect_view()}
                    </tr>
                </thead>
                <tbody node_ref=body on:click=on_body_click>{rows}</tbody>
            </table>
        </div>
    }
}

/// The header checkbox: every row of the table at once, indeterminate when some are chosen.
#[component]
fn SelectAllBox(devices: Signal<Vec<Device>>, selection: TableSelection) -> impl IntoView {
    let state = Memo::new(move |_| {
        selection.selected.with(|selected| {
            devices.with(|devices| {
                let sids: Vec<&str> = devices.iter().filter_map(|d| d.sid.as_deref()).collect();
                header_state(selected, &sids)
            })
        })
    });
    let on_change = move |ev: leptos::ev::Event| {
        let select = event_target_checked(&ev);
        devices.with_untracked(|devices| {
            selection.selected.update(|selected| {
                for sid in devices.iter().filter_map(|d| d.sid.clone()) {
                    if select {
                        selected.insert(sid);
                    } else {
                        selected.remove(&sid);
                    }
                }
            })
        });
    };
    view! {
        <th scope="col" class="select">
            <input
                type="checkbox"
                class="select-all"
                aria-label="Select every row"
                prop:checked=move || state.get().0
                prop:indeterminate=move || state.get().1
                on:change=on_change
            />
        </th>
    }
}

/// One row, plain: no component, no reactive owner, no listener of its own.
fn device_row(
    device: Device,
    app_names: &AppNames,
    now: i64,
    selection: Option<TableSelection>,
) -> impl IntoView + use<> {
    let sid = device.sid.clone().unwrap_or_default();
    let href = device_href(&device);
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
    let select = selection.map(|selection| {
        let checked = selection
            .selected
            .with_untracked(|selected| selected.contains(&sid));
        let label = format!("Select {}", shown_name(&device));
        view! {
            <td class="select">
                // Clicks are handled by the table body; the table keeps `checked` in step.
                <input type="checkbox" aria-label=label data-select=sid.clone() prop:checked=checked/>
            </td>
        }
    });
    view! {
        <tr data-sid=row_sid>
            {select}
            // Each cell holds one element: on narrow screens the cell is a grid of its label
            // and that value.
            <td class="sid col-sid" data-label="SID">
                <span>
                    <code>{sid.clone()}</code>
                    <button type="button" class="copy" aria-label="Copy SID" data-copy=sid>"Copy"</button>
                </span>
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
            <td class="col-target" data-label="Target app"><span>{target.unwrap_or_else(|| "—".to_owned())}</span></td>
            <td class="col-reported" class:differs=differs data-label="Reported app">
                <span>
                    {reported.unwrap_or_else(|| "—".to_owned())}
                    {differs.then(|| view! {
                        <span class="note" title="The device reports a different app than its target">
                            " ≠ target"
                        </span>
                    })}
                </span>
            </td>
            <td class=logging_class data-label="Logging"><span>{logging}</span></td>
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
