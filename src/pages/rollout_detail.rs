use std::time::Duration;

use console_core::display::{counted, rollout_change};
use console_core::rollout_form::plan_summary;
use console_core::rollout_words::{
    DeviceColumn, Outcome, chart_lines, device_state_text, device_state_word, shown_devices,
    status_text, status_word,
};
use fleet_engine::rollout::{Control, Counts, DeviceState, Rollout, Status};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::ApiClient;
use crate::browser::routes::device_href_by;
use crate::browser::web::now_ms;
use crate::components::{ConfirmDialog, ErrorPanel, RetryNote, WriteGuard};
use crate::pages::rollout_list::{counts_text, phase_bar};
use crate::pages::shared::{DemoRolloutNote, use_apps, use_client_reporting_retries};

/// The page refreshes this often while open.
const REFRESH: Duration = Duration::from_secs(1);
/// Rows of the per-device table drawn at once.
const ROWS_SHOWN: usize = 500;
const CHART_WIDTH: u32 = 600;
const CHART_HEIGHT: u32 = 160;

/// `/rollouts/{id}`: the rollout's phases, chart, devices and controls, live while open.
#[component]
pub fn RolloutDetailPage() -> impl IntoView {
    let (client, retrying) = use_client_reporting_retries();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let fetched = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            let id = id.get();
            async move { client.fetch_rollout(&id).await }
        }
    });
    // Read again as the tab's event stream tells of it moving; polled while that is down.
    let live = crate::api::use_live();
    if let Some(live) = live {
        live.on_stale(move |stale| {
            if stale.everything || stale.rollout.as_deref() == Some(id.get_untracked().as_str()) {
                fetched.refetch();
            }
        });
    }
    crate::browser::owned::every(REFRESH, move || {
        if !live.is_some_and(|live| live.connected.get_untracked()) {
            fetched.refetch();
        }
    });
    let (_, app_names) = use_apps(&client);
    // The last rollout read, kept while a refresh is under way or fails.
    let latest = Memo::new(move |previous: Option<&Option<Rollout>>| {
        fetched.with(|answer| match answer {
            Some(Ok(rollout)) => Some(rollout.clone()),
            _ => previous.cloned().flatten(),
        })
    });
    let refresh_error =
        Memo::new(move |_| fetched.with(|r| r.as_ref().and_then(|r| r.as_ref().err().cloned())));
    let outcome = RwSignal::new(Outcome::All);

    let retry = Callback::new(move |()| fetched.refetch());
    // Parts of the page read the rollout themselves, so a refresh redraws only what changed
    // and never takes the focus from a control.
    let status = Memo::new(move |_| latest.with(|r| r.as_ref().map(|r| r.status.clone())));
    let counts = Memo::new(move |_| {
        latest
            .with(|r| r.as_ref().map(Rollout::counts))
            .unwrap_or_default()
    });
    view! {
        <DemoRolloutNote/>
        <RetryNote retrying/>
        <Show
            when=move || latest.with(Option::is_some)
            fallback=move || match refresh_error.get() {
                Some(error) => view! { <ErrorPanel error on_retry=retry/> }.into_any(),
                None => view! { <p class="loading">"Loading the rollout…"</p> }.into_any(),
            }
        >
            <div class="page-head">
                <h1>{move || latest.with(|r| r.as_ref().map(|r| r.name.clone()))}</h1>
            </div>
            <p class="rollout-meta">
                {move || status.get().map(|status| {
                    let word = status_word(&status);
                    view! { <span class=format!("rollout-state {word}") data-state=word>{status_text(&status, now_ms())}</span> }
                })}
                {move || latest.with(|r| r.as_ref().map(|r| {
                    let target = app_names.with(|names| rollout_change(names, r));
                    format!(" · {target} · {}", plan_summary(&r.plan))
                }))}
            </p>
            {move || status.with(|s| match s {
                Some(Status::Halted { reason }) => Some(view! { <p class="panel error halt-reason" role="alert">{reason.clone()}</p> }),
                _ => None,
            })}
            {move || refresh_error.get().map(|error| view! { <p class="field-error" role="alert">{format!("Could not refresh: {error}")}</p> })}
            <RolloutControls id latest counts/>
            <p class="counts" aria-live="polite">{move || counts_text(&counts.get())}</p>
            {move || latest.with(|r| r.as_ref().map(|r| view! {
                <Timeline rollout=r.clone() now=now_ms()/>
                <Chart rollout=r.clone()/>
            }))}
            <DeviceOutcomes latest outcome/>
        </Show>
    }
}

