//! The routes whose code loads on first use. Built with the `split` feature (as `cargo xtask`
//! builds for release), each page's wasm is cut out of the first load at `#[lazy_route]`;
//! without it (trunk serve, the wasm tests) the same routes are plain async views. Settings is
//! here too: the shell also shows it, outside the router, when the connection settings fail.

use leptos::prelude::*;
use leptos_router::{Lazy, LazyRoute};

macro_rules! lazy_pages {
    ($($route:ident => $page:ident,)*) => {$(
        #[doc = concat!("The route of [`", stringify!($page), "`](super::", stringify!($page), ").")]
        pub struct $route;

        #[cfg(feature = "split")]
        #[leptos_router::lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <super::$page/> }.into_any()
            }
        }

        #[cfg(not(feature = "split"))]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn view(_this: Self) -> AnyView {
                view! { <super::$page/> }.into_any()
            }
        }

        impl $route {
            /// The route's view, for `<Route view=…>`.
            pub fn route() -> Lazy<Self> {
                Lazy::new()
            }
        }
    )*};
}

/// A lazy page's view outside the router (the shell's own Settings), once its code is in.
pub async fn load<Page: LazyRoute>() -> AnyView {
    Page::view(Page::data()).await
}

lazy_pages! {
    DeviceDetail => DeviceDetailPage,
    Fleet => FleetPage,
    Rollouts => RolloutListPage,
    NewRollout => NewRolloutPage,
    RolloutDetail => RolloutDetailPage,
    AuditLog => AuditLogPage,
    Alerts => AlertsPage,
    Apps => AppListPage,
    AppDetail => AppDetailPage,
    Configs => AccountConfigsPage,
    Secrets => AccountSecretsPage,
    Settings => SettingsPage,
}
