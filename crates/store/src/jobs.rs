//! The durable job queue: enqueue, claim with a lease, complete, retry or bury, cancel and move by
//! unique key, and the recurring schedules that feed it.
//!
//! A claim is identified by `(id, locked_by, attempts)`: `attempts` grows by one on every claim,
//! so a worker whose lease ran out (and whose job another worker claimed since) can no longer
//! complete, fail or renew it; its late writes match no row. Every state change is one
//! conditional `UPDATE`, so two workers never both win a job.
//!
//! Claiming takes due queued jobs oldest first: PostgreSQL locks them with
//! `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint batches without waiting; SQLite
//! serialises writers anyway and runs the same statement inside `BEGIN IMMEDIATE`.

use crate::groups::Cursor;
use crate::{Db, Result, Tx, WritePool as _, dispatch, in_tx};
use moim_core::time::{Millis, now_millis};
use uuid::Uuid;

/// States of a job. `done`, `dead` and `cancelled` are final until an operator retries a dead
/// job.
pub const STATUSES: [&str; 5] = ["queued", "running", "done", "dead", "cancelled"];

#[derive(Debug, Clone, sqlx::FromRow, PartialEq, Eq)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    /// JSON text, handed to the handler as is.
    pub payload: String,
    pub unique_key: Option<String>,
    pub status: String,
    pub run_at: i64,
    /// Claims so far, including the current one while `running`.
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub locked_by: Option<String>,
    pub locked_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

macro_rules! job_columns {
    () => {
        "id, kind, payload, unique_key, status, run_at, attempts, max_attempts, last_error, \
         locked_by, locked_until, created_at, updated_at, finished_at"
    };
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    /// JSON text.
    pub payload: &'a str,
    /// At most one job ever carries a given key (done and cancelled ones included), so enqueuing
    /// the same reminder twice is a no-op. Keys name their object first (`meetup:{id}:...`) so
    /// that [`cancel_prefix`] can cancel everything about that object.
    pub unique_key: Option<&'a str>,
    pub run_at: Millis,
    pub max_attempts: i64,
}