/// The controls the engine accepts now (no others), Abort and Retry failed after a
/// confirmation, and what became of the last one asked.
#[component]
fn RolloutControls(
    id: Memo<String>,
    latest: Memo<Option<Rollout>>,
    counts: Memo<Counts>,
) -> impl IntoView {
    let client = expect_context::<ApiClient>();
    let control = Action::new_local({
        move |control: &Control| {
            let (client, control, id) = (client.clone(), *control, id.get_untracked());
            async move { client.control_rollout(&id, control).await }
        }
    });
    let asked = RwSignal::new(None::<Control>);
    let confirm_open = RwSignal::new(false);
    let confirm_message = Signal::derive(move || {
        let counts = latest
            .with(|r| r.as_ref().map(Rollout::counts))
            .unwrap_or_default();
        match asked.get() {
            Some(Control::Abort) => format!(
                "Abort this rollout? Devices not yet written ({}) will be marked not sent; the \
                 devices already written keep their new app.",
                counted(counts.pending, "device")
            ),
            Some(Control::RetryFailed) => format!(
                "Write the failed devices ({}) a second time? Each retry is recorded as a second attempt.",
                counted(counts.failed, "device")
            ),
            _ => String::new(),
        }
    });
    let on_confirm = Callback::new(move |()| {
        if let Some(asked) = asked.get_untracked() {
            control.dispatch(asked);
        }
    });
    let ask = move |wanted: Control| {
        move |_| match wanted {
            Control::Abort | Control::RetryFailed => {
                asked.set(Some(wanted));
                confirm_open.set(true);
            }
            _ => {
                control.dispatch(wanted);
            }
        }
    };
    // Only what the engine accepts in this state is offered: a completed rollout shows no
    // Pause, a halted one Resume beside Retry failed.
    let accepts =
        move |control: Control| latest.with(|r| r.as_ref().is_some_and(|r| r.accepts(control)));
    let button = move |wanted: Control| {
        move || {
            accepts(wanted).then(|| {
                let class = match wanted {
                    Control::Abort => "danger",
                    Control::RetryFailed => "secondary",
                    _ => "",
                };
                let label = move || match wanted {
                    Control::Pause => "Pause".to_owned(),
                    Control::Resume
                        if latest.with(|r| {
                            matches!(r.as_ref().map(|r| &r.status), Some(Status::Halted { .. }))
                        }) =>
                    {
                        "Resume, accepting the failures".to_owned()
                    }
                    Control::Resume => "Resume".to_owned(),
                    Control::Approve => "Approve next phase".to_owned(),
                    Control::RetryFailed => {
                        format!("Retry failed ({})…", counts.with(|c| c.failed))
                    }
                    Control::Abort => "Abort…".to_owned(),
                };
                view! { <button type="button" class=class on:click=ask(wanted)>{label}</button> }
            })
        }
    };
    view! {
        <WriteGuard>
        <div class="toolbar rollout-controls">
            {button(Control::Pause)}
            {button(Control::Resume)}
            {button(Control::Approve)}
            {button(Control::RetryFailed)}
            {button(Control::Abort)}
            <span class="muted" role="status">{move || match control.value().get() {
                Some(Ok(())) => "Asked; it applies within a second or two.".to_owned(),
                Some(Err(err)) => err.to_string(),
                None => String::new(),
            }}</span>
        </div>
        </WriteGuard>
        <ConfirmDialog open=confirm_open title="Rollout control" message=confirm_message confirm_label="Confirm" on_confirm/>
    }
}

