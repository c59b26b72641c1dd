//! `/rollouts/new`: target, devices, plan; a preview; then, once confirmed, the start. The
//! form's state is one `RolloutFields` (console-core, which also makes the request from it);
//! each fieldset is a component of its own.

use console_core::display::counted;
use console_core::rollout_form::{Preset, RolloutFields, SourceKind, reach_text};
use console_protocol::{FleetQuery, NewRollout, RolloutPreview};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use microvisor_api::App;
use microvisor_api::url::encode_segment;

use crate::api::{ApiClient, ApiError};
use crate::browser::owned::OwnedTimeout;
use crate::components::{ConfirmDialog, RetryNote, WriteGuard};
use crate::fleet::handoff::SelectionForRollout;
use crate::pages::shared::{DemoRolloutNote, use_apps, use_client_reporting_retries};

type Fields = RwSignal<RolloutFields>;

/// The form is counted again once it has been still this long.
const REACH_PAUSE: std::time::Duration = std::time::Duration::from_millis(400);

/// Whether the field `id` has a problem now (its `aria-invalid`).
fn invalid(fields: Fields, id: &'static str) -> impl Fn() -> Option<&'static str> {
    move || {
        fields
            .with(|f| f.problems().iter().any(|(field, _)| *field == id))
            .then_some("true")
    }
}

/// The problem of the field `id`, beside it; nothing while it has none.
#[component]
fn FieldProblem(fields: Fields, id: &'static str) -> impl IntoView {
    let problem = move || {
        fields.with(|f| {
            f.problems()
                .into_iter()
                .find_map(|(field, problem)| (field == id).then_some(problem))
        })
    };
    view! { <p class="field-error" id=format!("{id}-error")>{problem}</p> }
}

/// An input's value bound to one text field of the form.
fn text_of(fields: Fields, get: fn(&RolloutFields) -> &String) -> impl Fn() -> String {
    move || fields.with(|f| get(f).clone())
}

/// `on:input`/`on:change` writing one field of the form.
fn set_in(
    fields: Fields,
    set: fn(&mut RolloutFields, String),
) -> impl Fn(leptos::ev::Event) + Clone {
    move |ev| {
        let value = event_target_value(&ev);
        fields.update(|f| set(f, value));
    }
}

/// `?view=ID` starts from a saved view; `?source=selection` from the devices just selected;
/// `?filter=JSON` from a filter; `?app=ID` with that app to roll out.
#[component]
pub fn NewRolloutPage() -> impl IntoView {
    let (client, retrying) = use_client_reporting_retries();
    let query = use_query_map();
    let selection = StoredValue::new(
        SelectionForRollout::get()
            .map(|s| s.0.get_untracked())
            .unwrap_or_default(),
    );
    let selected = selection.with_value(Vec::len);
    // `?app=KA…` (from an app's page) starts with that app chosen.
    // `?filter=…` (from the Fleet page's "Select all N matching") starts on that filter.
    let fields: Fields = RwSignal::new(query.with_untracked(|q| {
        RolloutFields {
            target: q.get("app").unwrap_or_default(),
            filter: q
                .get("filter")
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default(),
            ..RolloutFields::opening(
                q.get("view").unwrap_or_default(),
                q.get("source").as_deref() == Some("selection"),
                selected,
            )
        }
    }));
    let request = Memo::new(move |_| fields.with(|f| selection.with_value(|s| f.request(s))));
    let problem = move || request.with(|r| r.as_ref().err().cloned());
    // The preview answers the request it was made from: it is shown only while the form
    // still asks for exactly that.
    let preview = Action::new_local({
        let client = client.clone();
        move |request: &NewRollout| {
            let (client, request) = (client.clone(), request.clone());
            async move {
                let answer = client.preview_rollout(&request).await;
                (request, answer)
            }
        }
    });
    let current_preview = Signal::derive(move || {
        preview.value().with(|done| match done {
            Some((asked, Ok(shown))) => {
                request.with(|now| (now.as_ref().ok() == Some(asked)).then(|| shown.clone()))
            }
            _ => None,
        })
    });
    let navigate = use_navigate();
    let create = Action::new_local({
        let client = client.clone();
        move |request: &NewRollout| {
            let (client, request, navigate) = (client.clone(), request.clone(), navigate.clone());
            async move {
                let created = client.create_rollout(&request).await;
                if let Ok(created) = &created {
                    let path = format!("/rollouts/{}", encode_segment(&created.rollout.id));
                    navigate(&path, Default::default());
                }
                created
            }
        }
    });
    let confirm_open = RwSignal::new(false);
    let on_confirm = Callback::new(move |()| {
        if let Ok(request) = request.get_untracked() {
            create.dispatch(request);
        }
    });
    let failure = move || {
        let preview_failed = preview
            .value()
            .with(|v| v.as_ref().and_then(|(_, r)| r.as_ref().err().cloned()));
        let create_failed = create
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned()));
        preview_failed
            .or(create_failed)
            .map(|e: ApiError| e.to_string())
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
            <NameAndApp fields client=client.clone()/>
            <DeviceSource fields selected client=client.clone()/>
            <Reach request client=client.clone()/>
            <PlanFields fields/>
            <ScheduleFields fields/>
            <p class="field-error" role="status">{move || match fields.with(|f| f.problems().len()) {
                0 => String::new(),
                1 => "One field needs attention: see beside it.".to_owned(),
                n => format!("{n} fields need attention: see beside each."),
            }}</p>
            <div class="actions">
                <button type="submit" disabled=move || problem().is_some() || preview.pending().get()>
                    {move || if preview.pending().get() { "Previewing…" } else { "Preview" }}
                </button>
                <WriteGuard>
                    <button type="button" disabled=move || current_preview.with(Option::is_none) || create.pending().get()
                        on:click=move |_| confirm_open.set(true)>
                        "Start rollout…"
                    </button>
                </WriteGuard>
            </div>
            <p class="field-error" role="alert">{failure}</p>
        </form>
        {move || current_preview.get().map(|p| view! { <PreviewPanel preview=p/> })}
        <ConfirmDialog open=confirm_open title="Start rollout"
            message=Signal::derive(move || current_preview.with(|p| p.as_ref().map(confirm_text).unwrap_or_default()))
            confirm_label="Start rollout" on_confirm/>
    }
}

