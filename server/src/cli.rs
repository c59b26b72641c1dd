//! The command line: every flag of `console-server` and its subcommands (operators, audit).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use microvisor_sim::{Auth, Lifecycle, SimConfig};

use crate::v1::emulator::state::Settings;
use crate::v1::scheme::AuthScheme;
use crate::v1::uploads::UploadPolicy;

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
    /// Largest app bundle an upload (`POST /v1/Apps`) may carry, in bytes: 1 MiB of user
    /// flash and room for the manifest and the archive's framing. Larger is 413.
    #[arg(long, default_value_t = DEFAULT_MAX_UPLOAD_BYTES, value_parser = clap::value_parser!(u64).range(1024..=(256 * 1024 * 1024)))]
    pub max_upload_bytes: u64,
    /// Proxy mode: where uploads go (the vendor's upload host was not its API host). Default:
    /// the --upstream.
    #[arg(long, value_name = "URL")]
    pub upload_upstream: Option<String>,
    /// Take only app bundles signed by this key (a PEM public key, or the private key whose
    /// public half it is): others are refused before anything is created or forwarded.
    #[arg(long, value_name = "PEM_FILE")]
    pub bundle_key: Option<PathBuf>,
    /// Keep no fleet index: the Fleet page then scans the fleet in the browser, as before.
    #[arg(long)]
    pub no_index: bool,
    /// Seconds between the starts of two passes of the index over the whole fleet (a pass
    /// that takes longer is followed by the next at once).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub index_interval: u64,
    /// Pages of the list the index reads ahead of the store (the list is a chain of links:
    /// 1 reads and writes in turn, 2 reads the next page while one is written).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=16))]
    pub index_concurrency: u64,
    /// Days the index keeps each device's timeline.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub index_history_days: u64,
    /// Seconds between evaluations of every alert rule when nothing else asks for one (each
    /// index pass and each rollout step does).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub alert_interval: u64,
    /// Let webhooks reach loopback and private addresses (a receiver on this machine or
    /// inside the network). Off: such a URL is refused when added and when sent to.
    #[arg(long)]
    pub allow_private_webhooks: bool,
    /// Minutes the event log keeps events for streams that reconnect (`Last-Event-ID`);
    /// a stream asking for older ones is told to reload.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=10_080))]
    pub events_kept_minutes: u64,
    /// Events that may wait for one slow stream before it is told to reload instead.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(16..=1_000_000))]
    pub events_buffer: u64,
}

/// 1 MiB of user flash, and as much again for the manifest and the archive's framing.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 2 * 1024 * 1024;

impl Options {
    /// The defaults, as if no flag was given, but with the console store in memory: for tests
    /// and tools that run the server in-process.
    pub fn defaults() -> Options {
        Options {
            database: Some("sqlite::memory:".to_owned()),
            ..Options::parse_from(["console-server"])
        }
    }

    /// How uploads are taken: the size cap, and the key bundles must be signed by.
    pub fn upload_policy(&self) -> Result<UploadPolicy, String> {
        let signed_by = match &self.bundle_key {
            None => None,
            Some(path) => {
                let pem = std::fs::read_to_string(path)
                    .map_err(|err| format!("--bundle-key {}: {err}", path.display()))?;
                Some(
                    app_bundle::keys::verifying_key_from_pem(&pem)
                        .map_err(|err| format!("--bundle-key {}: {err}", path.display()))?,
                )
            }
        };
        Ok(UploadPolicy {
            max_bytes: self.max_upload_bytes,
            signed_by,
        })
    }

    /// What the emulator flags ask for; a bad `--auth` is refused here.
    pub fn emulator(&self) -> Result<Settings, String> {
        let auth = match &self.auth {
            Some(pair) => Some(Auth::from_mode(
                self.auth_mode.name(),
                pair,
                self.token_ttl_ms,
            )?),
            None => None,
        };
        Ok(Settings {
            config: SimConfig {
                devices: self.devices,
                apps: self.apps,
                seed: self.seed,
                lifecycle: Lifecycle {
                    update_delay_ms: self.update_delay_ms.max(0),
                    update_failure_rate: self.update_failure_rate,
                },
            },
            auth,
            state: self.state.clone(),
            fault_rate: self.fault_rate,
            latency_ms: self.latency_ms,
            listen: self.listen,
            uploads: self.upload_policy()?,
        })
    }
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
    /// App bundles: make one from a flash image, or say what one holds.
    #[command(subcommand)]
    Bundle(BundleCommand),
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum BundleCommand {
    /// Writes a bundle of IMAGE (a raw flash image of at most 1 MiB, as objcopy -O binary
    /// writes it) to OUT, as the vendor's bundler does; signed with --signing-key.
    Build {
        image: PathBuf,
        #[arg(short, long)]
        out: PathBuf,
        /// A P-256 private key (PEM, PKCS#8 or SEC1) to sign the manifest with.
        #[arg(long, value_name = "PEM_FILE")]
        signing_key: Option<PathBuf>,
        /// Let the app be debugged remotely.
        #[arg(long)]
        debuggable: bool,
        /// The oldest Microvisor kernel the app runs on (0: any).
        #[arg(long, default_value_t = 0)]
        min_kernel: u32,
    },
    /// Reads and checks a bundle and says what its manifest says.
    Inspect { bundle: PathBuf },
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

fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
        _ => Err(format!("'{text}' is not a fraction from 0 to 1")),
    }
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
