//! The whole HTTP surface, built from the options, one function per part: `/v1` by the
//! emulator or by the proxy, `/console/v1`, the console's files, and the defences around them.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{any, get, post};
use console_protocol::{API_BASE, ConsoleConfig, Mode, Operator, Role};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;

use crate::cli::{Options, check_exposure};
use crate::console::alerts::watch::{AlertWatch, WatchTiming};
use crate::console::audit::{self, AppNames, Auditor};
use crate::console::hub::EventHub;
use crate::console::index::sync::{IndexSync, SyncTiming};
use crate::console::memo::Memo;
use crate::console::rollouts::runner::{Runner, Timing};
use crate::console::shared::ConsoleApi;
use crate::pages;
use crate::security::operators::{Identities, LOCAL_OPERATOR};
use crate::security::{self, Policy};
use crate::store::{self, Store};
use crate::v1::client::Api;
use crate::v1::emulator::state::AppState;
use crate::v1::emulator::{self, MAX_BODY_BYTES};
use crate::v1::proxy::auth::Credentials;
use crate::v1::proxy::{self, Upstream};

/// What `router_with_env` builds: the HTTP surface, and the rollout runner, index sync, event
/// hub and alerts' watcher it needs driven.
pub struct Server {
    pub router: Router,
    pub runner: Arc<Runner>,
    /// The event log's tail, for `/console/v1/events` and the alerts' watcher.
    pub events: Arc<EventHub>,
    pub alerts: Arc<AlertWatch>,
    /// None with `--no-index`.
    pub index: Option<Arc<IndexSync>>,
    pub store: Store,
}

/// `/v1` as one mode serves it: its routes, the server's own client of it, and what the
/// console's config says of it.
struct V1 {
    routes: Router,
    client: Api,
    config: ConsoleConfig,
}

/// The whole HTTP surface, without a listener, so tests can call it directly.
pub async fn router(options: &Options) -> Result<Router, String> {
    router_with_env(options, |name| std::env::var(name).ok())
        .await
        .map(|server| server.router)
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
    let identities = Identities::new(
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
    let v1 = match &options.upstream {
        Some(url) => v1_by_proxy(options, url, env)?,
        None => v1_by_emulator(options)?,
    };
    // The apps' names audit entries give, read once each for the runner and the auditor.
    let app_names = AppNames::default();
    let runner = Arc::new(Runner::new(
        store.clone(),
        v1.client.clone(),
        app_names.clone(),
        Timing {
            poll_every: std::time::Duration::from_millis(options.rollout_poll_ms),
            ..Timing::default()
        },
    ));
    let index = (!options.no_index).then(|| {
        Arc::new(IndexSync::new(
            store.clone(),
            v1.client.clone(),
            runner.holder().to_owned(),
            SyncTiming {
                interval: Duration::from_secs(options.index_interval),
                concurrency: options.index_concurrency as usize,
                history: Duration::from_secs(options.index_history_days * 86_400),
                ..SyncTiming::default()
            },
        ))
    });
    let events = EventHub::new(
        store.clone(),
        options.events_buffer as usize,
        Duration::from_secs(options.events_kept_minutes * 60),
    );
    let alerts = Arc::new(AlertWatch::new(
        store.clone(),
        Arc::clone(&events),
        runner.holder().to_owned(),
        WatchTiming {
            interval: Duration::from_secs(options.alert_interval),
            ..WatchTiming::default()
        },
        options.allow_private_webhooks,
    ));
    // Every write is recorded, inside the guard (which knows who) and the compression.
    let auditor = Arc::new(Auditor {
        store: store.clone(),
        api: v1.client.clone(),
        apps: app_names,
    });
    let audited = axum::middleware::from_fn_with_state(auditor, audit::record);
    let console = crate::console::routes(Arc::new(ConsoleApi {
        store: store.clone(),
        api: v1.client,
        index: !options.no_index,
        counts: Memo::default(),
        totals: Memo::default(),
        events: Arc::clone(&events),
        allow_private_webhooks: options.allow_private_webhooks,
    }))
    .layer(audited.clone());
    // API answers go out compressed as the browser accepts (a page of 1,000 devices is
    // 850 KB of JSON). Made per request, so fast before small: zstd (or gzip) at a low level
    // shrinks that page about tenfold in milliseconds; brotli takes several times as long
    // for little gain, and its default level a quarter of a second.
    let api = v1.routes.layer(audited).layer(
        CompressionLayer::new()
            .no_br()
            .quality(CompressionLevel::Fastest),
    );
    let page = index_html
        .as_deref()
        .filter(|_| !gated)
        .and_then(|html| pages::with_config(html, &local_config(&v1.config)));
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/config.json", config_json(v1.config))
        .merge(api)
        .merge(console)
        .merge(pages::routes(&options.dist, page))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
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
        events,
        alerts,
        index,
        store,
    })
}

