use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Keyboard use of a device table: `/` focuses the search box (when the page has one), `j`
/// and `k` move between rows, Enter opens the focused one (it is a link).
pub fn use_row_keys(search_id: Option<&'static str>) {
    let handle = window_event_listener(ev::keydown, move |event: ev::KeyboardEvent| {
        if event.ctrl_key() || event.meta_key() || event.alt_key() || typing_in_a_field(&event) {
            return;
        }
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        match event.key().as_str() {
            "/" => {
                if let Some(field) = search_id
                    .and_then(|id| document.get_element_by_id(id))
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    event.prevent_default();
                    let _ = field.focus();
                }
            }
            key @ ("j" | "k") => {
                let Ok(links) = document.query_selector_all("table.devices tbody tr td.name a")
                else {
                    return;
                };
                let count = links.length();
                if count == 0 {
                    return;
                }
                let active = document.active_element();
                let current = (0..count).find(|&i: &u32| {
                    links
                        .item(i)
                        .zip(active.clone())
                        .is_some_and(|(link, active)| {
                            link.is_same_node(Some(active.unchecked_ref::<web_sys::Node>()))
                        })
                });
                let next = match (current, key) {
                    (None, _) => 0,
                    (Some(i), "j") => (i + 1).min(count - 1),
                    (Some(i), _) => i.saturating_sub(1),
                };
                if let Some(link) = links
                    .item(next)
                    .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    event.prevent_default();
                    let _ = link.focus();
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
}

fn typing_in_a_field(event: &ev::KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|element| {
            matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || element.has_attribute("contenteditable")
        })
}
