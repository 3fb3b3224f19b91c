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
use crate::{Db, Result, Tx, TxInner, WritePool as _, dispatch, in_tx};
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

/// The notifications of any of `users` created at or after `from`, oldest first: the real-time
/// dispatcher's one read for every stream it wakes (instead of one per stream).
pub async fn recent_for_users(
    db: &Db,
    users: &[Uuid],
    from: Millis,
    limit: i64,
) -> Result<Vec<Notification>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    Ok(match db {
        Db::Postgres(pool) => {
            let sql = concat!(
                "SELECT ",
                columns!(),
                " FROM notifications WHERE user_id = ANY($1) AND created_at >= $2 \
                 ORDER BY created_at, id LIMIT CAST($3 AS BIGINT)"
            );
            sqlx::query_as(sql)
                .bind(users)
                .bind(from)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
        Db::Sqlite(pool) => {
            // Ids are 16-byte blobs here; the list travels as a JSON array of UUID strings.
            let sql = concat!(
                "SELECT ",
                columns!(),
                " FROM notifications WHERE user_id IN \
                 (SELECT unhex(replace(value, '-', '')) FROM json_each($1)) AND created_at >= $2 \
                 ORDER BY created_at, id LIMIT CAST($3 AS BIGINT)"
            );
            sqlx::query_as(sql)
                .bind(uuid_json(users))
                .bind(from)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
    })
}

/// The unread counts of `users` (users with none are left out).
pub async fn unread_counts(db: &Db, users: &[Uuid]) -> Result<Vec<(Uuid, i64)>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    Ok(match db {
        Db::Postgres(pool) => {
            sqlx::query_as(
                "SELECT user_id, COUNT(*) FROM notifications WHERE user_id = ANY($1) \
                 AND read_at IS NULL GROUP BY user_id",
            )
            .bind(users)
            .fetch_all(pool)
            .await?
        }
        Db::Sqlite(pool) => {
            sqlx::query_as(
                "SELECT user_id, COUNT(*) FROM notifications WHERE user_id IN \
                 (SELECT unhex(replace(value, '-', '')) FROM json_each($1)) \
                 AND read_at IS NULL GROUP BY user_id",
            )
            .bind(uuid_json(users))
            .fetch_all(pool)
            .await?
        }
    })
}

fn uuid_json(users: &[Uuid]) -> String {
    let mut s = String::with_capacity(users.len() * 39 + 2);
    s.push('[');
    for (i, u) in users.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('"');
        s.push_str(&u.to_string());
        s.push('"');
    }
    s.push(']');
    s
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

/// Bumps the SQLite change counter that `moim serve` polls to hear about notifications created
/// by another process (see migration `0013_notify_changes.sql`).
const BUMP_CHANGES: &str = "UPDATE notify_changes SET seq = seq + 1 WHERE id = 1 RETURNING seq";

/// The SQLite change counter: it grows whenever a transaction that created notifications
/// commits, in any process. Always 0 on PostgreSQL (not used there).
pub async fn change_seq(db: &Db) -> Result<i64> {
    let row: Option<(i64,)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT seq FROM notify_changes WHERE id = 1").fetch_optional(pool).await?);
    Ok(row.map_or(0, |r| r.0))
}

/// [`create_and_queue_in`] in a transaction of its own.
pub async fn create_and_queue(
    db: &Db,
    new: &[NewNotification],
    ch: &ChannelJobs<'_>,
) -> Result<Vec<Notification>> {
    let mut tx = db.begin().await?;
    let out = create_and_queue_in(&mut tx, new, ch).await?;
    tx.commit().await?;
    Ok(out)
}

