//! Controls that change something, disabled for a role that may not use them, with the reason
//! as their tooltip. The server refuses such writes anyway; this only spares the attempt.

use console_protocol::{ONLY_ADMINS_MANAGE_VIEWS, VIEWER_MAY_NOT_WRITE};
use leptos::prelude::*;

use crate::api::Backend;

/// Why this session may not write (or, with `views`, manage shared views); None when it may.
pub fn write_refusal(views: bool) -> Option<&'static str> {
    let role = use_context::<Backend>()?.operator()?.role;
    if views && !role.may_manage_views() {
        Some(ONLY_ADMINS_MANAGE_VIEWS)
    } else if !role.may_write() {
        Some(VIEWER_MAY_NOT_WRITE)
    } else {
        None
    }
}

/// Its children, disabled together (a `<fieldset>` without a frame) when the role may not
/// write, or with `views`, when it may not manage the views everyone shares.
#[component]
pub fn WriteGuard(
    #[prop(optional)] views: bool,
    /// The tooltip when refused, in place of the usual one.
    #[prop(optional)]
    reason: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let refusal = write_refusal(views).map(|usual| reason.unwrap_or(usual));
    view! {
        <fieldset class="write-guard" disabled=refusal.is_some() title=refusal>
            {children()}
        </fieldset>
    }
}
