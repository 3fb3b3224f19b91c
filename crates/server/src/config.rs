//! Command line and configuration. Every setting is a flag and a `MOIM_*` variable; the defaults
//! serve on 127.0.0.1:8080 with SQLite under `./data`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "moim",
    version,
    about = "moim (모임): rosters, meetups, goals, chat and mentoring for small groups, in one binary"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub common: Common,
    /// Log filter (tracing `EnvFilter` syntax).
    #[arg(long, env = "MOIM_LOG", default_value = "info", global = true)]
    pub log: String,
    /// `text` or `json` (structured logs for collectors).
    #[arg(long, env = "MOIM_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: String,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web UI and the API (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Run only the job runner (no web server). Any number of workers may share one database;
    /// each job is done by one of them.
    Worker,
    /// Roster solver tools: solve or check benchmark instances.
    #[command(subcommand)]
    Roster(roster::cli::RosterCommand),
    /// Demo data.
    #[command(subcommand)]
    Demo(DemoCommand),
}

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Load the demo roster groups: a hospital ward (25 nurses on day / evening / night, with
    /// rules, leave and requests) and an office (7 people on call). Running it again refreshes
    /// their setups without duplicating anything.
    Seed {
        /// Owner of the demo groups (an existing account's e-mail). Default: the account
        /// `demo@moim.local`, created without a usable password.
        #[arg(long)]
        owner: Option<String>,
        /// Month the demo leave and requests fall in (`YYYY-MM`). Default: next month.
        #[arg(long)]
        month: Option<String>,
    },
}

#[derive(Args)]
pub struct Common {
    /// Address to listen on.
    #[arg(
        long,
        env = "MOIM_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: String,
    /// Folder for the SQLite database, the mail outbox and uploads.
    #[arg(long, env = "MOIM_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// `sqlite://path` or `postgres://user:pass@host/db`. Default: `sqlite://<data dir>/moim.db`.
    #[arg(long, env = "MOIM_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Connection pool size. Default: twice the CPU count for SQLite (each SQLite connection is
    /// a thread, and more threads than cores only add hand-offs; measured in docs/BENCHMARKS.md),
    /// four times the CPU count between 4 and 16 for PostgreSQL (8 on two cores, where 16 busy
    /// backends next to the server lengthened the meetup list's p99; docs/BENCHMARKS.md). Set it
    /// when the database has more cores than this machine.
    #[arg(long, env = "MOIM_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,
    /// Public address used in e-mailed links; `https://` makes cookies Secure.
    #[arg(long, env = "MOIM_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// `smtp://user:pass@host:587?tls=required` or `smtps://...`; unset writes mail to the outbox.
    #[arg(long, env = "MOIM_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of e-mails.
    #[arg(
        long,
        env = "MOIM_MAIL_FROM",
        default_value = "moim <no-reply@moim.local>",
        global = true
    )]
    pub mail_from: String,
    /// Access-token signing key; generated and stored in the database when unset.
    #[arg(long, env = "MOIM_JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Trust `X-Forwarded-For` for client addresses (only behind your own proxy).
    #[arg(long, env = "MOIM_TRUST_PROXY", default_value_t = false, global = true)]
    pub trust_proxy: bool,
    /// Comma-separated e-mail addresses whose (verified) accounts may use the admin API.
    #[arg(long, env = "MOIM_ADMIN_EMAILS", default_value = "", global = true)]
    pub admin_emails: String,
    /// Hours between hosting a meetup and its start, at the least.
    #[arg(
        long,
        env = "MOIM_MEETUP_MIN_LEAD_HOURS",
        default_value_t = 6,
        global = true
    )]
    pub meetup_min_lead_hours: u64,
    /// Map tile URL template (Leaflet), e.g. `https://tile.openstreetmap.org/{z}/{x}/{y}.png`;
    /// empty turns maps off. The CSP allows its host for images only.
    #[arg(long, env = "MOIM_MAP_TILES", default_value = moim_web::config::DEFAULT_MAP_TILES, value_parser = moim_web::config::parse_map_tiles, global = true)]
    pub map_tiles: String,
    /// Run the job runner inside `moim serve` (turn off when dedicated `moim worker`s run jobs).
    #[arg(long, env = "MOIM_JOBS_IN_PROCESS", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub jobs_in_process: bool,
    /// Jobs run at once by one runner.
    #[arg(
        long,
        env = "MOIM_JOBS_CONCURRENCY",
        default_value_t = 8,
        global = true
    )]
    pub jobs_concurrency: usize,
    /// How long a claimed job stays locked without a heartbeat; a killed worker's jobs run again
    /// after at most this long.
    #[arg(
        long,
        env = "MOIM_JOBS_LEASE_SECS",
        default_value_t = 60,
        global = true
    )]
    pub jobs_lease_secs: u64,
    /// How often an idle runner looks for due jobs, in milliseconds.
    #[arg(long, env = "MOIM_JOBS_POLL_MS", default_value_t = 500, global = true)]
    pub jobs_poll_ms: u64,
    /// How long shutdown waits for running jobs before releasing them to other workers.
    #[arg(
        long,
        env = "MOIM_JOBS_SHUTDOWN_GRACE_SECS",
        default_value_t = 30,
        global = true
    )]
    pub jobs_shutdown_grace_secs: u64,
    /// The longest one job run may take before it is cancelled and retried.
    #[arg(
        long,
        env = "MOIM_JOBS_TIMEOUT_SECS",
        default_value_t = 300,
        global = true
    )]
    pub jobs_timeout_secs: u64,
    /// Notifications older than this many days are deleted by an hourly job.
    #[arg(
        long,
        env = "MOIM_NOTIFICATIONS_RETAIN_DAYS",
        default_value_t = 90,
        value_parser = clap::value_parser!(u32).range(1..=3650),
        global = true
    )]
    pub notifications_retain_days: u32,
    /// `redis://host:6379`: fan real-time notifications out through Redis pub/sub (otherwise
    /// PostgreSQL `LISTEN/NOTIFY`, or in-process with SQLite).
    #[arg(long, env = "MOIM_REDIS_URL", global = true)]
    pub redis_url: Option<String>,
    /// The SMS gateway: notifications are sent as `POST {"to","text"}` JSON to this URL (otherwise
    /// SMS are written to the log).
    #[arg(long, env = "MOIM_SMS_URL", global = true)]
    pub sms_url: Option<String>,
    /// Sent to the SMS gateway as `Authorization: Bearer <key>`.
    #[arg(long, env = "MOIM_SMS_KEY", global = true, hide_env_values = true)]
    pub sms_key: Option<String>,
    /// The contact in Web Push (VAPID) tokens, `mailto:` or `https:`; by default `mailto:` the
    /// sender address of `MOIM_MAIL_FROM`.
    #[arg(long, env = "MOIM_VAPID_SUBJECT", global = true)]
    pub vapid_subject: Option<String>,
    /// Media store: `s3://bucket[/prefix]` for S3-compatible storage, or a folder. Default:
    /// `<data dir>/media` on local disk.
    #[arg(long, env = "MOIM_MEDIA_URL", global = true)]
    pub media_url: Option<String>,
    /// S3 endpoint for non-AWS servers (MinIO, Garage, R2...), e.g. `http://127.0.0.1:9000`.
    #[arg(long, env = "MOIM_MEDIA_S3_ENDPOINT", global = true)]
    pub media_s3_endpoint: Option<String>,
    /// S3 region (default `us-east-1`).
    #[arg(long, env = "MOIM_MEDIA_S3_REGION", global = true)]
    pub media_s3_region: Option<String>,
    #[arg(long, env = "MOIM_MEDIA_S3_ACCESS_KEY_ID", global = true)]
    pub media_s3_access_key_id: Option<String>,
    #[arg(
        long,
        env = "MOIM_MEDIA_S3_SECRET_ACCESS_KEY",
        global = true,
        hide_env_values = true
    )]
    pub media_s3_secret_access_key: Option<String>,
    /// In-process read cache of sessions, users, group views and unread counts: `auto` (on
    /// for SQLite, off for PostgreSQL, where several instances may share the database), `on`
    /// (only with a single `moim serve` per database), `off`.
    #[arg(long, env = "MOIM_READ_CACHE", default_value = "auto", value_parser = parse_read_cache, global = true)]
    pub read_cache: moim_web::cache::ReadCacheMode,
    /// Test support: registers the `test.ledger` job kind used by the crash test.
    #[arg(
        long,
        env = "MOIM_JOBS_TEST_LEDGER",
        default_value_t = false,
        hide = true,
        global = true
    )]
    pub jobs_test_ledger: bool,
}

