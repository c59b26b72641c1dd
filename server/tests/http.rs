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
        dist,
        devices: 60,
        seed: 7,
        ..Options::defaults()
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
        .await
        .unwrap()
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
async fn a_hostile_host_header_is_refused() {
    let request = Request::get("/v1/Devices?PageSize=1")
        .header(header::HOST, "evil.example/\"><script>")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.contains("evil"), "{body}");
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

async fn send_to(
    options: &Options,
    request: Request<Body>,
) -> (StatusCode, Option<String>, String) {
    let response = router(options)
        .await
        .unwrap()
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = match response.into_body().collect().await {
        Ok(body) => String::from_utf8(body.to_bytes().to_vec()).unwrap(),
        Err(_) => "<dropped>".to_owned(),
    };
    (status, retry_after, body)
}

#[tokio::test]
async fn auth_requires_the_configured_basic_credentials() {
    let options = Options {
        auth: Some("ACtest:secret".into()),
        ..options(temp_dist())
    };
    let (status, _, body) = send_to(&options, get("/v1/Devices")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("20003"), "{body}");
    let wrong = Request::get("/v1/Devices")
        .header(header::HOST, "localhost")
        .header(header::AUTHORIZATION, "Basic QUN0ZXN0Ondyb25n")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send_to(&options, wrong).await.0, StatusCode::UNAUTHORIZED);
    // base64("ACtest:secret")
    let right = Request::get("/v1/Devices")
        .header(header::HOST, "localhost")
        .header(header::AUTHORIZATION, "Basic QUN0ZXN0OnNlY3JldA==")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send_to(&options, right).await.0, StatusCode::OK);
    assert_eq!(send_to(&options, get("/healthz")).await.0, StatusCode::OK);
}

fn temp_state() -> PathBuf {
    temp_dist().join("state.sqlite")
}

fn rename(sid: &str, name: &str) -> Request<Body> {
    Request::post(format!("/v1/Devices/{sid}"))
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("UniqueName={name}")))
        .unwrap()
}

async fn first_sid(options: &Options) -> String {
    let (_, _, body) = send_to(options, get("/v1/Devices?PageSize=1")).await;
    let page: microvisor_api::ListPage<microvisor_api::Device> =
        serde_json::from_str(&body).unwrap();
    page.items[0].sid.clone().unwrap()
}

#[tokio::test]
async fn faults_answer_like_the_service_and_never_apply_a_write() {
    let state = temp_state();
    let calm = Options {
        state: Some(state.clone()),
        ..options(temp_dist())
    };
    let sid = first_sid(&calm).await;
    let stormy = Options {
        fault_rate: 1.0,
        ..calm.clone()
    };
    let mut seen = std::collections::BTreeSet::new();
    for attempt in 0..40 {
        let (status, retry_after, body) =
            send_to(&stormy, rename(&sid, &format!("faulted-{attempt}"))).await;
        match status.as_u16() {
            429 => assert_eq!(retry_after.as_deref(), Some("1")),
            500 | 503 => assert!(body.contains("\"code\""), "{body}"),
            200 => assert_eq!(body, "<dropped>"),
            other => panic!("unexpected status {other}: {body}"),
        }
        seen.insert(if body == "<dropped>" {
            0
        } else {
            status.as_u16()
        });
    }
    assert_eq!(seen.len(), 4, "every kind of fault shows up: {seen:?}");
    let (_, _, body) = send_to(&calm, get(&format!("/v1/Devices/{sid}"))).await;
    assert!(
        !body.contains("faulted-"),
        "a faulted write was applied: {body}"
    );
}

#[tokio::test]
async fn state_persists_in_sqlite_across_routers() {
    let state = temp_state();
    let first = Options {
        state: Some(state.clone()),
        ..options(temp_dist())
    };
    let sid = first_sid(&first).await;
    assert_eq!(
        send_to(&first, rename(&sid, "persisted-name")).await.0,
        StatusCode::OK
    );
    // A new router on the same file, with different fleet flags: the stored fleet wins.
    let second = Options {
        devices: 5,
        seed: 99,
        ..first.clone()
    };
    let (status, _, body) = send_to(&second, get("/v1/Devices/persisted-name")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(&sid));
}

/// A dist folder whose index.html has a head, as trunk writes it.
fn dist_with_head() -> PathBuf {
    let dir = temp_dist();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><html><head><title>console</title></head><body></body></html>",
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn api_answers_are_compressed_as_the_browser_accepts() {
    let app = router(&options(temp_dist())).await.unwrap();
    let request = Request::get("/v1/Devices?PageSize=60")
        .header(header::HOST, "localhost:8080")
        // As a browser asks; brotli is left to files built ahead (too slow per request).
        .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get(header::CONTENT_ENCODING).unwrap(),
        "gzip"
    );
    let compressed = response.into_body().collect().await.unwrap().to_bytes();
    let mut text = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(compressed.as_ref()),
        &mut text,
    )
    .unwrap();
    let page: serde_json::Value = serde_json::from_slice(&text).unwrap();
    assert_eq!(page["devices"].as_array().unwrap().len(), 60);
    assert!(
        compressed.len() * 4 < text.len(),
        "{} of {}",
        compressed.len(),
        text.len()
    );
    // Without Accept-Encoding, plain JSON.
    let plain = app.oneshot(get("/v1/Devices?PageSize=5")).await.unwrap();
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
}

#[tokio::test]
async fn the_page_carries_its_config_unless_a_token_guards_it() {
    let page = |options: Options| async move {
        let response = router(&options)
            .await
            .unwrap()
            .oneshot(get("/devices/x"))
            .await
            .unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(body.to_vec()).unwrap()
    };
    let open = page(options(dist_with_head())).await;
    assert!(
        open.contains(r#"<script type="application/json" id="console-config">{"mode":"emulator","api_base":"/v1","operator":{"name":"local","role":"admin"},"index":true}</script></head>"#),
        "{open}"
    );
    let guarded = page(Options {
        access_token: Some("t0ken".into()),
        ..options(dist_with_head())
    })
    .await;
    assert!(guarded.contains("<title>console</title>"));
    assert!(!guarded.contains("console-config"), "{guarded}");
}
