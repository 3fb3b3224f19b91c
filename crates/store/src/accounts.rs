//! Users, e-mail codes, web sessions and refresh-token families.

use crate::{Db, Error, Result, WritePool as _, dispatch, unique_violation};
use moim_core::time::{Millis, now_millis};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub email_verified_at: Option<i64>,
    pub password_hash: String,
    pub nickname: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub locale: String,
    pub time_zone: String,
    pub session_epoch: i64,
    pub created_at: i64,
}

impl User {
    pub fn is_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }
}

/// The columns of [`User`], as a literal so queries stay `&'static str` (no runtime-built SQL).
macro_rules! user_columns {
    () => {
        "id, email, email_verified_at, password_hash, nickname, bio, avatar_url, locale, time_zone, session_epoch, created_at"
    };
    ($p:literal) => {
        concat!($p, ".id, ", $p, ".email, ", $p, ".email_verified_at, ", $p, ".password_hash, ", $p,
            ".nickname, ", $p, ".bio, ", $p, ".avatar_url, ", $p, ".locale, ", $p, ".time_zone, ", $p,
            ".session_epoch, ", $p, ".created_at")
    };
}

const USER_INDEXES: &[(&str, &str, &str)] = &[
    ("users_email_key", "users.email", "email"),
    ("users_nickname_key", "users.nickname_key", "nickname"),
];

pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub nickname: &'a str,
    pub nickname_key: &'a str,
    pub locale: &'a str,
    pub time_zone: &'a str,
}

/// Creates an unverified account. An address that was registered but never verified is taken
/// over (nobody proved they own it); a verified one is a conflict on `email`.
pub async fn create_user(db: &Db, new: &NewUser<'_>) -> Result<Uuid> {
    let now = now_millis();
    let id = Uuid::now_v7();
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let existing: Option<(Uuid, Option<i64>)> =
            sqlx::query_as("SELECT id, email_verified_at FROM users WHERE email = $1")
                .bind(new.email)
                .fetch_optional(&mut *tx)
                .await?;
        let id = match existing {
            Some((_, Some(_))) => return Err(Error::Conflict("email")),
            Some((old, None)) => {
                sqlx::query(
                    "UPDATE users SET password_hash = $2, nickname = $3, nickname_key = $4, \
                     locale = $5, time_zone = $6, updated_at = $7 WHERE id = $1",
                )
                .bind(old)
                .bind(new.password_hash)
                .bind(new.nickname)
                .bind(new.nickname_key)
                .bind(new.locale)
                .bind(new.time_zone)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation(e, USER_INDEXES))?;
                old
            }
            None => {
                sqlx::query(
                    "INSERT INTO users (id, email, password_hash, nickname, nickname_key, locale, \
                     time_zone, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                )
                .bind(id)
                .bind(new.email)
                .bind(new.password_hash)
                .bind(new.nickname)
                .bind(new.nickname_key)
                .bind(new.locale)
                .bind(new.time_zone)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation(e, USER_INDEXES))?;
                id
            }
        };
        tx.commit().await?;
        Ok(id)
    })
}

pub async fn user_by_id(db: &Db, id: Uuid) -> Result<Option<User>> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, User>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<User>> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1");
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, User>(sql).bind(email).fetch_optional(pool).await?),
    )
}

pub async fn nickname_taken(db: &Db, nickname_key: &str, except: Option<Uuid>) -> Result<bool> {
    let row: Option<(Uuid,)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT id FROM users WHERE nickname_key = $1").bind(nickname_key).fetch_optional(pool).await?);
    Ok(row.is_some_and(|(id,)| Some(id) != except))
}

pub async fn mark_verified(db: &Db, user_id: Uuid) -> Result<()> {
    let now = now_millis();
    dispatch!(db, pool => sqlx::query(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2), updated_at = $2 WHERE id = $1")
        .bind(user_id).bind(now).execute(pool).await.map(|_| ())?);
    Ok(())
}

pub struct ProfileUpdate<'a> {
    pub nickname: &'a str,
    pub nickname_key: &'a str,
    pub bio: &'a str,
    pub avatar_url: Option<&'a str>,
    pub locale: &'a str,
    pub time_zone: &'a str,
}

