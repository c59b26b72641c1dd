//! The vendor's error body: `{"code", "message", "more_info", "status"}`.

use serde::{Deserialize, Serialize};

/// Error codes the vendor uses (see its error dictionary).
pub mod codes {
    pub const INVALID_PARAMETER: i64 = 20001;
    pub const AUTHENTICATE: i64 = 20003;
    pub const FORBIDDEN: i64 = 20403;
    pub const NOT_FOUND: i64 = 20404;
    pub const METHOD_NOT_ALLOWED: i64 = 20004;
    pub const TOO_MANY_REQUESTS: i64 = 20429;
    pub const INTERNAL: i64 = 20500;
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiErrorBody {
    #[serde(deserialize_with = "crate::lenient::integer")]
    pub code: Option<i64>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub more_info: Option<String>,
    #[serde(deserialize_with = "status")]
    pub status: Option<u16>,
}

/// An HTTP status in the body, or absent when it is not one.
fn status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    Ok(crate::lenient::integer(d)?.and_then(|n| u16::try_from(n).ok()))
}

impl ApiErrorBody {
    /// A body in the vendor's style, with `more_info` pointing at the code's documentation.
    pub fn new(status: u16, code: i64, message: impl Into<String>) -> ApiErrorBody {
        ApiErrorBody {
            code: Some(code),
            message: Some(message.into()),
            more_info: Some(format!("https://www.twilio.com/docs/errors/{code}")),
            status: Some(status),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a failed response: the vendor's body when it is one, else a body that says the
    /// HTTP status, so every failure has a message a person can read.
    pub fn from_failed_response(status: u16, status_text: &str, body: &str) -> ApiErrorBody {
        let fallback = || format!("HTTP {status} {status_text}").trim().to_owned();
        match serde_json::from_str::<ApiErrorBody>(body) {
            Ok(error) if error.message.is_some() || error.code.is_some() => ApiErrorBody {
                message: Some(error.message.unwrap_or_else(fallback)),
                status: Some(status),
                ..error
            },
            _ => ApiErrorBody {
                code: None,
                message: Some(fallback()),
                more_info: None,
                status: Some(status),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_bodies_are_read_and_others_say_the_status() {
        let error = ApiErrorBody::from_failed_response(
            404,
            "Not Found",
            r#"{"code":20404,"message":"The requested resource /Devices/x was not found","more_info":"https://www.twilio.com/docs/errors/20404","status":404}"#,
        );
        assert_eq!(error.code, Some(20404));
        assert_eq!(
            error.message.as_deref(),
            Some("The requested resource /Devices/x was not found")
        );
        let html = ApiErrorBody::from_failed_response(502, "Bad Gateway", "<html>oops</html>");
        assert_eq!(
            (html.code, html.message.as_deref()),
            (None, Some("HTTP 502 Bad Gateway"))
        );
        let empty = ApiErrorBody::from_failed_response(401, "", "{}");
        assert_eq!(empty.message.as_deref(), Some("HTTP 401"));
        let code_only =
            ApiErrorBody::from_failed_response(429, "Too Many Requests", r#"{"code":20429}"#);
        assert_eq!(
            code_only.message.as_deref(),
            Some("HTTP 429 Too Many Requests")
        );
        assert_eq!(
            ApiErrorBody::new(400, 20001, "x").to_json(),
            r#"{"code":20001,"message":"x","more_info":"https://www.twilio.com/docs/errors/20001","status":400}"#
        );
    }
}
