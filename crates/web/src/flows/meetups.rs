//! Meetup use cases. Every action starts from [`access`]: the meetup is loaded with the viewer's
//! participation (and, for a meetup inside a group, the viewer's membership) and every decision
//! is taken from that, never from ids the client sends about who is acting.

use super::{Validator, checked};
use crate::AppState;
use crate::error::ApiError;
use moim_core::FieldError;
use moim_core::accounts::parse_text;
use moim_core::meetups::{self as rules};
use moim_core::time::{Millis, now_millis};
use moim_store::meetups::{
    self as store, ApplyOutcome, ApproveOutcome, LeaveOutcome, Meetup, MeetupFields, Participant,
};
use uuid::Uuid;

/// Sends one notice of `kind` about `m` to each of `to` through the notification seam, inside
/// the meetup change's transaction (both commit, or neither).
async fn tell(
    state: &AppState,
    tx: &mut moim_store::Tx,
    m: &Meetup,
    kind: &'static str,
    to: Vec<Uuid>,
    actor: Option<Uuid>,
) -> Result<(), ApiError> {
    let notices = to
        .into_iter()
        .map(|recipient| super::notify::Notice {
            recipient,
            kind,
            params: vec![("title", m.title.clone())],
            link: format!("/meetups/{}", m.id),
            group: m.group_id,
            actor,
        })
        .collect();
    super::notify::notify_in(state, tx, notices).await
}

/// The three reminders of a meetup: (key, kind for the host, kind for the others, link suffix
/// for the host, link suffix for the others).
const REMINDERS: [(&str, &str, &str, &str, &str); 3] = [
    ("d-day", "meetup.d_day", "meetup.d_day", "", ""),
    (
        "before-30m",
        "meetup.starting_host",
        "meetup.starting",
        "/attendance",
        "",
    ),
    (
        "after",
        "meetup.finished_host",
        "meetup.finished",
        "",
        "/rating",
    ),
];

/// When each reminder of `m` fires: D-day morning (08:00 local), 30 min before the start (the
/// host's links to the attendance sheet), 1 h after the end (start + duration; the others'
/// links to the rating form).
pub fn reminder_times(m: &Meetup) -> [Millis; 3] {
    [
        rules::d_day_at(m.starts_at, &m.time_zone),
        m.starts_at - rules::BEFORE_START,
        m.ends_at() + rules::AFTER_END,
    ]
}

fn object(id: Uuid) -> String {
    format!("meetup:{id}")
}

/// Whether `p` gets reminder `key` of `m`: everyone holding a place gets the D-day and the
/// 30-minute reminders; the one after the end goes to the host and to the participants the
/// host marked present, because its message invites them to rate the host, which nobody else
/// may do. So that reminder is scheduled when the attendance sheet is saved, and a person who
/// joins after it was saved is never asked.
fn reminded(key: &str, m: &Meetup, p: &Participant) -> bool {
    p.status == "joined" && (key != "after" || p.user_id == m.host_id || p.attended == Some(true))
}

/// Every reminder key.
const ALL_REMINDERS: [&str; 3] = ["d-day", "before-30m", "after"];

