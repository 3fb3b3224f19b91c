//! The `moim` binary: one executable that serves the whole product.
//!
//! # Layout
//! - [`config`]: flags and `MOIM_*` variables (clap), with defaults that work out of the box.
//! - [`telemetry`]: tracing subscriber (human or JSON logs).
//! - [`jobs`]: the job handlers and schedules of this binary (housekeeping, ...).
//! - `serve`: migrate, build the app, run the job runner in-process (unless
//!   `MOIM_JOBS_IN_PROCESS=false`), listen, shut down gracefully on Ctrl-C / SIGTERM.
//! - `worker`: migrate and run only the job runner; any number may share a database.
//! - `migrate`: apply migrations and exit.
//! - `demo seed`: load the demo roster groups (ward and office).
#![forbid(unsafe_code)]

mod config;
mod jobs;
mod telemetry;

use anyhow::Context as _;
use clap::Parser as _;
use config::{Cli, Command};
use std::time::Instant;

/// mimalloc instead of the system allocator: the request path allocates many small, short-lived
/// buffers, and mimalloc serves them with less CPU (docs/ARCHITECTURE.md, "Memory allocator").
/// Its arena is committed lazily (set at build time in `.cargo/config.toml`), which keeps an
/// idle server's resident memory near the system allocator's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(&cli.log_format, &cli.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => runtime.block_on(serve(&cli.common)),
        Command::Migrate => runtime.block_on(migrate(&cli.common)),
        Command::Worker => runtime.block_on(worker(&cli.common)),
        Command::Roster(cmd) => roster::cli::run(cmd),
        Command::Demo(config::DemoCommand::Seed { owner, month }) => {
            runtime.block_on(demo_seed(&cli.common, owner, month))
        }
    }
}

/// `moim demo seed`: migrate, find or create the owner, load the two demo groups.
async fn demo_seed(
    c: &config::Common,
    owner: Option<String>,
    month: Option<String>,
) -> anyhow::Result<()> {
    const DEMO_EMAIL: &str = "demo@moim.local";
    let db = open_db(c).await?;
    moim_store::migrate(&db).await?;
    let month = match month {
        Some(m) => format!("{}-01", m.trim())
            .parse::<jiff::civil::Date>()
            .map_err(|_| anyhow::anyhow!("--month must be YYYY-MM, got {m:?}"))?,
        None => {
            let today = moim_core::time::today_in(moim_core::accounts::DEFAULT_TIME_ZONE);
            today
                .first_of_month()
                .checked_add(jiff::Span::new().months(1))?
        }
    };
    let owner_id = match owner {
        Some(email) => {
            let email = moim_core::accounts::Email::parse(&email)
                .map_err(|_| anyhow::anyhow!("--owner must be an e-mail address"))?;
            moim_store::accounts::user_by_email(&db, email.as_str())
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account with the e-mail {}", email.as_str()))?
                .id
        }
        None => match moim_store::accounts::user_by_email(&db, DEMO_EMAIL).await? {
            Some(u) => u.id,
            None => {
                // "!" is not a password hash: nobody can log in to it with a password.
                let id = moim_store::accounts::create_user(
                    &db,
                    &moim_store::accounts::NewUser {
                        email: DEMO_EMAIL,
                        password_hash: "!",
                        nickname: "데모관리자",
                        nickname_key: "데모관리자",
                        locale: "ko",
                        time_zone: moim_core::accounts::DEFAULT_TIME_ZONE,
                    },
                )
                .await?;
                moim_store::accounts::mark_verified(&db, id).await?;
                id
            }
        },
    };
    let groups = moim_web::flows::rosters::seed_demo_groups(&db, owner_id, month)
        .await
        .map_err(|e| anyhow::anyhow!("demo seed failed: {}", e.code))?;
    for (id, name) in groups {
        println!("{id}\t{name}\t/groups/{id}/rosters/setup");
    }
    db.close().await;
    Ok(())
}

async fn open_db(c: &config::Common) -> anyhow::Result<moim_store::Db> {
    let url = c.database_url();
    let db = moim_store::connect(
        &url,
        &moim_store::PoolConfig {
            max_connections: c.pool_size(),
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
    let app = moim_web::app(state.clone());
    let listener = tokio::net::TcpListener::bind(&c.listen)
        .await
        .with_context(|| format!("cannot listen on {}", c.listen))?;
    let addr = listener.local_addr()?;
    // One shutdown signal for the HTTP server and the job runner.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let runner = if c.jobs_in_process {
        let runner = jobs::runner(&db, c, &state).await?;
        let mut rx = stop_rx.clone();
        Some(tokio::spawn(runner.run(async move {
            let _ = rx.wait_for(|s| *s).await;
        })))
    } else {
        None
    };
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
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    })
    .await?;
    if let Some(runner) = runner {
        match runner.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "job runner stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "job runner panicked"),
        }
    }
    drop(stop_rx);
    tracing::info!("draining finished; closing the database");
    db.close().await;
    Ok(())
}

/// `moim worker`: only the job runner, until Ctrl-C / SIGTERM; running jobs then get the grace
/// period to finish and the rest are released to other workers.
async fn worker(c: &config::Common) -> anyhow::Result<()> {
    let db = open_db(c).await?;
    let applied = moim_store::migrate(&db).await?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    // The job handlers need the same state as the app (mailer, real-time hub, ...).
    let state = moim_web::AppState::new(db.clone(), c.web_config()).await?;
    let runner = jobs::runner(&db, c, &state).await?;
    tracing::info!(
        backend = db.backend(),
        worker = %runner.config().worker_id,
        "moim worker is running jobs"
    );
    runner.run(shutdown_signal()).await?;
    db.close().await;
    Ok(())
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
