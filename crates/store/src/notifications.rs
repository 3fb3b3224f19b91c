//! In-app notifications and per-user channel preferences.
//!
//! A notification row is the source of truth for every channel: the page, the real-time stream,
//! e-mail, push and SMS all start from it. Title and body are not stored; `kind` and `params`
//! (a JSON object) are rendered in the reader's language when shown or sent. Rows are created in
//! batches ([`create`]); a row with a `dedupe_key` is created at most once, which makes the job
//! that delivers a reminder safe to run again after a crash.
//!
//! Every read and write is scoped by `user_id`: a user can only see, mark or delete their own.

use crate::groups::Cursor;
use crate::{Db, Result, WritePool as _, dispatch};
use moim_core::time::{Millis, now_millis};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, PartialEq, Eq)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub category: String,
    /// JSON object of `{name}` substitutions for the kind's title and body.
    pub params: String,
    pub link: String,
    pub group_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub dedupe_key: Option<String>,
    pub read_at: Option<i64>,
    pub created_at: i64,
}

macro_rules! columns {
    () => {
        "id, user_id, kind, category, params, link, group_id, actor_id, dedupe_key, read_at, created_at"
    };
}

/// A notification to create.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: Uuid,
    pub kind: String,
    pub category: String,
    pub params: String,
    pub link: String,
    pub group_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub dedupe_key: Option<String>,
}

/// Creates the notifications in one transaction and returns the rows really created, in order.
/// A row whose `dedupe_key` exists already is skipped (not an error).
pub async fn create(db: &Db, new: &[NewNotification]) -> Result<Vec<Notification>> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let sql = concat!(
        "INSERT INTO notifications (id, user_id, kind, category, params, link, group_id, actor_id, \
         dedupe_key, read_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10) \
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING ",
        columns!()
    );
    let now = now_millis();
    let mut out = Vec::with_capacity(new.len());
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        for n in new {
            let row: Option<Notification> = sqlx::query_as(sql)
                .bind(Uuid::now_v7()).bind(n.user_id).bind(&n.kind).bind(&n.category)
                .bind(&n.params).bind(&n.link).bind(n.group_id).bind(n.actor_id)
                .bind(n.dedupe_key.as_deref()).bind(now)
                .fetch_optional(&mut *tx).await?;
            out.extend(row);
        }
        tx.commit().await?;
    });
    Ok(out)
}

pub async fn get(db: &Db, user_id: Uuid, id: Uuid) -> Result<Option<Notification>> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM notifications WHERE id = $1 AND user_id = $2"
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as(sql).bind(id).bind(user_id).fetch_optional(pool).await?),
    )
}

/// Any user's notification by id (for the delivery jobs; never for a request).
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<Notification>> {
    let sql = concat!("SELECT ", columns!(), " FROM notifications WHERE id = $1");
    Ok(dispatch!(db, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn by_dedupe_key(db: &Db, key: &str) -> Result<Option<Notification>> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM notifications WHERE dedupe_key = $1"
    );
    Ok(dispatch!(db, pool => sqlx::query_as(sql).bind(key).fetch_optional(pool).await?))
}

/// Filters of the notification list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    pub kind: Option<&'a str>,
    pub category: Option<&'a str>,
    pub unread_only: bool,
}

/// A user's notifications newest first, after `cursor` (the last row of the previous page).
pub async fn list(
    db: &Db,
    user_id: Uuid,
    filter: &Filter<'_>,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Vec<Notification>> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM notifications WHERE user_id = $1 \
         AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR category = $3) \
         AND ($4 = FALSE OR read_at IS NULL) \
         AND (created_at < $5 OR (created_at = $5 AND id < $6)) \
         ORDER BY created_at DESC, id DESC LIMIT CAST($7 AS BIGINT)"
    );
    let (at, id) = after.map_or((i64::MAX, Uuid::max()), |c| (c.at, c.id));
    Ok(dispatch!(db, pool => sqlx::query_as(sql)
        .bind(user_id).bind(filter.kind).bind(filter.category).bind(filter.unread_only)
        .bind(at).bind(id).bind(limit).fetch_all(pool).await?))
}

