use microvisor_api::url::{ApiBase, encode_segment};
use microvisor_api::{App, Device, DeviceUpdate, ListPage, PageQuery};

use super::http::{Body, send_json};
use super::{ApiError, ConsoleConfig};

/// The console's one way to the API. Every URL it requests is built from, or mapped onto, the
/// configured base, so no response can send it to another origin.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiClient {
    base: ApiBase,
}

impl ApiClient {
    pub fn new(base: ApiBase) -> ApiClient {
        ApiClient { base }
    }

    pub fn from_config(config: &ConsoleConfig) -> Result<ApiClient, ApiError> {
        let page_origin = web_sys::window()
            .and_then(|window| window.location().origin().ok())
            .unwrap_or_default();
        Ok(ApiClient::new(ApiBase::new(
            &config.api_base,
            &page_origin,
        )?))
    }

    pub fn base(&self) -> &ApiBase {
        &self.base
    }

    pub async fn list_devices(&self, query: &PageQuery) -> Result<ListPage<Device>, ApiError> {
        let url = self.base.url_for(&format!("/v1/Devices?{query}"))?;
        send_json("GET", &url, Body::None).await
    }

    pub async fn fetch_device(&self, id: &str) -> Result<Device, ApiError> {
        let url = self
            .base
            .url_for(&format!("/v1/Devices/{}", encode_segment(id)))?;
        send_json("GET", &url, Body::None).await
    }

    pub async fn update_device(&self, id: &str, update: &DeviceUpdate) -> Result<Device, ApiError> {
        let url = self
            .base
            .url_for(&format!("/v1/Devices/{}", encode_segment(id)))?;
        send_json("POST", &url, Body::Form(&update.to_form())).await
    }

    pub async fn list_apps(&self, query: &PageQuery) -> Result<ListPage<App>, ApiError> {
        let url = self.base.url_for(&format!("/v1/Apps?{query}"))?;
        send_json("GET", &url, Body::None).await
    }
}
