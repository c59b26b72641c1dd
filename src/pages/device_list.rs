use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};
use microvisor_api::display::page_summary;
use microvisor_api::query::PAGE_SIZE_CHOICES;
use microvisor_api::{Device, ListPage, PageQuery};

use crate::api::{ApiClient, ApiError};
use crate::bulk::BulkRun;
use crate::components::{
    AppNames, BulkPanel, ColumnChooser, DeviceTable, ErrorPanel, Pager, TableSelection,
    first_api_error, use_row_keys,
};
use crate::pages::{now_seconds, pager_links};
use crate::prefs;

/// `/devices`: one page of the fleet. The URL query (`PageSize`, `Page`, `PageToken`, the
/// API's own names) is the page's state, so reload, deep links and history all work.
#[component]
pub fn DeviceListPage() -> impl IntoView {
    let client = expect_context::<ApiClient>();
    use_row_keys(None);
    let location = use_location();
    let query = Memo::new(move |_| {
        let mut query = PageQuery::parse(&location.search.get()).unwrap_or_default();
        query.page_size.get_or_insert_with(prefs::page_size);
        query
    });
    let devices = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            let query = query.get();
            async move { client.list_devices(&query).await }
        }
    });
    let apps = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            async move { client.list_apps(&PageQuery::first(1000)).await }
        }
    });
    // The last page that loaded, kept on screen when a later load fails.
    let last_good = RwSignal::new(None::<ListPage<Device>>);
    let loaded_at = RwSignal::new(now_seconds());
    Effect::new(move || {
        if let Some(Ok(page)) = devices.get() {
            last_good.set(Some(page));
            loaded_at.set(now_seconds());
        }
    });

    // Auto-refresh, off by default: every 10 s, every 3 s while a device on the page is
    // pending. The list has no form a refresh could overwrite.
    let auto_refresh = RwSignal::new(false);
    let now = RwSignal::new(now_seconds());
    if let Ok(ticker) = set_interval_with_handle(
        move || {
            now.set(now_seconds());
            if !auto_refresh.get_untracked() {
                return;
            }
            let pending = last_good.with_untracked(|page| {
                page.as_ref().is_some_and(|page| {
                    page.items
                        .iter()
                        .any(|d| d.update_status() == Some(&microvisor_api::UpdateStatus::Pending))
                })
            });
            let every = if pending { 3 } else { 10 };
            if now_seconds() - loaded_at.get_untracked() >= every {
                loaded_at.set(now_seconds());
                devices.refetch();
            }
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || ticker.clear());
    }
    // The page's devices, for selection and bulk changes; kept current by their results.
    let page_devices = RwSignal::new(Vec::<Device>::new());
    Effect::new(move || {
        if let Some(page) = last_good.get() {
            page_devices.set(page.items);
        }
    });
    // Converted once here: a conversion inside the view would be disposed with it while a
    // transition still shows it.
    let table_rows = Signal::from(page_devices);
    let selected = RwSignal::new(std::collections::BTreeSet::<String>::new());
    let run = BulkRun::new();
    let on_toggle = crate::bulk::selection_toggle(table_rows, selected);
    // A new page starts with nothing selected.
    Effect::new(move || {
        query.track();
        selected.set(Default::default());
    });
    let app_names_signal = Signal::derive(app_names_of(apps));
    let pending = RwSignal::new(false);
    // Made once here, on the page's owner: a conversion inside the view would be disposed
    // with each page's view while the transition still reads it.
    let busy = Signal::from(pending);
    let retry = Callback::new(move |()| devices.refetch());
    // The pagers and the "no devices" note come from the page that loaded; the table sits
    // outside the transition and diffs its keyed rows, so a page turn builds each row once.
    let pagers = {
        let client = client.clone();
        move |page: &ListPage<Device>| {
            let query = query.get_untracked();
            let links = pager_links(&client, &page.meta, "/devices");
            let summary = page_summary(
                page.meta
                    .page
                    .map_or(query.page_or_first(), |page| page as u32),
                page.meta
                    .page_size
                    .map_or(query.page_size_or_default(), |size| size as u32),
                page.items.len(),
                "devices",
            );
            (links, summary)
        }
    };
    let top_pager = {
        let pagers = pagers.clone();
        move |page: ListPage<Device>| {
            let (links, summary) = pagers(&page);
            view! {
                <Pager links summary busy/>
                {page.items.is_empty().then(|| view! {
                    <section class="panel empty">
                        <h2>"No devices here"</h2>
                        <p>"This page of the account has no devices. Devices appear once they are claimed."</p>
                    </section>
                })}
            }
        }
    };
    let bottom_pager = move || {
        last_good.with(|page| {
            page.as_ref()
                .filter(|page| !page.items.is_empty())
                .map(|page| {
                    let (links, summary) = pagers(page);
                    view! { <Pager links summary busy/> }
                })
        })
    };
    let failed = move || devices.with(|result| matches!(result, Some(Err(_))));

    view! {
        <div class="page-head">
            <h1>"Devices"</h1>
            <div class="actions">
                <label class="inline">
                    <input type="checkbox" id="auto-refresh" prop:checked=move || auto_refresh.get()
                        on:change=move |ev| auto_refresh.set(event_target_checked(&ev))/>
                    "Auto-refresh"
                </label>
                <span class="muted updated-ago" aria-live="off">
                    {move || format!("updated {} s ago", (now.get() - loaded_at.get()).max(0))}
                </span>
                <ColumnChooser/>
                <PageSizeSelect current=Signal::derive(move || query.get().page_size_or_default())/>
            </div>
        </div>
        <Show when=move || !selected.with(|s| s.is_empty()) || !run.items.with(Vec::is_empty)>
            <BulkPanel shown=table_rows selected run app_names=app_names_signal devices=page_devices select_all_label="Select page"/>
        </Show>
        <Transition fallback=|| view! { <p class="loading">"Loading devices…"</p> } set_pending=pending>
            <ErrorBoundary fallback=move |errors| view! {
                <ErrorPanel error=first_api_error(&errors.read()) on_retry=retry/>
            }>
                {
                    let top_pager = top_pager.clone();
                    move || {
                        let top_pager = top_pager.clone();
                        Suspend::new(async move {
                            let page = devices.await?;
                            Ok::<_, ApiError>(top_pager(page))
                        })
                    }
                }
            </ErrorBoundary>
        </Transition>
        <div class="list" class:stale=move || busy.get() || failed()>
            <Show when=move || !table_rows.with(Vec::is_empty)>
                // Built once app names are known (they load beside the first page).
                {move || apps.get().map(|_| view! {
                    <DeviceTable devices=table_rows app_names=app_names_signal.get_untracked()
                        selection=TableSelection { selected, on_toggle }/>
                })}
            </Show>
            {bottom_pager}
        </div>
    }
}

/// "Page size": choosing one goes to the first page at that size and remembers the choice.
#[component]
fn PageSizeSelect(current: Signal<u32>) -> impl IntoView {
    let navigate = use_navigate();
    let on_change = move |ev: leptos::ev::Event| {
        if let Ok(size) = event_target_value(&ev).parse::<u32>() {
            prefs::set_page_size(size);
            navigate(
                &format!("/devices?{}", PageQuery::first(size)),
                NavigateOptions::default(),
            );
        }
    };
    view! {
        <label class="page-size">
            "Page size "
            <select on:change=on_change prop:value=move || current.get().to_string()>
                {PAGE_SIZE_CHOICES
                    .iter()
                    .map(|&size| {
                        view! {
                            <option value=size.to_string() selected=move || current.get() == size>
                                {size.to_string()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// App names from the apps resource, once it has loaded.
fn app_names_of(
    apps: LocalResource<
        Result<microvisor_api::ListPage<microvisor_api::App>, crate::api::ApiError>,
    >,
) -> impl Fn() -> AppNames + Copy + Send + Sync + 'static {
    move || {
        apps.get()
            .and_then(Result::ok)
            .map(|apps| AppNames::from_apps(&apps.items))
            .unwrap_or_default()
    }
}
