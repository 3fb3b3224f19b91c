//! Settings of the web layer. The binary fills them from flags and `MOIM_*` variables; tests
//! build them directly with [`WebConfig::for_tests`].

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The public address, used in e-mailed links and to decide whether cookies are `Secure`.
    pub base_url: String,
    /// Where the file outbox lives (`<data_dir>/outbox`).
    pub data_dir: PathBuf,
    /// `smtp://user:pass@host:port` or `smtps://...`; `None` writes mail to the outbox.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Signing key for access tokens; generated and stored in the database when absent, so
    /// several instances sharing one database agree on it.
    pub jwt_secret: Option<String>,
    pub password_hashing: PasswordHashing,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub session_ttl: Duration,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    pub limits: Limits,
    /// Lower-cased e-mail addresses of the operators allowed to use `/api/v1/admin/*`
    /// (`MOIM_ADMIN_EMAILS`); only their verified accounts qualify. There is no admin role yet.
    pub admin_emails: Vec<String>,
    /// How long before its start a meetup must be hosted (`MOIM_MEETUP_MIN_LEAD_HOURS`, 6 h).
    pub meetup_min_lead: Duration,
    /// `redis://...` (`MOIM_REDIS_URL`): real-time wake-ups go through Redis pub/sub instead of
    /// PostgreSQL `LISTEN/NOTIFY`.
    pub redis_url: Option<String>,
    /// How long an e-mail about a notification waits, so one read in the app meanwhile is not
    /// mailed too (checked just before sending).
    pub notify_email_delay: Duration,
    /// `MOIM_READ_CACHE`: the in-process read cache (`auto`: on for SQLite only).
    pub read_cache: crate::cache::ReadCacheMode,
}

/// Rate limits, as (allowed hits, window).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Failed log-ins per account.
    pub login_per_account: (i64, Duration),
    /// Failed log-ins per client address.
    pub login_per_ip: (i64, Duration),
    /// Verification e-mails per account: one a minute and a few an hour.
    pub code_per_minute: (i64, Duration),
    pub code_per_hour: (i64, Duration),
    /// Password-reset e-mails per address.
    pub reset_per_hour: (i64, Duration),
    /// Invite-code look-ups per client, against guessing.
    pub invite_per_ip: (i64, Duration),
}

impl Default for Limits {
    fn default() -> Self {
        let min = Duration::from_secs(60);
        Self {
            login_per_account: (5, 15 * min),
            login_per_ip: (30, 15 * min),
            code_per_minute: (1, min),
            code_per_hour: (5, 60 * min),
            reset_per_hour: (3, 60 * min),
            invite_per_ip: (60, 10 * min),
        }
    }
}

/// Argon2id cost. Production follows the OWASP recommendation (19 MiB, 2 passes); tests use the
/// cheapest parameters so the suite stays fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordHashing {
    Production,
    Fast,
}

impl WebConfig {
    pub fn new(base_url: String, data_dir: PathBuf) -> Self {
        Self {
            base_url,
            data_dir,
            smtp_url: None,
            mail_from: "moim <no-reply@moim.local>".into(),
            jwt_secret: None,
            password_hashing: PasswordHashing::Production,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            trust_forwarded_for: false,
            limits: Limits::default(),
            admin_emails: Vec::new(),
            meetup_min_lead: Duration::from_secs(6 * 3600),
            redis_url: None,
            notify_email_delay: Duration::from_secs(60),
            read_cache: crate::cache::ReadCacheMode::Auto,
        }
    }

    pub fn for_tests(data_dir: PathBuf) -> Self {
        Self {
            password_hashing: PasswordHashing::Fast,
            ..Self::new("http://localhost".into(), data_dir)
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// Is this address one of the configured operators'?
    pub fn is_admin_email(&self, email: &str) -> bool {
        let email = email.trim().to_lowercase();
        self.admin_emails.contains(&email)
    }

    /// `base_url` + `path`, for links in e-mails.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.trim_end_matches('/'), path)
    }
}

/// `MOIM_ADMIN_EMAILS`: comma-separated, trimmed, lower-cased, blanks dropped.
pub fn parse_admin_emails(s: &str) -> Vec<String> {
    s.split(',')
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
        .collect()
}
