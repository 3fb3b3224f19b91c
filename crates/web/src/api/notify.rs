//! `/api/v1/notifications*`: the signed-in user's notification centre and channel preferences.
//! Every query is scoped to the caller; another user's notification is simply not found.

use super::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::flows::notify::{self as flows, CATEGORIES, CHANNELS};
use crate::i18n::Tr;
use crate::realtime::{self, Render};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use moim_core::accounts::Locale;
use moim_core::time::timestamp;
use moim_store::groups::Cursor;
use moim_store::notifications::{self as store, Filter, Notification};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(unread_count))
        .routes(routes!(read_all))
        .routes(routes!(mark_read))
        .routes(routes!(delete))
        .routes(routes!(get_prefs, set_pref))
        .routes(routes!(stream))
        .routes(routes!(push_key))
        .routes(routes!(subscribe_push, unsubscribe_push))
        .routes(routes!(get_phone, put_phone))
}

/// My new notifications as they arrive (Server-Sent Events). Each `notification` event carries
/// a notification (JSON, its `id` as the event id), followed by an `unread` event with the new
/// unread count. A reconnecting client sends `Last-Event-ID` and gets what it missed first.
#[utoipa::path(get, path = "/notifications/stream", tag = "notifications", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<Uuid>, Header, description = "the last notification id seen")),
    responses((status = 200, content_type = "text/event-stream", body = String, description = "SSE: `notification` (NotificationDto JSON) and `unread` (UnreadDto JSON) events"),
        (status = 401, body = Problem)))]
async fn stream(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let last = crate::pages::notify::last_event_id(&headers);
    let locale = user.locale.clone();
    let render: Render = Arc::new(move |rows: &[Notification], unread: i64| {
        let t = tr_for(&locale);
        let mut events: Vec<Event> = rows
            .iter()
            .filter_map(|n| {
                Event::default()
                    .id(n.id.to_string())
                    .event("notification")
                    .json_data(dto(&t, n))
                    .ok()
            })
            .collect();
        events.extend(
            Event::default()
                .event("unread")
                .json_data(UnreadDto { unread })
                .ok(),
        );
        events
    });
    Ok(realtime::stream(&state, user.id, last, render)
        .await
        .into_response())
}

/// One notification, rendered in the caller's language.
#[derive(Serialize, ToSchema)]
pub struct NotificationDto {
    pub id: Uuid,
    /// `<category>.<event>`, e.g. `roster.published`.
    pub kind: String,
    pub category: String,
    pub title: String,
    pub body: String,
    /// A path inside moim to open.
    pub link: String,
    pub group_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub read: bool,
    pub created_at: String,
}

pub fn dto(t: &Tr, n: &Notification) -> NotificationDto {
    let (title, body) = flows::render(t, n);
    NotificationDto {
        id: n.id,
        kind: n.kind.clone(),
        category: n.category.clone(),
        title,
        body,
        link: n.link.clone(),
        group_id: n.group_id,
        actor_id: n.actor_id,
        read: n.read_at.is_some(),
        created_at: timestamp(n.created_at).to_string(),
    }
}

pub fn tr_for(locale: &str) -> Tr {
    Tr::new(Locale::parse(locale).unwrap_or_default())
}

#[derive(Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Unread notifications in total (all filters aside).
    pub unread: i64,
}

#[derive(Deserialize, IntoParams, Default)]
pub struct ListQuery {
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
    /// Only this kind, e.g. `roster.published`.
    pub kind: Option<String>,
    /// Only this category: group, roster, meetup, course, mission, chat, mentoring, system.
    pub category: Option<String>,
    /// Only unread ones.
    #[serde(default)]
    pub unread: bool,
}

/// The parsed list query, shared with the page.
pub struct ListArgs {
    pub after: Option<Cursor>,
    pub limit: i64,
    pub kind: Option<String>,
    pub category: Option<&'static str>,
    pub unread: bool,
}

