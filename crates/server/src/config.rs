//! Command line and configuration. Every setting is a flag and a `MOIM_*` variable; the defaults
//! serve on 127.0.0.1:8080 with SQLite under `./data`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

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
    /// Roster solver tools: solve or check benchmark instances.
    #[command(subcommand)]
    Roster(roster::cli::RosterCommand),
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
    /// Connection pool size.
    #[arg(
        long,
        env = "MOIM_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: u32,
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
}

impl Common {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("moim.db").display()))
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
        c
    }
}
