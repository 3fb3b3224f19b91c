//! The notification seam every module calls: [`notify_in`] a user inside the domain change's
//! transaction (then [`commit`]), [`remind`] users about an object at a time, [`remind_every`]
//! users or a group's members on a cron schedule in the group's zone, [`cancel_reminders`]
//! about an object.
//!
//! - **Outbox style.** [`notify_in`] stores one row per recipient, and queues its channel jobs,
//!   in the caller's open transaction (`moim_store::Tx`): the notification exists exactly when
//!   the change that caused it commits. [`commit`] then wakes the recipients' open pages (after
//!   the commit, so a page never reads a row that is not there yet). [`notify`] is the same in a
//!   transaction of its own, for notices that are not part of a domain change.
//! - **The actor is never notified** about their own action, whatever the caller passes.
//! - **Reminders are jobs.** One job per (object, key, recipient) under the unique key
//!   `remind:{object}:{key}:{recipient}`, so calling [`remind`] twice never doubles a reminder and
//!   calling it with a new time moves it; [`cancel_reminders`] cancels every job whose key
//!   starts with `remind:{object}:`, also one a runner has already claimed. The job
//!   ([`REMINDER_JOB`]) completes itself in the transaction that creates the in-app row (dedupe
//!   key `{job key}@{at}`), conditionally on its claim: a reminder cancelled or moved while its
//!   job ran delivers nothing, and a job run again after a crash creates nothing twice.
//! - **Recurring reminders** ([`remind_every`]) are rows of `job_schedules` named
//!   `remind:{object}:{key}` (cron in the group's zone, DST-correct); each occurrence is a
//!   [`RECURRING_JOB`] job that resolves its audience (a group's current members) when it runs.
//! - **Rendering.** Title and body are `notify.<kind>.title` / `notify.<kind>.body` from the
//!   emitting module's `STRINGS`, with `{name}` placeholders filled from `params`, in the
//!   reader's language at the time it is read (or sent).
//! - **Channels.** Every channel starts from the in-app row: e-mail ([`EMAIL_JOB`], after
//!   `notify_email_delay`), Web Push ([`PUSH_JOB`], [`push`]) and SMS ([`SMS_JOB`], [`sms`]).
//!   Push and SMS jobs are only queued for recipients who have a subscription or a number. Each
//!   job checks, just before sending, that the notification is still unread and that the
//!   RECIPIENT's preference for its category and channel is on.

use crate::error::ApiError;
use crate::i18n::Tr;
use crate::{App, AppState};
use moim_core::time::Millis;
use moim_jobs::{JobCtx, JobError, NewJob, Registry};
use moim_store::Tx;
use moim_store::notifications::{self as store, NewNotification, Notification};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod http;
pub mod push;
pub mod sms;

/// Preference categories: the part of a kind before the first `.`.
pub const CATEGORIES: [&str; 8] = [
    "group",
    "roster",
    "meetup",
    "course",
    "mission",
    "chat",
    "mentoring",
    "system",
];

/// Channels besides in-app (which is always on), each switchable per category.
pub const CHANNELS: [&str; 3] = ["email", "push", "sms"];

/// The job kind that delivers a due reminder.
pub const REMINDER_JOB: &str = "notify.reminder";

/// One notification for one user.
#[derive(Debug, Clone)]
pub struct Notice {
    /// The user to notify.
    pub recipient: Uuid,
    /// `"roster.published"`, `"meetup.applied"`, ...; the category for preferences is the part
    /// before the first `.`.
    pub kind: &'static str,
    /// Substituted into `notify.<kind>.title` / `notify.<kind>.body` (`{name}` placeholders).
    pub params: Vec<(&'static str, String)>,
    /// A path inside moim, e.g. `/groups/<id>/rosters/<rid>`.
    pub link: String,
    pub group: Option<Uuid>,
    /// Who caused it; never notified about their own action.
    pub actor: Option<Uuid>,
}

/// What a reminder job carries: a [`Notice`] with owned strings.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NoticeData {
    recipient: Uuid,
    kind: String,
    params: serde_json::Map<String, serde_json::Value>,
    link: String,
    group: Option<Uuid>,
    actor: Option<Uuid>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ReminderPayload {
    /// The time asked for; part of the dedupe key, so a moved reminder fires again.
    at: Millis,
    notice: NoticeData,
}

/// The category of a kind, when the kind is well formed (`<category>.<event>`).
pub fn category_of(kind: &str) -> Option<&'static str> {
    let (cat, rest) = kind.split_once('.')?;
    if rest.is_empty()
        || !kind.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_' || c == '-'
        })
    {
        return None;
    }
    CATEGORIES.iter().copied().find(|c| *c == cat)
}

