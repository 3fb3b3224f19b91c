//! My groups, create and edit, group home with D-day, members, invite, join by link.

use super::{FormErrors, PageCtx, page_error, redirect, render};
use crate::AppState;
use crate::api::groups::{DDayDto, d_day_dto};
use crate::flows::groups::{self as flows, Access, GroupInput};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use moim_core::groups::{Category, Role};
use moim_core::time::format_local;
use moim_store::groups::{self as store, Cursor, Member, MyGroup};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/groups", get(list).post(create))
        .route("/groups/new", get(new_form))
        .route("/groups/{id}", get(home))
        .route("/groups/{id}/edit", get(edit_form).post(edit))
        .route("/groups/{id}/members", get(members))
        .route("/groups/{id}/members/{user_id}/approve", post(approve))
        .route("/groups/{id}/members/{user_id}/remove", post(remove))
        .route("/groups/{id}/members/{user_id}/role", post(set_role))
        .route("/groups/{id}/members/{user_id}/transfer", post(transfer))
        .route("/groups/{id}/invite", get(invite))
        .route("/groups/{id}/invite/rotate", post(rotate))
        .route("/groups/{id}/join", post(join_public))
        .route("/groups/{id}/leave", post(leave))
        .route("/groups/{id}/disband", post(disband))
        .route("/groups/{id}/disband/cancel", post(cancel_disband))
        .route("/join", get(join_code_redirect))
        .route("/join/{code}", get(join_preview).post(join))
}

// --- list -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "groups/list.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    groups: Vec<Card>,
    next: Option<String>,
    /// The 3 soonest open meetups the user may see (first page only; this is the signed-in
    /// home).
    soonest: Vec<crate::api::meetups::MeetupDto>,
}

/// A group card on "my groups".
struct Card {
    id: Uuid,
    name: String,
    category: String,
    role: String,
    pending: bool,
    member_count: i64,
    capacity: i64,
    d_day: Option<DDayDto>,
    pledge: String,
}

impl From<MyGroup> for Card {
    fn from(r: MyGroup) -> Self {
        Card {
            d_day: d_day_dto(&r.group),
            id: r.group.id,
            name: r.group.name,
            category: r.group.category,
            role: r.role,
            pending: r.status == "pending",
            member_count: r.group.member_count,
            capacity: r.group.capacity,
            pledge: r.group.pledge,
        }
    }
}

#[derive(Deserialize)]
struct CursorQuery {
    cursor: Option<String>,
}

const PAGE: i64 = 24;

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<CursorQuery>,
) -> Response {
    let uid = user_or_return!(ctx);
    let after = ok_or_page!(ctx, flows::decode_cursor(q.cursor.as_deref()));
    let rows = ok_or_page!(ctx, store::my_groups(&state.db, uid, after, PAGE + 1).await);
    let soonest = if after.is_none() {
        ok_or_page!(ctx, super::meetups::soonest(&state, Some(uid), 3).await)
    } else {
        Vec::new()
    };
    let (rows, next) = crate::flows::split_page(rows, PAGE, |r| Cursor {
        at: r.joined_at,
        id: r.group.id,
    });
    render(
        StatusCode::OK,
        &ListPage {
            ctx: &ctx,
            groups: rows.into_iter().map(Card::from).collect(),
            next,
            soonest,
        },
    )
}

// --- create / edit --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "groups/form.html")]
struct FormPage<'a> {
    ctx: &'a PageCtx,
    /// `None` when creating.
    group_id: Option<Uuid>,
    /// The group being edited, for its title and tabs.
    access: Option<Access>,
    v: GroupInput,
    errors: FormErrors,
    categories: &'static [Category],
}

#[derive(Deserialize, Default)]
struct GroupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    pledge: String,
    #[serde(default)]
    image_url: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    join_policy: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    rejoin_allowed: Option<String>,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    time_zone: String,
}

impl GroupForm {
    /// Form fields are text; a capacity that is not a number is reported on its field.
    fn input(self) -> (GroupInput, bool) {
        let cap = self.capacity.trim();
        let capacity = cap.parse::<i64>().ok();
        let bad_number = !cap.is_empty() && capacity.is_none();
        (
            GroupInput {
                name: self.name,
                category: self.category,
                description: self.description,
                pledge: self.pledge,
                image_url: self.image_url,
                visibility: self.visibility,
                join_policy: self.join_policy,
                capacity,
                rejoin_allowed: self.rejoin_allowed.is_some(),
                starts_on: self.starts_on,
                ends_on: self.ends_on,
                time_zone: self.time_zone,
            },
            bad_number,
        )
    }
}

