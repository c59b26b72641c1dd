use microvisor_api::config::collection_path;
use microvisor_api::url::{ApiBase, encode_segment};
use microvisor_api::{
    App, AppManifest, Config, Device, DeviceUpdate, KeyValueForm, ListPage, PageQuery, Secret,
};

use console_protocol::{API_BASE, ConsoleConfig};
use leptos::prelude::RwSignal;

use super::ApiError;
use std::rc::Rc;

use super::call::{Decode, RawBody, Retrying, decode, send_and_decode};
use super::transport::{Body, Call, HttpMethod, Transport, Upload, UploadCancel};
use crate::browser::web::page_origin;

/// The console's one way to the API. Every URL it requests is built from, or mapped onto, the
/// configured base, so no response can send it to another origin.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiClient {
    base: ApiBase,
    transport: Transport,
    /// `Basic …`, only when the user pointed the console at a custom API with a key. The
    /// console's own server holds the real credentials and needs none from the browser.
    authorization: Option<String>,
    /// This console's own access token, when its server asks for one.
    access_token: Option<String>,
    /// Where a page hears that a request is being tried again.
    retrying: Option<RwSignal<Option<Retrying>>>,
    /// The console's own API (saved views, rollouts): on its server, or in the page for the
    /// demo. A custom API URL has none.
    pub(super) console: Option<String>,
    /// Whether the console's server keeps a fleet index (`/console/v1/fleet/…`).
    pub(super) index: bool,
}

impl ApiClient {
    pub fn new(base: ApiBase) -> ApiClient {
        ApiClient {
            base,
            transport: Transport::Http,
            authorization: None,
            access_token: None,
            retrying: None,
            console: None,
            index: false,
        }
    }

    /// The console API's root beside the page, under its sub-path if any.
    fn console_beside_page() -> Option<String> {
        Some(format!(
            "{}{}",
            page_origin(),
            crate::browser::web::site_path(console_protocol::CONSOLE_API)
        ))
    }

    /// This client, telling `retrying` while a request of its is tried again.
    pub fn reporting_retries(&self, retrying: RwSignal<Option<Retrying>>) -> ApiClient {
        ApiClient {
            retrying: Some(retrying),
            ..self.clone()
        }
    }

    /// Where this tab's event stream is: on the console's server only (a custom API has none;
    /// the demo's is inside the page).
    pub fn event_stream_url(&self) -> Option<String> {
        (self.transport == Transport::Http)
            .then(|| self.console.as_ref().map(|root| format!("{root}/events")))
            .flatten()
    }

    /// Whether the demo's stand-ins inside this page answer this client.
    pub fn is_in_page(&self) -> bool {
        self.transport == Transport::InPage
    }

    /// The access token the event stream sends.
    pub(super) fn access_token_for_stream(&self) -> Option<String> {
        self.access_token.clone()
    }

    /// The console's own server, at the API base its `config.json` gives.
    pub fn server(config: &ConsoleConfig) -> Result<ApiClient, ApiError> {
        let mut client = ApiClient::new(ApiBase::new(&config.api_base, &page_origin())?);
        client.access_token = super::access_token();
        client.console = ApiClient::console_beside_page();
        client.index = config.index;
        Ok(client)
    }

    /// The emulator inside this page. URLs keep the page's origin, as a server's would.
    pub fn in_page() -> ApiClient {
        let base = ApiBase::new(API_BASE, &page_origin())
            .or_else(|_| ApiBase::new(API_BASE, "http://localhost"))
            .expect("a fixed base is valid");
        ApiClient {
            transport: Transport::InPage,
            console: ApiClient::console_beside_page(),
            ..ApiClient::new(base)
        }
    }

    /// A custom API URL, with HTTP Basic credentials when a key is given.
    pub fn custom(url: &str, key: &str, secret: &str) -> Result<ApiClient, ApiError> {
        let client = ApiClient::new(ApiBase::new(url.trim(), &page_origin())?);
        if key.is_empty() {
            return Ok(client);
        }
        let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".to_owned()))?;
        let encoded = window.btoa(&format!("{key}:{secret}")).map_err(|_| {
            ApiError::Network("API keys and secrets must be plain ASCII.".to_owned())
        })?;
        Ok(ApiClient {
            authorization: Some(format!("Basic {encoded}")),
            ..client
        })
    }

    pub fn base(&self) -> &ApiBase {
        &self.base
    }

    async fn call<T: Decode>(
        &self,
        method: HttpMethod,
        api_path: &str,
        form: Option<&str>,
    ) -> Result<T, ApiError> {
        let url = self.base.url_for(api_path)?;
        self.send(method, &url, form.map(Body::Form)).await
    }

