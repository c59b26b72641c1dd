use clap::Parser;
use console_server::{Options, serve};

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "console_server=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(err) = serve(Options::parse()).await {
        eprintln!("console-server: {err}");
        std::process::exit(1);
    }
}
