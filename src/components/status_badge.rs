use console_core::rows::status_badge;
use leptos::prelude::*;
use microvisor_api::UpdateStatus;

/// The update status as a badge; a status this console does not know is shown as it came, on
/// a neutral badge.
#[component]
pub fn StatusBadge(status: Option<UpdateStatus>) -> impl IntoView {
    let (class, label) = status_badge(status.as_ref());
    view! { <span class=class>{label}</span> }
}
