//! A device's History as the fleet index tells it.

use console_core::audit::time_text;
use console_core::timeline::timeline_lines;
use fleet_engine::AppNames;
use leptos::prelude::*;

use crate::api::{ApiClient, ApiError};
use crate::components::{ErrorPanel, RetryNote, first_api_error};

/// A device's History from the fleet index: what passes saw it do (went pending, reported
/// error 2, now up to date on an app) and the writes made to it through this console (who,
/// which rollout), newest first in one list.
#[component]
pub fn DeviceTimeline(sid: String, #[prop(into)] app_names: Signal<AppNames>) -> impl IntoView {
    let retrying = RwSignal::new(None);
    let client = expect_context::<ApiClient>().reporting_retries(retrying);
    let timeline = LocalResource::new(move || {
        let (client, sid) = (client.clone(), sid.clone());
        async move { client.device_timeline(&sid).await }
    });
    let retry = Callback::new(move |()| timeline.refetch());
    view! {
        <RetryNote retrying/>
        <Transition fallback=|| view! { <p class="loading">"Loading the device's history…"</p> }>
            <ErrorBoundary fallback=move |errors| view! { <ErrorPanel error=first_api_error(&errors.read()) on_retry=retry/> }>
                {move || Suspend::new(async move {
                    let timeline = timeline.await?;
                    let lines = app_names.with(|names| timeline_lines(&timeline.entries, names));
                    Ok::<_, ApiError>(if lines.is_empty() {
                        view! { <p class="empty">"Nothing seen or written yet."</p> }.into_any()
                    } else {
                        view! {
                            <ol class="timeline" aria-label="History, newest first">
                                {lines.into_iter().map(|line| view! {
                                    <li class=line.source.clone() class:failed=line.failed>
                                        <time class="nowrap muted">{time_text(line.at_ms)}</time>
                                        " "
                                        <span class="source">{if line.source == "write" { "write" } else { "seen" }}</span>
                                        " "
                                        <span>{line.text}</span>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
