//! Meetup pages: find (filters + infinite scroll), detail (share card, iCal, apply/cancel,
//! attendance for the host, rating for attendees), host a meetup, and my meetups.

use super::{FormErrors, PageCtx, page_error, redirect, render};
use crate::AppState;
use crate::api::meetups::{ListQuery, MeetupDto, list_page, meetup_dto};
use crate::flows::meetups::{self as flows, MeetupInput};
use askama::Template;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use moim_core::meetups as rules;
use moim_store::meetups as store;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/meetups", get(list).post(create))
        .route("/meetups/new", get(new_form))
        .route("/meetups/mine", get(mine))
        .route("/meetups/preferences", post(save_preferences))
        .route("/meetups/{id}", get(detail))
        .route("/meetups/{id}/calendar.ics", get(ics))
        .route("/meetups/{id}/apply", post(apply))
        .route("/meetups/{id}/leave", post(leave))
        .route(
            "/meetups/{id}/participants/{user}/approve",
            post(approve_page),
        )
        .route(
            "/meetups/{id}/participants/{user}/decline",
            post(decline_page),
        )
        .route(
            "/meetups/{id}/attendance",
            get(attendance_page).post(attendance),
        )
        .route("/meetups/{id}/rating", get(rating_page).post(rating))
        .route("/meetups/{id}/edit", get(edit_form).post(edit))
        .route("/meetups/{id}/cancel", post(cancel))
        .route("/users/{id}", get(profile))
}

// --- find -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "meetups/list.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    items: Vec<MeetupDto>,
    next: Option<String>,
    q: ListQuery,
    /// The query string without the cursor, for the next page's URL.
    base: String,
    error: Option<String>,
    themes: &'static [&'static str],
    levels: &'static [&'static str],
    /// Map tile template ("" = no map).
    tiles: String,
}

#[derive(Template)]
#[template(path = "meetups/_cards.html")]
struct Cards<'a> {
    ctx: &'a PageCtx,
    items: Vec<MeetupDto>,
    next: Option<String>,
    base: String,
}

impl ListPage<'_> {
    fn field(&self, name: &str) -> &Option<String> {
        match name {
            "from" => &self.q.from,
            "to" => &self.q.to,
            "time" => &self.q.time,
            "distance" => &self.q.distance,
            "theme" => &self.q.theme,
            "region" => &self.q.region,
            "level" => &self.q.level,
            "near_lat" => &self.q.near_lat,
            "near_lng" => &self.q.near_lng,
            "within_km" => &self.q.within_km,
            "include_closed" => &self.q.include_closed,
            "sort" => &self.q.sort,
            _ => &self.q.for_me,
        }
    }
    /// Whether a multi-select filter has `v` checked.
    fn on(&self, name: &str, v: &str) -> bool {
        self.field(name)
            .as_deref()
            .is_some_and(|s| s.split(',').any(|p| p.trim() == v))
    }
    /// The raw value of a single-value filter.
    fn value(&self, name: &str) -> &str {
        self.field(name).as_deref().unwrap_or("")
    }
}

/// A participant row as the detail page shows it.
struct PView {
    user_id: Uuid,
    nickname: String,
    status: String,
    is_host: bool,
    /// "", "yes" or "no" (before / after the sheet was submitted).
    attended: &'static str,
}

/// Multi-select checkboxes arrive as repeated keys (`theme=park&theme=river`); the API takes
/// them comma-separated.
fn list_query(raw: &str) -> ListQuery {
    let mut q = ListQuery::default();
    let push = |slot: &mut Option<String>, v: &str| {
        let s = slot.get_or_insert_with(String::new);
        if !s.is_empty() {
            s.push(',');
        }
        s.push_str(v);
    };
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        let v = v.as_ref();
        match k.as_ref() {
            "from" => q.from = Some(v.into()),
            "to" => q.to = Some(v.into()),
            "time" => push(&mut q.time, v),
            "distance" => push(&mut q.distance, v),
            "theme" => push(&mut q.theme, v),
            "region" => push(&mut q.region, v),
            "level" => push(&mut q.level, v),
            "near_lat" => q.near_lat = Some(v.into()),
            "near_lng" => q.near_lng = Some(v.into()),
            "within_km" => q.within_km = Some(v.into()),
            "include_closed" => q.include_closed = Some(v.into()),
            "sort" => q.sort = Some(v.into()),
            "for_me" => q.for_me = Some(v.into()),
            "cursor" => q.cursor = Some(v.into()),
            _ => {}
        }
    }
    q
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let raw = raw.unwrap_or_default();
    let q = list_query(&raw);
    let base: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form_urlencoded::parse(raw.as_bytes()).filter(|(k, _)| k != "cursor"))
        .finish();
    let viewer = ctx.user.as_ref().map(|u| u.id);
    let (items, next, error) = match list_page(&state, &q, viewer).await {
        Ok((rows, next)) => (
            rows.iter().map(|m| meetup_dto(m, None)).collect(),
            next,
            None,
        ),
        Err(e) if e.status.is_client_error() => {
            let msg = match e.errors.first() {
                Some(f) => crate::i18n::field_message(ctx.lang(), &f.field, &f.code),
                None => crate::i18n::error_message(ctx.lang(), e.code),
            };
            (Vec::new(), None, Some(msg))
        }
        Err(e) => return page_error(&ctx, e),
    };
    if ctx.htmx && q.cursor.is_some() {
        return render(
            StatusCode::OK,
            &Cards {
                ctx: &ctx,
                items,
                next,
                base,
            },
        );
    }
    render(
        StatusCode::OK,
        &ListPage {
            ctx: &ctx,
            items,
            next,
            q,
            base,
            error,
            themes: rules::THEMES,
            levels: rules::LEVELS,
            tiles: state.config.map_tiles.clone(),
        },
    )
}

// --- home page strips -----------------------------------------------------------------------

/// The reference's main page: the soonest open meetups the viewer may see (public ones, and
/// members-only ones of the viewer's groups), soonest first.
pub async fn soonest(
    state: &AppState,
    viewer: Option<Uuid>,
    limit: i64,
) -> Result<Vec<MeetupDto>, crate::error::ApiError> {
    let f = store::Filter {
        viewer,
        now: moim_core::time::now_millis(),
        ..store::Filter::default()
    };
    let rows = store::list(&state.db, &f, store::Sort::Soonest, None, limit).await?;
    Ok(rows.iter().map(|m| meetup_dto(m, None)).collect())
}

/// A group's next meetups (not started, soonest first; full or closing ones too), as its
/// member sees them on the group home. Served from the read cache while no write happened and
/// no listed meetup has started or closed since.
pub async fn group_next(
    state: &AppState,
    group: Uuid,
    viewer: Uuid,
    limit: i64,
) -> Result<std::sync::Arc<Vec<MeetupDto>>, crate::error::ApiError> {
    let now = moim_core::time::now_millis();
    if let Some(items) = state.cache.group_meetups(group, viewer, now) {
        return Ok(items);
    }
    let ticket = state.cache.ticket();
    let f = store::Filter {
        viewer: Some(viewer),
        now,
        from: Some(now),
        include_closed: true,
        group: Some(group),
        ..store::Filter::default()
    };
    let rows = store::list(&state.db, &f, store::Sort::Soonest, None, limit).await?;
    let valid_until = rows
        .iter()
        .map(|m| crate::api::meetups::status_changes_at(m, now))
        .min()
        .unwrap_or(i64::MAX);
    let items = std::sync::Arc::new(rows.iter().map(|m| meetup_dto(m, None)).collect::<Vec<_>>());
    state.cache.put_group_meetups(
        ticket,
        group,
        viewer,
        crate::cache::CachedMeetups {
            items: items.clone(),
            valid_until,
        },
    );
    Ok(items)
}

