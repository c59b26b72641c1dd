//! A request to the demo's in-page server and its answer, in the demo's own terms; the fetch
//! layer's in-page transport translates its calls to these and back.

use microvisor_api::ApiErrorBody;
use microvisor_api::error::codes;
pub use microvisor_sim::Method;
use serde::Serialize;

/// One request, as the console sent it.
pub struct Request<'a> {
    pub method: Method,
    /// The whole URL, on this page's origin.
    pub url: &'a str,
    pub content_type: Option<&'a str>,
    /// The body's text (a form for `/v1`, JSON for `/console/v1`), empty when none.
    pub body: &'a str,
    /// The `Authorization` header, for a demo started with credentials.
    pub authorization: Option<&'a str>,
}

/// An app upload, as the console sent it (`POST /v1/Apps`).
pub struct UploadRequest<'a> {
    pub url: &'a str,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    pub unique_name: Option<&'a str>,
    pub authorization: Option<&'a str>,
}

/// One answer, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json<T: Serialize>(status: u16, value: &T) -> Answer {
        Answer {
            status,
            retry_after: None,
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    /// An error in the vendor's body shape.
    pub fn error(status: u16, code: i64, message: &str) -> Answer {
        Answer {
            status,
            retry_after: None,
            body: ApiErrorBody::new(status, code, message)
                .to_json()
                .into_bytes(),
        }
    }

    pub fn invalid(message: &str) -> Answer {
        Answer::error(400, codes::INVALID_PARAMETER, message)
    }

    pub fn not_found(what: &str) -> Answer {
        Answer::error(404, codes::NOT_FOUND, &format!("No {what} with that id."))
    }
}
