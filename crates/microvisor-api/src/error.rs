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
    pub code: Option<i64>,
    pub message: Option<String>,
    pub more_info: Option<String>,
    pub status: Option<u16>,
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
}
