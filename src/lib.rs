//! The Microvisor fleet console: a client-side Leptos app. `App` sets up the API client and
//! the routes. Each folder is a layer, and layers import downwards only (ARCHITECTURE.md):
//! `pages` (one per route) → `panels` (widgets that load data) → `components` (pure widgets)
//! → `fleet` (scan, bulk runs, shown rows, prefetch, hand-offs) → `api` (the fetch layer) →
//! `demo` (the server's stand-ins inside the page) → `browser` (timers, storage, URLs).

pub mod api;
pub mod browser;
pub mod components;
#[cfg(feature = "demo")]
pub mod demo;
pub mod fleet;
pub mod pages;
pub mod panels;

#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::api::{Backend, Startup, start};
use crate::browser::{prefs, routes, web};
use crate::fleet::handoff;
use crate::fleet::scan::FleetScan;
use crate::pages::{DeviceListPage, NotFoundPage, SignInPage, lazy};

#[component]
pub fn App() -> impl IntoView {
    prefs::apply_theme(prefs::theme());
    let startup = LocalResource::new(start);
    // Filled in once a backend is ready: the header's bell reads the tab's event stream.
    let live = RwSignal::new(None::<api::Live>);
    provide_context(live);
    view! {
        <Router base=routes::base()>
            <a class="skip" href="#main">"Skip to content"</a>
            <header class="topbar">
                <a class="brand" href=routes::href("/devices")>"Microvisor Fleet Console"</a>
                <nav aria-label="Main">
                    <a href=routes::href("/devices")>"Devices"</a>
                    <a href=routes::href("/fleet")>"Fleet"</a>
                    <a href=routes::href("/rollouts")>"Rollouts"</a>
                    <a href=routes::href("/audit")>"Audit"</a>
                    <a href=routes::href("/alerts")>"Alerts"</a>
                    <a href=routes::href("/apps")>"Apps"</a>
                    <a href=routes::href("/configs")>"Configs"</a>
                    <a href=routes::href("/secrets")>"Secrets"</a>
                    <a href=routes::href("/settings")>"Settings"</a>
                </nav>
                <AlertBell live/>
                <span class="backend" aria-live="polite">
                    {move || match startup.get() {
                        Some(Startup::Ready(backend)) => backend.describe(),
                        Some(Startup::NeedsSignIn { .. }) => "Sign in needed".to_owned(),
                        None => String::new(),
                    }}
                </span>
                {move || match startup.get() {
                    Some(Startup::Ready(backend)) => backend
                        .operator()
                        .filter(|operator| operator.name != console_protocol::LOCAL_OPERATOR)
                        .cloned()
                        .map(|operator| {
                        view! { <SignedIn operator on_signed_out=Callback::new(move |()| startup.refetch())/> }
                    }),
                    _ => None,
                }}
            </header>
            <main id="main">
                <Transition fallback=|| view! { <p class="loading">"Connecting…"</p> }>
                    {move || Suspend::new(async move {
                        match startup.await {
                            Startup::Ready(backend) => view! { <AppRoutes backend/> }.into_any(),
                            Startup::NeedsSignIn { rejected } => view! {
                                <SignInPage rejected on_signed_in=Callback::new(move |()| startup.refetch())/>
                            }
                            .into_any(),
                        }
                    })}
                </Transition>
            </main>
        </Router>
    }
}

/// Alert rules firing now, live from the tab's event stream; a link to the Alerts page.
#[component]
fn AlertBell(live: RwSignal<Option<api::Live>>) -> impl IntoView {
    move || {
        let live = live.get()?;
        let firing = live.firing.get()?;
        let words = if firing == 1 {
            " alert firing"
        } else {
            " alerts firing"
        };
        let hot = firing > 0;
        Some(view! {
            <a class="bell" class:firing=hot href=routes::href("/alerts")>
                // Drawn by the stylesheet (a mask): the page makes no SVG element of its own.
                <span class="bell-icon" aria-hidden="true"></span>
                <span class="bell-count">{firing}</span>
                <span class="visually-hidden">{words}</span>
            </a>
        })
    }
}

/// Who is signed in and with which role; Sign out when this tab holds a token.
#[component]
fn SignedIn(operator: console_protocol::Operator, on_signed_out: Callback<()>) -> impl IntoView {
    let has_token = api::access_token().is_some();
    view! {
        <span class="operator">
            <span>{format!("{} · {}", operator.name, operator.role.name())}</span>
            {has_token.then(|| view! {
                <button type="button" class="secondary" on:click=move |_| {
                    api::sign_out();
                    on_signed_out.run(());
                }>"Sign out"</button>
            })}
        </span>
    }
}

