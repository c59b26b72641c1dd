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

/// The saved views, and the open one's filter applied to `filter` when the URL names it.
#[component]
pub fn SavedViews(
    filter: RwSignal<DeviceFilter>,
    #[prop(into)] on_open: Callback<()>,
) -> impl IntoView {
    let client = expect_context::<ApiClient>();
    let query = use_query_map();
    let open_id = Memo::new(move |_| query.with(|q| q.get("view")));
    let views = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            async move { client.list_views().await }
        }
    });
    let listed =
        Memo::new(move |_| views.with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned())));
    let load_error =
        Memo::new(move |_| views.with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned())));
    let open_view = Memo::new(move |_| {
        let id = open_id.get()?;
        listed.with(|views| views.as_ref()?.iter().find(|v| v.id == id).cloned())
    });
    // Opening a view (by link, bookmark or Back) puts its filter on the page, once per view.
    let applied = StoredValue::new(None::<String>);
    Effect::new(move || {
        if let Some(view) = open_view.get()
            && applied.get_value().as_deref() != Some(view.id.as_str())
        {
            applied.set_value(Some(view.id.clone()));
            filter.set(view.filter.clone());
            on_open.run(());
        }
    });

    let name = RwSignal::new(String::new());
    let navigate = use_navigate();
    let save = Action::new_local({
        let client = client.clone();
        move |input: &ViewInput| {
            let (client, input) = (client.clone(), input.clone());
            async move { client.create_view(&input).await }
        }
    });
    let update = Action::new_local({
        let client = client.clone();
        move |(id, input): &(String, ViewInput)| {
            let (client, id, input) = (client.clone(), id.clone(), input.clone());
            async move { client.update_view(&id, &input).await }
        }
    });
    let delete = Action::new_local({
        let client = client.clone();
        move |id: &String| {
            let (client, id) = (client.clone(), id.clone());
            async move { client.delete_view(&id).await }
        }
    });
    // After any change the list is read again; a new view opens at once.
    Effect::new(move || {
        if let Some(Ok(view)) = save.value().get() {
            applied.set_value(Some(view.id.clone()));
            name.set(String::new());
            navigate(&view_path(&view.id), Default::default());
        }
    });
    Effect::new(move || {
        let changed = matches!(save.value().get(), Some(Ok(_)))
            | matches!(update.value().get(), Some(Ok(_)))
            | matches!(delete.value().get(), Some(Ok(())));
        if changed {
            views.refetch();
        }
    });
    let failure = move || {
        let of = |e: Option<ApiError>| e.map(|e| e.to_string());
        of(save.value().get().and_then(Result::err))
            .or_else(|| of(update.value().get().and_then(Result::err)))
            .or_else(|| of(delete.value().get().and_then(Result::err)))
            .or_else(|| of(load_error.get()))
    };
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(ViewInput {
            name: name.get_untracked(),
            filter: Some(filter.get_untracked()),
        });
    };
    let deleting = RwSignal::new(None::<SavedView>);
    let confirm_open = RwSignal::new(false);
    let confirm_message = Signal::derive(move || {
        deleting.with(|v| {
            v.as_ref().map_or(String::new(), |v| {
                format!("Delete the view “{}” for everyone who uses this console? Its devices are not changed.", v.name)
            })
        })
    });
    let on_delete = Callback::new(move |()| {
        if let Some(view) = deleting.get_untracked() {
            delete.dispatch(view.id);
        }
    });
    let renaming = RwSignal::new(None::<(String, String)>);

    view! {
        <section class="panel views" aria-labelledby="views-heading">
            <h2 id="views-heading">"Saved views"</h2>
            {move || open_view.get().map(|view| {
                let id = view.id.clone();
                view! {
                    <p class="open-view">
                        "Open: " <strong>{view.name.clone()}</strong>
                        <WriteGuard views=true>
                        <button type="button" class="secondary" disabled=move || filter.with(|f| *f == view.filter)
                            on:click=move |_| {
                                update.dispatch((id.clone(), ViewInput { name: open_view.get_untracked().map(|v| v.name).unwrap_or_default(), filter: Some(filter.get_untracked()) }));
                            }>
                            "Update view to this filter"
                        </button>
                        </WriteGuard>
                    </p>
                }
            })}
            <WriteGuard views=true>
            <form class="edit-row" on:submit=on_save>
                <label for="view-name">"Save the current filter as"</label>
                <input id="view-name" type="text" maxlength="100" placeholder="e.g. Perth gateways in error"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <button type="submit" disabled=move || name.with(|n| n.trim().is_empty()) || save.pending().get()>"Save view"</button>
            </form>
            </WriteGuard>
            <p class="field-error" role="alert">{failure}</p>
            <ul class="view-list">
                {move || listed.get().unwrap_or_default().into_iter().map(|view| {
                    let id = view.id.clone();
                    let (rename_id, delete_view) = (id.clone(), view.clone());
                    let is_renaming = {
                        let id = id.clone();
                        move || renaming.with(|r| r.as_ref().is_some_and(|(r, _)| *r == id))
                    };
                    let rollout_href = href(&format!("/rollouts/new?view={}", encode_segment(&id)));
                    let item_id = id.clone();
                    view! {
                        <li data-view=item_id>
                            <WriteGuard views=true>
                            <Show when=is_renaming.clone() fallback={
                                let (view, id) = (view.clone(), id.clone());
                                move || view! { <a class="view-link" href=view_href(&id)>{view.name.clone()}</a> }
                            }>
                                <form class="edit-row" on:submit=move |ev| {
                                    ev.prevent_default();
                                    if let Some((id, name)) = renaming.get_untracked() {
                                        update.dispatch((id, ViewInput { name, filter: None }));
                                        renaming.set(None);
                                    }
                                }>
                                    <label class="visually-hidden" for=format!("rename-{}", rename_id)>"New name"</label>
                                    <input id=format!("rename-{}", rename_id) type="text" maxlength="100"
                                        prop:value=move || renaming.with(|r| r.as_ref().map(|(_, n)| n.clone()).unwrap_or_default())
                                        on:input=move |ev| renaming.update(|r| if let Some((_, n)) = r { *n = event_target_value(&ev) })/>
                                    <button type="submit">"Rename"</button>
                                    <button type="button" class="secondary" on:click=move |_| renaming.set(None)>"Cancel"</button>
                                </form>
                            </Show>
                            <button type="button" class="secondary" aria-label=format!("Rename {}", view.name) on:click={
                                let (id, name) = (id.clone(), view.name.clone());
                                move |_| renaming.set(Some((id.clone(), name.clone())))
                            }>"Rename…"</button>
                            <a class="button secondary" href=rollout_href aria-label=format!("Roll out to {}", view.name)>"Roll out…"</a>
                            <button type="button" class="secondary" aria-label=format!("Delete {}", view.name) on:click=move |_| {
                                deleting.set(Some(delete_view.clone()));
                                confirm_open.set(true);
                            }>"Delete…"</button>
                            </WriteGuard>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <ConfirmDialog open=confirm_open title="Delete view" message=confirm_message confirm_label="Delete" on_confirm=on_delete/>
        </section>
    }
}
