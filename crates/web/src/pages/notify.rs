//! The notification centre (`/notifications`): my notifications newest first, filtered by
//! category, with mark read, read all, delete, and "open" (marks read and follows the link).
//! The strings of the notifications module live here too.

use super::{PageCtx, page_error, redirect, render, require_user};
use crate::AppState;
use crate::api::notify::{ListQuery, page, parse_list};
use crate::flows::notify::{CATEGORIES, CHANNELS, render as render_notice};
use crate::i18n::Tr;
use crate::realtime::{self, Render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use moim_core::time::format_local;
use moim_store::notifications as store;
use moim_store::notifications::Notification;
use std::sync::Arc;
use uuid::Uuid;

macro_rules! signed_in_or_return {
    ($ctx:expr) => {
        match require_user(&$ctx) {
            Ok(u) => u,
            Err(r) => return r,
        }
    };
}

macro_rules! ok_or_page {
    ($ctx:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(err) => return page_error(&$ctx, err.into()),
        }
    };
}

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/notifications", get(list))
        .route("/notifications/stream", get(stream))
        .route("/notifications/read-all", post(read_all))
        .route("/notifications/{id}/open", get(open))
        .route("/notifications/{id}/read", post(mark_read))
        .route("/notifications/{id}/delete", post(delete))
        .route("/notifications/settings", get(settings).post(save_settings))
        .route("/notifications/settings/phone", post(save_phone))
        .route("/sw.js", get(service_worker))
}

/// The push service worker, served from the site root so its scope covers every page.
async fn service_worker() -> Response {
    let Some(file) = crate::assets::embedded("js/sw.js") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            ("content-type", "text/javascript; charset=utf-8"),
            ("cache-control", "no-cache"),
            ("service-worker-allowed", "/"),
        ],
        file,
    )
        .into_response()
}

/// One category's row of switches on the settings page.
struct PrefRow {
    category: &'static str,
    /// (channel, on) in [`CHANNELS`] order.
    channels: Vec<(&'static str, bool)>,
}

#[derive(Template)]
#[template(path = "notify/settings.html")]
struct SettingsPage<'a> {
    ctx: &'a PageCtx,
    t: &'a Tr,
    rows: Vec<PrefRow>,
    channels: &'static [&'static str],
    phone: String,
    phone_error: bool,
    push_devices: usize,
    notice: Option<String>,
}

async fn settings(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let user = signed_in_or_return!(ctx);
    let page = ok_or_page!(ctx, settings_data(&state, user.id).await);
    let notice = ctx.notice(q.notice, &["form.saved"]);
    render(
        StatusCode::OK,
        &SettingsPage {
            ctx: &ctx,
            t: &ctx.t,
            rows: page.0,
            channels: &CHANNELS,
            phone: page.1.unwrap_or_default(),
            phone_error: false,
            push_devices: page.2,
            notice,
        },
    )
}

#[derive(serde::Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

type SettingsData = (Vec<PrefRow>, Option<String>, usize);

async fn settings_data(
    state: &AppState,
    user: Uuid,
) -> Result<SettingsData, crate::error::ApiError> {
    let prefs = crate::api::notify::prefs(state, user).await?;
    let rows = CATEGORIES
        .iter()
        .map(|c| PrefRow {
            category: c,
            channels: CHANNELS
                .iter()
                .map(|ch| {
                    let on = prefs
                        .iter()
                        .find(|p| p.category == *c && p.channel == *ch)
                        .is_none_or(|p| p.enabled);
                    (*ch, on)
                })
                .collect(),
        })
        .collect();
    let phone = store::phone(&state.db, user).await?;
    let devices = store::push_subscriptions(&state.db, user).await?.len();
    Ok((rows, phone, devices))
}

/// Saves every switch at once: a box that is not sent is off.
async fn save_settings(
    State(state): State<AppState>,
    ctx: PageCtx,
    axum::extract::Form(f): axum::extract::Form<Vec<(String, String)>>,
) -> Response {
    let user = signed_in_or_return!(ctx);
    for c in CATEGORIES {
        for ch in CHANNELS {
            let key = format!("{c}.{ch}");
            let on = f.iter().any(|(k, _)| *k == key);
            ok_or_page!(
                ctx,
                crate::flows::notify::set_pref(&state, user.id, c, ch, on).await
            );
        }
    }
    redirect(&ctx, "/notifications/settings?notice=form.saved")
}

#[derive(serde::Deserialize)]
struct PhoneForm {
    #[serde(default)]
    phone: String,
}

async fn save_phone(
    State(state): State<AppState>,
    ctx: PageCtx,
    axum::extract::Form(f): axum::extract::Form<PhoneForm>,
) -> Response {
    let user = signed_in_or_return!(ctx);
    match crate::flows::notify::set_phone(&state, user.id, &f.phone).await {
        Ok(_) => redirect(&ctx, "/notifications/settings?notice=form.saved"),
        Err(e) if e.status.is_server_error() => page_error(&ctx, e),
        Err(e) => {
            let data = ok_or_page!(ctx, settings_data(&state, user.id).await);
            render(
                e.status,
                &SettingsPage {
                    ctx: &ctx,
                    t: &ctx.t,
                    rows: data.0,
                    channels: &CHANNELS,
                    phone: f.phone,
                    phone_error: true,
                    push_devices: data.2,
                    notice: None,
                },
            )
        }
    }
}

