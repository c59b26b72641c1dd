//! How a request travels: over HTTP with `fetch`, or to the emulator inside the page. Above
//! this, every backend takes the same code path.

mod early;
mod events;
mod http;
#[cfg(feature = "demo")]
mod in_page;
mod request;
mod upload;

use std::rc::Rc;

use super::ApiError;

pub use early::SCRIPT as EARLY_REQUEST_SCRIPT;
pub use events::listen;
pub use http::{READ_TIMEOUT, WRITE_TIMEOUT};
pub use request::{Body, Call, HttpMethod, RawResponse, Upload};
pub use upload::UploadCancel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Http,
    /// The emulator core in this page.
    InPage,
}

impl Transport {
    pub async fn send(self, call: &Call<'_>) -> Result<RawResponse, ApiError> {
        match self {
            Transport::Http => http::send(call).await,
            #[cfg(feature = "demo")]
            Transport::InPage => in_page::send(call).await,
            #[cfg(not(feature = "demo"))]
            Transport::InPage => Err(ApiError::Network(
                "This build of the console has no demo mode; connect it to a server in Settings."
                    .to_owned(),
            )),
        }
    }

    /// Uploads a bundle to `url`; `progress` hears the share sent so far (0 to 1).
    pub async fn upload(
        self,
        url: &str,
        upload: &Upload<'_>,
        authorization: Option<&str>,
        access_token: Option<&str>,
        progress: Rc<dyn Fn(f64)>,
        cancel: &UploadCancel,
    ) -> Result<RawResponse, ApiError> {
        match self {
            Transport::Http => {
                upload::send(url, upload, authorization, access_token, progress, cancel).await
            }
            #[cfg(feature = "demo")]
            Transport::InPage => {
                let answer = in_page::upload(url, upload, authorization).await;
                progress(1.0);
                answer
            }
            #[cfg(not(feature = "demo"))]
            Transport::InPage => Err(ApiError::Network(
                "This build of the console has no demo mode; connect it to a server in Settings."
                    .to_owned(),
            )),
        }
    }
}