pub async fn update_profile(db: &Db, user_id: Uuid, p: &ProfileUpdate<'_>) -> Result<()> {
    let now = now_millis();
    let res = dispatch!(db, pool => sqlx::query(
        "UPDATE users SET nickname = $2, nickname_key = $3, bio = $4, avatar_url = $5, locale = $6, \
         time_zone = $7, updated_at = $8 WHERE id = $1")
        .bind(user_id).bind(p.nickname).bind(p.nickname_key).bind(p.bio).bind(p.avatar_url)
        .bind(p.locale).bind(p.time_zone).bind(now)
        .execute(pool).await.map_err(|e| unique_violation(e, USER_INDEXES))?.rows_affected());
    if res == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Sets a new password hash and signs out every other device: other web sessions are deleted,
/// refresh-token families revoked and outstanding access tokens invalidated through the epoch.
pub async fn set_password(
    db: &Db,
    user_id: Uuid,
    password_hash: &str,
    keep_session: Option<&[u8]>,
) -> Result<()> {
    let now = now_millis();
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1, updated_at = $3 WHERE id = $1")
            .bind(user_id).bind(password_hash).bind(now).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id).bind(keep_session.unwrap_or(&[])).execute(&mut *tx).await?;
        sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(user_id).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(())
}

/// Deleting an account is refused while the user owns a group that is not being disbanded:
/// the group must be handed over or disbanded first (PRODUCT.md §1).
pub async fn delete_user(db: &Db, user_id: Uuid) -> Result<()> {
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let owned: Option<(Uuid,)> = sqlx::query_as(
            "SELECT id FROM groups WHERE owner_id = $1 AND disband_at IS NULL LIMIT 1")
            .bind(user_id).fetch_optional(&mut *tx).await?;
        if owned.is_some() {
            return Err(Error::Conflict("owned_groups"));
        }
        // Groups this user is the last owner of are all scheduled for deletion: go now.
        sqlx::query("DELETE FROM groups WHERE owner_id = $1").bind(user_id).execute(&mut *tx).await?;
        // Member counts of the groups the user leaves by disappearing.
        sqlx::query("UPDATE groups SET member_count = member_count - 1 WHERE id IN \
                     (SELECT group_id FROM memberships WHERE user_id = $1 AND status = 'active')")
            .bind(user_id).execute(&mut *tx).await?;
        // Course counters and comment placeholders (see `courses::FORGET_USER`).
        for sql in crate::courses::FORGET_USER {
            sqlx::query(*sql).bind(user_id).execute(&mut *tx).await?;
        }
        let n = sqlx::query("DELETE FROM users WHERE id = $1").bind(user_id).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(Error::NotFound);
        }
        tx.commit().await?;
    });
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// E-mail codes and reset tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// A six-digit code proving the address at sign-up.
    Verify,
    /// A long random token in a reset link.
    Reset,
}

impl CodePurpose {
    fn as_str(self) -> &'static str {
        match self {
            CodePurpose::Verify => "verify",
            CodePurpose::Reset => "reset",
        }
    }
}