// --- detail ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "meetups/detail.html")]
struct DetailPage<'a> {
    ctx: &'a PageCtx,
    m: MeetupDto,
    is_host: bool,
    participants: Vec<PView>,
    can_apply: bool,
    attendance_open: bool,
    can_rate: bool,
    share_url: String,
    image: Option<String>,
    notice: Option<String>,
    can_edit: bool,
    host_score: i64,
    /// The route as JSON `[[lat, lng], ...]` for the map script.
    route_json: String,
    tiles: String,
    /// "N일 남음" / "N시간 남음" until the start, empty once started.
    remaining: String,
    /// The end: "21:30" on the same local day, else the local date and time.
    ends_label: String,
    /// "2시간" / "2 h".
    duration: String,
    thread: super::comments::Thread,
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

const NOTICES: &[&str] = &[
    "meetups.notice.joined",
    "meetups.notice.waitlisted",
    "meetups.notice.pending",
    "meetups.notice.left",
    "meetups.notice.attendance",
    "meetups.notice.rated",
    "meetups.notice.created",
    "meetups.notice.updated",
    "meetups.notice.approved",
    "meetups.notice.declined",
];

/// Whole days until the start date (local), or on the day itself hours until the start.
/// The share-card picture of a meetup or course without photos: its theme's PNG (the pages
/// show the SVG twin), the "other" picture for a theme without one.
pub fn theme_picture_png(theme: &str) -> String {
    let t = if moim_core::meetups::THEMES.contains(&theme) {
        theme
    } else {
        "other"
    };
    format!("/assets/themes/{t}.png")
}

fn remaining_label(t: &crate::i18n::Tr, m: &store::Meetup, now: moim_core::time::Millis) -> String {
    if m.starts_at <= now || m.cancelled_at.is_some() {
        return String::new();
    }
    let today = moim_core::time::today_in(&m.time_zone);
    let day = moim_core::time::timestamp(m.starts_at)
        .to_zoned(moim_core::time::zone(&m.time_zone))
        .date();
    let days = (day - today).get_days();
    if days > 0 {
        t.s("meetups.remaining.days")
            .replace("{n}", &days.to_string())
    } else {
        let hours = ((m.starts_at - now) / moim_core::time::HOUR).max(0);
        t.s("meetups.remaining.hours")
            .replace("{n}", &hours.to_string())
    }
}

async fn detail(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return super::error_page(&ctx, StatusCode::NOT_FOUND);
    };
    let viewer = ctx.user.as_ref().map(|u| u.id);
    let a = ok_or_page!(ctx, flows::access(&state, id, viewer).await);
    let participants = ok_or_page!(ctx, store::participants(&state.db, id).await);
    let now = moim_core::time::now_millis();
    let m = meetup_dto(&a.meetup, a.me.as_ref().map(|p| p.status.clone()));
    let attended = a.me.as_ref().is_some_and(|p| p.attended == Some(true));
    let started = a.meetup.starts_at <= now;
    // Crawlers of share cards (KakaoTalk, Facebook, X) take raster images only: without a
    // photo, the theme's picture as PNG (the pages show its SVG).
    let image = Some(match m.images.first() {
        Some(i) => state.config.url(&i.medium),
        None => state.config.url(&theme_picture_png(&m.theme)),
    });
    let host_manner = ok_or_page!(ctx, store::manner(&state.db, a.meetup.host_id).await);
    render(
        StatusCode::OK,
        &DetailPage {
            can_edit: a.is_host() && !started && a.meetup.cancelled_at.is_none(),
            host_score: flows::manner_score(&host_manner),
            route_json: a.meetup.route.clone(),
            tiles: state.config.map_tiles.clone(),
            remaining: remaining_label(&ctx.t, &a.meetup, now),
            ends_label: end_label(&a.meetup),
            duration: duration_label(&ctx.t, a.meetup.duration_min),
            is_host: a.is_host(),
            can_apply: !started && a.meetup.cancelled_at.is_none(),
            attendance_open: a.is_host()
                && a.meetup.cancelled_at.is_none()
                && rules::attendance_open(now, a.meetup.starts_at, a.meetup.duration_min),
            can_rate: !a.is_host() && attended && flows::rating_refusal(&a, now).is_none(),
            share_url: state.config.url(&format!("/meetups/{id}")),
            image,
            notice: ctx.notice(q.notice, NOTICES),
            participants: participants
                .into_iter()
                .map(|p| PView {
                    is_host: p.user_id == a.meetup.host_id,
                    user_id: p.user_id,
                    nickname: p.nickname,
                    status: p.status,
                    attended: match p.attended {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "",
                    },
                })
                .collect(),
            thread: ok_or_page!(
                ctx,
                super::comments::thread(&state, &ctx, moim_core::comments::Object::Meetup, id)
                    .await
            ),
            m,
            ctx: &ctx,
        },
    )
}

/// iCalendar (RFC 5545) for one meetup: add it to Google or Apple Calendar.
async fn ics(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let viewer = ctx.user.as_ref().map(|u| u.id);
    let a = ok_or_page!(ctx, flows::access(&state, id, viewer).await);
    let m = &a.meetup;
    let fmt = |ms: i64| {
        moim_core::time::timestamp(ms)
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string()
    };
    let body = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".into(),
        "PRODID:-//moim//meetups//EN".into(),
        "BEGIN:VEVENT".into(),
        format!("UID:meetup-{}@moim", m.id),
        format!("DTSTAMP:{}", fmt(m.updated_at)),
        format!("DTSTART:{}", fmt(m.starts_at)),
        format!("DTEND:{}", fmt(m.ends_at())),
        fold(&format!("SUMMARY:{}", ics_text(&m.title))),
        fold(&format!("DESCRIPTION:{}", ics_text(&m.description))),
        fold(&format!("LOCATION:{}", ics_text(&m.address))),
        format!("GEO:{:.6};{:.6}", m.lat, m.lng),
        fold(&format!(
            "URL:{}",
            state.config.url(&format!("/meetups/{}", m.id))
        )),
        if m.cancelled_at.is_some() {
            "STATUS:CANCELLED".into()
        } else {
            "STATUS:CONFIRMED".into()
        },
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ]
    .join("\r\n")
        + "\r\n";
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"meetup.ics\""),
    );
    res
}

/// RFC 5545 TEXT escaping.
pub fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets without splitting a UTF-8 character.
pub fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut n = 0;
    for c in line.chars() {
        let w = c.len_utf8();
        if n + w > 75 {
            out.push_str("\r\n ");
            n = 1;
        }
        out.push(c);
        n += w;
    }
    out
}

// --- actions --------------------------------------------------------------------------------

async fn apply(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let uid = user_or_return!(ctx);
    let out = ok_or_page!(ctx, flows::apply(&state, id, uid).await);
    redirect(
        &ctx,
        &format!("/meetups/{id}?notice=meetups.notice.{}", out.as_str()),
    )
}

async fn leave(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let uid = user_or_return!(ctx);
    ok_or_page!(ctx, flows::leave(&state, id, uid).await);
    redirect(&ctx, &format!("/meetups/{id}?notice=meetups.notice.left"))
}

/// The host accepts a pending application from the detail page.
async fn approve_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, user)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    ok_or_page!(ctx, flows::approve(&state, id, uid, user).await);
    redirect(
        &ctx,
        &format!("/meetups/{id}?notice=meetups.notice.approved"),
    )
}

/// The host turns down a pending application from the detail page.
async fn decline_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, user)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    ok_or_page!(ctx, flows::decline(&state, id, uid, user).await);
    redirect(
        &ctx,
        &format!("/meetups/{id}?notice=meetups.notice.declined"),
    )
}