/// What the confirmation asks, with the preview's figures.
fn confirm_text(p: &RolloutPreview) -> String {
    format!(
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
    )
}

/// An app as the picker lists it: its name, its SID, its hash's first characters and, when
/// known, how many devices target it now.
fn app_choice(app: &App, targeting: Option<u64>) -> String {
    let sid = app.sid.as_deref().unwrap_or_default();
    let mut label = match &app.unique_name {
        Some(name) => format!("{name} ({sid})"),
        None => sid.to_owned(),
    };
    if let Some(hash) = app.hash.as_deref().filter(|hash| !hash.is_empty()) {
        label.push_str(&format!(" · {}", hash.chars().take(8).collect::<String>()));
    }
    if let Some(count) = targeting {
        label.push_str(&format!(
            " · {} target it",
            counted(count as usize, "device")
        ));
    }
    label
}

/// How far the form reaches, as it is typed: the preview's figures, asked once the form has
/// been still for a moment (a request per pause, not per keystroke).
#[component]
fn Reach(request: Memo<Result<NewRollout, String>>, client: ApiClient) -> impl IntoView {
    let settled = RwSignal::new(None::<NewRollout>);
    let pause = OwnedTimeout::new();
    Effect::new(move |_| {
        let asked = request.get().ok();
        pause.set(move || settled.set(asked), REACH_PAUSE);
    });
    let reach = LocalResource::new(move || {
        let (client, asked) = (client.clone(), settled.get());
        async move {
            match asked {
                Some(asked) => Some(client.preview_rollout(&asked).await),
                None => None,
            }
        }
    });
    view! {
        <p class="reach" role="status" aria-live="polite">{move || match reach.get().flatten() {
            Some(Ok(preview)) => view! {
                <span data-devices=preview.devices>{reach_text(&preview)}</span>
            }.into_any(),
            Some(Err(err)) => view! { <span class="field-error">{format!("Could not count the devices: {err}")}</span> }.into_any(),
            None => view! { <span class="muted">"The devices it reaches show here once the app and devices are chosen."</span> }.into_any(),
        }}</p>
    }
}