impl<'a> NewJob<'a> {
    /// A job due now with the default of 5 attempts.
    pub fn new(kind: &'a str, payload: &'a str) -> Self {
        Self {
            kind,
            payload,
            unique_key: None,
            run_at: now_millis(),
            max_attempts: 5,
        }
    }
    pub fn at(mut self, run_at: Millis) -> Self {
        self.run_at = run_at;
        self
    }
    pub fn unique(mut self, key: &'a str) -> Self {
        self.unique_key = Some(key);
        self
    }
    pub fn max_attempts(mut self, n: i64) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

pub(crate) const INSERT_JOB: &str = "INSERT INTO jobs (id, kind, payload, unique_key, status, run_at, attempts, \
     max_attempts, created_at, updated_at) VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6, $7, $7) \
     ON CONFLICT (unique_key) DO NOTHING";

/// Enqueues a job. Returns its id, or `None` when a job with the same unique key already exists.
pub async fn enqueue(db: &Db, job: &NewJob<'_>) -> Result<Option<Uuid>> {
    let id = Uuid::now_v7();
    let n = dispatch!(db, pool => sqlx::query(INSERT_JOB)
        .bind(id).bind(job.kind).bind(job.payload).bind(job.unique_key).bind(job.run_at)
        .bind(job.max_attempts.max(1)).bind(now_millis())
        .execute(pool).await?.rows_affected());
    Ok((n == 1).then_some(id))
}

/// Enqueues a keyed job, or moves the existing job with that key to the new time and payload
/// (a moved meetup moves its reminder). Idempotent: a finished (`done`) job is armed again only
/// when the time changed, so repeating the same call never runs the job twice; a `cancelled`
/// or `dead` one is armed again (the caller asks for it anew). A `running` job is taken back
/// and queued with the new time: its run can no longer complete it (completion is conditional
/// on the claim), so a handler that records its effect in the completing transaction (the
/// reminder job does) delivers the new version only. `attempts` is never lowered, so a later
/// claim can never look like the interrupted one; the job gets a fresh set of attempts on top.
/// Returns the job's id when it is queued after the call, `None` when it was left as it was.
pub async fn schedule_keyed(db: &Db, job: &NewJob<'_>, key: &str) -> Result<Option<Uuid>> {
    let row: Option<(Uuid,)> = dispatch!(db, pool => sqlx::query_as(SCHEDULE_KEYED)
        .bind(Uuid::now_v7()).bind(job.kind).bind(job.payload).bind(key).bind(job.run_at)
        .bind(job.max_attempts.max(1)).bind(now_millis())
        .fetch_optional(pool).await?);
    Ok(row.map(|r| r.0))
}

/// [`schedule_keyed`] inside the caller's transaction.
pub async fn schedule_keyed_in(tx: &mut Tx, job: &NewJob<'_>, key: &str) -> Result<Option<Uuid>> {
    let row: Option<(Uuid,)> = in_tx!(tx, conn => sqlx::query_as(SCHEDULE_KEYED)
        .bind(Uuid::now_v7()).bind(job.kind).bind(job.payload).bind(key).bind(job.run_at)
        .bind(job.max_attempts.max(1)).bind(now_millis())
        .fetch_optional(&mut *conn).await?);
    Ok(row.map(|r| r.0))
}

/// What [`schedule_keyed`] does to an existing job with the key (one text for the single and
/// the bulk form).
macro_rules! schedule_keyed_conflict {
    () => {
        " ON CONFLICT (unique_key) DO UPDATE SET kind = excluded.kind, payload = excluded.payload, \
         run_at = excluded.run_at, \
         max_attempts = jobs.attempts + excluded.max_attempts, \
         status = 'queued', last_error = NULL, locked_by = NULL, locked_until = NULL, \
         finished_at = NULL, updated_at = excluded.updated_at \
         WHERE jobs.status IN ('queued', 'running', 'cancelled', 'dead') \
         OR (jobs.status = 'done' AND jobs.run_at <> excluded.run_at) \
         RETURNING id"
    };
}

const SCHEDULE_KEYED: &str = concat!(
    "INSERT INTO jobs (id, kind, payload, unique_key, status, run_at, attempts, \
     max_attempts, created_at, updated_at) VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6, $7, $7)",
    schedule_keyed_conflict!()
);

const SCHEDULE_KEYED_MANY_PG: &str = concat!(
    "INSERT INTO jobs (id, kind, payload, unique_key, status, run_at, attempts, \
     max_attempts, created_at, updated_at) \
     SELECT u.id, $2, u.payload, u.unique_key, 'queued', u.run_at, 0, $6, $7, $7 \
     FROM UNNEST($1::uuid[], $3::text[], $4::text[], $5::bigint[]) \
     AS u(id, payload, unique_key, run_at)",
    schedule_keyed_conflict!()
);

/// One keyed job for [`schedule_keyed_many_in`]: (unique key, payload, run at).
pub type Keyed = (String, String, Millis);

/// [`schedule_keyed_in`] for many jobs of one kind at once (10 000 reminders are scheduled in
/// a few statements, not 10 000 round trips): on PostgreSQL one `INSERT ... SELECT FROM UNNEST`
/// per 1 000 jobs; on SQLite (no round trips: the database is in the process) one statement
/// each. A key given twice keeps its last entry, as repeated single calls would. Returns how
/// many jobs are queued after the call (new or moved).
pub async fn schedule_keyed_many_in(
    tx: &mut Tx,
    kind: &str,
    jobs: Vec<Keyed>,
    max_attempts: i64,
) -> Result<u64> {
    // Last entry per key, in key order: one statement must not touch a row twice, and
    // concurrent bulk calls take their row locks in the same order.
    let jobs: std::collections::BTreeMap<String, (String, Millis)> =
        jobs.into_iter().map(|(k, p, at)| (k, (p, at))).collect();
    let now = now_millis();
    let max_attempts = max_attempts.max(1);
    let mut queued = 0;
    match &mut tx.inner {
        crate::TxInner::Sqlite(t) => {
            let conn: &mut sqlx::SqliteConnection = &mut *t;
            for (key, (payload, at)) in &jobs {
                let row: Option<(Uuid,)> = sqlx::query_as(SCHEDULE_KEYED)
                    .bind(Uuid::now_v7())
                    .bind(kind)
                    .bind(payload)
                    .bind(key)
                    .bind(at)
                    .bind(max_attempts)
                    .bind(now)
                    .fetch_optional(&mut *conn)
                    .await?;
                queued += u64::from(row.is_some());
            }
        }
        crate::TxInner::Postgres(t) => {
            let conn: &mut sqlx::PgConnection = &mut *t;
            let jobs: Vec<_> = jobs.into_iter().collect();
            for chunk in jobs.chunks(1000) {
                let rows: Vec<(Uuid,)> = sqlx::query_as(SCHEDULE_KEYED_MANY_PG)
                    .bind(chunk.iter().map(|_| Uuid::now_v7()).collect::<Vec<_>>())
                    .bind(kind)
                    .bind(
                        chunk
                            .iter()
                            .map(|(_, (p, _))| p.as_str())
                            .collect::<Vec<_>>(),
                    )
                    .bind(chunk.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|(_, (_, at))| *at).collect::<Vec<_>>())
                    .bind(max_attempts)
                    .bind(now)
                    .fetch_all(&mut *conn)
                    .await?;
                queued += rows.len() as u64;
            }
        }
    }
    Ok(queued)
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<Job>> {
    let sql = concat!("SELECT ", job_columns!(), " FROM jobs WHERE id = $1");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Job>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn get_by_key(db: &Db, key: &str) -> Result<Option<Job>> {
    let sql = concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE unique_key = $1"
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Job>(sql).bind(key).fetch_optional(pool).await?))
}