/// The end of a meetup as the detail page shows it after the start: the local time on the
/// same day, the local date and time otherwise.
fn end_label(m: &store::Meetup) -> String {
    let zone = moim_core::time::zone(&m.time_zone);
    let start = moim_core::time::timestamp(m.starts_at).to_zoned(zone.clone());
    let end = moim_core::time::timestamp(m.ends_at()).to_zoned(zone);
    if start.date() == end.date() {
        end.strftime("%H:%M").to_string()
    } else {
        end.strftime("%Y-%m-%d %H:%M").to_string()
    }
}

// --- attendance and rating ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "meetups/attendance.html")]
struct AttendancePage<'a> {
    ctx: &'a PageCtx,
    m: MeetupDto,
    /// Everyone holding a place except the host, with the saved mark once submitted.
    people: Vec<PView>,
    /// Why the sheet cannot be submitted now (readable); `None` = the form is open.
    closed: Option<String>,
    submitted: bool,
    /// When the sheet opens (local `YYYY-MM-DD HH:MM`), while it has not yet (not once it
    /// closed or the meetup was cancelled).
    opens: Option<String>,
    present: usize,
    notice: Option<String>,
    error: Option<String>,
}

/// The host's attendance sheet (the 30-minute reminder links here): each participant
/// attended or no-show, from 30 minutes before the start until the rating window closes,
/// submitted once. Anyone but the host gets a 403.
async fn attendance_view(
    state: &AppState,
    ctx: &PageCtx,
    id: Uuid,
    notice: Option<String>,
    error: Option<crate::error::ApiError>,
) -> Response {
    let uid = user_or_return!(ctx);
    let a = ok_or_page!(ctx, flows::access(state, id, Some(uid)).await);
    let a = ok_or_page!(ctx, a.host());
    let people = ok_or_page!(ctx, store::participants(&state.db, id).await);
    let now = moim_core::time::now_millis();
    let refusal = flows::attendance_refusal(&a.meetup, now);
    let submitted = a.meetup.attendance_at.is_some();
    let opens = refusal
        .as_ref()
        .filter(|e| e.code == "attendance_not_open")
        .map(|_| {
            moim_core::time::format_local(
                a.meetup.starts_at - rules::ATTENDANCE_OPENS,
                &a.meetup.time_zone,
            )
        });
    let people: Vec<PView> = people
        .into_iter()
        .filter(|p| p.status == "joined" && p.user_id != a.meetup.host_id)
        .map(|p| PView {
            is_host: false,
            user_id: p.user_id,
            nickname: p.nickname,
            status: p.status,
            attended: match p.attended {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            },
        })
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    render(
        status,
        &AttendancePage {
            present: people.iter().filter(|p| p.attended == "yes").count(),
            people,
            // Once submitted the page shows the result; the notice says so.
            closed: refusal
                .filter(|_| !submitted)
                .map(|e| crate::i18n::error_message(ctx.lang(), e.code)),
            submitted,
            opens,
            notice: ctx.notice(notice, NOTICES),
            error: error.map(|e| crate::i18n::error_message(ctx.lang(), e.code)),
            m: meetup_dto(&a.meetup, Some("joined".into())),
            ctx,
        },
    )
}

async fn attendance_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    attendance_view(&state, &ctx, id, q.notice, None).await
}

/// Takes `p-<user id>=present|absent` (one pair of radio buttons per participant) and, as
/// before, `present=<user id>` checkboxes; anyone not marked present is a no-show.
async fn attendance(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    RawForm(raw): RawForm,
) -> Response {
    let uid = user_or_return!(ctx);
    let present: Vec<Uuid> = form_urlencoded::parse(&raw)
        .filter_map(|(k, v)| match k.strip_prefix("p-") {
            Some(who) if v == "present" => who.parse().ok(),
            None if k == "present" => v.parse().ok(),
            _ => None,
        })
        .collect();
    match flows::submit_attendance(&state, id, uid, &present).await {
        Ok(()) => redirect(
            &ctx,
            &format!("/meetups/{id}/attendance?notice=meetups.notice.attendance"),
        ),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::UNAUTHORIZED => {
            if e.status == StatusCode::NOT_FOUND || e.code == "host_only" {
                return page_error(&ctx, e);
            }
            attendance_view(&state, &ctx, id, None, Some(e)).await
        }
        Err(e) => page_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "meetups/rating.html")]
struct RatingPage<'a> {
    ctx: &'a PageCtx,
    m: MeetupDto,
    host_score: i64,
    /// Why the viewer cannot rate (readable); `None` = the form is open.
    refusal: Option<String>,
    /// The reason the viewer gave, once rated.
    mine: Option<(i64, String)>,
    good: Vec<(i64, String)>,
    bad: Vec<(i64, String)>,
    notice: Option<String>,
    error: Option<String>,
}

/// The participants' rating page (the "how was it?" reminder links here): attendees rate the
/// host once, from the start until 7 days after the end. The page says why when they cannot
/// (with the refusal's status: 403 for the host and non-attendees, 409 outside the window).
async fn rating_view(
    state: &AppState,
    ctx: &PageCtx,
    id: Uuid,
    notice: Option<String>,
    error: Option<crate::error::ApiError>,
) -> Response {
    let uid = user_or_return!(ctx);
    let a = ok_or_page!(ctx, flows::access(state, id, Some(uid)).await);
    let now = moim_core::time::now_millis();
    let mine = ok_or_page!(ctx, store::my_rating(&state.db, id, uid).await);
    let host_manner = ok_or_page!(ctx, store::manner(&state.db, a.meetup.host_id).await);
    let refusal = if mine.is_some() {
        None
    } else {
        flows::rating_refusal(&a, now)
    };
    let status = match (&error, &refusal) {
        (Some(e), _) | (None, Some(e)) => e.status,
        _ => StatusCode::OK,
    };
    let reason = |r: i64| (r, ctx.t.s(&format!("meetups.reason.{r}")).to_owned());
    render(
        status,
        &RatingPage {
            host_score: flows::manner_score(&host_manner),
            refusal: refusal.map(|e| crate::i18n::error_message(ctx.lang(), e.code)),
            mine: mine.map(reason),
            good: (1..=5).map(reason).collect(),
            bad: (6..=10).map(reason).collect(),
            notice: ctx.notice(notice, NOTICES),
            error: error.map(|e| match e.errors.first() {
                Some(f) => crate::i18n::field_message(ctx.lang(), &f.field, &f.code),
                None => crate::i18n::error_message(ctx.lang(), e.code),
            }),
            m: meetup_dto(&a.meetup, a.me.as_ref().map(|p| p.status.clone())),
            ctx,
        },
    )
}

async fn rating_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    rating_view(&state, &ctx, id, q.notice, None).await
}

#[derive(Deserialize)]
struct RatingForm {
    #[serde(default)]
    reason: String,
}

async fn rating(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    axum::Form(f): axum::Form<RatingForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    let reason = f.reason.trim().parse::<i64>().unwrap_or(0);
    match flows::rate_host(&state, id, uid, reason).await {
        Ok(()) => redirect(
            &ctx,
            &format!("/meetups/{id}/rating?notice=meetups.notice.rated"),
        ),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::UNAUTHORIZED => {
            if e.status == StatusCode::NOT_FOUND {
                return page_error(&ctx, e);
            }
            rating_view(&state, &ctx, id, None, Some(e)).await
        }
        Err(e) => page_error(&ctx, e),
    }
}

// --- host -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "meetups/form.html")]
struct FormPage<'a> {
    ctx: &'a PageCtx,
    v: MeetupInput,
    route_text: String,
    capacity_text: String,
    errors: FormErrors,
    themes: &'static [&'static str],
    levels: &'static [&'static str],
    /// The meetup being edited; `None` when hosting a new one.
    editing: Option<Uuid>,
    tiles: String,
    /// The group the meetup is (to be) hosted in, by name.
    group_name: Option<String>,
}