/// The rollout's name and the app it rolls out.
#[component]
fn NameAndApp(fields: Fields, client: ApiClient) -> impl IntoView {
    let (apps, _) = use_apps(&client);
    // How many devices target each app now: the fleet index knows, where the server keeps one.
    let targets = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            async move {
                if !client.has_index() {
                    return None;
                }
                let counts = client.fleet_counts(&FleetQuery::default()).await.ok()?;
                Some(counts.by_target)
            }
        }
    });
    let targets = move || targets.get().flatten();
    view! {
        <div class="field">
            <label for="rollout-name">"Name"</label>
            <input id="rollout-name" type="text" required maxlength="100" placeholder="e.g. firmware 2.1 to Perth"
                prop:value=text_of(fields, |f| &f.name) on:input=set_in(fields, |f, v| f.name = v)/>
        </div>
        <div class="field">
            <label for="rollout-target">"App to roll out"</label>
            <select id="rollout-target" aria-describedby="rollout-target-error" aria-invalid=invalid(fields, "rollout-target") prop:value=text_of(fields, |f| &f.target) on:change=set_in(fields, |f, v| f.target = v)>
                <option value="">"Choose an app…"</option>
                {move || apps.get().and_then(Result::ok).map(|page| page.items).unwrap_or_default().into_iter().filter_map(|app| {
                    let sid = app.sid.clone()?;
                    let targeting = targets().and_then(|counts| counts.get(&sid).copied());
                    let label = app_choice(&app, targeting);
                    // Chosen as it appears: the apps arrive after the form, and a select's value
                    // set before its option exists does not stick.
                    let chosen = {
                        let sid = sid.clone();
                        move || fields.with(|f| f.target == sid)
                    };
                    Some(view! { <option value=sid selected=chosen>{label}</option> })
                }).collect_view()}
            </select>
                <FieldProblem fields id="rollout-target"/>
        </div>
    }
}