/// One row of the list.
pub struct Item {
    id: Uuid,
    category: String,
    title: String,
    body: String,
    at: String,
    read: bool,
}

#[derive(Template)]
#[template(path = "notify/list.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    t: &'a crate::i18n::Tr,
    csrf: &'a str,
    /// The unfiltered first page: new notifications are prepended as they arrive.
    live: bool,
    items: Vec<Item>,
    next: Option<String>,
    category: &'static str,
    unread_only: bool,
    unread: i64,
    categories: &'static [&'static str],
}

impl ListPage<'_> {
    /// The list URL with the current filters and a cursor.
    fn more_href(&self, cursor: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if !self.category.is_empty() {
            q.append_pair("category", self.category);
        }
        if self.unread_only {
            q.append_pair("unread", "true");
        }
        q.append_pair("cursor", cursor);
        format!("/notifications?{}", q.finish())
    }
}

async fn list(State(state): State<AppState>, ctx: PageCtx, Query(q): Query<ListQuery>) -> Response {
    let user = signed_in_or_return!(ctx);
    let args = ok_or_page!(ctx, parse_list(&q));
    let (rows, next) = ok_or_page!(ctx, page(&state, user.id, &args).await);
    let unread = ok_or_page!(ctx, store::unread_count(&state.db, user.id).await);
    let items = rows
        .iter()
        .map(|n| item(&ctx.t, &user.time_zone, n))
        .collect();
    let live =
        args.category.is_none() && !args.unread && args.kind.is_none() && args.after.is_none();
    render(
        StatusCode::OK,
        &ListPage {
            ctx: &ctx,
            t: &ctx.t,
            csrf: &ctx.csrf,
            live,
            items,
            next,
            category: args.category.unwrap_or(""),
            unread_only: args.unread,
            unread,
            categories: &CATEGORIES,
        },
    )
}

fn item(t: &Tr, tz: &str, n: &Notification) -> Item {
    let (title, body) = render_notice(t, n);
    Item {
        id: n.id,
        category: n.category.clone(),
        title,
        body,
        at: format_local(n.created_at, tz),
        read: n.read_at.is_some(),
    }
}

#[derive(Template)]
#[template(path = "notify/_item.html")]
struct ItemFragment<'a> {
    t: &'a Tr,
    csrf: &'a str,
    n: &'a Item,
}

#[derive(Template)]
#[template(path = "notify/_badge.html")]
struct BadgeFragment<'a> {
    t: &'a Tr,
    unread: i64,
}

/// The page's live stream (htmx SSE extension): each new notification as an HTML list item
/// (`notification`), then the header badge with the new unread count (`badge`).
async fn stream(State(state): State<AppState>, ctx: PageCtx, headers: HeaderMap) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let last = last_event_id(&headers);
    let (lang, tz, csrf) = (ctx.lang(), user.time_zone.clone(), ctx.csrf.clone());
    let render: Render = Arc::new(move |rows: &[Notification], unread: i64| {
        let t = Tr::new(lang);
        let mut events: Vec<Event> = rows
            .iter()
            .filter_map(|n| {
                let it = item(&t, &tz, n);
                let html = ItemFragment {
                    t: &t,
                    csrf: &csrf,
                    n: &it,
                }
                .render()
                .ok()?;
                Some(
                    Event::default()
                        .id(n.id.to_string())
                        .event("notification")
                        .data(html),
                )
            })
            .collect();
        if let Ok(html) = (BadgeFragment { t: &t, unread }).render() {
            events.push(Event::default().event("badge").data(html));
        }
        events
    });
    realtime::stream(&state, user.id, last, render)
        .await
        .into_response()
}

/// The `Last-Event-ID` header a reconnecting `EventSource` sends.
pub fn last_event_id(headers: &HeaderMap) -> Option<Uuid> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Follows a notification's link and marks it read on the way.
async fn open(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let user = signed_in_or_return!(ctx);
    let n = ok_or_page!(ctx, store::get(&state.db, user.id, id).await);
    let Some(n) = n else {
        return page_error(
            &ctx,
            crate::error::ApiError::not_found("notification_not_found"),
        );
    };
    ok_or_page!(ctx, store::mark_read(&state.db, user.id, id).await);
    // A GET that writes: the read cache's unread badge must not lag behind.
    state.cache.forget_unread(&[user.id]);
    redirect(&ctx, &super::safe_next(Some(&n.link)))
}

async fn mark_read(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let user = signed_in_or_return!(ctx);
    ok_or_page!(ctx, store::mark_read(&state.db, user.id, id).await);
    redirect(&ctx, "/notifications")
}