impl FormPage<'_> {
    fn action(&self) -> String {
        match self.editing {
            Some(id) => format!("/meetups/{id}/edit"),
            None => "/meetups".into(),
        }
    }
    /// The duration choices (minutes), with the current value when it is another one.
    fn durations(&self) -> Vec<(i64, String)> {
        let current = self.v.duration_min.unwrap_or(rules::DEFAULT_DURATION_MIN);
        let mut v: Vec<i64> = DURATIONS.to_vec();
        if !v.contains(&current) && (rules::DURATION_MIN..=rules::DURATION_MAX).contains(&current) {
            v.push(current);
            v.sort_unstable();
        }
        v.into_iter()
            .map(|m| (m, duration_label(&self.ctx.t, m)))
            .collect()
    }
    fn duration_selected(&self, m: &i64) -> bool {
        self.v.duration_min.unwrap_or(rules::DEFAULT_DURATION_MIN) == *m
    }
    /// Image fields to show: the kept ones, then one empty slot while fewer than 3.
    fn image_slots(&self) -> Vec<String> {
        let mut v = self.v.images.clone();
        if v.len() < rules::IMAGES_MAX {
            v.push(String::new());
        }
        v
    }
}

/// The durations the form offers, in minutes.
const DURATIONS: &[i64] = &[
    30, 60, 90, 120, 150, 180, 240, 300, 360, 480, 600, 720, 1440,
];

/// "1시간 30분" / "1 h 30 min".
pub fn duration_label(t: &crate::i18n::Tr, minutes: i64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, m) => t.s("meetups.duration.m").replace("{m}", &m.to_string()),
        (h, 0) => t.s("meetups.duration.h").replace("{h}", &h.to_string()),
        (h, m) => t
            .s("meetups.duration.hm")
            .replace("{h}", &h.to_string())
            .replace("{m}", &m.to_string()),
    }
}

#[derive(Deserialize)]
struct NewQuery {
    group: Option<String>,
}

/// The group's name when `group` is one the user is an active member of (hosting inside a
/// group is for its members; anyone else gets the group's own 403/404).
async fn group_name(
    state: &AppState,
    group: Option<Uuid>,
    uid: Uuid,
) -> Result<Option<String>, crate::error::ApiError> {
    match group {
        None => Ok(None),
        Some(g) => {
            let (a, _) = crate::flows::groups::access(state, g, uid)
                .await?
                .member()?;
            Ok(Some(a.group.name.clone()))
        }
    }
}

async fn new_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<NewQuery>,
) -> Response {
    let uid = user_or_return!(ctx);
    let group = match q.group.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        None => None,
        Some(g) => match g.parse::<Uuid>() {
            Ok(g) => Some(g),
            Err(_) => return super::error_page(&ctx, StatusCode::NOT_FOUND),
        },
    };
    let group_name = ok_or_page!(ctx, group_name(&state, group, uid).await);
    render(
        StatusCode::OK,
        &FormPage {
            ctx: &ctx,
            group_name,
            v: MeetupInput {
                capacity: Some(10),
                group_id: group,
                ..MeetupInput::default()
            },
            route_text: String::new(),
            capacity_text: "10".into(),
            errors: FormErrors::default(),
            themes: rules::THEMES,
            levels: rules::LEVELS,
            editing: None,
            tiles: state.config.map_tiles.clone(),
        },
    )
}

fn route_text_of(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(a, b)| format!("{a},{b}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The host's edit form (until the start). Place and route stay as hosted, as in the reference.
async fn edit_form(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let uid = user_or_return!(ctx);
    let a = ok_or_page!(ctx, flows::access(&state, id, Some(uid)).await);
    let a = ok_or_page!(ctx, a.host());
    if a.started(moim_core::time::now_millis()) || a.meetup.cancelled_at.is_some() {
        return page_error(&ctx, crate::error::ApiError::conflict("meetup_started"));
    }
    let v = MeetupInput::from_meetup(&a.meetup);
    let group_name = ok_or_page!(ctx, group_name(&state, v.group_id, uid).await);
    render(
        StatusCode::OK,
        &FormPage {
            ctx: &ctx,
            group_name,
            route_text: route_text_of(&v.route),
            capacity_text: a.meetup.capacity.to_string(),
            v,
            errors: FormErrors::default(),
            themes: rules::THEMES,
            levels: rules::LEVELS,
            editing: Some(id),
            tiles: state.config.map_tiles.clone(),
        },
    )
}

/// Fills the editable fields of `v` from the form; returns (route text, capacity text).
fn read_form(raw: &[u8], v: &mut MeetupInput, place: bool) -> (String, String) {
    let mut route_text = String::new();
    let mut capacity_text = String::new();
    let mut lat = String::new();
    let mut lng = String::new();
    v.images.clear();
    v.waitlist = false;
    v.approval = false;
    v.is_public = false;
    for (k, val) in form_urlencoded::parse(raw) {
        let val = val.into_owned();
        match k.as_ref() {
            "title" => v.title = val,
            "description" => v.description = val,
            "date" => v.date = val,
            "time" => v.time = val,
            "duration_min" => {
                let t = val.trim();
                // Unreadable is out of range (an error next to the field), empty the default.
                v.duration_min = (!t.is_empty()).then(|| t.parse().unwrap_or(0));
            }
            "address" if place => v.address = val,
            "lat" if place => lat = val,
            "lng" if place => lng = val,
            "route" if place => route_text = val,
            "pace" => v.pace = val,
            "level" => v.level = val,
            "theme" => v.theme = val,
            "capacity" => capacity_text = val,
            "waitlist" => v.waitlist = true,
            "is_public" => v.is_public = true,
            // Only when hosting: a meetup stays in the group it was hosted in.
            "group_id" if place => v.group_id = val.trim().parse().ok(),
            "approval" => v.approval = true,
            "image" if !val.trim().is_empty() => v.images.push(val),
            "parking" => v.parking = val,
            "baggage" => v.baggage = val,
            "chat_link" => v.chat_link = val,
            _ => {}
        }
    }
    v.capacity = capacity_text.trim().parse().ok();
    if place {
        v.lat = lat.trim().parse().ok();
        v.lng = lng.trim().parse().ok();
    }
    (route_text, capacity_text)
}

async fn edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    RawForm(raw): RawForm,
) -> Response {
    let uid = user_or_return!(ctx);
    let a = ok_or_page!(ctx, flows::access(&state, id, Some(uid)).await);
    let a = ok_or_page!(ctx, a.host());
    let mut v = MeetupInput::from_meetup(&a.meetup);
    let (_, capacity_text) = read_form(&raw, &mut v, false);
    match flows::update(&state, id, uid, &v).await {
        Ok(_) => redirect(
            &ctx,
            &format!("/meetups/{id}?notice=meetups.notice.updated"),
        ),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage {
                errors: FormErrors::from_api(&e, ctx.lang()),
                ctx: &ctx,
                route_text: route_text_of(&v.route),
                v,
                capacity_text,
                themes: rules::THEMES,
                levels: rules::LEVELS,
                editing: Some(id),
                tiles: state.config.map_tiles.clone(),
                group_name: None,
            },
        ),
        Err(e) => page_error(&ctx, e),
    }
}

/// The host cancels the meetup (until the start); participants are notified and every
/// reminder is cancelled.
async fn cancel(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let uid = user_or_return!(ctx);
    ok_or_page!(ctx, flows::cancel(&state, id, uid).await);
    redirect(&ctx, &format!("/meetups/{id}"))
}

