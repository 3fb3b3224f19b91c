//! The durable job queue of moim and its runner.
//!
//! Work that must happen later or outside a request (reminders, e-mail, clean-up) is a row in the
//! `jobs` table (see `moim_store::jobs`), so it survives restarts and is shared by every process
//! on the database. A [`Runner`] polls for due jobs, claims a batch under a lease, runs each with
//! the [`Job`] handler registered for its `kind`, and records the outcome: done, retried later
//! with exponential backoff and jitter, or moved to the dead letter (`dead`) after its last
//! attempt. Recurring work is a [`cron`] schedule whose occurrences become ordinary jobs.
//!
//! # Delivery: at least once
//! A worker can die between finishing a handler's effects and recording the job as done; the
//! lease then runs out and another worker runs the job again. **Handlers must be idempotent**:
//! key their effects on [`JobCtx::id`] (or on the job's unique key), e.g. insert a "sent" row with
//! the job id under a unique index and skip the effect when it is already there. A store function
//! may also do its effect and the conditional completion in one transaction, as
//! `moim_store::jobs::ledger::complete_recorded` does for the crash test. A run whose claim was
//! lost (its lease expired and another worker took the job) can no longer complete, fail or
//! renew the job: every such write is conditional on `(id, locked_by, attempts)`.
//!
//! # Layout
//! - [`Job`], [`JobCtx`], [`JobError`], [`Registry`]: handlers keyed by kind.
//! - [`runner`]: [`Runner`], its [`RunnerConfig`], graceful shutdown, backoff, schedules.
//! - [`cron`]: five-field cron expressions evaluated in a time zone, DST-correct.
#![forbid(unsafe_code)]

pub mod cron;
pub mod runner;

use moim_store::Db;
use moim_store::jobs::Job as JobRow;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use uuid::Uuid;

pub use cron::Cron;
pub use moim_store::jobs::NewJob;
pub use runner::{Runner, RunnerConfig, fire_due_schedules, follow_group_zone};

/// What a handler returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a run failed. A retryable failure is tried again after a backoff until the job's
/// attempts are used up; a permanent one goes straight to the dead letter.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct JobError {
    pub message: String,
    pub permanent: bool,
}

impl JobError {
    pub fn retry(e: impl std::fmt::Display) -> Self {
        Self {
            message: e.to_string(),
            permanent: false,
        }
    }
    pub fn permanent(e: impl std::fmt::Display) -> Self {
        Self {
            message: e.to_string(),
            permanent: true,
        }
    }
}

impl From<moim_store::Error> for JobError {
    fn from(e: moim_store::Error) -> Self {
        Self::retry(e)
    }
}

/// A bad payload will not get better by retrying.
impl From<serde_json::Error> for JobError {
    fn from(e: serde_json::Error) -> Self {
        Self::permanent(format!("bad payload: {e}"))
    }
}

/// What a handler gets: the database and the claimed job.
#[derive(Clone, Debug)]
pub struct JobCtx {
    pub db: Db,
    pub job: JobRow,
}

impl JobCtx {
    /// The job's id: the key to make effects idempotent on (a job may run more than once).
    pub fn id(&self) -> Uuid {
        self.job.id
    }
    /// 1 on the first run, 2 on the first retry, ...
    pub fn attempt(&self) -> i64 {
        self.job.attempts
    }
    /// The payload, parsed; a payload that does not parse fails the job permanently.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        Ok(serde_json::from_str(&self.job.payload)?)
    }
}

/// A job handler. Implemented for any `Fn(JobCtx) -> impl Future<Output = Result<(), JobError>>`.
pub trait Job: Send + Sync + 'static {
    fn run(&self, ctx: JobCtx) -> BoxFuture<'static, Result<(), JobError>>;
}

impl<F, Fut> Job for F
where
    F: Fn(JobCtx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    fn run(&self, ctx: JobCtx) -> BoxFuture<'static, Result<(), JobError>> {
        Box::pin(self(ctx))
    }
}

/// Handlers by job kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Arc<dyn Job>>,
    /// Per-kind run time limits overriding [`RunnerConfig::job_timeout`].
    timeouts: HashMap<&'static str, std::time::Duration>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }
    /// Registers the handler of `kind`; a second registration of a kind replaces the first.
    pub fn register(&mut self, kind: &'static str, handler: impl Job) -> &mut Self {
        self.handlers.insert(kind, Arc::new(handler));
        self
    }
    /// Limits how long one run of `kind` may take (instead of the runner's `job_timeout`).
    pub fn timeout(&mut self, kind: &'static str, limit: std::time::Duration) -> &mut Self {
        self.timeouts.insert(kind, limit);
        self
    }
    /// The run time limit of `kind`, if it has its own.
    pub fn timeout_of(&self, kind: &str) -> Option<std::time::Duration> {
        self.timeouts.get(kind).copied()
    }
    pub fn get(&self, kind: &str) -> Option<Arc<dyn Job>> {
        self.handlers.get(kind).cloned()
    }
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.handlers.keys().copied().collect();
        v.sort_unstable();
        v
    }
}

/// Enqueues a job with a JSON payload, due now. Returns its id, or `None` when `unique_key` is
/// already taken.
pub async fn enqueue(
    db: &Db,
    kind: &str,
    payload: &impl serde::Serialize,
    unique_key: Option<&str>,
) -> Result<Option<Uuid>, moim_store::Error> {
    let payload = serde_json::to_string(payload).unwrap_or_else(|_| "null".into());
    let mut job = NewJob::new(kind, &payload);
    job.unique_key = unique_key;
    moim_store::jobs::enqueue(db, &job).await
}