fn form_errors(ctx: &PageCtx, e: &crate::error::ApiError, bad_number: bool) -> FormErrors {
    let mut errs = FormErrors::from_api(e, ctx.lang());
    if bad_number {
        errs.fields.insert(
            "capacity".into(),
            crate::i18n::field_message(ctx.lang(), "capacity", "invalid_type"),
        );
    }
    errs
}

async fn new_form(ctx: PageCtx) -> Response {
    let _ = user_or_return!(ctx);
    let v = GroupInput {
        category: "study".into(),
        visibility: "private".into(),
        join_policy: "invite".into(),
        capacity: Some(moim_core::groups::DEFAULT_CAPACITY as i64),
        rejoin_allowed: true,
        time_zone: ctx
            .user
            .as_ref()
            .map(|u| u.time_zone.clone())
            .unwrap_or_default(),
        ..GroupInput::default()
    };
    render(
        StatusCode::OK,
        &FormPage {
            ctx: &ctx,
            group_id: None,
            access: None,
            v,
            errors: FormErrors::default(),
            categories: Category::ALL,
        },
    )
}

async fn create(State(state): State<AppState>, ctx: PageCtx, Form(f): Form<GroupForm>) -> Response {
    let uid = user_or_return!(ctx);
    let (input, bad_number) = f.input();
    match flows::create(&state, uid, &input).await {
        Ok(g) => redirect(&ctx, &format!("/groups/{}", g.id)),
        Err(e) if e.status.is_server_error() => page_error(&ctx, e),
        Err(e) => {
            let errors = form_errors(&ctx, &e, bad_number);
            render(
                e.status,
                &FormPage {
                    ctx: &ctx,
                    group_id: None,
                    access: None,
                    v: input,
                    errors,
                    categories: Category::ALL,
                },
            )
        }
    }
}

async fn edit_form(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let uid = user_or_return!(ctx);
    let (a, _) = ok_or_page!(
        ctx,
        flows::access(&state, id, uid)
            .await
            .and_then(Access::manager)
    );
    let v = GroupInput::from_group(&a.group);
    render(
        StatusCode::OK,
        &FormPage {
            ctx: &ctx,
            group_id: Some(id),
            access: Some(a),
            v,
            errors: FormErrors::default(),
            categories: Category::ALL,
        },
    )
}

async fn edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    Form(f): Form<GroupForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    let (input, bad_number) = f.input();
    match flows::update(&state, id, uid, &input).await {
        Ok(_) => redirect(&ctx, &format!("/groups/{id}")),
        Err(e) if e.errors.is_empty() || e.status.is_server_error() => page_error(&ctx, e),
        Err(e) => {
            let errors = form_errors(&ctx, &e, bad_number);
            let access = flows::access(&state, id, uid).await.ok();
            render(
                e.status,
                &FormPage {
                    ctx: &ctx,
                    group_id: Some(id),
                    access,
                    v: input,
                    errors,
                    categories: Category::ALL,
                },
            )
        }
    }
}

// --- home -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "groups/home.html")]
struct HomePage<'a> {
    ctx: &'a PageCtx,
    a: Access,
    role: Option<Role>,
    d_day: Option<DDayDto>,
    disband_at: Option<String>,
    preview: std::sync::Arc<Vec<Member>>,
    notice: Option<String>,
    /// The group's next meetups (members only).
    meetups: std::sync::Arc<Vec<crate::api::meetups::MeetupDto>>,
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn home(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let uid = user_or_return!(ctx);
    let a = ok_or_page!(ctx, flows::access(&state, id, uid).await);
    let role = a.role();
    if role.is_none() && !a.is_public() && !a.is_pending() {
        return super::error_page(&ctx, StatusCode::NOT_FOUND);
    }
    let preview = if role.is_some() {
        match state.cache.preview(id) {
            Some(p) => p,
            None => {
                let ticket = state.cache.ticket();
                let p = ok_or_page!(ctx, store::members(&state.db, id, "active", None, 8).await);
                let p = std::sync::Arc::new(p);
                state.cache.put_preview(ticket, id, p.clone());
                p
            }
        }
    } else {
        Default::default()
    };
    let meetups = if role.is_some() {
        ok_or_page!(ctx, super::meetups::group_next(&state, id, uid, 5).await)
    } else {
        Default::default()
    };
    let tz = ctx
        .user
        .as_ref()
        .map_or("Asia/Seoul", |u| u.time_zone.as_str())
        .to_owned();
    let notice = ctx.notice(q.notice, &["join.joined", "join.requested", "join.already"]);
    render(
        StatusCode::OK,
        &HomePage {
            ctx: &ctx,
            d_day: d_day_dto(&a.group),
            disband_at: a.group.disband_at.map(|t| format_local(t, &tz)),
            role,
            a,
            preview,
            notice,
            meetups,
        },
    )
}

