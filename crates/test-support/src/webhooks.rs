//! A webhook receiver for tests, on loopback: it records each request (signature, idempotency
//! key, body), answers 500 to as many as it is told (or 503 until a time) and 200 after, and
//! checks a signature the way the README tells a receiver to.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// One request a test receiver took.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: String,
    pub key: String,
    pub body: String,
    pub answered: u16,
}

/// When a receiver fails the requests it takes.
#[derive(Debug, Clone, Copy)]
enum Down {
    /// Its first requests, with 500.
    First(usize),
    /// Every request until then, with 503, as a service being deployed or restarted.
    Until(Instant),
}

/// A webhook receiver on loopback: answers 500 to its first `failing` requests, then 200.
pub struct Receiver {
    /// Where to send: a path with a token in it, as real webhook URLs carry.
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn start(failing: usize) -> Receiver {
        Receiver::start_with(failing, Duration::ZERO)
    }

    /// As `start`, holding each request `delay` (after recording it) before it answers.
    pub fn start_with(failing: usize, delay: Duration) -> Receiver {
        Receiver::serve(Down::First(failing), delay)
    }

    /// A receiver that answers 503 to everything until `back`, then 200.
    pub fn down_until(back: Instant) -> Receiver {
        Receiver::serve(Down::Until(back), Duration::ZERO)
    }

    fn serve(down: Down, delay: Duration) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/hook/secret-token",
            listener.local_addr().unwrap()
        );
        let got = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&got);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let mut reader = BufReader::new(stream);
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    headers.push(line.trim().to_owned());
                }
                let header = |name: &str| {
                    headers
                        .iter()
                        .find_map(|h| {
                            let (n, v) = h.split_once(':')?;
                            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let length: usize = header("content-length").parse().unwrap_or(0);
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let mut got = kept.lock().unwrap();
                let answered = match down {
                    Down::First(failing) if got.len() < failing => 500,
                    Down::Until(back) if Instant::now() < back => 503,
                    _ => 200,
                };
                got.push(Received {
                    signature: header("x-console-signature"),
                    key: header("idempotency-key"),
                    body: String::from_utf8_lossy(&body).into_owned(),
                    answered,
                });
                drop(got);
                std::thread::sleep(delay);
                let _ = reader.get_mut().write_all(
                    format!(
                        "HTTP/1.1 {answered} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    .as_bytes(),
                );
            }
        });
        Receiver { url, got }
    }

    /// Every request taken so far.
    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// The requests answered 200 so far, in order.
    pub fn answered_ok(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.answered == 200)
            .collect()
    }

    /// Waits (blocking this thread) until `n` requests were answered 200; those, in order.
    pub fn delivered(&self, n: usize) -> Vec<Received> {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let ok = self.answered_ok();
            if ok.len() >= n {
                return ok;
            }
            assert!(
                Instant::now() < until,
                "{n} deliveries: got {:?}",
                self.received()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The README's check: `t` and `v1` from the header, HMAC-SHA256(secret, t + "." + body).
pub fn signed_by(secret: &str, received: &Received) -> bool {
    let mut t = "";
    let mut v1 = "";
    for part in received.signature.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value,
            Some(("v1", value)) => v1 = value,
            _ => {}
        }
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", received.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    !t.is_empty() && expected == v1
}
