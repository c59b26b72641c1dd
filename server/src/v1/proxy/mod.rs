//! Proxy mode: `/v1/*` forwarded to a fixed upstream with credentials that never leave the
//! server.

pub mod auth;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use microvisor_api::error::codes;
use microvisor_api::url::split_origin;

use crate::answers::{error, request_origin};
use crate::v1::uploads::{self, Received, UploadPolicy};
use auth::{Authorizer, Credentials, UpstreamError};

pub struct Upstream {
    /// The API's origin (`https://api.example.com`), fixed at start.
    origin: String,
    /// Any path before `/v1`, without a trailing slash.
    prefix: String,
    /// Where uploads go (the vendor's upload host is not its API host): origin and prefix.
    upload: (String, String),
    uploads: UploadPolicy,
    auth: Authorizer,
    client: reqwest::Client,
}

/// An http(s) URL as (origin, path prefix without a trailing slash).
fn origin_and_prefix(url: &str, flag: &str) -> Result<(String, String), String> {
    let (origin, path) =
        split_origin(url).ok_or_else(|| format!("{flag} '{url}' must be an http(s) URL"))?;
    if path.contains(['?', '#']) {
        return Err(format!("{flag} '{url}' cannot have a query or fragment"));
    }
    Ok((origin, path.trim_end_matches('/').to_owned()))
}

/// Largest upstream answer passed on; list pages of 1,000 devices are well under it.
const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

