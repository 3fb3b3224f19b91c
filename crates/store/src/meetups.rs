//! Meetups, participants, attendance, host ratings and list filters.
//!
//! Capacity is the database's job: a place is taken by `UPDATE meetups SET participant_count =
//! participant_count + 1 WHERE id = $1 AND participant_count < capacity` inside the applying
//! transaction (a CHECK constraint backs it), and the participants' primary key makes a double
//! application impossible. Every write transaction starts by touching the meetup row, which
//! serialises writers of one meetup on PostgreSQL (row lock) as `BEGIN IMMEDIATE` does on SQLite,
//! so a cancellation promotes exactly one waitlisted person.
//!
//! The list query is one fixed SQL text: every filter is a bound parameter that is either
//! "off" (NULL, 0 or empty) or compared with a column, so no request value ever becomes SQL.

use crate::{Db, Error, Result, Tx, dispatch, in_tx};
use moim_core::time::Millis;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Meetup {
    pub id: Uuid,
    pub host_id: Uuid,
    pub group_id: Option<Uuid>,
    pub is_public: bool,
    pub title: String,
    pub description: String,
    pub starts_at: i64,
    pub time_zone: String,
    pub start_hour: i64,
    pub address: String,
    pub region: i64,
    pub lat: f64,
    pub lng: f64,
    pub route: String,
    pub distance_m: i64,
    pub pace: String,
    pub level: String,
    pub theme: String,
    pub capacity: i64,
    pub participant_count: i64,
    pub waitlist: bool,
    pub approval: bool,
    pub images: String,
    pub parking: String,
    pub baggage: String,
    pub chat_link: String,
    pub attendance_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// How long it lasts, in minutes (migration 0014; 120 for meetups hosted before).
    pub duration_min: i64,
    /// The host's nickname (joined in every read, so lists need no query per row).
    pub host_nickname: String,
}

impl Meetup {
    /// The end: the start plus the duration.
    pub fn ends_at(&self) -> Millis {
        moim_core::meetups::ends_at(self.starts_at, self.duration_min)
    }
}

/// The meetup columns with the host's nickname, as a literal for `concat!`.
macro_rules! meetup_columns {
    () => {
        "m.id, m.host_id, m.group_id, m.is_public, m.title, m.description, \
    m.starts_at, m.time_zone, m.start_hour, m.address, m.region, m.lat, m.lng, m.route, \
    m.distance_m, m.pace, m.level, m.theme, m.capacity, m.participant_count, m.waitlist, \
    m.approval, m.images, m.parking, m.baggage, m.chat_link, m.attendance_at, m.cancelled_at, \
    m.created_at, m.updated_at, m.duration_min, u.nickname AS host_nickname"
    };
}

/// Everything the host chooses when hosting.
#[derive(Debug, Clone)]
pub struct MeetupFields {
    pub group_id: Option<Uuid>,
    pub is_public: bool,
    pub title: String,
    pub description: String,
    pub starts_at: i64,
    /// Minutes, 15–1440.
    pub duration_min: i64,
    pub time_zone: String,
    pub start_hour: i64,
    pub address: String,
    pub region: i64,
    pub lat: f64,
    pub lng: f64,
    pub route: String,
    pub distance_m: i64,
    pub pace: String,
    pub level: String,
    pub theme: String,
    pub capacity: i64,
    pub waitlist: bool,
    pub approval: bool,
    pub images: String,
    pub parking: String,
    pub baggage: String,
    pub chat_link: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Participant {
    pub user_id: Uuid,
    pub nickname: String,
    pub avatar_url: Option<String>,
    /// joined, waitlisted or pending
    pub status: String,
    pub applied_at: i64,
    pub attended: Option<bool>,
}

/// How long a host waits between two meetups (the reference's anti-double-post rule).
pub const HOSTING_COOLDOWN: Millis = 10_000;

/// Hosts a meetup. A host who created one less than [`HOSTING_COOLDOWN`] ago gets
/// `Conflict("too_fast")`: the insert is preceded, in the same transaction, by a conditional
/// upsert of the host's `meetup_host_throttle` row that only succeeds when the previous create
/// is old enough, so concurrent requests of one host create exactly one meetup (PostgreSQL
/// makes the second upsert wait for the first transaction and re-checks the condition).
pub async fn create(db: &Db, host: Uuid, f: &MeetupFields, now: Millis) -> Result<Meetup> {
    create_with_cooldown(db, host, f, now, HOSTING_COOLDOWN).await
}

/// [`create`] with another cooldown (tests and seeding scripts that host many meetups as one
/// user pass 0).
pub async fn create_with_cooldown(
    db: &Db,
    host: Uuid,
    f: &MeetupFields,
    now: Millis,
    cooldown: Millis,
) -> Result<Meetup> {
    let mut tx = db.begin().await?;
    let id = create_in(&mut tx, host, f, now, cooldown).await?;
    tx.commit().await?;
    get(db, id).await?.ok_or(Error::NotFound)
}

/// [`create_with_cooldown`] inside the caller's transaction (the host's reminders are
/// scheduled in it); returns the new meetup's id.
pub async fn create_in(
    tx: &mut Tx,
    host: Uuid,
    f: &MeetupFields,
    now: Millis,
    cooldown: Millis,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    in_tx!(tx, tx => {
        let claimed: Option<(Uuid,)> = sqlx::query_as(
            "INSERT INTO meetup_host_throttle (host_id, last_created_at) VALUES ($1, $2) \
             ON CONFLICT (host_id) DO UPDATE SET last_created_at = excluded.last_created_at \
             WHERE meetup_host_throttle.last_created_at <= excluded.last_created_at - $3 \
             RETURNING host_id")
            .bind(host).bind(now).bind(cooldown)
            .fetch_optional(&mut *tx).await?;
        if claimed.is_none() {
            return Err(Error::Conflict("too_fast"));
        }
        sqlx::query(
            "INSERT INTO meetups (id, host_id, group_id, is_public, title, description, starts_at, \
             time_zone, start_hour, address, region, lat, lng, route, distance_m, pace, level, theme, \
             capacity, participant_count, waitlist, approval, images, parking, baggage, chat_link, \
             created_at, updated_at, duration_min) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18, $19, 1, $20, $21, $22, $23, $24, $25, $26, $26, $27)")
            .bind(id).bind(host).bind(f.group_id).bind(f.is_public).bind(&f.title)
            .bind(&f.description).bind(f.starts_at).bind(&f.time_zone).bind(f.start_hour)
            .bind(&f.address).bind(f.region).bind(f.lat).bind(f.lng).bind(&f.route)
            .bind(f.distance_m).bind(&f.pace).bind(&f.level).bind(&f.theme).bind(f.capacity)
            .bind(f.waitlist).bind(f.approval).bind(&f.images).bind(&f.parking).bind(&f.baggage)
            .bind(&f.chat_link).bind(now).bind(f.duration_min)
            .execute(&mut *tx).await?;
        // The host holds the first place from the start.
        sqlx::query("INSERT INTO meetup_participants (meetup_id, user_id, status, applied_at) VALUES ($1, $2, 'joined', $3)")
            .bind(id).bind(host).bind(now).execute(&mut *tx).await?;
    });
    Ok(id)
}

const GET: &str = concat!(
    "SELECT ",
    meetup_columns!(),
    " FROM meetups m JOIN users u ON u.id = m.host_id WHERE m.id = $1"
);

pub async fn get(db: &Db, id: Uuid) -> Result<Option<Meetup>> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Meetup>(GET).bind(id).fetch_optional(pool).await?))
}

