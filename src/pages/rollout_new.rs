use console_core::rollout_form::{PlanDraft, Preset};
use console_protocol::{NewRollout, RolloutPreview, RolloutSource};
use fleet_engine::DeviceFilter;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use microvisor_api::url::encode_segment;

use crate::api::ApiError;
use crate::components::{ConfirmDialog, RetryNote, WriteGuard};
use crate::fleet::handoff::SelectionForRollout;
use crate::pages::shared::{DemoRolloutNote, use_apps, use_client_reporting_retries};

/// Where the rollout's devices come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceKind {
    View,
    Selection,
    Filter,
}

/// `/rollouts/new`: target, devices, plan; a preview; then, once confirmed, the start.
/// `?view=ID` starts from a saved view; `?source=selection` from the devices just selected.
#[component]
pub fn NewRolloutPage() -> impl IntoView {
    let (client, retrying) = use_client_reporting_retries();
    let (apps, _) = use_apps(&client);
    let query = use_query_map();
    let views = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            async move { client.list_views().await }
        }
    });
    let selection = SelectionForRollout::get()
        .map(|s| s.0.get_untracked())
        .unwrap_or_default();
    let selected_count = selection.len();
    let (first_view, wants_selection) = query.with_untracked(|q| {
        (
            q.get("view").unwrap_or_default(),
            q.get("source").as_deref() == Some("selection"),
        )
    });

    let name = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let source = RwSignal::new(if wants_selection && selected_count > 0 {
        SourceKind::Selection
    } else if !first_view.is_empty() {
        SourceKind::View
    } else {
        SourceKind::Filter
    });
    let view_id = RwSignal::new(first_view);
    let filter = RwSignal::new(DeviceFilter::default());
    let draft = RwSignal::new(PlanDraft::default());
    let use_window = RwSignal::new(false);
    let window = RwSignal::new(("0".to_owned(), "6".to_owned()));

    // The request as the form stands, or what is wrong with it.
    let request = Memo::new(move |_| -> Result<NewRollout, String> {
        let mut plan_draft = draft.get();
        plan_draft.window = use_window.get().then(|| window.get());
        let plan = plan_draft.plan()?;
        if target.with(String::is_empty) {
            return Err("Choose the app to roll out.".to_owned());
        }
        let source = match source.get() {
            SourceKind::View => {
                let id = view_id.get();
                if id.is_empty() {
                    return Err("Choose a saved view.".to_owned());
                }
                RolloutSource::View { id }
            }
            SourceKind::Selection => RolloutSource::Devices {
                sids: selection.clone(),
            },
            SourceKind::Filter => RolloutSource::Filter {
                filter: filter.get(),
            },
        };
        Ok(NewRollout {
            name: name.get(),
            target_app: target.get(),
            source,
            plan,
        })
    });
    let problem = move || request.with(|r| r.as_ref().err().cloned());

    let preview = Action::new_local({
        let client = client.clone();
        move |request: &NewRollout| {
            let (client, request) = (client.clone(), request.clone());
            async move { client.preview_rollout(&request).await }
        }
    });
    let create = Action::new_local({
        let client = client.clone();
        move |request: &NewRollout| {
            let (client, request) = (client.clone(), request.clone());
            async move { client.create_rollout(&request).await }
        }
    });
    // A preview belongs to the form it was made from: any change asks for a new one.
    let previewed = RwSignal::new(None::<(NewRollout, RolloutPreview)>);
    Effect::new(move || {
        if let (Some(Ok(shown)), Ok(asked)) = (preview.value().get(), request.get_untracked()) {
            previewed.set(Some((asked, shown)));
        }
    });
    let current_preview = move || {
        previewed.with(|p| {
            p.as_ref().and_then(|(asked, shown)| {
                request.with(|now| (now.as_ref().ok() == Some(asked)).then(|| shown.clone()))
            })
        })
    };
    let confirm_open = RwSignal::new(false);
    let confirm_message = Signal::derive(move || match current_preview() {
        Some(p) => format!(
            "Start rolling out {} to {} devices in {} phases ({})? {} already on it will be skipped.",
            p.target_name,
            p.devices - p.skipped.len(),
            p.phase_sizes.len(),
            p.phase_sizes
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            p.skipped.len()
        ),
        None => String::new(),
    });
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(created)) = create.value().get() {
            navigate(
                &format!("/rollouts/{}", encode_segment(&created.rollout.id)),
                Default::default(),
            );
        }
    });
    let on_confirm = Callback::new(move |()| {
        if let Ok(request) = request.get_untracked() {
            create.dispatch(request);
        }
    });
    let failure = move || {
        let of = |error: Option<ApiError>| error.map(|e| e.to_string());
        of(preview.value().get().and_then(Result::err))
            .or_else(|| of(create.value().get().and_then(Result::err)))
    };

    let set_draft = move |change: fn(&mut PlanDraft, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            draft.update(|d| change(d, value));
        }
    };

    view! {
        <h1>"New rollout"</h1>
        <DemoRolloutNote/>
        <RetryNote retrying/>
        <form class="panel rollout-form" on:submit=move |ev| {
            ev.prevent_default();
            if let Ok(request) = request.get_untracked() {
                preview.dispatch(request);
            }
        }>
            <div class="field">
                <label for="rollout-name">"Name"</label>
                <input id="rollout-name" type="text" required maxlength="100" placeholder="e.g. firmware 2.1 to Perth"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="rollout-target">"App to roll out"</label>
                <select id="rollout-target" prop:value=move || target.get() on:change=move |ev| target.set(event_target_value(&ev))>
                    <option value="">"Choose an app…"</option>
                    {move || apps.get().and_then(Result::ok).map(|page| page.items).unwrap_or_default().into_iter().filter_map(|app| {
                        let sid = app.sid?;
                        let label = match app.unique_name {
                            Some(name) => format!("{name} ({sid})"),
                            None => sid.clone(),
                        };
                        Some(view! { <option value=sid>{label}</option> })
                    }).collect_view()}
                </select>
            </div>
            <fieldset>
                <legend>"Devices"</legend>
                <label class="choice">
                    <input type="radio" name="rollout-source" prop:checked=move || source.get() == SourceKind::Filter
                        on:change=move |_| source.set(SourceKind::Filter)/>
                    "Every device matching a filter"
                </label>
                <label class="choice">
                    <input type="radio" name="rollout-source" prop:checked=move || source.get() == SourceKind::View
                        on:change=move |_| source.set(SourceKind::View)/>
                    "A saved view"
                </label>
                <label class="choice">
                    <input type="radio" name="rollout-source" disabled=selected_count == 0
                        prop:checked=move || source.get() == SourceKind::Selection
                        on:change=move |_| source.set(SourceKind::Selection)/>
                    {if selected_count == 0 {
                        "The devices selected on the Devices or Fleet page (none selected)".to_owned()
                    } else {
                        format!("The {selected_count} devices selected")
                    }}
                </label>
                <Show when=move || source.get() == SourceKind::View>
                    <div class="field">
                        <label for="rollout-view">"Saved view"</label>
                        <select id="rollout-view" prop:value=move || view_id.get() on:change=move |ev| view_id.set(event_target_value(&ev))>
                            <option value="">"Choose a view…"</option>
                            {move || views.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|v| {
                                view! { <option value=v.id.clone()>{v.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                        <p class="muted">"The view's devices are found when the rollout starts, then kept."</p>
                    </div>
                </Show>
                <Show when=move || source.get() == SourceKind::Filter>
                    <div class="field">
                        <label for="rollout-filter-text">"Devices whose SID, name or app contains (empty: every device)"</label>
                        <input id="rollout-filter-text" type="search" prop:value=move || filter.with(|f| f.text.clone())
                            on:input=move |ev| filter.update(|f| f.text = event_target_value(&ev))/>
                    </div>
                    <div class="field">
                        <label for="rollout-filter-status">"Update status"</label>
                        <select id="rollout-filter-status" prop:value=move || filter.with(|f| f.status.clone().unwrap_or_default())
                            on:change=move |ev| {
                                let value = event_target_value(&ev);
                                filter.update(|f| f.status = (!value.is_empty()).then_some(value));
                            }>
                            <option value="">"any"</option>
                            <option value="up-to-date">"up-to-date"</option>
                            <option value="pending">"pending"</option>
                            <option value="error">"error"</option>
                        </select>
                    </div>
                </Show>
            </fieldset>
            <fieldset>
                <legend>"Plan"</legend>
                <div class="field">
                    <label for="rollout-preset">"Phases"</label>
                    <select id="rollout-preset" prop:value=move || draft.with(|d| d.preset.key())
                        on:change=set_draft(|d, v| d.preset = Preset::from_key(&v))>
                        {Preset::ALL.into_iter().map(|(_, key, label)| view! { <option value=key>{label}</option> }).collect_view()}
                    </select>
                </div>
                <Show when=move || draft.with(|d| d.preset == Preset::Batches)>
                    <div class="field">
                        <label for="rollout-batch">"Devices per batch"</label>
                        <input id="rollout-batch" type="number" min="1" prop:value=move || draft.with(|d| d.batch.clone())
                            on:input=set_draft(|d, v| d.batch = v)/>
                    </div>
                </Show>
                <Show when=move || draft.with(|d| d.preset == Preset::Custom)>
                    <div class="field">
                        <label for="rollout-phases">"Phase sizes: counts or cumulative percentages, comma separated"</label>
                        <input id="rollout-phases" type="text" prop:value=move || draft.with(|d| d.phases.clone())
                            on:input=set_draft(|d, v| d.phases = v)/>
                    </div>
                </Show>
                <div class="field">
                    <label for="rollout-soak">"Soak time after each phase (minutes)"</label>
                    <input id="rollout-soak" type="number" min="0" prop:value=move || draft.with(|d| d.soak_minutes.clone())
                        on:input=set_draft(|d, v| d.soak_minutes = v)/>
                </div>
                <label class="choice">
                    <input id="rollout-approval" type="checkbox" prop:checked=move || draft.with(|d| d.approval)
                        on:change=move |ev| draft.update(|d| d.approval = event_target_checked(&ev))/>
                    "Wait for my approval before each next phase"
                </label>
                <div class="field">
                    <label for="rollout-threshold">"Halt when a phase has failed (count, or % of the phase)"</label>
                    <input id="rollout-threshold" type="text" prop:value=move || draft.with(|d| d.threshold.clone())
                        on:input=set_draft(|d, v| d.threshold = v)/>
                </div>
                <div class="field">
                    <label for="rollout-concurrency">"Writes at once"</label>
                    <input id="rollout-concurrency" type="number" min="1" max="64" prop:value=move || draft.with(|d| d.concurrency.clone())
                        on:input=set_draft(|d, v| d.concurrency = v)/>
                </div>
                <div class="field">
                    <label for="rollout-timeout">"A device fails if not up to date after (minutes)"</label>
                    <input id="rollout-timeout" type="number" min="1" prop:value=move || draft.with(|d| d.timeout_minutes.clone())
                        on:input=set_draft(|d, v| d.timeout_minutes = v)/>
                </div>
            </fieldset>
            <fieldset>
                <legend>"Schedule (UTC)"</legend>
                <div class="field">
                    <label for="rollout-start">"Start at (empty: now)"</label>
                    <input id="rollout-start" type="datetime-local" prop:value=move || draft.with(|d| d.start_at.clone())
                        on:input=set_draft(|d, v| d.start_at = v)/>
                </div>
                <label class="choice">
                    <input id="rollout-use-window" type="checkbox" prop:checked=move || use_window.get()
                        on:change=move |ev| use_window.set(event_target_checked(&ev))/>
                    "Write devices only within a daily maintenance window"
                </label>
                <Show when=move || use_window.get()>
                    <div class="edit-row">
                        <label for="rollout-window-start">"From hour"</label>
                        <input id="rollout-window-start" type="number" min="0" max="23" class="hours" prop:value=move || window.with(|w| w.0.clone())
                            on:input=move |ev| window.update(|w| w.0 = event_target_value(&ev))/>
                        <label for="rollout-window-end">"until hour"</label>
                        <input id="rollout-window-end" type="number" min="0" max="24" class="hours" prop:value=move || window.with(|w| w.1.clone())
                            on:input=move |ev| window.update(|w| w.1 = event_target_value(&ev))/>
                    </div>
                </Show>
            </fieldset>
            <p class="field-error" role="alert">{problem}</p>
            <div class="actions">
                <button type="submit" disabled=move || problem().is_some() || preview.pending().get()>
                    {move || if preview.pending().get() { "Previewing…" } else { "Preview" }}
                </button>
                <WriteGuard>
                    <button type="button" disabled=move || current_preview().is_none() || create.pending().get()
                        on:click=move |_| confirm_open.set(true)>
                        "Start rollout…"
                    </button>
                </WriteGuard>
            </div>
            <p class="field-error" role="alert">{failure}</p>
        </form>
        {move || current_preview().map(|p| view! { <PreviewPanel preview=p/> })}
        <ConfirmDialog open=confirm_open title="Start rollout" message=confirm_message confirm_label="Start rollout" on_confirm/>
    }
}

#[component]
fn PreviewPanel(preview: RolloutPreview) -> impl IntoView {
    let phases = preview
        .phase_sizes
        .iter()
        .enumerate()
        .map(|(i, size)| view! { <li>{format!("Phase {}: {size} devices", i + 1)}</li> })
        .collect_view();
    let first = preview
        .first_phase
        .iter()
        .map(|(name, before, after)| {
            view! { <tr><td>{name.clone()}</td><td>{before.clone()}</td><td>{after.clone()}</td></tr> }
        })
        .collect_view();
    let skipped = preview.skipped.len();
    view! {
        <section class="panel preview" aria-labelledby="preview-heading">
            <h2 id="preview-heading">"Preview"</h2>
            <p class="preview-summary">{format!(
                "{} devices: {} to write in {} phases, {skipped} skipped (already on {}).",
                preview.devices,
                preview.devices - skipped,
                preview.phase_sizes.len(),
                preview.target_name
            )}</p>
            <ol class="phases">{phases}</ol>
            <h3>"First phase"</h3>
            <div class="table-wrap">
                <table class="preview-first">
                    <caption class="visually-hidden">"The first phase's devices, app before and after"</caption>
                    <thead><tr><th scope="col">"Device"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
                    <tbody>{first}</tbody>
                </table>
            </div>
            <Show when=move || skipped != 0>
                <details>
                    <summary>{format!("Skipped as already on target ({skipped})")}</summary>
                    <ul class="skipped">{preview.skipped.iter().map(|name| view! { <li>{name.clone()}</li> }).collect_view()}</ul>
                </details>
            </Show>
        </section>
    }
}
