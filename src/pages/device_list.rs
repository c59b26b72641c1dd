use std::collections::BTreeSet;

use console_core::display::list_summary;
use fleet_engine::filter::with_updates;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use microvisor_api::query::PAGE_SIZE_CHOICES;
use microvisor_api::{Device, ListPage, PageQuery, UpdateStatus};

use crate::api::{ApiClient, ApiError, Live};
use crate::browser::prefs;
use crate::browser::routes::use_route_query;
use crate::browser::web::now_seconds;
use crate::components::{
    ColumnChooser, DeviceTable, ErrorPanel, Pager, PagerLinks, RetryNote, TableSelection,
    first_api_error, use_row_keys,
};
use crate::fleet::bulk::{BulkRun, selection_toggle};
use crate::fleet::prefetch::Prefetch;
use crate::fleet::shown::ShownRows;
use crate::pages::shared::{pager_links, use_apps, use_client_reporting_retries};
use crate::panels::BulkPanel;

/// Auto-refresh waits this long between loads, or this long while a device is pending.
const REFRESH_EVERY: i64 = 10;
const REFRESH_EVERY_PENDING: i64 = 3;

/// A page of devices with the time it arrived, for "updated N s ago".
async fn load(client: ApiClient, query: PageQuery) -> Result<(ListPage<Device>, i64), ApiError> {
    let page = client.list_devices(&query).await?;
    Ok((page, now_seconds()))
}

/// The device pages as they load: the current answer, the last good one (kept on screen while
/// the next loads, and when it fails), and when that arrived.
#[derive(Clone, Copy)]
struct Pages {
    devices: LocalResource<Result<(ListPage<Device>, i64), ApiError>>,
    last_good: Memo<Option<(ListPage<Device>, i64)>>,
    loaded_at: Memo<i64>,
}

/// Loads the page `query` names, the next one ahead while the browser is idle, and keeps the
/// last good one.
fn load_pages(
    client: &ApiClient,
    query: Memo<PageQuery>,
    apps_in: impl Fn() -> bool + Copy + 'static,
) -> Pages {
    // The next page, fetched while the browser is idle once this one has loaded.
    let ahead = Prefetch::<PageQuery, (ListPage<Device>, i64)>::new();
    // Each answer carries the time it arrived, for "updated N s ago".
    let devices = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            let query = query.get();
            async move {
                if let Some(answer) = ahead.take(&query).await {
                    // Handed to the page now: the bench times answer → rows from here.
                    crate::browser::web::mark("api:/v1/Devices");
                    return Ok(answer);
                }
                let answer = load(client, query).await;
                // On a first load the apps' answer often arrives with the page's but is taken
                // after it: step aside once so it goes first, and the rows are written once,
                // with app names, rather than with SIDs and then again.
                if !apps_in() {
                    crate::browser::web::sleep(0).await;
                }
                answer
            }
        }
    });
    Effect::new({
        // Not the page's client: a fetch ahead that is tried again is no news to the reader.
        let client = expect_context::<ApiClient>();
        move || {
            let next = devices.with(|answer| match answer {
                Some(Ok((page, _))) => page.meta.next_page_url.clone(),
                _ => None,
            });
            let Some(next) = next.and_then(|url| client.base().page_query_of(&url).ok()) else {
                return;
            };
            let client = client.clone();
            ahead.when_idle(next.clone(), move || load(client, next));
        }
    });
    let last_good = Memo::new(move |previous: Option<&Option<(ListPage<Device>, i64)>>| {
        devices.with(|result| match result {
            Some(Ok(answer)) => Some(answer.clone()),
            _ => previous.cloned().flatten(),
        })
    });
    let loaded_at =
        Memo::new(move |_| last_good.with(|page| page.as_ref().map_or(0, |(_, at)| *at)));
    Pages {
        devices,
        last_good,
        loaded_at,
    }
}

/// Auto-refresh, off by default: every 10 s, every 3 s while a device on the page is pending.
/// The list has no form a refresh could overwrite. The clock it returns ticks every second,
/// for "updated N s ago"; the ticker belongs to the page's view.
fn auto_refresh(pages: Pages, rows: Memo<Vec<Device>>) -> (RwSignal<bool>, RwSignal<i64>) {
    let on = RwSignal::new(false);
    let now = RwSignal::new(now_seconds());
    if let Ok(ticker) = set_interval_with_handle(
        move || {
            now.set(now_seconds());
            if !on.get_untracked() {
                return;
            }
            let pending = rows.with_untracked(|rows| {
                rows.iter()
                    .any(|d| d.update_status() == Some(&UpdateStatus::Pending))
            });
            let every = if pending {
                REFRESH_EVERY_PENDING
            } else {
                REFRESH_EVERY
            };
            if now_seconds() - pages.loaded_at.get_untracked() >= every {
                pages.devices.refetch();
            }
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || ticker.clear());
    }
    (on, now)
}

/// The page read again when the tab's event stream says a device on it changed; whether
/// device changes come live (the stream is up, and the server keeps the index that sees them).
fn live_rows(pages: Pages, rows: Memo<Vec<Device>>) -> impl Fn() -> bool + Copy {
    let live = crate::api::use_live();
    if let Some(live) = live {
        live.on_stale(move |stale| {
            let shown = stale.everything
                || rows.with_untracked(|rows| {
                    rows.iter().any(|device| {
                        device
                            .sid
                            .as_ref()
                            .is_some_and(|sid| stale.devices.iter().any(|s| s == sid))
                    })
                });
            if shown {
                pages.devices.refetch();
            }
        });
    }
    move || live.is_some_and(Live::devices_live)
}

