//! Proxy mode end to end with real processes: `console-server --upstream` in front of the
//! emulator started with `--auth`, so credentials are checked for real.

mod common;

use common::Server;
use microvisor_api::{ApiErrorBody, Device, ListPage};

const SID: &str = "ACd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";
const TOKEN: &str = "tok-9f8e7d6c5b4a-never-shown";

fn upstream() -> Server {
    Server::start(&["--devices", "120", "--auth", &format!("{SID}:{TOKEN}")])
}

fn proxy(upstream: &Server, token: &str, log: Option<&std::path::Path>) -> Server {
    let url = format!("http://{}", upstream.address);
    Server::start_with(
        &["--upstream", &url],
        &[("TWILIO_ACCOUNT_SID", SID), ("TWILIO_AUTH_TOKEN", token)],
        log,
    )
}

#[test]
fn the_console_api_works_through_the_proxy_and_links_lead_back_through_it() {
    let upstream = upstream();
    assert_eq!(
        upstream.get("/v1/Devices").0,
        401,
        "the upstream checks credentials"
    );
    let proxy = proxy(&upstream, TOKEN, None);
    let (status, body) = proxy.get("/v1/Devices?PageSize=50");
    assert_eq!(status, 200, "{body}");
    let page: ListPage<Device> = serde_json::from_str(&body).unwrap();
    assert_eq!(page.items.len(), 50);
    let next = page.meta.next_page_url.unwrap();
    assert!(
        next.starts_with(&format!("http://{}/v1/Devices?", proxy.address)),
        "{next}"
    );
    let (status, _) = proxy.get(
        next.strip_prefix(&format!("http://{}", proxy.address))
            .unwrap(),
    );
    assert_eq!(status, 200);

    let sid = page.items[0].sid.clone().unwrap();
    let (status, body) = proxy.request(
        "POST",
        &format!("/v1/Devices/{sid}"),
        Some("UniqueName=via-proxy"),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        upstream.request_raw("GET", "/v1/Devices/via-proxy", None).0,
        401,
        "still guarded upstream"
    );
    assert_eq!(proxy.get("/v1/Devices/via-proxy").0, 200);

    let (_, config) = proxy.get("/config.json");
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(config["mode"], "proxy");
    assert_eq!(config["account_sid"], SID);
    assert!(!config.to_string().contains(TOKEN));
}

#[test]
fn wrong_credentials_pass_the_vendor_401_through() {
    let upstream = upstream();
    let proxy = proxy(&upstream, "wrong-token", None);
    let (status, body) = proxy.get("/v1/Devices");
    assert_eq!(status, 401);
    let error: ApiErrorBody = serde_json::from_str(&body).unwrap();
    assert_eq!(error.code, Some(20003));
    assert!(error.message.unwrap().starts_with("Authentication Error"));
}

#[test]
fn credentials_appear_in_no_response_and_no_log_line() {
    let log = std::env::temp_dir().join(format!("console-proxy-log-{}.txt", std::process::id()));
    let upstream = upstream();
    let proxy = proxy(&upstream, TOKEN, Some(&log));
    let mut seen = String::new();
    for (method, target, form) in [
        ("GET", "/v1/Devices?PageSize=3", None),
        ("GET", "/v1/Devices/nobody", None),
        ("POST", "/v1/Configs", Some("Key=k&Value=v")),
        ("GET", "/v1/Secrets", None),
        ("GET", "/config.json", None),
        ("GET", "/healthz", None),
        ("DELETE", "/v1/Apps/nothing", None),
        ("GET", "/v1/../secret", None),
    ] {
        let (status, head, body) = proxy.request_raw(method, target, form);
        assert_ne!(status, 0, "{method} {target}");
        seen.push_str(&head);
        seen.push_str(&body);
    }
    drop(proxy);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("upstream") || logged.contains("proxy"),
        "the log is being written: {logged}"
    );
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"));
    for secret in [TOKEN, basic.as_str()] {
        assert!(!seen.contains(secret), "a response holds the credentials");
        assert!(!logged.contains(secret), "the log holds the credentials");
    }
}

