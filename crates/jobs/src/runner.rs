//! The runner: a poll loop that claims due jobs in batches and runs them concurrently.
//!
//! - **Claiming**: every `poll_interval` (and at once when a slot frees up after a full batch)
//!   the runner claims up to `min(batch_size, free slots)` due jobs with a lease of `lease`.
//!   Expired leases of dead workers are reclaimed by the same call.
//! - **Leases**: a heartbeat renews the lease of every job this worker runs every `lease / 3`,
//!   so a long handler keeps its job while a killed worker's jobs come back within one lease.
//! - **Outcome**: done; or retried at `now + backoff` (exponential from `backoff_base`, capped at
//!   `backoff_max`, with full-range jitter in its upper half so retries of a burst spread out);
//!   or `dead` after `max_attempts` or a permanent error. A panicking handler is a retryable
//!   failure, and so is one that runs longer than its timeout (`job_timeout`, or the kind's own
//!   from [`Registry::timeout`]): it is cancelled and retried, so a hung handler cannot hold a
//!   slot (and, through the heartbeat, its lease) for ever.
//! - **Metrics** (Prometheus through the `metrics` facade, on `/metrics`): `moim_jobs_claimed_total`,
//!   `moim_jobs_succeeded_total`, `moim_jobs_failed_total` (retried), `moim_jobs_dead_total`,
//!   `moim_jobs_timed_out_total` and the `moim_job_duration_seconds` histogram, all per `kind`.
//! - **Shutdown**: stop claiming, let running jobs finish until `shutdown_grace`, then abort
//!   the rest and release them (queued again, the interrupted attempt not counted).
//! - **Schedules**: every second the runner fires the due occurrences of every schedule in
//!   `job_schedules` (see [`fire_due_schedules`]).

use crate::cron::Cron;
use crate::{JobCtx, JobError, Registry};
use futures_util::FutureExt as _;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use moim_core::time::{Millis, now_millis};
use moim_store::Db;
use moim_store::jobs::{self as store, Job as JobRow};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Names this process in `locked_by`; unique per process so a claim is never confused with
    /// another worker's.
    pub worker_id: String,
    pub poll_interval: Duration,
    pub batch_size: i64,
    /// Jobs running at once in this process.
    pub concurrency: usize,
    pub lease: Duration,
    pub shutdown_grace: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// The longest one run may take before it is cancelled and counted as a retryable failure.
    pub job_timeout: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            worker_id: format!("worker-{}", uuid::Uuid::now_v7().simple()),
            poll_interval: Duration::from_millis(500),
            batch_size: 16,
            concurrency: 8,
            lease: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(3600),
            job_timeout: Duration::from_secs(300),
        }
    }
}

/// A recurring schedule this runner registers at start.
#[derive(Debug, Clone)]
struct ScheduleSpec {
    name: String,
    cron: Cron,
    time_zone: String,
    kind: String,
    payload: String,
}

pub struct Runner {
    db: Db,
    registry: Arc<Registry>,
    cfg: RunnerConfig,
    schedules: Vec<ScheduleSpec>,
}

/// The delay before retry number `attempt` (1 = after the first failure): `base * 2^(attempt-1)`
/// capped at `max`, then a random point in its upper half.
pub fn backoff(cfg: &RunnerConfig, attempt: i64) -> Duration {
    let exp = attempt.clamp(1, 32) as u32 - 1;
    let raw = cfg
        .backoff_base
        .saturating_mul(2u32.saturating_pow(exp))
        .min(cfg.backoff_max);
    let jitter: f64 = rand::random::<f64>() * 0.5 + 0.5;
    raw.mul_f64(jitter)
}

impl Runner {
    pub fn new(db: Db, registry: Registry, cfg: RunnerConfig) -> Self {
        Self {
            db,
            registry: Arc::new(registry),
            cfg,
            schedules: Vec::new(),
        }
    }

    pub fn config(&self) -> &RunnerConfig {
        &self.cfg
    }