/// Brings the reminders `keys` of `m` for the people `to` in line with their participation,
/// inside the transaction of the change that moved it (both commit, or neither): schedules or
/// moves the ones [`reminded`] allows, cancels the others (someone who left, a no-show). A
/// reminder whose time has passed is not sent late and a queued one for it (a meetup moved
/// earlier) is cancelled, except the invitation to rate, which a sheet saved after its time
/// sends at once while rating is open. Keyed per (meetup, reminder, person), so calling this
/// again never doubles a reminder. `m` must be read in `tx` after the change.
async fn sync_reminders_in(
    tx: &mut moim_store::Tx,
    m: &Meetup,
    to: &[Uuid],
    keys: &[&str],
) -> Result<(), ApiError> {
    if to.is_empty() || m.cancelled_at.is_some() {
        return Ok(());
    }
    let now = now_millis();
    let people: std::collections::HashMap<Uuid, Participant> = store::participants_in(tx, m.id)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p))
        .collect();
    let local = moim_core::time::timestamp(m.starts_at)
        .to_zoned(moim_core::time::zone(&m.time_zone))
        .strftime("%H:%M")
        .to_string();
    let rating_open = matches!(
        rules::rating_window(now, m.starts_at, m.duration_min),
        rules::RatingWindow::Open
    );
    for ((key, host_kind, kind, host_anchor, anchor), at) in
        REMINDERS.into_iter().zip(reminder_times(m))
    {
        if !keys.contains(&key) {
            continue;
        }
        let (at, live) = if at > now {
            (at, true)
        } else if key == "after" && rating_open {
            (now, true)
        } else {
            (at, false)
        };
        let mut notices = Vec::new();
        for u in to {
            let person = people.get(u).filter(|p| reminded(key, m, p));
            let Some(person) = person.filter(|_| live) else {
                super::notify::cancel_reminder_in(tx, &object(m.id), key, *u).await?;
                continue;
            };
            let host = *u == m.host_id;
            notices.push(super::notify::Notice {
                recipient: *u,
                kind: if host { host_kind } else { kind },
                params: vec![
                    ("title", m.title.clone()),
                    ("name", person.nickname.clone()),
                    ("time", local.clone()),
                    ("place", m.address.clone()),
                ],
                link: format!(
                    "/meetups/{}{}",
                    m.id,
                    if host { host_anchor } else { anchor }
                ),
                group: m.group_id,
                actor: None,
            });
        }
        if !notices.is_empty() {
            super::notify::remind_in(
                tx,
                super::notify::Reminder {
                    object: object(m.id),
                    key,
                    at,
                    notices,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// The meetup as the transaction sees it after its change (a concurrent edit that committed
/// first, e.g. a moved start, is what the reminders must follow).
async fn reread(tx: &mut moim_store::Tx, id: Uuid) -> Result<Meetup, ApiError> {
    store::get_in(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("meetup_not_found"))
}

/// Queues the removal of photos a meetup no longer shows. The change has committed; a failure
/// to queue is logged (the photos then stay, unused).
async fn remove_images<'a>(state: &AppState, id: Uuid, hashes: impl Iterator<Item = &'a str>) {
    let hashes: Vec<String> = hashes
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect();
    if let Err(e) = crate::media::queue_cleanup(&state.db, hashes).await {
        tracing::warn!(code = e.code, meetup = %id, "meetup photo removal not queued");
    }
}

/// Raw meetup input, shared by the JSON body and the HTML form.
#[derive(Debug, Default, Clone)]
pub struct MeetupInput {
    pub group_id: Option<Uuid>,
    pub is_public: bool,
    pub title: String,
    pub description: String,
    /// `YYYY-MM-DD`, local to `time_zone`.
    pub date: String,
    /// `HH:MM`, local.
    pub time: String,
    /// Minutes; `None` = the default (2 h).
    pub duration_min: Option<i64>,
    pub time_zone: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub route: Vec<(f64, f64)>,
    pub pace: String,
    pub level: String,
    pub theme: String,
    pub capacity: Option<i64>,
    pub waitlist: bool,
    pub approval: bool,
    /// Media URLs (`/media/<hash>/<variant>`) or hashes, at most 3.
    pub images: Vec<String>,
    pub parking: String,
    pub baggage: String,
    pub chat_link: String,
}

/// The start instant and local hour of a civil date and time in a zone.
fn start_of(date: &str, time: &str, tz: &str) -> Result<(Millis, i64), FieldError> {
    let d: jiff::civil::Date = date
        .trim()
        .parse()
        .map_err(|_| FieldError::new("date", "invalid_date"))?;
    let t: jiff::civil::Time = time
        .trim()
        .parse()
        .map_err(|_| FieldError::new("time", "invalid_time"))?;
    let zone = jiff::tz::TimeZone::get(tz).map_err(|_| FieldError::new("time_zone", "invalid"))?;
    let z = d
        .to_datetime(t)
        .to_zoned(zone)
        .map_err(|_| FieldError::new("date", "invalid_date"))?;
    Ok((z.timestamp().as_millisecond(), i64::from(t.hour())))
}

fn parse_images(raw: &[String]) -> Result<Vec<String>, FieldError> {
    if raw.len() > rules::IMAGES_MAX {
        return Err(FieldError::new("images", "too_many"));
    }
    raw.iter()
        .map(|s| {
            let s = s.trim();
            let hash = crate::media::hash_of_url(s).unwrap_or(s);
            if crate::media::is_hash(hash) {
                Ok(hash.to_owned())
            } else {
                Err(FieldError::new("images", "invalid_image"))
            }
        })
        .collect()
}

impl MeetupInput {
    pub fn from_meetup(m: &Meetup) -> Self {
        let local =
            moim_core::time::timestamp(m.starts_at).to_zoned(moim_core::time::zone(&m.time_zone));
        Self {
            group_id: m.group_id,
            is_public: m.is_public,
            title: m.title.clone(),
            description: m.description.clone(),
            date: local.date().to_string(),
            time: local.strftime("%H:%M").to_string(),
            duration_min: Some(m.duration_min),
            time_zone: m.time_zone.clone(),
            address: m.address.clone(),
            lat: Some(m.lat),
            lng: Some(m.lng),
            route: route_points(&m.route),
            pace: m.pace.clone(),
            level: m.level.clone(),
            theme: m.theme.clone(),
            capacity: Some(m.capacity),
            waitlist: m.waitlist,
            approval: m.approval,
            images: image_hashes(m).map(str::to_owned).collect(),
            parking: m.parking.clone(),
            baggage: m.baggage.clone(),
            chat_link: m.chat_link.clone(),
        }
    }

    /// Parses every field, collecting all errors. `min_start` is the earliest allowed start.
    pub fn parse(&self, min_start: Option<Millis>) -> Result<MeetupFields, ApiError> {
        let mut v = Validator::default();
        let title = v.check(rules::parse_title(&self.title));
        let description = v.check(parse_text(
            "description",
            &self.description,
            rules::DESCRIPTION_MAX,
            false,
        ));
        let tz = if self.time_zone.trim().is_empty() {
            moim_core::accounts::DEFAULT_TIME_ZONE.to_owned()
        } else {
            v.check(moim_core::accounts::parse_time_zone(&self.time_zone))
                .unwrap_or_default()
        };
        let start = v.check(start_of(&self.date, &self.time, &tz));
        let duration = v.check(rules::parse_duration(
            self.duration_min.unwrap_or(rules::DEFAULT_DURATION_MIN),
        ));
        if let (Some((at, _)), Some(min)) = (start, min_start)
            && at < min
        {
            v.push(FieldError::new("date", "too_soon"));
        }
        let address = v.check(parse_text(
            "address",
            &self.address,
            rules::ADDRESS_MAX,
            true,
        ));
        if self.route.len() > rules::ROUTE_MAX_POINTS {
            v.push(FieldError::new("route", "too_many_points"));
        }
        for (lat, lng) in &self.route {
            if rules::check_point("route", *lat, *lng).is_err() {
                v.push(FieldError::new("route", "invalid_coordinates"));
                break;
            }
        }
        let point = match (self.lat, self.lng) {
            (Some(lat), Some(lng)) => {
                v.check(rules::check_point("lat", lat, lng).map(|_| (lat, lng)))
            }
            _ => match self.route.first() {
                Some(p) => Some(*p),
                None => {
                    v.push(FieldError::new("lat", "required"));
                    None
                }
            },
        };
        let pace = v.check(rules::parse_pace(&self.pace));
        let level = if self.level.trim().is_empty() {
            Some("any")
        } else {
            v.check(rules::parse_choice("level", &self.level, rules::LEVELS))
        };
        let theme = v.check(rules::parse_choice("theme", &self.theme, rules::THEMES));
        let capacity = match self.capacity {
            Some(c) => v.check(rules::parse_capacity(c)),
            None => {
                v.push(FieldError::new("capacity", "required"));
                None
            }
        };
        let images = v.check(parse_images(&self.images));
        let parking = v.check(parse_text("parking", &self.parking, rules::NOTE_MAX, false));
        let baggage = v.check(parse_text("baggage", &self.baggage, rules::NOTE_MAX, false));
        let chat_link = v.check(moim_core::accounts::parse_url("chat_link", &self.chat_link));
        v.finish()?;
        let (starts_at, start_hour) = checked(start)?;
        let (lat, lng) = checked(point)?;
        let address = checked(address)?;
        let route_json =
            serde_json::to_string(&self.route.iter().map(|(a, b)| [*a, *b]).collect::<Vec<_>>())
                .map_err(ApiError::internal)?;
        Ok(MeetupFields {
            group_id: self.group_id,
            is_public: self.is_public,
            title: checked(title)?,
            description: checked(description)?,
            starts_at,
            duration_min: checked(duration)?,
            time_zone: tz,
            start_hour,
            region: rules::region_of(&address),
            address,
            lat,
            lng,
            route: route_json,
            distance_m: rules::route_length_m(&self.route),
            pace: checked(pace)?,
            level: checked(level)?.to_owned(),
            theme: checked(theme)?.to_owned(),
            capacity: checked(capacity)?,
            waitlist: self.waitlist,
            approval: self.approval,
            images: checked(images)?.join(","),
            parking: checked(parking)?,
            baggage: checked(baggage)?,
            chat_link: checked(chat_link)?.unwrap_or_default(),
        })
    }
}

/// The route stored as JSON `[[lat, lng], ...]`.
pub fn route_points(json: &str) -> Vec<(f64, f64)> {
    serde_json::from_str::<Vec<[f64; 2]>>(json)
        .unwrap_or_default()
        .into_iter()
        .map(|[a, b]| (a, b))
        .collect()
}

pub fn image_hashes(m: &Meetup) -> impl Iterator<Item = &str> {
    m.images.split(',').filter(|s| !s.is_empty())
}

/// A meetup as seen by one viewer.
pub struct Access {
    pub meetup: Meetup,
    pub me: Option<Participant>,
    pub viewer: Option<Uuid>,
}

impl Access {
    pub fn is_host(&self) -> bool {
        self.viewer == Some(self.meetup.host_id)
    }
    pub fn host(self) -> Result<Self, ApiError> {
        if self.is_host() {
            Ok(self)
        } else {
            Err(ApiError::forbidden("host_only"))
        }
    }
    pub fn started(&self, now: Millis) -> bool {
        self.meetup.starts_at <= now
    }
}

/// Loads a meetup for a viewer (None = signed out). A members-only meetup of a group is a 404
/// for anyone but its active members.
pub async fn access(state: &AppState, id: Uuid, viewer: Option<Uuid>) -> Result<Access, ApiError> {
    let meetup = store::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("meetup_not_found"))?;
    if !meetup.is_public && viewer != Some(meetup.host_id) {
        let member = match (meetup.group_id, viewer) {
            (Some(g), Some(u)) => moim_store::groups::group_for(&state.db, g, u)
                .await?
                .and_then(|(_, m)| m)
                .is_some_and(|m| m.is_active()),
            _ => false,
        };
        if !member {
            return Err(ApiError::not_found("meetup_not_found"));
        }
    }
    let me = match viewer {
        Some(u) => store::participation(&state.db, id, u).await?,
        None => None,
    };
    Ok(Access { meetup, me, viewer })
}

fn min_start(state: &AppState, now: Millis) -> Millis {
    now + i64::try_from(state.config.meetup_min_lead.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Checks the referenced uploads exist.
async fn check_images(state: &AppState, f: &MeetupFields) -> Result<(), ApiError> {
    for h in f.images.split(',').filter(|s| !s.is_empty()) {
        if moim_store::media::get(&state.db, h).await?.is_none() {
            return Err(ApiError::field("images", "unknown_image"));
        }
    }
    Ok(())
}

pub async fn create(state: &AppState, host: Uuid, input: &MeetupInput) -> Result<Meetup, ApiError> {
    let now = now_millis();
    let mut f = input.parse(Some(min_start(state, now)))?;
    if let Some(g) = f.group_id {
        // Hosting inside a group is for its active members.
        let (a, _) = super::groups::access(state, g, host).await?.member()?;
        f.group_id = Some(a.group.id);
    } else {
        // A standalone meetup is always public.
        f.is_public = true;
    }
    check_images(state, &f).await?;
    let cooldown = i64::try_from(state.config.meetup_host_cooldown.as_millis()).unwrap_or(0);
    let mut tx = state.db.begin().await?;
    let id = match store::create_in(&mut tx, host, &f, now, cooldown).await {
        Ok(id) => id,
        Err(moim_store::Error::Conflict("too_fast")) => {
            let e = ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "hosting_too_fast",
            );
            return Err(ApiError {
                retry_after: Some(state.config.meetup_host_cooldown.as_secs().max(1)),
                ..e
            }
            .detail("one host cannot host two meetups within a few seconds"));
        }
        Err(e) => return Err(e.into()),
    };
    let m = reread(&mut tx, id).await?;
    sync_reminders_in(&mut tx, &m, &[host], &ALL_REMINDERS).await?;
    super::notify::commit(state, tx).await?;
    Ok(m)
}

/// Edits before the start (host only). A moved start must again respect the lead time;
/// group, place and route are fixed once hosted.
pub async fn update(
    state: &AppState,
    id: Uuid,
    viewer: Uuid,
    input: &MeetupInput,
) -> Result<Meetup, ApiError> {
    let now = now_millis();
    let a = access(state, id, Some(viewer)).await?.host()?;
    if a.started(now) || a.meetup.cancelled_at.is_some() {
        return Err(ApiError::conflict("meetup_started"));
    }
    // A client that does not send a duration keeps the meetup's (it predates the field).
    let mut input = input.clone();
    input.duration_min = input.duration_min.or(Some(a.meetup.duration_min));
    let mut f = input.parse(None)?;
    if f.starts_at != a.meetup.starts_at && f.starts_at < min_start(state, now) {
        return Err(ApiError::field("date", "too_soon"));
    }
    if a.meetup.group_id.is_none() {
        f.is_public = true;
    }
    check_images(state, &f).await?;
    let mut tx = state.db.begin().await?;
    match store::update_in(&mut tx, id, &f, now).await {
        Ok(()) => {}
        Err(moim_store::Error::Conflict("capacity")) => {
            return Err(ApiError::field("capacity", "below_participants"));
        }
        Err(moim_store::Error::Conflict(_)) => return Err(ApiError::conflict("meetup_started")),
        Err(e) => return Err(e.into()),
    }
    let people = store::joined_ids_in(&mut tx, id).await?;
    let mut edited = a.meetup.clone();
    edited.title.clone_from(&f.title);
    tell(
        state,
        &mut tx,
        &edited,
        "meetup.updated",
        people.clone(),
        Some(viewer),
    )
    .await?;
    // A moved start moves everyone's reminders (and a new title shows in them).
    let m = reread(&mut tx, id).await?;
    sync_reminders_in(&mut tx, &m, &people, &ALL_REMINDERS).await?;
    super::notify::commit(state, tx).await?;
    // Photos taken off by the edit leave storage (the reference deleted them too).
    let kept: Vec<&str> = image_hashes(&m).collect();
    remove_images(
        state,
        id,
        image_hashes(&a.meetup).filter(|h| !kept.contains(h)),
    )
    .await;
    Ok(m)
}

pub async fn cancel(state: &AppState, id: Uuid, viewer: Uuid) -> Result<(), ApiError> {
    let a = access(state, id, Some(viewer)).await?.host()?;
    let mut tx = state.db.begin().await?;
    let Some(images) = store::cancel_in(&mut tx, a.meetup.id, now_millis()).await? else {
        return Err(ApiError::conflict("meetup_started"));
    };
    let to = store::joined_ids_in(&mut tx, id).await?;
    tell(
        state,
        &mut tx,
        &a.meetup,
        "meetup.cancelled",
        to,
        Some(viewer),
    )
    .await?;
    super::notify::cancel_reminders_in(&mut tx, &object(id)).await?;
    super::notify::commit(state, tx).await?;
    // The photos go from storage (through the media job, off the request), as in the
    // reference's delete; one still used elsewhere stays.
    remove_images(state, id, images.split(',')).await;
    Ok(())
}

pub async fn apply(state: &AppState, id: Uuid, viewer: Uuid) -> Result<ApplyOutcome, ApiError> {
    let a = access(state, id, Some(viewer)).await?;
    let mut tx = state.db.begin().await?;
    let out = store::apply_in(&mut tx, a.meetup.id, viewer, now_millis()).await?;
    match out {
        ApplyOutcome::Closed => Err(ApiError::conflict("meetup_closed")
            .detail("applying and cancelling close at the start")),
        ApplyOutcome::Full => Err(ApiError::conflict("meetup_full")),
        ApplyOutcome::Already => Err(ApiError::conflict("already_applied")),
        other => {
            let kind = if other == ApplyOutcome::Pending {
                "meetup.pending"
            } else {
                "meetup.applied"
            };
            tell(
                state,
                &mut tx,
                &a.meetup,
                kind,
                vec![a.meetup.host_id],
                Some(viewer),
            )
            .await?;
            if other == ApplyOutcome::Joined {
                let m = reread(&mut tx, id).await?;
                sync_reminders_in(&mut tx, &m, &[viewer], &ALL_REMINDERS).await?;
            }
            super::notify::commit(state, tx).await?;
            Ok(other)
        }
    }
}

pub async fn leave(state: &AppState, id: Uuid, viewer: Uuid) -> Result<Option<Uuid>, ApiError> {
    let a = access(state, id, Some(viewer)).await?;
    if a.is_host() {
        return Err(ApiError::conflict("host_cannot_leave"));
    }
    let mut tx = state.db.begin().await?;
    match store::leave_in(&mut tx, a.meetup.id, viewer, now_millis()).await? {
        LeaveOutcome::Closed => Err(ApiError::conflict("meetup_closed")
            .detail("applying and cancelling close at the start")),
        LeaveOutcome::NotIn => Err(ApiError::conflict("not_applied")),
        LeaveOutcome::Left { promoted } => {
            if let Some(p) = promoted {
                tell(
                    state,
                    &mut tx,
                    &a.meetup,
                    "meetup.promoted",
                    vec![p],
                    Some(viewer),
                )
                .await?;
            }
            // The leaver's reminders go (no row any more); the promoted person's come.
            let m = reread(&mut tx, id).await?;
            let to: Vec<Uuid> = std::iter::once(viewer).chain(promoted).collect();
            sync_reminders_in(&mut tx, &m, &to, &ALL_REMINDERS).await?;
            super::notify::commit(state, tx).await?;
            Ok(promoted)
        }
    }
}

pub async fn approve(state: &AppState, id: Uuid, viewer: Uuid, user: Uuid) -> Result<(), ApiError> {
    let a = access(state, id, Some(viewer)).await?.host()?;
    let mut tx = state.db.begin().await?;
    match store::approve_in(&mut tx, a.meetup.id, user, now_millis()).await? {
        ApproveOutcome::Joined => {
            tell(
                state,
                &mut tx,
                &a.meetup,
                "meetup.approved",
                vec![user],
                Some(viewer),
            )
            .await?;
            let m = reread(&mut tx, id).await?;
            sync_reminders_in(&mut tx, &m, &[user], &ALL_REMINDERS).await?;
            super::notify::commit(state, tx).await?;
            Ok(())
        }
        ApproveOutcome::Full => Err(ApiError::conflict("meetup_full")),
        ApproveOutcome::NotPending => Err(ApiError::not_found("application_not_found")),
        ApproveOutcome::Closed => Err(ApiError::conflict("meetup_closed")),
    }
}

/// The host turns down a pending application (approval mode); the applicant is told.
pub async fn decline(state: &AppState, id: Uuid, viewer: Uuid, user: Uuid) -> Result<(), ApiError> {
    let a = access(state, id, Some(viewer)).await?.host()?;
    let mut tx = state.db.begin().await?;
    if !store::decline_in(&mut tx, a.meetup.id, user).await? {
        return Err(ApiError::not_found("application_not_found"));
    }
    tell(
        state,
        &mut tx,
        &a.meetup,
        "meetup.declined",
        vec![user],
        Some(viewer),
    )
    .await?;
    super::notify::commit(state, tx).await
}

/// Why the host cannot take attendance now, if they cannot: the meetup was cancelled, the
/// sheet opens 30 minutes before the start, it closes with the rating window (7 days after the
/// end), and it is submitted once.
pub fn attendance_refusal(m: &Meetup, now: Millis) -> Option<ApiError> {
    if m.cancelled_at.is_some() {
        return Some(ApiError::conflict("meetup_cancelled"));
    }
    if now < m.starts_at - rules::ATTENDANCE_OPENS {
        return Some(
            ApiError::conflict("attendance_not_open")
                .detail("attendance opens 30 minutes before the start"),
        );
    }
    if !rules::attendance_open(now, m.starts_at, m.duration_min) {
        return Some(
            ApiError::conflict("attendance_closed")
                .detail("attendance closes 7 days after the end"),
        );
    }
    if m.attendance_at.is_some() {
        return Some(ApiError::conflict("attendance_submitted"));
    }
    None
}

/// The host's attendance sheet: from 30 min before the start, submitted once.
pub async fn submit_attendance(
    state: &AppState,
    id: Uuid,
    viewer: Uuid,
    present: &[Uuid],
) -> Result<(), ApiError> {
    let now = now_millis();
    let a = access(state, id, Some(viewer)).await?.host()?;
    // Nobody but the other participants can be present (at most capacity − 1 of them): a
    // longer list would only make the sheet's transaction run one update per entry while it
    // holds the write lock.
    if present.len() > usize::try_from(rules::CAPACITY_MAX).unwrap_or(usize::MAX) {
        return Err(ApiError::field("present", "too_many"));
    }
    if let Some(e) = attendance_refusal(&a.meetup, now) {
        return Err(e);
    }
    let mut tx = state.db.begin().await?;
    if !store::submit_attendance_in(&mut tx, a.meetup.id, viewer, present, now).await? {
        return Err(ApiError::conflict("attendance_submitted"));
    }
    // Those marked present are invited to rate the host after the end; a no-show is not
    // (and loses an invitation scheduled before this rule).
    let m = reread(&mut tx, id).await?;
    let others: Vec<Uuid> = store::joined_ids_in(&mut tx, id)
        .await?
        .into_iter()
        .filter(|u| *u != viewer)
        .collect();
    sync_reminders_in(&mut tx, &m, &others, &["after"]).await?;
    super::notify::commit(state, tx).await
}

/// Why the viewer cannot rate the host of `a` now, if they cannot (the rating itself may
/// still be refused as a second one: the database decides that).
pub fn rating_refusal(a: &Access, now: Millis) -> Option<ApiError> {
    if a.is_host() {
        return Some(ApiError::forbidden("host_cannot_rate"));
    }
    // A meetup can be cancelled after the host took attendance (the sheet opens 30 minutes
    // before the start); it never happened, so nobody rates it.
    if a.meetup.cancelled_at.is_some() {
        return Some(ApiError::conflict("meetup_cancelled"));
    }
    let attended =
        a.me.as_ref()
            .is_some_and(|p| p.status == "joined" && p.attended == Some(true));
    if !attended {
        return Some(ApiError::forbidden("not_an_attendee"));
    }
    match rules::rating_window(now, a.meetup.starts_at, a.meetup.duration_min) {
        rules::RatingWindow::NotYet => Some(ApiError::conflict("rating_not_open")),
        rules::RatingWindow::Closed => Some(ApiError::conflict("rating_closed")),
        rules::RatingWindow::Open => None,
    }
}

/// A participant who attended rates the host once, from the start until 7 days after the end.
pub async fn rate_host(
    state: &AppState,
    id: Uuid,
    viewer: Uuid,
    reason: i64,
) -> Result<(), ApiError> {
    let now = now_millis();
    rules::rating_delta(reason)?;
    let a = access(state, id, Some(viewer)).await?;
    if let Some(e) = rating_refusal(&a, now) {
        return Err(e);
    }
    match store::rate(
        &state.db,
        a.meetup.id,
        viewer,
        a.meetup.host_id,
        reason,
        now,
    )
    .await
    {
        Err(moim_store::Error::Conflict(_)) => Err(ApiError::conflict("already_rated")),
        other => Ok(other?),
    }
}

/// The manner score: 50, +1 per meetup attended, ±1 per host rating received.
pub fn manner_score(m: &store::Manner) -> i64 {
    let good: i64 = m.reasons[..5].iter().sum();
    let bad: i64 = m.reasons[5..].iter().sum();
    rules::MANNER_BASE + m.attended + good - bad
}
