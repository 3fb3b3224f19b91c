//! The jobs this binary knows and the runner it starts (in `moim serve`, or alone in
//! `moim worker`).
//!
//! - `housekeeping` (every minute, a schedule): deletes groups whose disband grace period ended,
//!   expired sessions, codes and refresh tokens, and finished jobs older than two weeks. It is
//!   idempotent, so a repeated run does no harm.
//! - `notify.reminder`, `notify.retention` (hourly, `MOIM_NOTIFICATIONS_RETAIN_DAYS`): see
//!   `moim_web::flows::notify`.
//! - `media.cleanup`: removes uploads nothing refers to any more (a cancelled meetup's photos);
//!   see `moim_web::media`.
//! - `bench.noop`: does nothing (the queue benchmark's no-op job).
//! - `test.ledger` (only with the hidden `MOIM_JOBS_TEST_LEDGER=true`): sleeps `sleep_ms`, then
//!   completes the job and writes a ledger row in one transaction — the crash test counts those
//!   rows to prove every job completed exactly once.

use moim_core::time::{DAY, now_millis};
use moim_jobs::{JobCtx, JobError, Registry, Runner};
use moim_store::Db;

pub const HOUSEKEEPING: &str = "housekeeping";
pub const TEST_LEDGER: &str = "test.ledger";
/// Does nothing: the job-queue benchmark (`bench/notify`) measures the queue's own cost with it.
pub const NOOP: &str = "bench.noop";

pub fn registry(state: &moim_web::AppState, test_ledger: bool) -> Registry {
    let mut r = Registry::new();
    r.register(HOUSEKEEPING, housekeeping);
    r.register(NOOP, |_ctx: JobCtx| async { Ok::<(), JobError>(()) });
    moim_web::flows::notify::register(&mut r, state.clone());
    moim_web::media::register(&mut r, state.clone());
    if test_ledger {
        r.register(TEST_LEDGER, test_ledger_job);
    }
    r
}

/// The runner with this binary's handlers and schedules.
pub async fn runner(
    db: &Db,
    c: &crate::config::Common,
    state: &moim_web::AppState,
) -> anyhow::Result<Runner> {
    if c.jobs_test_ledger {
        moim_store::jobs::ledger::ledger_create(db).await?;
    }
    let runner = Runner::new(
        db.clone(),
        registry(state, c.jobs_test_ledger),
        c.runner_config(),
    )
    .schedule(HOUSEKEEPING, "* * * * *", "UTC", HOUSEKEEPING, "{}")?
    .schedule(
        moim_web::flows::notify::RETENTION_JOB,
        "17 * * * *",
        "UTC",
        moim_web::flows::notify::RETENTION_JOB,
        &moim_web::flows::notify::retention_payload(c.notifications_retain_days),
    )?;
    Ok(runner)
}

async fn housekeeping(ctx: JobCtx) -> Result<(), JobError> {
    let now = now_millis();
    let groups = moim_store::groups::purge_disbanded(&ctx.db, now).await?;
    if groups > 0 {
        tracing::info!(groups, "disbanded groups deleted");
    }
    moim_store::accounts::purge_expired(&ctx.db).await?;
    moim_store::jobs::purge_finished(&ctx.db, now - 14 * DAY).await?;
    Ok(())
}

#[derive(serde::Deserialize)]
struct LedgerPayload {
    #[serde(default)]
    sleep_ms: u64,
}

async fn test_ledger_job(ctx: JobCtx) -> Result<(), JobError> {
    let p: LedgerPayload = ctx.payload()?;
    tokio::time::sleep(std::time::Duration::from_millis(p.sleep_ms)).await;
    // `false` means our claim was lost to another worker: it will record the job, not us.
    moim_store::jobs::ledger::complete_recorded(&ctx.db, &ctx.job).await?;
    Ok(())
}
