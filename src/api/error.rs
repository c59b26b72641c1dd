use microvisor_api::ApiErrorBody;
use microvisor_api::url::{LinkError, UrlError};

/// Every way an API call can fail, as plain data: `Clone`, so it can live in signals.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("Could not reach the API: {0}")]
    Network(String),
    #[error("The request was cancelled.")]
    Aborted,
    #[error("The API did not answer within {seconds} seconds.")]
    Timeout { seconds: u64 },
    #[error("The API answered HTTP {status} with something the console cannot read: {detail}")]
    Decode { status: u16, detail: String },
    #[error("{message}")]
    Api {
        status: u16,
        code: Option<i64>,
        message: String,
        more_info: Option<String>,
    },
    #[error("{0}")]
    Link(String),
}

impl ApiError {
    /// Builds the error for a non-2xx response from its status and body text.
    pub fn from_response(status: u16, status_text: &str, body: &str) -> ApiError {
        let body = ApiErrorBody::from_failed_response(status, status_text, body);
        ApiError::Api {
            status,
            code: body.code,
            message: body.message.unwrap_or_default(),
            more_info: body.more_info,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Api { status, .. } | ApiError::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// A sentence on what the person can do about it.
    pub fn advice(&self) -> &'static str {
        match self.status() {
            Some(401 | 403) => "Check the credentials the server uses for the API.",
            Some(404) => "Check the name or SID; it may have been renamed.",
            Some(429 | 503) => "The API is busy. Wait a moment, then retry.",
            Some(500..) => "The API had a problem. Retry in a moment.",
            _ => match self {
                ApiError::Network(_) => "Check that the console's server is running, then retry.",
                ApiError::Timeout { .. } => "The API or the network is slow. Retry in a moment.",
                ApiError::Link(_) => "The response pointed somewhere the console will not go.",
                _ => "Retry, and report it if it keeps happening.",
            },
        }
    }
}

impl From<UrlError> for ApiError {
    fn from(err: UrlError) -> Self {
        ApiError::Link(err.to_string())
    }
}

impl From<LinkError> for ApiError {
    fn from(err: LinkError) -> Self {
        ApiError::Link(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn vendor_bodies_become_api_errors() {
        let err = ApiError::from_response(
            404,
            "Not Found",
            r#"{"code":20404,"message":"The requested resource /Devices/x was not found","more_info":"https://www.twilio.com/docs/errors/20404","status":404}"#,
        );
        assert!(err.is_not_found());
        assert_eq!(
            err.to_string(),
            "The requested resource /Devices/x was not found"
        );
        assert!(matches!(
            err,
            ApiError::Api {
                code: Some(20404),
                ..
            }
        ));
    }

    #[wasm_bindgen_test]
    fn other_bodies_still_say_the_status() {
        let err = ApiError::from_response(502, "Bad Gateway", "<html>oops</html>");
        assert_eq!(err.to_string(), "HTTP 502 Bad Gateway");
        assert_eq!(err.advice(), "The API had a problem. Retry in a moment.");
        let err = ApiError::from_response(401, "", "{}");
        assert_eq!(
            err.advice(),
            "Check the credentials the server uses for the API."
        );
    }
}