/// [`get`] inside the caller's transaction: after a write that locked the row, what the
/// transaction's further steps (reminders) must go by.
pub async fn get_in(tx: &mut Tx, id: Uuid) -> Result<Option<Meetup>> {
    Ok(in_tx!(tx, tx => sqlx::query_as::<_, Meetup>(GET).bind(id).fetch_optional(&mut *tx).await?))
}

/// The viewer's participation row, if any.
pub async fn participation(db: &Db, id: Uuid, user: Uuid) -> Result<Option<Participant>> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Participant>(
        "SELECT p.user_id, u.nickname, u.avatar_url, p.status, p.applied_at, p.attended \
         FROM meetup_participants p JOIN users u ON u.id = p.user_id WHERE p.meetup_id = $1 AND p.user_id = $2")
        .bind(id).bind(user).fetch_optional(pool).await?))
}

const PARTICIPANTS: &str = "SELECT p.user_id, u.nickname, u.avatar_url, p.status, p.applied_at, p.attended \
     FROM meetup_participants p JOIN users u ON u.id = p.user_id WHERE p.meetup_id = $1 \
     ORDER BY CASE p.status WHEN 'joined' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, p.applied_at, p.user_id";

/// Everyone with a row, in application order (joined first).
pub async fn participants(db: &Db, id: Uuid) -> Result<Vec<Participant>> {
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, Participant>(PARTICIPANTS)
        .bind(id).fetch_all(pool).await?),
    )
}

/// [`participants`] inside the caller's transaction.
pub async fn participants_in(tx: &mut Tx, id: Uuid) -> Result<Vec<Participant>> {
    Ok(
        in_tx!(tx, tx => sqlx::query_as::<_, Participant>(PARTICIPANTS)
        .bind(id).fetch_all(&mut *tx).await?),
    )
}

/// Edits a meetup that has not started. A capacity below the current participant count is
/// refused (`Conflict("capacity")`); a started or cancelled meetup is `Conflict("started")`.
///
/// Runs inside the caller's transaction.
pub async fn update_in(tx: &mut Tx, id: Uuid, f: &MeetupFields, now: Millis) -> Result<()> {
    in_tx!(tx, tx => {
        let n = sqlx::query(
            "UPDATE meetups SET is_public = $2, title = $3, description = $4, starts_at = $5, time_zone = $6, \
             start_hour = $7, pace = $8, level = $9, theme = $10, capacity = $11, waitlist = $12, \
             approval = $13, images = $14, parking = $15, baggage = $16, chat_link = $17, updated_at = $18, \
             duration_min = $19 \
             WHERE id = $1 AND starts_at > $18 AND cancelled_at IS NULL AND participant_count <= $11")
            .bind(id).bind(f.is_public).bind(&f.title).bind(&f.description).bind(f.starts_at)
            .bind(&f.time_zone).bind(f.start_hour).bind(&f.pace).bind(&f.level).bind(&f.theme)
            .bind(f.capacity).bind(f.waitlist).bind(f.approval).bind(&f.images).bind(&f.parking)
            .bind(&f.baggage).bind(&f.chat_link).bind(now).bind(f.duration_min)
            .execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            let m: Option<(i64, Option<i64>)> = sqlx::query_as(
                "SELECT starts_at, cancelled_at FROM meetups WHERE id = $1")
                .bind(id).fetch_optional(&mut *tx).await?;
            let (starts_at, cancelled_at) = m.ok_or(Error::NotFound)?;
            if starts_at <= now || cancelled_at.is_some() {
                return Err(Error::Conflict("started"));
            }
            return Err(Error::Conflict("capacity"));
        }
        Ok(())
    })
}

