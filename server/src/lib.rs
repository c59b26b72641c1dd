//! `console-server`: the built console and the Microvisor API on one origin. `/v1` is answered
//! by the built-in emulator, or forwarded to the real API (proxy mode) with credentials that
//! stay on the server. Its own API (`/console/v1`: saved views, rollouts) keeps its state in
//! the console store, and a background runner drives rollouts with every browser closed.

mod api;
pub mod audit;
mod console_api;
mod emulator;
mod emulator_state;
mod faults;
mod http;
mod index;
pub mod operators;
mod proxy;
pub mod rollouts;
mod security;
pub mod store;
mod upstream_auth;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::{any, get};
use clap::Parser;
use console_protocol::{API_BASE, ConsoleConfig, Mode};
use microvisor_sim::{Auth, Emulator, Lifecycle, SimConfig};
use tokio::sync::Mutex;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

pub use emulator::unix_now_ms;

use crate::api::Api;
use crate::emulator::Backend;
use crate::emulator_state::StateFile;
use crate::faults::Faults;
use crate::proxy::{Credentials, Upstream};
use crate::security::Policy;
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
    /// Require credentials on the emulated API, as the real service does: `SID:TOKEN` for
    /// HTTP Basic; with --auth-mode bearer the token after the colon; with --auth-mode oauth2
    /// the client id and secret of the token endpoint `POST /oauth2/token`.
    #[arg(long, value_name = "ID:SECRET")]
    pub auth: Option<String>,
    /// How the emulated API asks for --auth: basic, bearer or oauth2.
    #[arg(long, value_enum, default_value_t = AuthScheme::Basic)]
    pub auth_mode: AuthScheme,
    /// With --auth-mode oauth2: how long (ms) an issued token is good for.
    #[arg(long, default_value_t = 3_600_000, value_parser = clap::value_parser!(i64).range(1000..))]
    pub token_ttl_ms: i64,
    /// Proxy mode: forward `/v1/*` to this API (whatever host serves the Microvisor API for
    /// your account) with the credentials --upstream-auth names, instead of the emulator.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// How the proxy authenticates upstream: basic (TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN, or
    /// TWILIO_API_KEY + TWILIO_API_SECRET), bearer (UPSTREAM_BEARER_TOKEN) or oauth2 (client
    /// credentials UPSTREAM_CLIENT_ID + UPSTREAM_CLIENT_SECRET at --upstream-token-url).
    #[arg(long, value_enum, default_value_t = AuthScheme::Basic)]
    pub upstream_auth: AuthScheme,
    /// With --upstream-auth oauth2: the token endpoint.
    #[arg(long, value_name = "URL")]
    pub upstream_token_url: Option<String>,
    /// Total time (ms) allowed for one upstream request.
    #[arg(long, default_value_t = 30_000)]
    pub upstream_timeout_ms: u64,
    /// Another host name this server may be addressed by (repeatable); the listen address and
    /// localhost names are always allowed.
    #[arg(long, value_name = "HOST")]
    pub allow_host: Vec<String>,
    /// A token every API and config request must carry; the console asks for it once per tab.
    /// Required, or --trust-proxy-auth, to listen beyond loopback.
    #[arg(long, env = "CONSOLE_ACCESS_TOKEN", hide_env_values = true)]
    pub access_token: Option<String>,
    /// Allow listening beyond loopback without --access-token, because an authenticating
    /// reverse proxy stands in front; the operator's name is then taken from --user-header.
    #[arg(long)]
    pub trust_proxy_auth: bool,
    /// With --trust-proxy-auth: the header the proxy sets to the signed-in user's name (its
    /// role comes from the operators file's `proxy_users`; a name not listed is a viewer).
    #[arg(long, default_value = "X-Forwarded-User")]
    pub user_header: String,
    /// The operators file: names, roles and argon2 hashes of their tokens (see `operators
    /// add`). Each operator signs in with their own token.
    #[arg(long, global = true, value_name = "FILE")]
    pub operators: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// An origin (e.g. https://example.github.io) whose pages may call this API from the
    /// browser (repeatable): for the console hosted statically elsewhere.
    #[arg(long, value_name = "ORIGIN")]
    pub cors_origin: Vec<String>,
    /// The console store: `sqlite:PATH` or `postgres://user:password@host:port/database`
    /// (several replicas share one PostgreSQL). Default: SQLite in the data directory.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "CONSOLE_DATABASE",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// Where the console keeps its own state when --database is not given; created on start.
    #[arg(long, global = true, default_value = "console-data")]
    pub data_dir: PathBuf,
    /// How often a rollout reads the devices it is waiting on (milliseconds). Lower notices
    /// success sooner; higher spares the API.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub rollout_poll_ms: u64,
}

impl Options {
    /// The defaults, as if no flag was given, but with the console store in memory: for tests
    /// and tools that run the server in-process.
    pub fn defaults() -> Options {
        Options {
            database: Some("sqlite::memory:".to_owned()),
            ..Options::parse_from(["console-server"])
        }
    }
}

