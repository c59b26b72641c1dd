use leptos::prelude::*;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <section class="panel">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href=crate::browser::routes::href("/devices")>"Go to the devices"</a></p>
        </section>
    }
}
