//! `/alerts`: the alert rules, each with its alert's state (firing, acknowledged, silenced),
//! what operators do about one (acknowledge, silence for an hour), its history and delivery
//! log, and a form for admins to make a rule. Updated by the tab's event stream while it is
//! up, polled otherwise.

use std::time::Duration;

use console_core::alerts::{KINDS, RuleFields, state_text};
use console_core::audit::time_text;
use console_protocol::{AlertRuleView, Delivery};
use leptos::prelude::*;

use crate::api::{ApiClient, ApiError, use_live};
use crate::browser::web::now_ms;
use crate::components::{ErrorPanel, RetryNote, WriteGuard, first_api_error, write_refusal};
use crate::pages::shared::use_client_reporting_retries;

/// Polled this often while the event stream is down, and (for the counts of a firing rule,
/// which change with no event) every `LIVE_POLL` while it is up.
const POLL: Duration = Duration::from_secs(10);
const LIVE_POLL: Duration = Duration::from_secs(30);
const HOUR_MS: i64 = 3_600_000;

#[component]
pub fn AlertsPage() -> impl IntoView {
    let (client, retrying) = use_client_reporting_retries();
    let rules = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            async move { client.list_alerts().await }
        }
    });
    let live = use_live();
    if let Some(live) = live {
        live.on_stale(move |stale| {
            if stale.firing.is_some() || stale.everything {
                rules.refetch();
            }
        });
    }
    let polled = StoredValue::new(0_u64);
    crate::browser::owned::every(POLL, move || {
        let up = live.is_some_and(|live| live.connected.get_untracked());
        let ticks = polled.get_value() + 1;
        polled.set_value(ticks);
        if !up || ticks.is_multiple_of(LIVE_POLL.as_secs() / POLL.as_secs()) {
            rules.refetch();
        }
    });
    let retry = Callback::new(move |()| rules.refetch());
    let changed = Callback::new(move |()| rules.refetch());
    view! {
        <div class="page-head"><h1>"Alerts"</h1></div>
        <p class="muted">"Rules are evaluated on the server after every pass of the fleet index and every rollout step, with every browser closed, and reach people through signed webhooks. “Offline” is the API’s nearest signal: gone from the list, or not reported for a while."</p>
        <RetryNote retrying/>
        <Transition fallback=|| view! { <p class="loading">"Loading alert rules…"</p> }>
            <ErrorBoundary fallback=move |errors| view! { <ErrorPanel error=first_api_error(&errors.read()) on_retry=retry/> }>
                {move || Suspend::new(async move {
                    let list = rules.await?;
                    let now = now_ms();
                    Ok::<_, ApiError>(if list.rules.is_empty() {
                        view! { <p class="empty">"No alert rules yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="alert-rules">
                                {list.rules.into_iter().map(|rule| view! { <RuleItem rule now changed/> }).collect_view()}
                            </ul>
                        }.into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
        <NewRule client changed/>
    }
}

/// One rule: its condition and state, and what may be done about it.
#[component]
fn RuleItem(rule: AlertRuleView, now: i64, changed: Callback<()>) -> impl IntoView {
    let client = expect_context::<ApiClient>();
    let id = rule.rule.id.clone();
    let marked = id.clone();
    let about_rollouts = rule.rule.input.condition.is_about_rollouts();
    let state = state_text(&rule.state, about_rollouts, now);
    let firing = rule.state.firing;
    let acked = rule.state.ack.is_some();
    let silenced = rule.state.silenced(now);
    let act = Action::new_local({
        let (client, id) = (client.clone(), id.clone());
        move |what: &&'static str| {
            let (client, id, what) = (client.clone(), id.clone(), *what);
            async move {
                let done = match what {
                    "ack" => client.acknowledge_alert(&id, "").await.map(|_| ()),
                    "silence" => client
                        .silence_alert(&id, now_ms() + HOUR_MS)
                        .await
                        .map(|_| ()),
                    "unsilence" => client.silence_alert(&id, 0).await.map(|_| ()),
                    _ => client.delete_alert(&id).await,
                };
                if done.is_ok() {
                    changed.run(());
                }
                done
            }
        }
    });
    let failed = move || {
        act.value()
            .get()
            .and_then(Result::err)
            .map(|err| err.to_string())
    };
    let show_history = RwSignal::new(false);
    let culprits: Vec<String> = rule
        .state
        .seen
        .culprits
        .iter()
        .map(|c| {
            if c.name.is_empty() {
                c.id.clone()
            } else {
                format!("{} ({})", c.name, c.id)
            }
        })
        .collect();
    let webhooks = rule
        .webhooks
        .iter()
        .map(|w| w.url_shown.clone())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <li class="alert-rule" class:firing=firing data-rule=marked>
            <h2>{rule.rule.input.name.clone()}</h2>
            <p>{rule.rule.input.condition.describe()}</p>
            <p class="alert-state" role="status">{state}</p>
            {(firing && !culprits.is_empty()).then(|| view! { <p class="muted culprits">{culprits.join(", ")}</p> })}
            <p class="muted">{if webhooks.is_empty() { "No webhooks".to_owned() } else { format!("Webhooks: {webhooks}") }}</p>
            <WriteGuard>
                <div class="actions">
                    {(firing && !acked).then(|| view! { <button type="button" on:click=move |_| { act.dispatch("ack"); }>"Acknowledge"</button> })}
                    {if silenced {
                        view! { <button type="button" class="secondary" on:click=move |_| { act.dispatch("unsilence"); }>"Lift silence"</button> }.into_any()
                    } else {
                        view! { <button type="button" class="secondary" on:click=move |_| { act.dispatch("silence"); }>"Silence 1 h"</button> }.into_any()
                    }}
                    <button type="button" class="secondary" aria-expanded=move || show_history.get().to_string()
                        on:click=move |_| show_history.update(|shown| *shown = !*shown)>"History"</button>
                    {write_refusal(true).is_none().then(|| view! {
                        <button type="button" class="danger" on:click=move |_| { act.dispatch("delete"); }>"Delete"</button>
                    })}
                </div>
            </WriteGuard>
            {move || failed().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            {move || show_history.get().then(|| view! { <RuleHistory id=id.clone()/> })}
        </li>
    }
}

/// A rule's transitions and its delivery log, newest first.
#[component]
fn RuleHistory(id: String) -> impl IntoView {
    let client = expect_context::<ApiClient>();
    let history = LocalResource::new(move || {
        let (client, id) = (client.clone(), id.clone());
        async move { client.alert_history(&id).await }
    });
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading history…"</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(history) => view! {
                        <div class="table-wrap">
                            <table class="alert-history">
                                <caption>"Deliveries"</caption>
                                <thead><tr><th scope="col">"Transition"</th><th scope="col">"Status"</th><th scope="col">"Attempts"</th><th scope="col">"Last answer"</th><th scope="col">"Updated"</th></tr></thead>
                                <tbody>{history.deliveries.into_iter().map(delivery_row).collect_view()}</tbody>
                            </table>
                        </div>
                        <p class="muted">{format!("{} transitions kept", history.transitions.len())}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

fn delivery_row(delivery: Delivery) -> impl IntoView {
    let answer = match (delivery.last_code, delivery.last_error.as_str()) {
        (0, "") => "—".to_owned(),
        (0, error) => error.to_owned(),
        (code, "") => format!("HTTP {code}"),
        (code, error) => format!("HTTP {code}: {error}"),
    };
    view! {
        <tr>
            <td>{format!("#{} {:?}", delivery.seq, delivery.kind).to_lowercase()}</td>
            <td>{delivery.status.word()}</td>
            <td>{delivery.attempts}</td>
            <td>{answer}</td>
            <td>{time_text(delivery.updated_ms)}</td>
        </tr>
    }
}

/// The form that makes a rule (admins); the webhook's signing secret is shown once after.
#[component]
fn NewRule(client: ApiClient, changed: Callback<()>) -> impl IntoView {
    let fields = RwSignal::new(RuleFields {
        kind: "error_percent".into(),
        value: "5".into(),
        ..RuleFields::default()
    });
    let problem = RwSignal::new(None::<console_core::alerts::FieldProblem>);
    let views = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            async move { client.list_views().await.unwrap_or_default() }
        }
    });
    let create = Action::new_local(move |body: &console_protocol::AlertRuleBody| {
        let (client, body) = (client.clone(), body.clone());
        async move {
            let made = client.create_alert(&body).await;
            if made.is_ok() {
                changed.run(());
            }
            made
        }
    });
    let secret = move || {
        create
            .value()
            .get()
            .and_then(Result::ok)
            .and_then(|made| made.webhooks.first()?.secret.clone())
    };
    let failed = move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .map(|err| err.to_string())
    };
    let unit = move || {
        fields.with(|f| {
            KINDS
                .iter()
                .find(|(k, _, _)| *k == f.kind)
                .map_or("", |(_, _, unit)| *unit)
        })
    };
    let error_for = move |field: &'static str| {
        move || {
            problem.get().filter(|p| p.field == field).map(|p| view! { <span class="field-error" id=format!("{field}-error")>{p.message}</span> })
        }
    };
    let set = move |edit: fn(&mut RuleFields, String)| {
        move |ev| fields.update(|f| edit(f, event_target_value(&ev)))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match fields.with(RuleFields::request) {
            Ok(body) => {
                problem.set(None);
                create.dispatch(body);
            }
            Err(wrong) => problem.set(Some(wrong)),
        }
    };
    view! {
        <section class="panel new-alert-rule">
            <h2>"New alert rule"</h2>
            <WriteGuard views=true>
                <form on:submit=submit novalidate>
                    <label for="rule-name">"Name"</label>
                    <input id="rule-name" size="30" prop:value=move || fields.with(|f| f.name.clone()) on:input=set(|f, v| f.name = v)/>
                    {error_for("rule-name")}
                    <label for="rule-view">"Devices"</label>
                    <select id="rule-view" on:change=set(|f, v| f.view = v)>
                        <option value="">"The whole fleet"</option>
                        {move || views.get().unwrap_or_default().into_iter().map(|view| view! { <option value=view.id.clone()>{format!("Saved view: {}", view.name)}</option> }).collect_view()}
                    </select>
                    <label for="rule-kind">"Condition"</label>
                    <select id="rule-kind" on:change=set(|f, v| f.kind = v)>
                        {KINDS.into_iter().map(|(value, label, _)| view! { <option value=value selected=move || fields.with(|f| f.kind == value)>{label}</option> }).collect_view()}
                    </select>
                    {error_for("rule-kind")}
                    <Show when=move || !unit().is_empty()>
                        <label for="rule-value">{move || format!("At least ({})", unit())}</label>
                        <input id="rule-value" inputmode="decimal" size="8" prop:value=move || fields.with(|f| f.value.clone()) on:input=set(|f, v| f.value = v)/>
                        {error_for("rule-value")}
                    </Show>
                    <label for="rule-webhook">"Webhook URL (optional)"</label>
                    <input id="rule-webhook" type="url" size="50" prop:value=move || fields.with(|f| f.webhook.clone()) on:input=set(|f, v| f.webhook = v)/>
                    {error_for("rule-webhook")}
                    <label class="inline"><input type="checkbox" id="rule-slack" on:change=move |ev| fields.update(|f| f.slack = event_target_checked(&ev))/>"Slack-compatible body"</label>
                    <label for="rule-reminder">"Remind every (minutes, optional)"</label>
                    <input id="rule-reminder" inputmode="numeric" size="6" prop:value=move || fields.with(|f| f.reminder.clone()) on:input=set(|f, v| f.reminder = v)/>
                    {error_for("rule-reminder")}
                    <button type="submit" disabled=move || create.pending().get()>"Create rule"</button>
                </form>
            </WriteGuard>
            {move || failed().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            {move || secret().map(|secret| view! {
                <p class="panel note" role="status">"Signing secret, shown once: " <code class="secret">{secret}</code></p>
            })}
        </section>
    }
}