impl NoticeData {
    /// Checks what the calling module passed. A bad kind or link is a programming error of the
    /// caller, so it fails loudly (500 in the log) rather than storing a broken notification.
    fn from_notice(n: Notice) -> Result<Self, ApiError> {
        if category_of(n.kind).is_none() {
            return Err(ApiError::internal(format!(
                "notification kind {:?} is not <category>.<event> with a known category",
                n.kind
            )));
        }
        if !n.link.starts_with('/') || n.link.starts_with("//") {
            return Err(ApiError::internal(format!(
                "notification link {:?} is not a path inside moim",
                n.link
            )));
        }
        Ok(Self {
            recipient: n.recipient,
            kind: n.kind.to_owned(),
            params: n
                .params
                .into_iter()
                .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
                .collect(),
            link: n.link,
            group: n.group,
            actor: n.actor,
        })
    }

    fn self_inflicted(&self) -> bool {
        self.actor == Some(self.recipient)
    }

    fn into_row(self, dedupe_key: Option<String>) -> NewNotification {
        NewNotification {
            user_id: self.recipient,
            category: category_of(&self.kind).unwrap_or("system").to_owned(),
            kind: self.kind,
            params: serde_json::Value::Object(self.params).to_string(),
            link: self.link,
            group_id: self.group,
            actor_id: self.actor,
            dedupe_key,
        }
    }
}

/// Stores the in-app notification(s) and queues their channel delivery (e-mail/push/SMS by the
/// recipient's preferences) inside the caller's transaction: they commit with the domain change
/// that caused them, or not at all (outbox style). Finish with [`commit`], which wakes the open
/// pages of the recipients once the transaction has committed.
pub async fn notify_in(app: &App, tx: &mut Tx, notices: Vec<Notice>) -> Result<(), ApiError> {
    let mut rows = Vec::with_capacity(notices.len());
    for n in notices {
        let d = NoticeData::from_notice(n)?;
        if !d.self_inflicted() {
            rows.push(d.into_row(None));
        }
    }
    store::create_and_queue_in(tx, &rows, &channel_jobs(app)).await?;
    Ok(())
}

/// Commits a transaction that may have created notifications, then wakes the open pages of
/// their recipients on every instance. Use it instead of `Tx::commit` after [`notify_in`]
/// (with a plain commit the notifications are still durable; pages then see them at their next
/// periodic check).
pub async fn commit(app: &App, mut tx: Tx) -> Result<(), ApiError> {
    let users = tx.take_notified();
    let seq = tx.change_seq();
    tx.commit().await?;
    app.hub.own_change(seq);
    delivered(app, users).await;
    Ok(())
}

/// A notification that is not part of a domain change (tests, operators): [`notify_in`] in a
/// transaction of its own.
pub async fn notify(app: &App, notices: Vec<Notice>) -> Result<(), ApiError> {
    let mut tx = app.db.begin().await?;
    notify_in(app, &mut tx, notices).await?;
    commit(app, tx).await
}

/// The channel jobs queued with each new row (see `store::create_and_queue_in`).
fn channel_jobs(app: &App) -> store::ChannelJobs<'static> {
    store::ChannelJobs {
        email_kind: EMAIL_JOB,
        email_at: moim_core::time::now_millis()
            + app.config.notify_email_delay.as_millis() as Millis,
        push_kind: PUSH_JOB,
        sms_kind: SMS_JOB,
    }
}

/// What happens once rows (and their channel jobs) have committed: open pages of the
/// recipients (one entry per row) are woken up, on every instance.
async fn delivered(app: &App, mut users: Vec<Uuid>) {
    if users.is_empty() {
        return;
    }
    metrics::counter!("moim_notifications_created_total").increment(users.len() as u64);
    users.sort_unstable();
    users.dedup();
    // This instance's read cache forgets the badges now; the hub tells the others (and this
    // one again, harmlessly).
    app.cache.forget_unread(&users);
    app.hub.publish(&users).await;
}

/// The job kind that pushes one notification to the recipient's browsers.
pub const PUSH_JOB: &str = "notify.push";
/// The job kind that texts one notification to the recipient's phone.
pub const SMS_JOB: &str = "notify.sms";