/// Delivery, inside the caller's transaction (outbox style: the rows and their jobs commit with
/// the domain change that caused them, or not at all): creates the notifications (a known
/// `dedupe_key` is skipped) and queues for each new row its e-mail job (`email:{id}`, at
/// `email_at`), its push job (`push:{id}`, only if the recipient has a subscription) and its SMS
/// job (`sms:{id}`, only with a number). The recipients are recorded in the transaction
/// ([`Tx::take_notified`]) for the real-time wake-up after the commit. Returns the rows created.
pub async fn create_and_queue_in(
    tx: &mut Tx,
    new: &[NewNotification],
    ch: &ChannelJobs<'_>,
) -> Result<Vec<Notification>> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let now = now_millis();
    let ids: Vec<Uuid> = new.iter().map(|_| Uuid::now_v7()).collect();
    let mut seq = None;
    let mut out: Vec<Notification> = match &mut tx.inner {
        // One statement per row: SQLite runs in-process, a statement costs microseconds.
        TxInner::Sqlite(t) => {
            let conn: &mut sqlx::SqliteConnection = &mut *t;
            let mut out = Vec::with_capacity(new.len());
            for (n, id) in new.iter().zip(&ids) {
                let row: Option<Notification> = sqlx::query_as(INSERT_ONE)
                    .bind(id)
                    .bind(n.user_id)
                    .bind(&n.kind)
                    .bind(&n.category)
                    .bind(&n.params)
                    .bind(&n.link)
                    .bind(n.group_id)
                    .bind(n.actor_id)
                    .bind(n.dedupe_key.as_deref())
                    .bind(now)
                    .fetch_optional(&mut *conn)
                    .await?;
                out.extend(row);
            }
            if !out.is_empty() {
                let row: Option<(i64,)> = sqlx::query_as(BUMP_CHANGES)
                    .fetch_optional(&mut *conn)
                    .await?;
                seq = row.map(|r| r.0);
            }
            out
        }
        // One statement for the whole batch: a round trip per row to the server was most of
        // the time of a notification to 1 000 members.
        TxInner::Postgres(t) => {
            let conn: &mut sqlx::PgConnection = &mut *t;
            sqlx::query_as(INSERT_MANY_PG)
                .bind(&ids)
                .bind(new.iter().map(|n| n.user_id).collect::<Vec<_>>())
                .bind(new.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>())
                .bind(new.iter().map(|n| n.category.as_str()).collect::<Vec<_>>())
                .bind(new.iter().map(|n| n.params.as_str()).collect::<Vec<_>>())
                .bind(new.iter().map(|n| n.link.as_str()).collect::<Vec<_>>())
                .bind(new.iter().map(|n| n.group_id).collect::<Vec<_>>())
                .bind(new.iter().map(|n| n.actor_id).collect::<Vec<_>>())
                .bind(
                    new.iter()
                        .map(|n| n.dedupe_key.as_deref())
                        .collect::<Vec<_>>(),
                )
                .bind(now)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    // UUIDv7 ids were drawn in the order of `new`.
    out.sort_by_key(|n| n.id);
    if out.is_empty() {
        return Ok(out);
    }
    let first = out.iter().map(|n| n.id).min().unwrap_or_default();
    let (push, sms): (Vec<(Uuid,)>, Vec<(Uuid,)>) = in_tx!(tx, conn => (
        sqlx::query_as(PUSH_REACHABLE).bind(now).bind(first).fetch_all(&mut *conn).await?,
        sqlx::query_as(SMS_REACHABLE).bind(now).bind(first).fetch_all(&mut *conn).await?,
    ));
    // The channel jobs: (id, kind, payload, unique key, run at).
    let mut jobs: Vec<(Uuid, &str, String, String, Millis)> = Vec::with_capacity(out.len() * 2);
    for n in &out {
        let payload = format!("{{\"notification\":\"{}\"}}", n.id);
        if push.iter().any(|u| u.0 == n.user_id) {
            jobs.push((
                Uuid::now_v7(),
                ch.push_kind,
                payload.clone(),
                format!("push:{}", n.id),
                now,
            ));
        }
        if sms.iter().any(|u| u.0 == n.user_id) {
            jobs.push((
                Uuid::now_v7(),
                ch.sms_kind,
                payload.clone(),
                format!("sms:{}", n.id),
                now,
            ));
        }
        jobs.push((
            Uuid::now_v7(),
            ch.email_kind,
            payload,
            format!("email:{}", n.id),
            ch.email_at,
        ));
    }
    match &mut tx.inner {
        TxInner::Sqlite(t) => {
            let conn: &mut sqlx::SqliteConnection = &mut *t;
            for (id, kind, payload, key, at) in &jobs {
                sqlx::query(crate::jobs::INSERT_JOB)
                    .bind(id)
                    .bind(*kind)
                    .bind(payload)
                    .bind(key)
                    .bind(at)
                    .bind(5_i64)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        TxInner::Postgres(t) => {
            let conn: &mut sqlx::PgConnection = &mut *t;
            sqlx::query(INSERT_JOBS_PG)
                .bind(jobs.iter().map(|j| j.0).collect::<Vec<_>>())
                .bind(jobs.iter().map(|j| j.1).collect::<Vec<_>>())
                .bind(jobs.iter().map(|j| j.2.as_str()).collect::<Vec<_>>())
                .bind(jobs.iter().map(|j| j.3.as_str()).collect::<Vec<_>>())
                .bind(jobs.iter().map(|j| j.4).collect::<Vec<_>>())
                .bind(now)
                .execute(&mut *conn)
                .await?;
        }
    }
    tx.notified.extend(out.iter().map(|n| n.user_id));
    if seq.is_some() {
        tx.change_seq = seq;
    }
    Ok(out)
}

const INSERT_ONE: &str = concat!(
    "INSERT INTO notifications (id, user_id, kind, category, params, link, group_id, actor_id, \
     dedupe_key, read_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10) \
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING ",
    columns!()
);

const INSERT_MANY_PG: &str = concat!(
    "INSERT INTO notifications (id, user_id, kind, category, params, link, group_id, actor_id, \
     dedupe_key, read_at, created_at) \
     SELECT u.id, u.user_id, u.kind, u.category, u.params, u.link, u.group_id, u.actor_id, \
     u.dedupe_key, NULL::BIGINT, $10 FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], \
     $5::text[], $6::text[], $7::uuid[], $8::uuid[], $9::text[]) \
     AS u(id, user_id, kind, category, params, link, group_id, actor_id, dedupe_key) \
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING ",
    columns!()
);

const INSERT_JOBS_PG: &str = "INSERT INTO jobs (id, kind, payload, unique_key, status, run_at, \
     attempts, max_attempts, created_at, updated_at) \
     SELECT u.id, u.kind, u.payload, u.unique_key, 'queued', u.run_at, 0, 5, $6, $6 \
     FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[]) \
     AS u(id, kind, payload, unique_key, run_at) ON CONFLICT (unique_key) DO NOTHING";
