use leptos::prelude::*;
use microvisor_api::UpdateStatus;

/// The update status as a badge. "scheduled", the docs' old name, arrives here as pending.
#[component]
pub fn StatusBadge(status: Option<UpdateStatus>) -> impl IntoView {
    let (class, label) = match &status {
        Some(UpdateStatus::UpToDate) => ("badge ok", "up-to-date".to_owned()),
        Some(UpdateStatus::Pending) => ("badge pending", "pending".to_owned()),
        Some(UpdateStatus::Error) => ("badge error", "error".to_owned()),
        Some(UpdateStatus::Other(other)) => ("badge other", other.clone()),
        None => ("badge other", "unknown".to_owned()),
    };
    view! { <span class=class>{label}</span> }
}
