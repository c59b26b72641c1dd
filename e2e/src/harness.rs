//! Starts console-server (emulator) and chromedriver on free loopback ports, and drives
//! headless Chromium through WebDriver.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a condition may take before a test fails. Generous: CI machines are small.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct Session {
    pub client: Client,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    _server: Group,
    _driver: Group,
    /// The upstream behind a proxy-mode server, if any.
    _upstream: Option<Group>,
}

/// A process started in a process group of its own, all of which is killed when this is
/// dropped: chromedriver's browsers, nginx's workers. A test that fails leaves none behind to
/// slow the tests after it.
pub struct Group(Child);

impl Group {
    /// The process's id (its group's too), while it runs.
    pub fn pid(&self) -> u32 {
        self.0.id().unwrap_or(0)
    }

    pub fn spawn(command: &mut Command) -> std::io::Result<Group> {
        command
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map(Group)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(pid) = self.0.id().and_then(|pid| i32::try_from(pid).ok()) {
            // SAFETY: kill(2) with a negative pid signals that process group; it touches no
            // memory of ours.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
}

/// The account the proxy tests' upstream emulator checks credentials for.
pub const PROXY_ACCOUNT_SID: &str = "ACe2e0000000000000000000000000e2e0";
const PROXY_TOKEN: &str = "e2e-auth-token";

/// A path `cargo xtask` passes in the environment: the built binaries and sites, and where
/// setup put each tool. The harness keeps no second idea of where things are.
pub fn given_path(name: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "{name} is not set: run the end-to-end tests with `cargo xtask e2e [FILTER]` \
             (or `cargo xtask test`), which builds what they need and says where every tool is"
            )
        })
}

