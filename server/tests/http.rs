//! The server's HTTP surface, called in-process.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use console_server::{Options, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn options(dist: PathBuf) -> Options {
    Options {
        listen: "127.0.0.1:8080".parse().unwrap(),
        dist,
        devices: 60,
        seed: 7,
        install_delay: 6,
    }
}

/// A fresh folder per call: tests run in parallel and must not rewrite each other's files.
fn temp_dist() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("console-server-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>console</title>",
    )
    .unwrap();
    std::fs::write(dir.join("app.js"), "console.log(1)").unwrap();
    dir
}

async fn send(request: Request<Body>) -> (StatusCode, Option<String>, String) {
    let response = router(&options(temp_dist()))
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::HOST, "localhost:8080")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn health_and_config() {
    assert_eq!(send(get("/healthz")).await.2, "ok");
    let (status, content_type, body) = send(get("/config.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let config: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(config["mode"], "emulator");
    assert_eq!(config["api_base"], "/v1");
}

#[tokio::test]
async fn devices_come_from_the_emulator_with_urls_on_the_request_origin() {
    let (status, content_type, body) = send(get("/v1/Devices?PageSize=20")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let page: microvisor_api::ListPage<microvisor_api::Device> =
        serde_json::from_str(&body).unwrap();
    assert_eq!(page.items.len(), 20);
    assert!(
        page.meta
            .next_page_url
            .unwrap()
            .starts_with("http://localhost:8080/v1/Devices?PageSize=20&Page=1&PageToken=PAUV")
    );
}

#[tokio::test]
async fn updates_are_form_posts() {
    let (_, _, body) = send(get("/v1/Devices?PageSize=1")).await;
    let page: microvisor_api::ListPage<microvisor_api::Device> =
        serde_json::from_str(&body).unwrap();
    let sid = page.items[0].sid.clone().unwrap();
    let request = Request::post(format!("/v1/Devices/{sid}"))
        .header(header::HOST, "localhost:8080")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("UniqueName=renamed-by-test&LoggingEnabled=true"))
        .unwrap();
    // Each `send` builds a fresh router, so the write is checked on its own response.
    let (status, _, body) = send(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let device: microvisor_api::Device = serde_json::from_str(&body).unwrap();
    assert_eq!(device.unique_name.as_deref(), Some("renamed-by-test"));
    assert_eq!(device.logging.unwrap().enabled, Some(true));
}

#[tokio::test]
async fn unknown_devices_are_vendor_style_404s() {
    let (status, _, body) = send(get("/v1/Devices/nobody")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let error: microvisor_api::ApiErrorBody = serde_json::from_str(&body).unwrap();
    assert_eq!(error.code, Some(20404));
}

#[tokio::test]
async fn a_hostile_host_header_does_not_reach_urls() {
    let request = Request::get("/v1/Devices?PageSize=1")
        .header(header::HOST, "evil.example/\"><script>")
        .body(Body::empty())
        .unwrap();
    let (_, _, body) = send(request).await;
    assert!(!body.contains("evil"), "{body}");
    assert!(body.contains("http://127.0.0.1:8080/v1/Devices"));
}

#[tokio::test]
async fn console_routes_fall_back_to_index_html() {
    for path in ["/", "/devices", "/devices/pump-7?x=1"] {
        let (status, _, body) = send(get(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(body.contains("<title>console</title>"), "{path}");
    }
    let (status, _, body) = send(get("/app.js")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "console.log(1)"));
}
