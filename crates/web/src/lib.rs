//! The HTTP face of moim: the JSON API, the server-rendered pages, operations endpoints and assets.
//!
//! [`app`] is the seam: it takes an [`AppState`] and returns the whole [`axum::Router`], so the
//! binary, the tests and the benchmarks all serve exactly the same application.
//!
//! # Layout
//! - [`config`]: what the web layer needs to know (base URL, mail, token lifetimes, limits).
//! - [`error`]: `ApiError` (RFC 9457 problem details) and `PageError` (friendly pages).
//! - [`auth`]: password hashing, sessions, access/refresh tokens and the extractors that say who
//!   is asking; [`csrf`]: the check on every unsafe cookie-authenticated request.
//! - [`flows`]: use cases shared by the API and the pages (sign-up, join, ...), calling
//!   `moim_core` rules and `moim_store` SQL.
//! - [`api`]: `/api/v1` handlers with OpenAPI annotations; [`pages`]: askama + htmx pages.
//! - [`i18n`]: Korean (default) and English strings; [`mail`]: outbox or SMTP.
//! - [`ops`]: health, readiness, Prometheus metrics and the request-metrics middleware.
//! - [`realtime`]: the notification hub (in-process, PostgreSQL or Redis) and SSE streams.
//! - [`assets`]: vendored and own static files embedded in the binary.
//! - [`cache`]: the in-process read cache of sessions, users, group views and unread counts.
#![forbid(unsafe_code)]

pub mod api;
pub mod assets;
pub mod auth;
pub mod cache;
pub mod config;
pub mod csrf;
pub mod error;
pub mod flows;
pub mod i18n;
pub mod mail;
pub mod media;
pub mod ops;
pub mod pages;
pub mod realtime;

use axum::Router;
use std::sync::Arc;

pub use config::WebConfig;

/// Everything a handler can reach. Cloned per request (an `Arc`), built once per app, so tests
/// can run any number of apps side by side in one process.
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

pub struct App {
    pub db: moim_store::Db,
    pub config: WebConfig,
    pub mailer: mail::Mailer,
    pub tokens: auth::TokenKeys,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    pub media: media::MediaStore,
    /// Wakes the real-time streams of users who got notifications, across instances.
    pub hub: Arc<realtime::Hub>,
    /// The Web Push signing key, generated on first start and stored in the database.
    pub vapid: Arc<flows::notify::push::Vapid>,
    /// Sessions, users, group views and unread counts read on every request; every unsafe
    /// request clears it (see [`cache`]).
    pub cache: Arc<cache::ReadCache>,
    /// The `Content-Security-Policy` value, built once from the configuration (every response
    /// carries it).
    pub csp: axum::http::HeaderValue,
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    /// Builds the state: loads (or generates and stores) the token signing key and opens the mailer.
    pub async fn new(db: moim_store::Db, config: WebConfig) -> anyhow::Result<Self> {
        let secret = match &config.jwt_secret {
            Some(s) => s.clone(),
            None => {
                moim_store::settings::get_or_init(
                    &db,
                    "jwt_secret",
                    moim_core::secrets::random_token,
                )
                .await?
            }
        };
        let tokens = auth::TokenKeys::new(secret.as_bytes());
        let mailer = mail::Mailer::new(&config)?;
        let metrics = ops::metrics_handle();
        let media = media::MediaStore::from_config(&config)?;
        let hub = Arc::new(realtime::Hub::start(&db, config.redis_url.as_deref()).await?);
        let vapid = moim_store::settings::get_or_init(
            &db,
            "vapid_pkcs8",
            flows::notify::push::Vapid::generate_pkcs8,
        )
        .await?;
        let vapid = Arc::new(
            flows::notify::push::Vapid::from_pkcs8(&vapid).map_err(|e| anyhow::anyhow!(e))?,
        );
        let cache = Arc::new(cache::ReadCache::new(config.read_cache.enabled_for(&db)));
        cache.follow_hub(hub.subscribe());
        let csp = axum::http::HeaderValue::from_str(&config.csp())
            .map_err(|e| anyhow::anyhow!("content security policy: {e}"))?;
        Ok(Self(Arc::new(App {
            db,
            config,
            mailer,
            tokens,
            metrics,
            media,
            hub,
            vapid,
            cache,
            csp,
        })))
    }
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let (api_router, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    Router::new()
        .merge(pages::router())
        .merge(api_router)
        .merge(api::docs_router(openapi))
        .merge(api::media::files_router())
        .merge(ops::router())
        .merge(assets::router())
        .fallback(error::fallback)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::security_headers,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .layer(axum::middleware::from_fn(ops::track_metrics))
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(ops::make_span))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
        .with_state(state)
}