/// A notification about to leave by `channel`, when it still should (checked now): unread,
/// not deleted, and the recipient's preference for its category on.
async fn still_wanted(
    db: &moim_store::Db,
    id: Uuid,
    channel: &'static str,
) -> Result<Option<Notification>, JobError> {
    let Some(n) = store::by_id(db, id).await? else {
        return Ok(None);
    };
    if n.read_at.is_some() {
        metrics::counter!("moim_notification_channel_skipped_total", "channel" => channel, "reason" => "read")
            .increment(1);
        return Ok(None);
    }
    if !store::channel_enabled(db, n.user_id, &n.category, channel).await? {
        metrics::counter!("moim_notification_channel_skipped_total", "channel" => channel, "reason" => "preference")
            .increment(1);
        return Ok(None);
    }
    Ok(Some(n))
}

/// The recipient's language for rendering a notification sent outside the app.
async fn recipient_tr(db: &moim_store::Db, user: Uuid) -> Result<Option<Tr>, JobError> {
    Ok(moim_store::accounts::user_by_id(db, user)
        .await?
        .map(|u| Tr::new(moim_core::accounts::Locale::parse(&u.locale).unwrap_or_default())))
}

/// Pushes one notification to every browser the recipient subscribed. Subscriptions the push
/// service reports gone (404/410) or that are malformed are deleted; any other failure retries
/// the job (browsers that already got it show the retry in place: same `tag`). Returns how many
/// browsers accepted it.
async fn push_job(app: &App, ctx: JobCtx) -> Result<usize, JobError> {
    let p: EmailPayload = ctx.payload()?;
    let Some(n) = still_wanted(&ctx.db, p.notification, "push").await? else {
        return Ok(0);
    };
    let subs = store::push_subscriptions(&ctx.db, n.user_id).await?;
    if subs.is_empty() {
        return Ok(0);
    }
    let Some(t) = recipient_tr(&ctx.db, n.user_id).await? else {
        return Ok(0);
    };
    let (title, body) = render(&t, &n);
    // One push record holds ~3.9 KB: long texts are cut (the app shows them whole).
    let cut = |s: String, max: usize| -> String {
        if s.chars().count() <= max {
            s
        } else {
            s.chars().take(max - 1).chain(['…']).collect()
        }
    };
    let (title, body) = (cut(title, 200), cut(body, 600));
    let payload = serde_json::json!({
        "id": n.id, "title": title, "body": body, "url": n.link, "tag": n.id.to_string(),
    })
    .to_string();
    let subject = app.config.vapid_subject();
    let mut sent = 0;
    let mut failure = None;
    for s in subs {
        let r = push::send(
            &app.vapid,
            &subject,
            &s.endpoint,
            &s.p256dh,
            &s.auth,
            payload.as_bytes(),
            app.config.channel_timeout,
        )
        .await;
        match r {
            Ok(()) => sent += 1,
            Err(e @ (push::PushError::Gone(_) | push::PushError::BadSubscription(_))) => {
                tracing::info!(subscription = %s.id, error = %e, "push subscription removed");
                store::delete_push_subscription_by_id(&ctx.db, s.id).await?;
                metrics::counter!("moim_push_subscriptions_removed_total").increment(1);
            }
            Err(e) => {
                tracing::warn!(subscription = %s.id, error = %e, "push failed");
                failure = Some(e);
            }
        }
    }
    metrics::counter!("moim_notification_pushes_sent_total").increment(sent as u64);
    match failure {
        Some(e) => Err(JobError::retry(e)),
        None => Ok(sent),
    }
}

/// Texts one notification (title, body and link) to the recipient's number.
async fn sms_job(app: &App, ctx: JobCtx) -> Result<bool, JobError> {
    let p: EmailPayload = ctx.payload()?;
    let Some(n) = still_wanted(&ctx.db, p.notification, "sms").await? else {
        return Ok(false);
    };
    let Some(phone) = store::phone(&ctx.db, n.user_id).await? else {
        return Ok(false);
    };
    let Some(t) = recipient_tr(&ctx.db, n.user_id).await? else {
        return Ok(false);
    };
    let (title, body) = render(&t, &n);
    let text = format!("[moim] {title}\n{body}\n{}", app.config.url(&n.link));
    let provider =
        sms::SmsProvider::from_config(app.config.sms_url.as_deref(), app.config.sms_key.as_deref());
    match sms::send(&provider, &phone, &text, app.config.channel_timeout).await {
        Ok(()) => {
            metrics::counter!("moim_notification_sms_sent_total", "provider" => provider.name())
                .increment(1);
            Ok(true)
        }
        Err(e) if e.permanent => Err(JobError::permanent(e)),
        Err(e) => Err(JobError::retry(e)),
    }
}

