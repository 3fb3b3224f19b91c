//! `/api/v1/groups*` and `/api/v1/invites/*`. Every handler resolves the caller's membership
//! through `flows::groups::access` before it decides anything.

use super::{ApiJson, ApiPath, ApiQuery, created};
use crate::AppState;
use crate::auth::{ApiUser, ClientIp, rate_limit};
use crate::error::{ApiError, ApiResult, Problem};
use crate::flows::groups::{self as flows, Access, GroupInput};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use moim_core::groups::{DDay, d_day};
use moim_core::time::{timestamp, today_in};
use moim_store::groups::{self as store, Cursor, Group, JoinOutcome, Member};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_groups, create_group))
        .routes(routes!(get_group, update_group))
        .routes(routes!(disband, cancel_disband))
        .routes(routes!(list_members))
        .routes(routes!(update_member, remove_member))
        .routes(routes!(approve_member))
        .routes(routes!(leave))
        .routes(routes!(join))
        .routes(routes!(transfer))
        .routes(routes!(get_invite))
        .routes(routes!(rotate_invite))
        .routes(routes!(invite_preview))
        .routes(routes!(join_by_invite))
}

/// Days to the start (`until`), the day number while running (`running`), or `ended`.
#[derive(Serialize, ToSchema)]
pub struct DDayDto {
    pub kind: String,
    pub days: Option<i32>,
    /// Display form: `D-3`, `D+10`, `D-Day`, `ended`.
    pub label: String,
}

pub fn d_day_dto(g: &Group) -> Option<DDayDto> {
    let parse = |s: &Option<String>| s.as_deref().and_then(|d| d.parse().ok());
    let d = d_day(
        today_in(&g.time_zone),
        parse(&g.starts_on),
        parse(&g.ends_on),
    )?;
    Some(match d {
        DDay::Until(0) => DDayDto {
            kind: "until".into(),
            days: Some(0),
            label: "D-Day".into(),
        },
        DDay::Until(n) => DDayDto {
            kind: "until".into(),
            days: Some(n),
            label: format!("D-{n}"),
        },
        DDay::Running(n) => DDayDto {
            kind: "running".into(),
            days: Some(n),
            label: format!("D+{n}"),
        },
        DDay::Ended => DDayDto {
            kind: "ended".into(),
            days: None,
            label: "ended".into(),
        },
    })
}

#[derive(Serialize, ToSchema)]
pub struct GroupDto {
    pub id: Uuid,
    pub name: String,
    /// study, exercise, running, reading, hobby, work, volunteer, other
    pub category: String,
    pub description: String,
    pub pledge: String,
    pub image_url: Option<String>,
    /// private or public
    pub visibility: String,
    /// invite, open or approval
    pub join_policy: String,
    pub capacity: i64,
    pub member_count: i64,
    pub rejoin_allowed: bool,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub time_zone: String,
    pub d_day: Option<DDayDto>,
    /// The caller's role, when a member.
    pub my_role: Option<String>,
    /// `active` or `pending` (awaiting approval), when the caller has a membership.
    pub my_status: Option<String>,
    /// Present for managers and the owner only.
    pub invite_code: Option<String>,
    /// When the group will be deleted, if disbanding was requested (RFC 3339).
    pub disband_at: Option<String>,
    pub created_at: String,
}

