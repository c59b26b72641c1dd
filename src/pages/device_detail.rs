use std::time::Duration;

use console_core::audit::AuditFilter;
use console_core::display::shown_name;
use fleet_engine::AppNames;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map};
use microvisor_api::time::relative;
use microvisor_api::url::encode_segment;
use microvisor_api::{Device, UpdateStatus};

use crate::api::{ApiClient, ApiError};
use crate::browser::routes::href;
use crate::browser::web::now_seconds;
use crate::components::{DeviceProperties, ErrorPanel, RetryNote, first_api_error};
use crate::pages::audit::AuditEntries;
use crate::pages::shared::{use_apps, use_client_reporting_retries};
use crate::panels::{DeviceEditor, DeviceTimeline, KeyValues};

/// While an update is pending, the page refreshes this often until it settles.
const PENDING_POLL: Duration = Duration::from_secs(2);

/// `/devices/{sid or unique name}`: every property of one device, and its edit forms.
#[component]
pub fn DeviceDetailPage() -> impl IntoView {
    let (client, retrying) = use_client_reporting_retries();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    // Each answer carries the time it arrived, for "refreshed N s ago".
    let fetched = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            let id = id.get();
            async move {
                client
                    .fetch_device(&id)
                    .await
                    .map(|device| (device, now_seconds()))
            }
        }
    });
    let (apps, app_names) = use_apps(&client);

    // What is on screen: the latest answer, kept while a refresh fails. Forms stay mounted
    // across refreshes, so a refresh never wipes what someone is typing.
    let latest = Memo::new(move |previous: Option<&Option<(Device, i64)>>| {
        fetched.with(|result| match result {
            Some(Ok(answer)) => Some(answer.clone()),
            _ => previous.cloned().flatten(),
        })
    });
    let current = Memo::new(move |_| latest.with(|l| l.as_ref().map(|(device, _)| device.clone())));
    let refreshed_at = Memo::new(move |_| latest.with(|l| l.as_ref().map_or(0, |(_, at)| *at)));
    let refresh_error =
        Memo::new(move |_| fetched.with(|r| r.as_ref().and_then(|r| r.as_ref().err().cloned())));

    // A clock for countdowns and "refreshed N s ago".
    let now = ticking_clock();
    poll_while_pending(fetched);

    let navigate = use_navigate();
    let on_updated = Callback::new(move |device: Device| {
        // After a rename the address follows the new name.
        let wanted = device.display_name().to_owned();
        // The write's answer is the device as it is now: it replaces the last fetch.
        fetched.set(Some(Ok((device, now_seconds()))));
        if !wanted.is_empty() && wanted != id.get_untracked() {
            navigate(
                &format!("/devices/{}", encode_segment(&wanted)),
                NavigateOptions {
                    replace: true,
                    ..NavigateOptions::default()
                },
            );
        }
    });

    let app_list = Signal::derive(move || {
        apps.with(|apps| match apps {
            Some(Ok(page)) => page.items.clone(),
            _ => Vec::new(),
        })
    });
    let sid = Memo::new(move |_| current.with(|d| d.as_ref().and_then(|d| d.sid.clone())));
    // Read again when the tab's event stream says this device changed.
    if let Some(live) = crate::api::use_live() {
        live.on_stale(move |stale| {
            let this = sid.with_untracked(|sid| {
                sid.as_ref()
                    .is_some_and(|sid| stale.devices.iter().any(|s| s == sid))
            });
            if this || stale.everything {
                fetched.refetch();
            }
        });
    }
    let retry = Callback::new(move |()| fetched.refetch());
    // While the first load is tried again after it failed.
    let loading = RwSignal::new(false);

    view! {
        <p><a href=crate::browser::routes::href("/devices")>"← Devices"</a></p>
        <RetryNote retrying/>
        <Show
            when=move || sid.get().is_some()
            fallback=move || view! {
                <Transition fallback=|| view! { <p class="loading">"Loading device…"</p> } set_pending=loading>
                    <ErrorBoundary fallback=move |errors| view! {
                        <ErrorPanel error=first_api_error(&errors.read()) on_retry=retry busy=loading/>
                    }>
                        {move || Suspend::new(async move { fetched.await.map(|_| ()) })}
                    </ErrorBoundary>
                </Transition>
            }
        >
            {move || {
                // Rebuilt only when a different device is shown, not on every refresh.
                let sid = sid.get().unwrap_or_default();
                let device = Signal::derive(move || current.get().unwrap_or_default());
                view! {
                    <div class="page-head">
                        <h1>{move || device.with(|d| shown_name(d).into_owned())}</h1>
                        <div class="refresh">
                            <span class="muted" aria-live="polite">
                                {move || format!("Refreshed {}", relative(refreshed_at.get(), now.get()))}
                            </span>
                            <button type="button" class="secondary" on:click=move |_| fetched.refetch()>"Refresh"</button>
                        </div>
                    </div>
                    {move || refresh_error.get().map(|error| view! { <ErrorPanel error on_retry=retry/> })}
                    <DeviceEditor sid=sid.clone() device apps=app_list on_updated/>
                    <DeviceTabs sid device app_names now=now.into()/>
                }
            }}
        </Show>
    }
}