/// Stores a new code for the user and retires the earlier ones of the same purpose, so only the
/// latest e-mail works.
pub async fn issue_code(
    db: &Db,
    user_id: Uuid,
    purpose: CodePurpose,
    secret_hash: &[u8],
    expires_at: Millis,
) -> Result<()> {
    let now = now_millis();
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query("UPDATE email_codes SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL")
            .bind(user_id).bind(purpose.as_str()).bind(now).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO email_codes (id, user_id, purpose, secret_hash, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(Uuid::now_v7()).bind(user_id).bind(purpose.as_str()).bind(secret_hash)
            .bind(expires_at).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub enum CodeCheck {
    Ok,
    Wrong,
    /// No live code: never sent, expired or already used.
    Expired,
    TooManyAttempts,
}

/// Wrong guesses a code survives before it is burnt.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// Checks a six-digit code; each wrong guess counts, and the code dies after five.
pub async fn check_code(
    db: &Db,
    user_id: Uuid,
    purpose: CodePurpose,
    secret_hash: &[u8],
) -> Result<CodeCheck> {
    let now = now_millis();
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let live: Option<(Uuid, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT id, secret_hash, attempts FROM email_codes WHERE user_id = $1 AND purpose = $2 \
             AND used_at IS NULL AND expires_at > $3 ORDER BY created_at DESC LIMIT 1")
            .bind(user_id).bind(purpose.as_str()).bind(now).fetch_optional(&mut *tx).await?;
        let outcome = match live {
            None => CodeCheck::Expired,
            Some((_, _, attempts)) if attempts >= MAX_CODE_ATTEMPTS => CodeCheck::TooManyAttempts,
            Some((id, stored, _)) if moim_core::secrets::constant_time_eq(&stored, secret_hash) => {
                sqlx::query("UPDATE email_codes SET used_at = $2 WHERE id = $1")
                    .bind(id).bind(now).execute(&mut *tx).await?;
                CodeCheck::Ok
            }
            Some((id, _, attempts)) => {
                sqlx::query("UPDATE email_codes SET attempts = attempts + 1 WHERE id = $1")
                    .bind(id).execute(&mut *tx).await?;
                if attempts + 1 >= MAX_CODE_ATTEMPTS { CodeCheck::TooManyAttempts } else { CodeCheck::Wrong }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    })
}

/// Consumes a reset token (single use) and returns whose it was.
pub async fn consume_token(
    db: &Db,
    purpose: CodePurpose,
    secret_hash: &[u8],
) -> Result<Option<Uuid>> {
    let now = now_millis();
    let row: Option<(Uuid,)> = dispatch!(db, pool => sqlx::query_as(
        "UPDATE email_codes SET used_at = $3 WHERE secret_hash = $1 AND purpose = $2 \
         AND used_at IS NULL AND expires_at > $3 RETURNING user_id")
        .bind(secret_hash).bind(purpose.as_str()).bind(now).fetch_optional(pool).await?);
    Ok(row.map(|(id,)| id))
}

/// Whether a reset token is still usable, without consuming it (to show the form or not).
pub async fn token_is_live(db: &Db, purpose: CodePurpose, secret_hash: &[u8]) -> Result<bool> {
    let now = now_millis();
    let row: Option<(Uuid,)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT user_id FROM email_codes WHERE secret_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3")
        .bind(secret_hash).bind(purpose.as_str()).bind(now).fetch_optional(pool).await?);
    Ok(row.is_some())
}

// ---------------------------------------------------------------------------------------------
// Web sessions

/// How often `last_seen_at` is refreshed: often enough to expire idle sessions, rarely enough
/// that reading a page is not a database write.
pub const TOUCH_EVERY: Millis = 10 * moim_core::time::MINUTE;

pub async fn create_session(
    db: &Db,
    user_id: Uuid,
    token_hash: &[u8],
    user_agent: &str,
    expires_at: Millis,
) -> Result<()> {
    let now = now_millis();
    let ua: String = user_agent.chars().take(200).collect();
    dispatch!(db, pool => sqlx::query(
        "INSERT INTO sessions (id, user_id, token_hash, user_agent, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $5, $6)")
        .bind(Uuid::now_v7()).bind(user_id).bind(token_hash).bind(ua).bind(now).bind(expires_at)
        .execute(pool).await.map(|_| ())?);
    Ok(())
}

/// The user behind a live session cookie. Sliding expiry: an active session is extended.
pub async fn session_user(db: &Db, token_hash: &[u8], idle_ms: Millis) -> Result<Option<User>> {
    Ok(session_lookup(db, token_hash, idle_ms)
        .await?
        .map(|s| s.user))
}

/// A live session with its user, as it stands after the sliding-expiry touch.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub user: User,
    pub last_seen_at: Millis,
    pub expires_at: Millis,
    /// The user's unread notifications, read in the same query (pages show it in the header,
    /// so a page saves a round trip).
    pub unread: i64,
}

/// [`session_user`] with the session's times, for callers that cache the answer.
pub async fn session_lookup(
    db: &Db,
    token_hash: &[u8],
    idle_ms: Millis,
) -> Result<Option<LiveSession>> {
    let now = now_millis();
    let sql = concat!(
        "SELECT s.id AS session_id, s.last_seen_at, s.expires_at, \
         (SELECT COUNT(*) FROM notifications n WHERE n.user_id = u.id AND n.read_at IS NULL) AS unread, ",
        user_columns!("u"),
        " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2"
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        session_id: Uuid,
        last_seen_at: i64,
        expires_at: i64,
        unread: i64,
        #[sqlx(flatten)]
        user: User,
    }
    let row: Option<Row> = dispatch!(db, pool => sqlx::query_as(sql).bind(token_hash).bind(now).fetch_optional(pool).await?);
    let Some(row) = row else { return Ok(None) };
    let (mut last_seen_at, mut expires_at) = (row.last_seen_at, row.expires_at);
    if now - row.last_seen_at > TOUCH_EVERY {
        dispatch!(db, pool => sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1")
            .bind(row.session_id).bind(now).bind(now + idle_ms).execute(pool).await.map(|_| ())?);
        (last_seen_at, expires_at) = (now, now + idle_ms);
    }
    Ok(Some(LiveSession {
        user: row.user,
        last_seen_at,
        expires_at,
        unread: row.unread,
    }))
}

pub async fn delete_session(db: &Db, token_hash: &[u8]) -> Result<()> {
    dispatch!(db, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|_| ())?);
    Ok(())
}

