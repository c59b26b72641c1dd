use std::collections::HashMap;

use leptos::prelude::*;
use microvisor_api::display::{logging_brief, relative_time};
use microvisor_api::url::encode_segment;
use microvisor_api::{App, Device};

use super::{CopyButton, StatusBadge};

/// App SIDs to unique names, so tables can show names people recognise.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppNames(HashMap<String, String>);

impl AppNames {
    pub fn from_apps(apps: &[App]) -> AppNames {
        AppNames(
            apps.iter()
                .filter_map(|app| Some((app.sid.clone()?, app.unique_name.clone()?)))
                .collect(),
        )
    }

    /// The app's unique name when known, else its SID.
    pub fn label(&self, sid: &str) -> String {
        self.0.get(sid).cloned().unwrap_or_else(|| sid.to_owned())
    }
}

#[component]
pub fn DeviceTable(devices: Vec<Device>, app_names: AppNames, now: i64) -> impl IntoView {
    let rows = devices
        .into_iter()
        .map(|device| view! { <DeviceRow device app_names=app_names.clone() now/> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="devices">
                <caption class="visually-hidden">"Devices"</caption>
                <thead>
                    <tr>
                        <th scope="col">"SID"</th>
                        <th scope="col">"Unique name"</th>
                        <th scope="col">"Update status"</th>
                        <th scope="col">"Target app"</th>
                        <th scope="col">"Reported app"</th>
                        <th scope="col">"Logging"</th>
                        <th scope="col">"Updated"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn DeviceRow(device: Device, app_names: AppNames, now: i64) -> impl IntoView {
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
        "logging on"
    } else {
        "logging"
    };
    let updated = relative_time(device.date_updated.as_deref(), now);
    let updated_exact = device.date_updated.clone().unwrap_or_default();
    let row_sid = sid.clone();
    view! {
        <tr data-sid=row_sid>
            <td class="sid" data-label="SID">
                <code>{sid.clone()}</code>
                <CopyButton text=sid.clone() label="Copy SID"/>
            </td>
            <td class="name" data-label="Unique name">
                <a href=href>
                    {match name {
                        Some(name) => name.into_any(),
                        None => view! { <span class="muted">"(no name)"</span> }.into_any(),
                    }}
                </a>
            </td>
            <td data-label="Update status"><StatusBadge status=app.update_status.clone()/></td>
            <td data-label="Target app">{target.unwrap_or_else(|| "—".to_owned())}</td>
            <td class:differs=differs data-label="Reported app">
                {reported.unwrap_or_else(|| "—".to_owned())}
                {differs.then(|| view! {
                    <span class="note" title="The device reports a different app than its target">
                        " ≠ target"
                    </span>
                })}
            </td>
            <td class=logging_class data-label="Logging">{logging}</td>
            <td data-label="Updated"><time datetime=updated_exact.clone() title=updated_exact>{updated}</time></td>
        </tr>
    }
}
