//! The App resource (`/v1/Apps/{Sid}`).

use serde::{Deserialize, Serialize};

use crate::list::ListResource;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct App {
    pub sid: Option<String>,
    pub account_sid: Option<String>,
    pub hash: Option<String>,
    pub unique_name: Option<String>,
    pub date_created: Option<String>,
    pub date_updated: Option<String>,
    pub url: Option<String>,
    pub links: Option<AppLinks>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppLinks {
    pub app_manifests: Option<String>,
}

impl ListResource for App {
    const KEY: &'static str = "apps";
}

/// `GET /v1/Apps/{AppSid}/Manifest`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppManifest {
    pub app_sid: Option<String>,
    pub hash: Option<String>,
    pub encoded_bytes: Option<String>,
    pub url: Option<String>,
}