/// Puts jobs whose lease ran out (their worker was killed or lost the database) back in the
/// queue, or buries them when they have used every attempt. Returns how many were touched.
pub async fn reclaim_expired(db: &Db, now: Millis) -> Result<u64> {
    const SQL: &str = "UPDATE jobs SET \
         status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
         finished_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END, \
         last_error = 'lease expired: the worker stopped before finishing', \
         locked_by = NULL, locked_until = NULL, updated_at = $1 \
         WHERE status = 'running' AND locked_until < $1";
    Ok(dispatch!(db, pool => sqlx::query(SQL).bind(now).execute(pool).await?.rows_affected()))
}

/// Claims up to `limit` due jobs for `worker` until `lease_until`, oldest `run_at` first.
/// Expired leases are reclaimed first, so a dead worker's jobs come back on the next poll.
pub async fn claim(db: &Db, worker: &str, limit: i64, lease_until: Millis) -> Result<Vec<Job>> {
    let now = now_millis();
    let mut jobs: Vec<Job> = match db {
        Db::Postgres(pool) => {
            reclaim_expired(db, now).await?;
            // The picked ids are materialised: as a plain `IN (subquery)` PostgreSQL may run the
            // LIMITed subquery more than once and claim more than `limit` jobs.
            let sql = concat!(
                "WITH picked AS MATERIALIZED (SELECT id AS pick_id FROM jobs \
                 WHERE status = 'queued' AND run_at <= $3 ORDER BY run_at, id LIMIT CAST($4 AS BIGINT) \
                 FOR UPDATE SKIP LOCKED) \
                 UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, \
                 locked_until = $2, updated_at = $3 FROM picked \
                 WHERE jobs.id = picked.pick_id AND status = 'queued' RETURNING ",
                job_columns!()
            );
            sqlx::query_as(sql)
                .bind(worker)
                .bind(lease_until)
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
        Db::Sqlite(pool) => {
            // An idle poll must not take SQLite's single write lock (web requests wait on it),
            // so look first without it.
            let due: Option<(i64,)> = sqlx::query_as(
                "SELECT 1 FROM jobs WHERE (status = 'queued' AND run_at <= $1) \
                 OR (status = 'running' AND locked_until < $1) LIMIT 1",
            )
            .bind(now)
            .fetch_optional(pool)
            .await?;
            if due.is_none() {
                return Ok(Vec::new());
            }
            // One writer at a time: the write lock is taken up front, so the select and the
            // update see the same queue.
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE jobs SET \
                 status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
                 finished_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END, \
                 last_error = 'lease expired: the worker stopped before finishing', \
                 locked_by = NULL, locked_until = NULL, updated_at = $1 \
                 WHERE status = 'running' AND locked_until < $1",
            )
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let sql = concat!(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, \
                 locked_until = $2, updated_at = $3 \
                 WHERE status = 'queued' AND id IN (SELECT id FROM jobs \
                 WHERE status = 'queued' AND run_at <= $3 ORDER BY run_at, id LIMIT CAST($4 AS BIGINT)) RETURNING ",
                job_columns!()
            );
            let rows = sqlx::query_as(sql)
                .bind(worker)
                .bind(lease_until)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            rows
        }
    };
    jobs.sort_by_key(|j| (j.run_at, j.id));
    Ok(jobs)
}