pub fn group_dto(a: &Access) -> GroupDto {
    let g = &a.group;
    let role = a.role();
    GroupDto {
        id: g.id,
        name: g.name.clone(),
        category: g.category.clone(),
        description: g.description.clone(),
        pledge: g.pledge.clone(),
        image_url: g.image_url.clone(),
        visibility: g.visibility.clone(),
        join_policy: g.join_policy.clone(),
        capacity: g.capacity,
        member_count: g.member_count,
        rejoin_allowed: g.rejoin_allowed,
        starts_on: g.starts_on.clone(),
        ends_on: g.ends_on.clone(),
        time_zone: g.time_zone.clone(),
        d_day: d_day_dto(g),
        my_role: role.map(|r| r.as_str().to_owned()),
        my_status: a.membership.as_ref().map(|m| m.status.clone()),
        invite_code: role
            .filter(|r| r.can_manage())
            .map(|_| g.invite_code.clone()),
        disband_at: g.disband_at.map(|t| timestamp(t).to_string()),
        created_at: timestamp(g.created_at).to_string(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct GroupPage {
    pub items: Vec<GroupDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct PageQuery {
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

fn limit(q: Option<i64>) -> Result<i64, ApiError> {
    match q.unwrap_or(20) {
        n @ 1..=100 => Ok(n),
        _ => Err(ApiError::field("limit", "out_of_range")),
    }
}

/// My groups (including pending join requests), newest first.
#[utoipa::path(get, path = "/groups", tag = "groups", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = GroupPage), (status = 401, body = Problem)))]
async fn my_groups(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<GroupPage>> {
    let n = limit(q.limit)?;
    let after = flows::decode_cursor(q.cursor.as_deref())?;
    let rows = store::my_groups(&state.db, user.id, after, n + 1).await?;
    let (rows, next_cursor) = crate::flows::split_page(rows, n, |r| Cursor {
        at: r.joined_at,
        id: r.group.id,
    });
    let items = rows
        .into_iter()
        .map(|r| {
            let membership = Some(store::Membership {
                group_id: r.group.id,
                user_id: user.id,
                role: r.role,
                status: r.status,
                joined_at: r.joined_at,
            });
            group_dto(&Access {
                group: r.group,
                membership,
            })
        })
        .collect();
    Ok(Json(GroupPage { items, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    /// 1–30 characters.
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub description: String,
    /// The group's pledge (각오), up to 100 characters.
    #[serde(default)]
    pub pledge: String,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default = "private")]
    pub visibility: String,
    #[serde(default = "invite")]
    pub join_policy: String,
    /// 2–1000 members including the owner.
    pub capacity: i64,
    #[serde(default = "yes")]
    pub rejoin_allowed: bool,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub starts_on: Option<String>,
    /// `YYYY-MM-DD`, not before `starts_on`.
    #[serde(default)]
    pub ends_on: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
}

fn private() -> String {
    "private".into()
}
fn invite() -> String {
    "invite".into()
}
fn yes() -> bool {
    true
}

impl From<GroupBody> for GroupInput {
    fn from(b: GroupBody) -> Self {
        GroupInput {
            name: b.name,
            category: b.category,
            description: b.description,
            pledge: b.pledge,
            image_url: b.image_url.unwrap_or_default(),
            visibility: b.visibility,
            join_policy: b.join_policy,
            capacity: Some(b.capacity),
            rejoin_allowed: b.rejoin_allowed,
            starts_on: b.starts_on.unwrap_or_default(),
            ends_on: b.ends_on.unwrap_or_default(),
            time_zone: b.time_zone.unwrap_or_default(),
        }
    }
}

/// Create a group; the caller becomes its owner.
#[utoipa::path(post, path = "/groups", tag = "groups", security(("bearer" = [])), request_body = GroupBody,
    responses((status = 201, body = GroupDto), (status = 422, body = Problem)))]
async fn create_group(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<GroupBody>,
) -> ApiResult<Response> {
    let g = flows::create(&state, user.id, &b.into()).await?;
    let a = flows::access(&state, g.id, user.id).await?;
    Ok(created(group_dto(&a)))
}

/// A group. Members see everything; others see public groups only (404 for private ones).
#[utoipa::path(get, path = "/groups/{id}", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = GroupDto), (status = 404, body = Problem)))]
async fn get_group(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<GroupDto>> {
    let a = flows::access(&state, id, user.id).await?;
    if a.role().is_none() && !a.is_public() && !a.is_pending() {
        return Err(ApiError::not_found("group_not_found"));
    }
    Ok(Json(group_dto(&a)))
}

/// Edit a group (managers and the owner). All fields are replaced.
#[utoipa::path(patch, path = "/groups/{id}", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = GroupBody,
    responses((status = 200, body = GroupDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_group(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<GroupBody>,
) -> ApiResult<Json<GroupDto>> {
    flows::update(&state, id, user.id, &b.into()).await?;
    Ok(Json(group_dto(&flows::access(&state, id, user.id).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct DisbandResponse {
    /// When the group will be deleted (RFC 3339); the owner can cancel until then.
    pub disband_at: String,
}

/// Disband (owner): the group is deleted after a 3-day grace period.
#[utoipa::path(post, path = "/groups/{id}/disband", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = DisbandResponse), (status = 403, body = Problem)))]
async fn disband(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<DisbandResponse>> {
    let at = flows::disband(&state, id, user.id).await?;
    Ok(Json(DisbandResponse {
        disband_at: timestamp(at).to_string(),
    }))
}

/// Cancel a pending disband (owner).
#[utoipa::path(delete, path = "/groups/{id}/disband", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem)))]
async fn cancel_disband(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    flows::cancel_disband(&state, id, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MemberDto {
    pub user_id: Uuid,
    pub nickname: String,
    pub avatar_url: Option<String>,
    pub role: String,
    /// `active`, or `pending` for join requests.
    pub status: String,
    /// The note sent with a join request.
    pub message: String,
    pub joined_at: String,
}

impl From<Member> for MemberDto {
    fn from(m: Member) -> Self {
        Self {
            user_id: m.user_id,
            nickname: m.nickname,
            avatar_url: m.avatar_url,
            role: m.role,
            status: m.status,
            message: m.message,
            joined_at: timestamp(m.joined_at).to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MemberPage {
    pub items: Vec<MemberDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct MemberQuery {
    /// `active` (default) or `pending` (managers only).
    pub status: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Members of a group (members only), oldest first; `status=pending` lists join requests.
#[utoipa::path(get, path = "/groups/{id}/members", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path), MemberQuery),
    responses((status = 200, body = MemberPage), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_members(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<MemberQuery>,
) -> ApiResult<Json<MemberPage>> {
    let (_, role) = flows::access(&state, id, user.id).await?.member()?;
    let status = match q.status.as_deref().unwrap_or("active") {
        "active" => "active",
        "pending" if role.can_manage() => "pending",
        "pending" => return Err(ApiError::forbidden("manager_only")),
        _ => return Err(ApiError::field("status", "invalid_value")),
    };
    let n = limit(q.limit)?;
    let after = flows::decode_cursor(q.cursor.as_deref())?;
    let rows = store::members(&state.db, id, status, after, n + 1).await?;
    let (rows, next_cursor) = crate::flows::split_page(rows, n, |r| Cursor {
        at: r.joined_at,
        id: r.user_id,
    });
    Ok(Json(MemberPage {
        items: rows.into_iter().map(MemberDto::from).collect(),
        next_cursor,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct RoleBody {
    /// `manager` or `member`.
    pub role: String,
}

/// Change a member's role (owner only).
#[utoipa::path(patch, path = "/groups/{id}/members/{user_id}", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path), ("user_id" = Uuid, Path)), request_body = RoleBody,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn update_member(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, target)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<RoleBody>,
) -> ApiResult<StatusCode> {
    flows::set_role(&state, id, user.id, target, &b.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member, or decline a join request (managers and the owner, within their role).
#[utoipa::path(delete, path = "/groups/{id}/members/{user_id}", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn remove_member(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, target)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    flows::remove(&state, id, user.id, target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Approve a join request (capacity is enforced).
#[utoipa::path(post, path = "/groups/{id}/members/{user_id}/approve", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 409, body = Problem, description = "group_full")))]
async fn approve_member(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, target)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    flows::approve(&state, id, user.id, target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Leave a group (or withdraw a join request). The owner must transfer or disband first.
#[utoipa::path(post, path = "/groups/{id}/leave", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 409, body = Problem)))]
async fn leave(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    flows::leave(&state, id, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema, Default)]
pub struct JoinBody {
    /// A note for the managers (approval groups), up to 200 characters.
    #[serde(default)]
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct JoinResponse {
    /// `joined`, `requested`, `already_member` or `already_requested`.
    pub outcome: String,
    pub group_id: Uuid,
}

fn outcome_name(o: JoinOutcome) -> &'static str {
    match o {
        JoinOutcome::Joined => "joined",
        JoinOutcome::Requested => "requested",
        JoinOutcome::AlreadyMember => "already_member",
        JoinOutcome::AlreadyRequested => "already_requested",
        JoinOutcome::Full => "full",
        JoinOutcome::NotAllowed => "not_allowed",
        JoinOutcome::Disbanding => "disbanding",
    }
}

/// Join a public group without a code (open groups admit, approval groups queue a request).
#[utoipa::path(post, path = "/groups/{id}/join", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = JoinBody,
    responses((status = 200, body = JoinResponse), (status = 403, body = Problem), (status = 409, body = Problem, description = "group_full")))]
async fn join(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    body: Option<ApiJson<JoinBody>>,
) -> ApiResult<Json<JoinResponse>> {
    let msg = body.map(|b| b.0.message).unwrap_or_default();
    let o = flows::join_public(&state, id, user.id, &msg).await?;
    Ok(Json(JoinResponse {
        outcome: outcome_name(o).into(),
        group_id: id,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct TransferBody {
    pub user_id: Uuid,
}

/// Hand the group to another member (owner only); the old owner becomes a manager.
#[utoipa::path(post, path = "/groups/{id}/transfer", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = TransferBody,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn transfer(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<TransferBody>,
) -> ApiResult<StatusCode> {
    flows::transfer(&state, id, user.id, b.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct InviteDto {
    pub code: String,
    /// The link to share: opening it shows the group and a join button.
    pub url: String,
}

/// The invite code and link (managers and the owner).
#[utoipa::path(get, path = "/groups/{id}/invite", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = InviteDto), (status = 403, body = Problem)))]
async fn get_invite(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<InviteDto>> {
    let (a, _) = flows::access(&state, id, user.id).await?.manager()?;
    let code = a.group.invite_code;
    Ok(Json(InviteDto {
        url: state.config.url(&format!("/join/{code}")),
        code,
    }))
}

/// Issue a new invite code; the old code and link stop working.
#[utoipa::path(post, path = "/groups/{id}/invite/rotate", tag = "groups", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = InviteDto), (status = 403, body = Problem)))]
async fn rotate_invite(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<InviteDto>> {
    let code = flows::rotate_invite(&state, id, user.id).await?;
    Ok(Json(InviteDto {
        url: state.config.url(&format!("/join/{code}")),
        code,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct InvitePreview {
    pub group_id: Uuid,
    pub name: String,
    pub category: String,
    pub description: String,
    pub member_count: i64,
    pub capacity: i64,
    pub join_policy: String,
    pub d_day: Option<DDayDto>,
}

/// What an invite leads to, before joining.
#[utoipa::path(get, path = "/invites/{code}", tag = "groups", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = InvitePreview), (status = 404, body = Problem), (status = 429, body = Problem)))]
async fn invite_preview(
    State(state): State<AppState>,
    ApiUser(_user): ApiUser,
    ClientIp(ip): ClientIp,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<InvitePreview>> {
    rate_limit(
        &state,
        &format!("invite:{ip}"),
        state.config.limits.invite_per_ip,
    )
    .await?;
    let g = store::group_by_invite(&state.db, &code.trim().to_ascii_uppercase())
        .await?
        .filter(|g| g.disband_at.is_none())
        .ok_or_else(|| ApiError::not_found("invite_not_found"))?;
    Ok(Json(InvitePreview {
        group_id: g.id,
        d_day: d_day_dto(&g),
        name: g.name,
        category: g.category,
        description: g.description,
        member_count: g.member_count,
        capacity: g.capacity,
        join_policy: g.join_policy,
    }))
}

/// Join with an invite code (approval groups queue a request).
#[utoipa::path(post, path = "/invites/{code}/join", tag = "groups", security(("bearer" = [])), params(("code" = String, Path)), request_body = JoinBody,
    responses((status = 200, body = JoinResponse), (status = 404, body = Problem), (status = 409, body = Problem, description = "group_full")))]
async fn join_by_invite(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ClientIp(ip): ClientIp,
    ApiPath(code): ApiPath<String>,
    body: Option<ApiJson<JoinBody>>,
) -> ApiResult<Json<JoinResponse>> {
    rate_limit(
        &state,
        &format!("invite:{ip}"),
        state.config.limits.invite_per_ip,
    )
    .await?;
    let msg = body.map(|b| b.0.message).unwrap_or_default();
    let (g, o) = flows::join_by_code(&state, &code, user.id, &msg).await?;
    Ok(Json(JoinResponse {
        outcome: outcome_name(o).into(),
        group_id: g.id,
    }))
}
