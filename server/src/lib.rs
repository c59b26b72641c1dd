//! `console-server`: the built console and the Microvisor API on one origin. The API comes
//! from the built-in emulator.

mod emulator;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::{any, get};
use clap::Parser;
use microvisor_sim::{Emulator, SimConfig};
use serde::Serialize;
use tokio::sync::Mutex;
use tower_http::services::{ServeDir, ServeFile};

pub use emulator::unix_now;

#[derive(Debug, Clone, Parser)]
#[command(name = "console-server", version, about)]
pub struct Options {
    /// Address to listen on. Port 0 picks a free port; the URL is printed on start.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder of the built console (trunk's output).
    #[arg(long, default_value = "dist")]
    pub dist: PathBuf,
    /// Number of emulated devices.
    #[arg(long, default_value_t = 250)]
    pub devices: usize,
    /// Seed of the emulated fleet: the same seed gives the same fleet.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seconds an online emulated device takes to install a new target app.
    #[arg(long, default_value_t = 6)]
    pub install_delay: i64,
}

/// What `/config.json` tells the console.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleConfig {
    pub mode: &'static str,
    pub api_base: &'static str,
}

pub struct AppState {
    pub emulator: Mutex<Emulator>,
    /// Used in absolute URLs when a request carries no usable Host header.
    pub listen: SocketAddr,
}

/// The whole HTTP surface, without a listener, so tests can call it directly.
pub fn router(options: &Options) -> Router {
    let config = SimConfig {
        devices: options.devices,
        seed: options.seed,
        install_delay_secs: options.install_delay,
    };
    let state = Arc::new(AppState {
        emulator: Mutex::new(Emulator::new(&config, unix_now())),
        listen: options.listen,
    });
    let console =
        ServeDir::new(&options.dist).fallback(ServeFile::new(options.dist.join("index.html")));
    Router::new()
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
        .layer(tower_http::trace::TraceLayer::new_for_http())
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
    });
    // The first line on stdout is the URL: scripts and tests read it.
    println!("console-server listening on http://{address}");
    tracing::info!(
        devices = options.devices,
        seed = options.seed,
        "emulator ready"
    );
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
