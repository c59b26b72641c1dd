//! The sample nginx config (deploy/nginx-microvisor-console.conf) with Debian's real nginx:
//! it serves the console and proxies /v1 to an emulator that checks credentials, adding them
//! itself.

use std::path::PathBuf;
use std::process::Stdio;

use base64::Engine;
use console_e2e::harness::{PATIENCE, Session, start_server};
use tokio::process::Command;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_sample_nginx_config_serves_the_console_and_injects_credentials() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dist = std::env::var_os("CONSOLE_DIST").map_or_else(|| root.join("dist"), PathBuf::from);
    let dist = dist.canonicalize().expect("the console is built");
    let auth = "ACnginx00000000000000000000000000aa:nginx-token";
    let (_upstream, upstream_url) = start_server(&["--devices", "120", "--auth", auth]).await;

    let port = free_port();
    let work = std::env::temp_dir().join(format!("console-nginx-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let sample =
        std::fs::read_to_string(root.join("deploy/nginx-microvisor-console.conf")).unwrap();
    let server_block = sample
        .replace("${LISTEN}", &format!("127.0.0.1:{port}"))
        .replace("${DIST}", &dist.to_string_lossy())
        .replace("${UPSTREAM}", &upstream_url)
        // The emulator builds its links from Host: keep the browser's, so they lead back here.
        .replace("${UPSTREAM_HOST}", "$http_host")
        .replace(
            "${BASIC_AUTH}",
            &base64::engine::general_purpose::STANDARD.encode(auth),
        );
    let unfilled = server_block
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .any(|line| line.contains("${"));
    assert!(!unfilled, "every placeholder is filled");
    let w = work.to_string_lossy();
    let config = format!(
        "daemon off; worker_processes 1; pid {w}/nginx.pid; error_log {w}/error.log warn; user root;\n\
         events {{ worker_connections 64; }}\n\
         http {{ include /etc/nginx/mime.types; access_log off;\n\
         client_body_temp_path {w}/body; proxy_temp_path {w}/proxy; fastcgi_temp_path {w}/fcgi;\n\
         uwsgi_temp_path {w}/uwsgi; scgi_temp_path {w}/scgi;\n{server_block}\n}}\n"
    );
    let config_path = work.join("nginx.conf");
    std::fs::write(&config_path, config).unwrap();
    let nginx = Command::new("/usr/sbin/nginx")
        .arg("-c")
        .arg(&config_path)
        .arg("-p")
        .arg(&work)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("Debian's nginx is installed (cargo xtask setup --browser)");
    let deadline = std::time::Instant::now() + PATIENCE;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        let log = std::fs::read_to_string(work.join("error.log")).unwrap_or_default();
        assert!(
            std::time::Instant::now() < deadline,
            "nginx did not start: {log}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let base_url = format!("http://127.0.0.1:{port}");
    let session = Session::attach(nginx, base_url).await;
    session.open("/devices").await;
    let first = session.wait_for_rows(50, &[]).await;
    session.click_link("Next").await;
    session.wait_for_rows(50, &first).await;
    // A deep link is answered with the console, and the API with the emulator's JSON.
    session.open("/devices/does-not-exist").await;
    session
        .wait_for_text("[role=alert] h2", |t| t == "Not found")
        .await;
    session.close().await;
}
