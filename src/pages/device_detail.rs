use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use microvisor_api::Device;
use microvisor_api::display::{logging_summary, relative_time};

use crate::api::ApiClient;
use crate::components::{CopyButton, ErrorPanel, StatusBadge, first_api_error};
use crate::pages::now_seconds;

/// `/devices/{sid or unique name}`: every property of one device.
#[component]
pub fn DeviceDetailPage() -> impl IntoView {
    let client = expect_context::<ApiClient>();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let device = LocalResource::new(move || {
        let client = client.clone();
        let id = id.get();
        async move { client.fetch_device(&id).await }
    });
    let retry = Callback::new(move |()| device.refetch());
    view! {
        <p><a href="/devices">"← Devices"</a></p>
        <Transition fallback=|| view! { <p class="loading">"Loading device…"</p> }>
            <ErrorBoundary fallback=move |errors| view! {
                <ErrorPanel error=first_api_error(&errors.read()) on_retry=retry/>
            }>
                {move || Suspend::new(async move {
                    device.await.map(|device| view! { <DeviceProperties device/> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn DeviceProperties(device: Device) -> impl IntoView {
    let now = now_seconds();
    let app = device.app.clone().unwrap_or_default();
    let raw = serde_json::to_string_pretty(&device).unwrap_or_default();
    let text = |value: Option<String>| value.unwrap_or_else(|| "—".to_owned());
    let links = device.links.clone().unwrap_or_default();
    view! {
        <h1>{device.display_name().to_owned()}</h1>
        <div class="detail-grid">
            <section class="panel">
                <h2>"Identity"</h2>
                <dl>
                    <dt>"SID"</dt><dd><code>{text(device.sid.clone())}</code></dd>
                    <dt>"Unique name"</dt><dd>{text(device.unique_name.clone())}</dd>
                    <dt>"Account SID"</dt><dd><code>{text(device.account_sid.clone())}</code></dd>
                </dl>
            </section>
            <section class="panel">
                <h2>"App"</h2>
                <dl>
                    <dt>"Update status"</dt><dd><StatusBadge status=app.update_status.clone()/></dd>
                    <dt>"Target app"</dt><dd><code>{text(app.target_sid.clone())}</code></dd>
                    <dt>"Target hash"</dt><dd><code>{text(app.target_hash.clone())}</code></dd>
                    <dt>"Targeted"</dt><dd>{text(app.date_targeted.clone())}</dd>
                    <dt>"Update error code"</dt><dd>{app.update_error_code.map_or("—".to_owned(), |c| c.to_string())}</dd>
                    <dt>"Reported app"</dt><dd><code>{text(app.reported_sid.clone())}</code></dd>
                    <dt>"Reported"</dt><dd>{text(app.date_reported.clone())}</dd>
                </dl>
            </section>
            <section class="panel">
                <h2>"Logging"</h2>
                <dl>
                    <dt>"Logging"</dt><dd>{logging_summary(&device, now)}</dd>
                    <dt>"Expires"</dt><dd>{text(device.logging.clone().and_then(|l| l.date_expires))}</dd>
                </dl>
            </section>
            <section class="panel">
                <h2>"Dates and links"</h2>
                <dl>
                    <dt>"Created"</dt><dd>{text(device.date_created.clone())}</dd>
                    <dt>"Updated"</dt><dd>{text(device.date_updated.clone())} " (" {relative_time(device.date_updated.as_deref(), now)} ")"</dd>
                    <dt>"URL"</dt><dd><code>{text(device.url.clone())}</code></dd>
                    <dt>"Configs"</dt><dd><code>{text(links.device_configs)}</code></dd>
                    <dt>"Secrets"</dt><dd><code>{text(links.device_secrets)}</code></dd>
                </dl>
            </section>
        </div>
        <section class="panel">
            <h2>"Raw JSON " <CopyButton text=raw.clone() label="Copy raw JSON"/></h2>
            <pre class="raw">{raw}</pre>
        </section>
    }
}
