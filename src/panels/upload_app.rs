//! "Upload app": a bundle chosen (file picker or drag and drop) is read in the browser first,
//! so a broken file is refused at once with the reason, and what its manifest says is shown
//! before anything is sent; then the upload, with its progress and Cancel, and on success the
//! new app's page.

use std::rc::Rc;

use app_bundle::{Bundle, Limits};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use microvisor_api::url::encode_segment;
use microvisor_api::{App, validate_unique_name};
use send_wrapper::SendWrapper;
use wasm_bindgen_futures::JsFuture;

use crate::api::{ApiClient, ApiError, Upload, UploadCancel};
use crate::components::{ManifestFacts, WriteGuard};

/// A file chosen, its bytes, and what reading it as a bundle gave.
#[derive(Clone)]
struct Chosen {
    name: String,
    bytes: Rc<Vec<u8>>,
    read: Result<Bundle, String>,
}

/// The file's bytes, read by the browser.
async fn bytes_of(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| "The browser could not read the file.".to_owned())?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The first file of an `<input type=file>` change or a drop.
fn first_file(files: Option<web_sys::FileList>) -> Option<SendWrapper<web_sys::File>> {
    files?.get(0).map(SendWrapper::new)
}

#[component]
pub fn UploadApp() -> impl IntoView {
    let client = expect_context::<ApiClient>();
    let chosen = RwSignal::new_local(None::<Chosen>);
    let unique_name = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<f64>);
    let cancel = StoredValue::new_local(UploadCancel::default());
    let dragging = RwSignal::new(false);
    // Read as soon as it is chosen: the manifest shows, or why the file is not a bundle.
    let read = Action::new_local(move |file: &SendWrapper<web_sys::File>| {
        let file = file.clone();
        async move {
            let name = file.name();
            let (bytes, read) = match bytes_of(&file).await {
                Ok(bytes) => {
                    let read =
                        app_bundle::read(&bytes, Limits::default()).map_err(|err| err.to_string());
                    (bytes, read)
                }
                Err(err) => (Vec::new(), Err(err)),
            };
            chosen.set(Some(Chosen {
                name,
                bytes: Rc::new(bytes),
                read,
            }));
        }
    });
    let navigate = use_navigate();
    let upload = Action::new_local(move |(): &()| {
        let (client, navigate) = (client.clone(), navigate.clone());
        let picked = chosen.get_untracked();
        let name = unique_name.get_untracked().trim().to_owned();
        async move {
            let Some(picked) = picked else {
                return Err(ApiError::Network("Choose a bundle first.".to_owned()));
            };
            progress.set(Some(0.0));
            let upload = Upload {
                file_name: &picked.name,
                bytes: &picked.bytes,
                unique_name: (!name.is_empty()).then_some(name.as_str()),
            };
            let on_progress: Rc<dyn Fn(f64)> = Rc::new(move |share| progress.set(Some(share)));
            let created: Result<App, ApiError> = client
                .upload_app(&upload, on_progress, &cancel.get_value())
                .await;
            progress.set(None);
            if let Ok(app) = &created {
                let sid = app.sid.clone().unwrap_or_default();
                navigate(
                    &format!("/apps/{}", encode_segment(&sid)),
                    Default::default(),
                );
            }
            created
        }
    });
    let name_problem = move || {
        unique_name.with(|name| {
            let name = name.trim();
            (!name.is_empty())
                .then(|| validate_unique_name(name).err().map(|err| err.to_string()))
                .flatten()
        })
    };
    let readable = move || chosen.with(|c| c.as_ref().is_some_and(|c| c.read.is_ok()));
    let on_pick = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        if let Some(file) = first_file(input.files()) {
            upload.value().set(None);
            read.dispatch(file);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(file) = first_file(ev.data_transfer().and_then(|d| d.files())) {
            upload.value().set(None);
            read.dispatch(file);
        }
    };
    view! {
        <section class="panel upload-app" aria-labelledby="upload-heading">
            <h2 id="upload-heading">"Upload app"</h2>
            <WriteGuard>
            <div class="drop-zone" class:dragging=move || dragging.get()
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <label for="bundle-file">"App bundle (.zip from the bundler or console-server bundle build), or drop it here"</label>
                <input id="bundle-file" type="file" accept=".zip,application/zip" on:change=on_pick/>
            </div>
            <BundleRead chosen/>
            <div class="edit-row">
                <label for="bundle-unique-name">"Unique name (optional)"</label>
                <input id="bundle-unique-name" type="text" maxlength="64" spellcheck="false" placeholder="e.g. meter-reader-2.1"
                    prop:value=move || unique_name.get() on:input=move |ev| unique_name.set(event_target_value(&ev))/>
            </div>
            <p class="field-error" role="alert">{name_problem}</p>
            <div class="actions">
                <button type="button" disabled=move || !readable() || name_problem().is_some() || upload.pending().get()
                    on:click=move |_| { upload.dispatch(()); }>"Upload"</button>
                <Show when=move || upload.pending().get()>
                    <progress class="upload-progress" max="1" prop:value=move || progress.get().unwrap_or(0.0) aria-label="Upload progress"></progress>
                    <span class="muted" aria-live="polite">{move || format!("{:.0} %", progress.get().unwrap_or(0.0) * 100.0)}</span>
                    <button type="button" class="secondary" on:click=move |_| cancel.with_value(UploadCancel::cancel)>"Cancel"</button>
                </Show>
            </div>
            <p class="field-error upload-error" role="alert">{move || upload.value().with(|v| match v {
                Some(Err(ApiError::Aborted)) => Some("Cancelled: nothing was uploaded.".to_owned()),
                Some(Err(err)) => Some(err.to_string()),
                _ => None,
            })}</p>
            </WriteGuard>
        </section>
    }
}

/// What the chosen file turned out to be: its manifest, or why it is not a bundle.
#[component]
fn BundleRead(chosen: RwSignal<Option<Chosen>, LocalStorage>) -> impl IntoView {
    move || {
        chosen.with(|chosen| {
            chosen.as_ref().map(|chosen| match &chosen.read {
                Ok(bundle) => {
                    let sizes = bundle.layers.iter().map(|layer| layer.size).collect();
                    view! {
                        <div class="bundle-summary">
                            <p class="field-ok">{format!("{}: a bundle of {} layer(s), {} bytes.", chosen.name, bundle.layers.len(), bundle.archive_bytes)}</p>
                            <ManifestFacts manifest=bundle.manifest.clone() sizes/>
                        </div>
                    }
                    .into_any()
                }
                Err(why) => view! {
                    <p class="field-error bundle-refused" role="alert">{format!("{} cannot be uploaded: {why}", chosen.name)}</p>
                }
                .into_any(),
            })
        })
    }
}
