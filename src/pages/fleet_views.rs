//! The Fleet page's saved views: named filters kept by the console's server (or, in the demo,
//! this browser), shared by everyone who uses it. The URL names the open view
//! (`/fleet?view=ID`), so a view can be bookmarked and sent to a colleague.

use console_protocol::{SavedView, ViewInput};
use fleet_engine::DeviceFilter;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use microvisor_api::url::encode_segment;

use crate::api::{ApiClient, ApiError};
use crate::browser::routes::href;
use crate::components::{ConfirmDialog, WriteGuard};

/// The Fleet page with view `id` open, as the router knows it (without the base).
fn view_path(id: &str) -> String {
    format!("/fleet?view={}", encode_segment(id))
}

fn view_href(id: &str) -> String {
    href(&view_path(id))
}

/// The writes on views, each a local action; the list reads again after any of them.
#[derive(Clone, Copy)]
struct ViewActions {
    save: Action<ViewInput, Result<SavedView, ApiError>>,
    update: Action<(String, ViewInput), Result<SavedView, ApiError>>,
    delete: Action<String, Result<(), ApiError>>,
}

impl ViewActions {
    /// The first failure to show, of the writes or of `load_error`.
    fn failure(self, load_error: Option<ApiError>) -> Option<String> {
        let of = |e: Option<ApiError>| e.map(|e| e.to_string());
        of(self.save.value().get().and_then(Result::err))
            .or_else(|| of(self.update.value().get().and_then(Result::err)))
            .or_else(|| of(self.delete.value().get().and_then(Result::err)))
            .or_else(|| of(load_error))
    }
}

/// The saved views, and the open one's filter applied to `filter` when the URL names it.
#[component]
pub fn SavedViews(
    filter: RwSignal<DeviceFilter>,
    #[prop(into)] on_open: Callback<()>,
) -> impl IntoView {
    let client = expect_context::<ApiClient>();
    let query = use_query_map();
    let open_id = Memo::new(move |_| query.with(|q| q.get("view")));
    // Which view's filter was last put on the page, so it is put there once per opening.
    let applied = StoredValue::new(None::<String>);
    let name = RwSignal::new(String::new());
    let navigate = use_navigate();
    let actions = ViewActions {
        // A new view opens at once, its name field cleared.
        save: Action::new_local({
            let client = client.clone();
            move |input: &ViewInput| {
                let (client, input, navigate) = (client.clone(), input.clone(), navigate.clone());
                async move {
                    let saved = client.create_view(&input).await;
                    if let Ok(view) = &saved {
                        applied.set_value(Some(view.id.clone()));
                        name.set(String::new());
                        navigate(&view_path(&view.id), Default::default());
                    }
                    saved
                }
            }
        }),
        update: Action::new_local({
            let client = client.clone();
            move |(id, input): &(String, ViewInput)| {
                let (client, id, input) = (client.clone(), id.clone(), input.clone());
                async move { client.update_view(&id, &input).await }
            }
        }),
        delete: Action::new_local({
            let client = client.clone();
            move |id: &String| {
                let (client, id) = (client.clone(), id.clone());
                async move { client.delete_view(&id).await }
            }
        }),
    };
    // Read again whenever a write has finished: the actions' versions are its source.
    let views = LocalResource::new(move || {
        let client = client.clone();
        actions.save.version().track();
        actions.update.version().track();
        actions.delete.version().track();
        async move { client.list_views().await }
    });
    let listed =
        Memo::new(move |_| views.with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned())));
    let load_error =
        Memo::new(move |_| views.with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned())));
    let open_view = Memo::new(move |_| {
        let id = open_id.get()?;
        listed.with(|views| views.as_ref()?.iter().find(|v| v.id == id).cloned())
    });
    // Kept as an effect on purpose: the filter is the person's to edit after a view opens, so
    // it cannot be derived from the view; opening one (a link, a bookmark, Back, with the list
    // arriving later) seeds it once per view.
    Effect::new(move || {
        if let Some(view) = open_view.get()
            && applied.get_value().as_deref() != Some(view.id.as_str())
        {
            applied.set_value(Some(view.id.clone()));
            filter.set(view.filter.clone());
            on_open.run(());
        }
    });
    let deleting = RwSignal::new(None::<SavedView>);
    let confirm_open = RwSignal::new(false);
    let on_delete = Callback::new(move |()| {
        if let Some(view) = deleting.get_untracked() {
            actions.delete.dispatch(view.id);
        }
    });
    let confirm_message = Signal::derive(move || {
        deleting.with(|v| {
            v.as_ref().map_or(String::new(), |v| {
                format!("Delete the view “{}” for everyone who uses this console? Its devices are not changed.", v.name)
            })
        })
    });
    let renaming = RwSignal::new(None::<(String, String)>);
    view! {
        <section class="panel views" aria-labelledby="views-heading">
            <h2 id="views-heading">"Saved views"</h2>
            {move || open_view.get().map(|view| view! { <OpenView view filter update=actions.update/> })}
            <SaveViewForm name filter save=actions.save/>
            <p class="field-error" role="alert">{move || actions.failure(load_error.get())}</p>
            <ul class="view-list">
                {move || listed.get().unwrap_or_default().into_iter().map(|view| view! {
                    <ViewItem view renaming update=actions.update on_delete=Callback::new(move |view| {
                        deleting.set(Some(view));
                        confirm_open.set(true);
                    })/>
                }).collect_view()}
            </ul>
            <ConfirmDialog open=confirm_open title="Delete view" message=confirm_message confirm_label="Delete" on_confirm=on_delete/>
        </section>
    }
}

