//! Defences that hold in every mode: a Host allowlist (DNS rebinding), sane request targets
//! (no absolute-form, no `..`, no encoded slashes), same-origin writes (CSRF), an optional
//! access token, and security headers on every response. Who is asking, and what their role
//! lets them do, is `operators`.

pub mod operators;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use console_protocol::ACCESS_TOKEN_HEADER;
use microvisor_api::error::codes;
use sha2::{Digest, Sha256};

use crate::answers::{error, request_origin};
use operators::{Identities, refusal, required_role};

#[derive(Debug)]
pub struct Policy {
    /// Host names (without port) a request may address.
    allowed_hosts: BTreeSet<String>,
    identities: Identities,
    content_security_policy: HeaderValue,
    /// Other origins whose pages may write (they are also allowed by CORS).
    trusted_origins: BTreeSet<String>,
}

/// The host name of a Host header, lower-cased, without the port.
fn host_name(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    if let Some(rest) = host.strip_prefix('[') {
        return rest
            .split(']')
            .next()
            .map(|inner| format!("[{inner}]"))
            .unwrap_or_default();
    }
    host.rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host.clone(), |(name, _)| name.to_owned())
}

impl Policy {
    pub fn new(
        listen: SocketAddr,
        extra_hosts: &[String],
        identities: Identities,
        index_html: Option<&str>,
        trusted_origins: &[String],
    ) -> Policy {
        let mut allowed_hosts: BTreeSet<String> = ["localhost", "127.0.0.1", "[::1]"]
            .map(str::to_owned)
            .into();
        let ip = listen.ip();
        if !ip.is_unspecified() {
            allowed_hosts.insert(if ip.is_ipv6() {
                format!("[{ip}]")
            } else {
                ip.to_string()
            });
        }
        allowed_hosts.extend(extra_hosts.iter().map(|host| host_name(host)));
        Policy {
            allowed_hosts,
            identities,
            content_security_policy: content_security_policy(index_html.unwrap_or("")),
            trusted_origins: trusted_origins
                .iter()
                .map(|origin| normalize_origin(origin))
                .collect(),
        }
    }

    fn host_allowed(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|host| self.allowed_hosts.contains(&host_name(host)))
    }

    /// Writes from a browser must come from this origin. Non-browser clients (curl, SDKs)
    /// send neither header and are let through.
    fn write_allowed(&self, method: &Method, headers: &HeaderMap) -> bool {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return true;
        }
        let origin = headers
            .get(header::ORIGIN)
            .and_then(|value| value.to_str().ok());
        if origin.is_some_and(|origin| self.trusted_origins.contains(&normalize_origin(origin))) {
            return true;
        }
        let fetch_site = headers
            .get("sec-fetch-site")
            .and_then(|value| value.to_str().ok());
        if fetch_site.is_some_and(|site| site != "same-origin" && site != "none") {
            return false;
        }
        match headers.get(header::ORIGIN).map(|value| value.to_str()) {
            None => true,
            // Behind a TLS proxy the page's origin is https:// on the same Host.
            Some(Ok(origin)) => request_origin(headers).is_some_and(|own| {
                origin.eq_ignore_ascii_case(&own)
                    || origin.eq_ignore_ascii_case(&own.replacen("http://", "https://", 1))
            }),
            Some(Err(_)) => false,
        }
    }
}

fn normalize_origin(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// CORS for the origins given with `--cors-origin`; none by default.
pub fn cors(origins: &[String]) -> Result<tower_http::cors::CorsLayer, String> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let values = origins
        .iter()
        .map(|origin| {
            HeaderValue::from_str(&normalize_origin(origin))
                .map_err(|_| format!("--cors-origin '{origin}' is not a valid origin"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list(values))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::HeaderName::from_static(ACCESS_TOKEN_HEADER),
        ])
        .expose_headers([header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(600)))
}

/// True when the target is origin-form and free of traversal and encoded separators.
pub fn target_is_sane(request: &Request) -> bool {
    let uri = request.uri();
    if uri.scheme().is_some() || uri.authority().is_some() {
        return false;
    }
    let path = uri.path();
    let lowered = path.to_ascii_lowercase();
    if lowered.contains("%2f") || lowered.contains("%5c") || path.contains('\\') {
        return false;
    }
    !path.split('/').any(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        decoded == ".." || decoded == "."
    })
}

/// `script-src` allows the page's own files, WebAssembly, and trunk's inline loader by hash.
fn content_security_policy(index_html: &str) -> HeaderValue {
    let hashes: String = inline_scripts(index_html)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"))
}

/// The bodies of `<script>` elements without `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (open_tag, body) = rest.split_once('>')?;
        if open_tag.contains("src=") {
            return None;
        }
        Some(body.split("</script>").next().unwrap_or(""))
    })
}

/// Where a request came from, as far as it can be trusted (`Identities::client_address`).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub Option<String>);

/// The middleware: checks in order, then adds the headers to whatever is answered.
pub async fn guard(
    State(policy): State<Arc<Policy>>,
    mut request: Request,
    next: Next,
) -> Response {
    let refusal = if !target_is_sane(&request) {
        Some(error(
            400,
            codes::INVALID_PARAMETER,
            "The request target is not allowed.",
        ))
    } else if !policy.host_allowed(request.headers()) {
        Some(error(
            403,
            codes::FORBIDDEN,
            "This server does not answer for that Host. Add it with --allow-host.",
        ))
    } else if !policy.write_allowed(request.method(), request.headers()) {
        Some(error(
            403,
            codes::FORBIDDEN,
            "Cross-site writes are refused.",
        ))
    } else if needs_token(request.uri().path()) {
        // Who asks, and whether their role may do this; what follows knows who it was.
        match policy.identities.identify(request.headers()) {
            None => Some(error(
                401,
                codes::AUTHENTICATE,
                "Sign in with this console's access token.",
            )),
            Some(operator) => match required_role(request.method(), request.uri().path()) {
                Some(needed) if operator.role < needed => {
                    Some(error(403, codes::FORBIDDEN, &refusal(&operator, needed)))
                }
                _ => {
                    let peer = request
                        .extensions()
                        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                        .map(|info| info.0.ip());
                    let client = policy.identities.client_address(request.headers(), peer);
                    request.extensions_mut().insert(operator);
                    request.extensions_mut().insert(ClientAddress(client));
                    None
                }
            },
        }
    } else {
        None
    };
    let mut response = match refusal {
        Some(response) => response,
        None => next.run(request).await,
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        policy.content_security_policy.clone(),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// The token guards data: the API and the runtime config. The console's own files hold none,
/// and must load so that it can show its sign-in view.
fn needs_token(path: &str) -> bool {
    path == "/v1"
        || path.starts_with("/v1/")
        || path.starts_with("/console/")
        || path.starts_with("/emulator/")
        || path == "/config.json"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_lose_their_ports() {
        assert_eq!(host_name("LocalHost:8080"), "localhost");
        assert_eq!(host_name("[::1]:80"), "[::1]");
        assert_eq!(host_name("console.example.com"), "console.example.com");
    }

    #[test]
    fn hashes_only_inline_scripts() {
        let html = "<script src=\"/a.js\"></script><script type=\"module\">boot()</script>";
        assert_eq!(inline_scripts(html).collect::<Vec<_>>(), ["boot()"]);
        let csp = content_security_policy(html);
        let csp = csp.to_str().unwrap();
        assert!(csp.contains("'sha256-"), "{csp}");
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
