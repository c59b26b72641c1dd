//! `/audit`: the audit log, newest first, filtered by operator, device, action and outcome, with
//! the URL as its state (filters and the page's start), exports of what is shown, and for an
//! admin the check of the whole chain. A device's History tab shows the same entries for it.

use console_core::audit::{
    ACTIONS, AuditFilter, OUTCOMES, Who, action_label, action_text, changes_text, export_csv,
    export_json, outcome_text, param_fields, subject, time_text, who,
};
use console_protocol::{AuditPage as Page, AuditRecord};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{ApiError, Backend};
use crate::browser::routes::href;
use crate::browser::web::save_file;
use crate::components::{ErrorPanel, RetryNote, WriteGuard, first_api_error};
use crate::pages::shared::use_client_reporting_retries;

/// Whether this backend keeps an audit log: the console's server and the demo do; a custom
/// API URL does not.
fn kept() -> bool {
    use_context::<Backend>().is_some_and(|backend| !matches!(backend, Backend::Custom { .. }))
}

fn demo() -> bool {
    use_context::<Backend>().is_some_and(|backend| backend.is_demo())
}

const NOT_KEPT: &str =
    "A custom API URL keeps no audit log: the console's server (or the demo) keeps it.";

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| {
            let get = |key: &str| q.get(key).unwrap_or_default();
            let (operator, device, action, outcome) = (
                get("operator"),
                get("device"),
                get("action"),
                get("outcome"),
            );
            AuditFilter::from_pairs([
                ("operator", operator.as_str()),
                ("device", device.as_str()),
                ("action", action.as_str()),
                ("outcome", outcome.as_str()),
            ])
        })
    });
    let before = Memo::new(move |_| query.with(|q| q.get("before").and_then(|b| b.parse().ok())));
    view! {
        <div class="page-head">
            <h1>"Audit log"</h1>
            <VerifyChain/>
        </div>
        <p class="muted">"Every write made through this console's server: who, when, what was sent (secret values redacted), what came back and, for devices, what changed. Newest first."</p>
        <Show when=demo>
            <p class="panel demo-log">{format!("This is the demo's audit log, kept in this browser's storage: its newest {} writes, under the name \"demo\". Reset demo clears it.", console_core::audit::DEMO_KEPT)}</p>
        </Show>
        <Show when=kept fallback=|| view! { <p class="panel">{NOT_KEPT}</p> }>
            // A new form for each filter the URL holds: its draft starts from that filter.
            {move || view! { <AuditFilters applied=filter.get()/> }}
            <AuditEntries filter=filter.into() before=before.into() paged=true/>
        </Show>
    }
}

