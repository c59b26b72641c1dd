//! `console-server`: the built console and the Microvisor API on one origin. The API comes
//! from the built-in emulator.

mod emulator;
mod faults;
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::{any, get};
use clap::Parser;
use microvisor_sim::{Emulator, Lifecycle, SimConfig};
use serde::Serialize;
use tokio::sync::Mutex;
use tower_http::services::{ServeDir, ServeFile};

pub use emulator::unix_now_ms;

use crate::emulator::Backend;
use crate::faults::Faults;
use crate::store::Store;

#[derive(Debug, Clone, Parser)]
#[command(name = "console-server", version, about)]
pub struct Options {
    /// Address to listen on. Port 0 picks a free port; the URL is printed on start.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder of the built console (trunk's output).
    #[arg(long, default_value = "dist")]
    pub dist: PathBuf,
    /// Number of emulated devices (up to 100,000 and more).
    #[arg(long, default_value_t = 250)]
    pub devices: usize,
    /// Number of emulated apps.
    #[arg(long, default_value_t = 8)]
    pub apps: usize,
    /// Seed of the emulated fleet: the same seed gives the same fleet.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Mean time (ms) an emulated device takes to report a new target app; each deploy
    /// takes 50–150 % of it.
    #[arg(long, default_value_t = 5000)]
    pub update_delay_ms: i64,
    /// Fraction of deploys that end in `error`.
    #[arg(long, default_value_t = 0.05, value_parser = fraction)]
    pub update_failure_rate: f64,
    /// Keep the emulator's state in this SQLite file; without it, state is in memory.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Fraction of API requests answered with a fault: 500, 503, 429 with Retry-After, or a
    /// dropped connection.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub fault_rate: f64,
    /// Latency (ms) added to each API request, jittered 50–150 %.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Require these HTTP Basic credentials (`SID:TOKEN`) on the API, as the real service does.
    #[arg(long, value_name = "SID:TOKEN")]
    pub auth: Option<String>,
}

impl Options {
    /// The defaults, as if no flag was given.
    pub fn defaults() -> Options {
        Options::parse_from(["console-server"])
    }
}

/// What `/config.json` tells the console.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleConfig {
    pub mode: &'static str,
    pub api_base: &'static str,
}

pub struct AppState {
    pub backend: Mutex<Backend>,
    pub faults: Faults,
    pub auth: Option<String>,
    /// Used in absolute URLs when a request carries no usable Host header.
    pub listen: SocketAddr,
}

fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
        _ => Err(format!("'{text}' is not a fraction from 0 to 1")),
    }
}

/// The emulator: restored from `--state` when that file holds one, else seeded (and, with
/// `--state`, saved whole).
fn open_backend(options: &Options) -> Result<Backend, String> {
    let config = SimConfig {
        devices: options.devices,
        apps: options.apps,
        seed: options.seed,
        lifecycle: Lifecycle {
            update_delay_ms: options.update_delay_ms.max(0),
            update_failure_rate: options.update_failure_rate,
        },
    };
    let Some(path) = &options.state else {
        return Ok(Backend {
            emulator: Emulator::new(&config, unix_now_ms()),
            store: None,
        });
    };
    let cannot = |err: rusqlite::Error| format!("state file {}: {err}", path.display());
    let mut store = Store::open(path).map_err(cannot)?;
    let records = store.load().map_err(cannot)?;
    let emulator = if records.is_empty() {
        let emulator = Emulator::new(&config, unix_now_ms());
        store.write(&emulator.export()).map_err(cannot)?;
        tracing::info!(path = %path.display(), "seeded a new state file");
        emulator
    } else {
        tracing::info!(
            path = %path.display(),
            records = records.len(),
            "restored state; --devices, --apps and --seed do not apply"
        );
        Emulator::import(config.lifecycle, &records)?
    };
    Ok(Backend {
        emulator,
        store: Some(store),
    })
}

/// The whole HTTP surface, without a listener, so tests can call it directly.
pub fn router(options: &Options) -> Result<Router, String> {
    let state = Arc::new(AppState {
        backend: Mutex::new(open_backend(options)?),
        faults: Faults::new(
            options.fault_rate,
            options.latency_ms,
            options.seed ^ unix_now_ms() as u64,
        ),
        auth: options.auth.clone(),
        listen: options.listen,
    });
    let console =
        ServeDir::new(&options.dist).fallback(ServeFile::new(options.dist.join("index.html")));
    Ok(Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/config.json",
            get(|| async {
                axum::Json(ConsoleConfig {
                    mode: "emulator",
                    api_base: "/v1",
                })
            }),
        )
        .route("/v1", any(emulator::handle))
        .route("/v1/{*rest}", any(emulator::handle))
        .with_state(state)
        .fallback_service(console)
        .layer(axum::extract::DefaultBodyLimit::max(
            emulator::MAX_BODY_BYTES,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http()))
}

/// Binds, prints the URL, and serves until Ctrl-C or SIGTERM.
pub async fn serve(options: Options) -> std::io::Result<()> {
    if !options.dist.join("index.html").is_file() {
        tracing::warn!(
            "{} has no index.html: build the console first (cargo xtask serve does)",
            options.dist.display()
        );
    }
    let listener = tokio::net::TcpListener::bind(options.listen).await?;
    let address = listener.local_addr()?;
    let app = router(&Options {
        listen: address,
        ..options.clone()
    })
    .map_err(std::io::Error::other)?;
    // The first line on stdout is the URL: scripts and tests read it.
    println!("console-server listening on http://{address}");
    tracing::info!(
        devices = options.devices,
        seed = options.seed,
        "emulator ready"
    );
    if options.auth.is_some() {
        tracing::info!("the API requires HTTP Basic credentials (--auth)");
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
