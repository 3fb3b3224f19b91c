//! The `moim` binary: one executable that serves the whole product.
//!
//! # Layout
//! - [`config`]: flags and `MOIM_*` variables (clap), with defaults that work out of the box.
//! - [`telemetry`]: tracing subscriber (human or JSON logs).
//! - `serve`: migrate, build the app, listen, shut down gracefully on Ctrl-C / SIGTERM.
//! - `migrate`: apply migrations and exit.
#![forbid(unsafe_code)]

mod config;
mod telemetry;

use anyhow::Context as _;
use clap::Parser as _;
use config::{Cli, Command};
use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(&cli.log_format, &cli.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => runtime.block_on(serve(&cli.common)),
        Command::Migrate => runtime.block_on(migrate(&cli.common)),
        Command::Roster(cmd) => roster::cli::run(cmd),
    }
}

async fn open_db(c: &config::Common) -> anyhow::Result<moim_store::Db> {
    let url = c.database_url();
    let db = moim_store::connect(
        &url,
        &moim_store::PoolConfig {
            max_connections: c.db_max_connections,
        },
    )
    .await
    .with_context(|| format!("cannot open database {}", moim_store::redact_url(&url)))?;
    Ok(db)
}

async fn migrate(c: &config::Common) -> anyhow::Result<()> {
    let db = open_db(c).await?;
    let applied = moim_store::migrate(&db).await?;
    if applied.is_empty() {
        tracing::info!("database is up to date");
    } else {
        tracing::info!(?applied, "migrations applied");
    }
    db.close().await;
    Ok(())
}

async fn serve(c: &config::Common) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = open_db(c).await?;
    let applied = moim_store::migrate(&db).await?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    let state = moim_web::AppState::new(db.clone(), c.web_config()).await?;
    let app = moim_web::app(state);
    let listener = tokio::net::TcpListener::bind(&c.listen)
        .await
        .with_context(|| format!("cannot listen on {}", c.listen))?;
    let addr = listener.local_addr()?;
    let sweeper = tokio::spawn(housekeeping(db.clone()));
    tracing::info!(
        %addr,
        backend = db.backend(),
        ready_in_ms = started.elapsed().as_millis() as u64,
        "moim is serving on http://{addr}"
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    sweeper.abort();
    tracing::info!("draining finished; closing the database");
    db.close().await;
    Ok(())
}

/// Periodic clean-up until the durable job queue takes it over: deletes groups whose disband
/// grace period ended and expired sessions and codes. Idempotent, so several instances running it
/// at once do no harm.
async fn housekeeping(db: moim_store::Db) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        match moim_store::groups::purge_disbanded(&db, moim_core::time::now_millis()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(groups = n, "disbanded groups deleted"),
            Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
        }
        if let Err(e) = moim_store::accounts::purge_expired(&db).await {
            tracing::warn!(error = %e, "session clean-up failed");
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