async fn read_all(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let user = signed_in_or_return!(ctx);
    ok_or_page!(ctx, store::mark_all_read(&state.db, user.id).await);
    redirect(&ctx, "/notifications")
}

async fn delete(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let user = signed_in_or_return!(ctx);
    ok_or_page!(ctx, store::delete(&state.db, user.id, id).await);
    redirect(&ctx, "/notifications")
}

/// Strings of the notifications module, including the `system.*` notification kinds it emits.
pub const STRINGS: crate::i18n::Strings = &[
    ("nav.notifications", "알림", "Notifications"),
    ("notify.title", "알림", "Notifications"),
    (
        "notify.unread_badge",
        "읽지 않은 알림",
        "unread notifications",
    ),
    ("notify.read_all", "모두 읽음", "Mark all read"),
    ("notify.mark_read", "읽음", "Mark read"),
    ("notify.delete", "삭제", "Delete"),
    ("notify.open", "열기", "Open"),
    ("notify.new", "새 알림", "New"),
    ("notify.filter", "보기", "Show"),
    ("notify.filter.all", "전체", "All"),
    ("notify.filter.unread", "읽지 않은 알림만", "Unread only"),
    ("notify.filter.apply", "적용", "Apply"),
    ("notify.category", "분류", "Category"),
    (
        "notify.empty",
        "아직 알림이 없어요.",
        "No notifications yet.",
    ),
    (
        "notify.empty_filtered",
        "조건에 맞는 알림이 없어요.",
        "No notifications match this filter.",
    ),
    ("notify.more", "더 보기", "Show more"),
    ("notify.category.group", "모임", "Groups"),
    ("notify.category.roster", "근무표", "Rosters"),
    ("notify.category.meetup", "모임 일정", "Meetups"),
    ("notify.category.course", "코스", "Courses"),
    ("notify.category.mission", "미션", "Missions"),
    ("notify.category.chat", "채팅", "Chat"),
    ("notify.category.mentoring", "멘토링", "Mentoring"),
    ("notify.category.system", "시스템", "System"),
    (
        "notify.email.footer",
        "알림 설정에서 분류별로 이메일을 끌 수 있어요.",
        "You can turn e-mail off per category in your notification settings.",
    ),
    ("notify.settings", "알림 설정", "Notification settings"),
    (
        "notify.settings.lead",
        "앱 안의 알림은 항상 받아요. 분류마다 이메일, 푸시, 문자를 켜고 끌 수 있어요.",
        "In-app notifications always arrive. Turn e-mail, push and text messages on or off per category.",
    ),
    ("notify.channel.email", "이메일", "E-mail"),
    ("notify.channel.push", "푸시", "Push"),
    ("notify.channel.sms", "문자", "SMS"),
    ("notify.settings.save", "저장", "Save"),
    (
        "notify.push.title",
        "이 기기에서 푸시 알림",
        "Push notifications on this device",
    ),
    (
        "notify.push.lead",
        "브라우저를 닫아도 새 알림을 받아요. 앱에서 이미 읽은 알림은 보내지 않아요.",
        "Get new notifications even when moim is closed. Ones you already read in the app are not pushed.",
    ),
    ("notify.push.enable", "푸시 켜기", "Turn on push"),
    (
        "notify.push.disable",
        "이 기기에서 끄기",
        "Turn off on this device",
    ),
    (
        "notify.push.on",
        "이 기기에서 푸시를 받고 있어요.",
        "Push is on for this device.",
    ),
    (
        "notify.push.off",
        "이 기기에서는 푸시가 꺼져 있어요.",
        "Push is off for this device.",
    ),
    (
        "notify.push.unsupported",
        "이 브라우저는 푸시 알림을 지원하지 않아요.",
        "This browser does not support push notifications.",
    ),
    (
        "notify.push.denied",
        "브라우저에서 알림 권한이 거부되었어요. 사이트 설정에서 허용해 주세요.",
        "Notifications are blocked for this site. Allow them in the browser's site settings.",
    ),
    (
        "notify.push.failed",
        "푸시를 켜지 못했어요. 다시 시도해 주세요.",
        "Could not turn push on. Please try again.",
    ),
    (
        "notify.push.devices",
        "푸시를 받는 기기",
        "Devices receiving push",
    ),
    ("notify.sms.title", "문자 알림", "Text messages"),
    (
        "notify.sms.lead",
        "번호를 등록하면 켜 둔 분류의 알림을 문자로도 받아요. 비우고 저장하면 문자를 받지 않아요.",
        "With a number, the categories switched on for SMS also arrive as text messages. Save it empty to stop.",
    ),
    ("notify.sms.phone", "휴대폰 번호", "Mobile number"),
    (
        "notify.sms.invalid",
        "010-1234-5678 또는 +82 10 1234 5678 형식으로 입력해 주세요.",
        "Enter a number like +82 10 1234 5678 (or 010-1234-5678).",
    ),
    ("notify.system.notice.title", "{title}", "{title}"),
    ("notify.system.notice.body", "{body}", "{body}"),
];