/// A new empty directory under the system's temporary directory.
pub fn scratch_dir(what: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("console-e2e-{what}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// Starts console-server with these flags; returns the process and its URL.
pub async fn start_server(args: &[&str]) -> (Group, String) {
    start_server_with_env(args, &[]).await
}

pub async fn start_server_with_env(args: &[&str], env: &[(&str, &str)]) -> (Group, String) {
    let binary = given_path("CONSOLE_SERVER_BIN");
    let dist = given_path("CONSOLE_DIST");
    assert!(
        dist.join("index.html").is_file(),
        "build the console first: {} has no index.html",
        dist.display()
    );
    // Each server keeps its store apart unless the test names one.
    let own_store = !args
        .iter()
        .any(|arg| arg.starts_with("--database") || arg.starts_with("--data-dir"));
    let mut command = Command::new(&binary);
    command
        .args(["--listen", "127.0.0.1:0", "--dist"])
        .arg(&dist)
        .args(args);
    if own_store {
        command.arg("--data-dir").arg(scratch_dir("store"));
    }
    let mut server = Group::spawn(
        command
            .env("RUST_LOG", "console_server=warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped()),
    )
    .unwrap_or_else(|err| panic!("cannot start {}: {err}", binary.display()));
    let stdout = server.0.stdout.take().expect("server stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(PATIENCE, lines.next_line())
        .await
        .expect("console-server printed its URL in time")
        .expect("console-server stdout")
        .expect("console-server printed a line");
    let url = line
        .rsplit(' ')
        .next()
        .filter(|url| url.starts_with("http://"))
        .unwrap_or_else(|| panic!("unexpected first line from console-server: {line}"))
        .to_owned();
    (server, url)
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

    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base_url))
            .await
            .expect("navigation");
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("script runs")
    }

    /// Waits until `script` returns a value for which `ready` holds, and returns it.
    pub async fn wait_for(
        &self,
        what: &str,
        script: &str,
        ready: impl Fn(&Value) -> bool,
    ) -> Value {
        self.wait_long(what, PATIENCE, script, ready).await
    }

    /// SIDs of the device rows on screen, in order.
    pub async fn row_sids(&self) -> Vec<String> {
        let value = self
            .eval("return Array.from(document.querySelectorAll('table.devices tbody tr[data-sid]')).map(r => r.dataset.sid);")
            .await;
        serde_json::from_value(value.clone())
            .unwrap_or_else(|err| panic!("rows without a data-sid ({err}): {value}"))
    }

    /// Waits for a full table of `count` rows that differs from `previous`.
    pub async fn wait_for_rows(&self, count: usize, previous: &[String]) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let rows = self.row_sids().await;
            if rows.len() == count && rows != previous {
                return rows;
            }
            if Instant::now() > deadline {
                self.save_screenshot("timeout-rows").await;
                panic!(
                    "timed out waiting for {count} new rows; have {}",
                    rows.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the first button whose text is `text`.
    pub async fn click_button(&self, text: &str) {
        let xpath = format!("//button[normalize-space()='{text}']");
        let deadline = Instant::now() + PATIENCE;
        loop {
            // Several may exist (closed dialogs hold theirs): take the first one shown.
            for button in self
                .client
                .find_all(Locator::XPath(&xpath))
                .await
                .unwrap_or_default()
            {
                if button.is_displayed().await.unwrap_or(false)
                    && button.is_enabled().await.unwrap_or(false)
                    && button.click().await.is_ok()
                {
                    return;
                }
            }
            if Instant::now() > deadline {
                self.save_screenshot(&format!("timeout-button-{}", text.replace(' ', "-")))
                    .await;
                panic!("no clickable button '{text}'");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Replaces the text of the input with this `id`.
    pub async fn fill(&self, id: &str, text: &str) {
        self.fill_css(&format!("#{id}"), text).await;
    }

    /// Replaces the text of the input found by a CSS selector.
    pub async fn fill_css(&self, selector: &str, text: &str) {
        let input = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|err| panic!("input {selector}: {err}"));
        input.clear().await.expect("clear");
        input.send_keys(text).await.expect("type");
    }

    /// Waits until the text of `selector` satisfies `ready`, and returns it.
    pub async fn wait_for_text(&self, selector: &str, ready: impl Fn(&str) -> bool) -> String {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.textContent : null;",
            serde_json::to_string(selector).unwrap()
        );
        let value = self
            .wait_for(&format!("text of {selector}"), &script, |v| {
                v.as_str().is_some_and(&ready)
            })
            .await;
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Screenshots at a width, in the light or dark theme, for people to look at.
    pub async fn screenshot_at(&self, name: &str, width: u32, dark: bool) {
        let theme = if dark { "dark" } else { "light" };
        self.eval(&format!(
            "document.documentElement.dataset.theme = '{theme}'; return 1;"
        ))
        .await;
        let _ = self.client.set_window_size(width, 900).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.save_screenshot(&format!("{name}-{width}-{theme}"))
            .await;
        let _ = self.client.set_window_size(1280, 900).await;
        self.eval("delete document.documentElement.dataset.theme; return 1;")
            .await;
    }

    pub async fn click_link(&self, text: &str) {
        let link = self
            .client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|err| panic!("link {text}: {err}"));
        link.click().await.expect("click");
    }

    pub async fn path_and_query(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Saves a PNG under `e2e/artifacts/` for people to look at.
    pub async fn save_screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts");
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }

    /// Fails the test if the console hit a panic (it then shows its fatal-error screen).
    pub async fn assert_no_panic(&self) {
        let fatal = self
            .eval("const e = document.getElementById('fatal-error'); return e ? e.textContent : null;")
            .await;
        assert!(fatal.is_null(), "the console panicked: {fatal}");
    }

    /// Scans until a scan completes: with injected faults a page load may fail, and the console
    /// then says so and stops; the operator scans again.
    pub async fn scan(&self, devices: usize) {
        for _ in 0..8 {
            self.click_button("Scan fleet").await;
            let status = self
                .wait_for_text(".scan-status", |t| {
                    t.contains("complete") || t.contains("stopped")
                })
                .await;
            if status.contains("complete") {
                assert!(
                    status.starts_with(&format!("{devices} devices")),
                    "{status}"
                );
                return;
            }
        }
        panic!("no scan completed in 8 tries");
    }

    /// GET through the faulty server until it answers 200.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let script = format!(
            "const done = arguments[0];
             (async () => {{
               for (let i = 0; i < 50; i++) {{
                 try {{ const r = await fetch('{path}'); if (r.status === 200) {{ done(await r.json()); return; }} }} catch (e) {{}}
               }}
               done(null);
             }})();"
        );
        self.client
            .execute_async(&script, vec![])
            .await
            .expect("a fetch in the page")
    }

    /// Clicks an export button and returns the file's text, caught as the page makes it.
    pub async fn exported_text(&self, button: &str) -> String {
        self
            .eval("window.__blobs = []; const make = URL.createObjectURL; URL.createObjectURL = b => { window.__blobs.push(b); return make.call(URL, b); }; return 1;")
            .await;
        self.click_button(button).await;
        let text = self
            .client
            .execute_async(
                "const done = arguments[0]; window.__blobs[0].text().then(done);",
                vec![],
            )
            .await
            .unwrap();
        text.as_str().unwrap().to_owned()
    }

    /// Waits for the bulk panel's actions, which load with the first row selected.
    pub async fn wait_for_bulk_actions(&self) {
        self.wait_for(
            "the bulk actions",
            "return !!document.getElementById('bulk-action')",
            |loaded| loaded.as_bool() == Some(true),
        )
        .await;
    }

    /// In the bulk panel: chooses `action` (the select's value; for "target", `target_app`
    /// is typed into its field) and opens the confirmation.
    pub async fn review_bulk(&self, action: &str, target_app: Option<&str>) {
        self.wait_for_bulk_actions().await;
        self.client
            .find(Locator::Id("bulk-action"))
            .await
            .expect("the bulk panel's action")
            .select_by_value(action)
            .await
            .expect("a bulk action");
        if let Some(app) = target_app {
            self.fill("bulk-target", app).await;
        }
        self.click_button("Review and apply…").await;
    }

    /// The bulk results table: (device SID, result) per row.
    pub async fn bulk_results(&self) -> Vec<(String, String)> {
        let rows = self
            .eval("return [...document.querySelectorAll('table.results tbody tr')].map((r) => [r.dataset.sid, r.cells[1].textContent]);")
            .await;
        serde_json::from_value(rows).expect("rows of SID and result")
    }

    /// Clicks the element `selector` (CSS) finds.
    pub async fn click_css(&self, selector: &str) {
        self.client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|err| panic!("no {selector}: {err}"))
            .click()
            .await
            .unwrap_or_else(|err| panic!("cannot click {selector}: {err}"));
    }

    /// Types `keys` into whatever has focus, as a keyboard would.
    pub async fn press(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .expect("a focused element")
            .send_keys(keys)
            .await
            .expect("keys sent");
    }

    /// Presses Tab until `focused` (a script expression over `el`, the focused element) is
    /// true; fails after 80 presses.
    pub async fn tab_to(&self, focused: &str) {
        let check = format!("const el = document.activeElement; return Boolean({focused});");
        for _ in 0..80 {
            if self.eval(&check).await.as_bool() == Some(true) {
                return;
            }
            self.press(&fantoccini::key::Key::Tab.to_string()).await;
        }
        panic!("Tab never reached {focused}");
    }

    /// axe-core's serious and critical violations on the page as it is now, one line each.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let script = given_path("AXE_CORE_JS");
        let source = std::fs::read_to_string(&script).unwrap_or_else(|err| {
            panic!(
                "axe-core at {} (cargo xtask setup --browser): {err}",
                script.display()
            )
        });
        self.client
            .execute(&format!("{source}\nreturn typeof axe;"), Vec::new())
            .await
            .expect("axe-core loads in the page");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(
                   (result) => done(result.violations
                     .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 4)
                       .map((n) => n.target.join(' ') + ' — ' + n.failureSummary.replace(/\\s+/g, ' '))
                       .join(' | '))),
                   (error) => done([`axe failed: ${error}`]));",
                Vec::new(),
            )
            .await
            .expect("axe-core ran");
        // A result of another shape (a new axe-core, a broken script) is a failure, never
        // "no violations".
        serde_json::from_value(found.clone())
            .unwrap_or_else(|err| panic!("axe-core answered something unexpected ({err}): {found}"))
    }

    /// Checks that the console did not panic, then ends the browser session.
    pub async fn close(self) {
        self.assert_no_panic().await;
        let _ = self.client.close().await;
    }
}