    /// Adds a recurring schedule: `cron` (5 fields) in `time_zone` enqueues a `kind` job with
    /// `payload` (JSON) at each occurrence.
    pub fn schedule(
        mut self,
        name: &str,
        cron: &str,
        time_zone: &str,
        kind: &str,
        payload: &str,
    ) -> Result<Self, crate::cron::CronError> {
        let cron = Cron::parse(cron)?;
        if TimeZone::get(time_zone).is_err() {
            return Err(crate::cron::CronError {
                expr: cron.to_string(),
                reason: format!("unknown time zone {time_zone:?}"),
            });
        }
        self.schedules.push(ScheduleSpec {
            name: name.to_owned(),
            cron,
            time_zone: time_zone.to_owned(),
            kind: kind.to_owned(),
            payload: payload.to_owned(),
        });
        Ok(self)
    }

    /// Writes this runner's schedules to `job_schedules`, keeping a pending occurrence (so a
    /// missed one still fires).
    pub async fn register_schedules(&self) -> Result<(), moim_store::Error> {
        let now = Timestamp::now();
        for s in &self.schedules {
            let tz = TimeZone::get(&s.time_zone).unwrap_or(TimeZone::UTC);
            let next = s
                .cron
                .next_after(now, &tz)
                .map_or(i64::MAX, |t| t.as_millisecond());
            store::upsert_schedule(
                &self.db,
                &s.name,
                s.cron.as_str(),
                &s.time_zone,
                &s.kind,
                &s.payload,
                next,
            )
            .await?;
        }
        Ok(())
    }

    /// Runs until `shutdown` resolves, then drains gracefully (see the module doc).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), moim_store::Error> {
        self.register_schedules().await?;
        let cfg = self.cfg.clone();
        tracing::info!(
            worker = %cfg.worker_id,
            kinds = ?self.registry.kinds(),
            concurrency = cfg.concurrency,
            "job runner started"
        );
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let heartbeat = tokio::spawn(heartbeat(self.db.clone(), cfg.clone(), stop_rx));
        tokio::pin!(shutdown);
        let mut tasks: JoinSet<()> = JoinSet::new();
        let mut last_schedules: Option<Instant> = None;
        loop {
            while tasks.try_join_next().is_some() {}
            if last_schedules.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                last_schedules = Some(Instant::now());
                if let Err(e) = fire_due_schedules(&self.db, now_millis()).await {
                    tracing::warn!(error = %e, "firing schedules failed");
                }
            }
            let free = cfg.concurrency.saturating_sub(tasks.len()) as i64;
            let mut full_batch = false;
            if free > 0 {
                let want = free.min(cfg.batch_size);
                let lease_until = now_millis() + cfg.lease.as_millis() as Millis;
                match store::claim(&self.db, &cfg.worker_id, want, lease_until).await {
                    Ok(jobs) => {
                        full_batch = jobs.len() as i64 == want;
                        for job in jobs {
                            tasks.spawn(execute(
                                self.db.clone(),
                                self.registry.clone(),
                                cfg.clone(),
                                job,
                            ));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming jobs failed"),
                }
            }
            let has_free = tasks.len() < cfg.concurrency;
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                _ = tasks.join_next(), if !tasks.is_empty() && !has_free => {}
                () = tokio::time::sleep(cfg.poll_interval), if !(full_batch && has_free) => {}
                () = std::future::ready(()), if full_batch && has_free => {}
            }
        }
        tracing::info!(worker = %cfg.worker_id, running = tasks.len(), "job runner stopping");
        let drained = tokio::time::timeout(cfg.shutdown_grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        let _ = stop_tx.send(true);
        let _ = heartbeat.await;
        match store::release(&self.db, &cfg.worker_id).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(released = n, "unfinished jobs released"),
            Err(e) => tracing::warn!(error = %e, "releasing jobs failed; their lease will expire"),
        }
        tracing::info!(worker = %cfg.worker_id, "job runner stopped");
        Ok(())
    }

    /// Test harness: runs every due job (and the ones they enqueue) inline until none is due.
    /// Returns how many runs happened.
    pub async fn drain(&self) -> Result<usize, moim_store::Error> {
        fire_due_schedules(&self.db, now_millis()).await?;
        let mut runs = 0;
        loop {
            let lease_until = now_millis() + self.cfg.lease.as_millis() as Millis;
            let jobs = store::claim(
                &self.db,
                &self.cfg.worker_id,
                self.cfg.batch_size,
                lease_until,
            )
            .await?;
            if jobs.is_empty() {
                return Ok(runs);
            }
            for job in jobs {
                runs += 1;
                execute(
                    self.db.clone(),
                    self.registry.clone(),
                    self.cfg.clone(),
                    job,
                )
                .await;
            }
        }
    }
}

