//! A request to the emulator and its answer, and what every operation uses to read one and
//! write the other: the form body, the vendor's list envelope, the vendor's errors.

use microvisor_api::error::codes;
use microvisor_api::{ApiErrorBody, ListPage, ListResource, PageQuery};
use serde::Serialize;

use crate::pagination;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
    Other,
}

impl Method {
    pub fn parse(method: &str) -> Method {
        match method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Other => "This method",
        }
    }
}

/// One HTTP request, as the emulator needs it.
#[derive(Debug, Clone)]
pub struct SimRequest<'a> {
    pub method: Method,
    /// Scheme and authority the request came to, used in absolute URLs: `http://127.0.0.1:8080`.
    pub origin: &'a str,
    /// The raw (still percent-encoded) path: `/v1/Devices/UV...`.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The `Authorization` header, if the request had one.
    pub authorization: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// Unix milliseconds.
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimResponse {
    pub status: u16,
    /// JSON text; empty for 204.
    pub body: String,
}

impl SimResponse {
    pub(crate) fn json<T: Serialize>(status: u16, value: &T) -> SimResponse {
        match serde_json::to_string(value) {
            Ok(body) => SimResponse { status, body },
            Err(err) => SimResponse::error(500, codes::INTERNAL, format!("Encoding failed: {err}")),
        }
    }

    pub(crate) fn no_content() -> SimResponse {
        SimResponse {
            status: 204,
            body: String::new(),
        }
    }

    pub fn error(status: u16, code: i64, message: impl Into<String>) -> SimResponse {
        SimResponse {
            status,
            body: ApiErrorBody::new(status, code, message).to_json(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> SimResponse {
        SimResponse::error(400, codes::INVALID_PARAMETER, message)
    }

    pub(crate) fn not_found(path: &str) -> SimResponse {
        SimResponse::error(
            404,
            codes::NOT_FOUND,
            format!("The requested resource {path} was not found"),
        )
    }
}

pub(crate) type Outcome = Result<SimResponse, SimResponse>;

pub(crate) fn method_not_allowed(method: Method, path: &str) -> SimResponse {
    SimResponse::error(
        405,
        codes::METHOD_NOT_ALLOWED,
        format!("{} is not allowed on {path}.", method.as_str()),
    )
}

/// One page of `items` as the vendor's list envelope.
pub(crate) fn list<R, T: ListResource + Serialize>(
    request: &SimRequest,
    items: &[R],
    position_of: impl Fn(&str) -> Option<usize>,
    id_of: impl Fn(&R) -> String,
    view: impl Fn(&R) -> T,
    list_url: &str,
) -> Outcome {
    let query =
        PageQuery::parse(request.query).map_err(|err| SimResponse::invalid(err.to_string()))?;
    let window = pagination::window(&query, items.len(), position_of).map_err(|bad| {
        SimResponse::invalid(format!(
            "PageToken '{}' is not valid: use the page URLs from a previous response.",
            bad.0
        ))
    })?;
    let page = ListPage {
        items: items[window.start..window.end]
            .iter()
            .map(view)
            .collect::<Vec<T>>(),
        meta: pagination::meta(&window, items.len(), list_url, T::KEY, &query, |i| {
            id_of(&items[i])
        }),
    };
    Ok(SimResponse::json(200, &page))
}

/// The body of a write, which must be form-encoded UTF-8.
pub(crate) fn read_form(request: &SimRequest) -> Result<String, SimResponse> {
    if !request.body.is_empty() {
        let media_type = request
            .content_type
            .and_then(|value| value.split(';').next())
            .map(|value| value.trim().to_ascii_lowercase());
        if media_type.as_deref() != Some("application/x-www-form-urlencoded") {
            return Err(SimResponse::invalid(
                "The request body must be application/x-www-form-urlencoded.",
            ));
        }
    }
    String::from_utf8(request.body.to_vec())
        .map_err(|_| SimResponse::invalid("The request body is not valid UTF-8."))
}