/// Route points typed or drawn as `lat,lng` per line.
fn parse_route(text: &str) -> Option<Vec<(f64, f64)>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (a, b) = l.split_once(',')?;
            Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
        })
        .collect()
}

async fn create(State(state): State<AppState>, ctx: PageCtx, RawForm(raw): RawForm) -> Response {
    let uid = user_or_return!(ctx);
    let mut v = MeetupInput::default();
    let (route_text, capacity_text) = read_form(&raw, &mut v, true);
    let route = parse_route(&route_text);
    v.route = route.clone().unwrap_or_default();
    let result = if route.is_none() {
        Err(crate::error::ApiError::field(
            "route",
            "invalid_coordinates",
        ))
    } else {
        flows::create(&state, uid, &v).await
    };
    match result {
        Ok(m) => redirect(
            &ctx,
            &format!("/meetups/{}?notice=meetups.notice.created", m.id),
        ),
        Err(e) if e.status.is_client_error() => render(
            e.status,
            &FormPage {
                errors: FormErrors::from_api(&e, ctx.lang()),
                ctx: &ctx,
                v,
                route_text,
                capacity_text,
                themes: rules::THEMES,
                levels: rules::LEVELS,
                editing: None,
                tiles: state.config.map_tiles.clone(),
                group_name: None,
            },
        ),
        Err(e) => page_error(&ctx, e),
    }
}

// --- mine -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "meetups/mine.html")]
struct MinePage<'a> {
    ctx: &'a PageCtx,
    /// "For me": preferred region (0 = anywhere) and distance band (0 = any).
    region: i64,
    band: i64,
    notice: Option<String>,
    hosted: Vec<MeetupDto>,
    joined: Vec<MeetupDto>,
    attended: Vec<MeetupDto>,
    score: i64,
    reasons: Vec<(String, i64)>,
}

async fn mine(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let uid = user_or_return!(ctx);
    let (region, band) = ok_or_page!(ctx, store::preferences(&state.db, uid).await);
    let f = store::Filter {
        viewer: Some(uid),
        now: moim_core::time::now_millis(),
        include_closed: true,
        host: Some(uid),
        ..store::Filter::default()
    };
    let hosted = ok_or_page!(
        ctx,
        store::list(&state.db, &f, store::Sort::Newest, None, 50).await
    );
    let joined = ok_or_page!(ctx, store::joined_by(&state.db, uid, false, 50).await);
    let attended = ok_or_page!(ctx, store::joined_by(&state.db, uid, true, 50).await);
    let manner = ok_or_page!(ctx, store::manner(&state.db, uid).await);
    let dto = |v: Vec<store::Meetup>| -> Vec<MeetupDto> {
        v.iter().map(|m| meetup_dto(m, None)).collect()
    };
    render(
        StatusCode::OK,
        &MinePage {
            region,
            band,
            notice: ctx.notice(q.notice, &["meetups.notice.preferences"]),
            score: flows::manner_score(&manner),
            reasons: manner
                .reasons
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, n)| (ctx.t.s(&format!("meetups.reason.{}", i + 1)).to_owned(), *n))
                .collect(),
            hosted: dto(hosted),
            joined: dto(joined),
            attended: dto(attended),
            ctx: &ctx,
        },
    )
}

#[derive(Deserialize)]
struct PreferencesForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    distance_band: String,
}

/// Saves the "for me" preferences (region 0–9, distance band 0–4) from `/meetups/mine`.
async fn save_preferences(
    State(state): State<AppState>,
    ctx: PageCtx,
    axum::Form(f): axum::Form<PreferencesForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    let region = f
        .region
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|r| (0..=9).contains(r));
    let band = f
        .distance_band
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|b| (0..=4).contains(b));
    let (Some(region), Some(band)) = (region, band) else {
        return page_error(
            &ctx,
            crate::error::ApiError::field("region", "out_of_range"),
        );
    };
    ok_or_page!(
        ctx,
        store::set_preferences(&state.db, uid, region, band, moim_core::time::now_millis()).await
    );
    redirect(&ctx, "/meetups/mine?notice=meetups.notice.preferences")
}

// --- a user's public profile -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "meetups/profile.html")]
struct ProfilePage<'a> {
    ctx: &'a PageCtx,
    nickname: String,
    bio: String,
    avatar_url: Option<String>,
    is_me: bool,
    score: i64,
    good: i64,
    bad: i64,
    attended_count: i64,
    /// (reason number, label, count) for all ten reasons.
    reasons: Vec<(i64, String, i64)>,
    /// Upcoming meetups with their D-day label.
    upcoming: Vec<(MeetupDto, String)>,
    hosted: Vec<MeetupDto>,
    attended: Vec<MeetupDto>,
    /// The user's course posts: (id, title, "12.3" km).
    courses: Vec<(Uuid, String, String)>,
}

/// Keeps the meetups the viewer may see (members-only meetups stay inside their group).
async fn visible(
    state: &AppState,
    viewer: Option<Uuid>,
    rows: Vec<store::Meetup>,
) -> Result<Vec<MeetupDto>, crate::error::ApiError> {
    let mut out = Vec::new();
    for m in rows {
        if m.is_public || flows::access(state, m.id, viewer).await.is_ok() {
            out.push(meetup_dto(&m, None));
        }
    }
    Ok(out)
}

/// `D-3`, `D-day`: days from today to the start date, in the meetup's zone.
fn d_day(m: &MeetupDto) -> String {
    let Ok(ts) = m.starts_at.parse::<jiff::Timestamp>() else {
        return String::new();
    };
    let day = ts.to_zoned(moim_core::time::zone(&m.time_zone)).date();
    let days = (day - moim_core::time::today_in(&m.time_zone)).get_days();
    if days <= 0 {
        "D-day".into()
    } else {
        format!("D-{days}")
    }
}

/// Anyone's profile: nickname, bio, the manner score with the breakdown of the ratings
/// received as host, upcoming meetups (D-day), hosted and attended meetups.
async fn profile(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return super::error_page(&ctx, StatusCode::NOT_FOUND);
    };
    let Some(user) = ok_or_page!(ctx, moim_store::accounts::user_by_id(&state.db, id).await) else {
        return super::error_page(&ctx, StatusCode::NOT_FOUND);
    };
    let viewer = ctx.user.as_ref().map(|u| u.id);
    let now = moim_core::time::now_millis();
    let manner = ok_or_page!(ctx, store::manner(&state.db, id).await);
    let f = store::Filter {
        viewer,
        now,
        include_closed: true,
        host: Some(id),
        ..store::Filter::default()
    };
    let hosted = ok_or_page!(
        ctx,
        store::list(&state.db, &f, store::Sort::Newest, None, 30).await
    );
    let hosted = ok_or_page!(ctx, visible(&state, viewer, hosted).await);
    let attended = ok_or_page!(ctx, store::joined_by(&state.db, id, true, 30).await);
    let attended = ok_or_page!(ctx, visible(&state, viewer, attended).await);
    let courses = ok_or_page!(
        ctx,
        moim_store::courses::list(
            &state.db,
            &moim_store::courses::Filter {
                author: Some(id),
                ..moim_store::courses::Filter::default()
            },
            moim_store::courses::Sort::New,
            None,
            20,
        )
        .await
    )
    .into_iter()
    .map(|c| {
        let km = format!("{}.{}", c.distance_m / 1000, (c.distance_m % 1000) / 100);
        (c.id, c.title, km)
    })
    .collect();
    let upcoming = ok_or_page!(ctx, store::upcoming_for(&state.db, id, now, 10).await);
    let upcoming = ok_or_page!(ctx, visible(&state, viewer, upcoming).await)
        .into_iter()
        .map(|m| {
            let d = d_day(&m);
            (m, d)
        })
        .collect();
    render(
        StatusCode::OK,
        &ProfilePage {
            is_me: viewer == Some(id),
            nickname: user.nickname,
            bio: user.bio,
            avatar_url: user.avatar_url,
            score: flows::manner_score(&manner),
            good: manner.reasons[..5].iter().sum(),
            bad: manner.reasons[5..].iter().sum(),
            attended_count: manner.attended,
            reasons: manner
                .reasons
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let r = i as i64 + 1;
                    (r, ctx.t.s(&format!("meetups.reason.{r}")).to_owned(), *n)
                })
                .collect(),
            upcoming,
            hosted,
            attended,
            courses,
            ctx: &ctx,
        },
    )
}