impl Upstream {
    /// The API at `url`; uploads at `upload_url` (or `url`), taken under `uploads`.
    pub fn new(
        url: &str,
        upload_url: Option<&str>,
        uploads: UploadPolicy,
        credentials: Credentials,
        timeout: Duration,
    ) -> Result<Upstream, String> {
        let (origin, prefix) = origin_and_prefix(url, "--upstream")?;
        let upload = match upload_url {
            Some(upload_url) => origin_and_prefix(upload_url, "--upload-upstream")?,
            None => (origin.clone(), prefix.clone()),
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .timeout(timeout)
            .user_agent(concat!("microvisor-console/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| format!("cannot build the HTTP client: {err}"))?;
        Ok(Upstream {
            origin,
            prefix,
            upload,
            uploads,
            auth: Authorizer::new(credentials),
            client,
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn credentials(&self) -> &Credentials {
        self.auth.credentials()
    }

    /// Sends one request to the upstream, with the server's credentials: `path_and_query` is
    /// the API path (`/v1/...`), appended to the upstream's own prefix. With OAuth2, a 401 is
    /// met with one fresh token and one retry (the token may have been revoked or expired).
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        content_type: Option<&HeaderValue>,
        body: Bytes,
    ) -> Result<reqwest::Response, UpstreamError> {
        let url = format!("{}{}{}", self.origin, self.prefix, path_and_query);
        let build = || {
            let mut request = self
                .client
                .request(method.clone(), &url)
                .header(header::ACCEPT, "application/json");
            if let Some(content_type) = content_type {
                request = request.header(header::CONTENT_TYPE, content_type);
            }
            if method != Method::GET {
                request = request.body(body.clone());
            }
            request
        };
        let (request, token) = self.auth.authorize(&self.client, build(), None).await?;
        let response = request.send().await.map_err(UpstreamError::of)?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED || !self.auth.refreshes() {
            return Ok(response);
        }
        tracing::info!("upstream refused the token; fetching a new one and trying once more");
        let (request, _) = self
            .auth
            .authorize(&self.client, build(), token.as_deref())
            .await?;
        request.send().await.map_err(UpstreamError::of)
    }
}

impl Upstream {
    /// Sends a received upload to the upload upstream as multipart, the bundle streamed from
    /// its file; with OAuth2, a 401 gets one fresh token and one retry (the form is built
    /// again, from the file).
    async fn send_upload(&self, received: &Received) -> Result<reqwest::Response, UpstreamError> {
        let url = format!("{}{}/v1/Apps", self.upload.0, self.upload.1);
        let build = || async {
            let mut form = reqwest::multipart::Form::new().part(
                "File",
                uploads::file_part(received)
                    .await
                    .map_err(|err| UpstreamError::Unreachable(err.to_string()))?,
            );
            if let Some(name) = &received.unique_name {
                form = form.text("UniqueName", name.clone());
            }
            Ok::<_, UpstreamError>(
                self.client
                    .post(&url)
                    .header(header::ACCEPT, "application/json")
                    .multipart(form),
            )
        };
        let (request, token) = self
            .auth
            .authorize(&self.client, build().await?, None)
            .await?;
        let response = request.send().await.map_err(UpstreamError::of)?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED || !self.auth.refreshes() {
            return Ok(response);
        }
        let (request, _) = self
            .auth
            .authorize(&self.client, build().await?, token.as_deref())
            .await?;
        request.send().await.map_err(UpstreamError::of)
    }
}

/// `POST /v1/Apps`: the upload received and checked here (a bad bundle never leaves), then
/// streamed on to the upload upstream with the server's credentials; its answer comes back
/// as the upstream sent it.
pub async fn upload(State(upstream): State<Arc<Upstream>>, request: Request) -> Response {
    let own_origin = request_origin(request.headers());
    let received = match uploads::receive(request, &upstream.uploads).await {
        Ok(received) => received,
        Err(refused) => return refused,
    };
    let bundle = match uploads::check(&received, &upstream.uploads).await {
        Ok(bundle) => bundle,
        Err(refused) => return refused,
    };
    let facts = received.facts(Some(&bundle));
    let answer = match upstream.send_upload(&received).await {
        Ok(response) => pass_back(&upstream, response, own_origin).await,
        Err(err) => {
            tracing::warn!(path = "/v1/Apps", "upload upstream failed: {err}");
            failure_answer(err)
        }
    };
    uploads::with_facts(answer, facts)
}

/// Absolute URLs on the upstream's origin become URLs on the origin the browser used, so
/// page links lead back through this proxy. The vendor's own origin is left alone: the
/// console maps it onto its API base itself.
fn rewrite_links(body: &str, upstream: &str, own_origin: &str) -> String {
    if upstream == microvisor_api::VENDOR_ORIGIN {
        return body.to_owned();
    }
    body.replace(&format!("\"{upstream}/"), &format!("\"{own_origin}/"))
}

pub async fn forward(
    State(upstream): State<Arc<Upstream>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !matches!(method, Method::GET | Method::POST | Method::DELETE) {
        return error(
            405,
            codes::METHOD_NOT_ALLOWED,
            "Only GET, POST and DELETE are forwarded.",
        );
    }
    let path_and_query = uri.path_and_query().map_or("/v1", |pq| pq.as_str());
    let sent = upstream
        .send(
            method.clone(),
            path_and_query,
            headers.get(header::CONTENT_TYPE),
            body,
        )
        .await;
    match sent {
        Ok(response) => pass_back(&upstream, response, request_origin(&headers)).await,
        Err(err) => {
            // The error holds neither the URL nor any credential.
            tracing::warn!(%method, path = uri.path(), "upstream failed: {err}");
            failure_answer(err)
        }
    }
}

/// What the browser gets when the upstream could not be asked.
fn failure_answer(err: UpstreamError) -> Response {
    match err {
        UpstreamError::Timeout => error(
            504,
            codes::INTERNAL,
            "The Microvisor API did not answer in time.",
        ),
        UpstreamError::Unreachable(_) => error(
            502,
            codes::INTERNAL,
            "The Microvisor API could not be reached.",
        ),
        UpstreamError::Token(_) => error(
            502,
            codes::INTERNAL,
            "The console server could not get an access token for the Microvisor API.",
        ),
    }
}

/// The upstream's answer passed back: status, body (links leading back through this proxy),
/// content type and `Retry-After`, within the size cap.
async fn pass_back(
    upstream: &Upstream,
    response: reqwest::Response,
    own_origin: Option<String>,
) -> Response {
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let too_large = || {
        error(
            502,
            codes::INTERNAL,
            "The Microvisor API's answer was too large.",
        )
    };
    if response
        .content_length()
        .is_some_and(|length| length > MAX_RESPONSE_BYTES as u64)
    {
        return too_large();
    }
    let bytes = match response.bytes().await {
        Ok(bytes) if bytes.len() <= MAX_RESPONSE_BYTES => bytes,
        Ok(_) => return too_large(),
        Err(err) if err.is_timeout() => {
            return error(
                504,
                codes::INTERNAL,
                "The Microvisor API did not answer in time.",
            );
        }
        Err(_) => {
            return error(
                502,
                codes::INTERNAL,
                "The Microvisor API's answer broke off.",
            );
        }
    };
    let body = match (std::str::from_utf8(&bytes), own_origin) {
        (Ok(text), Some(own_origin)) => {
            Bytes::from(rewrite_links(text, &upstream.origin, &own_origin))
        }
        _ => bytes,
    };
    let mut answer = (status, body).into_response();
    if let Some(content_type) = content_type {
        answer
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    if let Some(retry_after) = retry_after {
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after);
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::auth::test_env as env;

    #[test]
    fn links_on_the_upstream_come_back_through_the_proxy() {
        let body = r#"{"url":"http://127.0.0.1:9001/v1/Devices","x":"http://127.0.0.1:90011/"}"#;
        assert_eq!(
            rewrite_links(body, "http://127.0.0.1:9001", "http://localhost:8080"),
            r#"{"url":"http://localhost:8080/v1/Devices","x":"http://127.0.0.1:90011/"}"#
        );
        let vendor = r#"{"url":"https://microvisor.twilio.com/v1/Devices"}"#;
        assert_eq!(
            rewrite_links(
                vendor,
                microvisor_api::VENDOR_ORIGIN,
                "http://localhost:8080"
            ),
            vendor
        );
    }

    #[test]
    fn upstream_urls_are_checked() {
        let creds = Credentials::from_env(
            crate::v1::scheme::AuthScheme::Basic,
            None,
            env(&[("TWILIO_ACCOUNT_SID", "AC1"), ("TWILIO_AUTH_TOKEN", "t")]),
        )
        .unwrap();
        let policy = || UploadPolicy {
            max_bytes: 1024,
            signed_by: None,
        };
        let new = |url: &str, upload: Option<&str>| {
            Upstream::new(url, upload, policy(), creds.clone(), Duration::from_secs(1))
        };
        assert!(new("ftp://x", None).is_err());
        assert!(new("https://x/v1?a=b", None).is_err());
        assert!(new("https://x/", Some("ftp://upload")).is_err());
        let upstream = new("https://Microvisor.Twilio.com/", None).unwrap();
        assert_eq!(upstream.origin(), "https://microvisor.twilio.com");
        assert_eq!(
            upstream.upload,
            ("https://microvisor.twilio.com".to_owned(), String::new())
        );
        let apart = new(
            "https://api.example.com/mv",
            Some("https://upload.example.com/"),
        )
        .unwrap();
        assert_eq!(
            apart.upload,
            ("https://upload.example.com".to_owned(), String::new())
        );
        assert_eq!(apart.prefix, "/mv");
    }
}