/// Cancels a meetup before its start and takes its photos off it (they are removed from
/// storage by the caller, off the request). Returns the photos' hashes (comma-separated, maybe
/// empty); `None` when it had started or was cancelled already.
///
/// Runs inside the caller's transaction.
pub async fn cancel_in(tx: &mut Tx, id: Uuid, now: Millis) -> Result<Option<String>> {
    in_tx!(tx, tx => {
        // RETURNING gives the values after the update, so the photos are read here and
        // cleared by a second statement of the same transaction.
        let row: Option<(String,)> = sqlx::query_as(
            "UPDATE meetups SET cancelled_at = $2, updated_at = $2 \
             WHERE id = $1 AND cancelled_at IS NULL AND starts_at > $2 RETURNING images")
            .bind(id).bind(now).fetch_optional(&mut *tx).await?;
        if row.is_some() {
            sqlx::query("UPDATE meetups SET images = '' WHERE id = $1")
                .bind(id).execute(&mut *tx).await?;
        }
        Ok(row.map(|r| r.0))
    })
}

/// Everyone holding a place (the host included), read inside the caller's transaction.
pub async fn joined_ids_in(tx: &mut Tx, id: Uuid) -> Result<Vec<Uuid>> {
    let rows: Vec<(Uuid,)> = in_tx!(tx, tx => sqlx::query_as(
        "SELECT user_id FROM meetup_participants WHERE meetup_id = $1 AND status = 'joined' \
         ORDER BY applied_at, user_id")
        .bind(id).fetch_all(&mut *tx).await?);
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Joined,
    Waitlisted,
    Pending,
    /// Full and no waitlist.
    Full,
    /// Already has a row (joined, waitlisted or pending).
    Already,
    /// Started or cancelled.
    Closed,
}

impl ApplyOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Joined => "joined",
            Self::Waitlisted => "waitlisted",
            Self::Pending => "pending",
            Self::Full => "full",
            Self::Already => "already",
            Self::Closed => "closed",
        }
    }
}

