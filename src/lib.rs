//! The Microvisor fleet console: a client-side Leptos app. `App` sets up the API client and
//! the routes; pages live in `pages/`, reusable widgets in `components/`, and the fetch layer
//! in `api/`.

pub mod api;
pub mod components;
pub mod pages;

#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::api::{ApiClient, load_config};
use crate::pages::{DeviceDetailPage, DeviceListPage, NotFoundPage};

#[component]
pub fn App() -> impl IntoView {
    let config = LocalResource::new(load_config);
    view! {
        <Router>
            <header class="topbar">
                <a class="brand" href="/devices">"Microvisor Fleet Console"</a>
                <nav aria-label="Main">
                    <a href="/devices">"Devices"</a>
                </nav>
                <span class="backend" aria-live="polite">
                    {move || config.get().map(|config| config.describe())}
                </span>
            </header>
            <main id="main">
                <Transition fallback=|| view! { <p class="loading">"Connecting…"</p> }>
                    {move || Suspend::new(async move {
                        let config = config.await;
                        let client = ApiClient::from_config(&config);
                        view! { <AppRoutes client/> }
                    })}
                </Transition>
            </main>
        </Router>
    }
}

#[component]
fn AppRoutes(client: Result<ApiClient, api::ApiError>) -> impl IntoView {
    match client {
        Ok(client) => {
            provide_context(client);
            view! {
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=|| view! { <Redirect path="/devices"/> }/>
                    <Route path=path!("/devices") view=DeviceListPage/>
                    <Route path=path!("/devices/:id") view=DeviceDetailPage/>
                </Routes>
            }
            .into_any()
        }
        Err(err) => view! {
            <section class="panel error" role="alert">
                <h1>"The console is not configured correctly"</h1>
                <p>{err.to_string()}</p>
            </section>
        }
        .into_any(),
    }
}
