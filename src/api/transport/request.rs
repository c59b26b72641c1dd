//! A request as it travels, whichever way: its method, body and credentials, and the answer
//! that comes back before it is decoded.

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

/// An app bundle to upload: `POST /v1/Apps`, multipart, the bundle in `File` and an optional
/// `UniqueName`.
pub struct Upload<'a> {
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    pub unique_name: Option<&'a str>,
}