/// Stores a browser's push subscription for the user (the endpoint must be an `https` URL,
/// `http` only for a loopback host, which tests and local development use).
pub async fn subscribe_push(
    app: &App,
    user: Uuid,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    user_agent: &str,
) -> Result<store::PushSubscription, ApiError> {
    let mut v = super::Validator::default();
    let endpoint = endpoint.trim();
    let uri = endpoint.parse::<axum::http::Uri>().ok();
    let host = uri.as_ref().and_then(|u| u.host()).unwrap_or_default();
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    let scheme_ok = match uri.as_ref().and_then(|u| u.scheme_str()) {
        Some("https") => true,
        Some("http") => loopback,
        _ => false,
    };
    if endpoint.len() > 2000 || !scheme_ok || host.is_empty() {
        v.push(moim_core::FieldError::new("endpoint", "invalid_endpoint"));
    }
    if push::encrypt(p256dh, auth, b"").is_err() {
        v.push(moim_core::FieldError::new("keys", "invalid_keys"));
    }
    v.finish()?;
    let ua: String = user_agent.chars().take(200).collect();
    Ok(store::upsert_push_subscription(&app.db, user, endpoint, p256dh, auth, &ua).await?)
}

/// Sets (a valid number, stored in E.164) or removes (blank) the user's SMS number.
pub async fn set_phone(app: &App, user: Uuid, phone: &str) -> Result<Option<String>, ApiError> {
    if phone.trim().is_empty() {
        store::set_phone(&app.db, user, None).await?;
        return Ok(None);
    }
    let Some(p) = sms::parse_phone(phone) else {
        let mut v = super::Validator::default();
        v.push(moim_core::FieldError::new("phone", "invalid_phone"));
        v.finish()?;
        return Ok(None);
    };
    store::set_phone(&app.db, user, Some(&p)).await?;
    Ok(Some(p))
}

/// The job kind that e-mails one notification.
pub const EMAIL_JOB: &str = "notify.email";

#[derive(Debug, Serialize, Deserialize)]
struct EmailPayload {
    notification: Uuid,
}

/// E-mails one notification to its recipient, in their language, unless (checked now, just
/// before sending) it was read or deleted in the app, or the recipient turned e-mail off for
/// its category. Returns whether a mail went out.
async fn email_job(app: &App, ctx: JobCtx) -> Result<bool, JobError> {
    let p: EmailPayload = ctx.payload()?;
    let Some(n) = store::by_id(&ctx.db, p.notification).await? else {
        return Ok(false);
    };
    if n.read_at.is_some() {
        metrics::counter!("moim_notification_emails_skipped_total", "reason" => "read")
            .increment(1);
        return Ok(false);
    }
    if !store::channel_enabled(&ctx.db, n.user_id, &n.category, "email").await? {
        metrics::counter!("moim_notification_emails_skipped_total", "reason" => "preference")
            .increment(1);
        return Ok(false);
    }
    let Some(user) = moim_store::accounts::user_by_id(&ctx.db, n.user_id).await? else {
        return Ok(false);
    };
    if !user.is_verified() {
        return Ok(false);
    }
    let t = Tr::new(moim_core::accounts::Locale::parse(&user.locale).unwrap_or_default());
    let (title, body) = render(&t, &n);
    let url = format!("{}{}", app.config.base_url.trim_end_matches('/'), n.link);
    let footer = t.s("notify.email.footer");
    let open = t.s("notify.open");
    let text = format!("{title}\n\n{body}\n\n{open}: {url}\n\n-- \n{footer}\n");
    let esc = crate::mail::html_escape;
    let html = crate::mail::html_frame(
        &title,
        &format!(
            "<p>{}</p><p><a href=\"{}\" style=\"color:#2d6a4f\">{}</a></p>\
             <p style=\"color:#5f6b66;font-size:13px\">{}</p>",
            esc(&body),
            esc(&url),
            esc(open),
            esc(footer)
        ),
    );
    let mail = crate::mail::Mail {
        to: user.email.clone(),
        subject: format!("[moim] {title}"),
        text,
        html,
        log_hint: format!("notification {}", n.id),
    };
    app.mailer
        .send(&app.config.mail_from, mail)
        .await
        .map_err(JobError::retry)?;
    metrics::counter!("moim_notification_emails_sent_total").increment(1);
    Ok(true)
}

/// A reminder about an object.
#[derive(Debug, Clone)]
pub struct Reminder {
    /// `"meetup:<uuid>"`, `"roster:<uuid>"`: what the reminder is about.
    pub object: String,
    /// `"d-day"`, `"before-30m"`, ...; (object, key, recipient) is unique.
    pub key: &'static str,
    pub at: Millis,
    /// Delivered through [`notify`] when due.
    pub notices: Vec<Notice>,
}