/// "Open: NAME", and the open view updated to the page's filter once it differs.
#[component]
fn OpenView(
    view: SavedView,
    filter: RwSignal<DeviceFilter>,
    update: Action<(String, ViewInput), Result<SavedView, ApiError>>,
) -> impl IntoView {
    let SavedView {
        id,
        name,
        filter: saved,
        ..
    } = view;
    let shown_name = name.clone();
    view! {
        <p class="open-view">
            "Open: " <strong>{shown_name}</strong>
            <WriteGuard views=true>
            <button type="button" class="secondary" disabled=move || filter.with(|f| *f == saved)
                on:click=move |_| {
                    update.dispatch((id.clone(), ViewInput { name: name.clone(), filter: Some(filter.get_untracked()) }));
                }>
                "Update view to this filter"
            </button>
            </WriteGuard>
        </p>
    }
}

/// A name, and the page's filter saved under it as a new view.
#[component]
fn SaveViewForm(
    name: RwSignal<String>,
    filter: RwSignal<DeviceFilter>,
    save: Action<ViewInput, Result<SavedView, ApiError>>,
) -> impl IntoView {
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(ViewInput {
            name: name.get_untracked(),
            filter: Some(filter.get_untracked()),
        });
    };
    view! {
        <WriteGuard views=true>
        <form class="edit-row" on:submit=on_save>
            <label for="view-name">"Save the current filter as"</label>
            <input id="view-name" type="text" maxlength="100" placeholder="e.g. Perth gateways in error"
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            <button type="submit" disabled=move || name.with(|n| n.trim().is_empty()) || save.pending().get()>"Save view"</button>
        </form>
        </WriteGuard>
    }
}

/// One view in the list: its link, or its rename form; Rename, Roll out and Delete.
#[component]
fn ViewItem(
    view: SavedView,
    /// The view being renamed and the name typed so far (one at a time).
    renaming: RwSignal<Option<(String, String)>>,
    update: Action<(String, ViewInput), Result<SavedView, ApiError>>,
    on_delete: Callback<SavedView>,
) -> impl IntoView {
    let id = view.id.clone();
    let is_renaming = {
        let id = id.clone();
        move || renaming.with(|r| r.as_ref().is_some_and(|(r, _)| *r == id))
    };
    let rename_id = format!("rename-{id}");
    let rollout_href = href(&format!("/rollouts/new?view={}", encode_segment(&id)));
    let link = {
        let (name, id) = (view.name.clone(), id.clone());
        move || view! { <a class="view-link" href=view_href(&id)>{name.clone()}</a> }
    };
    let start_rename = {
        let (id, name) = (id.clone(), view.name.clone());
        move |_| renaming.set(Some((id.clone(), name.clone())))
    };
    let name = view.name.clone();
    view! {
        <li data-view=id>
            <WriteGuard views=true>
            <Show when=is_renaming fallback=link>
                <form class="edit-row" on:submit=move |ev| {
                    ev.prevent_default();
                    if let Some((id, name)) = renaming.get_untracked() {
                        update.dispatch((id, ViewInput { name, filter: None }));
                        renaming.set(None);
                    }
                }>
                    <label class="visually-hidden" for=rename_id.clone()>"New name"</label>
                    <input id=rename_id.clone() type="text" maxlength="100"
                        prop:value=move || renaming.with(|r| r.as_ref().map(|(_, n)| n.clone()).unwrap_or_default())
                        on:input=move |ev| renaming.update(|r| if let Some((_, n)) = r { *n = event_target_value(&ev) })/>
                    <button type="submit">"Rename"</button>
                    <button type="button" class="secondary" on:click=move |_| renaming.set(None)>"Cancel"</button>
                </form>
            </Show>
            <button type="button" class="secondary" aria-label=format!("Rename {name}") on:click=start_rename>"Rename…"</button>
            <a class="button secondary" href=rollout_href aria-label=format!("Roll out to {name}")>"Roll out…"</a>
            <button type="button" class="secondary" aria-label=format!("Delete {name}") on:click=move |_| on_delete.run(view.clone())>"Delete…"</button>
            </WriteGuard>
        </li>
    }
}
