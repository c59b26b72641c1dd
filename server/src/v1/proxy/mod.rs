//! Proxy mode: `/v1/*` forwarded to a fixed upstream with credentials that never leave the
//! server.

pub mod auth;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use microvisor_api::error::codes;
use microvisor_api::url::split_origin;

use crate::answers::{error, request_origin};
use auth::{Authorizer, Credentials, UpstreamError};

pub struct Upstream {
    /// The API's origin (`https://api.example.com`), fixed at start.
    origin: String,
    /// Any path before `/v1`, without a trailing slash.
    prefix: String,
    auth: Authorizer,
    client: reqwest::Client,
}

/// Largest upstream answer passed on; list pages of 1,000 devices are well under it.
const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

impl Upstream {
    pub fn new(url: &str, credentials: Credentials, timeout: Duration) -> Result<Upstream, String> {
        let (origin, path) = split_origin(url)
            .ok_or_else(|| format!("--upstream '{url}' must be an http(s) URL"))?;
        if path.contains(['?', '#']) {
            return Err(format!(
                "--upstream '{url}' cannot have a query or fragment"
            ));
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .timeout(timeout)
            .user_agent(concat!("microvisor-console/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| format!("cannot build the HTTP client: {err}"))?;
        Ok(Upstream {
            origin,
            prefix: path.trim_end_matches('/').to_owned(),
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
    let response = match sent {
        Ok(response) => response,
        Err(err) => {
            // The error holds neither the URL nor any credential.
            tracing::warn!(%method, path = uri.path(), "upstream failed: {err}");
            return match err {
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
            };
        }
    };
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    if response
        .content_length()
        .is_some_and(|length| length > MAX_RESPONSE_BYTES as u64)
    {
        return error(
            502,
            codes::INTERNAL,
            "The Microvisor API's answer was too large.",
        );
    }
    let bytes = match response.bytes().await {
        Ok(bytes) if bytes.len() <= MAX_RESPONSE_BYTES => bytes,
        Ok(_) => {
            return error(
                502,
                codes::INTERNAL,
                "The Microvisor API's answer was too large.",
            );
        }
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
    let body = match (std::str::from_utf8(&bytes), request_origin(&headers)) {
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
        assert!(Upstream::new("ftp://x", creds.clone(), Duration::from_secs(1)).is_err());
        assert!(Upstream::new("https://x/v1?a=b", creds.clone(), Duration::from_secs(1)).is_err());
        let upstream = Upstream::new(
            "https://Microvisor.Twilio.com/",
            creds,
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(upstream.origin(), "https://microvisor.twilio.com");
    }
}
