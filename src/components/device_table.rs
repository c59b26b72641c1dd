use std::collections::BTreeSet;

use console_core::rows::{RowCells, RowsHtml, visible_rows};
use console_core::selection::header_state;
use console_protocol::FleetSortKey;
use fleet_engine::AppNames;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use super::copy_from_button;
use crate::browser::routes::device_href_by;
use crate::fleet::shown::ShownRows;

/// Row checkboxes: which SIDs are selected, and what a click (with Shift or not) does.
#[derive(Clone, Copy)]
pub struct TableSelection {
    pub selected: RwSignal<BTreeSet<String>>,
    pub on_toggle: Callback<(String, bool)>,
}

/// Sortable headers: the column and direction, `None` for the API's order.
#[derive(Clone, Copy)]
pub struct TableSort {
    pub state: RwSignal<Option<(FleetSortKey, bool)>>,
}

/// (header, sort key, class of the column's cells)
pub const COLUMNS: [(&str, FleetSortKey, &str); 7] = [
    ("SID", FleetSortKey::Sid, "col-sid"),
    ("Unique name", FleetSortKey::UniqueName, "col-name"),
    ("Update status", FleetSortKey::Status, "col-status"),
    ("Target app", FleetSortKey::TargetApp, "col-target"),
    ("Reported app", FleetSortKey::ReportedApp, "col-reported"),
    ("Logging", FleetSortKey::Logging, "col-logging"),
    ("Updated", FleetSortKey::Updated, "col-updated"),
];

/// Columns the user hid, by class; kept in preferences.
#[derive(Clone, Copy)]
pub struct HiddenColumns(pub RwSignal<BTreeSet<String>>);

/// Rows drawn above and below the screen in a scrolled table.
const OVERSCAN: usize = 12;

/// The rows above and below the drawn ones in a scrolled table, as blank rows of the height
/// they stand for (set through the style object: the page's CSP allows no style attribute).
const SPACER: &str = r#"<tr class="spacer" aria-hidden="true"><td colspan="8"></td></tr>"#;

/// The device table. Rows are written as escaped HTML in one call per change, which the
/// browser parses much faster than rows built node by node from wasm; no row has a component,
/// a reactive owner or a listener of its own. With `scroll`, only the rows in view of the
/// scrolling box (and some either side) are in the DOM, however many devices there are.
#[component]
pub fn DeviceTable(
    /// The devices to show, in order.
    rows: ShownRows,
    #[prop(into)] app_names: Signal<AppNames>,
    /// The time rows are relative to; when the rows are drawn unless given.
    #[prop(optional)]
    now: Option<i64>,
    #[prop(optional)] selection: Option<TableSelection>,
    #[prop(optional)] sort: Option<TableSort>,
    /// Draw only the rows in view of a scrolling box (for lists of any length).
    #[prop(optional)]
    scroll: bool,
    /// Told when the rows drawn reach the last few: a list loaded a page at a time loads the
    /// next.
    #[prop(optional)]
    on_near_end: Option<Callback<()>>,
) -> impl IntoView {
    let hidden = use_context::<HiddenColumns>();
    let body = NodeRef::<leptos::html::Tbody>::new();
    let wrap = NodeRef::<leptos::html::Div>::new();
    // Where the scrolling box is, and how tall a row is (measured once one is drawn).
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(800.0_f64);
    let row_height = RwSignal::new(0.0_f64);
    let range = Memo::new(move |_| {
        let total = rows.len();
        if scroll {
            visible_rows(
                scroll_top.get(),
                viewport.get(),
                row_height.get(),
                total,
                OVERSCAN,
            )
        } else {
            0..total
        }
    });
    write_rows(
        Drawn {
            body,
            range,
            row_height,
        },
        rows,
        app_names,
        now,
        selection,
        scroll,
    );
    if let Some(selection) = selection {
        follow_selection(selection, body);
    }
    let on_scroll = move |_| {
        if let Some(wrap) = wrap.get() {
            scroll_top.set(f64::from(wrap.scroll_top()));
            viewport.set(f64::from(wrap.client_height()));
        }
        if let Some(near_end) = on_near_end
            && range.get_untracked().end + OVERSCAN >= untrack(|| rows.len())
        {
            near_end.run(());
        }
    };
    // One listener for every row's copy button and checkbox.
    let on_body_click = move |ev: leptos::ev::MouseEvent| row_click(&ev, selection);
    let table_class = move || {
        let hidden = hidden.map(|h| h.0.get()).unwrap_or_default();
        let base = if scroll {
            "devices fixed-rows"
        } else {
            "devices"
        };
        hidden.iter().fold(base.to_owned(), |classes, column| {
            format!("{classes} hide-{column}")
        })
    };
    let row_count = move || scroll.then(|| (rows.len() + 1).to_string());
    view! {
        <div class="table-wrap" class:scroller=scroll node_ref=wrap on:scroll=on_scroll>
            <table class=table_class aria-rowcount=row_count>
                <caption class="visually-hidden">"Devices"</caption>
                <thead>
                    <tr aria-rowindex=scroll.then_some("1")>
                        {selection.map(|selection| view! { <SelectAllBox rows selection/> })}
                        {COLUMNS.into_iter().map(|(label, key, class)| view! { <SortHeader label key class sort/> }).collect_view()}
                    </tr>
                </thead>
                <tbody node_ref=body on:click=on_body_click></tbody>
            </table>
        </div>
    }
}