/// A plain static file server, as GitHub Pages behaves: the site under `prefix`, and for a
/// path that is not a file, 404 with the site's `404.html`. No console-server involved.
pub async fn start_static_host(
    site: &std::path::Path,
    prefix: &str,
) -> (String, tokio::task::JoinHandle<()>) {
    use tower_http::services::{ServeDir, ServeFile};
    let files = ServeDir::new(site).not_found_service(ServeFile::new(site.join("404.html")));
    let app = axum::Router::new().nest_service(prefix.trim_end_matches('/'), files);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
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

/// The sample config `deploy/nginx-microvisor-console.conf`, filled in: nginx on loopback
/// `port` serves `dist` and proxies `/v1` to `upstream_url`, adding `basic_auth` (base64).
pub fn sample_nginx_server_block(
    port: u16,
    dist: &std::path::Path,
    upstream_url: &str,
    basic_auth: &str,
) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let sample = std::fs::read_to_string(root.join("deploy/nginx-microvisor-console.conf"))
        .expect("deploy/nginx-microvisor-console.conf");
    let server_block = sample
        .replace("${LISTEN}", &format!("127.0.0.1:{port}"))
        .replace("${DIST}", &dist.to_string_lossy())
        .replace("${UPSTREAM}", upstream_url)
        // The emulator builds its links from Host: keep the browser's, so they lead back here.
        .replace("${UPSTREAM_HOST}", "$http_host")
        .replace("${BASIC_AUTH}", basic_auth);
    let unfilled = server_block
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .any(|line| line.contains("${"));
    assert!(!unfilled, "every placeholder is filled");
    server_block
}

