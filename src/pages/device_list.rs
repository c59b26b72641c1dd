use leptos::prelude::*;
use leptos_router::hooks::use_location;
use microvisor_api::display::page_summary;
use microvisor_api::{ListMeta, PageQuery};

use crate::api::ApiClient;
use crate::components::{AppNames, DeviceTable, ErrorPanel, Pager, PagerLinks, first_api_error};
use crate::pages::now_seconds;

/// `/devices`: one page of the fleet. The URL query (`PageSize`, `Page`, `PageToken`, the
/// API's own names) is the page's state, so reload, deep links and history all work.
#[component]
pub fn DeviceListPage() -> impl IntoView {
    let client = expect_context::<ApiClient>();
    let location = use_location();
    let query = Memo::new(move |_| PageQuery::parse(&location.search.get()).unwrap_or_default());
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
    let pending = RwSignal::new(false);
    // Made once here, on the page's owner: a conversion inside the view would be disposed
    // with each page's view while the transition still reads it.
    let busy = Signal::from(pending);
    let retry = Callback::new(move |()| devices.refetch());

    view! {
        <h1>"Devices"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading devices…"</p> } set_pending=pending>
            <ErrorBoundary fallback=move |errors| view! {
                <ErrorPanel error=first_api_error(&errors.read()) on_retry=retry/>
            }>
                {move || {
                    let client = client.clone();
                    Suspend::new(async move {
                        let page = devices.await?;
                        let app_names = apps
                            .await
                            .map(|apps| AppNames::from_apps(&apps.items))
                            .unwrap_or_default();
                        let query = query.get_untracked();
                        let links = pager_links(&client, &page.meta);
                        let summary = page_summary(
                            page.meta.page.map_or(query.page_or_first(), |page| page as u32),
                            page.meta.page_size.map_or(query.page_size_or_default(), |size| size as u32),
                            page.items.len(),
                            "devices",
                        );
                        let empty = page.items.is_empty();
                        Ok::<_, crate::api::ApiError>(view! {
                            <div class="list" class:stale=move || busy.get()>
                                <Pager links=links.clone() summary=summary.clone() busy/>
                                {if empty {
                                    view! {
                                        <section class="panel empty">
                                            <h2>"No devices here"</h2>
                                            <p>"This account has no devices on this page. Devices appear once they are claimed."</p>
                                        </section>
                                    }.into_any()
                                } else {
                                    view! { <DeviceTable devices=page.items app_names now=now_seconds()/> }.into_any()
                                }}
                                <Pager links summary busy/>
                            </div>
                        })
                    })
                }}
            </ErrorBoundary>
        </Transition>
    }
}

/// Console routes for the API's page links. A link that fails the origin check becomes no
/// link at all: the console never follows it.
fn pager_links(client: &ApiClient, meta: &ListMeta) -> PagerLinks {
    let route = |link: &Option<String>| {
        let query = client.base().page_query_of(link.as_deref()?).ok()?;
        Some(format!("/devices?{query}"))
    };
    PagerLinks {
        first: meta
            .previous_page_url
            .as_ref()
            .and(route(&meta.first_page_url)),
        previous: route(&meta.previous_page_url),
        next: route(&meta.next_page_url),
    }
}