    /// Sends to an absolute URL already checked against a base.
    pub(super) async fn send<T: Decode>(
        &self,
        method: HttpMethod,
        url: &str,
        body: Option<Body<'_>>,
    ) -> Result<T, ApiError> {
        send_and_decode(
            self.transport,
            Call {
                method,
                url,
                body,
                authorization: self.authorization.as_deref(),
                access_token: self.access_token.as_deref(),
            },
            self.retrying,
        )
        .await
    }

    /// A page of devices as its undecoded answer, for a scan that reads the next link first.
    pub async fn list_devices_body(&self, query: &PageQuery) -> Result<Vec<u8>, ApiError> {
        let url = self.base.url_for(&format!("/v1/Devices?{query}"))?;
        let body: RawBody = self.send(HttpMethod::Get, &url, None).await?;
        Ok(body.0)
    }

    /// Decodes what `list_devices_body` gave.
    pub fn decode_devices(body: Vec<u8>) -> Result<ListPage<Device>, ApiError> {
        ListPage::<Device>::decode(200, body)
    }

    pub async fn list_devices(&self, query: &PageQuery) -> Result<ListPage<Device>, ApiError> {
        self.call(HttpMethod::Get, &format!("/v1/Devices?{query}"), None)
            .await
    }

    pub async fn fetch_device(&self, id: &str) -> Result<Device, ApiError> {
        self.call(
            HttpMethod::Get,
            &format!("/v1/Devices/{}", encode_segment(id)),
            None,
        )
        .await
    }

    pub async fn update_device(&self, id: &str, update: &DeviceUpdate) -> Result<Device, ApiError> {
        let path = format!("/v1/Devices/{}", encode_segment(id));
        self.call(HttpMethod::Post, &path, Some(&update.to_form()))
            .await
    }

    pub async fn list_apps(&self, query: &PageQuery) -> Result<ListPage<App>, ApiError> {
        self.call(HttpMethod::Get, &format!("/v1/Apps?{query}"), None)
            .await
    }

    pub async fn fetch_app(&self, id: &str) -> Result<App, ApiError> {
        self.call(
            HttpMethod::Get,
            &format!("/v1/Apps/{}", encode_segment(id)),
            None,
        )
        .await
    }

    pub async fn fetch_manifest(&self, id: &str) -> Result<AppManifest, ApiError> {
        self.call(
            HttpMethod::Get,
            &format!("/v1/Apps/{}/Manifest", encode_segment(id)),
            None,
        )
        .await
    }

    /// Uploads an app bundle (`POST /v1/Apps`); `progress` hears the share sent (0 to 1),
    /// `cancel` stops it. Never tried again: an upload that broke off may have landed.
    pub async fn upload_app(
        &self,
        upload: &Upload<'_>,
        progress: Rc<dyn Fn(f64)>,
        cancel: &UploadCancel,
    ) -> Result<App, ApiError> {
        let url = self.base.url_for("/v1/Apps")?;
        let response = self
            .transport
            .upload(
                &url,
                upload,
                self.authorization.as_deref(),
                self.access_token.as_deref(),
                progress,
                cancel,
            )
            .await?;
        decode(response)
    }

    /// Deletes an app; the service refuses (400) while a device targets it.
    pub async fn delete_app(&self, id: &str) -> Result<(), ApiError> {
        self.call(
            HttpMethod::Delete,
            &format!("/v1/Apps/{}", encode_segment(id)),
            None,
        )
        .await
    }

    pub async fn list_configs(&self, device: Option<&str>) -> Result<ListPage<Config>, ApiError> {
        let path = format!(
            "{}?{}",
            collection_path(device, false),
            PageQuery::first(1000)
        );
        self.call(HttpMethod::Get, &path, None).await
    }

    pub async fn list_secrets(&self, device: Option<&str>) -> Result<ListPage<Secret>, ApiError> {
        let path = format!(
            "{}?{}",
            collection_path(device, true),
            PageQuery::first(1000)
        );
        self.call(HttpMethod::Get, &path, None).await
    }

    /// Creates (`key` in the form) or updates (`key` in the path) a Config or Secret. The
    /// answer is not decoded into a type: only success matters, and a Secret's has no value.
    pub async fn put_key_value(
        &self,
        device: Option<&str>,
        secrets: bool,
        existing: Option<&str>,
        form: &KeyValueForm,
    ) -> Result<(), ApiError> {
        let mut path = collection_path(device, secrets);
        if let Some(key) = existing {
            path = format!("{path}/{}", encode_segment(key));
        }
        self.call::<serde_json::Value>(HttpMethod::Post, &path, Some(&form.to_form()))
            .await
            .map(|_| ())
    }

    pub async fn delete_key_value(
        &self,
        device: Option<&str>,
        secrets: bool,
        key: &str,
    ) -> Result<(), ApiError> {
        let path = format!(
            "{}/{}",
            collection_path(device, secrets),
            encode_segment(key)
        );
        self.call(HttpMethod::Delete, &path, None).await
    }
}
