//! The real binary: persistence across `kill -9`, and a client that follows
//! `meta.next_page_url` verbatim, as the vendor's helper libraries do.

mod common;

use common::Server;
use microvisor_api::{Device, ListPage};

fn temp_file(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("console-server-running-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn changes_survive_kill_9() {
    let state = temp_file("killed.sqlite");
    let state_arg = state.to_str().unwrap();
    let server = Server::start(&["--devices", "40", "--state", state_arg]);
    let (_, body) = server.get("/v1/Devices?PageSize=1");
    let page: ListPage<Device> = serde_json::from_str(&body).unwrap();
    let sid = page.items[0].sid.clone().unwrap();
    let (status, _) = server.request(
        "POST",
        &format!("/v1/Devices/{sid}"),
        Some("UniqueName=survivor&LoggingEnabled=true"),
    );
    assert_eq!(status, 200);
    let (status, _) = server.request("POST", "/v1/Configs", Some("Key=after-kill&Value=1"));
    assert_eq!(status, 201);
    server.kill();

    let restarted = Server::start(&["--devices", "40", "--state", state_arg]);
    let (status, body) = restarted.get("/v1/Devices/survivor");
    assert_eq!(status, 200, "{body}");
    let device: Device = serde_json::from_str(&body).unwrap();
    assert_eq!(device.sid.as_deref(), Some(sid.as_str()));
    assert_eq!(device.logging.unwrap().enabled, Some(true));
    assert_eq!(restarted.get("/v1/Configs/after-kill").0, 200);
}

#[test]
fn following_next_page_url_verbatim_covers_the_fleet() {
    let server = Server::start(&["--devices", "1234"]);
    let mut url = format!("http://{}/v1/Devices?PageSize=100", server.address);
    let mut sids = Vec::new();
    loop {
        let target = url
            .strip_prefix(&format!("http://{}", server.address))
            .expect("next_page_url stays on the server");
        let (status, body) = server.get(target);
        assert_eq!(status, 200, "{body}");
        let page: ListPage<Device> = serde_json::from_str(&body).unwrap();
        sids.extend(page.items.into_iter().map(|d| d.sid.unwrap()));
        match page.meta.next_page_url {
            Some(next) => url = next,
            None => break,
        }
    }
    assert_eq!(sids.len(), 1234);
    sids.sort();
    sids.dedup();
    assert_eq!(sids.len(), 1234);
}

/// A console store out of reach at start is a refusal to start that names it, with the
/// password kept out of the message.
#[test]
fn a_database_out_of_reach_stops_the_start_with_a_message() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_console-server"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--database",
            "postgres://console:hunter2@127.0.0.1:1/console",
        ])
        .env("RUST_LOG", "off")
        .output()
        .expect("run console-server");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "it never said it was listening");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("cannot open the console store")
            && said.contains("cannot reach PostgreSQL at 127.0.0.1:1/console"),
        "{said}"
    );
    assert!(!said.contains("hunter2"), "the password leaked: {said}");
}
