//! A browser session: chromedriver and headless Chromium on a free port, with the servers the
//! test started kept alive beside it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::process::Command;

use super::processes::{
    Group, PATIENCE, PROXY_ACCOUNT_SID, PROXY_TOKEN, free_port, given_path, start_server,
    start_server_with_env,
};

pub struct Session {
    pub client: Client,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    _server: Group,
    _driver: Group,
    /// The upstream behind a proxy-mode server, if any.
    _upstream: Option<Group>,
}

async fn start_driver() -> (Group, String) {
    let port = free_port();
    let binary = given_path("CHROMEDRIVER");
    let driver = Group::spawn(
        Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .unwrap_or_else(|err| panic!("cannot start {}: {err}", binary.display()));
    let deadline = Instant::now() + PATIENCE;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (driver, format!("http://127.0.0.1:{port}"))
}

/// chromedriver and a headless Chromium session with these extra flags.
async fn start_browser(browser_args: &[&str]) -> (Client, Group) {
    let (driver, driver_url) = start_driver().await;
    let mut capabilities = chrome_capabilities(1280, 900);
    if let Some(args) = capabilities
        .get_mut("goog:chromeOptions")
        .and_then(|options| options.get_mut("args"))
        .and_then(Value::as_array_mut)
    {
        args.extend(browser_args.iter().map(|arg| Value::from(*arg)));
    }
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver_url)
        .await
        .expect("a WebDriver session in headless Chromium");
    (client, driver)
}

fn chrome_capabilities(width: u32, height: u32) -> Capabilities {
    let profile = std::env::temp_dir().join(format!(
        "console-e2e-profile-{}-{}",
        std::process::id(),
        free_port()
    ));
    let options = json!({
        "binary": given_path("CHROMIUM"),
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.display()),
        ],
    });
    let mut capabilities = Capabilities::new();
    capabilities.insert("goog:chromeOptions".to_owned(), options);
    capabilities
}

impl Session {
    /// A session against a fresh emulator of `devices` devices whose deploys land within
    /// 0.75–2.25 s and never fail, so tests can watch them settle.
    pub async fn start(devices: usize) -> Session {
        let devices = devices.to_string();
        Session::start_with(&[
            "--devices",
            &devices,
            "--update-delay-ms",
            "1500",
            "--update-failure-rate",
            "0",
        ])
        .await
    }

    /// The console through `console-server --upstream`, in front of an emulator that checks
    /// credentials (`--auth`). `token` is what the proxy sends; the emulator expects the
    /// right one.
    pub async fn start_proxy(token: &str) -> Session {
        let auth = format!("{PROXY_ACCOUNT_SID}:{PROXY_TOKEN}");
        let token = if token.is_empty() { PROXY_TOKEN } else { token };
        let (upstream, upstream_url) = start_server(&["--devices", "250", "--auth", &auth]).await;
        let (server, base_url) = start_server_with_env(
            &["--upstream", &upstream_url],
            &[
                ("TWILIO_ACCOUNT_SID", PROXY_ACCOUNT_SID),
                ("TWILIO_AUTH_TOKEN", token),
            ],
        )
        .await;
        Session::behind(server, base_url, upstream).await
    }

    /// A session against console-server started with these extra flags.
    pub async fn start_with(args: &[&str]) -> Session {
        let (server, base_url) = start_server(args).await;
        Session::connect(server, base_url).await
    }

    /// A session against a server started elsewhere (nginx, say), kept alive with it.
    pub async fn attach(server: Group, base_url: String) -> Session {
        Session::connect(server, base_url).await
    }

    /// A session against a proxy-mode server, keeping its upstream alive with it.
    pub async fn behind(server: Group, base_url: String, upstream: Group) -> Session {
        let mut session = Session::connect(server, base_url).await;
        session._upstream = Some(upstream);
        session
    }

    async fn connect(server: Group, base_url: String) -> Session {
        let (client, driver) = start_browser(&[]).await;
        Session {
            client,
            base_url,
            _server: server,
            _driver: driver,
            _upstream: None,
        }
    }

    /// Checks that the console did not panic, then ends the browser session.
    pub async fn close(self) {
        self.assert_no_panic().await;
        let _ = self.client.close().await;
    }
}

impl Session {
    /// A browser session on a page served by something other than console-server.
    pub async fn browse(base_url: String) -> Session {
        Session::browse_with_args(base_url, &[]).await
    }

    /// As `browse`, with extra Chromium flags (benchmarks expose `gc()` and exact heap sizes).
    pub async fn browse_with_args(base_url: String, browser_args: &[&str]) -> Session {
        let (client, driver) = start_browser(browser_args).await;
        // Any process stands in for the server slot; the host lives in this test process.
        let placeholder = Group::spawn(Command::new("sleep").arg("3600")).expect("sleep");
        Session {
            client,
            base_url,
            _server: placeholder,
            _driver: driver,
            _upstream: None,
        }
    }
}