pub fn parse_list(q: &ListQuery) -> Result<ListArgs, ApiError> {
    let mut v = crate::flows::Validator::default();
    let limit = match q.limit.unwrap_or(20) {
        n @ 1..=100 => n,
        _ => {
            v.push(moim_core::FieldError::new("limit", "out_of_range"));
            20
        }
    };
    let kind = q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty());
    if kind.is_some_and(|k| flows::category_of(k).is_none()) {
        v.push(moim_core::FieldError::new("kind", "unknown_kind"));
    }
    let category = match q
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(c) => match CATEGORIES.iter().find(|k| **k == c) {
            Some(k) => Some(*k),
            None => {
                v.push(moim_core::FieldError::new("category", "unknown_category"));
                None
            }
        },
    };
    v.finish()?;
    Ok(ListArgs {
        after: crate::flows::decode_cursor(q.cursor.as_deref())?,
        limit,
        kind: kind.map(str::to_owned),
        category,
        unread: q.unread,
    })
}

/// A page of the caller's notifications, newest first, optionally filtered.
pub async fn page(
    state: &AppState,
    user: Uuid,
    args: &ListArgs,
) -> Result<(Vec<Notification>, Option<String>), ApiError> {
    let filter = Filter {
        kind: args.kind.as_deref(),
        category: args.category,
        unread_only: args.unread,
    };
    let rows = store::list(&state.db, user, &filter, args.after, args.limit + 1).await?;
    Ok(crate::flows::split_page(rows, args.limit, |n| Cursor {
        at: n.created_at,
        id: n.id,
    }))
}