/// A user's notifications created after the one with id `after` (UUIDv7 ids grow with time),
/// oldest first: the replay of a real-time stream that reconnects with `Last-Event-ID`.
pub async fn since(db: &Db, user_id: Uuid, after: Uuid, limit: i64) -> Result<Vec<Notification>> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM notifications WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT CAST($3 AS BIGINT)"
    );
    Ok(dispatch!(db, pool => sqlx::query_as(sql)
        .bind(user_id).bind(after).bind(limit).fetch_all(pool).await?))
}

/// A user's notifications created at or after `from`, oldest first (a real-time stream's read).
pub async fn created_since(
    db: &Db,
    user_id: Uuid,
    from: Millis,
    limit: i64,
) -> Result<Vec<Notification>> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM notifications WHERE user_id = $1 AND created_at >= $2 \
         ORDER BY created_at, id LIMIT CAST($3 AS BIGINT)"
    );
    Ok(dispatch!(db, pool => sqlx::query_as(sql)
        .bind(user_id).bind(from).bind(limit).fetch_all(pool).await?))
}

pub async fn unread_count(db: &Db, user_id: Uuid) -> Result<i64> {
    let row: (i64,) = dispatch!(db, pool => sqlx::query_as(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user_id).fetch_one(pool).await?);
    Ok(row.0)
}

/// Whether the notification was read (or deleted, which counts as dealt with): the channels
/// check this just before sending.
pub async fn is_read_or_gone(db: &Db, id: Uuid) -> Result<bool> {
    let row: Option<(Option<i64>,)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT read_at FROM notifications WHERE id = $1")
        .bind(id).fetch_optional(pool).await?);
    Ok(row.is_none_or(|r| r.0.is_some()))
}