#[test]
fn listening_on_all_interfaces_without_a_gate_is_refused() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_console-server"))
        .args(["--listen", "0.0.0.0:0", "--dist", "/nonexistent"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0"),
        "{stderr}"
    );
}

const CLIENT_ID: &str = "console-client";
const CLIENT_SECRET: &str = "cl1ent-s3cret-never-shown";

/// An emulator asking for `mode` credentials, and a proxy authenticating to it that way.
fn pair_with_auth(
    mode: &str,
    ttl_ms: &str,
    secret: &str,
    log: Option<&std::path::Path>,
) -> (Server, Server) {
    let upstream = Server::start(&[
        "--devices",
        "60",
        "--auth",
        &format!("{CLIENT_ID}:{CLIENT_SECRET}"),
        "--auth-mode",
        mode,
        "--token-ttl-ms",
        ttl_ms,
    ]);
    let url = format!("http://{}", upstream.address);
    let token_url = format!("{url}/oauth2/token");
    let proxy = Server::start_with(
        &[
            "--upstream",
            &url,
            "--upstream-auth",
            mode,
            "--upstream-token-url",
            &token_url,
        ],
        &[
            ("UPSTREAM_BEARER_TOKEN", secret),
            ("UPSTREAM_CLIENT_ID", CLIENT_ID),
            ("UPSTREAM_CLIENT_SECRET", secret),
        ],
        log,
    );
    (upstream, proxy)
}

#[test]
fn a_bearer_token_upstream_is_read_and_written_through_the_proxy() {
    let (upstream, proxy) = pair_with_auth("bearer", "3600000", CLIENT_SECRET, None);
    assert_eq!(upstream.get("/v1/Devices").0, 401);
    let (status, body) = proxy.get("/v1/Devices?PageSize=5");
    assert_eq!(status, 200, "{body}");
    let (status, body) = proxy.request("POST", "/v1/Configs", Some("Key=bearer&Value=1"));
    assert_eq!(status, 201, "{body}");
    let (_wrong_upstream, wrong) = pair_with_auth("bearer", "3600000", "not-it", None);
    assert_eq!(
        wrong.get("/v1/Devices").0,
        401,
        "a wrong token is the API's 401"
    );
}

#[test]
fn oauth2_tokens_are_fetched_refreshed_and_kept_out_of_logs() {
    let log = std::env::temp_dir().join(format!("console-oauth-log-{}.txt", std::process::id()));
    // Tokens of 1 s: writes over three seconds outlive several.
    let (upstream, proxy) = pair_with_auth("oauth2", "1000", CLIENT_SECRET, Some(&log));
    assert_eq!(upstream.get("/v1/Devices").0, 401);
    let started = std::time::Instant::now();
    let mut written = 0;
    while started.elapsed() < std::time::Duration::from_secs(3) {
        let (status, body) = proxy.request(
            "POST",
            "/v1/Configs",
            Some(&format!("Key=oauth-{written}&Value=1")),
        );
        assert_eq!(status, 201, "write {written}: {body}");
        written += 1;
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(written > 20, "{written}");
    let (status, body) = proxy.get("/v1/Configs?PageSize=1000");
    assert_eq!(status, 200);
    assert_eq!(body.matches("\"oauth-").count(), written);
    drop(proxy);
    drop(upstream);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("oauth2"),
        "the log is being written: {logged}"
    );
    assert!(
        !logged.contains(CLIENT_SECRET),
        "the log holds the client secret"
    );
    assert!(
        !logged.contains("mvtok_"),
        "the log holds a token: {logged}"
    );
}

#[test]
fn a_token_endpoint_that_refuses_the_client_is_a_502_that_says_so() {
    let (_upstream, proxy) = pair_with_auth("oauth2", "60000", "wrong-secret", None);
    let (status, body) = proxy.get("/v1/Devices");
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("could not get an access token"), "{body}");
    assert!(!body.contains("wrong-secret"));
}