/// My notifications, newest first.
#[utoipa::path(get, path = "/notifications", tag = "notifications", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = NotificationPage), (status = 400, body = Problem), (status = 401, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<NotificationPage>> {
    let args = parse_list(&q)?;
    let (rows, next_cursor) = page(&state, user.id, &args).await?;
    let t = tr_for(&user.locale);
    Ok(Json(NotificationPage {
        items: rows.iter().map(|n| dto(&t, n)).collect(),
        next_cursor,
        unread: store::unread_count(&state.db, user.id).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct UnreadDto {
    pub unread: i64,
}

/// How many of my notifications are unread (the badge in the header).
#[utoipa::path(get, path = "/notifications/unread-count", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = UnreadDto), (status = 401, body = Problem)))]
async fn unread_count(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<UnreadDto>> {
    Ok(Json(UnreadDto {
        unread: store::unread_count(&state.db, user.id).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct MarkedDto {
    /// How many were unread and are read now.
    pub marked: u64,
}

/// Mark all my notifications read.
#[utoipa::path(post, path = "/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = MarkedDto), (status = 401, body = Problem)))]
async fn read_all(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<MarkedDto>> {
    Ok(Json(MarkedDto {
        marked: store::mark_all_read(&state.db, user.id).await?,
    }))
}

/// Mark one of my notifications read (again is fine).
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
async fn mark_read(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    if store::mark_read(&state.db, user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("notification_not_found"))
    }
}

/// Delete one of my notifications.
#[utoipa::path(delete, path = "/notifications/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
async fn delete(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    if store::delete(&state.db, user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("notification_not_found"))
    }
}

/// One category × channel switch. In-app is always on and not listed.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PrefDto {
    pub category: String,
    /// `email`, `push` or `sms`.
    pub channel: String,
    pub enabled: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PrefsDto {
    pub items: Vec<PrefDto>,
}

/// Every category × channel with its current setting (on unless turned off).
pub async fn prefs(state: &AppState, user: Uuid) -> Result<Vec<PrefDto>, ApiError> {
    let stored = store::prefs(&state.db, user).await?;
    let mut items = Vec::new();
    for c in CATEGORIES {
        for ch in CHANNELS {
            let enabled = stored
                .iter()
                .find(|(sc, sch, _)| sc == c && sch == ch)
                .is_none_or(|s| s.2);
            items.push(PrefDto {
                category: c.into(),
                channel: ch.into(),
                enabled,
            });
        }
    }
    Ok(items)
}

/// My channel preferences.
#[utoipa::path(get, path = "/notifications/preferences", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = PrefsDto), (status = 401, body = Problem)))]
async fn get_prefs(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<PrefsDto>> {
    Ok(Json(PrefsDto {
        items: prefs(&state, user.id).await?,
    }))
}

/// Turn one channel of one category on or off for me.
#[utoipa::path(put, path = "/notifications/preferences", tag = "notifications", security(("bearer" = [])),
    request_body = PrefDto, responses((status = 200, body = PrefsDto), (status = 400, body = Problem)))]
async fn set_pref(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<PrefDto>,
) -> ApiResult<Json<PrefsDto>> {
    flows::set_pref(&state, user.id, &body.category, &body.channel, body.enabled).await?;
    Ok(Json(PrefsDto {
        items: prefs(&state, user.id).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PushKeyDto {
    /// The VAPID public key (base64url, 65-byte P-256 point): `applicationServerKey` for
    /// `PushManager.subscribe`.
    pub public_key: String,
}

/// The server's Web Push (VAPID) public key.
#[utoipa::path(get, path = "/notifications/push/key", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = PushKeyDto), (status = 401, body = Problem)))]
async fn push_key(State(state): State<AppState>, ApiUser(_user): ApiUser) -> Json<PushKeyDto> {
    Json(PushKeyDto {
        public_key: state.vapid.public_key(),
    })
}

/// The browser's keys of a push subscription, as `PushSubscription.toJSON().keys` gives them.
#[derive(Deserialize, ToSchema)]
pub struct PushKeys {
    /// base64url P-256 public key (65 bytes).
    pub p256dh: String,
    /// base64url auth secret (16 bytes).
    pub auth: String,
}

/// `PushSubscription.toJSON()`.
#[derive(Deserialize, ToSchema)]
pub struct PushSubscriptionIn {
    /// The push service URL (`https`).
    pub endpoint: String,
    pub keys: PushKeys,
}

#[derive(Serialize, ToSchema)]
pub struct PushSubscriptionDto {
    pub id: Uuid,
    pub endpoint: String,
    pub created_at: String,
}

/// Subscribe this browser to my notifications by Web Push (again is fine; an endpoint that
/// belonged to another account moves to me).
#[utoipa::path(post, path = "/notifications/push/subscriptions", tag = "notifications", security(("bearer" = [])),
    request_body = PushSubscriptionIn,
    responses((status = 201, body = PushSubscriptionDto), (status = 400, body = Problem), (status = 401, body = Problem)))]
async fn subscribe_push(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PushSubscriptionIn>,
) -> ApiResult<(StatusCode, Json<PushSubscriptionDto>)> {
    let ua = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let s = flows::subscribe_push(
        &state,
        user.id,
        &body.endpoint,
        &body.keys.p256dh,
        &body.keys.auth,
        ua,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(PushSubscriptionDto {
            id: s.id,
            endpoint: s.endpoint,
            created_at: timestamp(s.created_at).to_string(),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct PushEndpoint {
    pub endpoint: String,
}

/// Unsubscribe a browser of mine from Web Push.
#[utoipa::path(delete, path = "/notifications/push/subscriptions", tag = "notifications", security(("bearer" = [])),
    request_body = PushEndpoint,
    responses((status = 204), (status = 404, body = Problem), (status = 401, body = Problem)))]
async fn unsubscribe_push(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<PushEndpoint>,
) -> ApiResult<StatusCode> {
    if store::delete_push_subscription(&state.db, user.id, body.endpoint.trim()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("subscription_not_found"))
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PhoneDto {
    /// E.164 (`+821012345678`); a Korean mobile number may be sent as `010-1234-5678`. Null or
    /// blank removes the number (no SMS).
    pub phone: Option<String>,
}

/// My SMS number.
#[utoipa::path(get, path = "/notifications/phone", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = PhoneDto), (status = 401, body = Problem)))]
async fn get_phone(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<PhoneDto>> {
    Ok(Json(PhoneDto {
        phone: store::phone(&state.db, user.id).await?,
    }))
}

/// Set or remove my SMS number.
#[utoipa::path(put, path = "/notifications/phone", tag = "notifications", security(("bearer" = [])),
    request_body = PhoneDto,
    responses((status = 200, body = PhoneDto), (status = 400, body = Problem), (status = 401, body = Problem)))]
async fn put_phone(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<PhoneDto>,
) -> ApiResult<Json<PhoneDto>> {
    let phone =
        flows::set_phone(&state, user.id, body.phone.as_deref().unwrap_or_default()).await?;
    Ok(Json(PhoneDto { phone }))
}