/// Where the devices come from: a filter, a saved view, or the devices just selected.
#[component]
fn DeviceSource(fields: Fields, selected: usize, client: ApiClient) -> impl IntoView {
    let views = LocalResource::new(move || {
        let client = client.clone();
        async move { client.list_views().await }
    });
    let is = move |kind: SourceKind| move || fields.with(|f| f.source == kind);
    let choose = move |kind: SourceKind| move |_| fields.update(|f| f.source = kind);
    view! {
        <fieldset>
            <legend>"Devices"</legend>
            <label class="choice">
                <input type="radio" name="rollout-source" prop:checked=is(SourceKind::Filter)
                    on:change=choose(SourceKind::Filter)/>
                "Every device matching a filter"
            </label>
            <label class="choice">
                <input type="radio" name="rollout-source" prop:checked=is(SourceKind::View)
                    on:change=choose(SourceKind::View)/>
                "A saved view"
            </label>
            <label class="choice">
                <input type="radio" name="rollout-source" disabled=selected == 0
                    prop:checked=is(SourceKind::Selection) on:change=choose(SourceKind::Selection)/>
                {if selected == 0 {
                    "The devices selected on the Devices or Fleet page (none selected)".to_owned()
                } else {
                    format!("The {} selected", counted(selected, "device"))
                }}
            </label>
            <Show when=is(SourceKind::View)>
                <div class="field">
                    <label for="rollout-view">"Saved view"</label>
                    <select id="rollout-view" aria-describedby="rollout-view-error" aria-invalid=invalid(fields, "rollout-view") prop:value=text_of(fields, |f| &f.view_id) on:change=set_in(fields, |f, v| f.view_id = v)>
                        <option value="">"Choose a view…"</option>
                        {move || views.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|v| {
                            view! { <option value=v.id.clone()>{v.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                <FieldProblem fields id="rollout-view"/>
                    <p class="muted">"The view's devices are found when the rollout starts, then kept."</p>
                </div>
            </Show>
            <Show when=is(SourceKind::Filter)>
                <div class="field">
                    <label for="rollout-filter-text">"Devices whose SID, name or app contains (empty: every device)"</label>
                    <input id="rollout-filter-text" type="search" prop:value=text_of(fields, |f| &f.filter.text)
                        on:input=set_in(fields, |f, v| f.filter.text = v)/>
                </div>
                <div class="field">
                    <label for="rollout-filter-status">"Update status"</label>
                    <select id="rollout-filter-status" prop:value=move || fields.with(|f| f.filter.status.clone().unwrap_or_default())
                        on:change=set_in(fields, |f, v| f.filter.status = (!v.is_empty()).then_some(v))>
                        <option value="">"any"</option>
                        <option value="up-to-date">"up-to-date"</option>
                        <option value="pending">"pending"</option>
                        <option value="error">"error"</option>
                    </select>
                </div>
            </Show>
        </fieldset>
    }
}

/// The phases, soak, approval, threshold, concurrency and per-device timeout.
#[component]
fn PlanFields(fields: Fields) -> impl IntoView {
    let preset_is = move |preset: Preset| move || fields.with(|f| f.draft.preset == preset);
    view! {
        <fieldset>
            <legend>"Plan"</legend>
            <div class="field">
                <label for="rollout-preset">"Phases"</label>
                <select id="rollout-preset" prop:value=move || fields.with(|f| f.draft.preset.key())
                    on:change=set_in(fields, |f, v| f.draft.preset = Preset::from_key(&v))>
                    {Preset::ALL.into_iter().map(|(_, key, label)| view! { <option value=key>{label}</option> }).collect_view()}
                </select>
            </div>
            <Show when=preset_is(Preset::Batches)>
                <div class="field">
                    <label for="rollout-batch">"Devices per batch"</label>
                    <input id="rollout-batch" aria-describedby="rollout-batch-error" aria-invalid=invalid(fields, "rollout-batch") type="number" min="1" prop:value=text_of(fields, |f| &f.draft.batch)
                        on:input=set_in(fields, |f, v| f.draft.batch = v)/>
                <FieldProblem fields id="rollout-batch"/>
                </div>
            </Show>
            <Show when=preset_is(Preset::Custom)>
                <div class="field">
                    <label for="rollout-phases">"Phase sizes: counts or cumulative percentages, comma separated"</label>
                    <input id="rollout-phases" aria-describedby="rollout-phases-error" aria-invalid=invalid(fields, "rollout-phases") type="text" prop:value=text_of(fields, |f| &f.draft.phases)
                        on:input=set_in(fields, |f, v| f.draft.phases = v)/>
                <FieldProblem fields id="rollout-phases"/>
                </div>
            </Show>
            <div class="field">
                <label for="rollout-soak">"Soak time after each phase (minutes)"</label>
                <input id="rollout-soak" aria-describedby="rollout-soak-error" aria-invalid=invalid(fields, "rollout-soak") type="number" min="0" prop:value=text_of(fields, |f| &f.draft.soak_minutes)
                    on:input=set_in(fields, |f, v| f.draft.soak_minutes = v)/>
                <FieldProblem fields id="rollout-soak"/>
            </div>
            <label class="choice">
                <input id="rollout-approval" type="checkbox" prop:checked=move || fields.with(|f| f.draft.approval)
                    on:change=move |ev| fields.update(|f| f.draft.approval = event_target_checked(&ev))/>
                "Wait for my approval before each next phase"
            </label>
            <div class="field">
                <label for="rollout-threshold">"Halt when a phase has failed (count, or % of the phase)"</label>
                <input id="rollout-threshold" aria-describedby="rollout-threshold-error" aria-invalid=invalid(fields, "rollout-threshold") type="text" prop:value=text_of(fields, |f| &f.draft.threshold)
                    on:input=set_in(fields, |f, v| f.draft.threshold = v)/>
                <FieldProblem fields id="rollout-threshold"/>
            </div>
            <div class="field">
                <label for="rollout-concurrency">"Writes at once"</label>
                <input id="rollout-concurrency" aria-describedby="rollout-concurrency-error" aria-invalid=invalid(fields, "rollout-concurrency") type="number" min="1" max="64" prop:value=text_of(fields, |f| &f.draft.concurrency)
                    on:input=set_in(fields, |f, v| f.draft.concurrency = v)/>
                <FieldProblem fields id="rollout-concurrency"/>
            </div>
            <div class="field">
                <label for="rollout-timeout">"A device fails if not up to date after (minutes)"</label>
                <input id="rollout-timeout" aria-describedby="rollout-timeout-error" aria-invalid=invalid(fields, "rollout-timeout") type="number" min="1" prop:value=text_of(fields, |f| &f.draft.timeout_minutes)
                    on:input=set_in(fields, |f, v| f.draft.timeout_minutes = v)/>
                <FieldProblem fields id="rollout-timeout"/>
            </div>
        </fieldset>
    }
}

/// When to start, and the daily window writes keep to.
#[component]
fn ScheduleFields(fields: Fields) -> impl IntoView {
    let windowed = move || fields.with(|f| f.use_window);
    view! {
        <fieldset>
            <legend>"Schedule (UTC)"</legend>
            <div class="field">
                <label for="rollout-start">"Start at (empty: now)"</label>
                <input id="rollout-start" aria-describedby="rollout-start-error" aria-invalid=invalid(fields, "rollout-start") type="datetime-local" prop:value=text_of(fields, |f| &f.draft.start_at)
                    on:input=set_in(fields, |f, v| f.draft.start_at = v)/>
                <FieldProblem fields id="rollout-start"/>
            </div>
            <label class="choice">
                <input id="rollout-use-window" type="checkbox" prop:checked=windowed
                    on:change=move |ev| fields.update(|f| f.use_window = event_target_checked(&ev))/>
                "Write devices only within a daily maintenance window"
            </label>
            <Show when=windowed>
                <div class="edit-row">
                    <label for="rollout-window-start">"From hour"</label>
                    <input id="rollout-window-start" aria-describedby="rollout-window-start-error" aria-invalid=invalid(fields, "rollout-window-start") type="number" min="0" max="23" class="hours" prop:value=text_of(fields, |f| &f.window.0)
                        on:input=set_in(fields, |f, v| f.window.0 = v)/>
                <FieldProblem fields id="rollout-window-start"/>
                    <label for="rollout-window-end">"until hour"</label>
                    <input id="rollout-window-end" aria-describedby="rollout-window-end-error" aria-invalid=invalid(fields, "rollout-window-end") type="number" min="0" max="24" class="hours" prop:value=text_of(fields, |f| &f.window.1)
                        on:input=set_in(fields, |f, v| f.window.1 = v)/>
                <FieldProblem fields id="rollout-window-end"/>
                </div>
            </Show>
        </fieldset>
    }
}

#[component]
fn PreviewPanel(preview: RolloutPreview) -> impl IntoView {
    let phases = preview
        .phase_sizes
        .iter()
        .enumerate()
        .map(|(i, size)| view! { <li>{format!("Phase {}: {}", i + 1, counted(*size, "device"))}</li> })
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
            <p class="preview-summary" data-devices=preview.devices>{format!(
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
