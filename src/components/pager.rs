use leptos::prelude::*;

/// Where the pager's buttons lead: console routes, or `None` where there is no such page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PagerLinks {
    pub first: Option<String>,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// First / Previous / Next as links, so they work with the keyboard, open in new tabs, and
/// keep history. While `busy`, they are shown disabled.
#[component]
pub fn Pager(
    links: PagerLinks,
    summary: String,
    #[prop(into)] busy: Signal<bool>,
) -> impl IntoView {
    let link = move |label: &'static str, href: Option<String>| {
        let missing = href.is_none();
        view! {
            <a
                class="button"
                href=move || href.clone().filter(|_| !busy.get())
                aria-disabled=move || (missing || busy.get()).to_string()
            >
                {label}
            </a>
        }
    };
    view! {
        <nav class="pager" aria-label="Pages">
            {link("First", links.first)}
            {link("Previous", links.previous)}
            <span class="summary" aria-live="polite">{summary}</span>
            {link("Next", links.next)}
        </nav>
    }
}