/// `<type>:<id>`: exactly one `:`, so that the prefix of one object never covers another's.
fn check_object(object: &str) -> Result<(), ApiError> {
    let ok = object
        .split_once(':')
        .is_some_and(|(t, id)| !t.is_empty() && !id.is_empty() && !id.contains(':'))
        && !object.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(ApiError::internal(format!(
            "reminder object {object:?} is not <type>:<id>"
        )))
    }
}

fn reminder_prefix(object: &str) -> String {
    format!("remind:{object}:")
}

/// Schedules (or moves, when it exists) a reminder through the durable job queue. Idempotent.
pub async fn remind(app: &App, r: Reminder) -> Result<(), ApiError> {
    let mut tx = app.db.begin().await?;
    remind_in(&mut tx, r).await?;
    tx.commit().await?;
    Ok(())
}

/// [`remind`] inside the caller's transaction (the reminder exists exactly when the change that
/// asked for it commits).
pub async fn remind_in(tx: &mut Tx, r: Reminder) -> Result<(), ApiError> {
    remind_many_in(tx, vec![r]).await
}

/// Schedules (or moves) many reminders in one transaction, as [`remind`] does each: all of them
/// or none, and on PostgreSQL in one statement per 1 000 recipients instead of one each.
pub async fn remind_many(app: &App, reminders: Vec<Reminder>) -> Result<(), ApiError> {
    let mut tx = app.db.begin().await?;
    remind_many_in(&mut tx, reminders).await?;
    tx.commit().await?;
    Ok(())
}

/// [`remind_many`] inside the caller's transaction.
pub async fn remind_many_in(tx: &mut Tx, reminders: Vec<Reminder>) -> Result<(), ApiError> {
    let mut jobs = Vec::new();
    for r in reminders {
        check_object(&r.object)?;
        check_key(r.key)?;
        for n in r.notices {
            let notice = NoticeData::from_notice(n)?;
            if notice.self_inflicted() {
                continue;
            }
            let key = reminder_key(&r.object, r.key, notice.recipient);
            let payload = serde_json::to_string(&ReminderPayload { at: r.at, notice })
                .map_err(ApiError::internal)?;
            jobs.push((key, payload, r.at));
        }
    }
    let attempts = NewJob::new(REMINDER_JOB, "").max_attempts;
    moim_store::jobs::schedule_keyed_many_in(tx, REMINDER_JOB, jobs, attempts).await?;
    Ok(())
}

fn check_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.contains(':') || key.chars().any(char::is_whitespace) {
        return Err(ApiError::internal(format!(
            "reminder key {key:?} must be a word without ':'"
        )));
    }
    Ok(())
}

fn reminder_key(object: &str, key: &str, recipient: Uuid) -> String {
    format!("{}{key}:{recipient}", reminder_prefix(object))
}

/// Cancels every reminder about `object` (e.g. a cancelled meetup): one-off reminders that are
/// queued *or already claimed by a runner* (their delivery completes the job in the transaction
/// that stores the notification, so a cancelled one stores nothing), and recurring ones
/// ([`remind_every`]) with any occurrence already queued.
pub async fn cancel_reminders(app: &App, object: &str) -> Result<(), ApiError> {
    let mut tx = app.db.begin().await?;
    cancel_reminders_in(&mut tx, object).await?;
    tx.commit().await?;
    Ok(())
}

/// [`cancel_reminders`] inside the caller's transaction.
pub async fn cancel_reminders_in(tx: &mut Tx, object: &str) -> Result<(), ApiError> {
    check_object(object)?;
    let prefix = reminder_prefix(object);
    moim_store::jobs::cancel_prefix_in(tx, &prefix).await?;
    moim_store::jobs::delete_schedules_prefix_in(tx, &prefix).await?;
    moim_store::jobs::cancel_prefix_in(tx, &format!("schedule:{prefix}")).await?;
    Ok(())
}

/// Cancels one person's reminder `key` about `object` (they left), queued or claimed, inside the
/// caller's transaction: the reminder is gone exactly when the change that dropped it commits.
pub async fn cancel_reminder_in(
    tx: &mut Tx,
    object: &str,
    key: &str,
    recipient: Uuid,
) -> Result<(), ApiError> {
    check_object(object)?;
    check_key(key)?;
    moim_store::jobs::cancel_key_in(tx, &reminder_key(object, key, recipient)).await?;
    Ok(())
}