/// Where the rows are drawn: the body, the range of rows in it, and a row's height (measured
/// once one is drawn).
#[derive(Clone, Copy)]
struct Drawn {
    body: NodeRef<leptos::html::Tbody>,
    range: Memo<std::ops::Range<usize>>,
    row_height: RwSignal<f64>,
}

/// The one writer of the table body: whenever the rows, the range or the app names change.
fn write_rows(
    drawn: Drawn,
    rows: ShownRows,
    app_names: Signal<AppNames>,
    now: Option<i64>,
    selection: Option<TableSelection>,
    scroll: bool,
) {
    let Drawn {
        body,
        range,
        row_height,
    } = drawn;
    let device_href = device_href_by("");
    Effect::new(move || {
        let Some(body) = body.get() else { return };
        let range = range.get();
        let now = now.unwrap_or_else(crate::browser::web::now_seconds);
        let (html, total) = app_names.with(|names| {
            rows.with_range(range.clone(), |devices, total| {
                let cells: Vec<RowCells> = devices
                    .iter()
                    .map(|device| RowCells::of(device, names, now))
                    .collect();
                let write = |selected: Option<&BTreeSet<String>>| {
                    RowsHtml {
                        device_href: &device_href,
                        selected,
                    }
                    .write(&cells, range.start)
                };
                // Read in place: a selection of the whole fleet is not copied per redraw.
                let html = match selection {
                    Some(selection) => selection.selected.with_untracked(|s| write(Some(s))),
                    None => write(None),
                };
                (html, total)
            })
        });
        let focused = focused_row(&body);
        if scroll {
            body.set_inner_html(&format!("{SPACER}{html}{SPACER}"));
            let height = row_height.get_untracked();
            set_spacer(body.first_element_child(), range.start as f64 * height);
            set_spacer(
                body.last_element_child(),
                total.saturating_sub(range.end) as f64 * height,
            );
            if height == 0.0
                && let Some(row) = body
                    .query_selector("tr[data-sid]")
                    .ok()
                    .flatten()
                    .and_then(|row| row.dyn_into::<web_sys::HtmlElement>().ok())
                && row.offset_height() > 0
            {
                row_height.set(f64::from(row.offset_height()));
            }
        } else {
            body.set_inner_html(&html);
        }
        if let Some(focused) = focused {
            focused.restore(&body);
        }
        crate::browser::web::mark("device-rows-drawn");
    });
}

/// Checkboxes follow the selection.
fn follow_selection(selection: TableSelection, body: NodeRef<leptos::html::Tbody>) {
    Effect::new(move || {
        let Some(body) = body.get() else {
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
}

/// A click in the body: a row's copy button, or its checkbox (with Shift for a range).
fn row_click(ev: &leptos::ev::MouseEvent, selection: Option<TableSelection>) {
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
}

/// A column's header: a button that sorts by it (ascending, descending, the API's order)
/// when the table sorts, else its label.
#[component]
fn SortHeader(
    label: &'static str,
    key: FleetSortKey,
    class: &'static str,
    sort: Option<TableSort>,
) -> impl IntoView {
    let Some(sort) = sort else {
        return view! { <th scope="col" class=class>{label}</th> }.into_any();
    };
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

fn set_spacer(spacer: Option<Element>, pixels: f64) {
    if let Some(spacer) = spacer.and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = spacer
            .style()
            .set_property("height", &format!("{}px", pixels.max(0.0).round()));
    }
}

/// The control that had focus in a row, so that redrawing the rows (a scroll, a refresh)
/// gives it back to the same row: `j`/`k` and Tab go on from where they were.
struct FocusedRow {
    row_index: String,
    control: &'static str,
}

fn focused_row(body: &web_sys::HtmlTableSectionElement) -> Option<FocusedRow> {
    let active = web_sys::window()?.document()?.active_element()?;
    if !body.contains(Some(&active)) {
        return None;
    }
    let row = active.closest("tr").ok().flatten()?;
    let control = match active.tag_name().as_str() {
        "A" => "a",
        "INPUT" => "input",
        "BUTTON" => "button",
        _ => return None,
    };
    Some(FocusedRow {
        row_index: row.get_attribute("aria-rowindex")?,
        control,
    })
}

impl FocusedRow {
    fn restore(&self, body: &web_sys::HtmlTableSectionElement) {
        let selector = format!("tr[aria-rowindex=\"{}\"] {}", self.row_index, self.control);
        if let Some(control) = body
            .query_selector(&selector)
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = control.focus();
        }
    }
}

/// The header checkbox: every row of the table at once, indeterminate when some are chosen.
#[component]
fn SelectAllBox(rows: ShownRows, selection: TableSelection) -> impl IntoView {
    let state = Memo::new(move |_| {
        selection.selected.with(|selected| {
            // Nothing chosen reads the same over any rows: no need to list them.
            if selected.is_empty() {
                return (false, false);
            }
            rows.with(|devices| {
                let sids: Vec<&str> = devices.iter().filter_map(|d| d.sid.as_deref()).collect();
                header_state(selected, &sids)
            })
        })
    });
    let on_change = move |ev: leptos::ev::Event| {
        let select = event_target_checked(&ev);
        let sids = untrack(|| rows.sids());
        selection.selected.update(|selected| {
            for sid in sids {
                if select {
                    selected.insert(sid);
                } else {
                    selected.remove(&sid);
                }
            }
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
                                crate::browser::prefs::set_hidden_columns(&hidden.0.get_untracked());
                            }/>
                        <label for=id>{label}</label>
                    </div>
                }
            }).collect_view()}
        </details>
    }
    .into_any()
}
