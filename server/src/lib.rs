//! `console-server`: the built console and the Microvisor API on one origin. `/v1` is answered
//! by the built-in emulator, or forwarded to the real API (proxy mode) with credentials that
//! stay on the server. Its own API (`/console/v1`: saved views, rollouts, the audit log, the
//! fleet index, alerts, the event stream) keeps its state in the console store, and background
//! tasks drive rollouts, the index and alerts with every browser closed. The map of its sections is in ARCHITECTURE.md; this file is the list of them and
//! `serve`.

pub mod answers;
pub mod bundles;
pub mod cli;
pub mod clock;
pub mod console;
pub mod listener;
pub mod pages;
pub mod router;
pub mod security;
pub mod store;
pub mod v1;

use std::sync::Arc;

pub use cli::{Options, check_exposure};
pub use router::{Server, open_store, router, router_with_env};

/// Binds, prints the URL, and serves until Ctrl-C or SIGTERM.
pub async fn serve(options: Options) -> std::io::Result<()> {
    if !options.dist.join("index.html").is_file() {
        tracing::warn!(
            "{} has no index.html: build the console first (cargo xtask serve does)",
            options.dist.display()
        );
    }
    check_exposure(&options).map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind(options.listen).await?;
    let address = listener.local_addr()?;
    let server = router_with_env(
        &Options {
            listen: address,
            ..options.clone()
        },
        |name| std::env::var(name).ok(),
    )
    .await
    .map_err(std::io::Error::other)?;
    tracing::info!(store = %server.store.describe(), "console store ready");
    // Rollouts go on in the background, on whichever replica holds the lease.
    let runner = Arc::clone(&server.runner);
    let driving = tokio::spawn(async move { runner.run().await });
    // The fleet index, likewise, on whichever replica holds its own lease.
    let indexing = server
        .index
        .clone()
        .map(|index| tokio::spawn(async move { index.run().await }));
    // The event log's tail feeds every open stream; alerts are watched on the lease holder.
    let events = Arc::clone(&server.events);
    let tailing = tokio::spawn(async move { events.run().await });
    let alerts = Arc::clone(&server.alerts);
    let watching = tokio::spawn(async move { alerts.run().await });
    // The first line on stdout is the URL: scripts and tests read it.
    println!("console-server listening on http://{address}");
    listener::run(listener, server.router, shutdown_signal()).await?;
    driving.abort();
    server.runner.release().await;
    watching.abort();
    server.alerts.release().await;
    tailing.abort();
    if let (Some(indexing), Some(index)) = (indexing, &server.index) {
        indexing.abort();
        index.release().await;
    }
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
