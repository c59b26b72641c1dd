//! The sample nginx config (deploy/nginx-microvisor-console.conf) with Debian's real nginx:
//! it serves the console and proxies /v1 to an emulator that checks credentials, adding them
//! itself.

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