/// The time in seconds, ticking every second for as long as the view lives.
fn ticking_clock() -> RwSignal<i64> {
    let now = RwSignal::new(now_seconds());
    if let Ok(ticker) =
        set_interval_with_handle(move || now.set(now_seconds()), Duration::from_secs(1))
    {
        on_cleanup(move || ticker.clear());
    }
    now
}

/// Polls while the update is pending: every answer (even one like the last) schedules the
/// next look, and the look not yet taken is cancelled when the next answer comes or the page
/// goes away. A failed look stops the polling; its error shows with Retry.
fn poll_while_pending(fetched: LocalResource<Result<(Device, i64), ApiError>>) {
    Effect::new(move || {
        let pending = fetched.with(|answer| {
            matches!(answer, Some(Ok((device, _)))
                if device.update_status() == Some(&UpdateStatus::Pending))
        });
        if pending
            && let Ok(timer) = set_timeout_with_handle(move || fetched.refetch(), PENDING_POLL)
        {
            on_cleanup(move || timer.clear());
        }
    });
}

/// Overview, Configs and Secrets, as tabs.
#[component]
fn DeviceTabs(
    sid: String,
    device: Signal<Device>,
    app_names: Signal<AppNames>,
    now: Signal<i64>,
) -> impl IntoView {
    const TABS: [&str; 4] = ["Overview", "Configs", "Secrets", "History"];
    let selected = RwSignal::new("Overview");
    let tab = move |name: &'static str| {
        let id = format!("tab-{}", name.to_lowercase());
        view! {
            <button
                type="button"
                role="tab"
                id=id
                class="tab"
                aria-selected=move || (selected.get() == name).to_string()
                aria-controls="device-tab-panel"
                tabindex=move || if selected.get() == name { "0" } else { "-1" }
                on:click=move |_| selected.set(name)
            >
                {name}
            </button>
        }
    };
    view! {
        <div role="tablist" aria-label="Device" class="tabs">{TABS.into_iter().map(tab).collect_view()}</div>
        <div role="tabpanel" id="device-tab-panel" aria-labelledby=move || format!("tab-{}", selected.get().to_lowercase())>
            {move || match selected.get() {
                "Configs" => view! { <KeyValues device=Some(sid.clone()) secrets=false/> }.into_any(),
                "Secrets" => view! { <KeyValues device=Some(sid.clone()) secrets=true/> }.into_any(),
                "History" => {
                    let filter = AuditFilter { device: sid.clone(), ..AuditFilter::default() };
                    let all = href(&format!("/audit?{}", filter.query()));
                    // With an index, what the device did too; else the writes made to it.
                    let history = if expect_context::<ApiClient>().has_index() {
                        view! { <DeviceTimeline sid=sid.clone() app_names/> }.into_any()
                    } else {
                        view! { <AuditEntries filter=Signal::stored(filter) before=Signal::stored(None)/> }.into_any()
                    };
                    view! {
                        {history}
                        <p><a href=all>"This device in the audit log"</a></p>
                    }.into_any()
                }
                _ => view! { <DeviceProperties device app_names now/> }.into_any(),
            }}
        </div>
    }
}