/// The phases in order: done, under way, or waiting, each with its bar.
#[component]
fn Timeline(rollout: Rollout, now: i64) -> impl IntoView {
    let phases = (0..rollout.phase_count)
        .map(|phase| {
            let counts = rollout.phase_counts(phase);
            let size = counts.done + counts.pending + counts.failed + counts.not_sent;
            let state = if phase < rollout.phase
                || (phase == rollout.phase && rollout.status == Status::Completed)
            {
                "done"
            } else if phase == rollout.phase {
                match rollout.status {
                    Status::Soaking { .. } | Status::WaitingApproval => "done",
                    _ => "current",
                }
            } else {
                "waiting"
            };
            let note = if phase == rollout.phase + 1 {
                match rollout.status {
                    Status::Soaking { until_ms } => format!(
                        " · starts in {} s",
                        ((until_ms - now).max(0) + 999) / 1000
                    ),
                    Status::WaitingApproval => " · waits for approval".to_owned(),
                    _ => String::new(),
                }
            } else {
                String::new()
            };
            view! {
                <li class=format!("phase-step {state}") aria-current=(state == "current").then_some("step")>
                    <span class="phase-name">{format!("Phase {} · {} · {state}{note}", phase + 1, counted(size, "device"))}</span>
                    {phase_bar(phase as usize, &counts)}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="panel" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"Phases"</h2>
            <ol class="timeline">{phases}</ol>
        </section>
    }
}

/// Up to date, pending and failed over time, as SVG lines over a time axis and a count
/// axis, each phase's start marked.
#[component]
fn Chart(rollout: Rollout) -> impl IntoView {
    let lines = chart_lines(&rollout.samples, CHART_WIDTH, CHART_HEIGHT);
    let last = rollout.samples.last().copied();
    let description = last.map_or("No progress recorded yet.".to_owned(), |s| {
        format!(
            "Now {} up to date, {} pending, {} failed, {} after the start.",
            s.done,
            s.pending,
            s.failed,
            lines.time_ticks()[2]
        )
    });
    let marks = lines
        .phase_starts
        .iter()
        .map(|&(x, phase)| {
            // Through the CSSOM: the page's CSP allows no style attribute.
            let left = format!("{:.2}%", x / f64::from(CHART_WIDTH) * 100.0);
            view! {
                <span class="phase-start" style:left=left>{format!("Phase {}", phase + 1)}</span>
            }
        })
        .collect_view();
    let mark_lines = lines
        .phase_starts
        .iter()
        .map(|&(x, _)| {
            let x = format!("{x:.1}");
            view! { <line class="phase-line" x1=x.clone() x2=x y1="0" y2=CHART_HEIGHT.to_string()/> }
        })
        .collect_view();
    let counts = lines.count_ticks().map(|n| view! { <span>{n}</span> });
    let times = lines.time_ticks().map(|t| view! { <span>{t}</span> });
    view! {
        <section class="panel" aria-labelledby="chart-heading">
            <h2 id="chart-heading">"Progress"</h2>
            <div class="chart-frame">
                <div class="chart-counts" aria-hidden="true">{counts.into_iter().collect_view()}</div>
                <div class="chart-plot">
                    <svg class="rollout-chart" role="img" aria-label=description.clone()
                        viewBox=format!("-2 -2 {} {}", CHART_WIDTH + 4, CHART_HEIGHT + 4) preserveAspectRatio="none">
                        {mark_lines}
                        <polyline class="line done" points=lines.done fill="none"/>
                        <polyline class="line pending" points=lines.pending fill="none"/>
                        <polyline class="line failed" points=lines.failed fill="none"/>
                    </svg>
                    <div class="phase-starts" aria-hidden="true">{marks}</div>
                </div>
                <div class="chart-times" aria-hidden="true">{times.into_iter().collect_view()}</div>
            </div>
            <p class="legend">
                <span class="key done">"up to date"</span>
                <span class="key pending">"pending"</span>
                <span class="key failed">"failed"</span>
                {format!(" · devices up, time since the start across · {description}")}
            </p>
        </section>
    }
}

/// Every device of the rollout, narrowed by outcome.
#[component]
fn DeviceOutcomes(latest: Memo<Option<Rollout>>, outcome: RwSignal<Outcome>) -> impl IntoView {
    let phase = RwSignal::new(None::<u32>);
    let sort = RwSignal::new((DeviceColumn::Planned, false));
    let phases = Memo::new(move |_| latest.with(|r| r.as_ref().map_or(0, |r| r.phase_count)));
    let kept = Memo::new(move |_| {
        let (outcome, phase, (column, desc)) = (outcome.get(), phase.get(), sort.get());
        latest.with(|r| {
            r.as_ref().map_or_else(Vec::new, |r| {
                shown_devices(&r.devices, outcome, phase, column, desc)
            })
        })
    });
    // A header that sorts by its column: ascending first, then descending.
    let header = move |column: DeviceColumn, label: &'static str| {
        let state = move || match sort.get() {
            (shown, desc) if shown == column => Some(if desc { "descending" } else { "ascending" }),
            _ => None,
        };
        view! {
            <th scope="col" aria-sort=state>
                <button type="button" class="sort" on:click=move |_| sort.update(|(shown, desc)| {
                    *desc = *shown == column && !*desc;
                    *shown = column;
                })>
                    {label}
                </button>
            </th>
        }
    };
    let rows = move || {
        kept.with(|kept| {
            kept.iter()
                .take(ROWS_SHOWN)
                .map(|device| {
                    let state = device_state_text(device.state);
                    let class = match device.state {
                        DeviceState::Succeeded => "done",
                        DeviceState::Failed => "failed",
                        _ => "",
                    };
                    let attempts = if device.attempts > 1 {
                        format!(" (attempt {})", device.attempts)
                    } else {
                        String::new()
                    };
                    view! {
                        <tr data-sid=device.sid.clone() data-state=device_state_word(device.state)>
                            <td><a href=device_href_by(&device.sid)>{device.name.clone()}</a></td>
                            <td>{device.phase + 1}</td>
                            <td class=class>{format!("{state}{attempts}")}</td>
                            <td>{device.reason.clone().unwrap_or_default()}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section class="panel" aria-labelledby="devices-heading">
            <h2 id="devices-heading">"Devices"</h2>
            <div class="toolbar">
                <label for="rollout-outcome">"Show"</label>
                <select id="rollout-outcome" prop:value=move || outcome.get().word()
                    on:change=move |ev| outcome.set(Outcome::parse(&event_target_value(&ev)))>
                    {Outcome::ALL.into_iter().map(|o| view! { <option value=o.word()>{o.word().replace('-', " ")}</option> }).collect_view()}
                </select>
                <label for="rollout-phase">"in"</label>
                <select id="rollout-phase" prop:value=move || phase.get().map_or(String::new(), |p| p.to_string())
                    on:change=move |ev| phase.set(event_target_value(&ev).parse().ok())>
                    <option value="">"every phase"</option>
                    {move || (0..phases.get()).map(|p| view! { <option value=p.to_string()>{format!("phase {}", p + 1)}</option> }).collect_view()}
                </select>
                <span class="muted" aria-live="polite">{move || {
                    let total = kept.with(Vec::len);
                    if total > ROWS_SHOWN {
                        format!("the first {ROWS_SHOWN} of {total}")
                    } else {
                        counted(total, "device")
                    }
                }}</span>
            </div>
            <div class="table-wrap">
                <table class="rollout-devices">
                    <caption class="visually-hidden">"The rollout's devices and their outcomes"</caption>
                    <thead><tr>
                        {header(DeviceColumn::Name, "Device")}
                        {header(DeviceColumn::Phase, "Phase")}
                        {header(DeviceColumn::Outcome, "Outcome")}
                        <th scope="col">"Reason"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}