/// Applies for a place. Open until the start.
///
/// Runs inside the caller's transaction (what it causes, e.g. notifications, commits with it).
pub async fn apply_in(tx: &mut Tx, id: Uuid, user: Uuid, now: Millis) -> Result<ApplyOutcome> {
    in_tx!(tx, tx => {
        // Lock the meetup row (a no-op write) so concurrent writers of this meetup queue up.
        let row: Option<(bool, bool)> = sqlx::query_as(
            "UPDATE meetups SET updated_at = updated_at WHERE id = $1 AND cancelled_at IS NULL AND starts_at > $2 \
             RETURNING waitlist, approval")
            .bind(id).bind(now).fetch_optional(&mut *tx).await?;
        let Some((waitlist, approval)) = row else {
            return Ok(ApplyOutcome::Closed);
        };
        let exists: Option<(String,)> = sqlx::query_as(
            "SELECT status FROM meetup_participants WHERE meetup_id = $1 AND user_id = $2")
            .bind(id).bind(user).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Ok(ApplyOutcome::Already);
        }
        let status = if approval {
            "pending"
        } else {
            let took = sqlx::query(
                "UPDATE meetups SET participant_count = participant_count + 1 WHERE id = $1 AND participant_count < capacity")
                .bind(id).execute(&mut *tx).await?.rows_affected();
            if took == 1 {
                "joined"
            } else if waitlist {
                "waitlisted"
            } else {
                return Ok(ApplyOutcome::Full);
            }
        };
        sqlx::query("INSERT INTO meetup_participants (meetup_id, user_id, status, applied_at) VALUES ($1, $2, $3, $4)")
            .bind(id).bind(user).bind(status).bind(now).execute(&mut *tx).await?;
        Ok(match status {
            "joined" => ApplyOutcome::Joined,
            "waitlisted" => ApplyOutcome::Waitlisted,
            _ => ApplyOutcome::Pending,
        })
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveOutcome {
    /// Left; carries the waitlisted person promoted into the freed place, if any.
    Left {
        promoted: Option<Uuid>,
    },
    NotIn,
    Closed,
}

/// Gives up a place (or a waitlist / pending row). The freed place goes to the first
/// waitlisted person, once, in the same transaction. The host is refused by the caller.
///
/// Runs inside the caller's transaction (what it causes, e.g. notifications, commits with it).
pub async fn leave_in(tx: &mut Tx, id: Uuid, user: Uuid, now: Millis) -> Result<LeaveOutcome> {
    in_tx!(tx, tx => {
        let open: Option<(i64,)> = sqlx::query_as(
            "UPDATE meetups SET updated_at = updated_at WHERE id = $1 AND cancelled_at IS NULL AND starts_at > $2 RETURNING capacity")
            .bind(id).bind(now).fetch_optional(&mut *tx).await?;
        if open.is_none() {
            return Ok(LeaveOutcome::Closed);
        }
        let gone: Option<(String,)> = sqlx::query_as(
            "DELETE FROM meetup_participants WHERE meetup_id = $1 AND user_id = $2 RETURNING status")
            .bind(id).bind(user).fetch_optional(&mut *tx).await?;
        let Some((status,)) = gone else {
            return Ok(LeaveOutcome::NotIn);
        };
        let mut promoted = None;
        if status == "joined" {
            sqlx::query("UPDATE meetups SET participant_count = participant_count - 1 WHERE id = $1")
                .bind(id).execute(&mut *tx).await?;
            let next: Option<(Uuid,)> = sqlx::query_as(
                "SELECT user_id FROM meetup_participants WHERE meetup_id = $1 AND status = 'waitlisted' \
                 ORDER BY applied_at, user_id LIMIT 1")
                .bind(id).fetch_optional(&mut *tx).await?;
            if let Some((next,)) = next {
                let took = sqlx::query(
                    "UPDATE meetups SET participant_count = participant_count + 1 WHERE id = $1 AND participant_count < capacity")
                    .bind(id).execute(&mut *tx).await?.rows_affected();
                if took == 1 {
                    sqlx::query("UPDATE meetup_participants SET status = 'joined' WHERE meetup_id = $1 AND user_id = $2 AND status = 'waitlisted'")
                        .bind(id).bind(next).execute(&mut *tx).await?;
                    promoted = Some(next);
                }
            }
        }
        Ok(LeaveOutcome::Left { promoted })
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApproveOutcome {
    Joined,
    Full,
    NotPending,
    Closed,
}

/// The host accepts a pending application, if a place is free.
///
/// Runs inside the caller's transaction (what it causes, e.g. notifications, commits with it).
pub async fn approve_in(tx: &mut Tx, id: Uuid, user: Uuid, now: Millis) -> Result<ApproveOutcome> {
    in_tx!(tx, tx => {
        let open: Option<(i64,)> = sqlx::query_as(
            "UPDATE meetups SET updated_at = updated_at WHERE id = $1 AND cancelled_at IS NULL AND starts_at > $2 RETURNING capacity")
            .bind(id).bind(now).fetch_optional(&mut *tx).await?;
        if open.is_none() {
            return Ok(ApproveOutcome::Closed);
        }
        let pending: Option<(String,)> = sqlx::query_as(
            "SELECT status FROM meetup_participants WHERE meetup_id = $1 AND user_id = $2 AND status = 'pending'")
            .bind(id).bind(user).fetch_optional(&mut *tx).await?;
        if pending.is_none() {
            return Ok(ApproveOutcome::NotPending);
        }
        let took = sqlx::query(
            "UPDATE meetups SET participant_count = participant_count + 1 WHERE id = $1 AND participant_count < capacity")
            .bind(id).execute(&mut *tx).await?.rows_affected();
        if took == 0 {
            return Ok(ApproveOutcome::Full);
        }
        sqlx::query("UPDATE meetup_participants SET status = 'joined' WHERE meetup_id = $1 AND user_id = $2")
            .bind(id).bind(user).execute(&mut *tx).await?;
        Ok(ApproveOutcome::Joined)
    })
}

/// The host turns down a pending application; false when there was none.
pub async fn decline_in(tx: &mut Tx, id: Uuid, user: Uuid) -> Result<bool> {
    let n = in_tx!(tx, tx => sqlx::query(
        "DELETE FROM meetup_participants WHERE meetup_id = $1 AND user_id = $2 AND status = 'pending'")
        .bind(id).bind(user).execute(&mut *tx).await?.rows_affected());
    Ok(n == 1)
}

/// Submits the attendance sheet once: every joined participant except the host is marked
/// present when listed, absent otherwise. Returns false when it had been submitted already.
///
/// Runs inside the caller's transaction (the attendees' rating reminders are scheduled in it).
pub async fn submit_attendance_in(
    tx: &mut Tx,
    id: Uuid,
    host: Uuid,
    present: &[Uuid],
    now: Millis,
) -> Result<bool> {
    in_tx!(tx, tx => {
        let first = sqlx::query("UPDATE meetups SET attendance_at = $2 WHERE id = $1 AND attendance_at IS NULL")
            .bind(id).bind(now).execute(&mut *tx).await?.rows_affected();
        if first == 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE meetup_participants SET attended = FALSE WHERE meetup_id = $1 AND status = 'joined' AND user_id <> $2")
            .bind(id).bind(host).execute(&mut *tx).await?;
        for u in present {
            sqlx::query("UPDATE meetup_participants SET attended = TRUE WHERE meetup_id = $1 AND user_id = $2 AND status = 'joined' AND user_id <> $3")
                .bind(id).bind(u).bind(host).execute(&mut *tx).await?;
        }
        Ok(true)
    })
}

/// Records a participant's rating of the host; a second rating is `Conflict("rating")`.
pub async fn rate(
    db: &Db,
    id: Uuid,
    rater: Uuid,
    host: Uuid,
    reason: i64,
    now: Millis,
) -> Result<()> {
    dispatch!(db, pool => sqlx::query(
        "INSERT INTO meetup_ratings (meetup_id, rater_id, host_id, reason, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id).bind(rater).bind(host).bind(reason).bind(now)
        .execute(pool).await
        .map_err(|e| crate::unique_violation(e, &[("meetup_ratings_pkey", "meetup_ratings.meetup_id", "rating")]))?.rows_affected());
    Ok(())
}

/// The reason a participant gave when rating the host of a meetup, if they did.
pub async fn my_rating(db: &Db, id: Uuid, rater: Uuid) -> Result<Option<i64>> {
    let row: Option<(i64,)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT reason FROM meetup_ratings WHERE meetup_id = $1 AND rater_id = $2")
        .bind(id).bind(rater).fetch_optional(pool).await?);
    Ok(row.map(|r| r.0))
}

/// A user's manner record: meetups attended, and how often hosts were rated with each reason.
#[derive(Debug, Clone, Default)]
pub struct Manner {
    pub attended: i64,
    /// Index 0 is reason 1.
    pub reasons: [i64; 10],
}

pub async fn manner(db: &Db, user: Uuid) -> Result<Manner> {
    let mut m = Manner::default();
    let (attended,): (i64,) = dispatch!(db, pool => sqlx::query_as(
        "SELECT COUNT(*) FROM meetup_participants p JOIN meetups m ON m.id = p.meetup_id \
         WHERE p.user_id = $1 AND p.attended = TRUE AND m.cancelled_at IS NULL")
        .bind(user).fetch_one(pool).await?);
    m.attended = attended;
    let rows: Vec<(i64, i64)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT reason, COUNT(*) FROM meetup_ratings WHERE host_id = $1 GROUP BY reason")
        .bind(user).fetch_all(pool).await?);
    for (reason, n) in rows {
        if let Some(slot) = usize::try_from(reason - 1)
            .ok()
            .and_then(|i| m.reasons.get_mut(i))
        {
            *slot = n;
        }
    }
    Ok(m)
}

/// The filters of the meetup list. Each is off when `None` / empty / 0.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub viewer: Option<Uuid>,
    pub now: Millis,
    pub from: Option<Millis>,
    pub to: Option<Millis>,
    /// Bit k set = time slot k+1 (00–04 is bit 0).
    pub slots: i64,
    pub min_distance_m: Option<i64>,
    pub max_distance_m: Option<i64>,
    /// `,city,park,` — themes already checked against the allow-list.
    pub themes: String,
    /// Bit r set = region r.
    pub regions: i64,
    /// `,beginner,` — levels already checked against the allow-list.
    pub levels: String,
    /// Near a point: (lat, lng, radius in km).
    pub near: Option<(f64, f64, f64)>,
    pub include_closed: bool,
    pub group: Option<Uuid>,
    pub host: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Soonest,
    Newest,
    Nearest,
}

/// A position in a list: the sort key and id of the last row. For soonest and newest the key is
/// the start or creation time; for nearest it is the row's near-point distance (see
/// [`near_distance`]) as the bits of the `f64`, which order like the distances themselves
/// because a distance is never negative.
#[derive(Debug, Clone, Copy)]
pub struct ListCursor {
    pub key: i64,
    pub id: Uuid,
}

/// The near-point distance in degrees² (see [`list`]): an equirectangular approximation,
/// plain arithmetic on both backends, with `$13` the cosine of the latitude.
/// [`near_distance`] computes the same value in Rust, operation for operation, so a cursor
/// holds exactly the value the database compares with.
macro_rules! near_distance {
    () => {
        "((m.lat - $11) * (m.lat - $11) + (m.lng - $12) * $13 * (m.lng - $12) * $13)"
    };
}

/// Every filter of the list, as terms on plain columns with bound parameters. Terms that only
/// need indexed columns come first; the time window, the lat/lng box and the distance band are
/// plain ranges (open ends are the extreme values, not `$flag = FALSE OR ...`), so PostgreSQL
/// uses them as index conditions even in the generic plan of the prepared statement.
macro_rules! list_filters {
    () => {
        concat!(
            "m.starts_at >= $3 AND m.starts_at < $4 \
         AND m.lat >= $25 AND m.lat <= $26 AND m.lng >= $27 AND m.lng <= $28 \
         AND m.distance_m >= $6 AND m.distance_m < $8 \
         AND m.cancelled_at IS NULL \
         AND ($5 = 0 OR ((CAST(1 AS BIGINT) << CAST(m.start_hour / 4 AS INTEGER)) & $5) <> 0) \
         AND ($9 = '' OR $9 LIKE '%,' || m.theme || ',%') \
         AND ($10 = 0 OR ((CAST(1 AS BIGINT) << CAST(m.region AS INTEGER)) & $10) <> 0) \
         AND ($14 = FALSE OR ",
            near_distance!(),
            " <= $15) \
         AND ($20 = '' OR $20 LIKE '%,' || m.level || ',%') \
         AND ($21 = FALSE OR m.group_id = $22) \
         AND ($23 = FALSE OR m.host_id = $24) \
         AND ($2 = TRUE OR m.participant_count < m.capacity OR m.waitlist = TRUE) \
         AND (m.is_public = TRUE OR m.host_id = $1 OR EXISTS (SELECT 1 FROM memberships ms \
              WHERE ms.group_id = m.group_id AND ms.user_id = $1 AND ms.status = 'active'))"
        )
    };
}

/// The ORDER BY keys of each sort order: in the `*_order` tails below, and alone in the outer
/// query of a focused search, which puts the page picked inside back in the same order.
macro_rules! soonest_keys {
    () => {
        "m.starts_at, m.id"
    };
}
macro_rules! newest_keys {
    () => {
        "m.created_at DESC, m.id DESC"
    };
}
macro_rules! nearest_keys {
    () => {
        concat!(near_distance!(), ", m.id")
    };
}

/// Each sort order's keyset condition (the rows after the cursor), ORDER BY and LIMIT.
macro_rules! soonest_order {
    () => {
        concat!(
            " AND ($16 = FALSE OR (m.starts_at, m.id) > ($17, $18)) ORDER BY ",
            soonest_keys!(),
            " LIMIT CAST($19 AS BIGINT)"
        )
    };
}
macro_rules! newest_order {
    () => {
        concat!(
            " AND ($16 = FALSE OR (m.created_at, m.id) < ($17, $18)) ORDER BY ",
            newest_keys!(),
            " LIMIT CAST($19 AS BIGINT)"
        )
    };
}
macro_rules! nearest_order {
    () => {
        concat!(
            " AND ($16 = FALSE OR (",
            near_distance!(),
            ", m.id) > ($29, $18)) ORDER BY ",
            nearest_keys!(),
            " LIMIT CAST($19 AS BIGINT)"
        )
    };
}

/// The walk: `meetups_list_idx` in start order, every filter checked on its entries.
macro_rules! walk_sql {
    ($order:expr) => {
        concat!(
            "SELECT ",
            meetup_columns!(),
            " FROM meetups m JOIN users u ON u.id = m.host_id WHERE ",
            list_filters!(),
            $order
        )
    };
}

/// The focused search on SQLite: one seek into `meetups_list_focus_idx` per chosen (theme,
/// start hour) pair (`$30`, `$31`: JSON arrays), every filter checked on the index entries, the
/// page picked from them (the index carries `id`, `host_id` and `group_id` too, migration 0019),
/// and only then the page's rows and hosts fetched and put back in order (`$outer`, the same
/// order on the same columns). SQLite's planner cannot see that the lists are short, so the
/// index is named.
macro_rules! focus_sql_sqlite {
    ($order:expr, $outer:expr) => {
        concat!(
            "SELECT ",
            meetup_columns!(),
            " FROM (SELECT m.rowid AS pick_rowid FROM meetups m INDEXED BY meetups_list_focus_idx \
             WHERE m.theme IN (SELECT value FROM json_each($30)) \
             AND m.start_hour IN (SELECT value FROM json_each($31)) AND ",
            list_filters!(),
            $order,
            ") AS pick JOIN meetups m ON m.rowid = pick.pick_rowid \
             JOIN users u ON u.id = m.host_id ORDER BY ",
            $outer
        )
    };
}

/// The focused search on PostgreSQL: for each chosen (theme, start hour) pair, the first page
/// of that pair alone (an ordered range of `meetups_list_focus_idx` with the window, box and
/// distance as index conditions), then the first page of their union, and only then the hosts
/// of that page (a join outside the limit, so no host is looked up for a row that is cut), put
/// back in order (`$outer`). A lateral join keeps the plan the same whatever the generic plan's
/// guesses. The pairs come through `unnest` of an array, which the planner takes for 10 rows,
/// not through a set-returning JSON function (100 rows each): with 100 × 100 pairs the custom
/// plans of a new connection's first five executions cost enough to be JIT-compiled, 80–200 ms
/// each.
macro_rules! focus_sql_postgres {
    ($order:expr, $outer:expr) => {
        concat!(
            "SELECT ",
            meetup_columns!(),
            " FROM (SELECT m.* \
             FROM unnest(ARRAY(SELECT jsonb_array_elements_text(CAST($30 AS jsonb)))) AS ft(theme) \
             CROSS JOIN unnest(ARRAY(SELECT CAST(jsonb_array_elements_text(CAST($31 AS jsonb)) \
             AS BIGINT))) AS fh(hour) \
             CROSS JOIN LATERAL (SELECT m.* FROM meetups m \
             WHERE m.theme = ft.theme AND m.start_hour = fh.hour AND ",
            list_filters!(),
            $order,
            ") m WHERE TRUE",
            $order,
            ") m JOIN users u ON u.id = m.host_id ORDER BY ",
            $outer
        )
    };
}

/// The near-point parameters: centre, the cosine of its latitude and the squared radius in
/// degrees².
#[derive(Debug, Clone, Copy)]
struct Near {
    lat: f64,
    lng: f64,
    kx: f64,
    r2: f64,
}

fn near_of(f: &Filter) -> Option<Near> {
    f.near.map(|(lat, lng, km)| {
        let deg = km / 111.32;
        Near {
            lat,
            lng,
            kx: lat.to_radians().cos(),
            r2: deg * deg,
        }
    })
}

/// The near-point distance of a meetup in degrees², exactly as the SQL computes it (same
/// operations in the same order, IEEE doubles on both backends); 0 without a near point.
pub fn near_distance(f: &Filter, m: &Meetup) -> f64 {
    match near_of(f) {
        Some(n) => {
            let (dy, dx) = (m.lat - n.lat, m.lng - n.lng);
            dy * dy + dx * n.kx * dx * n.kx
        }
        None => 0.0,
    }
}

/// The cursor that continues a list after `m`.
pub fn cursor_after(f: &Filter, sort: Sort, m: &Meetup) -> ListCursor {
    let key = match sort {
        Sort::Soonest => m.starts_at,
        Sort::Newest => m.created_at,
        // Non-negative doubles order like their bit patterns.
        Sort::Nearest => near_distance(f, m).to_bits() as i64,
    };
    ListCursor { key, id: m.id }
}

/// The (theme, start hour) pairs of a focused search as two JSON arrays, or `None` when the
/// walk serves the filter better.
///
/// The walk reads the start-ordered index until a page is full: cheap when many meetups
/// match, but a narrow search (a few themes at a few times of day near one point) reads the
/// whole window for a handful of rows. The focused search reads only the chosen pairs' part
/// of the window, then sorts: it wins when themes and times of day together keep at most a
/// quarter of all meetups and a near point or an end date bounds how much of that part
/// matches (measured with `bench/meetups`; docs/BENCHMARKS.md).
fn focus_lists(f: &Filter) -> Option<(String, String)> {
    let themes: Vec<&str> = f.themes.split(',').filter(|t| !t.is_empty()).collect();
    let slots = (0..6).filter(|k| f.slots & (1 << k) != 0).count();
    let narrow = !themes.is_empty()
        && slots > 0
        && themes.len() * slots * 4 <= moim_core::meetups::THEMES.len() * 6;
    if !narrow || (f.near.is_none() && f.to.is_none()) {
        return None;
    }
    let mut theme_json = String::from("[");
    for (i, t) in themes.iter().enumerate() {
        if i > 0 {
            theme_json.push(',');
        }
        theme_json.push('"');
        // Themes come from the allow-list; escaping keeps the array valid whatever they hold.
        for c in t.chars() {
            match c {
                '"' => theme_json.push_str("\\\""),
                '\\' => theme_json.push_str("\\\\"),
                c if c.is_control() => theme_json.push_str(&format!("\\u{:04x}", c as u32)),
                c => theme_json.push(c),
            }
        }
        theme_json.push('"');
    }
    theme_json.push(']');
    // Slot k+1 is the local start hours 4k to 4k+3 (see moim_core::meetups::time_slot).
    let hours: Vec<String> = (0..24i64)
        .filter(|h| f.slots & (1 << (h / 4)) != 0)
        .map(|h| h.to_string())
        .collect();
    Some((theme_json, format!("[{}]", hours.join(","))))
}

/// One page of the filtered list (`limit` rows; fetch `limit + 1` to know whether more follow).
///
/// Every sort order pages by keyset on `(key, id)`, so infinite scroll neither skips nor
/// repeats a row when meetups are added or share a key; pass [`cursor_after`] of the last row.
/// Two index shapes serve the filters (see [`focus_lists`]): the start-ordered
/// `meetups_list_idx` with every filter on its entries, or `meetups_list_focus_idx` led by
/// (theme, start hour) for a narrow search. The time window is one plain range on `starts_at`
/// (the "from" day, the "to" day and the closing time folded into two bounds), and a
/// near-point filter is first a latitude/longitude box before the exact distance.
pub async fn list(
    db: &Db,
    f: &Filter,
    sort: Sort,
    after: Option<ListCursor>,
    limit: i64,
) -> Result<Vec<Meetup>> {
    // Near-point: an equirectangular distance in degrees², exact enough below a few hundred km
    // and plain arithmetic on both backends, and the box around the circle (wider in
    // longitude away from the equator).
    let near = near_of(f);
    let (lat_box, lng_box) = match (near, f.near) {
        (Some(n), Some((_, _, km))) => {
            let deg = km / 111.32;
            // Near the poles the longitude box would span the globe: leave it open there.
            let lng_deg = if n.kx > 0.01 { deg / n.kx } else { 1000.0 };
            (
                (n.lat - deg, n.lat + deg),
                (n.lng - lng_deg, n.lng + lng_deg),
            )
        }
        _ => ((-1000.0, 1000.0), (-1000.0, 1000.0)),
    };
    let n = near.unwrap_or(Near {
        lat: 0.0,
        lng: 0.0,
        kx: 1.0,
        r2: 0.0,
    });
    let viewer = f.viewer.unwrap_or(Uuid::nil());
    // The time window as one range: [lower, upper).
    let mut lower = f.from.unwrap_or(i64::MIN);
    if !f.include_closed {
        lower = lower.max(f.now + moim_core::meetups::LIST_CLOSES);
    }
    let upper = f.to.unwrap_or(i64::MAX);
    // The next page of the soonest list starts at the cursor: part of the same range.
    if let (Sort::Soonest, Some(c)) = (sort, after) {
        lower = lower.max(c.key);
    }
    let focus = focus_lists(f);
    // One fixed SQL text per sort order and index shape: request values only ever arrive
    // through the numbered parameters.
    let sql = match (db, &focus, sort) {
        (_, None, Sort::Soonest) => walk_sql!(soonest_order!()),
        (_, None, Sort::Newest) => walk_sql!(newest_order!()),
        (_, None, Sort::Nearest) => walk_sql!(nearest_order!()),
        (Db::Sqlite(_), Some(_), Sort::Soonest) => {
            focus_sql_sqlite!(soonest_order!(), soonest_keys!())
        }
        (Db::Sqlite(_), Some(_), Sort::Newest) => {
            focus_sql_sqlite!(newest_order!(), newest_keys!())
        }
        (Db::Sqlite(_), Some(_), Sort::Nearest) => {
            focus_sql_sqlite!(nearest_order!(), nearest_keys!())
        }
        (Db::Postgres(_), Some(_), Sort::Soonest) => {
            focus_sql_postgres!(soonest_order!(), soonest_keys!())
        }
        (Db::Postgres(_), Some(_), Sort::Newest) => {
            focus_sql_postgres!(newest_order!(), newest_keys!())
        }
        (Db::Postgres(_), Some(_), Sort::Nearest) => {
            focus_sql_postgres!(nearest_order!(), nearest_keys!())
        }
    };
    let (themes_json, hours_json) = focus.unwrap_or_default();
    let (has_after, key, after_id) = match after {
        Some(c) => (true, c.key, c.id),
        None => (false, 0, Uuid::nil()),
    };
    // The nearest cursor's distance (an out-of-range key decodes to some double, never an error).
    let after_distance = f64::from_bits(key as u64);
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Meetup>(sql)
        .bind(viewer)                                   // $1
        .bind(f.include_closed)                         // $2
        .bind(lower)                                    // $3
        .bind(upper)                                    // $4
        .bind(f.slots)                                  // $5
        .bind(f.min_distance_m.unwrap_or(i64::MIN))     // $6
        .bind(f.max_distance_m.is_some())               // $7 (unused since 0016)
        .bind(f.max_distance_m.unwrap_or(i64::MAX))     // $8
        .bind(&f.themes)                                // $9
        .bind(f.regions)                                // $10
        .bind(n.lat).bind(n.lng).bind(n.kx)             // $11 $12 $13
        .bind(near.is_some()).bind(n.r2)                // $14 $15
        .bind(has_after).bind(key).bind(after_id)       // $16 $17 $18
        .bind(limit)                                    // $19
        .bind(&f.levels)                                // $20
        .bind(f.group.is_some()).bind(f.group.unwrap_or(Uuid::nil())) // $21 $22
        .bind(f.host.is_some()).bind(f.host.unwrap_or(Uuid::nil()))   // $23 $24
        .bind(lat_box.0).bind(lat_box.1)                // $25 $26
        .bind(lng_box.0).bind(lng_box.1)                // $27 $28
        .bind(after_distance)                           // $29
        .bind(&themes_json).bind(&hours_json)           // $30 $31
        .fetch_all(pool).await?))
}

/// Meetups a user has a place in (not hosted), newest start first; `attended_only` keeps
/// those the host marked them present at.
pub async fn joined_by(
    db: &Db,
    user: Uuid,
    attended_only: bool,
    limit: i64,
) -> Result<Vec<Meetup>> {
    let sql = concat!(
        "SELECT ",
        meetup_columns!(),
        " FROM meetups m JOIN users u ON u.id = m.host_id \
         JOIN meetup_participants p ON p.meetup_id = m.id AND p.user_id = $1 AND p.status = 'joined' \
         WHERE m.host_id <> $1 AND m.cancelled_at IS NULL AND ($2 = FALSE OR p.attended = TRUE) \
         ORDER BY m.starts_at DESC, m.id DESC LIMIT $3"
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, Meetup>(sql).bind(user).bind(attended_only).bind(limit).fetch_all(pool).await?),
    )
}

