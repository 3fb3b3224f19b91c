//! All SQL of moim. One [`Db`] handle over a SQLite or a PostgreSQL pool, chosen from the URL.
//!
//! Every query is written once with `$1` placeholders (both backends accept them) and runs on
//! either pool through [`dispatch!`]: the body is compiled once per backend, so a type that one
//! driver cannot encode is a compile error, not a runtime surprise. Where the dialects really
//! differ, the branch sits inside the store function, never in callers.
//!
//! # Layout
//! - [`Db`], [`connect`], [`migrate`]: pools, start-up, embedded migrations.
//! - [`accounts`]: users, e-mail codes, web sessions, refresh-token families.
//! - [`courses`]: course posts, bookmarks, star ratings, views.
//! - [`comments`]: comments and replies on meetups and courses.
//! - [`groups`]: groups, memberships, join requests, departures.
//! - [`jobs`]: the durable job queue and its recurring schedules.
//! - [`notifications`]: in-app notifications, channel preferences, reminder jobs.
//! - [`limits`]: fixed-window rate-limit counters shared by every instance.
//! - [`rosters`]: roster setups, rosters (versioned), undo history, swap requests.
//! - [`settings`]: server-wide key/value settings (generated secrets).
//! - [`schema`]: introspection used by the test that the two backends' schemas agree.
#![forbid(unsafe_code)]

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

pub mod accounts;
pub mod comments;
pub mod courses;
pub mod groups;
pub mod jobs;
pub mod limits;
pub mod media;
pub mod meetups;
pub mod notifications;
pub mod rosters;
pub mod schema;
pub mod settings;

pub use sqlx;
pub use uuid::Uuid;

/// A database handle. Cloning is cheap (pools are reference-counted).
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of either backend.
#[macro_export]
macro_rules! dispatch {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    /// A unique index refused the row; the payload names the field the index guards.
    #[error("conflict on {0}")]
    Conflict(&'static str),
    #[error("unsupported database url: {0}")]
    BadUrl(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Maps a unique violation to a field name. `indexes` pairs an index name (PostgreSQL reports the
/// index) with a `table.column` (SQLite reports the column) and the field to blame.
pub(crate) fn unique_violation(err: sqlx::Error, indexes: &[(&str, &str, &'static str)]) -> Error {
    if let sqlx::Error::Database(db) = &err
        && db.is_unique_violation()
    {
        let msg = db.message();
        let constraint = db.constraint().unwrap_or("");
        for (index, column, field) in indexes {
            if constraint == *index || msg.contains(column) {
                return Error::Conflict(field);
            }
        }
    }
    Error::Sqlx(err)
}

/// Write transactions: `BEGIN IMMEDIATE` on SQLite takes the write lock up front, so a
/// read-then-write transaction cannot fail with a busy snapshot halfway; PostgreSQL uses row
/// locks and conditional updates instead.
pub(crate) trait WritePool {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Database>>> + Send;
}

impl WritePool for SqlitePool {
    type Database = sqlx::Sqlite;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl WritePool for PgPool {
    type Database = sqlx::Postgres;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.begin().await
    }
}

/// An open write transaction on either backend, for a use case that changes several aggregates
/// atomically: a domain change and the notifications (with their delivery jobs) it causes commit
/// together or not at all (outbox style). Store functions that take part end in `_in` and take
/// `&mut Tx`; the plain versions open and commit their own. Dropping a `Tx` without
/// [`Tx::commit`] rolls it back.
pub struct Tx {
    pub(crate) inner: TxInner,
    /// One entry per notification row created in this transaction (its recipient), so the web
    /// layer can wake their open pages once the transaction has committed.
    pub(crate) notified: Vec<Uuid>,
    /// SQLite: the value of the notification change counter after this transaction's bump.
    pub(crate) change_seq: Option<i64>,
}

pub(crate) enum TxInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx")
            .field("backend", &self.backend())
            .field("notified", &self.notified.len())
            .finish()
    }
}

/// Runs `$body` with `$conn` bound to the transaction's connection (`&mut SqliteConnection` or
/// `&mut PgConnection`), so a query written once runs on either backend inside a [`Tx`].
macro_rules! in_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match &mut $tx.inner {
            $crate::TxInner::Sqlite(t) => {
                let $conn: &mut sqlx::SqliteConnection = &mut **t;
                $body
            }
            $crate::TxInner::Postgres(t) => {
                let $conn: &mut sqlx::PgConnection = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use in_tx;

impl Db {
    /// Opens a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match self {
            Db::Sqlite(pool) => TxInner::Sqlite(pool.begin_write().await?),
            Db::Postgres(pool) => TxInner::Postgres(pool.begin_write().await?),
        };
        Ok(Tx {
            inner,
            notified: Vec::new(),
            change_seq: None,
        })
    }
}

impl Tx {
    pub fn backend(&self) -> &'static str {
        match self.inner {
            TxInner::Sqlite(_) => "sqlite",
            TxInner::Postgres(_) => "postgres",
        }
    }

    /// The recipients of the notifications created in this transaction so far (one entry per
    /// row), taken out: the caller wakes their pages after [`Tx::commit`].
    pub fn take_notified(&mut self) -> Vec<Uuid> {
        std::mem::take(&mut self.notified)
    }

    /// SQLite: the notification change counter as this transaction set it (see
    /// `notifications::change_seq`), so the committing process knows the change is its own.
    pub fn change_seq(&self) -> Option<i64> {
        self.change_seq
    }

    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.rollback().await?,
            TxInner::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct PoolConfig {
    pub max_connections: u32,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: 16,
        }
    }
}

/// Opens a pool for `sqlite://path` (the file and its folder are created) or `postgres://...`.
pub async fn connect(url: &str, cfg: &PoolConfig) -> Result<Db> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        if !path.is_empty()
            && path != ":memory:"
            && let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| Error::Sqlx(sqlx::Error::Io(e)))?;
        }
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Reads through a memory map of the first 256 MiB of the file: each connection's
            // own page cache is 2 MiB, so the meetup list's index pages were copied in with a
            // `pread` per page miss (a tenth of a list request's CPU in `perf`,
            // docs/BENCHMARKS.md). Mapped pages are the kernel's page cache, shared by every
            // connection; writes still go through the WAL.
            .pragma("mmap_size", MMAP_SIZE.to_string());
        // An embedded connection cannot hang up: the default ping on every acquire is a second
        // round trip to the connection's worker thread for each query (measured in BENCHMARKS.md).
        let pool = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(cfg.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?;
        Ok(Db::Sqlite(pool))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // No JIT compilation, for every query of every session: a plan costed above
        // `jit_above_cost` (a generic plan's guess can get there) is compiled on each execution,
        // 80–200 ms, far more than these short queries take to run (docs/ARCHITECTURE.md).
        let opts = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
        // Ping only connections that sat idle long enough to have been dropped by the server or a
        // proxy; a busy pool would otherwise pay a server round trip per query.
        let pool = PgPoolOptions::new()
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IDLE_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .max_connections(cfg.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?;
        Ok(Db::Postgres(pool))
    } else {
        Err(Error::BadUrl(redact_url(url)))
    }
}