// --- members --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "groups/members.html")]
struct MembersPage<'a> {
    ctx: &'a PageCtx,
    a: Access,
    role: Role,
    members: Vec<Member>,
    pending: Vec<Member>,
    next: Option<String>,
    error: Option<String>,
}

async fn members(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<CursorQuery>,
) -> Response {
    let uid = user_or_return!(ctx);
    members_page(&state, &ctx, id, uid, q.cursor.as_deref(), None).await
}

async fn members_page(
    state: &AppState,
    ctx: &PageCtx,
    id: Uuid,
    uid: Uuid,
    cursor: Option<&str>,
    error: Option<String>,
) -> Response {
    let (a, role) = ok_or_page!(
        ctx,
        flows::access(state, id, uid).await.and_then(Access::member)
    );
    let after = ok_or_page!(ctx, flows::decode_cursor(cursor));
    const N: i64 = 100;
    let rows = ok_or_page!(
        ctx,
        store::members(&state.db, id, "active", after, N + 1).await
    );
    let (members, next) = crate::flows::split_page(rows, N, |m| Cursor {
        at: m.joined_at,
        id: m.user_id,
    });
    let pending = if role.can_manage() {
        ok_or_page!(
            ctx,
            store::members(&state.db, id, "pending", None, 100).await
        )
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    render(
        status,
        &MembersPage {
            ctx,
            a,
            role,
            members,
            pending,
            next,
            error,
        },
    )
}

/// Member actions re-render the members page (or report the refusal on it).
async fn member_action(
    state: &AppState,
    ctx: &PageCtx,
    id: Uuid,
    uid: Uuid,
    r: Result<(), crate::error::ApiError>,
) -> Response {
    match r {
        Ok(()) => redirect(ctx, &format!("/groups/{id}/members")),
        Err(e) if e.status == StatusCode::NOT_FOUND || e.status.is_server_error() => {
            page_error(ctx, e)
        }
        Err(e) => {
            let msg = crate::i18n::error_message(ctx.lang(), e.code);
            members_page(state, ctx, id, uid, None, Some(msg)).await
        }
    }
}

async fn approve(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, target)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    let r = flows::approve(&state, id, uid, target).await;
    member_action(&state, &ctx, id, uid, r).await
}

async fn remove(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, target)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    let r = flows::remove(&state, id, uid, target).await;
    member_action(&state, &ctx, id, uid, r).await
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

async fn set_role(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, target)): Path<(Uuid, Uuid)>,
    Form(f): Form<RoleForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    let r = flows::set_role(&state, id, uid, target, &f.role).await;
    member_action(&state, &ctx, id, uid, r).await
}

async fn transfer(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, target)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    let r = flows::transfer(&state, id, uid, target).await;
    member_action(&state, &ctx, id, uid, r).await
}

// --- invite ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "groups/invite.html")]
struct InvitePage<'a> {
    ctx: &'a PageCtx,
    a: Access,
    code: String,
    link: String,
}

async fn invite(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let uid = user_or_return!(ctx);
    let (a, _) = ok_or_page!(
        ctx,
        flows::access(&state, id, uid)
            .await
            .and_then(Access::manager)
    );
    let code = a.group.invite_code.clone();
    let link = state.config.url(&format!("/join/{code}"));
    render(
        StatusCode::OK,
        &InvitePage {
            ctx: &ctx,
            a,
            code,
            link,
        },
    )
}

async fn rotate(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let uid = user_or_return!(ctx);
    ok_or_page!(ctx, flows::rotate_invite(&state, id, uid).await);
    redirect(&ctx, &format!("/groups/{id}/invite"))
}

