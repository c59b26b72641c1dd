//! HTTP latency and throughput of one URL over keep-alive connections.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::stats::Samples;

pub struct Load {
    /// Per-request latency, one request at a time.
    pub latency: Samples,
    /// Requests per second with `CONCURRENCY` requests in flight.
    pub requests_per_second: f64,
}

pub const SEQUENTIAL_REQUESTS: usize = 2_000;
pub const CONCURRENCY: usize = 16;
pub const THROUGHPUT_SECONDS: u64 = 3;

async fn fetch(client: &reqwest::Client, url: &str) -> Result<(), String> {
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|err| err.to_string())?;
    let status = response.status();
    response.bytes().await.map_err(|err| err.to_string())?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("{url} answered {status}"))
    }
}

pub async fn measure(url: &str) -> Result<Load, String> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .map_err(|err| err.to_string())?;
    for _ in 0..200 {
        fetch(&client, url).await?;
    }
    let mut latency = Samples::default();
    for _ in 0..SEQUENTIAL_REQUESTS {
        let started = Instant::now();
        fetch(&client, url).await?;
        latency.0.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(THROUGHPUT_SECONDS);
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let client = client.clone();
            let url = url.to_owned();
            let done = Arc::clone(&done);
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    fetch(&client, &url).await?;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<(), String>(())
            })
        })
        .collect();
    for worker in workers {
        worker.await.map_err(|err| err.to_string())??;
    }
    let requests_per_second = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    Ok(Load {
        latency,
        requests_per_second,
    })
}
