//! The App resource (`/v1/Apps/{Sid}`).

use serde::{Deserialize, Serialize};

use crate::list::ListResource;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct App {
    #[serde(deserialize_with = "crate::lenient::sid")]
    pub sid: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub account_sid: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub hash: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub unique_name: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub date_created: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub date_updated: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub url: Option<String>,
    #[serde(deserialize_with = "crate::lenient::object")]
    pub links: Option<AppLinks>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppLinks {
    #[serde(deserialize_with = "crate::lenient::string")]
    pub app_manifests: Option<String>,
}

impl ListResource for App {
    const KEY: &'static str = "apps";
}

/// `GET /v1/Apps/{AppSid}/Manifest`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppManifest {
    #[serde(deserialize_with = "crate::lenient::string")]
    pub app_sid: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub hash: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub encoded_bytes: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub url: Option<String>,
}
