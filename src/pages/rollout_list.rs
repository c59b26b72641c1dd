use std::time::Duration;

use console_core::display::rollout_change;
use console_core::rollout_words::{status_text, status_word};
use console_protocol::RolloutSummary;
use fleet_engine::rollout::Counts;
use leptos::prelude::*;
use microvisor_api::url::encode_segment;

use crate::api::ApiError;
use crate::browser::routes::href;
use crate::browser::web::now_ms;
use crate::components::{ErrorPanel, RetryNote, first_api_error};
use crate::pages::shared::{DemoRolloutNote, use_apps, use_client_reporting_retries};

/// The list refreshes this often while open and the event stream is down.
const REFRESH: Duration = Duration::from_secs(2);

/// `/rollouts`: every rollout, newest first, with its state, phase and progress.
#[component]
pub fn RolloutListPage() -> impl IntoView {
    let (client, retrying) = use_client_reporting_retries();
    let rollouts = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            async move { client.list_rollouts().await }
        }
    });
    // Read again as the tab's event stream tells of a rollout moving; polled while it is down.
    let live = crate::api::use_live();
    if let Some(live) = live {
        live.on_stale(move |stale| {
            if stale.rollout.is_some() || stale.everything {
                rollouts.refetch();
            }
        });
    }
    crate::browser::owned::every(REFRESH, move || {
        if !live.is_some_and(|live| live.connected.get_untracked()) {
            rollouts.refetch();
        }
    });
    let (_, app_names) = use_apps(&client);
    let retry = Callback::new(move |()| rollouts.refetch());
    view! {
        <div class="page-head">
            <h1>"Rollouts"</h1>
            <div class="actions">
                <a class="button" href=href("/rollouts/new")>"New rollout"</a>
            </div>
        </div>
        <p class="muted">"A rollout deploys an app to devices phase by phase, and halts itself when a phase fails too often."</p>
        <DemoRolloutNote/>
        <RetryNote retrying/>
        <Transition fallback=|| view! { <p class="loading">"Loading rollouts…"</p> }>
            <ErrorBoundary fallback=move |errors| view! { <ErrorPanel error=first_api_error(&errors.read()) on_retry=retry/> }>
                {move || Suspend::new(async move {
                    let list = rollouts.await?;
                    let now = now_ms();
                    Ok::<_, ApiError>(if list.is_empty() {
                        view! { <p class="empty">"No rollouts yet. Start one with New rollout."</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-wrap">
                                <table class="rollouts">
                                    <caption class="visually-hidden">"Rollouts"</caption>
                                    <thead><tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Change"</th>
                                        <th scope="col">"State"</th>
                                        <th scope="col">"Phases"</th>
                                        <th scope="col">"Devices"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|summary| {
                                            let target = app_names.with_untracked(|names| rollout_change(names, &summary.rollout));
                                            rollout_row(summary, target, now)
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

fn rollout_row(summary: RolloutSummary, target: String, now: i64) -> impl IntoView {
    let rollout = &summary.rollout;
    let link = href(&format!("/rollouts/{}", encode_segment(&rollout.id)));
    let state = status_text(&rollout.status, now);
    let word = status_word(&rollout.status);
    let phase = format!(
        "phase {} of {}",
        (rollout.phase + 1).min(rollout.phase_count.max(1)),
        rollout.phase_count
    );
    let bars = summary
        .phase_counts
        .iter()
        .enumerate()
        .map(|(index, counts)| phase_bar(index, counts))
        .collect_view();
    view! {
        <tr data-rollout=rollout.id.clone()>
            <td><a href=link>{rollout.name.clone()}</a></td>
            <td>{target}</td>
            <td><span class=format!("rollout-state {word}")>{state}</span><br/><span class="muted">{phase}</span></td>
            <td class="phase-bars">{bars}</td>
            <td class="counts">{counts_text(&summary.counts)}</td>
        </tr>
    }
}

/// One phase's progress: its finished devices of all.
pub(crate) fn phase_bar(index: usize, counts: &Counts) -> impl IntoView + use<> {
    let total = counts.done + counts.pending + counts.failed + counts.skipped + counts.not_sent;
    let finished = total - counts.pending;
    let label = format!(
        "Phase {}: {finished} of {total} finished, {} failed",
        index + 1,
        counts.failed
    );
    view! {
        <progress class="phase" max=total.max(1).to_string() value=finished.to_string() aria-label=label.clone() title=label></progress>
    }
}

/// "12 done · 3 pending · 1 failed · 4 skipped · 0 not sent".
pub(crate) fn counts_text(counts: &Counts) -> String {
    format!(
        "{} done · {} pending · {} failed · {} skipped · {} not sent",
        counts.done, counts.pending, counts.failed, counts.skipped, counts.not_sent
    )
}
