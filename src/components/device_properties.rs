use console_core::display::{app_label, logging_summary, relative_time};
use fleet_engine::AppNames;
use leptos::prelude::*;
use microvisor_api::Device;

use super::{CopyButton, StatusBadge};

/// Every property of a device, grouped, plus the raw JSON. Reads `device` and `now`
/// reactively, so refreshes and the logging countdown update in place.
#[component]
pub fn DeviceProperties(
    device: Signal<Device>,
    app_names: Signal<AppNames>,
    now: Signal<i64>,
) -> impl IntoView {
    let text = |value: Option<String>| value.unwrap_or_else(|| "—".to_owned());
    let field = move |get: fn(&Device) -> Option<String>| move || text(device.with(get));
    let app_field = move |get: fn(&Device) -> Option<String>| {
        move || match device.with(get) {
            Some(sid) => {
                let name = app_names.with(|names| app_label(names, &sid));
                if name == sid {
                    sid
                } else {
                    format!("{name} ({sid})")
                }
            }
            None => "—".to_owned(),
        }
    };
    let app = move || device.with(|d| d.app.clone().unwrap_or_default());
    let raw = move || serde_json::to_string_pretty(&device.get()).unwrap_or_default();
    view! {
        <div class="detail-grid">
            <section class="panel">
                <h2>"Identity"</h2>
                <dl>
                    <dt>"SID"</dt>
                    <dd><code>{field(|d| d.sid.clone())}</code></dd>
                    <dt>"Unique name"</dt>
                    <dd>{field(|d| d.unique_name.clone())}</dd>
                    <dt>"Account SID"</dt>
                    <dd><code>{field(|d| d.account_sid.clone())}</code></dd>
                </dl>
            </section>
            <section class="panel">
                <h2>"App"</h2>
                <dl>
                    <dt>"Update status"</dt>
                    <dd>{move || view! { <StatusBadge status=app().update_status/> }}</dd>
                    <dt>"Target app"</dt>
                    <dd class="target-app">{app_field(|d| d.app.as_ref()?.target_sid.clone())}</dd>
                    <dt>"Target hash"</dt>
                    <dd><code>{field(|d| d.app.as_ref()?.target_hash.clone())}</code></dd>
                    <dt>"Targeted"</dt>
                    <dd>{field(|d| d.app.as_ref()?.date_targeted.clone())}</dd>
                    <dt>"Update error code"</dt>
                    <dd>{field(|d| d.app.as_ref()?.update_error_code.map(|code| code.to_string()))}</dd>
                    <dt>"Reported app"</dt>
                    <dd class="reported-app">{app_field(|d| d.app.as_ref()?.reported_sid.clone())}</dd>
                    <dt>"Reported"</dt>
                    <dd>{field(|d| d.app.as_ref()?.date_reported.clone())}</dd>
                </dl>
            </section>
            <section class="panel">
                <h2>"Logging"</h2>
                <dl>
                    <dt>"Logging"</dt>
                    <dd class="logging-state">{move || device.with(|d| logging_summary(d, now.get()))}</dd>
                    <dt>"Expires"</dt>
                    <dd>{field(|d| d.logging.as_ref()?.date_expires.clone())}</dd>
                </dl>
            </section>
            <section class="panel">
                <h2>"Dates and links"</h2>
                <dl>
                    <dt>"Created"</dt>
                    <dd>{field(|d| d.date_created.clone())}</dd>
                    <dt>"Updated"</dt>
                    <dd>
                        {field(|d| d.date_updated.clone())} " ("
                        {move || device.with(|d| relative_time(d.date_updated.as_deref(), now.get()))} ")"
                    </dd>
                    <dt>"URL"</dt>
                    <dd><code>{field(|d| d.url.clone())}</code></dd>
                    <dt>"Configs"</dt>
                    <dd><code>{field(|d| d.links.as_ref()?.device_configs.clone())}</code></dd>
                    <dt>"Secrets"</dt>
                    <dd><code>{field(|d| d.links.as_ref()?.device_secrets.clone())}</code></dd>
                </dl>
            </section>
        </div>
        <section class="panel">
            <h2>"Raw JSON " <CopyButton text=Signal::derive(raw) label="Copy raw JSON"/></h2>
            // Focusable, so keyboard users can scroll it.
            <pre class="raw" tabindex="0" aria-label="Raw JSON of the device">{raw}</pre>
        </section>
    }
}
