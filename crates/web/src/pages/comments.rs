//! The comment thread shown under a meetup or a course post (`templates/comments/_thread.html`,
//! included by both detail pages), and its htmx actions: comment, reply, edit, delete. Each
//! action answers an htmx request with the re-rendered thread and a plain form post with a
//! redirect back to the object's page.

use super::{PageCtx, page_error, redirect, render};
use crate::AppState;
use crate::error::ApiError;
use crate::flows::comments::{self as flows, Target, ThreadItem};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use moim_core::comments::Object;
use moim_store::comments::Comment;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/meetups/{id}/comments", get(more_meetup).post(post_meetup))
        .route("/courses/{id}/comments", get(more_course).post(post_course))
        .route("/comments/{id}/reply", post(reply))
        .route("/comments/{id}/edit", post(edit))
        .route("/comments/{id}/delete", post(delete))
}

/// How many top-level comments a page shows before "more".
const PAGE: i64 = 30;

/// One comment as the thread shows it.
pub struct CView {
    pub id: Uuid,
    pub author: String,
    pub body: String,
    pub deleted: bool,
    pub edited: bool,
    pub when: String,
    pub mine: bool,
}

pub struct TView {
    pub c: CView,
    pub replies: Vec<CView>,
}

/// Everything `comments/_thread.html` needs.
pub struct Thread {
    /// `/meetups/<id>` or `/courses/<id>`: the object's page, the base of the thread's URLs.
    pub base: String,
    pub items: Vec<TView>,
    pub next: Option<String>,
    pub count: usize,
    /// A message for the last action (e.g. an empty comment), in the viewer's language.
    pub error: Option<String>,
}

fn view(ctx: &PageCtx, c: &Comment) -> CView {
    let tz = ctx
        .user
        .as_ref()
        .map_or(moim_core::accounts::DEFAULT_TIME_ZONE, |u| {
            u.time_zone.as_str()
        });
    CView {
        id: c.id,
        author: if c.author_id.is_some() {
            c.author_nickname.clone()
        } else {
            ctx.t.s("comments.gone_user").to_owned()
        },
        body: if c.deleted_at.is_some() {
            String::new()
        } else {
            c.body.clone()
        },
        deleted: c.deleted_at.is_some(),
        edited: c.edited_at.is_some(),
        when: moim_core::time::format_local(c.created_at, tz),
        mine: c.author_id.is_some_and(|a| ctx.is_me(&a)),
    }
}

fn views(ctx: &PageCtx, items: &[ThreadItem]) -> Vec<TView> {
    items
        .iter()
        .map(|t| TView {
            c: view(ctx, &t.comment),
            replies: t.replies.iter().map(|r| view(ctx, r)).collect(),
        })
        .collect()
}

/// The first page of an object's thread, for its detail page. The caller has already checked
/// that the viewer may see the object.
pub async fn thread(
    state: &AppState,
    ctx: &PageCtx,
    object: Object,
    id: Uuid,
) -> Result<Thread, ApiError> {
    let viewer = ctx.user.as_ref().map(|u| u.id);
    let (target, items, next) = flows::list(state, object, id, viewer, None, PAGE).await?;
    let count = items.iter().map(|t| 1 + t.replies.len()).sum();
    Ok(Thread {
        base: target.link(),
        items: views(ctx, &items),
        next,
        count,
        error: None,
    })
}

#[derive(Template)]
#[template(path = "comments/_thread.html")]
struct ThreadFragment<'a> {
    ctx: &'a PageCtx,
    thread: Thread,
}

#[derive(Template)]
#[template(path = "comments/_items.html")]
struct ItemsFragment<'a> {
    ctx: &'a PageCtx,
    thread: Thread,
}

/// After an action: the re-rendered thread for htmx, a redirect otherwise. A client error is
/// shown inside the thread (htmx) or as the error page.
async fn answer(
    state: &AppState,
    ctx: &PageCtx,
    target: &Target,
    result: Result<Option<Uuid>, ApiError>,
) -> Response {
    let error = match result {
        Ok(anchor) if !ctx.htmx => {
            let to = match anchor {
                Some(a) => format!("{}#comment-{a}", target.link()),
                None => format!("{}#comments", target.link()),
            };
            return redirect(ctx, &to);
        }
        Ok(_) => None,
        Err(e)
            if ctx.htmx && e.status.is_client_error() && e.status != StatusCode::UNAUTHORIZED =>
        {
            Some(match e.errors.first() {
                Some(f) => crate::i18n::field_message(ctx.lang(), &f.field, &f.code),
                None => crate::i18n::error_message(ctx.lang(), e.code),
            })
        }
        Err(e) => return page_error(ctx, e),
    };
    match thread(state, ctx, target.object, target.id).await {
        Ok(mut t) => {
            t.error = error;
            render(StatusCode::OK, &ThreadFragment { ctx, thread: t })
        }
        Err(e) => page_error(ctx, e),
    }
}

#[derive(Deserialize)]
struct BodyForm {
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
struct MoreQuery {
    cursor: Option<String>,
}

async fn more(state: AppState, ctx: PageCtx, object: Object, id: &str, q: MoreQuery) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return super::error_page(&ctx, StatusCode::NOT_FOUND);
    };
    let viewer = ctx.user.as_ref().map(|u| u.id);
    if !ctx.htmx {
        // Without htmx the thread lives on the object's page.
        return match flows::object(&state, object, id, viewer).await {
            Ok(t) => redirect(&ctx, &format!("{}#comments", t.link())),
            Err(e) => page_error(&ctx, e),
        };
    }
    match flows::list(&state, object, id, viewer, q.cursor.as_deref(), PAGE).await {
        Ok((target, items, next)) => render(
            StatusCode::OK,
            &ItemsFragment {
                thread: Thread {
                    base: target.link(),
                    count: 0,
                    items: views(&ctx, &items),
                    next,
                    error: None,
                },
                ctx: &ctx,
            },
        ),
        Err(e) => page_error(&ctx, e),
    }
}

