//! Comments and replies on meetups (`/meetups/{id}/comments`) and course posts
//! (`/courses/{id}/comments`), and `/comments/{id}` for replying, editing and deleting. The
//! object's visibility applies: a members-only meetup's comments are a 404 for outsiders.

use super::meetups::MaybeUser;
use super::{ApiJson, ApiPath, ApiQuery, created};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::flows::comments::{self as flows, ThreadItem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use moim_core::comments::Object;
use moim_core::time::timestamp;
use moim_store::comments::Comment;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_meetup_comments, post_meetup_comment))
        .routes(routes!(list_course_comments, post_course_comment))
        .routes(routes!(reply))
        .routes(routes!(edit_comment, delete_comment))
}

#[derive(Serialize, ToSchema)]
pub struct CommentDto {
    pub id: Uuid,
    /// The top-level comment a reply belongs to; null for a top-level comment.
    pub parent_id: Option<Uuid>,
    /// Null once the author deleted their account.
    pub author_id: Option<Uuid>,
    pub author_nickname: String,
    pub author_avatar: Option<String>,
    /// Empty once deleted.
    pub body: String,
    pub deleted: bool,
    pub edited: bool,
    pub created_at: String,
}

pub fn comment_dto(c: &Comment) -> CommentDto {
    CommentDto {
        id: c.id,
        parent_id: c.parent_id,
        author_id: c.author_id,
        author_nickname: c.author_nickname.clone(),
        author_avatar: c.author_avatar.clone(),
        body: if c.deleted_at.is_some() {
            String::new()
        } else {
            c.body.clone()
        },
        deleted: c.deleted_at.is_some(),
        edited: c.edited_at.is_some(),
        created_at: timestamp(c.created_at).to_string(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ThreadDto {
    #[serde(flatten)]
    pub comment: CommentDto,
    pub replies: Vec<CommentDto>,
}

#[derive(Serialize, ToSchema)]
pub struct CommentPage {
    /// Top-level comments, oldest first, each with its replies. A deleted comment appears
    /// (without text) only while replies hang under it.
    pub items: Vec<ThreadDto>,
    pub next_cursor: Option<String>,
}

fn page(items: Vec<ThreadItem>, next_cursor: Option<String>) -> CommentPage {
    CommentPage {
        items: items
            .iter()
            .map(|t| ThreadDto {
                comment: comment_dto(&t.comment),
                replies: t.replies.iter().map(comment_dto).collect(),
            })
            .collect(),
        next_cursor,
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct CommentQuery {
    pub cursor: Option<String>,
    /// 1–100, default 50.
    pub limit: Option<String>,
}

fn limit(q: &CommentQuery) -> Result<i64, ApiError> {
    match q.limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(50),
        Some(s) => match s.parse::<i64>() {
            Ok(n @ 1..=100) => Ok(n),
            _ => Err(ApiError::field("limit", "out_of_range")),
        },
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// 1–1000 characters.
    pub body: String,
}

async fn list_for(
    state: &AppState,
    object: Object,
    id: Uuid,
    user: Option<Uuid>,
    q: &CommentQuery,
) -> ApiResult<Json<CommentPage>> {
    let (_, items, next) =
        flows::list(state, object, id, user, q.cursor.as_deref(), limit(q)?).await?;
    Ok(Json(page(items, next)))
}

/// A meetup's comments (as visible as the meetup).
#[utoipa::path(get, path = "/meetups/{id}/comments", tag = "comments", params(("id" = Uuid, Path), CommentQuery),
    responses((status = 200, body = CommentPage), (status = 404, body = Problem)))]
async fn list_meetup_comments(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<CommentQuery>,
) -> ApiResult<Json<CommentPage>> {
    list_for(&state, Object::Meetup, id, user.map(|u| u.id), &q).await
}

/// Comment on a meetup; the host is notified.
#[utoipa::path(post, path = "/meetups/{id}/comments", tag = "comments", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = CommentBody,
    responses((status = 201, body = CommentDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn post_meetup_comment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<CommentBody>,
) -> ApiResult<Response> {
    let c = flows::create(&state, Object::Meetup, id, &user, &b.body).await?;
    Ok(created(comment_dto(&c)))
}

/// A course's comments.
#[utoipa::path(get, path = "/courses/{id}/comments", tag = "comments", params(("id" = Uuid, Path), CommentQuery),
    responses((status = 200, body = CommentPage), (status = 404, body = Problem)))]
async fn list_course_comments(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<CommentQuery>,
) -> ApiResult<Json<CommentPage>> {
    list_for(&state, Object::Course, id, user.map(|u| u.id), &q).await
}

/// Comment on a course; the author is notified.
#[utoipa::path(post, path = "/courses/{id}/comments", tag = "comments", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = CommentBody,
    responses((status = 201, body = CommentDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn post_course_comment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<CommentBody>,
) -> ApiResult<Response> {
    let c = flows::create(&state, Object::Course, id, &user, &b.body).await?;
    Ok(created(comment_dto(&c)))
}

/// Reply to a comment (a reply to a reply joins the same thread). The comment's author is
/// notified, and the post's author when that is someone else.
#[utoipa::path(post, path = "/comments/{id}/replies", tag = "comments", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = CommentBody,
    responses((status = 201, body = CommentDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn reply(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<CommentBody>,
) -> ApiResult<Response> {
    let c = flows::reply(&state, id, &user, &b.body).await?;
    Ok(created(comment_dto(&c)))
}

/// Edit my comment.
#[utoipa::path(patch, path = "/comments/{id}", tag = "comments", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = CommentBody,
    responses((status = 200, body = CommentDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn edit_comment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<CommentBody>,
) -> ApiResult<Json<CommentDto>> {
    let c = flows::edit(&state, id, user.id, &b.body).await?;
    Ok(Json(comment_dto(&c)))
}

/// Delete my comment; replies under it stay readable.
#[utoipa::path(delete, path = "/comments/{id}", tag = "comments", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_comment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    flows::delete(&state, id, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