pub const STRINGS: crate::i18n::Strings = &[
    ("nav.meetups", "모임 찾기", "Meetups"),
    (
        "notify.meetup.updated.title",
        "모임 정보가 바뀌었어요",
        "A meetup changed",
    ),
    (
        "notify.meetup.updated.body",
        "[{title}] 일정이나 안내가 수정됐어요.",
        "The host updated [{title}].",
    ),
    (
        "notify.meetup.cancelled.title",
        "모임이 취소됐어요",
        "A meetup was cancelled",
    ),
    (
        "notify.meetup.cancelled.body",
        "[{title}] 모임이 취소됐어요.",
        "[{title}] was cancelled.",
    ),
    (
        "notify.meetup.applied.title",
        "새 참가자",
        "New participant",
    ),
    (
        "notify.meetup.applied.body",
        "[{title}]에 참가 신청이 들어왔어요.",
        "Someone applied to [{title}].",
    ),
    (
        "notify.meetup.pending.title",
        "승인 요청",
        "Application to approve",
    ),
    (
        "notify.meetup.pending.body",
        "[{title}] 참가 신청을 확인해 주세요.",
        "Review a new application to [{title}].",
    ),
    (
        "notify.meetup.promoted.title",
        "참가가 확정됐어요",
        "You're in",
    ),
    (
        "notify.meetup.promoted.body",
        "자리가 나서 [{title}] 참가가 확정됐어요.",
        "A place opened up: you're in [{title}].",
    ),
    (
        "notify.meetup.approved.title",
        "참가가 승인됐어요",
        "Application approved",
    ),
    (
        "notify.meetup.approved.body",
        "모임장이 [{title}] 참가를 승인했어요.",
        "The host approved you for [{title}].",
    ),
    (
        "notify.meetup.d_day.title",
        "오늘은 [{title}] 모임 날이에요",
        "[{title}] is today",
    ),
    (
        "notify.meetup.d_day.body",
        "{name}님, {time}에 {place}에서 만나요.",
        "{name}, see you at {time} at {place}.",
    ),
    (
        "notify.meetup.starting_host.title",
        "30분 뒤 [{title}] 시작",
        "[{title}] starts in 30 minutes",
    ),
    (
        "notify.meetup.starting_host.body",
        "{name}님, 30분 뒤 [{title}]이(가) 시작해요. 출석 체크를 해 주세요.",
        "{name}, [{title}] starts in 30 minutes. Please take attendance.",
    ),
    (
        "notify.meetup.starting.title",
        "30분 뒤 [{title}] 시작",
        "[{title}] starts in 30 minutes",
    ),
    (
        "notify.meetup.starting.body",
        "{name}님, 30분 뒤 {place}에서 [{title}]이(가) 시작해요.",
        "{name}, [{title}] starts in 30 minutes at {place}.",
    ),
    (
        "notify.meetup.finished_host.title",
        "[{title}] 어떠셨나요?",
        "How was [{title}]?",
    ),
    (
        "notify.meetup.finished_host.body",
        "{name}님, 멋진 모임장이에요! 고마워요.",
        "{name}, you're a great host. Thank you!",
    ),
    (
        "notify.meetup.finished.title",
        "[{title}] 어떠셨나요?",
        "How was [{title}]?",
    ),
    (
        "notify.meetup.finished.body",
        "{name}님, 모임장을 평가해 주세요.",
        "{name}, please rate the host.",
    ),
    ("meetups.duration", "진행 시간", "Duration"),
    ("meetups.duration.m", "{m}분", "{m} min"),
    ("meetups.duration.h", "{h}시간", "{h} h"),
    ("meetups.duration.hm", "{h}시간 {m}분", "{h} h {m} min"),
    (
        "meetups.attendance.explain",
        "참가자마다 출석 또는 불참을 골라 주세요. 한 번만 제출할 수 있고, 출석한 사람만 모임장을 평가할 수 있어요.",
        "Mark each participant attended or no-show. You submit once; only those who attended can rate you.",
    ),
    (
        "meetups.attendance.saved",
        "제출한 출석 명단이에요.",
        "The attendance you submitted.",
    ),
    (
        "meetups.attendance.opens",
        "출석 체크 시작",
        "Attendance opens",
    ),
    (
        "meetups.attendance.nobody",
        "아직 참가자가 없어요.",
        "Nobody else has joined.",
    ),
    ("meetups.rate.good", "좋았어요!", "It was good!"),
    ("meetups.rate.bad", "아쉬웠어요.", "Could be better."),
    (
        "meetups.rate.once",
        "평가는 한 번만 할 수 있고, 모임장의 매너 점수에 반영돼요.",
        "You rate once; it moves the host's manner score.",
    ),
    ("meetups.rated_with", "내 평가", "Your rating"),
    (
        "error.attendance_closed",
        "출석 체크 기간(모임 종료 후 7일)이 지났어요.",
        "Attendance closed 7 days after the end.",
    ),
    (
        "error.meetup_cancelled",
        "취소된 모임이에요.",
        "This meetup was cancelled.",
    ),
    ("my.nav", "내 활동", "My activity"),
    ("meetups.approve", "승인", "Approve"),
    ("meetups.decline", "거절", "Decline"),
    (
        "meetups.notice.approved",
        "참가를 승인했어요.",
        "Application approved.",
    ),
    (
        "meetups.notice.declined",
        "신청을 거절했어요.",
        "Application declined.",
    ),
    (
        "notify.meetup.declined.title",
        "참가 신청이 거절됐어요",
        "Application declined",
    ),
    (
        "notify.meetup.declined.body",
        "모임장이 [{title}] 참가 신청을 거절했어요.",
        "The host declined your application to [{title}].",
    ),
    (
        "error.application_not_found",
        "승인을 기다리는 신청이 없어요.",
        "There is no pending application.",
    ),
    (
        "meetups.preferences",
        "내 선호 지역·거리 (모임 찾기의 '내 선호')",
        "My region and distance (for \"For me\" in Find meetups)",
    ),
    ("meetups.region.0", "전국", "Anywhere"),
    ("meetups.distance.0", "상관없음", "Any distance"),
    (
        "meetups.notice.preferences",
        "선호 지역·거리를 저장했어요.",
        "Preferences saved.",
    ),
    ("my.profile", "내 프로필", "My profile"),
    ("my.courses", "내 코스", "My courses"),
    ("my.their_courses", "올린 코스", "Course posts"),
    ("my.bookmarks", "북마크", "Bookmarks"),
    ("my.settings", "계정 설정", "Account settings"),
    ("meetups.soonest", "곧 열리는 모임", "Coming up soon"),
    ("meetups.soonest.all", "모임 찾기", "Find meetups"),
    (
        "meetups.soonest.none",
        "지금 모집 중인 모임이 없어요.",
        "No open meetups right now.",
    ),
    ("meetups.group_next", "다가오는 모임", "Next meetups"),
    (
        "meetups.group_next.none",
        "예정된 모임이 없어요.",
        "No meetups planned.",
    ),
    ("meetups.host_in_group", "이 모임에서 열기", "Host one here"),
    (
        "meetups.in_group",
        "그룹 안에서 여는 모임이에요",
        "Hosted inside a group",
    ),
    (
        "meetups.is_public",
        "그룹 밖에도 공개 (끄면 멤버만 볼 수 있어요)",
        "Public (off: members only)",
    ),
    ("meetups.edit", "모임 수정", "Edit meetup"),
    ("meetups.save", "저장", "Save"),
    ("meetups.cancel_meetup", "모임 취소", "Cancel meetup"),
    (
        "meetups.cancel_explain",
        "취소하면 참가자 모두에게 알림이 가고 알림 예약도 모두 취소돼요. 되돌릴 수 없어요.",
        "Everyone who joined is notified and all reminders are cancelled. This cannot be undone.",
    ),
    ("meetups.cancel_confirm", "네, 취소할게요", "Yes, cancel it"),
    (
        "meetups.place_fixed",
        "장소와 경로는 모임을 연 뒤에는 바꿀 수 없어요.",
        "The place and route cannot change once hosted.",
    ),
    (
        "meetups.notice.updated",
        "수정했어요. 참가자에게 알렸어요.",
        "Saved. Participants were notified.",
    ),
    ("meetups.remaining.days", "{n}일 남음", "{n} days to go"),
    ("meetups.remaining.hours", "{n}시간 남음", "{n} hours to go"),
    ("meetups.view.list", "목록", "List"),
    ("meetups.view.map", "지도", "Map"),
    ("meetups.map", "지도", "Map"),
    (
        "meetups.map.hint",
        "지도를 눌러 경로 지점을 차례로 추가하세요. 거리는 자동으로 계산돼요.",
        "Click the map to add route points in order; the distance is computed for you.",
    ),
    (
        "meetups.map.undo",
        "마지막 지점 지우기",
        "Remove last point",
    ),
    ("meetups.map.clear", "경로 지우기", "Clear route"),
    ("meetups.map.distance", "경로 거리", "Route distance"),
    (
        "meetups.map.offline",
        "지도 타일을 불러오지 못했어요. 주소와 좌표를 확인하세요.",
        "Map tiles could not load; see the address and coordinates.",
    ),
    ("meetups.profile", "프로필", "Profile"),
    (
        "meetups.profile.mine",
        "내 공개 프로필",
        "My public profile",
    ),
    ("meetups.manner.unit", "점", "points"),
    ("meetups.manner.good", "좋았어요", "Good"),
    ("meetups.manner.bad", "아쉬웠어요", "Could be better"),
    ("meetups.manner.attended", "출석한 모임", "Meetups attended"),
    (
        "meetups.manner.breakdown",
        "모임장 평가 내역",
        "Ratings received as host",
    ),
    ("meetups.manner.total", "합계", "Total"),
    (
        "meetups.manner.explain",
        "50점에서 시작해 출석 1회마다 +1, 모임장 평가 좋았어요 +1 / 아쉬웠어요 −1.",
        "Starts at 50; +1 per meetup attended, +1 per good and −1 per bad rating as host.",
    ),
    ("meetups.upcoming", "참여 예정", "Upcoming"),
    ("meetups.hosted_by", "연 모임", "Hosted"),
    (
        "error.hosting_too_fast",
        "짧은 시간 안에 연속으로 모임을 열 수 없어요. 10초 뒤에 다시 시도해 주세요.",
        "You cannot host two meetups in a row so quickly. Try again in 10 seconds.",
    ),
    (
        "error.meetup_started",
        "이미 시작했거나 취소된 모임은 바꿀 수 없어요.",
        "A meetup that started or was cancelled cannot change.",
    ),
    (
        "error.meetup_closed",
        "이미 시작한 모임은 신청하거나 취소할 수 없어요.",
        "Applying and cancelling close at the start.",
    ),
    (
        "error.meetup_full",
        "남은 자리가 없어요.",
        "No places left.",
    ),
    (
        "error.already_applied",
        "이미 신청했어요.",
        "You have applied already.",
    ),
    (
        "error.not_applied",
        "신청 내역이 없어요.",
        "You have not applied.",
    ),
    (
        "error.host_cannot_leave",
        "모임장은 참가를 취소할 수 없어요.",
        "The host cannot cancel their place.",
    ),
    (
        "error.host_only",
        "모임장만 할 수 있어요.",
        "Only the host can do that.",
    ),
    (
        "error.attendance_not_open",
        "아직 출석 체크 시간이 아니에요 (시작 30분 전부터).",
        "Attendance opens 30 minutes before the start.",
    ),
    (
        "error.attendance_submitted",
        "이미 제출한 출석 명단이에요.",
        "Attendance was submitted already.",
    ),
    (
        "error.already_rated",
        "이미 모임장을 평가했어요.",
        "You rated the host already.",
    ),
    (
        "error.not_an_attendee",
        "모임에 출석한 참가자만 평가할 수 있어요.",
        "Only participants who attended can rate the host.",
    ),
    (
        "error.host_cannot_rate",
        "모임장은 평가에 참여할 수 없어요.",
        "The host cannot rate themselves.",
    ),
    (
        "error.rating_not_open",
        "모임이 시작한 뒤에 평가할 수 있어요.",
        "Rating opens at the start.",
    ),
    (
        "error.rating_closed",
        "평가 기간(모임 종료 후 7일)이 지났어요.",
        "Rating closed 7 days after the end.",
    ),
    (
        "field.too_soon",
        "모임은 시작 6시간 전까지 열 수 있어요.",
        "Host at least 6 hours before the start.",
    ),
    (
        "field.below_participants",
        "현재 참가자 수보다 작게 정할 수 없어요.",
        "Cannot be below the current number of participants.",
    ),
    (
        "field.invalid_coordinates",
        "좌표가 올바르지 않아요 (위도,경도).",
        "Invalid coordinates (lat,lng).",
    ),
    (
        "field.unknown_image",
        "올린 사진을 찾을 수 없어요.",
        "That photo was not found.",
    ),
    ("meetups.title", "모임 찾기", "Find meetups"),
    ("meetups.host", "모임 열기", "Host a meetup"),
    ("meetups.mine", "내 모임 활동", "My meetups"),
    (
        "meetups.empty",
        "조건에 맞는 모임이 없어요.",
        "No meetups match these filters.",
    ),
    ("meetups.filters", "필터", "Filters"),
    ("meetups.apply_filters", "적용", "Apply"),
    ("meetups.from", "시작일", "From"),
    ("meetups.to", "종료일", "To"),
    ("meetups.time", "시간대", "Time of day"),
    ("meetups.distance", "거리", "Distance"),
    ("meetups.region", "지역", "Region"),
    ("meetups.theme", "테마", "Theme"),
    ("meetups.level", "수준", "Level"),
    (
        "meetups.near",
        "이 위치 근처 (위도, 경도)",
        "Near (latitude, longitude)",
    ),
    ("meetups.within_km", "반경 km", "Within km"),
    ("meetups.include_closed", "마감 포함", "Include closed"),
    (
        "meetups.for_me",
        "내 선호 지역·거리",
        "For me (my region and distance)",
    ),
    ("meetups.sort", "정렬", "Sort"),
    ("meetups.sort.soonest", "가까운 일정순", "Soonest"),
    ("meetups.sort.newest", "최신순", "Newest"),
    ("meetups.sort.nearest", "가까운 거리순", "Nearest"),
    ("meetups.more", "더 보기", "Load more"),
    ("meetups.time.1", "00–04시", "00–04"),
    ("meetups.time.2", "04–08시", "04–08"),
    ("meetups.time.3", "08–12시", "08–12"),
    ("meetups.time.4", "12–16시", "12–16"),
    ("meetups.time.5", "16–20시", "16–20"),
    ("meetups.time.6", "20–24시", "20–24"),
    ("meetups.distance.1", "5km 미만", "Under 5 km"),
    ("meetups.distance.2", "5–10km", "5–10 km"),
    ("meetups.distance.3", "10–15km", "10–15 km"),
    ("meetups.distance.4", "15km 이상", "15 km and more"),
    ("meetups.region.1", "서울", "Seoul"),
    ("meetups.region.2", "경기", "Gyeonggi"),
    ("meetups.region.3", "인천", "Incheon"),
    ("meetups.region.4", "강원", "Gangwon"),
    (
        "meetups.region.5",
        "충청·대전·세종",
        "Chungcheong, Daejeon, Sejong",
    ),
    ("meetups.region.6", "경북·대구", "Gyeongbuk, Daegu"),
    (
        "meetups.region.7",
        "경남·부산·울산",
        "Gyeongnam, Busan, Ulsan",
    ),
    ("meetups.region.8", "전라·광주", "Jeolla, Gwangju"),
    ("meetups.region.9", "제주", "Jeju"),
    ("meetups.theme.city", "도시", "City"),
    ("meetups.theme.park", "공원", "Park"),
    ("meetups.theme.track", "트랙", "Track"),
    ("meetups.theme.river", "강변", "Riverside"),
    ("meetups.theme.mountain", "산", "Mountain"),
    ("meetups.theme.beach", "해변", "Beach"),
    ("meetups.theme.study", "스터디", "Study"),
    ("meetups.theme.games", "보드게임", "Games"),
    ("meetups.theme.other", "기타", "Other"),
    ("meetups.level.any", "누구나", "Anyone"),
    ("meetups.level.beginner", "입문", "Beginner"),
    ("meetups.level.intermediate", "중급", "Intermediate"),
    ("meetups.level.advanced", "상급", "Advanced"),
    ("meetups.status.open", "모집 중", "Open"),
    ("meetups.status.closed", "모집 마감", "Closed"),
    ("meetups.status.started", "시작됨", "Started"),
    ("meetups.status.cancelled", "취소됨", "Cancelled"),
    ("meetups.people", "명", "people"),
    ("meetups.host_label", "모임장", "Host"),
    ("meetups.when", "일시", "When"),
    ("meetups.where", "장소", "Where"),
    ("meetups.coordinates", "좌표", "Coordinates"),
    ("meetups.route", "경로", "Route"),
    (
        "meetups.route_points",
        "경로 좌표 (한 줄에 위도,경도)",
        "Route points (one lat,lng per line)",
    ),
    ("meetups.pace", "페이스 (예: 6'00\")", "Pace (e.g. 6'00\")"),
    (
        "meetups.capacity",
        "정원 (모임장 포함 2–20명)",
        "Capacity (2–20 including you)",
    ),
    ("meetups.waitlist", "대기자 받기", "Keep a waitlist"),
    ("meetups.approval", "승인 후 참가", "Approve applications"),
    (
        "meetups.images",
        "사진 (업로드 URL, 최대 3장)",
        "Photos (uploaded URLs, up to 3)",
    ),
    ("meetups.photo", "사진 올리기", "Add a photo"),
    ("meetups.photo.uploading", "올리는 중…", "Uploading…"),
    ("meetups.photo.done", "사진을 올렸어요.", "Photo added."),
    (
        "meetups.photo.failed",
        "사진을 올리지 못했어요.",
        "The photo could not be uploaded.",
    ),
    ("meetups.parking", "주차", "Parking"),
    ("meetups.baggage", "짐 보관", "Baggage"),
    ("meetups.chat_link", "오픈채팅 링크", "Open-chat link"),
    ("meetups.description", "소개", "Description"),
    (
        "meetups.title_field",
        "제목 (3–28자)",
        "Title (3–28 characters)",
    ),
    ("meetups.date", "날짜", "Date"),
    ("meetups.start_time", "시작 시간", "Start time"),
    ("meetups.address", "주소", "Address"),
    ("meetups.lat", "위도", "Latitude"),
    ("meetups.lng", "경도", "Longitude"),
    ("meetups.submit_host", "모임 열기", "Host it"),
    ("meetups.apply", "참가 신청", "Apply"),
    ("meetups.leave", "신청 취소", "Cancel my place"),
    ("meetups.participants", "참가자", "Participants"),
    ("meetups.waiting", "대기", "Waiting"),
    ("meetups.pending", "승인 대기", "Awaiting approval"),
    ("meetups.my.joined", "참가 확정", "You're in"),
    ("meetups.my.waitlisted", "대기 중", "On the waitlist"),
    ("meetups.my.pending", "승인 대기 중", "Awaiting approval"),
    ("meetups.attendance", "출석 체크", "Attendance"),
    (
        "meetups.attendance_submit",
        "출석 제출",
        "Submit attendance",
    ),
    ("meetups.attended", "출석", "Attended"),
    ("meetups.absent", "불참", "No-show"),
    ("meetups.rate", "모임장 평가", "Rate the host"),
    ("meetups.rate_submit", "평가 보내기", "Send rating"),
    (
        "meetups.calendar",
        "캘린더에 추가 (iCal)",
        "Add to calendar (iCal)",
    ),
    ("meetups.share", "공유 링크", "Share link"),
    ("meetups.manner", "매너 점수", "Manner score"),
    ("meetups.hosted", "내가 연 모임", "Hosted"),
    ("meetups.joined", "참가한 모임", "Joined"),
    ("meetups.attended_list", "출석한 모임", "Attended"),
    ("meetups.none", "아직 없어요.", "Nothing yet."),
    ("meetups.notice.joined", "참가가 확정됐어요.", "You're in."),
    (
        "meetups.notice.waitlisted",
        "대기자로 등록됐어요. 자리가 나면 자동으로 참가돼요.",
        "You're on the waitlist; a freed place goes to you automatically.",
    ),
    (
        "meetups.notice.pending",
        "신청했어요. 모임장이 승인하면 참가돼요.",
        "Applied. You're in once the host approves.",
    ),
    (
        "meetups.notice.left",
        "신청을 취소했어요.",
        "Your place is cancelled.",
    ),
    (
        "meetups.notice.attendance",
        "출석을 제출했어요.",
        "Attendance submitted.",
    ),
    (
        "meetups.notice.rated",
        "평가해 주셔서 고마워요.",
        "Thanks for rating.",
    ),
    (
        "meetups.notice.created",
        "모임을 열었어요.",
        "Your meetup is live.",
    ),
    (
        "meetups.reason.1",
        "진행한 코스가 만족스러웠어요!",
        "The route was great!",
    ),
    (
        "meetups.reason.2",
        "사람들을 잘 이끌어줬어요!",
        "Led the group well!",
    ),
    (
        "meetups.reason.3",
        "궁금한 점에 대해 빠르게 답해줬어요!",
        "Answered questions quickly!",
    ),
    (
        "meetups.reason.4",
        "짐을 보관해줘서 편했어요!",
        "Kept our bags safe!",
    ),
    (
        "meetups.reason.5",
        "시간 약속을 잘 지켰어요!",
        "Was on time!",
    ),
    (
        "meetups.reason.6",
        "진행한 코스가 아쉬웠어요.",
        "The route was disappointing.",
    ),
    (
        "meetups.reason.7",
        "참가자에게 불친절했어요.",
        "Was unfriendly to participants.",
    ),
    ("meetups.reason.8", "응답이 늦었어요.", "Answered slowly."),
    (
        "meetups.reason.9",
        "변경사항을 안내해주지 않았어요.",
        "Didn't announce changes.",
    ),
    (
        "meetups.reason.10",
        "시간 약속을 잘 안 지켰어요.",
        "Wasn't on time.",
    ),
];