/// Marks one of the user's notifications read. `false` when it is not theirs or does not exist;
/// marking a read one again keeps its first read time.
pub async fn mark_read(db: &Db, user_id: Uuid, id: Uuid) -> Result<bool> {
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND user_id = $2")
        .bind(id).bind(user_id).bind(now_millis()).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Marks every unread notification of the user read; returns how many.
pub async fn mark_all_read(db: &Db, user_id: Uuid) -> Result<u64> {
    Ok(dispatch!(db, pool => sqlx::query(
        "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL")
        .bind(user_id).bind(now_millis()).execute(pool).await?.rows_affected()))
}

/// Deletes one of the user's notifications. `false` when it is not theirs or does not exist.
pub async fn delete(db: &Db, user_id: Uuid, id: Uuid) -> Result<bool> {
    let n = dispatch!(db, pool => sqlx::query(
        "DELETE FROM notifications WHERE id = $1 AND user_id = $2")
        .bind(id).bind(user_id).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Retention: deletes notifications created before `before`; returns how many.
pub async fn purge_before(db: &Db, before: Millis) -> Result<u64> {
    Ok(dispatch!(db, pool => sqlx::query(
        "DELETE FROM notifications WHERE created_at < $1")
        .bind(before).execute(pool).await?.rows_affected()))
}

/// The user's stored channel preferences as `(category, channel, enabled)`; a missing pair
/// means the default (on).
pub async fn prefs(db: &Db, user_id: Uuid) -> Result<Vec<(String, String, bool)>> {
    Ok(dispatch!(db, pool => sqlx::query_as(
        "SELECT category, channel, enabled FROM notification_prefs WHERE user_id = $1 \
         ORDER BY category, channel")
        .bind(user_id).fetch_all(pool).await?))
}

/// Whether `channel` is on for the user's `category` (on unless turned off).
pub async fn channel_enabled(
    db: &Db,
    user_id: Uuid,
    category: &str,
    channel: &str,
) -> Result<bool> {
    let row: Option<(bool,)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT enabled FROM notification_prefs WHERE user_id = $1 AND category = $2 AND channel = $3")
        .bind(user_id).bind(category).bind(channel).fetch_optional(pool).await?);
    Ok(row.is_none_or(|r| r.0))
}

pub async fn set_pref(
    db: &Db,
    user_id: Uuid,
    category: &str,
    channel: &str,
    enabled: bool,
) -> Result<()> {
    dispatch!(db, pool => sqlx::query(
        "INSERT INTO notification_prefs (user_id, category, channel, enabled, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, category, channel) \
         DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at")
        .bind(user_id).bind(category).bind(channel).bind(enabled).bind(now_millis())
        .execute(pool).await?.rows_affected());
    Ok(())
}

// --- delivery addresses: Web Push subscriptions and SMS numbers ---------------------------------

/// A browser's Web Push subscription.
#[derive(Debug, Clone, sqlx::FromRow, PartialEq, Eq)]
pub struct PushSubscription {
    pub id: Uuid,
    pub user_id: Uuid,
    pub endpoint: String,
    /// base64url P-256 public key of the browser.
    pub p256dh: String,
    /// base64url 16-byte auth secret.
    pub auth: String,
    pub user_agent: String,
    pub created_at: i64,
}

/// Stores (or takes over, when the endpoint is known) a subscription for `user_id`. The endpoint
/// is unique: a browser subscribed by someone else and now used by `user_id` moves to them.
pub async fn upsert_push_subscription(
    db: &Db,
    user_id: Uuid,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    user_agent: &str,
) -> Result<PushSubscription> {
    let sql = "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, user_agent, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (endpoint) DO UPDATE SET \
         user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth, \
         user_agent = excluded.user_agent, created_at = excluded.created_at \
         RETURNING id, user_id, endpoint, p256dh, auth, user_agent, created_at";
    Ok(dispatch!(db, pool => sqlx::query_as(sql)
        .bind(Uuid::now_v7()).bind(user_id).bind(endpoint).bind(p256dh).bind(auth)
        .bind(user_agent).bind(now_millis()).fetch_one(pool).await?))
}

/// The user's push subscriptions, oldest first.
pub async fn push_subscriptions(db: &Db, user_id: Uuid) -> Result<Vec<PushSubscription>> {
    Ok(dispatch!(db, pool => sqlx::query_as(
        "SELECT id, user_id, endpoint, p256dh, auth, user_agent, created_at FROM push_subscriptions \
         WHERE user_id = $1 ORDER BY created_at, id")
        .bind(user_id).fetch_all(pool).await?))
}

/// Removes the user's subscription with this endpoint; `false` when there was none of theirs.
pub async fn delete_push_subscription(db: &Db, user_id: Uuid, endpoint: &str) -> Result<bool> {
    let n = dispatch!(db, pool => sqlx::query(
        "DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2")
        .bind(user_id).bind(endpoint).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Removes a subscription the push service said is gone (404/410).
pub async fn delete_push_subscription_by_id(db: &Db, id: Uuid) -> Result<bool> {
    let n = dispatch!(db, pool => sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
        .bind(id).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// The user's SMS number (E.164), if any.
pub async fn phone(db: &Db, user_id: Uuid) -> Result<Option<String>> {
    let row: Option<(String,)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT phone FROM notification_phones WHERE user_id = $1")
        .bind(user_id).fetch_optional(pool).await?);
    Ok(row.map(|r| r.0))
}

/// Sets (`Some`, already validated) or removes (`None`) the user's SMS number.
pub async fn set_phone(db: &Db, user_id: Uuid, phone: Option<&str>) -> Result<()> {
    match phone {
        Some(p) => dispatch!(db, pool => sqlx::query(
            "INSERT INTO notification_phones (user_id, phone, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET phone = excluded.phone, updated_at = excluded.updated_at")
            .bind(user_id).bind(p).bind(now_millis()).execute(pool).await.map(|_| ())?),
        None => {
            dispatch!(db, pool => sqlx::query("DELETE FROM notification_phones WHERE user_id = $1")
            .bind(user_id).execute(pool).await.map(|_| ())?)
        }
    }
    Ok(())
}

/// The channel jobs [`create_and_queue`] adds for each new notification (kinds and the e-mail
/// delay come from the web layer, which owns the handlers).
#[derive(Debug, Clone, Copy)]
pub struct ChannelJobs<'a> {
    pub email_kind: &'a str,
    pub email_at: Millis,
    pub push_kind: &'a str,
    pub sms_kind: &'a str,
}

/// The recipients among the rows just created (same `created_at`, ids from `$2` on) who have a
/// push subscription / an SMS number: two set-based reads per batch instead of one per row.
/// Rows of concurrent transactions with the same millisecond may add candidates; only the
/// batch's own rows get jobs.
const PUSH_REACHABLE: &str = "SELECT DISTINCT n.user_id FROM notifications n \
     WHERE n.created_at = $1 AND n.id >= $2 \
     AND EXISTS (SELECT 1 FROM push_subscriptions p WHERE p.user_id = n.user_id)";
const SMS_REACHABLE: &str = "SELECT DISTINCT n.user_id FROM notifications n \
     WHERE n.created_at = $1 AND n.id >= $2 \
     AND EXISTS (SELECT 1 FROM notification_phones p WHERE p.user_id = n.user_id)";

/// The bulk path of delivery, in ONE transaction: creates the notifications (a known
/// `dedupe_key` is skipped), queues for each new row its e-mail job (`email:{id}`, at
/// `email_at`), its push job (`push:{id}`, only if the recipient has a subscription) and its SMS
/// job (`sms:{id}`, only with a number), and completes the claimed jobs `done` (conditionally on
/// their claim, as [`crate::jobs::complete`]). Returns the rows created.
pub async fn create_and_queue(
    db: &Db,
    new: &[NewNotification],
    ch: &ChannelJobs<'_>,
    done: &[crate::jobs::Job],
) -> Result<Vec<Notification>> {
    let sql = concat!(
        "INSERT INTO notifications (id, user_id, kind, category, params, link, group_id, actor_id, \
         dedupe_key, read_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10) \
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING ",
        columns!()
    );
    let now = now_millis();
    let mut out = Vec::with_capacity(new.len());
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        for n in new {
            let row: Option<Notification> = sqlx::query_as(sql)
                .bind(Uuid::now_v7()).bind(n.user_id).bind(&n.kind).bind(&n.category)
                .bind(&n.params).bind(&n.link).bind(n.group_id).bind(n.actor_id)
                .bind(n.dedupe_key.as_deref()).bind(now)
                .fetch_optional(&mut *tx).await?;
            out.extend(row);
        }
        let first = out.iter().map(|n| n.id).min();
        let (mut push, mut sms): (Vec<(Uuid,)>, Vec<(Uuid,)>) = (Vec::new(), Vec::new());
        if let Some(first) = first {
            push = sqlx::query_as(PUSH_REACHABLE).bind(now).bind(first)
                .fetch_all(&mut *tx).await?;
            sms = sqlx::query_as(SMS_REACHABLE).bind(now).bind(first)
                .fetch_all(&mut *tx).await?;
        }
        for n in &out {
            let payload = format!("{{\"notification\":\"{}\"}}", n.id);
            sqlx::query(crate::jobs::INSERT_JOB)
                .bind(Uuid::now_v7()).bind(ch.email_kind).bind(&payload)
                .bind(format!("email:{}", n.id)).bind(ch.email_at).bind(5_i64).bind(now)
                .execute(&mut *tx).await?;
            if push.iter().any(|u| u.0 == n.user_id) {
                sqlx::query(crate::jobs::INSERT_JOB)
                    .bind(Uuid::now_v7()).bind(ch.push_kind).bind(&payload)
                    .bind(format!("push:{}", n.id)).bind(now).bind(5_i64).bind(now)
                    .execute(&mut *tx).await?;
            }
            if sms.iter().any(|u| u.0 == n.user_id) {
                sqlx::query(crate::jobs::INSERT_JOB)
                    .bind(Uuid::now_v7()).bind(ch.sms_kind).bind(&payload)
                    .bind(format!("sms:{}", n.id)).bind(now).bind(5_i64).bind(now)
                    .execute(&mut *tx).await?;
            }
        }
        for j in done {
            sqlx::query(crate::jobs::COMPLETE_JOB)
                .bind(j.id).bind(j.locked_by.as_deref()).bind(j.attempts).bind(now)
                .execute(&mut *tx).await?;
        }
        tx.commit().await?;
    });
    Ok(out)
}