pub struct AppState {
    pub backend: Mutex<Backend>,
    pub faults: Faults,
    /// Used in absolute URLs when a request carries no usable Host header.
    pub listen: SocketAddr,
}

/// Work other than serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Manage the operators file.
    #[command(subcommand)]
    Operators(OperatorsCommand),
    /// The audit log in the console store (--database or --data-dir).
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum AuditCommand {
    /// Checks the whole hash chain; names the first entry changed, removed or inserted.
    Verify,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum OperatorsCommand {
    /// Adds an operator with a new token, printed once; only its hash is written to the
    /// operators file (--operators, default ./operators.json).
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: console_protocol::Role,
    },
}

fn parse_role(text: &str) -> Result<console_protocol::Role, String> {
    console_protocol::Role::parse(text)
        .ok_or_else(|| format!("'{text}' is not a role: viewer, operator or admin"))
}

/// An HTTP authentication scheme, for the emulated API (--auth-mode) and upstream
/// (--upstream-auth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthScheme {
    Basic,
    Bearer,
    #[value(name = "oauth2")]
    OAuth2,
}

impl AuthScheme {
    pub fn name(self) -> &'static str {
        match self {
            AuthScheme::Basic => "basic",
            AuthScheme::Bearer => "bearer",
            AuthScheme::OAuth2 => "oauth2",
        }
    }
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
    let auth = match &options.auth {
        Some(pair) => Some(Auth::from_mode(
            options.auth_mode.name(),
            pair,
            options.token_ttl_ms,
        )?),
        None => None,
    };
    let Some(path) = &options.state else {
        let mut emulator = Emulator::new(&config, unix_now_ms());
        emulator.set_auth(auth);
        return Ok(Backend {
            emulator,
            store: None,
        });
    };
    let cannot = |err: rusqlite::Error| format!("state file {}: {err}", path.display());
    let mut store = StateFile::open(path).map_err(cannot)?;
    let records = store.load().map_err(cannot)?;
    let mut emulator = if records.is_empty() {
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
    emulator.set_auth(auth);
    Ok(Backend {
        emulator,
        store: Some(store),
    })
}

/// Refuses to listen beyond loopback without an access gate.
pub fn check_exposure(options: &Options) -> Result<(), String> {
    if options.listen.ip().is_loopback()
        || options.access_token.is_some()
        || options.operators.is_some()
        || options.trust_proxy_auth
    {
        return Ok(());
    }
    Err(format!(
        "refusing to listen on {} without an access gate: set --access-token (or CONSOLE_ACCESS_TOKEN), \
         or --operators, or --trust-proxy-auth when an authenticating reverse proxy stands in front",
        options.listen
    ))
}

/// The whole HTTP surface, without a listener, so tests can call it directly.
pub async fn router(options: &Options) -> Result<Router, String> {
    router_with_env(options, |name| std::env::var(name).ok())
        .await
        .map(|server| server.router)
}

/// What `router_with_env` builds: the HTTP surface, and the rollout runner it needs driven.
pub struct Server {
    pub router: Router,
    pub runner: Arc<rollouts::Runner>,
    pub store: Store,
}

/// The console store the options name, opened and migrated. A database that is down or out of
/// reach is a clear refusal to start.
pub async fn open_store(options: &Options) -> Result<Store, String> {
    let url = store::database_url(options.database.as_deref(), &options.data_dir);
    Store::open(&url).await.map_err(|err| {
        format!(
            "cannot open the console store ({}): {err}",
            store::redact_url(&url)
        )
    })
}