#[component]
fn AppRoutes(backend: Backend) -> impl IntoView {
    match backend.client() {
        Ok(client) => {
            #[cfg(feature = "demo")]
            let demo = backend.is_demo();
            // One event stream per tab, for every page (inside the page in the demo; none with a
            // custom API).
            let live = api::Live::start(&client);
            provide_context(live);
            if let Some(shell) = use_context::<RwSignal<Option<api::Live>>>() {
                shell.set(Some(live));
                on_cleanup(move || shell.set(None));
            }
            provide_context(client);
            provide_context(backend);
            provide_context(FleetScan::new());
            handoff::SelectionForRollout::provide();
            // The demo's rollouts are driven by the page while it is open.
            #[cfg(feature = "demo")]
            if demo {
                browser::owned::every(std::time::Duration::from_secs(1), || {
                    api::drive_demo_rollouts();
                });
            }
            provide_context(components::HiddenColumns(RwSignal::new(
                prefs::hidden_columns(),
            )));
            view! {
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=|| view! { <Redirect path="/devices"/> }/>
                    <Route path=path!("/devices") view=DeviceListPage/>
                    <Route path=path!("/devices/:id") view=lazy::DeviceDetail::route()/>
                    <Route path=path!("/fleet") view=lazy::Fleet::route()/>
                    <Route path=path!("/rollouts") view=lazy::Rollouts::route()/>
                    <Route path=path!("/rollouts/new") view=lazy::NewRollout::route()/>
                    <Route path=path!("/rollouts/:id") view=lazy::RolloutDetail::route()/>
                    <Route path=path!("/audit") view=lazy::AuditLog::route()/>
                    <Route path=path!("/alerts") view=lazy::Alerts::route()/>
                    <Route path=path!("/apps") view=lazy::Apps::route()/>
                    <Route path=path!("/configs") view=lazy::Configs::route()/>
                    <Route path=path!("/secrets") view=lazy::Secrets::route()/>
                    <Route path=path!("/apps/:id") view=lazy::AppDetail::route()/>
                    <Route path=path!("/settings") view=lazy::Settings::route()/>
                </Routes>
            }
            .into_any()
        }
        Err(err) => {
            provide_context(backend);
            view! {
                <section class="panel error" role="alert">
                    <h1>"The connection settings do not work"</h1>
                    <p>{err.to_string()}</p>
                </section>
                <Suspense fallback=|| ()>{Suspend::new(lazy::load::<lazy::Settings>())}</Suspense>
            }
            .into_any()
        }
    }
}

/// What wasm-split's loader panics with when a lazy page's module cannot be fetched.
const SPLIT_LOAD_FAILED: &str = "load callback should succeed";

/// After a panic the app cannot go on: replace the page with a plain message and a reload
/// button, built with the DOM directly since the reactive system may be broken.
pub fn show_fatal_error(detail: &str) {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    let Ok(panel) = document.create_element("section") else {
        return;
    };
    panel.set_id("fatal-error");
    panel.set_class_name("panel error");
    let _ = panel.set_attribute("role", "alert");
    let heading = document.create_element("h1").ok();
    let message = document.create_element("p").ok();
    // A plain link, not a script handler: after a panic no Rust code runs, and the page's
    // Content-Security-Policy allows no inline handlers.
    let reload = document.create_element("a").ok();
    if let (Some(heading), Some(message), Some(reload)) = (heading, message, reload) {
        // A page's code is fetched on its first visit; that fetch fails when the network is
        // down or the console was updated since this tab loaded it (the old files are gone).
        let page_not_loaded = detail.contains(SPLIT_LOAD_FAILED);
        if page_not_loaded {
            heading.set_text_content(Some("A part of the console could not be loaded"));
            message.set_text_content(Some(
                "The network may be down, or the console was updated since this tab opened. \
                 Nothing was sent. Reload to go on.",
            ));
        } else {
            heading.set_text_content(Some("The console stopped because of an internal error"));
            message.set_text_content(Some(&format!(
                "Nothing was sent after this error. Reload to start again. Details: {detail}"
            )));
        }
        reload.set_text_content(Some("Reload"));
        reload.set_class_name("button");
        // A page whose code failed to load was never reached: reload into it, not back here.
        let here = web::last_link_clicked()
            .filter(|_| page_not_loaded)
            .or_else(|| web_sys::window().and_then(|window| window.location().href().ok()))
            .unwrap_or_else(|| "/".to_owned());
        let _ = reload.set_attribute("href", &here);
        // Past the router, whose listener may still run after a panic and keep the page.
        let _ = reload.set_attribute("rel", "external");
        let _ = panel.append_child(&heading);
        let _ = panel.append_child(&message);
        let _ = panel.append_child(&reload);
    }
    body.set_inner_html("");
    let _ = body.append_child(&panel);
}