/// Who a recurring reminder goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// These users.
    Users(Vec<Uuid>),
    /// The group's active members at the time of each occurrence.
    GroupMembers(Uuid),
}

/// A reminder that repeats: "remind the members of this group every day at 20:00 in the group's
/// zone with this message". Built on the recurring job schedules: one schedule per
/// (object, key), named `remind:{object}:{key}`, whose occurrences become
/// [`RECURRING_JOB`] jobs.
#[derive(Debug, Clone)]
pub struct Recurring {
    /// `"mission:<uuid>"`: what it is about; [`cancel_reminders`] with it stops it.
    pub object: String,
    /// `"daily"`, `"evening"`, ...; (object, key) is unique: calling again replaces it.
    pub key: &'static str,
    /// Five-field cron expression in the zone's wall-clock time, e.g. `"0 20 * * *"`.
    pub cron: String,
    /// The IANA zone the expression is read in; `None` means the zone of `group` (which must
    /// then be set).
    pub zone: Option<String>,
    pub audience: Audience,
    /// The message: kind, `{name}` params and link as for [`Notice`] (no actor).
    pub kind: &'static str,
    pub params: Vec<(&'static str, String)>,
    pub link: String,
    pub group: Option<Uuid>,
}

/// The job kind that delivers one occurrence of a recurring reminder.
pub const RECURRING_JOB: &str = "notify.recurring";

#[derive(Debug, Serialize, Deserialize)]
struct RecurringPayload {
    audience: Audience,
    /// `recipient` is ignored (each recipient gets their own row).
    notice: NoticeData,
}

/// Starts (or replaces) a recurring reminder; the first occurrence is the next one after now.
pub async fn remind_every(app: &App, r: Recurring) -> Result<(), ApiError> {
    remind_every_from(app, r, moim_core::time::now_millis()).await
}

/// [`remind_every`] with the first occurrence being the next one after `from` (tests and
/// seeding use a clock of their own).
pub async fn remind_every_from(app: &App, r: Recurring, from: Millis) -> Result<(), ApiError> {
    check_object(&r.object)?;
    check_key(r.key)?;
    let cron = moim_jobs::Cron::parse(&r.cron).map_err(ApiError::internal)?;
    // Without a zone of its own, the reminder follows its group's zone, also when that changes
    // later (`zone_group`; see `group_zone_changed`).
    let (zone, zone_group) = match (&r.zone, r.group) {
        (Some(z), _) => (z.clone(), None),
        (None, Some(g)) => (
            moim_store::groups::get_group(&app.db, g)
                .await?
                .ok_or_else(|| ApiError::not_found("group_not_found"))?
                .time_zone,
            Some(g),
        ),
        (None, None) => {
            return Err(ApiError::internal(
                "a recurring reminder needs a zone or a group",
            ));
        }
    };
    let tz = jiff::tz::TimeZone::get(&zone)
        .map_err(|e| ApiError::internal(format!("unknown time zone {zone:?}: {e}")))?;
    let notice = NoticeData::from_notice(Notice {
        recipient: Uuid::nil(),
        kind: r.kind,
        params: r.params,
        link: r.link,
        group: r.group,
        actor: None,
    })?;
    let payload = serde_json::to_string(&RecurringPayload {
        audience: r.audience,
        notice,
    })
    .map_err(ApiError::internal)?;
    let next = cron
        .next_after(moim_core::time::timestamp(from), &tz)
        .map_or(i64::MAX, |t| t.as_millisecond());
    let name = format!("{}{}", reminder_prefix(&r.object), r.key);
    let mut tx = app.db.begin().await?;
    // Replacing it: a changed time or zone restarts from `next`; the same one keeps its pending
    // occurrence (so calling this again never skips or doubles a day).
    moim_store::jobs::upsert_schedule_in(
        &mut tx,
        &name,
        cron.as_str(),
        &zone,
        RECURRING_JOB,
        &payload,
        next,
        zone_group,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Called after a group's zone changed: its recurring reminders that follow the group's zone
/// move their pending occurrence to the new zone ("daily 20:00" fires at 20:00 there). The
/// scheduler makes the same correction before firing, should this call be missed.
pub async fn group_zone_changed(app: &App, group: Uuid) -> Result<(), ApiError> {
    moim_jobs::follow_group_zone(&app.db, group, moim_core::time::now_millis()).await?;
    Ok(())
}

/// Delivers one occurrence of a recurring reminder: resolves the audience now (a group's
/// current members), then completes the job and stores one row per recipient (dedupe key
/// `{job key}:{recipient}`) in one transaction. A job cancelled meanwhile stores nothing.
async fn recurring_job(app: &App, ctx: JobCtx) -> Result<(), JobError> {
    let p: RecurringPayload = ctx.payload()?;
    let to: Vec<Uuid> = match &p.audience {
        Audience::Users(u) => u.clone(),
        Audience::GroupMembers(g) => {
            let mut all = Vec::new();
            let mut after = None;
            loop {
                let page = moim_store::groups::members(&ctx.db, *g, "active", after, 1000).await?;
                let Some(last) = page.last() else { break };
                after = Some(moim_store::groups::Cursor {
                    at: last.joined_at,
                    id: last.user_id,
                });
                let full = page.len() == 1000;
                all.extend(page.into_iter().map(|m| m.user_id));
                if !full {
                    break;
                }
            }
            all
        }
    };
    let key = ctx
        .job
        .unique_key
        .clone()
        .unwrap_or_else(|| ctx.job.id.to_string());
    let rows: Vec<NewNotification> = to
        .into_iter()
        .map(|u| {
            let mut n = p.notice.clone();
            n.recipient = u;
            n.into_row(Some(format!("{key}:{u}")))
        })
        .collect();
    let mut tx = ctx.db.begin().await?;
    if !moim_store::jobs::complete_in(&mut tx, &ctx.job).await? {
        // Cancelled (or taken back) while we worked: deliver nothing.
        tx.rollback().await?;
        return Ok(());
    }
    store::create_and_queue_in(&mut tx, &rows, &channel_jobs(app)).await?;
    commit(app, tx).await.map_err(|e| JobError::retry(e.code))?;
    Ok(())
}

/// The job kind that deletes old notifications (scheduled hourly by the binary).
pub const RETENTION_JOB: &str = "notify.retention";

#[derive(Debug, Serialize, Deserialize)]
struct RetentionPayload {
    retain_days: u32,
}

/// The retention schedule's payload: the age is carried by the schedule, so a changed
/// `MOIM_NOTIFICATIONS_RETAIN_DAYS` takes effect when the runner next starts.
pub fn retention_payload(retain_days: u32) -> String {
    serde_json::json!({ "retain_days": retain_days }).to_string()
}

async fn retention_job(ctx: JobCtx) -> Result<(), JobError> {
    let p: RetentionPayload = ctx.payload()?;
    let cutoff =
        moim_core::time::now_millis() - i64::from(p.retain_days.max(1)) * moim_core::time::DAY;
    let n = store::purge_before(&ctx.db, cutoff).await?;
    if n > 0 {
        tracing::info!(
            deleted = n,
            retain_days = p.retain_days,
            "old notifications deleted"
        );
    }
    Ok(())
}

/// Turns one channel of one category on or off for the user.
pub async fn set_pref(
    app: &App,
    user: Uuid,
    category: &str,
    channel: &str,
    enabled: bool,
) -> Result<(), ApiError> {
    let mut v = super::Validator::default();
    if !CATEGORIES.contains(&category) {
        v.push(moim_core::FieldError::new("category", "unknown_category"));
    }
    if !CHANNELS.contains(&channel) {
        v.push(moim_core::FieldError::new("channel", "unknown_channel"));
    }
    v.finish()?;
    store::set_pref(&app.db, user, category, channel, enabled).await?;
    Ok(())
}

/// Registers the notification jobs with a runner's registry; they deliver through `app`.
pub fn register(registry: &mut Registry, app: AppState) {
    let mail_app = app.clone();
    let push_app = app.clone();
    let sms_app = app.clone();
    let reminder_app = app.clone();
    registry.register(REMINDER_JOB, move |ctx: JobCtx| {
        let app = reminder_app.clone();
        async move { reminder_job(&app, ctx).await }
    });
    registry.register(EMAIL_JOB, move |ctx: JobCtx| {
        let app = mail_app.clone();
        async move { email_job(&app, ctx).await.map(|_| ()) }
    });
    registry.register(RETENTION_JOB, retention_job);
    let recurring_app = app.clone();
    registry.register(RECURRING_JOB, move |ctx: JobCtx| {
        let app = recurring_app.clone();
        async move { recurring_job(&app, ctx).await }
    });
    registry.register(PUSH_JOB, move |ctx: JobCtx| {
        let app = push_app.clone();
        async move { push_job(&app, ctx).await.map(|_| ()) }
    });
    registry.register(SMS_JOB, move |ctx: JobCtx| {
        let app = sms_app.clone();
        async move { sms_job(&app, ctx).await.map(|_| ()) }
    });
}

/// How many due reminders one run delivers together (its own and those it claims).
pub const REMINDER_BATCH: i64 = 256;

/// Delivers a due reminder, and in bulk the other due reminders: it claims up to
/// [`REMINDER_BATCH`] − 1 more (as `{worker}+batch`, until its own lease ends: the runner's
/// heartbeat does not renew them, so a run that hangs or is cancelled at its timeout cannot hold
/// them longer than one lease, after which any runner takes them back). Then, in ONE
/// transaction, it completes each claimed job (conditionally on its claim) and creates the
/// in-app row (with its channel jobs) only for the jobs it completed: a reminder cancelled or
/// moved while its job was claimed or running has lost its claim, so nothing is delivered for
/// it (the cancel and this transaction are serialised by the job row). Each row is created at
/// most once per (job key, time asked for), so a run repeated after a crash adds nothing. If the
/// batch fails, the claimed jobs are handed back (retried) with the error.
async fn reminder_job(app: &App, ctx: JobCtx) -> Result<(), JobError> {
    let mut batch = vec![ctx.job.clone()];
    if let (Some(worker), Some(until)) = (ctx.job.locked_by.as_deref(), ctx.job.locked_until) {
        let sweeper = format!("{worker}+batch");
        batch.extend(
            moim_store::jobs::claim_kind(
                &ctx.db,
                &sweeper,
                REMINDER_JOB,
                REMINDER_BATCH - 1,
                until,
            )
            .await?,
        );
    }
    let mut parsed = Vec::with_capacity(batch.len());
    for (i, job) in batch.iter().enumerate() {
        match serde_json::from_str::<ReminderPayload>(&job.payload) {
            Ok(p) => parsed.push((job, p)),
            Err(e) if i == 0 => {
                hand_back(&ctx.db, &batch[1..], "the batch's own job failed").await;
                return Err(e.into());
            }
            Err(e) => {
                moim_store::jobs::fail(&ctx.db, job, &format!("bad payload: {e}"), None).await?;
            }
        }
    }
    let result: Result<usize, moim_store::Error> = async {
        let mut tx = ctx.db.begin().await?;
        let mut rows = Vec::with_capacity(parsed.len());
        for (job, p) in parsed {
            if !moim_store::jobs::complete_in(&mut tx, job).await? {
                continue; // cancelled, moved or reclaimed: not ours to deliver
            }
            let key = job.unique_key.clone().unwrap_or_else(|| job.id.to_string());
            rows.push(p.notice.into_row(Some(format!("{key}@{}", p.at))));
        }
        store::create_and_queue_in(&mut tx, &rows, &channel_jobs(app)).await?;
        let users = tx.take_notified();
        let seq = tx.change_seq();
        tx.commit().await?;
        app.hub.own_change(seq);
        let n = rows.len();
        delivered(app, users).await;
        Ok(n)
    }
    .await;
    match result {
        Ok(n) => {
            metrics::counter!("moim_reminders_delivered_total").increment(n as u64);
            Ok(())
        }
        Err(e) => {
            hand_back(&ctx.db, &batch[1..], &e.to_string()).await;
            Err(e.into())
        }
    }
}

/// Gives jobs swept into a failed batch back to the queue (retried in a second).
async fn hand_back(db: &moim_store::Db, jobs: &[moim_store::jobs::Job], error: &str) {
    let retry_at = moim_core::time::now_millis() + 1000;
    for job in jobs {
        let _ = moim_store::jobs::fail(db, job, error, Some(retry_at)).await;
    }
}

/// Title and body of a notification in the reader's language.
pub fn render(t: &Tr, n: &Notification) -> (String, String) {
    let params: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&n.params).unwrap_or_default();
    let fill = |suffix: &str| {
        let key = format!("notify.{}.{suffix}", n.kind);
        let mut s = t.s(&key).to_owned();
        for (k, v) in &params {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            s = s.replace(&format!("{{{k}}}"), &v);
        }
        s
    };
    (fill("title"), fill("body"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_come_from_the_kind() {
        assert_eq!(category_of("roster.published"), Some("roster"));
        assert_eq!(category_of("meetup.reminder.d_day"), Some("meetup"));
        assert_eq!(category_of("roster"), None);
        assert_eq!(category_of("roster."), None);
        assert_eq!(category_of("weather.rain"), None);
        assert_eq!(category_of("Roster.published"), None);
    }

    #[test]
    fn objects_are_type_colon_id() {
        assert!(check_object("meetup:0190").is_ok());
        for bad in ["meetup", "meetup:", ":1", "meetup:1:2", "meetup: 1"] {
            assert!(check_object(bad).is_err(), "{bad}");
        }
    }
}