/// `/v1` answered by the built-in emulator, with its test hooks beside it.
fn v1_by_emulator(options: &Options) -> Result<V1, String> {
    let state = Arc::new(AppState::open(options.emulator()?)?);
    tracing::info!(
        devices = options.devices,
        seed = options.seed,
        auth = options.auth.as_ref().map(|_| options.auth_mode.name()),
        "emulator mode"
    );
    Ok(V1 {
        client: Api::Emulator(Arc::clone(&state)),
        routes: Router::new()
            .route("/v1", any(emulator::handle))
            // Uploads are streamed, not taken whole as every other request is.
            .route(
                "/v1/Apps",
                post(emulator::upload).fallback(emulator::handle),
            )
            .route("/v1/{*rest}", any(emulator::handle))
            .route("/emulator/v1/writes", get(emulator::writes))
            .route("/oauth2/token", post(emulator::token))
            .with_state(state),
        config: ConsoleConfig {
            mode: Mode::Emulator,
            api_base: API_BASE.to_owned(),
            account_sid: None,
            operator: None,
            index: !options.no_index,
        },
    })
}

/// `/v1` forwarded to the upstream at `url`, with credentials from the environment.
fn v1_by_proxy(
    options: &Options,
    url: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<V1, String> {
    let credentials = Credentials::from_env(
        options.upstream_auth,
        options.upstream_token_url.as_deref(),
        env,
    )?;
    let account_sid = credentials.account_sid.clone();
    let upstream = Upstream::new(
        url,
        options.upload_upstream.as_deref(),
        options.upload_policy()?,
        credentials,
        std::time::Duration::from_millis(options.upstream_timeout_ms),
    )?;
    tracing::info!(
        upstream = upstream.origin(),
        auth = upstream.credentials().scheme_name(),
        "proxy mode"
    );
    let upstream = Arc::new(upstream);
    Ok(V1 {
        client: Api::Proxy(Arc::clone(&upstream)),
        routes: Router::new()
            .route("/v1", any(proxy::forward))
            // Uploads are streamed, not taken whole as every other request is.
            .route("/v1/Apps", post(proxy::upload).fallback(proxy::forward))
            .route("/v1/{*rest}", any(proxy::forward))
            .with_state(upstream),
        config: ConsoleConfig {
            mode: Mode::Proxy,
            api_base: API_BASE.to_owned(),
            account_sid,
            operator: None,
            index: !options.no_index,
        },
    })
}

/// The config written into the page where no gate stands: everyone is the local admin.
fn local_config(config: &ConsoleConfig) -> ConsoleConfig {
    ConsoleConfig {
        operator: Some(Operator {
            name: LOCAL_OPERATOR.to_owned(),
            role: Role::Admin,
        }),
        ..config.clone()
    }
}

/// `GET /config.json`: the config, with who is asking as the guard identified them.
fn config_json(config: ConsoleConfig) -> axum::routing::MethodRouter {
    get(
        move |operator: Option<axum::Extension<Operator>>| async move {
            axum::Json(ConsoleConfig {
                operator: operator.map(|axum::Extension(op)| op),
                ..config
            })
        },
    )
}
