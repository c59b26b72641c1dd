//! What several pages share: the app list beside a page, retries reported to the page, the
//! pager's links, the note that the demo drives rollouts in the page.

use fleet_engine::AppNames;
use leptos::prelude::*;
use microvisor_api::{App, ListPage, PageQuery};

use crate::api::{ApiClient, ApiError, Backend, Retrying};

/// In the demo, rollouts are driven by this page: said wherever rollouts are shown.
#[component]
pub(crate) fn DemoRolloutNote() -> impl IntoView {
    let demo = use_context::<Backend>().is_some_and(|backend| backend.is_demo());
    demo.then(|| {
        view! {
            <p class="panel note demo-rollouts" role="note">
                "Demo: rollouts run inside this page, only while this tab is open. With console-server they run on the server, with every browser closed."
            </p>
        }
    })
}

/// The app's API client, reporting into a signal of the page's own while a request of the
/// page is tried again (shown with `RetryNote`).
pub(crate) fn use_client_reporting_retries() -> (ApiClient, RwSignal<Option<Retrying>>) {
    let retrying = RwSignal::new(None);
    (
        expect_context::<ApiClient>().reporting_retries(retrying),
        retrying,
    )
}

/// Console routes (under `route`, e.g. `/devices`) for the API's page links. A link that fails
/// the origin check becomes no link at all: the console never follows it.
pub(crate) fn pager_links(
    client: &ApiClient,
    meta: &microvisor_api::ListMeta,
    route: &str,
) -> crate::components::PagerLinks {
    let link = |url: &Option<String>| {
        let query = client.base().page_query_of(url.as_deref()?).ok()?;
        Some(crate::browser::routes::href(&format!("{route}?{query}")))
    };
    crate::components::PagerLinks {
        first: meta
            .previous_page_url
            .as_ref()
            .and(link(&meta.first_page_url)),
        previous: link(&meta.previous_page_url),
        next: link(&meta.next_page_url),
    }
}

/// The account's apps (the first 1,000), loading beside the page, and their names once they
/// have loaded: tables and forms show apps by name.
pub(crate) fn use_apps(
    client: &ApiClient,
) -> (
    LocalResource<Result<ListPage<App>, ApiError>>,
    Signal<AppNames>,
) {
    let apps = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            async move { client.list_apps(&PageQuery::first(1000)).await }
        }
    });
    let names = Memo::new(move |_| {
        apps.with(|apps| match apps {
            Some(Ok(page)) => AppNames::from_apps(&page.items),
            _ => AppNames::default(),
        })
    });
    (apps, names.into())
}