/// Claims up to `limit` due jobs of one `kind` for `worker` until `lease_until` (a handler that
/// works in bulk takes more of its own kind). Nothing renews these leases unless `worker` is a
/// runner's id, so if the handler dies or hangs they return to the queue when the lease ends
/// (through any runner's [`claim`]).
pub async fn claim_kind(
    db: &Db,
    worker: &str,
    kind: &str,
    limit: i64,
    lease_until: Millis,
) -> Result<Vec<Job>> {
    let now = now_millis();
    let mut jobs: Vec<Job> = match db {
        Db::Postgres(pool) => {
            let sql = concat!(
                "WITH picked AS MATERIALIZED (SELECT id AS pick_id FROM jobs \
                 WHERE status = 'queued' AND run_at <= $3 AND kind = $5 ORDER BY run_at, id \
                 LIMIT CAST($4 AS BIGINT) FOR UPDATE SKIP LOCKED) \
                 UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, \
                 locked_until = $2, updated_at = $3 FROM picked \
                 WHERE jobs.id = picked.pick_id AND status = 'queued' RETURNING ",
                job_columns!()
            );
            sqlx::query_as(sql)
                .bind(worker)
                .bind(lease_until)
                .bind(now)
                .bind(limit)
                .bind(kind)
                .fetch_all(pool)
                .await?
        }
        Db::Sqlite(pool) => {
            let mut tx = pool.begin_write().await?;
            let sql = concat!(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, \
                 locked_until = $2, updated_at = $3 \
                 WHERE status = 'queued' AND id IN (SELECT id FROM jobs \
                 WHERE status = 'queued' AND run_at <= $3 AND kind = $5 ORDER BY run_at, id \
                 LIMIT CAST($4 AS BIGINT)) RETURNING ",
                job_columns!()
            );
            let rows = sqlx::query_as(sql)
                .bind(worker)
                .bind(lease_until)
                .bind(now)
                .bind(limit)
                .bind(kind)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            rows
        }
    };
    jobs.sort_by_key(|j| (j.run_at, j.id));
    Ok(jobs)
}

/// The conditional completion of [`complete`], for use inside another transaction.
pub(crate) const COMPLETE_JOB: &str = "UPDATE jobs SET status = 'done', finished_at = $4, \
     updated_at = $4, locked_until = NULL \
     WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running'";

/// [`complete`] inside the caller's transaction: a handler that records its effect and the
/// completion together. `false` when the claim was lost or the job was cancelled or moved
/// meanwhile: the caller must then not record the effect (on PostgreSQL this update takes the
/// row lock, so a concurrent cancel waits for the commit and then finds the job done).
pub async fn complete_in(tx: &mut Tx, job: &Job) -> Result<bool> {
    let n = in_tx!(tx, conn => sqlx::query(COMPLETE_JOB)
        .bind(job.id).bind(job.locked_by.as_deref()).bind(job.attempts).bind(now_millis())
        .execute(&mut *conn).await?.rows_affected());
    Ok(n == 1)
}

/// Extends the lease of every job `worker` is running. A job another worker reclaimed meanwhile
/// is not touched (it is no longer locked by us).
pub async fn renew_leases(db: &Db, worker: &str, lease_until: Millis) -> Result<u64> {
    Ok(dispatch!(db, pool => sqlx::query(
        "UPDATE jobs SET locked_until = $2 WHERE locked_by = $1 AND status = 'running'")
        .bind(worker).bind(lease_until).execute(pool).await?.rows_affected()))
}