async fn heartbeat(db: Db, cfg: RunnerConfig, mut stop: tokio::sync::watch::Receiver<bool>) {
    let every = (cfg.lease / 3).max(Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(every) => {}
        }
        let until = now_millis() + cfg.lease.as_millis() as Millis;
        if let Err(e) = store::renew_leases(&db, &cfg.worker_id, until).await {
            tracing::warn!(error = %e, "renewing job leases failed");
        }
    }
}

/// Runs one claimed job and records the outcome.
async fn execute(db: Db, registry: Arc<Registry>, cfg: RunnerConfig, job: JobRow) {
    let started = Instant::now();
    let kind = job.kind.clone();
    metrics::counter!("moim_jobs_claimed_total", "kind" => kind.clone()).increment(1);
    let limit = registry.timeout_of(&job.kind).unwrap_or(cfg.job_timeout);
    let result = match registry.get(&job.kind) {
        // Another worker (a newer version) may know the kind: retry rather than bury at once.
        None => Err(JobError::retry(format!(
            "no handler for job kind {:?}",
            job.kind
        ))),
        Some(h) => {
            let ctx = JobCtx {
                db: db.clone(),
                job: job.clone(),
            };
            let run = AssertUnwindSafe(h.run(ctx)).catch_unwind();
            match tokio::time::timeout(limit, run).await {
                Err(_) => {
                    metrics::counter!("moim_jobs_timed_out_total", "kind" => kind.clone())
                        .increment(1);
                    Err(JobError::retry(format!(
                        "timed out after {limit:?}; cancelled"
                    )))
                }
                Ok(r) => r.unwrap_or_else(|p| {
                    let msg = p
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| p.downcast_ref::<&str>().copied())
                        .unwrap_or("panic");
                    Err(JobError::retry(format!("handler panicked: {msg}")))
                }),
            }
        }
    };
    let elapsed = started.elapsed();
    let ms = elapsed.as_millis() as u64;
    metrics::histogram!("moim_job_duration_seconds", "kind" => kind.clone())
        .record(elapsed.as_secs_f64());
    if result.is_ok() {
        metrics::counter!("moim_jobs_succeeded_total", "kind" => kind.clone()).increment(1);
    }
    match result {
        Ok(()) => match store::complete(&db, &job).await {
            Ok(true) => tracing::debug!(id = %job.id, kind = %job.kind, ms, "job done"),
            // The handler may have completed it itself (in its own transaction), or the claim
            // was lost; either way there is nothing left to record.
            Ok(false) => tracing::debug!(id = %job.id, kind = %job.kind, "job already recorded"),
            Err(e) => tracing::warn!(id = %job.id, error = %e, "recording a done job failed"),
        },
        Err(err) => {
            let retry_at = (!err.permanent)
                .then(|| now_millis() + backoff(&cfg, job.attempts).as_millis() as Millis);
            match store::fail(&db, &job, &err.message, retry_at).await {
                Ok(Some(status)) if status == "dead" => {
                    metrics::counter!("moim_jobs_dead_total", "kind" => kind).increment(1);
                    tracing::warn!(
                        id = %job.id, kind = %job.kind, attempts = job.attempts, error = %err,
                        "job failed for the last time; moved to the dead letter"
                    );
                }
                Ok(Some(_)) => {
                    metrics::counter!("moim_jobs_failed_total", "kind" => kind).increment(1);
                    tracing::info!(
                        id = %job.id, kind = %job.kind, attempt = job.attempts, error = %err,
                        "job failed; will retry"
                    );
                }
                Ok(None) => tracing::debug!(id = %job.id, "failed job's claim was lost"),
                Err(e) => tracing::warn!(id = %job.id, error = %e, "recording a failed job failed"),
            }
        }
    }
}

