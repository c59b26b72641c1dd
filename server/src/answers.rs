//! What every handler shares: the vendor-style error answer, and the origin a request was
//! addressed to.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use microvisor_api::ApiErrorBody;

/// An error in the vendor's body shape: `{"code", "message", "more_info", "status"}`.
pub fn error(status: u16, code: i64, message: &str) -> Response {
    let status_code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status_code,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        ApiErrorBody::new(status, code, message).to_json(),
    )
        .into_response()
}

/// `http://{Host}` when the Host header is a plain host name or address (with a port), the
/// form absolute URLs in answers take; `None` for a missing or odd one. The Host allowlist has
/// already vetted the name itself.
pub fn request_origin(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let plain = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    plain.then(|| format!("http://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_come_only_from_plain_hosts() {
        let with_host = |host: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
            request_origin(&headers)
        };
        assert_eq!(
            with_host("127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(with_host("[::1]:80").as_deref(), Some("http://[::1]:80"));
        assert_eq!(with_host("evil/\"x"), None);
        assert_eq!(with_host(""), None);
        assert_eq!(request_origin(&HeaderMap::new()), None);
    }
}
