//! Live updates under load: many `/console/v1/events` streams open on one console-server at
//! once, then events made one after another; how long each takes to reach every stream (from
//! the write that made it being answered, so committed, to the stream reading it), and the
//! server's resident memory with the streams open. The events are alert rules being made:
//! they take the path an index change takes (the store's event log, the hub's tail, the fan
//! out), without waiting on a pass.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use console_e2e::harness::{http_json, start_server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::servers::rss_of;
use crate::stats::Samples;

pub struct Streams {
    pub streams: usize,
    pub events: usize,
    /// Write sent → event read, ms, every stream and event.
    pub latency_ms: Samples,
    /// Events some stream never read within 10 s.
    pub missed: usize,
    pub rss_before: u64,
    pub rss_open: u64,
}

impl Streams {
    /// What the open streams cost the server.
    pub fn growth(&self) -> u64 {
        self.rss_open.saturating_sub(self.rss_before)
    }
}

/// When each stream read each event (by the rule's name).
type Arrivals = Arc<Mutex<Vec<HashMap<String, Instant>>>>;

async fn open(address: &str, index: usize, arrivals: Arrivals) -> Result<(), String> {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|err| format!("stream {index}: {err}"))?;
    let head = format!(
        "GET /console/v1/events HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|err| err.to_string())?;
    tokio::spawn(async move {
        let mut buffer = vec![0_u8; 16 * 1024];
        let mut text = String::new();
        while let Ok(read) = stream.read(&mut buffer).await {
            if read == 0 {
                return;
            }
            let now = Instant::now();
            text.push_str(&String::from_utf8_lossy(&buffer[..read]));
            // Rule names are "bench N": each arrival once, at the read that brought it.
            while let Some(at) = text.find("\"name\":\"bench ") {
                let rest = &text[at + 14..];
                let Some(end) = rest.find('"') else { break };
                let name = rest[..end].to_owned();
                arrivals.lock().expect("never poisoned")[index]
                    .entry(name)
                    .or_insert(now);
                text.drain(..at + 14 + end);
            }
        }
    });
    Ok(())
}

/// `streams` streams on one server, then `events` events, one every 200 ms.
pub async fn measure(streams: usize, events: usize) -> Result<Streams, String> {
    // The harness starts it with --no-index: no pass writes events of its own meanwhile.
    let (server, base_url) = start_server(&["--devices", "50"]).await;
    let address = base_url.trim_start_matches("http://").to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = rss_of(server.pid());
    let arrivals: Arrivals = Arc::new(Mutex::new(vec![HashMap::new(); streams]));
    for index in 0..streams {
        open(&address, index, Arc::clone(&arrivals)).await?;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_open = rss_of(server.pid());
    let mut sent = Vec::new();
    for n in 0..events {
        let body = format!(
            r#"{{"name":"bench {n}","scope":"fleet","condition":{{"kind":"rollout_halted"}}}}"#
        );
        // From before the write: the figure includes the write itself, so it is an upper bound.
        let started = Instant::now();
        let (status, answer) = http_json(
            "POST",
            &format!("{base_url}/console/v1/alerts"),
            Some(&body),
        )
        .await;
        if status != 201 {
            return Err(format!("a rule was not made: {status} {answer}"));
        }
        sent.push((n.to_string(), started));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    let arrivals = arrivals.lock().expect("never poisoned");
    let mut latency = Vec::new();
    let mut missed = 0;
    for stream in arrivals.iter() {
        for (name, at) in &sent {
            match stream.get(name) {
                Some(read) => latency.push(read.saturating_duration_since(*at).as_secs_f64() * 1e3),
                None => missed += 1,
            }
        }
    }
    drop(server);
    Ok(Streams {
        streams,
        events,
        latency_ms: Samples(latency),
        missed,
        rss_before,
        rss_open,
    })
}