/// How much of a SQLite database file is read through a memory map (`PRAGMA mmap_size`).
const MMAP_SIZE: u64 = 256 * 1024 * 1024;

/// How long a PostgreSQL connection may sit idle before it is pinged on its next acquire.
const PING_IDLE_AFTER: Duration = Duration::from_secs(30);

/// A URL without its password, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..scheme], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// A migration embedded in the binary. SQLite and PostgreSQL folders hold the same file names.
pub struct Migration {
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

macro_rules! migrations {
    ($($name:literal),+ $(,)?) => {
        &[$(Migration {
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $name)),
            postgres: include_str!(concat!("../migrations/postgres/", $name)),
        }),+]
    };
}

/// Every migration, in order. Adding a file to the folders without listing it here fails the
/// `migrations_are_all_embedded` test.
pub const MIGRATIONS: &[Migration] = migrations![
    "0001_foundation.sql",
    "0002_jobs.sql",
    "0003_notifications.sql",
    "0004_rosters.sql",
    "0005_meetups.sql",
    "0006_notify_channels.sql",
    "0007_courses.sql",
    "0008_meetup_hosting.sql",
    "0010_meetup_list_index.sql",
    "0011_roster_history_kind.sql",
    "0012_rosters_live_and_feeds.sql",
    "0013_notify_changes.sql",
    "0014_meetups_duration.sql",
    "0016_meetup_list_focus.sql",
    "0018_schedule_group_zone.sql",
    "0019_meetup_list_focus_covering.sql",
];

impl Db {
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Cheap round trip for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        dispatch!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        dispatch!(self, pool => pool.close().await)
    }
}

/// Applies the migrations not applied yet, each in its own transaction, and returns their names.
/// Concurrent start-ups are safe: PostgreSQL takes an advisory lock, SQLite a write lock.
pub async fn migrate(db: &Db) -> Result<Vec<&'static str>> {
    const LEDGER: &str = "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)";
    let mut applied = Vec::new();
    let postgres = matches!(db, Db::Postgres(_));
    dispatch!(db, pool => {
        for m in MIGRATIONS {
            let mut tx = pool.begin_write().await?;
            if postgres {
                // One migrator at a time across every instance starting together (SQLite's
                // BEGIN IMMEDIATE already serialises writers).
                sqlx::query("SELECT pg_advisory_xact_lock(72353)").execute(&mut *tx).await?;
            }
            sqlx::raw_sql(LEDGER).execute(&mut *tx).await?;
            let done: Option<(String,)> = sqlx::query_as("SELECT name FROM _migrations WHERE name = $1")
                .bind(m.name)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_none() {
                sqlx::raw_sql(if postgres { m.postgres } else { m.sqlite }).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO _migrations (name, applied_at) VALUES ($1, $2)")
                    .bind(m.name)
                    .bind(moim_core::time::now_millis())
                    .execute(&mut *tx)
                    .await?;
                applied.push(m.name);
            }
            tx.commit().await?;
        }
    });
    Ok(applied)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_all_embedded() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let names = |dir: &str| {
            let mut v: Vec<String> = std::fs::read_dir(format!("{root}/{dir}"))
                .expect("migrations folder")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let sqlite = names("sqlite");
        assert_eq!(
            sqlite,
            names("postgres"),
            "both backends need the same migration files"
        );
        let listed: Vec<String> = MIGRATIONS.iter().map(|m| m.name.to_owned()).collect();
        assert_eq!(
            sqlite, listed,
            "every migration file must be listed in MIGRATIONS"
        );
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://moim:secret@db:5432/moim"),
            "postgres://moim:***@db:5432/moim"
        );
        assert_eq!(redact_url("sqlite://data/moim.db"), "sqlite://data/moim.db");
    }
}