// --- join -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "groups/join.html")]
struct JoinPage<'a> {
    ctx: &'a PageCtx,
    code: String,
    group: Option<store::Group>,
    d_day: Option<DDayDto>,
    already: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
struct CodeQuery {
    #[serde(default)]
    code: String,
}

/// The "join with a code" box on the welcome page submits here.
async fn join_code_redirect(ctx: PageCtx, Query(q): Query<CodeQuery>) -> Response {
    let code: String = q
        .code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    redirect(&ctx, &format!("/join/{}", code.to_ascii_uppercase()))
}

async fn join_preview(
    State(state): State<AppState>,
    ctx: PageCtx,
    crate::auth::ClientIp(ip): crate::auth::ClientIp,
    Path(code): Path<String>,
) -> Response {
    if let Err(e) = crate::auth::rate_limit(
        &state,
        &format!("invite:{ip}"),
        state.config.limits.invite_per_ip,
    )
    .await
    {
        return page_error(&ctx, e);
    }
    let code = code.trim().to_ascii_uppercase();
    let group = ok_or_page!(ctx, store::group_by_invite(&state.db, &code).await)
        .filter(|g| g.disband_at.is_none());
    let already = match (&group, &ctx.user) {
        (Some(g), Some(u)) => ok_or_page!(ctx, store::group_for(&state.db, g.id, u.id).await)
            .and_then(|(_, m)| m)
            .is_some(),
        _ => false,
    };
    let status = if group.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let d_day = group.as_ref().and_then(d_day_dto);
    render(
        status,
        &JoinPage {
            ctx: &ctx,
            code,
            group,
            d_day,
            already,
            error: None,
        },
    )
}

#[derive(Deserialize)]
struct JoinForm {
    #[serde(default)]
    message: String,
}

async fn join(
    State(state): State<AppState>,
    ctx: PageCtx,
    crate::auth::ClientIp(ip): crate::auth::ClientIp,
    Path(code): Path<String>,
    Form(f): Form<JoinForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    if let Err(e) = crate::auth::rate_limit(
        &state,
        &format!("invite:{ip}"),
        state.config.limits.invite_per_ip,
    )
    .await
    {
        return page_error(&ctx, e);
    }
    match flows::join_by_code(&state, &code, uid, &f.message).await {
        Ok((g, o)) => {
            let notice = match o {
                store::JoinOutcome::Requested | store::JoinOutcome::AlreadyRequested => {
                    "join.requested"
                }
                store::JoinOutcome::AlreadyMember => "join.already",
                _ => "join.joined",
            };
            redirect(&ctx, &format!("/groups/{}?notice={notice}", g.id))
        }
        Err(e) if e.status.is_server_error() => page_error(&ctx, e),
        Err(e) => {
            let code = code.trim().to_ascii_uppercase();
            let group = ok_or_page!(ctx, store::group_by_invite(&state.db, &code).await);
            let d_day = group.as_ref().and_then(d_day_dto);
            let error = Some(crate::i18n::error_message(ctx.lang(), e.code));
            render(
                e.status,
                &JoinPage {
                    ctx: &ctx,
                    code,
                    group,
                    d_day,
                    already: false,
                    error,
                },
            )
        }
    }
}

async fn join_public(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    Form(f): Form<JoinForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    let o = ok_or_page!(ctx, flows::join_public(&state, id, uid, &f.message).await);
    let notice = if matches!(
        o,
        store::JoinOutcome::Requested | store::JoinOutcome::AlreadyRequested
    ) {
        "join.requested"
    } else {
        "join.joined"
    };
    redirect(&ctx, &format!("/groups/{id}?notice={notice}"))
}

async fn leave(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let uid = user_or_return!(ctx);
    ok_or_page!(ctx, flows::leave(&state, id, uid).await);
    redirect(&ctx, "/groups")
}

async fn disband(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let uid = user_or_return!(ctx);
    ok_or_page!(ctx, flows::disband(&state, id, uid).await);
    redirect(&ctx, &format!("/groups/{id}"))
}

async fn cancel_disband(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
) -> Response {
    let uid = user_or_return!(ctx);
    ok_or_page!(ctx, flows::cancel_disband(&state, id, uid).await);
    redirect(&ctx, &format!("/groups/{id}"))
}