/// Enqueues the due occurrence of every schedule whose `next_run_at` has passed, exactly once
/// across any number of runners: the conditional move of `next_run_at` decides the winner, and
/// the job's unique key `schedule:{name}:{occurrence}` makes a replay harmless. Occurrences
/// missed while no runner was up collapse into one job (named by the earliest missed one), so
/// an hourly clean-up after a day of downtime runs once, not 24 times. Returns the number fired.
pub async fn fire_due_schedules(db: &Db, now: Millis) -> Result<usize, moim_store::Error> {
    let mut fired = 0;
    for s in store::due_schedules(db, now).await? {
        if let Some(zone) = s.group_zone.as_deref().filter(|z| *z != s.time_zone) {
            // The group moved to another zone and the update that should have moved this
            // occurrence did not (it failed, or raced the reminder's creation): the due
            // occurrence belongs to the old zone, so recompute instead of firing it.
            move_to_zone(db, &s, zone, now).await?;
            continue;
        }
        let (Ok(cron), Ok(tz)) = (Cron::parse(&s.cron), TimeZone::get(&s.time_zone)) else {
            tracing::warn!(schedule = %s.name, "schedule has a bad expression or zone; skipped");
            continue;
        };
        let next = next_millis(&cron, now, &tz);
        if store::fire_schedule(db, &s, s.next_run_at, next).await? {
            tracing::debug!(schedule = %s.name, at = s.next_run_at, "schedule fired");
            fired += 1;
        }
    }
    Ok(fired)
}

/// The next occurrence strictly after `now`, in milliseconds (`i64::MAX`: never).
fn next_millis(cron: &Cron, now: Millis, tz: &TimeZone) -> Millis {
    let from = Timestamp::from_millisecond(now).unwrap_or(Timestamp::UNIX_EPOCH);
    cron.next_after(from, tz)
        .map_or(i64::MAX, |t| t.as_millisecond())
}

/// Recomputes the pending occurrence of every schedule that follows `group`'s zone after that
/// zone changed: the next occurrence after `now` in the new zone (a "daily 20:00" moves to 20:00
/// there, earlier or later). Idempotent and safe to race with the runners ([`store::move_schedule`]
/// is conditional). Returns how many moved.
pub async fn follow_group_zone(
    db: &Db,
    group: uuid::Uuid,
    now: Millis,
) -> Result<usize, moim_store::Error> {
    let mut moved = 0;
    for s in store::schedules_off_group_zone(db, group).await? {
        if let Some(zone) = s.group_zone.clone() {
            moved += usize::from(move_to_zone(db, &s, &zone, now).await?);
        }
    }
    Ok(moved)
}

async fn move_to_zone(
    db: &Db,
    s: &store::Schedule,
    zone: &str,
    now: Millis,
) -> Result<bool, moim_store::Error> {
    let (Ok(cron), Ok(tz)) = (Cron::parse(&s.cron), TimeZone::get(zone)) else {
        tracing::warn!(schedule = %s.name, zone, "schedule has a bad expression or zone; skipped");
        return Ok(false);
    };
    let moved = store::move_schedule(db, s, zone, next_millis(&cron, now, &tz)).await?;
    if moved {
        tracing::info!(schedule = %s.name, from = %s.time_zone, to = zone, "schedule follows its group's new zone");
    }
    Ok(moved)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_a_cap() {
        let cfg = RunnerConfig {
            backoff_base: Duration::from_secs(10),
            backoff_max: Duration::from_secs(300),
            ..RunnerConfig::default()
        };
        for attempt in 1..=8 {
            let raw = (10u64 << (attempt - 1)).min(300);
            let seen: Vec<Duration> = (0..50).map(|_| backoff(&cfg, attempt)).collect();
            for d in &seen {
                assert!(
                    *d >= Duration::from_secs(raw) / 2 && *d <= Duration::from_secs(raw),
                    "attempt {attempt}: {d:?} not in [{}/2, {raw}]s",
                    raw
                );
            }
            assert!(
                seen.iter().any(|d| *d != seen[0]),
                "attempt {attempt}: no jitter"
            );
        }
    }
}
