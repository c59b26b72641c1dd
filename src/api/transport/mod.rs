//! How a request travels: over HTTP with `fetch`, or to the emulator inside the page. Above
//! this, every backend takes the same code path.

mod http;
#[cfg(feature = "demo")]
mod in_page;
mod request;

use super::ApiError;

pub use http::{READ_TIMEOUT, WRITE_TIMEOUT};
pub use request::{Body, Call, HttpMethod, RawResponse};

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
}
