use app_bundle::Manifest;
use base64::Engine as _;
use console_core::commands::{app_delete_cli_command, curl_for};
use console_core::display::shown_name;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map};
use microvisor_api::url::encode_segment;
use microvisor_api::{App, AppManifest};

use crate::api::{ApiClient, ApiError};
use crate::browser::routes::device_href_by;
use crate::components::{
    ConfirmDialog, CopyCommandPair, ErrorPanel, ManifestFacts, RetryNote, WriteGuard,
    first_api_error,
};
use crate::fleet::scan::FleetScan;
use crate::pages::shared::use_client_reporting_retries;

/// The manifest the API's `encoded_bytes` carry, decoded; or why it cannot be.
fn decoded(manifest: Option<&AppManifest>) -> Result<Manifest, String> {
    let encoded = manifest
        .and_then(|m| m.encoded_bytes.as_deref())
        .ok_or_else(|| "The API gave no manifest for this app.".to_owned())?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|err| format!("The manifest is not base64: {err}"))?;
    Manifest::decode(&bytes).map_err(|err| err.to_string())
}

/// `/apps/{sid or unique name}`: the app, its manifest, the loaded devices that target it,
/// and delete.
#[component]
pub fn AppDetailPage() -> impl IntoView {
    let (client, retrying) = use_client_reporting_retries();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let app = LocalResource::new({
        let client = client.clone();
        move || {
            let client = client.clone();
            let id = id.get();
            async move {
                let app = client.fetch_app(&id).await?;
                let manifest = client.fetch_manifest(&id).await.ok();
                Ok::<_, ApiError>((app, manifest))
            }
        }
    });
    let retry = Callback::new(move |()| app.refetch());
    view! {
        <p><a href=crate::browser::routes::href("/apps")>"← Apps"</a></p>
        <RetryNote retrying/>
        <Transition fallback=|| view! { <p class="loading">"Loading app…"</p> }>
            <ErrorBoundary fallback=move |errors| view! { <ErrorPanel error=first_api_error(&errors.read()) on_retry=retry/> }>
                {move || Suspend::new(async move {
                    app.await.map(|(app, manifest)| {
                        let manifest = decoded(manifest.as_ref());
                        view! { <AppView app manifest/> }
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn AppView(app: App, manifest: Result<Manifest, String>) -> impl IntoView {
    let client = expect_context::<ApiClient>();
    let loaded = expect_context::<FleetScan>().devices;
    let sid = app.sid.clone().unwrap_or_default();
    let name = app.unique_name.clone().unwrap_or_else(|| sid.clone());
    let targeting = {
        let sid = sid.clone();
        move || {
            loaded.with(|devices| {
                devices
                    .iter()
                    .filter(|d| {
                        d.app.as_ref().and_then(|a| a.target_sid.as_deref()) == Some(sid.as_str())
                    })
                    .map(|d| (d.display_name().to_owned(), shown_name(d).into_owned()))
                    .collect::<Vec<_>>()
            })
        }
    };
    let confirm_open = RwSignal::new(false);
    let navigate = use_navigate();
    // Once the app is gone, so is its page: back to the list.
    let delete = Action::new_local({
        let sid = sid.clone();
        move |(): &()| {
            let (client, sid, navigate) = (client.clone(), sid.clone(), navigate.clone());
            async move {
                client.delete_app(&sid).await?;
                navigate("/apps", NavigateOptions::default());
                Ok::<_, ApiError>(())
            }
        }
    });
    let message = Signal::derive({
        let name = name.clone();
        move || {
            format!(
                "Delete the app {name}? This cannot be undone. The service refuses while a device targets it."
            )
        }
    });
    let text = |value: Option<String>| value.unwrap_or_else(|| "—".to_owned());
    let rollout_href =
        crate::browser::routes::href(&format!("/rollouts/new?app={}", encode_segment(&sid)));
    view! {
        <h1>{name.clone()}</h1>
        <div class="detail-grid">
            <section class="panel">
                <h2>"App"</h2>
                <dl>
                    <dt>"SID"</dt><dd><code>{sid.clone()}</code></dd>
                    <dt>"Unique name"</dt><dd>{text(app.unique_name.clone())}</dd>
                    <dt>"Hash"</dt><dd><code>{text(app.hash.clone())}</code></dd>
                    <dt>"Created"</dt><dd>{text(app.date_created.clone())}</dd>
                    <dt>"URL"</dt><dd><code>{text(app.url.clone())}</code></dd>
                </dl>
            </section>
            <section class="panel manifest">
                <h2>"Manifest"</h2>
                {match manifest {
                    Ok(manifest) => view! { <ManifestFacts manifest/> }.into_any(),
                    Err(why) => view! { <p class="field-error">{why}</p> }.into_any(),
                }}
                <p><a class="button" href=rollout_href>"Roll out…"</a></p>
            </section>
            <section class="panel">
                <h2>"Devices that target it"</h2>
                {move || {
                    if loaded.with(Vec::is_empty) {
                        view! { <p class="muted">"No devices are loaded. " <a href=crate::browser::routes::href("/fleet")>"Scan the fleet"</a> " to see them."</p> }.into_any()
                    } else {
                        let names = targeting();
                        let total = loaded.with(Vec::len);
                        view! {
                            <p class="targeting">{format!("{} of the {total} loaded devices", names.len())}</p>
                            <ul class="device-names">
                                {names.into_iter().take(50).map(|(id, name)| {
                                    view! { <li><a href=device_href_by(&id)>{name}</a></li> }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                }}
            </section>
        </div>
        <section class="panel">
            <h2>"Delete"</h2>
            <WriteGuard>
                <button type="button" class="danger" disabled=move || delete.pending().get() on:click=move |_| confirm_open.set(true)>"Delete app"</button>
            </WriteGuard>
            <CopyCommandPair
                curl=curl_for("DELETE", &format!("/v1/Apps/{}", encode_segment(&sid)), &[])
                cli=app_delete_cli_command(&sid)
            />
            <p class="field-error" role="alert">{move || delete.value().get().and_then(Result::err).map(|err| err.to_string())}</p>
            <ConfirmDialog open=confirm_open title="Delete app" message confirm_label="Delete" on_confirm=Callback::new(move |()| { delete.dispatch(()); })/>
        </section>
    }
}