/// `router`, reading the environment through `env` (tests pass their own).
pub async fn router_with_env(
    options: &Options,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Server, String> {
    check_exposure(options)?;
    let store = open_store(options).await?;
    let index_html = std::fs::read_to_string(options.dist.join("index.html")).ok();
    let identities = operators::Identities::new(
        options.access_token.clone(),
        options.operators.as_ref(),
        options.trust_proxy_auth,
        &options.user_header,
    )?;
    let gated = identities.gated();
    let policy = Arc::new(Policy::new(
        options.listen,
        &options.allow_host,
        identities,
        index_html.as_deref(),
        &options.cors_origin,
    ));
    let (api, config, own) = match &options.upstream {
        Some(url) => {
            let credentials = Credentials::from_env(
                options.upstream_auth,
                options.upstream_token_url.as_deref(),
                env,
            )?;
            let config = ConsoleConfig {
                mode: Mode::Proxy,
                api_base: API_BASE.to_owned(),
                account_sid: credentials.account_sid.clone(),
                operator: None,
            };
            let upstream = Upstream::new(
                url,
                credentials,
                std::time::Duration::from_millis(options.upstream_timeout_ms),
            )?;
            tracing::info!(
                upstream = upstream.origin(),
                auth = upstream.credentials().scheme_name(),
                "proxy mode"
            );
            let upstream = Arc::new(upstream);
            let own = Api::Proxy(Arc::clone(&upstream));
            let api = Router::new()
                .route("/v1", any(proxy::forward))
                .route("/v1/{*rest}", any(proxy::forward))
                .with_state(upstream);
            (api, config, own)
        }
        None => {
            let state = Arc::new(AppState {
                backend: Mutex::new(open_backend(options)?),
                faults: Faults::new(
                    options.fault_rate,
                    options.latency_ms,
                    options.seed ^ unix_now_ms() as u64,
                ),
                listen: options.listen,
            });
            let own = Api::Emulator(Arc::clone(&state));
            let api = Router::new()
                .route("/v1", any(emulator::handle))
                .route("/v1/{*rest}", any(emulator::handle))
                .route("/emulator/v1/writes", get(emulator::writes))
                .route("/oauth2/token", axum::routing::post(emulator::token))
                .with_state(state);
            tracing::info!(
                devices = options.devices,
                seed = options.seed,
                auth = options.auth.as_ref().map(|_| options.auth_mode.name()),
                "emulator mode"
            );
            let config = ConsoleConfig {
                mode: Mode::Emulator,
                api_base: API_BASE.to_owned(),
                account_sid: None,
                operator: None,
            };
            (api, config, own)
        }
    };
    let runner = Arc::new(rollouts::Runner::new(
        store.clone(),
        own.clone(),
        rollouts::Timing {
            poll_every: std::time::Duration::from_millis(options.rollout_poll_ms),
            ..rollouts::Timing::default()
        },
    ));
    // Every write is recorded, inside the guard (which knows who) and the compression.
    let auditor = Arc::new(audit::Auditor {
        store: store.clone(),
        api: own.clone(),
    });
    let console_api = console_api::routes(Arc::new(console_api::ConsoleApi {
        store: store.clone(),
        api: own,
    }))
    .layer(axum::middleware::from_fn_with_state(
        Arc::clone(&auditor),
        audit::record,
    ));
    // API answers go out compressed as the browser accepts (a page of 1,000 devices is
    // 850 KB of JSON). Made per request, so fast before small: zstd (or gzip) at a low level
    // shrinks that page about tenfold in milliseconds; brotli takes several times as long
    // for little gain, and its default level a quarter of a second.
    let api = api
        .layer(axum::middleware::from_fn_with_state(auditor, audit::record))
        .layer(
            CompressionLayer::new()
                .no_br()
                .quality(CompressionLevel::Fastest),
        );
    // `.br`/`.gz` beside a file (written by `cargo xtask` builds) go to browsers that accept
    // them; without them the file is sent as is.
    let index_file = ServeFile::new(options.dist.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    // The page with its config written in, unless the config is behind the access token.
    let rendered = index_html
        .as_deref()
        .filter(|_| !gated)
        .and_then(|html| {
            index::with_config(
                html,
                &ConsoleConfig {
                    operator: Some(console_protocol::Operator {
                        name: operators::LOCAL_OPERATOR.to_owned(),
                        role: console_protocol::Role::Admin,
                    }),
                    ..config.clone()
                },
            )
        })
        .map(Arc::<str>::from);
    let pages = match rendered {
        Some(html) => {
            let page = get(move || {
                let html = Arc::clone(&html);
                async move { index::page(&html) }
            });
            Router::new()
                .route("/", page.clone())
                .route("/index.html", page.clone())
                .fallback_service(
                    ServeDir::new(&options.dist)
                        .precompressed_br()
                        .precompressed_gzip()
                        .fallback(page),
                )
                .layer(CompressionLayer::new())
        }
        None => Router::new().fallback_service(
            ServeDir::new(&options.dist)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(index_file),
        ),
    };
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/config.json",
            // With who is asking, as the guard identified them.
            get(
                move |operator: Option<axum::Extension<console_protocol::Operator>>| async move {
                    axum::Json(ConsoleConfig {
                        operator: operator.map(|axum::Extension(op)| op),
                        ..config
                    })
                },
            ),
        )
        .merge(api)
        .merge(console_api)
        .merge(pages)
        .layer(axum::extract::DefaultBodyLimit::max(
            emulator::MAX_BODY_BYTES,
        ))
        .layer(axum::middleware::from_fn_with_state(
            policy,
            security::guard,
        ))
        // Outside the guard: preflights are answered here, before any token is asked for.
        .layer(security::cors(&options.cors_origin)?)
        .layer(tower_http::trace::TraceLayer::new_for_http());
    Ok(Server {
        router,
        runner,
        store,
    })
}

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
    // The first line on stdout is the URL: scripts and tests read it.
    println!("console-server listening on http://{address}");
    // The peer's address, for the audit log.
    let service = server
        .router
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    driving.abort();
    server.runner.release().await;
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
