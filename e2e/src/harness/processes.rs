//! The processes a test runs against, each on a free loopback port and killed with its whole
//! process group when dropped: console-server, nginx with the sample config; a plain static
//! host in the test itself; and where `cargo xtask` put their tools.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a condition may take before a test fails. Generous: CI machines are small.
pub const PATIENCE: Duration = Duration::from_secs(30);

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
pub(crate) const PROXY_TOKEN: &str = "e2e-auth-token";

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

/// Starts console-server with these flags (and `--no-index` unless one starts `--index`);
/// returns the process and its URL.
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
    // The fleet index reads the API in the background; a test that does not ask for it by an
    // `--index-…` flag runs without it, so its pages scan and its request counts are its own.
    if !args.iter().any(|arg| arg.starts_with("--index")) {
        command.arg("--no-index");
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

/// `console-server operators add NAME --role ROLE --operators FILE`: the token it prints once.
pub fn add_operator(file: &std::path::Path, name: &str, role: &str) -> String {
    let output = std::process::Command::new(given_path("CONSOLE_SERVER_BIN"))
        .args(["operators", "add", name, "--role", role, "--operators"])
        .arg(file)
        .output()
        .expect("run console-server operators add");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}
