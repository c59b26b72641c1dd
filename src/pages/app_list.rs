use console_core::display::{list_summary, relative_time};
use leptos::prelude::*;
use microvisor_api::App;
use microvisor_api::url::encode_segment;

use crate::api::ApiError;
use crate::browser::routes::use_route_query;
use crate::browser::web::now_seconds;
use crate::components::{ErrorPanel, Pager, RetryNote, first_api_error};
use crate::pages::shared::{pager_links, use_client_reporting_retries};
use crate::panels::UploadApp;

/// `/apps`: the account's apps, paged like devices, with the URL query as the state.
#[component]
pub fn AppListPage() -> impl IntoView {
    let (client, retrying) = use_client_reporting_retries();
    let query = use_route_query("/apps");
    let apps = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            let query = query.get();
            async move { client.list_apps(&query).await }
        }
    });
    let pending = RwSignal::new(false);
    let busy = Signal::from(pending);
    let retry = Callback::new(move |()| apps.refetch());
    view! {
        <h1>"Apps"</h1>
        <UploadApp/>
        <RetryNote retrying/>
        <div class="list" class:stale=move || busy.get()>
            <Transition fallback=|| view! { <p class="loading">"Loading apps…"</p> } set_pending=pending>
                <ErrorBoundary fallback=move |errors| view! { <ErrorPanel error=first_api_error(&errors.read()) on_retry=retry busy/> }>
                    {
                        let client = client.clone();
                        move || {
                            let client = client.clone();
                            Suspend::new(async move {
                                let page = apps.await?;
                                let query = query.get_untracked();
                                let links = pager_links(&client, &page.meta, "/apps");
                                let summary = list_summary(&page.meta, &query, page.items.len(), "apps");
                                let now = now_seconds();
                                Ok::<_, ApiError>(view! {
                                    <Pager links summary busy/>
                                    <div class="table-wrap">
                                        <table class="apps">
                                            <caption class="visually-hidden">"Apps"</caption>
                                            <thead><tr>
                                                <th scope="col">"Unique name"</th>
                                                <th scope="col">"SID"</th>
                                                <th scope="col">"Hash"</th>
                                                <th scope="col">"Created"</th>
                                            </tr></thead>
                                            <tbody>
                                                {page.items.into_iter().map(|app| app_row(app, now)).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                })
                            })
                        }
                    }
                </ErrorBoundary>
            </Transition>
        </div>
    }
}

fn app_row(app: App, now: i64) -> impl IntoView {
    let sid = app.sid.clone().unwrap_or_default();
    let label = app.unique_name.clone().unwrap_or_else(|| sid.clone());
    let href = crate::browser::routes::href(&format!("/apps/{}", encode_segment(&sid)));
    let created = app.date_created.clone().unwrap_or_default();
    let row_sid = sid.clone();
    view! {
        <tr data-sid=row_sid>
            <td><a href=href>{label}</a></td>
            <td><code>{sid}</code></td>
            <td><code class="hash">{app.hash.clone().unwrap_or_default()}</code></td>
            <td><time datetime=created.clone() title=created>{relative_time(app.date_created.as_deref(), now)}</time></td>
        </tr>
    }
}