/// "Log out everywhere": every web session, every refresh-token family and every access token
/// (through the epoch) of the user stop working.
pub async fn sign_out_everywhere(db: &Db, user_id: Uuid) -> Result<()> {
    let now = now_millis();
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(user_id).bind(now).execute(&mut *tx).await?;
        sqlx::query("UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1")
            .bind(user_id).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(())
}

pub async fn purge_expired(db: &Db) -> Result<u64> {
    let now = now_millis();
    let n = dispatch!(db, pool => {
        let a = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?.rows_affected();
        let b = sqlx::query("DELETE FROM email_codes WHERE expires_at <= $1").bind(now - moim_core::time::DAY).execute(pool).await?.rows_affected();
        let c = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at <= $1").bind(now).execute(pool).await?.rows_affected();
        a + b + c
    });
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Refresh tokens

pub async fn insert_refresh(
    db: &Db,
    user_id: Uuid,
    family_id: Uuid,
    token_hash: &[u8],
    expires_at: Millis,
) -> Result<()> {
    let now = now_millis();
    dispatch!(db, pool => sqlx::query(
        "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(Uuid::now_v7()).bind(family_id).bind(user_id).bind(token_hash).bind(now).bind(expires_at)
        .execute(pool).await.map(|_| ())?);
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live; it is now used and `new_hash` is the family's live token.
    Rotated { user_id: Uuid, family_id: Uuid },
    /// Unknown, expired or revoked.
    Invalid,
    /// The token had already been used: somebody holds a copy. The whole family is revoked.
    Reused,
}

/// Exchanges a refresh token for a new one of the same family. The conditional update makes the
/// exchange single-use even under concurrent requests; presenting a used token revokes the family.
pub async fn rotate_refresh(
    db: &Db,
    old_hash: &[u8],
    new_hash: &[u8],
    new_expires_at: Millis,
) -> Result<Rotation> {
    let now = now_millis();
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let live: Option<(Uuid, Uuid)> = sqlx::query_as(
            "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL \
             AND revoked_at IS NULL AND expires_at > $2 RETURNING user_id, family_id")
            .bind(old_hash).bind(now).fetch_optional(&mut *tx).await?;
        let outcome = match live {
            Some((user_id, family_id)) => {
                sqlx::query("INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, expires_at) \
                             VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(Uuid::now_v7()).bind(family_id).bind(user_id).bind(new_hash).bind(now).bind(new_expires_at)
                    .execute(&mut *tx).await?;
                Rotation::Rotated { user_id, family_id }
            }
            None => {
                let known: Option<(Uuid, Option<i64>)> = sqlx::query_as(
                    "SELECT family_id, used_at FROM refresh_tokens WHERE token_hash = $1")
                    .bind(old_hash).fetch_optional(&mut *tx).await?;
                match known {
                    Some((family_id, Some(_))) => {
                        sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL")
                            .bind(family_id).bind(now).execute(&mut *tx).await?;
                        Rotation::Reused
                    }
                    _ => Rotation::Invalid,
                }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    })
}

/// Revokes the family of a refresh token (API log-out).
pub async fn revoke_family_of(db: &Db, token_hash: &[u8]) -> Result<bool> {
    let now = now_millis();
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND family_id = \
         (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)")
        .bind(token_hash).bind(now).execute(pool).await?.rows_affected());
    Ok(n > 0)
}
