//! An app bundle uploaded over HTTP: `multipart/form-data` built by the browser, sent with
//! `XMLHttpRequest` because `fetch` reports no upload progress. Cancel (or the view that
//! started it going away) aborts it; the server then creates nothing.

use std::cell::RefCell;
use std::rc::Rc;

use console_protocol::ACCESS_TOKEN_HEADER;
use futures_channel::oneshot;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{Blob, BlobPropertyBag, FormData, ProgressEvent, XmlHttpRequest};

use super::request::{RawResponse, Upload};
use crate::api::error::ApiError;

/// Cancels an upload under way; a clone cancels the same one.
#[derive(Clone, Default)]
pub struct UploadCancel(Rc<RefCell<Option<XmlHttpRequest>>>);

impl UploadCancel {
    pub fn cancel(&self) {
        if let Some(xhr) = self.0.borrow_mut().take() {
            let _ = xhr.abort();
        }
    }
}

/// How an upload ended, as the browser said.
enum Ended {
    Loaded,
    Failed,
    Aborted,
}

fn failed(err: wasm_bindgen::JsValue) -> ApiError {
    ApiError::Network(format!("{err:?}"))
}

pub async fn send(
    url: &str,
    upload: &Upload<'_>,
    authorization: Option<&str>,
    access_token: Option<&str>,
    progress: Rc<dyn Fn(f64)>,
    cancel: &UploadCancel,
) -> Result<RawResponse, ApiError> {
    let xhr = XmlHttpRequest::new().map_err(failed)?;
    xhr.open("POST", url).map_err(failed)?;
    xhr.set_request_header("Accept", "application/json")
        .map_err(failed)?;
    if let Some(authorization) = authorization {
        xhr.set_request_header("Authorization", authorization)
            .map_err(failed)?;
    }
    if let Some(token) = access_token {
        xhr.set_request_header(ACCESS_TOKEN_HEADER, token)
            .map_err(failed)?;
    }
    xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Arraybuffer);
    let form = FormData::new().map_err(failed)?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(upload.bytes));
    let options = BlobPropertyBag::new();
    options.set_type("application/zip");
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(failed)?;
    form.append_with_blob_and_filename("File", &blob, upload.file_name)
        .map_err(failed)?;
    if let Some(name) = upload.unique_name {
        form.append_with_str("UniqueName", name).map_err(failed)?;
    }
    let (done, ended) = oneshot::channel::<Ended>();
    let done = Rc::new(RefCell::new(Some(done)));
    let finish = |how: fn() -> Ended| {
        let done = Rc::clone(&done);
        Closure::<dyn FnMut()>::new(move || {
            if let Some(done) = done.borrow_mut().take() {
                let _ = done.send(how());
            }
        })
    };
    let on_load = finish(|| Ended::Loaded);
    let on_error = finish(|| Ended::Failed);
    let on_abort = finish(|| Ended::Aborted);
    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    xhr.set_onabort(Some(on_abort.as_ref().unchecked_ref()));
    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |event: ProgressEvent| {
        if event.length_computable() && event.total() > 0.0 {
            progress(event.loaded() / event.total());
        }
    });
    if let Ok(target) = xhr.upload() {
        target.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    *cancel.0.borrow_mut() = Some(xhr.clone());
    // The view that started it going away cancels it too.
    let owner_cancel = send_wrapper::SendWrapper::new(cancel.clone());
    leptos::prelude::on_cleanup(move || owner_cancel.cancel());
    xhr.send_with_opt_form_data(Some(&form)).map_err(failed)?;
    let ended = ended.await.unwrap_or(Ended::Aborted);
    cancel.0.borrow_mut().take();
    match ended {
        Ended::Aborted => Err(ApiError::Aborted),
        Ended::Failed => Err(ApiError::Network(
            "the upload broke off before the server answered".to_owned(),
        )),
        Ended::Loaded => {
            let body = xhr
                .response()
                .ok()
                .filter(|body| !body.is_null() && !body.is_undefined())
                .map(|body| js_sys::Uint8Array::new(&body).to_vec())
                .unwrap_or_default();
            Ok(RawResponse {
                status: xhr.status().unwrap_or(0),
                status_text: xhr.status_text().unwrap_or_default(),
                retry_after: xhr.get_response_header("Retry-After").ok().flatten(),
                body,
            })
        }
    }
}
