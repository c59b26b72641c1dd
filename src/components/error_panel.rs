use leptos::prelude::*;

use crate::api::{ApiError, Retrying};

/// A failed load, said plainly, with what to do and a Retry button. While `busy` (the load
/// being tried again) the button waits, since pressing it again would only restart that load;
/// it says so with `aria-disabled` rather than `disabled`, which would drop keyboard focus.
#[component]
pub fn ErrorPanel(
    error: ApiError,
    on_retry: Callback<()>,
    #[prop(optional, into)] busy: Signal<bool>,
) -> impl IntoView {
    let title = if error.is_not_found() {
        "Not found"
    } else {
        "Could not load"
    };
    let code = match &error {
        ApiError::Api {
            code: Some(code),
            more_info,
            ..
        } => Some((*code, more_info.clone())),
        _ => None,
    };
    view! {
        <section class="panel error" role="alert">
            <h2>{title}</h2>
            <p class="message">{error.to_string()}</p>
            <p class="advice">{error.advice()}</p>
            {code.map(|(code, more_info)| view! {
                <p class="code">
                    "Error " {code}
                    {more_info.map(|href| view! {
                        " · " <a href=href target="_blank" rel="noopener noreferrer">"what it means"</a>
                    })}
                </p>
            })}
            <button type="button" aria-disabled=move || busy.get().to_string()
                on:click=move |_| if !busy.get_untracked() { on_retry.run(()) }>
                {move || if busy.get() { "Retrying…" } else { "Retry" }}
            </button>
        </section>
    }
}

/// "Retrying… 2 of 6" while a read is tried again. Always in the page (empty otherwise), so
/// screen readers hear it and nothing moves when it appears.
#[component]
pub fn RetryNote(retrying: RwSignal<Option<Retrying>>) -> impl IntoView {
    view! {
        <p class="retrying muted" role="status">
            {move || retrying.get().map(|retry| retry.note())}
        </p>
    }
}

/// Shows the first `ApiError` caught by an `ErrorBoundary`.
pub fn first_api_error(errors: &leptos::error::Errors) -> ApiError {
    errors
        .iter()
        .find_map(|(_, error)| error.downcast_ref::<ApiError>().cloned())
        .unwrap_or_else(|| ApiError::Network("unknown error".to_owned()))
}