fn parse_read_cache(s: &str) -> Result<moim_web::cache::ReadCacheMode, String> {
    moim_web::cache::ReadCacheMode::parse(s).ok_or_else(|| "expected auto, on or off".into())
}

impl Common {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("moim.db").display()))
    }

    pub fn pool_size(&self) -> u32 {
        self.db_max_connections.unwrap_or_else(|| {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
            if self.database_url().starts_with("sqlite:") {
                (2 * cores).clamp(2, 8)
            } else {
                (4 * cores).clamp(4, 16)
            }
        })
    }

    pub fn web_config(&self) -> moim_web::WebConfig {
        let base = self
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen));
        let mut c = moim_web::WebConfig::new(base, self.data_dir.clone());
        c.smtp_url = self.smtp_url.clone();
        c.mail_from = self.mail_from.clone();
        c.jwt_secret = self.jwt_secret.clone();
        c.trust_forwarded_for = self.trust_proxy;
        c.admin_emails = moim_web::config::parse_admin_emails(&self.admin_emails);
        c.meetup_min_lead = std::time::Duration::from_secs(self.meetup_min_lead_hours * 3600);
        c.redis_url = self.redis_url.clone().filter(|u| !u.trim().is_empty());
        c.map_tiles = self.map_tiles.clone();
        c.sms_url = self.sms_url.clone().filter(|u| !u.trim().is_empty());
        c.sms_key = self.sms_key.clone();
        c.vapid_subject = self.vapid_subject.clone();
        let set = |v: &Option<String>| v.clone().filter(|u| !u.trim().is_empty());
        c.media = moim_web::config::MediaSettings {
            url: set(&self.media_url),
            s3_endpoint: set(&self.media_s3_endpoint),
            s3_region: set(&self.media_s3_region),
            s3_access_key_id: set(&self.media_s3_access_key_id),
            s3_secret_access_key: set(&self.media_s3_secret_access_key),
        };
        c.read_cache = self.read_cache;
        c
    }

    pub fn runner_config(&self) -> moim_jobs::RunnerConfig {
        moim_jobs::RunnerConfig {
            concurrency: self.jobs_concurrency.max(1),
            batch_size: self.jobs_concurrency.clamp(1, 64) as i64,
            lease: Duration::from_secs(self.jobs_lease_secs.max(1)),
            poll_interval: Duration::from_millis(self.jobs_poll_ms.max(10)),
            shutdown_grace: Duration::from_secs(self.jobs_shutdown_grace_secs),
            job_timeout: Duration::from_secs(self.jobs_timeout_secs.max(1)),
            ..moim_jobs::RunnerConfig::default()
        }
    }
}
