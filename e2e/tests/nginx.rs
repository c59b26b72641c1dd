//! The sample nginx configs with Debian's real nginx: deploy/nginx-microvisor-console.conf
//! serves the console and proxies /v1 to an emulator that checks credentials, adding them
//! itself; deploy/nginx-console-server.conf fronts console-server, its event stream unbuffered.

use base64::Engine;
use console_e2e::harness::{
    Session, free_port, given_path, sample_nginx_server_block, start_nginx, start_server,
};

#[tokio::test]
async fn the_sample_nginx_config_serves_the_console_and_injects_credentials() {
    let dist = given_path("CONSOLE_DIST");
    let dist = dist.canonicalize().expect("the console is built");
    let auth = "ACnginx00000000000000000000000000aa:nginx-token";
    let (_upstream, upstream_url) = start_server(&["--devices", "120", "--auth", auth]).await;

    let port = free_port();
    let basic_auth = base64::engine::general_purpose::STANDARD.encode(auth);
    let server_block = sample_nginx_server_block(port, &dist, &upstream_url, &basic_auth);
    let (nginx, base_url) = start_nginx(&server_block, port).await;
    let session = Session::attach(nginx, base_url).await;
    session.open("/devices").await;
    let first = session.wait_for_rows(50, &[]).await;
    // These are the emulator's devices, reached through nginx, not an in-page demo.
    session
        .wait_for_text(".backend", |t| t.contains("Microvisor API via this server"))
        .await;
    let through_nginx = session.get_json("/v1/Devices?PageSize=50").await;
    let sids: Vec<&str> = through_nginx["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|device| device["sid"].as_str().unwrap())
        .collect();
    assert_eq!(first, sids, "the list is the emulator's first page");
    session.click_link("Next").await;
    session.wait_for_rows(50, &first).await;
    // A deep link is answered with the console, and the API with the emulator's JSON.
    session.open("/devices/does-not-exist").await;
    session
        .wait_for_text("[role=alert] h2", |t| t == "Not found")
        .await;
    session.close().await;
}

/// The sample config for nginx in front of console-server: the console's event stream opens
/// through it, and an event leaves nginx at once, not when a buffer fills.
#[tokio::test]
async fn the_event_stream_passes_the_sample_nginx_config_unbuffered() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (server, server_url) = start_server(&["--devices", "60"]).await;
    let port = free_port();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let sample = std::fs::read_to_string(root.join("deploy/nginx-console-server.conf"))
        .expect("deploy/nginx-console-server.conf");
    let server_block = sample
        .replace("${LISTEN}", &format!("127.0.0.1:{port}"))
        .replace("${SERVER}", server_url.trim_start_matches("http://"));
    let (nginx, base_url) = start_nginx(&server_block, port).await;

    // A stream opened through nginx, by hand, to time one event.
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream
        .write_all(
            format!(
                "GET /console/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut head = vec![0_u8; 4096];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut head))
        .await
        .expect("the stream's head in time")
        .unwrap();
    let head = String::from_utf8_lossy(&head[..read]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    let (status, rule) = console_e2e::harness::http_json(
        "POST",
        &format!("{base_url}/console/v1/alerts"),
        Some(r#"{"name":"through nginx","scope":"fleet","condition":{"kind":"rollout_halted"}}"#),
    )
    .await;
    assert_eq!(status, 201, "{rule}");
    let mut seen = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !seen.contains("event: alert") {
        let mut chunk = vec![0_u8; 4096];
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let read = tokio::time::timeout(left, stream.read(&mut chunk))
            .await
            .unwrap_or_else(|_| panic!("the event held back by nginx; got {seen:?}"))
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk[..read]));
    }
    assert!(seen.contains("through nginx"), "{seen}");

    // And the console, through nginx, opens its stream: the bell, which it fills from it.
    let session = Session::attach(nginx, base_url).await;
    session.open("/devices").await;
    session
        .wait_for_text(".bell .bell-count", |t| t == "0")
        .await;
    session.close().await;
    drop(server);
}