/// `/devices`: one page of the fleet. The URL query (`PageSize`, `Page`, `PageToken`, the
/// API's own names) is the page's state, so reload, deep links and history all work.
#[component]
pub fn DeviceListPage() -> impl IntoView {
    let (client, retrying) = use_client_reporting_retries();
    use_row_keys(None);
    let route_query = use_route_query("/devices");
    let query = Memo::new(move |_| {
        let mut query = route_query.get();
        query.page_size.get_or_insert_with(prefs::page_size);
        query
    });
    let (apps, app_names) = use_apps(&client);
    // A plain flag for the page's load to look at, not a read of the apps' resource: read from
    // inside the devices' future, that made the devices load again once the apps came in
    // after them (a second request, seen in `e2e/tests/early_requests.rs`).
    let apps_in = StoredValue::new(false);
    Effect::new(move || {
        if apps.with(Option::is_some) {
            apps_in.set_value(true);
        }
    });
    let pages = load_pages(&client, query, move || apps_in.get_value());
    // Devices as bulk changes answered them; newer than the page they were listed on.
    let updated = RwSignal::new(Vec::<Device>::new());
    let rows = Memo::new(move |_| {
        pages.last_good.with(|page| match page {
            Some((page, _)) => updated.with(|updated| with_updates(&page.items, updated)),
            None => Vec::new(),
        })
    });
    let table_rows = ShownRows::all(rows);
    let (auto_refresh, now) = auto_refresh(pages, rows);
    let live = live_rows(pages, rows);
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let run = BulkRun::new();
    let on_toggle = selection_toggle(table_rows, selected);
    // A new page starts with nothing selected: the choice made on the last one no longer
    // applies. Kept as an effect on purpose: the selection is written by the table, the
    // keyboard and the bulk panel, and the page changes by any navigation (links, Back,
    // Forward); the query's change is the one event they share.
    Effect::new(move || {
        query.track();
        selected.set(BTreeSet::new());
    });
    let on_updated = Callback::new(move |devices: Vec<Device>| {
        updated.update(|updated| updated.extend(devices));
    });
    let pending = RwSignal::new(false);
    // Made once, on the page's owner, and handed to each page's pagers.
    let busy = Signal::from(pending);
    let failed = move || pages.devices.with(|result| matches!(result, Some(Err(_))));

    view! {
        <div class="page-head">
            <h1>"Devices"</h1>
            <div class="actions">
                <label class="inline">
                    <input type="checkbox" id="auto-refresh" prop:checked=move || auto_refresh.get()
                        on:change=move |ev| auto_refresh.set(event_target_checked(&ev))/>
                    "Auto-refresh"
                </label>
                <span class="muted updated-ago" class:live=live aria-live="off">
                    {move || if live() {
                        "live".to_owned()
                    } else {
                        format!("updated {} s ago", (now.get() - pages.loaded_at.get()).max(0))
                    }}
                </span>
                <ColumnChooser/>
                <PageSizeSelect current=Signal::derive(move || query.get().page_size_or_default())/>
            </div>
        </div>
        <BulkPanel shown=table_rows selected run app_names devices=table_rows.devices on_updated select_all_label="Select page"/>
        <RetryNote retrying/>
        <DevicePagers pages query busy pending client/>
        <div class="list" class:stale=move || busy.get() || failed()>
            <Show when=move || !table_rows.is_empty()>
                <DeviceTable rows=table_rows app_names selection=TableSelection { selected, on_toggle }/>
            </Show>
            <BottomPager pages query busy/>
        </div>
    }
}

/// The pager's links and summary for a loaded page.
fn pager_of(
    client: &ApiClient,
    page: &ListPage<Device>,
    query: &PageQuery,
) -> (PagerLinks, String) {
    let links = pager_links(client, &page.meta, "/devices");
    let summary = list_summary(&page.meta, query, page.items.len(), "devices");
    (links, summary)
}

/// The pager above the table and the "no devices" note, from the page that loaded, in a
/// transition; the table sits outside it, so a page turn builds each row once.
#[component]
fn DevicePagers(
    pages: Pages,
    query: Memo<PageQuery>,
    busy: Signal<bool>,
    pending: RwSignal<bool>,
    client: ApiClient,
) -> impl IntoView {
    let retry = Callback::new(move |()| pages.devices.refetch());
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading devices…"</p> } set_pending=pending>
            <ErrorBoundary fallback=move |errors| view! {
                <ErrorPanel error=first_api_error(&errors.read()) on_retry=retry busy/>
            }>
                {move || {
                    let client = client.clone();
                    Suspend::new(async move {
                        let (page, _) = pages.devices.await?;
                        let (links, summary) = pager_of(&client, &page, &query.get_untracked());
                        Ok::<_, ApiError>(view! {
                            <Pager links summary busy/>
                            {page.items.is_empty().then(|| view! {
                                <section class="panel empty">
                                    <h2>"No devices here"</h2>
                                    <p>"This page of the account has no devices. Devices appear once they are claimed."</p>
                                </section>
                            })}
                        })
                    })
                }}
            </ErrorBoundary>
        </Transition>
    }
}

/// The pager below the table, from the last page that loaded, when it has devices.
#[component]
fn BottomPager(pages: Pages, query: Memo<PageQuery>, busy: Signal<bool>) -> impl IntoView {
    let client = expect_context::<ApiClient>();
    move || {
        pages.last_good.with(|page| {
            page.as_ref()
                .filter(|(page, _)| !page.items.is_empty())
                .map(|(page, _)| {
                    let (links, summary) = pager_of(&client, page, &query.get_untracked());
                    view! { <Pager links summary busy/> }
                })
        })
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
