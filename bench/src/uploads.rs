//! App uploads: reading and checking a 1 MiB bundle in-process, and 1 MiB bundles uploaded
//! through `console-server --upstream` in front of an emulator, many at once, with the proxy's
//! resident memory sampled while they run (a bundle is streamed to a file, never held whole).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use app_bundle::{BuildOptions, Limits};

use crate::servers::{emulator_and_proxy, rss_of};
use crate::stats::Samples;

pub struct Uploads {
    pub bundle_bytes: usize,
    /// Reading and checking the bundle in-process, ms.
    pub read_ms: Samples,
    /// Uploads sent at once, and each one's time from request to answer, ms.
    pub concurrent: usize,
    pub upload_ms: Samples,
    /// The proxy's resident memory before the uploads and at its highest while they ran.
    pub rss_before: u64,
    pub rss_peak: u64,
    /// The same for as many uploads of a small bundle: what an upload costs whatever its size.
    pub small_bundle_bytes: usize,
    pub small_rss: (u64, u64),
}

impl Uploads {
    /// What the uploads of the 1 MiB bundle added to the proxy's memory, per upload.
    pub fn growth_per_upload(&self) -> f64 {
        self.rss_peak.saturating_sub(self.rss_before) as f64 / self.concurrent as f64
    }

    /// The same for the small bundle.
    pub fn small_growth_per_upload(&self) -> f64 {
        self.small_rss.1.saturating_sub(self.small_rss.0) as f64 / self.concurrent as f64
    }
}

/// An image of `size` bytes that does not compress, as a real firmware image barely does.
fn image(size: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Uploads `bundle` `concurrent` times at once through the proxy at `proxy_url` (process
/// `pid`): each one's time, and the proxy's memory before and at its highest.
async fn upload_at_once(
    proxy_url: &str,
    pid: u32,
    bundle: &[u8],
    concurrent: usize,
) -> Result<(Samples, u64, u64), String> {
    let client = reqwest::Client::new();
    let send = |bundle: Vec<u8>| {
        let (client, url) = (client.clone(), format!("{proxy_url}/v1/Apps"));
        async move {
            let part = reqwest::multipart::Part::bytes(bundle)
                .file_name("bench.zip")
                .mime_str("application/zip")
                .map_err(|err| err.to_string())?;
            let form = reqwest::multipart::Form::new().part("File", part);
            let started = Instant::now();
            let response = client
                .post(url)
                .multipart(form)
                .send()
                .await
                .map_err(|err| err.to_string())?;
            let status = response.status();
            response.bytes().await.map_err(|err| err.to_string())?;
            if status.as_u16() != 201 {
                return Err(format!("an upload answered {status}"));
            }
            Ok::<f64, String>(started.elapsed().as_secs_f64() * 1000.0)
        }
    };
    // One first, so what the server allocates once is in the baseline.
    send(bundle.to_vec()).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before = rss_of(pid);
    let peak = Arc::new(AtomicU64::new(rss_before));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let (peak, stop) = (Arc::clone(&peak), Arc::clone(&stop));
        async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_of(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });
    let tasks: Vec<_> = (0..concurrent)
        .map(|_| tokio::spawn(send(bundle.to_vec())))
        .collect();
    let mut times = Samples(Vec::new());
    for task in tasks {
        times.0.push(task.await.map_err(|err| err.to_string())??);
    }
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    let rss_peak = peak.load(Ordering::Relaxed).max(rss_of(pid));
    Ok((times, rss_before, rss_peak))
}

pub async fn measure(concurrent: usize, reads: usize) -> Result<Uploads, String> {
    let large = app_bundle::USER_FLASH_BYTES as usize - 4096;
    let bundle = app_bundle::build(&image(large), &BuildOptions::default())
        .map_err(|err| err.to_string())?;
    let small = app_bundle::build(&image(16 * 1024), &BuildOptions::default())
        .map_err(|err| err.to_string())?;
    let mut read_ms = Samples(Vec::new());
    for _ in 0..reads {
        let started = Instant::now();
        app_bundle::read(&bundle, Limits::default()).map_err(|err| err.to_string())?;
        read_ms.0.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (servers, _, proxy_url) = emulator_and_proxy(10).await;
    let pid = servers[1].pid();
    let (_, small_before, small_peak) = upload_at_once(&proxy_url, pid, &small, concurrent).await?;
    let (upload_ms, rss_before, rss_peak) =
        upload_at_once(&proxy_url, pid, &bundle, concurrent).await?;
    Ok(Uploads {
        bundle_bytes: bundle.len(),
        read_ms,
        concurrent,
        upload_ms,
        rss_before,
        rss_peak,
        small_bundle_bytes: small.len(),
        small_rss: (small_before, small_peak),
    })
}