/// Marks a claimed job done. `false` when the claim was lost (lease expired and the job was
/// claimed again, or an operator changed it): the result of this run must then be ignored.
pub async fn complete(db: &Db, job: &Job) -> Result<bool> {
    let now = now_millis();
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE jobs SET status = 'done', finished_at = $4, updated_at = $4, locked_until = NULL \
         WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running'")
        .bind(job.id).bind(job.locked_by.as_deref()).bind(job.attempts).bind(now)
        .execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Records a failed run: the job is queued again at `retry_at`, or buried (`dead`) when it has
/// used its attempts or `retry_at` is `None` (a permanent failure). Returns the new status, or
/// `None` when the claim was lost.
pub async fn fail(
    db: &Db,
    job: &Job,
    error: &str,
    retry_at: Option<Millis>,
) -> Result<Option<String>> {
    let now = now_millis();
    let error: String = error.chars().take(2000).collect();
    let row: Option<(String,)> = dispatch!(db, pool => sqlx::query_as(
        "UPDATE jobs SET \
         status = CASE WHEN attempts >= max_attempts OR $5 THEN 'dead' ELSE 'queued' END, \
         finished_at = CASE WHEN attempts >= max_attempts OR $5 THEN $4 ELSE NULL END, \
         run_at = CASE WHEN attempts >= max_attempts OR $5 THEN run_at ELSE $6 END, \
         last_error = $7, locked_by = NULL, locked_until = NULL, updated_at = $4 \
         WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running' \
         RETURNING status")
        .bind(job.id).bind(job.locked_by.as_deref()).bind(job.attempts).bind(now)
        .bind(retry_at.is_none()).bind(retry_at.unwrap_or(now)).bind(&error)
        .fetch_optional(pool).await?);
    Ok(row.map(|r| r.0))
}

/// Gives back every job `worker` is running (graceful shutdown past its deadline): they are
/// queued again, due now, and the interrupted claim does not count as an attempt.
pub async fn release(db: &Db, worker: &str) -> Result<u64> {
    let now = now_millis();
    Ok(dispatch!(db, pool => sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
         locked_by = NULL, locked_until = NULL, run_at = $2, updated_at = $2 \
         WHERE locked_by = $1 AND status = 'running'")
        .bind(worker).bind(now).execute(pool).await?.rows_affected()))
}

/// Cancels a queued job. `false` when it is not queued (running, finished or unknown).
pub async fn cancel(db: &Db, id: Uuid) -> Result<bool> {
    let now = now_millis();
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE jobs SET status = 'cancelled', finished_at = $2, updated_at = $2 \
         WHERE id = $1 AND status = 'queued'")
        .bind(id).bind(now).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Cancels every queued or running job whose unique key starts with `prefix` (everything about
/// one object, e.g. `remind:meetup:{id}:` when the meetup is cancelled). Compared exactly (not
/// with `LIKE`, which is case-insensitive in SQLite and treats `_` as a wildcard). A running job
/// is cancelled too: its run can no longer complete it, so a handler that records its effect in
/// the completing transaction ([`complete_in`], as the reminder job does) has no effect; other
/// handlers may still have acted.
pub async fn cancel_prefix(db: &Db, prefix: &str) -> Result<u64> {
    if prefix.is_empty() {
        return Ok(0);
    }
    Ok(dispatch!(db, pool => sqlx::query(CANCEL_PREFIX)
        .bind(prefix).bind(now_millis()).execute(pool).await?.rows_affected()))
}

/// [`cancel_prefix`] inside the caller's transaction.
pub async fn cancel_prefix_in(tx: &mut Tx, prefix: &str) -> Result<u64> {
    if prefix.is_empty() {
        return Ok(0);
    }
    Ok(in_tx!(tx, conn => sqlx::query(CANCEL_PREFIX)
        .bind(prefix).bind(now_millis()).execute(&mut *conn).await?.rows_affected()))
}

const CANCEL_PREFIX: &str = "UPDATE jobs SET status = 'cancelled', finished_at = $2, updated_at = $2, \
     locked_until = NULL WHERE status IN ('queued', 'running') AND unique_key IS NOT NULL \
     AND substr(unique_key, 1, length($1)) = $1";

/// Cancels the queued or running job with this unique key, inside the caller's transaction (see
/// [`cancel_prefix`] for what cancelling a running job means). An exact match, so it is one
/// look-up in the `unique_key` index, not a scan. `false` when there is none.
pub async fn cancel_key_in(tx: &mut Tx, key: &str) -> Result<bool> {
    let n = in_tx!(tx, conn => sqlx::query(
        "UPDATE jobs SET status = 'cancelled', finished_at = $2, updated_at = $2, locked_until = NULL \
         WHERE unique_key = $1 AND status IN ('queued', 'running')")
        .bind(key).bind(now_millis()).execute(&mut *conn).await?.rows_affected());
    Ok(n == 1)
}

/// Moves the queued job with this key to a new time (a moved meetup moves its reminders).
/// `false` when no queued job has the key (it already ran, was cancelled, or never existed).
pub async fn reschedule(db: &Db, key: &str, run_at: Millis) -> Result<bool> {
    let now = now_millis();
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE jobs SET run_at = $2, updated_at = $3 WHERE unique_key = $1 AND status = 'queued'")
        .bind(key).bind(run_at).bind(now).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// The attempts an operator's retry gives a dead job ([`retry_dead`]).
pub const RETRY_ATTEMPTS: i64 = 5;

/// An operator's retry of a dead job: queued again, due now, with a fresh budget of
/// [`RETRY_ATTEMPTS`] attempts on top of those it used. `attempts` is never lowered (a claim is
/// named by it, so a run from before the job died can never complete the retried one) and
/// `last_error` stays until the next failure replaces it, so the admin still sees why it died.
/// `false` when the job is not dead.
pub async fn retry_dead(db: &Db, id: Uuid) -> Result<bool> {
    let now = now_millis();
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE jobs SET status = 'queued', max_attempts = attempts + $3, run_at = $2, \
         finished_at = NULL, locked_by = NULL, locked_until = NULL, updated_at = $2 \
         WHERE id = $1 AND status = 'dead'")
        .bind(id).bind(now).bind(RETRY_ATTEMPTS).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// An operator's discard of a dead or queued job: it becomes `cancelled` (kept for the record
/// and holding its unique key). `false` when the job is running or already finished.
pub async fn discard(db: &Db, id: Uuid) -> Result<bool> {
    let now = now_millis();
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE jobs SET status = 'cancelled', finished_at = $2, updated_at = $2 \
         WHERE id = $1 AND status IN ('queued', 'dead')")
        .bind(id).bind(now).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Jobs newest first, optionally of one status, after `cursor` (the last row of the previous
/// page).
pub async fn list(
    db: &Db,
    status: Option<&str>,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Vec<Job>> {
    let (at, id) = cursor.map_or((i64::MAX, Uuid::max()), |c| (c.at, c.id));
    Ok(match status {
        Some(status) => {
            let sql = concat!(
                "SELECT ",
                job_columns!(),
                " FROM jobs WHERE status = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
                 ORDER BY created_at DESC, id DESC LIMIT CAST($4 AS BIGINT)"
            );
            dispatch!(db, pool => sqlx::query_as::<_, Job>(sql).bind(status).bind(at).bind(id)
                .bind(limit).fetch_all(pool).await?)
        }
        None => {
            let sql = concat!(
                "SELECT ",
                job_columns!(),
                " FROM jobs WHERE (created_at < $1 OR (created_at = $1 AND id < $2)) \
                 ORDER BY created_at DESC, id DESC LIMIT CAST($3 AS BIGINT)"
            );
            dispatch!(db, pool => sqlx::query_as::<_, Job>(sql).bind(at).bind(id)
                .bind(limit).fetch_all(pool).await?)
        }
    })
}

/// How many jobs are in each status, for metrics and tests.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>> {
    Ok(dispatch!(db, pool => sqlx::query_as(
        "SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status")
        .fetch_all(pool).await?))
}

/// How many jobs of `kind` are in `status` (benchmarks and tests).
pub async fn count_of(db: &Db, kind: &str, status: &str) -> Result<i64> {
    let row: (i64,) = dispatch!(db, pool => sqlx::query_as(
        "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND status = $2")
        .bind(kind).bind(status).fetch_one(pool).await?);
    Ok(row.0)
}

/// Deletes done and cancelled jobs that finished before `before` (dead ones stay until an
/// operator retries or discards them). Their unique keys become free again.
pub async fn purge_finished(db: &Db, before: Millis) -> Result<u64> {
    Ok(dispatch!(db, pool => sqlx::query(
        "DELETE FROM jobs WHERE status IN ('done', 'cancelled') AND finished_at < $1")
        .bind(before).execute(pool).await?.rows_affected()))
}

// ---------------------------------------------------------------------------------------------
// Recurring schedules

#[derive(Debug, Clone, sqlx::FromRow, PartialEq, Eq)]
pub struct Schedule {
    pub name: String,
    /// A 5-field cron expression, evaluated in `time_zone`.
    pub cron: String,
    pub time_zone: String,
    pub kind: String,
    pub payload: String,
    /// The next occurrence not yet enqueued. It stays in the past while no runner is up, so a
    /// missed occurrence is enqueued when one comes back.
    pub next_run_at: i64,
    pub updated_at: i64,
    /// The group whose zone the expression follows (a recurring reminder created without a zone
    /// of its own); `time_zone` is then the zone `next_run_at` was computed in.
    pub zone_group_id: Option<Uuid>,
    /// That group's zone now (read with the schedule). When it differs from `time_zone`, the
    /// group moved to another zone and the pending occurrence must be recomputed in the new
    /// one ([`move_schedule`]) instead of fired.
    pub group_zone: Option<String>,
}

/// The columns of a [`Schedule`], from `job_schedules s LEFT JOIN groups g`.
macro_rules! schedule_columns {
    () => {
        "s.name, s.cron, s.time_zone, s.kind, s.payload, s.next_run_at, s.updated_at, \
         s.zone_group_id, g.time_zone AS group_zone \
         FROM job_schedules s LEFT JOIN groups g ON g.id = s.zone_group_id"
    };
}

/// Creates or updates a schedule. The pending `next_run_at` is kept unless the expression or the
/// zone changed (then `next_run_at` is taken), so restarting every worker does not skip or repeat
/// an occurrence.
pub async fn upsert_schedule(
    db: &Db,
    name: &str,
    cron: &str,
    time_zone: &str,
    kind: &str,
    payload: &str,
    next_run_at: Millis,
) -> Result<()> {
    let now = now_millis();
    dispatch!(db, pool => sqlx::query(UPSERT_SCHEDULE)
        .bind(name).bind(cron).bind(time_zone).bind(kind).bind(payload).bind(next_run_at).bind(now)
        .bind(None::<Uuid>)
        .execute(pool).await?.rows_affected());
    Ok(())
}

const UPSERT_SCHEDULE: &str = "INSERT INTO job_schedules (name, cron, time_zone, kind, payload, \
     next_run_at, updated_at, zone_group_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (name) DO UPDATE SET \
     next_run_at = CASE WHEN job_schedules.cron <> excluded.cron \
       OR job_schedules.time_zone <> excluded.time_zone \
       THEN excluded.next_run_at ELSE job_schedules.next_run_at END, \
     cron = excluded.cron, time_zone = excluded.time_zone, kind = excluded.kind, \
     payload = excluded.payload, updated_at = excluded.updated_at, \
     zone_group_id = excluded.zone_group_id";

pub async fn schedules(db: &Db) -> Result<Vec<Schedule>> {
    let sql = concat!("SELECT ", schedule_columns!(), " ORDER BY s.name");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Schedule>(sql).fetch_all(pool).await?))
}

/// The schedules whose pending occurrence is due at `now` (index `job_schedules_due_idx`).
pub async fn due_schedules(db: &Db, now: Millis) -> Result<Vec<Schedule>> {
    let sql = concat!(
        "SELECT ",
        schedule_columns!(),
        " WHERE s.next_run_at <= $1 ORDER BY s.next_run_at, s.name"
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Schedule>(sql).bind(now).fetch_all(pool).await?))
}

pub async fn get_schedule(db: &Db, name: &str) -> Result<Option<Schedule>> {
    let sql = concat!("SELECT ", schedule_columns!(), " WHERE s.name = $1");
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, Schedule>(sql).bind(name).fetch_optional(pool).await?),
    )
}

/// The schedules that follow `group`'s zone but whose pending occurrence was computed in
/// another zone (the group's zone changed since; index `job_schedules_zone_group_idx`).
pub async fn schedules_off_group_zone(db: &Db, group: Uuid) -> Result<Vec<Schedule>> {
    let sql = concat!(
        "SELECT ",
        schedule_columns!(),
        " WHERE s.zone_group_id = $1 AND s.time_zone <> g.time_zone ORDER BY s.name"
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Schedule>(sql).bind(group).fetch_all(pool).await?))
}

/// Moves a schedule's pending occurrence to `next`, computed in `zone`, if it is still the one
/// `s` holds (same occurrence, same zone), so that two runners or a runner and a group update
/// that both recompute it agree. Returns whether this caller moved it.
pub async fn move_schedule(db: &Db, s: &Schedule, zone: &str, next: Millis) -> Result<bool> {
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE job_schedules SET time_zone = $4, next_run_at = $5, updated_at = $6 \
         WHERE name = $1 AND next_run_at = $2 AND time_zone = $3")
        .bind(&s.name).bind(s.next_run_at).bind(&s.time_zone).bind(zone).bind(next)
        .bind(now_millis())
        .execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// [`upsert_schedule`] inside the caller's transaction; `zone_group` makes the schedule follow
/// that group's zone (`time_zone` must then be the group's zone now).
#[allow(clippy::too_many_arguments)]
pub async fn upsert_schedule_in(
    tx: &mut Tx,
    name: &str,
    cron: &str,
    time_zone: &str,
    kind: &str,
    payload: &str,
    next_run_at: Millis,
    zone_group: Option<Uuid>,
) -> Result<()> {
    let now = now_millis();
    in_tx!(tx, conn => sqlx::query(UPSERT_SCHEDULE)
        .bind(name).bind(cron).bind(time_zone).bind(kind).bind(payload).bind(next_run_at).bind(now)
        .bind(zone_group)
        .execute(&mut *conn).await?.rows_affected());
    Ok(())
}

/// Deletes every schedule whose name starts with `prefix` (compared exactly, as
/// [`cancel_prefix`]); returns how many.
pub async fn delete_schedules_prefix_in(tx: &mut Tx, prefix: &str) -> Result<u64> {
    if prefix.is_empty() {
        return Ok(0);
    }
    Ok(in_tx!(tx, conn => sqlx::query(
        "DELETE FROM job_schedules WHERE substr(name, 1, length($1)) = $1")
        .bind(prefix).execute(&mut *conn).await?.rows_affected()))
}

pub async fn delete_schedule(db: &Db, name: &str) -> Result<bool> {
    Ok(
        dispatch!(db, pool => sqlx::query("DELETE FROM job_schedules WHERE name = $1")
        .bind(name).execute(pool).await?.rows_affected())
            == 1,
    )
}

/// Fires one occurrence of a schedule: moves `next_run_at` from `due` to `next` only if it is
/// still `due` (so among any number of runners exactly one wins), and in the same transaction
/// enqueues the job under the key `schedule:{name}:{due}` (so even a replayed occurrence is
/// enqueued once). Returns whether this caller fired it.
pub async fn fire_schedule(db: &Db, s: &Schedule, due: Millis, next: Millis) -> Result<bool> {
    let now = now_millis();
    let key = format!("schedule:{}:{}", s.name, due);
    let fired = dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let n = sqlx::query(
            "UPDATE job_schedules SET next_run_at = $3, updated_at = $4 WHERE name = $1 AND next_run_at = $2")
            .bind(&s.name).bind(due).bind(next).bind(now)
            .execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            sqlx::query(INSERT_JOB)
                .bind(Uuid::now_v7()).bind(&s.kind).bind(&s.payload).bind(&key).bind(due)
                .bind(3_i64).bind(now)
                .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        n == 1
    });
    Ok(fired)
}

