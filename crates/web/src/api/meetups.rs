//! `/api/v1/meetups*` and `/api/v1/users/{id}/manner`. Every handler resolves the meetup with the
//! caller's participation through `flows::meetups::access` before it decides anything.

use super::{ApiJson, ApiPath, ApiQuery, created};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::flows::meetups::{self as flows, Access, MeetupInput};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::{StatusCode, request::Parts};
use axum::response::Response;
use moim_core::meetups as rules;
use moim_core::time::{Millis, now_millis, timestamp};
use moim_store::groups::Cursor;
use moim_store::meetups::{self as store, Filter, ListCursor, Meetup, Sort};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_meetups, create_meetup))
        .routes(routes!(get_meetup, update_meetup, cancel_meetup))
        .routes(routes!(apply, leave))
        .routes(routes!(approve))
        .routes(routes!(decline))
        .routes(routes!(list_participants))
        .routes(routes!(submit_attendance))
        .routes(routes!(rate_host, my_rating))
        .routes(routes!(get_manner))
        .routes(routes!(user_meetups))
        .routes(routes!(get_preferences, set_preferences))
}

/// The caller when signed in, `None` otherwise (lists and public meetups work signed out).
pub struct MaybeUser(pub Option<moim_store::accounts::User>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match ApiUser::from_request_parts(parts, state).await {
            Ok(ApiUser(u)) => Ok(MaybeUser(Some(u))),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => Ok(MaybeUser(None)),
            Err(e) => Err(e),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ImageDto {
    pub small: String,
    pub medium: String,
    pub full: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeetupDto {
    pub id: Uuid,
    pub host_id: Uuid,
    pub host_nickname: String,
    pub group_id: Option<Uuid>,
    pub is_public: bool,
    pub title: String,
    pub description: String,
    /// RFC 3339 UTC instant.
    pub starts_at: String,
    /// Local `YYYY-MM-DD HH:MM` in the meetup's zone.
    pub starts_local: String,
    /// How long it lasts, in minutes.
    pub duration_min: i64,
    /// RFC 3339 UTC instant: the start plus the duration.
    pub ends_at: String,
    pub time_zone: String,
    /// 1 = 00–04, 2 = 04–08, … 6 = 20–24 (local start time).
    pub time_slot: i64,
    pub address: String,
    /// 1–9 (0 = unknown), derived from the address.
    pub region: i64,
    pub lat: f64,
    pub lng: f64,
    /// `[[lat, lng], ...]`
    pub route: Vec<[f64; 2]>,
    pub distance_m: i64,
    pub pace: String,
    pub level: String,
    pub theme: String,
    pub capacity: i64,
    pub participant_count: i64,
    pub waitlist: bool,
    pub approval: bool,
    pub images: Vec<ImageDto>,
    pub parking: String,
    pub baggage: String,
    pub chat_link: String,
    /// open, closed (less than 4 h to the start, or full), started or cancelled.
    pub status: String,
    pub attendance_submitted: bool,
    /// The caller's row: joined, waitlisted, pending; null when none.
    pub my_status: Option<String>,
    pub created_at: String,
}

/// The first instant, seen from `now`, at which [`status_of`] may answer differently for `m`
/// without any write: when it closes to new applications ([`rules::LIST_CLOSES`] before the
/// start), then when it starts. At or before `now` when that has already happened.
pub fn status_changes_at(m: &Meetup, now: Millis) -> Millis {
    // "closed" once `starts_at < t + LIST_CLOSES`, i.e. from one millisecond past that mark.
    let closes = m.starts_at - rules::LIST_CLOSES + 1;
    if closes > now { closes } else { m.starts_at }
}

pub fn status_of(m: &Meetup, now: Millis) -> &'static str {
    if m.cancelled_at.is_some() {
        "cancelled"
    } else if m.starts_at <= now {
        "started"
    } else if m.starts_at < now + rules::LIST_CLOSES
        || (m.participant_count >= m.capacity && !m.waitlist)
    {
        "closed"
    } else {
        "open"
    }
}

pub fn meetup_dto(m: &Meetup, my_status: Option<String>) -> MeetupDto {
    let now = now_millis();
    MeetupDto {
        id: m.id,
        host_id: m.host_id,
        host_nickname: m.host_nickname.clone(),
        group_id: m.group_id,
        is_public: m.is_public,
        title: m.title.clone(),
        description: m.description.clone(),
        starts_at: timestamp(m.starts_at).to_string(),
        starts_local: moim_core::time::format_local(m.starts_at, &m.time_zone),
        duration_min: m.duration_min,
        ends_at: timestamp(m.ends_at()).to_string(),
        time_zone: m.time_zone.clone(),
        time_slot: rules::time_slot(m.start_hour),
        address: m.address.clone(),
        region: m.region,
        lat: m.lat,
        lng: m.lng,
        route: flows::route_points(&m.route)
            .into_iter()
            .map(|(a, b)| [a, b])
            .collect(),
        distance_m: m.distance_m,
        pace: m.pace.clone(),
        level: m.level.clone(),
        theme: m.theme.clone(),
        capacity: m.capacity,
        participant_count: m.participant_count,
        waitlist: m.waitlist,
        approval: m.approval,
        images: flows::image_hashes(m)
            .map(|h| ImageDto {
                small: crate::media::url(h, "w384"),
                medium: crate::media::url(h, "w758"),
                full: crate::media::url(h, "full"),
            })
            .collect(),
        parking: m.parking.clone(),
        baggage: m.baggage.clone(),
        chat_link: m.chat_link.clone(),
        status: status_of(m, now).to_owned(),
        attendance_submitted: m.attendance_at.is_some(),
        my_status,
        created_at: timestamp(m.created_at).to_string(),
    }
}

fn access_dto(a: &Access) -> MeetupDto {
    meetup_dto(&a.meetup, a.me.as_ref().map(|p| p.status.clone()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetupBody {
    /// Host inside this group (members only); omit for a standalone (public) meetup.
    #[serde(default)]
    pub group_id: Option<Uuid>,
    /// Inside a group: visible to everyone (true) or to members only (false).
    #[serde(default)]
    pub is_public: bool,
    /// 3–28 characters.
    pub title: String,
    /// Up to 600 characters.
    #[serde(default)]
    pub description: String,
    /// `YYYY-MM-DD` in `time_zone`.
    pub date: String,
    /// `HH:MM` in `time_zone`.
    pub time: String,
    /// How long it lasts in minutes: 15–1440, a multiple of 5 (default 120).
    #[serde(default)]
    pub duration_min: Option<i64>,
    /// IANA zone, default Asia/Seoul.
    #[serde(default)]
    pub time_zone: String,
    pub address: String,
    /// Meeting point; defaults to the first route point.
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lng: Option<f64>,
    /// Route as `[[lat, lng], ...]`; its length is the meetup's distance.
    #[serde(default)]
    pub route: Vec<[f64; 2]>,
    /// `5'30"` per km, or empty.
    #[serde(default)]
    pub pace: String,
    /// any, beginner, intermediate, advanced
    #[serde(default)]
    pub level: String,
    /// city, park, track, river, mountain, beach, study, games, other
    pub theme: String,
    /// 2–20 including the host.
    pub capacity: i64,
    #[serde(default)]
    pub waitlist: bool,
    #[serde(default)]
    pub approval: bool,
    /// Up to 3 URLs returned by `POST /media`.
    #[serde(default)]
    pub images: Vec<String>,
    /// Up to 40 characters each.
    #[serde(default)]
    pub parking: String,
    #[serde(default)]
    pub baggage: String,
    /// Open-chat link (http/https).
    #[serde(default)]
    pub chat_link: String,
}

impl From<MeetupBody> for MeetupInput {
    fn from(b: MeetupBody) -> Self {
        MeetupInput {
            group_id: b.group_id,
            is_public: b.is_public,
            title: b.title,
            description: b.description,
            date: b.date,
            time: b.time,
            duration_min: b.duration_min,
            time_zone: b.time_zone,
            address: b.address,
            lat: b.lat,
            lng: b.lng,
            route: b.route.into_iter().map(|[a, c]| (a, c)).collect(),
            pace: b.pace,
            level: b.level,
            theme: b.theme,
            capacity: Some(b.capacity),
            waitlist: b.waitlist,
            approval: b.approval,
            images: b.images,
            parking: b.parking,
            baggage: b.baggage,
            chat_link: b.chat_link,
        }
    }
}

/// Host a meetup; the host holds the first place. The start must be at least the configured
/// lead time (6 h by default) away, and one host hosts at most one meetup per 10 seconds
/// (429 `hosting_too_fast`). Reminders are scheduled for everyone who holds a place.
#[utoipa::path(post, path = "/meetups", tag = "meetups", security(("bearer" = [])), request_body = MeetupBody,
    responses((status = 201, body = MeetupDto), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn create_meetup(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<MeetupBody>,
) -> ApiResult<Response> {
    let m = flows::create(&state, user.id, &b.into()).await?;
    Ok(created(meetup_dto(&m, Some("joined".into()))))
}

/// A meetup (members-only meetups of a group are a 404 for others).
#[utoipa::path(get, path = "/meetups/{id}", tag = "meetups", params(("id" = Uuid, Path)),
    responses((status = 200, body = MeetupDto), (status = 404, body = Problem)))]
async fn get_meetup(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<MeetupDto>> {
    let a = flows::access(&state, id, user.map(|u| u.id)).await?;
    Ok(Json(access_dto(&a)))
}

/// Edit (host, until the start). Place and route stay as hosted.
#[utoipa::path(patch, path = "/meetups/{id}", tag = "meetups", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = MeetupBody,
    responses((status = 200, body = MeetupDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_meetup(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<MeetupBody>,
) -> ApiResult<Json<MeetupDto>> {
    let m = flows::update(&state, id, user.id, &b.into()).await?;
    Ok(Json(meetup_dto(&m, Some("joined".into()))))
}

/// Cancel the meetup (host, until the start).
#[utoipa::path(delete, path = "/meetups/{id}", tag = "meetups", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn cancel_meetup(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    flows::cancel(&state, id, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ApplyDto {
    /// joined, waitlisted or pending (approval mode).
    pub outcome: String,
    pub participant_count: i64,
}

/// Apply (until the start). Full → waitlisted when the meetup keeps a waitlist, else 409.
#[utoipa::path(post, path = "/meetups/{id}/participation", tag = "meetups", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ApplyDto), (status = 409, body = Problem)))]
async fn apply(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ApplyDto>> {
    let out = flows::apply(&state, id, user.id).await?;
    let m = flows::access(&state, id, Some(user.id)).await?;
    Ok(Json(ApplyDto {
        outcome: out.as_str().into(),
        participant_count: m.meetup.participant_count,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct LeaveDto {
    /// The waitlisted person who got the freed place, if any.
    pub promoted: Option<Uuid>,
}

/// Cancel my application or place (until the start; the host cannot).
#[utoipa::path(delete, path = "/meetups/{id}/participation", tag = "meetups", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = LeaveDto), (status = 409, body = Problem)))]
async fn leave(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<LeaveDto>> {
    let promoted = flows::leave(&state, id, user.id).await?;
    Ok(Json(LeaveDto { promoted }))
}

/// Accept a pending application (host, approval mode).
#[utoipa::path(post, path = "/meetups/{id}/participants/{user_id}/approve", tag = "meetups", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn approve(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, who)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    flows::approve(&state, id, user.id, who).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turn down a pending application (host, approval mode); the applicant is notified.
#[utoipa::path(post, path = "/meetups/{id}/participants/{user_id}/decline", tag = "meetups", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn decline(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, who)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    flows::decline(&state, id, user.id, who).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ParticipantDto {
    pub user_id: Uuid,
    pub nickname: String,
    pub avatar_url: Option<String>,
    pub status: String,
    pub is_host: bool,
    /// Null until the host submits attendance.
    pub attended: Option<bool>,
}

/// Participants, waitlist and pending applications, in order.
#[utoipa::path(get, path = "/meetups/{id}/participants", tag = "meetups", params(("id" = Uuid, Path)),
    responses((status = 200, body = [ParticipantDto]), (status = 404, body = Problem)))]
async fn list_participants(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<ParticipantDto>>> {
    let a = flows::access(&state, id, user.map(|u| u.id)).await?;
    let rows = store::participants(&state.db, a.meetup.id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|p| ParticipantDto {
                is_host: p.user_id == a.meetup.host_id,
                user_id: p.user_id,
                nickname: p.nickname,
                avatar_url: p.avatar_url,
                status: p.status,
                attended: p.attended,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceBody {
    /// Participants who came (at most 20); every other joined participant is marked absent.
    pub present: Vec<Uuid>,
}

/// Submit attendance once (host, from 30 minutes before the start until 7 days after the end).
#[utoipa::path(put, path = "/meetups/{id}/attendance", tag = "meetups", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = AttendanceBody,
    responses((status = 204), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn submit_attendance(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<AttendanceBody>,
) -> ApiResult<StatusCode> {
    flows::submit_attendance(&state, id, user.id, &b.present).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    /// 1–5 good (+1), 6–10 bad (−1).
    pub reason: i64,
}

/// Rate the host once (participants who attended; from the start until 7 days after the end).
#[utoipa::path(post, path = "/meetups/{id}/rating", tag = "meetups", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = RatingBody,
    responses((status = 204), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn rate_host(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<RatingBody>,
) -> ApiResult<StatusCode> {
    flows::rate_host(&state, id, user.id, b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MyRatingDto {
    /// The reason I gave (1–10); null until I rate.
    pub reason: Option<i64>,
    /// Whether I may rate now.
    pub can_rate: bool,
    /// Why not, as the error code rating would answer (`not_an_attendee`, `rating_not_open`,
    /// `rating_closed`, `host_cannot_rate`); null when I may rate or have rated.
    pub refusal: Option<String>,
    /// RFC 3339: rating closes then (7 days after the end).
    pub closes_at: String,
}

/// My rating of the host and whether I may rate now (the rating page's data).
#[utoipa::path(get, path = "/meetups/{id}/rating", tag = "meetups", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = MyRatingDto), (status = 404, body = Problem)))]
async fn my_rating(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<MyRatingDto>> {
    let a = flows::access(&state, id, Some(user.id)).await?;
    let reason = store::my_rating(&state.db, id, user.id).await?;
    let refusal = if reason.is_some() {
        None
    } else {
        flows::rating_refusal(&a, now_millis()).map(|e| e.code.to_owned())
    };
    Ok(Json(MyRatingDto {
        can_rate: reason.is_none() && refusal.is_none(),
        reason,
        refusal,
        closes_at: timestamp(a.meetup.ends_at() + rules::RATING_WINDOW).to_string(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct MannerDto {
    /// 50, +1 per meetup attended, ±1 per host rating received.
    pub score: i64,
    pub attended: i64,
    /// Ratings received as host per reason; index 0 is reason 1.
    pub reasons: Vec<i64>,
    pub good: i64,
    pub bad: i64,
}

/// A user's manner score with the breakdown of host ratings.
#[utoipa::path(get, path = "/users/{id}/manner", tag = "meetups", params(("id" = Uuid, Path)),
    responses((status = 200, body = MannerDto)))]
async fn get_manner(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<MannerDto>> {
    let m = store::manner(&state.db, id).await?;
    Ok(Json(MannerDto {
        score: flows::manner_score(&m),
        attended: m.attended,
        reasons: m.reasons.to_vec(),
        good: m.reasons[..5].iter().sum(),
        bad: m.reasons[5..].iter().sum(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct MeetupPage {
    pub items: Vec<MeetupDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Filters; each multi-value filter is comma-separated and the values combine with OR inside a
/// filter and AND across filters.
#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct ListQuery {
    /// First day, `YYYY-MM-DD` (Asia/Seoul).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
    /// Time-of-day slots 1–6 (1 = 00–04 … 6 = 20–24), e.g. `2,3`.
    pub time: Option<String>,
    /// Distance bands 1–4 (1 = 0–5 km … 4 = 15 km and more); combined into one range.
    pub distance: Option<String>,
    /// Themes, e.g. `park,river`.
    pub theme: Option<String>,
    /// Regions 1–9 (0 or empty = all).
    pub region: Option<String>,
    /// Levels, e.g. `beginner,any`.
    pub level: Option<String>,
    pub near_lat: Option<String>,
    pub near_lng: Option<String>,
    /// Radius for `near_lat`/`near_lng`, 0.1–200 km (default 5).
    pub within_km: Option<String>,
    /// Include meetups closed for listing (under 4 h to the start, full, or started).
    pub include_closed: Option<String>,
    /// soonest (default), newest or nearest (needs a point).
    pub sort: Option<String>,
    /// `true`: my preferred region and distance band (signed in).
    pub for_me: Option<String>,
    pub group: Option<String>,
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn ints(field: &'static str, s: &Option<String>, min: i64, max: i64) -> Result<Vec<i64>, ApiError> {
    let Some(s) = nonempty(s) else {
        return Ok(Vec::new());
    };
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::field(field, "invalid_value")),
        })
        .collect()
}

fn choices(
    field: &'static str,
    s: &Option<String>,
    allowed: &[&'static str],
) -> Result<String, ApiError> {
    let Some(s) = nonempty(s) else {
        return Ok(String::new());
    };
    let mut out = String::from(",");
    for p in s.split(',').filter(|p| !p.trim().is_empty()) {
        let c = rules::parse_choice(field, p, allowed)?;
        out.push_str(c);
        out.push(',');
    }
    Ok(if out == "," { String::new() } else { out })
}

fn float(field: &'static str, s: &Option<String>) -> Result<Option<f64>, ApiError> {
    match nonempty(s) {
        None => Ok(None),
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| ApiError::field(field, "invalid_value")),
    }
}

fn flag(field: &'static str, s: &Option<String>) -> Result<bool, ApiError> {
    match nonempty(s) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        _ => Err(ApiError::field(field, "invalid_value")),
    }
}

fn day_start(
    field: &'static str,
    s: &Option<String>,
    plus_days: i64,
) -> Result<Option<Millis>, ApiError> {
    let Some(s) = nonempty(s) else {
        return Ok(None);
    };
    let d: jiff::civil::Date = s
        .parse()
        .map_err(|_| ApiError::field(field, "invalid_date"))?;
    let d = d
        .checked_add(jiff::Span::new().days(plus_days))
        .map_err(|_| ApiError::field(field, "invalid_date"))?;
    let z = d
        .to_zoned(moim_core::time::zone(
            moim_core::accounts::DEFAULT_TIME_ZONE,
        ))
        .map_err(|_| ApiError::field(field, "invalid_date"))?;
    Ok(Some(z.timestamp().as_millisecond()))
}

/// Parses the query into a store filter (every value checked; nothing reaches SQL as text).
pub async fn parse_filter(
    state: &AppState,
    q: &ListQuery,
    viewer: Option<Uuid>,
) -> Result<(Filter, Sort, i64), ApiError> {
    let mut f = Filter {
        viewer,
        now: now_millis(),
        from: day_start("from", &q.from, 0)?,
        to: day_start("to", &q.to, 1)?,
        themes: choices("theme", &q.theme, rules::THEMES)?,
        levels: choices("level", &q.level, rules::LEVELS)?,
        include_closed: flag("include_closed", &q.include_closed)?,
        ..Filter::default()
    };
    for s in ints("time", &q.time, 1, 6)? {
        f.slots |= 1 << (s - 1);
    }
    let mut bands = ints("distance", &q.distance, 1, 4)?;
    let mut regions = ints("region", &q.region, 0, 9)?;
    if flag("for_me", &q.for_me)? {
        let Some(u) = viewer else {
            return Err(ApiError::unauthorized("authentication_required"));
        };
        let (region, band) = store::preferences(&state.db, u).await?;
        if region > 0 {
            regions = vec![region];
        }
        if band > 0 {
            bands = vec![band];
        }
    }
    if !regions.contains(&0) {
        for r in regions {
            f.regions |= 1 << r;
        }
    }
    // Selected bands combine into one range: smallest lower bound to largest upper bound.
    if !bands.is_empty() {
        let ranges: Vec<_> = bands
            .iter()
            .filter_map(|b| rules::distance_band(*b))
            .collect();
        f.min_distance_m = ranges.iter().map(|r| r.0).min();
        f.max_distance_m = if ranges.iter().any(|r| r.1.is_none()) {
            None
        } else {
            ranges.iter().filter_map(|r| r.1).max()
        };
    }
    let lat = float("near_lat", &q.near_lat)?;
    let lng = float("near_lng", &q.near_lng)?;
    let km = float("within_km", &q.within_km)?.unwrap_or(5.0);
    match (lat, lng) {
        (Some(lat), Some(lng)) => {
            rules::check_point("near_lat", lat, lng)?;
            if !(0.1..=200.0).contains(&km) {
                return Err(ApiError::field("within_km", "out_of_range"));
            }
            f.near = Some((lat, lng, km));
        }
        (None, None) => {}
        _ => return Err(ApiError::field("near_lat", "both_coordinates_required")),
    }
    if let Some(g) = nonempty(&q.group) {
        f.group = Some(
            g.parse()
                .map_err(|_| ApiError::field("group", "invalid_value"))?,
        );
    }
    let sort = match nonempty(&q.sort) {
        None | Some("soonest") => Sort::Soonest,
        Some("newest") => Sort::Newest,
        Some("nearest") if f.near.is_some() => Sort::Nearest,
        Some("nearest") => return Err(ApiError::field("sort", "needs_near_point")),
        _ => return Err(ApiError::field("sort", "invalid_value")),
    };
    let limit = match nonempty(&q.limit) {
        None => 20,
        Some(s) => match s.parse::<i64>() {
            Ok(n @ 1..=100) => n,
            _ => return Err(ApiError::field("limit", "out_of_range")),
        },
    };
    Ok((f, sort, limit))
}

/// One page of the list, with the cursor of the next.
pub async fn list_page(
    state: &AppState,
    q: &ListQuery,
    viewer: Option<Uuid>,
) -> Result<(Vec<Meetup>, Option<String>), ApiError> {
    let (f, sort, limit) = parse_filter(state, q, viewer).await?;
    let after = crate::flows::decode_cursor(q.cursor.as_deref())?.map(|c| ListCursor {
        key: c.at,
        id: c.id,
    });
    let rows = store::list(&state.db, &f, sort, after, limit + 1).await?;
    Ok(crate::flows::split_page(rows, limit, |m| {
        let c = store::cursor_after(&f, sort, m);
        Cursor {
            at: c.key,
            id: c.id,
        }
    }))
}

/// Find meetups: filters combine; sorted soonest, newest or nearest; cursor-paginated.
#[utoipa::path(get, path = "/meetups", tag = "meetups", params(ListQuery),
    responses((status = 200, body = MeetupPage), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn list_meetups(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<MeetupPage>> {
    let (rows, next_cursor) = list_page(&state, &q, user.map(|u| u.id)).await?;
    Ok(Json(MeetupPage {
        items: rows.iter().map(|m| meetup_dto(m, None)).collect(),
        next_cursor,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct UserMeetupsQuery {
    /// hosted, joined, attended or upcoming
    pub kind: String,
}

/// A user's meetups: hosted, joined (not hosted), attended, or upcoming (holding a place,
/// not started yet, soonest first).
#[utoipa::path(get, path = "/users/{id}/meetups", tag = "meetups", params(("id" = Uuid, Path), UserMeetupsQuery),
    responses((status = 200, body = [MeetupDto]), (status = 422, body = Problem)))]
async fn user_meetups(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<UserMeetupsQuery>,
) -> ApiResult<Json<Vec<MeetupDto>>> {
    let viewer = viewer.map(|u| u.id);
    let rows = match q.kind.as_str() {
        "hosted" => {
            let f = Filter {
                viewer,
                now: now_millis(),
                include_closed: true,
                host: Some(id),
                ..Filter::default()
            };
            store::list(&state.db, &f, Sort::Newest, None, 100).await?
        }
        "joined" => store::joined_by(&state.db, id, false, 100).await?,
        "attended" => store::joined_by(&state.db, id, true, 100).await?,
        "upcoming" => store::upcoming_for(&state.db, id, now_millis(), 100).await?,
        _ => return Err(ApiError::field("kind", "invalid_value")),
    };
    // Members-only meetups stay hidden from people outside their group.
    let mut out = Vec::new();
    for m in rows {
        if m.is_public || flows::access(&state, m.id, viewer).await.is_ok() {
            out.push(meetup_dto(&m, None));
        }
    }
    Ok(Json(out))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesDto {
    /// 1–9, 0 = anywhere.
    pub region: i64,
    /// 1–4, 0 = any distance.
    pub distance_band: i64,
}

/// My "for me" preferences.
#[utoipa::path(get, path = "/me/meetup-preferences", tag = "meetups", security(("bearer" = [])),
    responses((status = 200, body = PreferencesDto)))]
async fn get_preferences(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<PreferencesDto>> {
    let (region, distance_band) = store::preferences(&state.db, user.id).await?;
    Ok(Json(PreferencesDto {
        region,
        distance_band,
    }))
}

/// Set my "for me" preferences.
#[utoipa::path(put, path = "/me/meetup-preferences", tag = "meetups", security(("bearer" = [])),
    request_body = PreferencesDto,
    responses((status = 200, body = PreferencesDto), (status = 422, body = Problem)))]
async fn set_preferences(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<PreferencesDto>,
) -> ApiResult<Json<PreferencesDto>> {
    if !(0..=9).contains(&b.region) {
        return Err(ApiError::field("region", "out_of_range"));
    }
    if !(0..=4).contains(&b.distance_band) {
        return Err(ApiError::field("distance_band", "out_of_range"));
    }
    store::set_preferences(&state.db, user.id, b.region, b.distance_band, now_millis()).await?;
    Ok(Json(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use moim_core::time::HOUR;
    use proptest::prelude::*;

    fn meetup(starts_at: Millis, participants: i64, waitlist: bool, cancelled: bool) -> Meetup {
        Meetup {
            id: uuid::Uuid::nil(),
            host_id: uuid::Uuid::nil(),
            group_id: None,
            is_public: true,
            title: "t".into(),
            description: String::new(),
            starts_at,
            time_zone: "Asia/Seoul".into(),
            start_hour: 9,
            address: String::new(),
            region: 0,
            lat: 0.0,
            lng: 0.0,
            route: String::new(),
            distance_m: 0,
            pace: String::new(),
            level: String::new(),
            theme: String::new(),
            capacity: 4,
            participant_count: participants,
            waitlist,
            approval: false,
            images: String::new(),
            parking: String::new(),
            baggage: String::new(),
            chat_link: String::new(),
            attendance_at: None,
            cancelled_at: cancelled.then_some(1),
            created_at: 0,
            updated_at: 0,
            duration_min: 120,
            host_nickname: "h".into(),
        }
    }

    proptest! {
        /// The group home caches its list until `status_changes_at`: before it the status the
        /// clock alone gives must not change, and where it is later than now, it must change there
        /// (so the cache is not dropped needlessly either).
        #[test]
        fn the_status_holds_until_status_changes_at(
            start_in in -3 * HOUR..30 * HOUR,
            later in 0..100u32,
            participants in 1..6i64,
            waitlist: bool,
            cancelled: bool,
        ) {
            let now: Millis = 1_800_000_000_000;
            let m = meetup(now + start_in, participants, waitlist, cancelled);
            let until = status_changes_at(&m, now);
            let before = status_of(&m, now);
            if until > now {
                let t = now + (until - now - 1) * Millis::from(later) / 100;
                prop_assert_eq!(status_of(&m, t), before);
                prop_assert_eq!(status_of(&m, until - 1), before);
                if !cancelled && status_of(&m, until) == before {
                    // Only a full meetup without a waitlist is already "closed" before it closes
                    // by the clock; it still changes at the start.
                    prop_assert_eq!(before, "closed");
                    prop_assert!(until < m.starts_at);
                }
            }
        }
    }
}
