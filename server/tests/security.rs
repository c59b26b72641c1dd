//! Each defence, with a test that fails without it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use console_server::{Options, check_exposure, router, router_with_env};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn temp_dist() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("console-security-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>c</title><script type=\"module\">boot()</script><script src=\"/x.js\"></script>",
    )
    .unwrap();
    dir
}

fn options() -> Options {
    Options {
        dist: temp_dist(),
        devices: 20,
        ..Options::defaults()
    }
}

async fn call(
    options: &Options,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = router(options)
        .await
        .unwrap()
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn get(target: &str) -> Request<Body> {
    Request::get(target)
        .header(header::HOST, "127.0.0.1:8080")
        .body(Body::empty())
        .unwrap()
}

fn rename(origin: Option<&str>, fetch_site: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/v1/Devices/UV00000000000000000000000000000000")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    if let Some(site) = fetch_site {
        request = request.header("sec-fetch-site", site);
    }
    request.body(Body::from("UniqueName=csrf")).unwrap()
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused_before_the_api() {
    let options = options();
    let (status, _, body) = call(
        &options,
        rename(Some("https://evil.example"), Some("cross-site")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("Cross-site"));
    let (status, _, _) = call(&options, rename(Some("https://evil.example"), None)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "Origin alone is enough to refuse"
    );
    let (status, _, _) = call(&options, rename(None, Some("same-site"))).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a sibling site is not this origin"
    );
    // The console's own writes, and non-browser clients, pass through (and get the API's 404
    // for this made-up device).
    let (status, _, _) = call(
        &options,
        rename(Some("http://127.0.0.1:8080"), Some("same-origin")),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = call(&options, rename(None, None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_foreign_host_is_refused_and_allow_host_admits_one() {
    let request = |host: &str| {
        Request::get("/v1/Devices")
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap()
    };
    let options = options();
    assert_eq!(
        call(&options, request("attacker.example:8080")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(
            &options,
            Request::get("/v1/Devices").body(Body::empty()).unwrap()
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    for host in [
        "localhost:8080",
        "127.0.0.1:8080",
        "[::1]:8080",
        "LOCALHOST",
    ] {
        assert_eq!(
            call(&options, request(host)).await.0,
            StatusCode::OK,
            "{host}"
        );
    }
    let allowed = Options {
        allow_host: vec!["console.example.com".into()],
        ..options
    };
    assert_eq!(
        call(&allowed, request("console.example.com")).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn traversal_encoded_slashes_and_absolute_targets_are_refused() {
    let options = options();
    for target in [
        "/v1/../etc/passwd",
        "/v1/Devices/%2e%2e/Apps",
        "/v1/Devices%2FUV1",
        "/v1/Devices/%5c..",
        "/./v1/Devices",
    ] {
        let (status, _, body) = call(&options, get(target)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{target}: {body}");
    }
    let absolute = Request::get("http://evil.example/v1/Devices")
        .header(header::HOST, "127.0.0.1:8080")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&options, absolute).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let request = Request::post("/v1/Configs")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("Key=k&Value={}", "v".repeat(200_000))))
        .unwrap();
    assert_eq!(
        call(&options(), request).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let (_, headers, _) = call(&options(), get("/devices")).await;
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'sha256-"),
        "{csp}"
    );
    assert!(csp.contains("'wasm-unsafe-eval'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    let (_, headers, _) = call(&options(), get("/v1/Nothing")).await;
    assert!(
        headers.contains_key(header::CONTENT_SECURITY_POLICY),
        "errors carry them too"
    );
}

#[tokio::test]
async fn beyond_loopback_an_access_gate_is_required() {
    let exposed = Options {
        listen: "0.0.0.0:8080".parse().unwrap(),
        ..options()
    };
    let refusal = check_exposure(&exposed).unwrap_err();
    assert!(refusal.contains("--access-token"), "{refusal}");
    assert!(router(&exposed).await.is_err());
    assert!(
        check_exposure(&Options {
            access_token: Some("t".into()),
            ..exposed.clone()
        })
        .is_ok()
    );
    assert!(
        check_exposure(&Options {
            trust_proxy_auth: true,
            ..exposed
        })
        .is_ok()
    );
}

#[tokio::test]
async fn the_access_token_guards_data_but_not_the_console_files() {
    let options = Options {
        access_token: Some("let-me-in".into()),
        ..options()
    };
    assert_eq!(
        call(&options, get("/v1/Devices")).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&options, get("/config.json")).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(call(&options, get("/devices")).await.0, StatusCode::OK);
    let with = |token: &str| {
        Request::get("/v1/Devices")
            .header(header::HOST, "127.0.0.1:8080")
            .header("x-console-access-token", token)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(call(&options, with("let-me-in")).await.0, StatusCode::OK);
    assert_eq!(
        call(&options, with("let-me-i")).await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// An upstream that accepts connections and never answers.
async fn silent_upstream() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (format!("http://{address}"), task)
}

fn proxy_env(name: &str) -> Option<String> {
    match name {
        "TWILIO_ACCOUNT_SID" => Some("ACproxytest".into()),
        "TWILIO_AUTH_TOKEN" => Some("super-secret-token".into()),
        _ => None,
    }
}

#[tokio::test]
async fn a_slow_upstream_is_a_504_and_an_absent_one_a_502() {
    let (url, _task) = silent_upstream().await;
    let options = Options {
        upstream: Some(url),
        upstream_timeout_ms: 300,
        ..options()
    };
    let response = router_with_env(&options, proxy_env)
        .await
        .unwrap()
        .router
        .oneshot(get("/v1/Devices"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.contains("\"code\"") && !body.contains("super-secret-token"),
        "{body}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let options = Options {
        upstream: Some(format!("http://{closed}")),
        ..options
    };
    let response = router_with_env(&options, proxy_env)
        .await
        .unwrap()
        .router
        .oneshot(get("/v1/Devices"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn proxy_mode_refuses_to_start_without_credentials() {
    let options = Options {
        upstream: Some("https://microvisor.twilio.com".into()),
        ..options()
    };
    let err = router_with_env(&options, |_| None).await.err().unwrap();
    assert!(
        err.contains("TWILIO_AUTH_TOKEN") && err.contains("TWILIO_API_KEY"),
        "{err}"
    );
}

#[tokio::test]
async fn cors_admits_only_the_configured_origins() {
    let options = Options {
        cors_origin: vec!["https://pages.example".into()],
        ..options()
    };
    let preflight = |origin: &str| {
        Request::options("/v1/Devices/x")
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "content-type,authorization",
            )
            .body(Body::empty())
            .unwrap()
    };
    let (_, headers, _) = call(&options, preflight("https://pages.example")).await;
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://pages.example"
    );
    let (_, headers, _) = call(&options, preflight("https://evil.example")).await;
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    // The trusted origin may write; others still may not.
    let (status, _, _) = call(
        &options,
        rename(Some("https://pages.example"), Some("cross-site")),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "reached the API");
    let (status, _, _) = call(
        &options,
        rename(Some("https://evil.example"), Some("cross-site")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Without --cors-origin, no page elsewhere may read the API.
    let (_, headers, _) = call(&self::options(), preflight("https://pages.example")).await;
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}
