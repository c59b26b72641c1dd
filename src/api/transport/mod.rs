//! How a request travels: over HTTP with `fetch`, or to the emulator inside the page. Above
//! this, every backend takes the same code path.

mod http;
#[cfg(feature = "demo")]
pub mod in_page;

use super::ApiError;

pub use http::{READ_TIMEOUT, WRITE_TIMEOUT};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Http,
    /// The emulator core in this page.
    InPage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
    Delete,
}

/// A request's body: a form for the Microvisor API, JSON for the console's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    Form(&'a str),
    Json(&'a str),
}

impl<'a> Body<'a> {
    pub fn content_type(self) -> &'static str {
        match self {
            Body::Form(_) => "application/x-www-form-urlencoded",
            Body::Json(_) => "application/json",
        }
    }

    pub fn text(self) -> &'a str {
        match self {
            Body::Form(text) | Body::Json(text) => text,
        }
    }
}

pub struct Call<'a> {
    pub method: HttpMethod,
    pub url: &'a str,
    pub body: Option<Body<'a>>,
    /// The `Authorization` header value, only for a custom API the user configured.
    pub authorization: Option<&'a str>,
    /// This console's access token, for its own server.
    pub access_token: Option<&'a str>,
}

/// A complete answer, before decoding.
pub struct RawResponse {
    pub status: u16,
    pub status_text: String,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
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
