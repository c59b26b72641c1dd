//! Operators and roles with the real binary: tokens made by `operators add` (only their
//! hashes kept), each role's writes allowed or refused on the server, and the name an
//! authenticating proxy sends believed only with `--trust-proxy-auth`.

mod common;

use common::Server;
use console_protocol::ACCESS_TOKEN_HEADER;

fn operators_file(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "console-operators-{}-{name}.json",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// `console-server operators add NAME --role ROLE --operators FILE`: the token it prints.
fn add(file: &std::path::Path, name: &str, role: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_console-server"))
        .args(["operators", "add", name, "--role", role, "--operators"])
        .arg(file)
        .output()
        .expect("run console-server operators add");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("mvc_"), "{token}");
    token
}

fn as_op(token: &str) -> String {
    format!("{ACCESS_TOKEN_HEADER}: {token}")
}

#[test]
fn each_role_may_do_what_it_may_and_no_more() {
    let file = operators_file("roles");
    let viewer = add(&file, "vic", "viewer");
    let operator = add(&file, "ana", "operator");
    let admin = add(&file, "ada", "admin");
    let kept = std::fs::read_to_string(&file).unwrap();
    for token in [&viewer, &operator, &admin] {
        assert!(!kept.contains(token.as_str()), "the file holds a token");
    }
    let server = Server::start(&["--devices", "20", "--operators", file.to_str().unwrap()]);

    // No token: nothing but the console's files.
    assert_eq!(server.get("/v1/Devices").0, 401);
    assert_eq!(server.get("/config.json").0, 401);

    // The viewer reads, and its write is refused before it reaches the API.
    let (status, _, config) = server.request_with("GET", "/config.json", None, &[&as_op(&viewer)]);
    assert_eq!(status, 200);
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(
        config["operator"],
        serde_json::json!({"name": "vic", "role": "viewer"})
    );
    let (status, _, page) =
        server.request_with("GET", "/v1/Devices?PageSize=1", None, &[&as_op(&viewer)]);
    assert_eq!(status, 200);
    let page: serde_json::Value = serde_json::from_str(&page).unwrap();
    let sid = page["devices"][0]["sid"].as_str().unwrap().to_owned();
    let rename = format!("/v1/Devices/{sid}");
    let (status, _, body) = server.request_with(
        "POST",
        &rename,
        Some("UniqueName=by-viewer"),
        &[&as_op(&viewer)],
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("vic is signed in as viewer"), "{body}");
    let (_, _, device) = server.request_with("GET", &rename, None, &[&as_op(&viewer)]);
    assert!(
        !device.contains("by-viewer"),
        "the refused write was applied"
    );

    // The operator writes devices and starts rollouts, but not shared views.
    let (status, _, body) = server.request_with(
        "POST",
        &rename,
        Some("UniqueName=by-operator"),
        &[&as_op(&operator)],
    );
    assert_eq!(status, 200, "{body}");
    let view = r#"{"name": "mine", "filter": {}}"#;
    let json = "Content-Type: application/json";
    let (status, _, body) = server.request_with(
        "POST",
        "/console/v1/views",
        Some(view),
        &[&as_op(&operator), json],
    );
    assert_eq!(status, 403, "{body}");
    // The admin manages views; the view records who made it.
    let (status, _, body) = server.request_with(
        "POST",
        "/console/v1/views",
        Some(view),
        &[&as_op(&admin), json],
    );
    assert_eq!(status, 201, "{body}");
    assert!(body.contains("\"created_by\":\"ada\""), "{body}");
}

#[test]
fn a_proxy_user_header_is_believed_only_with_trust_proxy_auth() {
    let file = operators_file("proxy");
    std::fs::write(
        &file,
        r#"{"proxy_users": [{"name": "boss@example.com", "role": "admin"}]}"#,
    )
    .unwrap();
    let trusting = Server::start(&["--trust-proxy-auth", "--operators", file.to_str().unwrap()]);
    let (status, _, config) = trusting.request_with(
        "GET",
        "/config.json",
        None,
        &["X-Forwarded-User: boss@example.com"],
    );
    assert_eq!(status, 200);
    assert!(
        config.contains(r#""operator":{"name":"boss@example.com","role":"admin"}"#),
        "{config}"
    );
    // A write by that name is recorded under it in the audit log, with the address the proxy
    // saw (the last of X-Forwarded-For; what a client claimed before it is not believed).
    let (status, _, _) = trusting.request_with(
        "POST",
        "/v1/Configs",
        Some("Key=from-boss&Value=1"),
        &[
            "X-Forwarded-User: boss@example.com",
            "X-Forwarded-For: 203.0.113.66, 198.51.100.7",
        ],
    );
    assert_eq!(status, 201);
    let (_, _, audit) = trusting.request_with(
        "GET",
        "/console/v1/audit",
        None,
        &["X-Forwarded-User: boss@example.com"],
    );
    let audit: serde_json::Value = serde_json::from_str(&audit).unwrap();
    assert_eq!(
        audit["entries"][0]["operator"], "boss@example.com",
        "{audit}"
    );
    assert_eq!(audit["entries"][0]["params"]["Key"], "from-boss");
    assert_eq!(audit["entries"][0]["client"], "198.51.100.7", "{audit}");
    // A name not listed may look, not touch.
    let (status, _, _) = trusting.request_with(
        "POST",
        "/v1/Configs",
        Some("Key=k&Value=v"),
        &["X-Forwarded-User: someone@example.com"],
    );
    assert_eq!(status, 403);

    // Without --trust-proxy-auth the header is ignored: the token still rules.
    let gated = Server::start(&["--access-token", "open-sesame"]);
    let (status, _, _) = gated.request_with(
        "GET",
        "/v1/Devices",
        None,
        &["X-Forwarded-User: boss@example.com"],
    );
    assert_eq!(status, 401);
    // And so is a forwarded address: the entry has the connection's own peer.
    let token = &as_op("open-sesame");
    let forged = "X-Forwarded-For: 203.0.113.66";
    let (status, _, _) = gated.request_with(
        "POST",
        "/v1/Configs",
        Some("Key=direct&Value=1"),
        &[token.as_str(), forged],
    );
    assert_eq!(status, 201);
    let (_, _, audit) = gated.request_with("GET", "/console/v1/audit", None, &[token.as_str()]);
    let audit: serde_json::Value = serde_json::from_str(&audit).unwrap();
    assert_eq!(audit["entries"][0]["operator"], "token", "{audit}");
    assert_eq!(audit["entries"][0]["client"], "127.0.0.1", "{audit}");
}
