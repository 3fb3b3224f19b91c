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
    /// Map tile URL template for Leaflet (`MOIM_MAP_TILES`, OpenStreetMap by default), checked
    /// by [`parse_map_tiles`]; empty turns the maps off (pages show the address and the
    /// coordinates). Its origin is the only outside host the CSP allows, and only for images.
    pub map_tiles: String,
    /// One host may host one meetup per this long (the reference's anti-double-post rule,
    /// 10 s; enforced by the database). Tests that host many meetups as one user set 0.
    pub meetup_host_cooldown: Duration,
    /// The SMS gateway (`MOIM_SMS_URL`, `MOIM_SMS_KEY`); without a URL, SMS go to the log.
    pub sms_url: Option<String>,
    pub sms_key: Option<String>,
    /// The `sub` of VAPID tokens (`MOIM_VAPID_SUBJECT`): a `mailto:` or `https:` contact the push
    /// services can reach; by default `mailto:` the sender address.
    pub vapid_subject: Option<String>,
    /// How long a push service or SMS gateway may take to answer one request.
    pub channel_timeout: Duration,
    /// Where uploaded media live (`MOIM_MEDIA_URL`, `MOIM_MEDIA_S3_*`).
    pub media: MediaSettings,
    /// `MOIM_READ_CACHE`: the in-process read cache (`auto`: on for SQLite only).
    pub read_cache: crate::cache::ReadCacheMode,
}

/// OpenStreetMap's standard tiles (their usage policy asks for light use and attribution).
pub const DEFAULT_MAP_TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

/// Checks a tile URL template: `http(s)://host[:port]/...` with `{z}`, `{x}` and `{y}`, and a
/// host of letters, digits, `.`, `-` and an optional `{s}` subdomain placeholder, so it can go
/// into the CSP header as is. Empty is allowed (no maps).
pub fn parse_map_tiles(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(String::new());
    }
    if tile_origin(t).is_none() || !["{z}", "{x}", "{y}"].iter().all(|p| t.contains(p)) {
        return Err(format!(
            "MOIM_MAP_TILES must look like https://tile.example.org/{{z}}/{{x}}/{{y}}.png, got {t:?}"
        ));
    }
    if t.chars()
        .any(|c| c.is_whitespace() || c.is_control() || "\"'<>\\;,".contains(c))
    {
        return Err(format!(
            "MOIM_MAP_TILES contains characters a URL cannot: {t:?}"
        ));
    }
    Ok(t.to_owned())
}

/// The CSP source of a tile template: `https://tile.openstreetmap.org`, or
/// `https://*.tile.example.org` for a `{s}` subdomain placeholder.
pub fn tile_origin(template: &str) -> Option<String> {
    let (scheme, rest) = template.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let host = rest.split('/').next().unwrap_or("");
    let host = host.replace("{s}", "*");
    let (name, port) = match host.split_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host.as_str(), None),
    };
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '*')
        && !name.starts_with('.')
        && name.matches('*').count() <= 1
        && (!name.contains('*') || name.starts_with("*."));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    (name_ok && port_ok).then(|| format!("{scheme}://{host}"))
}

/// The media object store: local disk under `<data dir>/media` unless `url` names another
/// folder or an S3-compatible bucket (`s3://bucket` or `s3://bucket/prefix`).
#[derive(Debug, Clone, Default)]
pub struct MediaSettings {
    /// `s3://bucket[/prefix]`, `file:///path` or a plain path; `None` = `<data dir>/media`.
    pub url: Option<String>,
    /// S3 endpoint for non-AWS servers (MinIO, Garage, Ceph, R2...), e.g.
    /// `http://127.0.0.1:9000`; `http://` endpoints are allowed as written.
    pub s3_endpoint: Option<String>,
    /// Default `us-east-1`.
    pub s3_region: Option<String>,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
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
            map_tiles: DEFAULT_MAP_TILES.into(),
            meetup_host_cooldown: Duration::from_secs(10),
            sms_url: None,
            sms_key: None,
            vapid_subject: None,
            channel_timeout: Duration::from_secs(10),
            media: MediaSettings::default(),
            read_cache: crate::cache::ReadCacheMode::Auto,
        }
    }

    pub fn for_tests(data_dir: PathBuf) -> Self {
        Self {
            password_hashing: PasswordHashing::Fast,
            // Tests host many meetups as one user; the cooldown's own test turns it back on.
            meetup_host_cooldown: Duration::ZERO,
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

    /// The Content-Security-Policy: scripts, styles and connections from our origin only;
    /// images from our origin plus the map tile host (nothing else from outside).
    pub fn csp(&self) -> String {
        let tiles = tile_origin(&self.map_tiles)
            .map(|o| format!(" {o}"))
            .unwrap_or_default();
        format!(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{tiles}; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
        )
    }

    /// The VAPID contact: the configured subject, else `mailto:` the sender's address.
    pub fn vapid_subject(&self) -> String {
        if let Some(s) = self
            .vapid_subject
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            return s.trim().to_owned();
        }
        let from = self.mail_from.trim();
        let addr = match (from.find('<'), from.rfind('>')) {
            (Some(a), Some(b)) if a < b => &from[a + 1..b],
            _ => from,
        };
        format!("mailto:{}", addr.trim())
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tile_tests {
    use super::*;

    #[test]
    fn tile_templates_and_their_csp_origin() {
        assert_eq!(
            tile_origin(DEFAULT_MAP_TILES).as_deref(),
            Some("https://tile.openstreetmap.org")
        );
        assert_eq!(
            tile_origin("https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tiles.example.org:8443")
        );
        assert!(parse_map_tiles("").unwrap().is_empty());
        for bad in [
            "ftp://x.org/{z}/{x}/{y}",
            "https://x.org/tiles.png",
            "https://x.org; script-src *//{z}/{x}/{y}",
            "https://ex ample.org/{z}/{x}/{y}",
            "https://a{s}b.org/{z}/{x}/{y}",
            "https:///{z}/{x}/{y}",
        ] {
            assert!(parse_map_tiles(bad).is_err(), "{bad}");
        }
        let mut c = WebConfig::for_tests(PathBuf::from("/tmp"));
        assert!(
            c.csp()
                .contains("img-src 'self' data: blob: https://tile.openstreetmap.org;")
        );
        assert!(!c.csp().contains("https:;"));
        c.map_tiles = String::new();
        assert!(c.csp().contains("img-src 'self' data: blob:;"));
    }
}