/// Debian's nginx in the foreground with this `server { ... }` block listening on `port`;
/// returns once it accepts connections.
pub async fn start_nginx(server_block: &str, port: u16) -> (Group, String) {
    let work = std::env::temp_dir().join(format!("console-nginx-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&work).expect("a work folder for nginx");
    let w = work.to_string_lossy();
    let config = format!(
        "daemon off; worker_processes 1; pid {w}/nginx.pid; error_log {w}/error.log warn; user root;\n\
         events {{ worker_connections 512; }}\n\
         http {{ include /etc/nginx/mime.types; access_log off;\n\
         client_body_temp_path {w}/body; proxy_temp_path {w}/proxy; fastcgi_temp_path {w}/fcgi;\n\
         uwsgi_temp_path {w}/uwsgi; scgi_temp_path {w}/scgi;\n{server_block}\n}}\n"
    );
    let config_path = work.join("nginx.conf");
    std::fs::write(&config_path, config).expect("nginx.conf written");
    let nginx = Group::spawn(
        Command::new(given_path("NGINX"))
            .arg("-c")
            .arg(&config_path)
            .arg("-p")
            .arg(&work)
            .stdout(Stdio::null()),
    )
    .expect("Debian's nginx is installed (cargo xtask setup --browser)");
    let deadline = Instant::now() + PATIENCE;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        let log = std::fs::read_to_string(work.join("error.log")).unwrap_or_default();
        assert!(Instant::now() < deadline, "nginx did not start: {log}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (nginx, format!("http://127.0.0.1:{port}"))
}

/// One HTTP/1.1 request from the test itself (not the browser), as a same-origin page would
/// send it: `(status, JSON body or null)`. For checking servers and emulators directly.
pub async fn http_json(method: &str, url: &str, body: Option<&str>) -> (u16, Value) {
    http_json_with(method, url, body, &[]).await
}

/// `http_json` with extra headers (`Name: value`), such as an operator's token.
pub async fn http_json_with(
    method: &str,
    url: &str,
    body: Option<&str>,
    headers: &[&str],
) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .unwrap_or_else(|err| panic!("connect to {authority}: {err}"));
    let body = body.unwrap_or("");
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nOrigin: http://{authority}\r\n{extra}\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer");
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        text = rest[size..].trim_start_matches("\r\n");
    }
    out
}

impl Session {
    /// Chooses the option of a `<select>` (by its value) as a person would.
    pub async fn choose(&self, select_id: &str, value: &str) {
        let script = format!(
            "const s = document.getElementById({id}); if (!s) return false;
             if (![...s.options].some(o => o.value === {value})) return false;
             s.value = {value}; s.dispatchEvent(new Event('change', {{bubbles: true}})); return true;",
            id = serde_json::to_string(select_id).unwrap(),
            value = serde_json::to_string(value).unwrap()
        );
        self.wait_for(&format!("option {value} of {select_id}"), &script, |v| {
            v == &Value::Bool(true)
        })
        .await;
    }

    /// Waits up to `limit` for `script` to return a value `ready` accepts (for slow work such
    /// as a rollout, beyond the usual patience).
    pub async fn wait_long(
        &self,
        what: &str,
        limit: Duration,
        script: &str,
        ready: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let value = self.eval(script).await;
            if ready(&value) {
                return value;
            }
            if Instant::now() > deadline {
                self.save_screenshot(&format!("timeout-{}", what.replace(' ', "-")))
                    .await;
                panic!("timed out waiting for {what}; last value: {value}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