pub async fn set_preferences(
    db: &Db,
    user: Uuid,
    region: i64,
    band: i64,
    now: Millis,
) -> Result<()> {
    dispatch!(db, pool => sqlx::query(
        "INSERT INTO meetup_preferences (user_id, region, distance_band, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET region = $2, distance_band = $3, updated_at = $4")
        .bind(user).bind(region).bind(band).bind(now).execute(pool).await?.rows_affected());
    Ok(())
}

/// (region, distance band), both 0 when never set.
pub async fn preferences(db: &Db, user: Uuid) -> Result<(i64, i64)> {
    let row: Option<(i64, i64)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT region, distance_band FROM meetup_preferences WHERE user_id = $1")
        .bind(user).fetch_optional(pool).await?);
    Ok(row.unwrap_or((0, 0)))
}

/// Meetups the user holds a place in (hosted ones included) that have not started, soonest
/// first: the profile's "upcoming". A meetup that started today is skipped and the rest still
/// follow (the original stopped at it).
pub async fn upcoming_for(db: &Db, user: Uuid, now: Millis, limit: i64) -> Result<Vec<Meetup>> {
    let sql = concat!(
        "SELECT ",
        meetup_columns!(),
        " FROM meetups m JOIN users u ON u.id = m.host_id \
         JOIN meetup_participants p ON p.meetup_id = m.id AND p.user_id = $1 AND p.status = 'joined' \
         WHERE m.cancelled_at IS NULL AND m.starts_at > $2 \
         ORDER BY m.starts_at, m.id LIMIT $3"
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, Meetup>(sql).bind(user).bind(now).bind(limit).fetch_all(pool).await?),
    )
}

/// The people holding a place (the host included), for reminders and notices.
pub async fn joined_ids(db: &Db, id: Uuid) -> Result<Vec<Uuid>> {
    let rows: Vec<(Uuid,)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT user_id FROM meetup_participants WHERE meetup_id = $1 AND status = 'joined' ORDER BY applied_at, user_id")
        .bind(id).fetch_all(pool).await?);
    Ok(rows.into_iter().map(|r| r.0).collect())
}