/// The filters as a form: edits stay in the form's draft until Apply puts them in the URL.
#[component]
fn AuditFilters(applied: AuditFilter) -> impl IntoView {
    let draft = RwSignal::new(applied);
    let navigate = use_navigate();
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let query = draft.get_untracked().query();
        navigate(&format!("/audit?{query}"), Default::default());
    };
    let field = move |id: &'static str,
                      label: &'static str,
                      get: fn(&AuditFilter) -> String,
                      set: fn(&mut AuditFilter, String)| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="text" prop:value=move || draft.with(get)
                on:input=move |ev| draft.update(|f| set(f, event_target_value(&ev)))/>
        }
    };
    view! {
        <form class="edit-row audit-filters" on:submit=apply>
            {field("audit-operator", "Operator", |f| f.operator.clone(), |f, v| f.operator = v)}
            {field("audit-device", "Device", |f| f.device.clone(), |f, v| f.device = v)}
            <label for="audit-action">"Action"</label>
            <select id="audit-action" prop:value=move || draft.with(|f| f.action.clone())
                on:change=move |ev| draft.update(|f| f.action = event_target_value(&ev))>
                {ACTIONS.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
            </select>
            <label for="audit-outcome">"Outcome"</label>
            <select id="audit-outcome" prop:value=move || draft.with(|f| f.outcome.clone())
                on:change=move |ev| draft.update(|f| f.outcome = event_target_value(&ev))>
                {OUTCOMES.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
            </select>
            <button type="submit">"Apply filters"</button>
            <a class="button secondary" href=href("/audit")>"Clear"</a>
        </form>
    }
}

/// One page of entries for `filter`, from `before` (newest when None); `paged` adds links to
/// older and newest pages and the exports.
#[component]
pub fn AuditEntries(
    filter: Signal<AuditFilter>,
    before: Signal<Option<i64>>,
    #[prop(optional)] paged: bool,
) -> impl IntoView {
    if !kept() {
        return view! { <p class="panel">{NOT_KEPT}</p> }.into_any();
    }
    let (client, retrying) = use_client_reporting_retries();
    let page = LocalResource::new(move || {
        let (client, query, before) = (client.clone(), filter.get().query(), before.get());
        async move { client.list_audit(&query, before).await }
    });
    let retry = Callback::new(move |()| page.refetch());
    view! {
        <RetryNote retrying/>
        <Transition fallback=|| view! { <p class="loading">"Loading the audit log…"</p> }>
            <ErrorBoundary fallback=move |errors| view! { <ErrorPanel error=first_api_error(&errors.read()) on_retry=retry/> }>
                {move || Suspend::new(async move {
                    let Page { entries, next_before } = page.await?;
                    let older = next_before.map(|seq| {
                        let query = filter.with_untracked(AuditFilter::query);
                        href(&format!("/audit?{query}&before={seq}"))
                    });
                    let newest = before.get_untracked().map(|_| {
                        href(&format!("/audit?{}", filter.with_untracked(AuditFilter::query)))
                    });
                    Ok::<_, ApiError>(if entries.is_empty() {
                        view! { <p class="empty">"No entries match."</p> }.into_any()
                    } else {
                        let (csv, json) = (export_csv(&entries), export_json(&entries));
                        view! {
                            {paged.then(|| view! {
                                <div class="toolbar">
                                    <span class="muted">{format!("{} entries shown", entries.len())}</span>
                                    <button type="button" class="secondary" on:click=move |_| save_file("audit.csv", "text/csv", &csv)>"Export CSV"</button>
                                    <button type="button" class="secondary" on:click=move |_| save_file("audit.json", "application/json", &json)>"Export JSON"</button>
                                </div>
                            })}
                            <div class="table-wrap">
                                <table class="audit">
                                    <caption class="visually-hidden">"Audit log entries"</caption>
                                    <thead><tr>
                                        <th scope="col">"#"</th>
                                        <th scope="col">"Time"</th>
                                        <th scope="col">"Operator"</th>
                                        <th scope="col">"Action"</th>
                                        <th scope="col">"Parameters"</th>
                                        <th scope="col">"Outcome"</th>
                                        <th scope="col">"Changes"</th>
                                    </tr></thead>
                                    <tbody>{entries.iter().map(entry_row).collect_view()}</tbody>
                                </table>
                            </div>
                            {paged.then(|| view! {
                                <nav class="pager" aria-label="Audit log pages">
                                    {newest.map(|link| view! { <a href=link>"Newest"</a> })}
                                    {older.map(|link| view! { <a href=link>"Older"</a> })}
                                </nav>
                            })}
                        }.into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
    .into_any()
}

fn entry_row(record: &AuditRecord) -> impl IntoView + use<> {
    let failed = !record.entry.succeeded();
    let who = match who(record) {
        Who::Person(text) => view! { {text} }.into_any(),
        Who::Rollout {
            id,
            name,
            started_by,
        } => view! {
            "rollout "
            <a href=href(&format!("/rollouts/{id}"))>{format!("'{name}'")}</a>
            {started_by.map(|by| format!(", started by {by}"))}
        }
        .into_any(),
    };
    let params = param_fields(record)
        .into_iter()
        .map(|(key, value)| view! { <dt>{key}</dt><dd>{value}</dd> })
        .collect_view();
    // The request itself, for whoever wants it, without making the row read like a log.
    let request = action_text(record);
    view! {
        <tr data-seq=record.seq class:failed=failed>
            <td>{record.seq}</td>
            <td class="nowrap">{time_text(record.entry.at_ms)}</td>
            <td class="audit-who">{who}</td>
            <td class="audit-action" title=request>
                {action_label(record)}
                {subject(record).map(|subject| view! { <span class="audit-subject">{subject}</span> })}
            </td>
            <td><dl class="params">{params}</dl></td>
            <td>{outcome_text(record)}</td>
            <td>{changes_text(record)}</td>
        </tr>
    }
}

/// "Verify the log" for admins: the server walks the whole chain.
#[component]
fn VerifyChain() -> impl IntoView {
    let client = expect_context::<crate::api::ApiClient>();
    let check = Action::new_local(move |(): &()| {
        let client = client.clone();
        async move { client.verify_audit().await }
    });
    let said = move || match check.value().get() {
        Some(Ok(verdict)) if verdict.intact => {
            format!(
                "Intact: all {} entries follow one another unchanged.",
                verdict.entries
            )
        }
        Some(Ok(verdict)) => format!(
            "Broken: {}.",
            verdict
                .problem
                .unwrap_or_else(|| "an entry does not match".to_owned())
        ),
        Some(Err(err)) => err.to_string(),
        None => String::new(),
    };
    view! {
        <div class="actions">
            <WriteGuard views=true reason="Only an admin can verify the log.">
                <button type="button" class="secondary" disabled=move || check.pending().get() || !kept()
                    on:click=move |_| { check.dispatch(()); }>"Verify the log"</button>
            </WriteGuard>
            <span role="status" class="verdict">{said}</span>
        </div>
    }
}
