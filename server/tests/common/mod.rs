//! Runs the real `console-server` binary and talks HTTP/1.1 to it over loopback.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// A new, empty folder for one server's console store.
fn private_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "console-server-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub struct Server {
    pub child: Child,
    /// `127.0.0.1:PORT`
    pub address: String,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        Server::start_with(args, &[], None)
    }

    /// Starts with extra environment variables, sending the log (at trace level) to `log`.
    pub fn start_with(
        args: &[&str],
        env: &[(&str, &str)],
        log: Option<&std::path::Path>,
    ) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_console-server"));
        command
            .args(["--listen", "127.0.0.1:0", "--dist", "/nonexistent"])
            .args(args);
        // Each server keeps its console store apart, unless the test names one.
        if !args
            .iter()
            .any(|arg| *arg == "--database" || *arg == "--data-dir")
        {
            command.arg("--data-dir").arg(private_dir());
        }
        command.envs(env.iter().copied()).stdout(Stdio::piped());
        match log {
            Some(path) => {
                command
                    .env("RUST_LOG", "trace")
                    .stderr(std::fs::File::create(path).expect("log file"));
            }
            None => {
                command.env("RUST_LOG", "error");
            }
        }
        let mut child = command.spawn().expect("console-server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("console-server prints its URL");
        let address = line
            .trim()
            .rsplit("http://")
            .next()
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Server { child, address }
    }

    /// Sends one request and returns (status, body).
    pub fn request(&self, method: &str, target: &str, form: Option<&str>) -> (u16, String) {
        let (status, _, body) = self.request_raw(method, target, form);
        (status, body)
    }

    /// Sends one request and returns (status, head, body).
    pub fn request_raw(
        &self,
        method: &str,
        target: &str,
        form: Option<&str>,
    ) -> (u16, String, String) {
        self.request_with(method, target, form, &[])
    }

    /// Sends one request with extra headers (`Name: value`, no line end).
    pub fn request_with(
        &self,
        method: &str,
        target: &str,
        form: Option<&str>,
        headers: &[&str],
    ) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.address).expect("connect");
        let body = form.unwrap_or("");
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.address
        );
        for header in headers {
            head.push_str(header);
            head.push_str("\r\n");
        }
        if form.is_some() {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let chunked = head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_owned()
        };
        (status, head.to_owned(), body)
    }

    /// Sends a body of any bytes with its content type; (status, head, body).
    pub fn request_bytes(
        &self,
        method: &str,
        target: &str,
        content_type: &str,
        body: &[u8],
        headers: &[&str],
    ) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.address).expect("connect");
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
            self.address,
            body.len()
        );
        for header in headers {
            head.push_str(header);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        // The server may answer (413, 401) before the body is all sent: that is not a failure.
        let _ = stream.write_all(body);
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
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
        (status, head.to_owned(), body)
    }

    pub fn get(&self, target: &str) -> (u16, String) {
        self.request("GET", target, None)
    }

    /// Kills the process without warning, as `kill -9` does.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}