async fn more_meetup(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(q): Query<MoreQuery>,
) -> Response {
    more(state, ctx, Object::Meetup, &id, q).await
}

async fn more_course(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(q): Query<MoreQuery>,
) -> Response {
    more(state, ctx, Object::Course, &id, q).await
}

async fn post_on(state: AppState, ctx: PageCtx, object: Object, id: &str, body: &str) -> Response {
    let Some(user) = ctx.user.clone() else {
        return page_error(&ctx, ApiError::unauthorized("authentication_required"));
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return super::error_page(&ctx, StatusCode::NOT_FOUND);
    };
    let target = match flows::object(&state, object, id, Some(user.id)).await {
        Ok(t) => t,
        Err(e) => return page_error(&ctx, e),
    };
    let r = flows::create(&state, object, id, &user, body)
        .await
        .map(|c| Some(c.id));
    answer(&state, &ctx, &target, r).await
}

async fn post_meetup(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<BodyForm>,
) -> Response {
    post_on(state, ctx, Object::Meetup, &id, &f.body).await
}

async fn post_course(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<BodyForm>,
) -> Response {
    post_on(state, ctx, Object::Course, &id, &f.body).await
}

/// Resolves the comment and its object for the signed-in viewer, or answers with the error.
async fn comment_target(
    state: &AppState,
    ctx: &PageCtx,
    id: &str,
) -> Result<(moim_store::accounts::User, Uuid, Target), Response> {
    let Some(user) = ctx.user.clone() else {
        return Err(page_error(
            ctx,
            ApiError::unauthorized("authentication_required"),
        ));
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return Err(super::error_page(ctx, StatusCode::NOT_FOUND));
    };
    match flows::access(state, id, Some(user.id)).await {
        Ok((_, t)) => Ok((user, id, t)),
        Err(e) => Err(page_error(ctx, e)),
    }
}

async fn reply(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<BodyForm>,
) -> Response {
    let (user, id, target) = match comment_target(&state, &ctx, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let r = flows::reply(&state, id, &user, &f.body)
        .await
        .map(|c| Some(c.id));
    answer(&state, &ctx, &target, r).await
}

async fn edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<BodyForm>,
) -> Response {
    let (user, id, target) = match comment_target(&state, &ctx, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let r = flows::edit(&state, id, user.id, &f.body)
        .await
        .map(|c| Some(c.id));
    answer(&state, &ctx, &target, r).await
}

async fn delete(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<String>) -> Response {
    let (user, id, target) = match comment_target(&state, &ctx, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let r = flows::delete(&state, id, user.id).await.map(|_| None);
    answer(&state, &ctx, &target, r).await
}

pub const STRINGS: crate::i18n::Strings = &[
    ("comments.title", "댓글", "Comments"),
    (
        "error.comment_repeated",
        "같은 댓글을 방금 남겼어요. 잠시 뒤에 다시 쓰거나 내용을 바꿔 주세요.",
        "You just posted the same comment. Wait a few seconds or change the text.",
    ),
    (
        "comments.empty",
        "첫 댓글을 남겨 보세요.",
        "Be the first to comment.",
    ),
    (
        "comments.placeholder",
        "댓글을 남겨 주세요",
        "Write a comment",
    ),
    ("comments.submit", "댓글 달기", "Comment"),
    ("comments.reply", "답글", "Reply"),
    (
        "comments.reply_placeholder",
        "답글을 남겨 주세요",
        "Write a reply",
    ),
    ("comments.reply_submit", "답글 달기", "Reply"),
    ("comments.edit", "수정", "Edit"),
    ("comments.save", "저장", "Save"),
    ("comments.delete", "삭제", "Delete"),
    (
        "comments.delete_confirm",
        "이 댓글을 삭제할까요? 답글은 남아요.",
        "Delete this comment? Replies stay.",
    ),
    (
        "comments.deleted",
        "삭제된 댓글이에요.",
        "This comment was deleted.",
    ),
    ("comments.edited", "수정됨", "edited"),
    ("comments.gone_user", "탈퇴한 사용자", "Former member"),
    ("comments.more", "댓글 더 보기", "More comments"),
    (
        "comments.login",
        "댓글을 남기려면 로그인해 주세요.",
        "Log in to comment.",
    ),
    ("nav.courses", "코스 추천", "Courses"),
    ("notify.meetup.comment.title", "새 댓글", "New comment"),
    (
        "notify.meetup.comment.body",
        "{name}님이 [{title}]에 댓글을 남겼어요: {excerpt}",
        "{name} commented on [{title}]: {excerpt}",
    ),
    ("notify.meetup.reply.title", "새 답글", "New reply"),
    (
        "notify.meetup.reply.body",
        "{name}님이 [{title}]의 내 댓글에 답글을 남겼어요: {excerpt}",
        "{name} replied to your comment on [{title}]: {excerpt}",
    ),
    ("notify.course.comment.title", "새 댓글", "New comment"),
    (
        "notify.course.comment.body",
        "{name}님이 코스 [{title}]에 댓글을 남겼어요: {excerpt}",
        "{name} commented on the course [{title}]: {excerpt}",
    ),
    ("notify.course.reply.title", "새 답글", "New reply"),
    (
        "notify.course.reply.body",
        "{name}님이 코스 [{title}]의 내 댓글에 답글을 남겼어요: {excerpt}",
        "{name} replied to your comment on the course [{title}]: {excerpt}",
    ),
];