// ---------------------------------------------------------------------------------------------
// Crash-test ledger

/// Support for the crash test of the `moim worker` binary (its hidden `test.ledger` job kind):
/// completes a claimed job and records the completion in `job_test_ledger` in one transaction,
/// so "every job ran exactly once" can be checked by counting ledger rows. The table is created
/// on demand by [`ledger_create`], never by the migrations.
pub mod ledger {
    use super::*;

    pub async fn ledger_create(db: &Db) -> Result<()> {
        let sql = match db {
            Db::Sqlite(_) => {
                "CREATE TABLE IF NOT EXISTS job_test_ledger (job_id BLOB NOT NULL, worker TEXT NOT NULL, at INTEGER NOT NULL)"
            }
            Db::Postgres(_) => {
                "CREATE TABLE IF NOT EXISTS job_test_ledger (job_id UUID NOT NULL, worker TEXT NOT NULL, at BIGINT NOT NULL)"
            }
        };
        dispatch!(db, pool => sqlx::query(sql).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Completes `job` and appends it to the ledger atomically; `false` (nothing written) when
    /// the claim was lost.
    pub async fn complete_recorded(db: &Db, job: &Job) -> Result<bool> {
        let now = now_millis();
        Ok(dispatch!(db, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query(
                "UPDATE jobs SET status = 'done', finished_at = $4, updated_at = $4, locked_until = NULL \
                 WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running'")
                .bind(job.id).bind(job.locked_by.as_deref()).bind(job.attempts).bind(now)
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                sqlx::query("INSERT INTO job_test_ledger (job_id, worker, at) VALUES ($1, $2, $3)")
                    .bind(job.id).bind(job.locked_by.as_deref().unwrap_or("")).bind(now)
                    .execute(&mut *tx).await?;
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            n == 1
        }))
    }

    /// (ledger rows, distinct job ids in the ledger).
    pub async fn ledger_counts(db: &Db) -> Result<(i64, i64)> {
        Ok(dispatch!(db, pool => sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT job_id) FROM job_test_ledger")
            .fetch_one(pool).await?))
    }
}
