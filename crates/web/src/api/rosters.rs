//! `/api/v1/groups/{id}/roster-setup*`, `/api/v1/groups/{id}/rosters*` and the public
//! `/api/v1/shared/rosters/{token}*`. Every group-scoped handler resolves the caller's membership
//! through `flows::rosters` (members read, managers change) before it decides anything.

use super::{ApiJson, ApiPath, ApiQuery, created};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::flows::rosters::{self as flows, Loaded, Point};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use moim_core::rosters::{
    self as core, Condition, Holiday, Leave, Request, Rule, Setup, ShiftTypeDef,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_setup))
        .routes(routes!(add_shift_type))
        .routes(routes!(update_shift_type, delete_shift_type))
        .routes(routes!(add_condition))
        .routes(routes!(update_condition, delete_condition))
        .routes(routes!(set_leave))
        .routes(routes!(add_request))
        .routes(routes!(delete_request))
        .routes(routes!(set_holidays))
        .routes(routes!(set_options))
        .routes(routes!(import_members))
        .routes(routes!(delete_person))
        .routes(routes!(list_rosters, create_roster))
        .routes(routes!(get_roster, rename_roster, delete_roster))
        .routes(routes!(roster_events))
        .routes(routes!(live_roster))
        .routes(routes!(get_feed))
        .routes(routes!(rotate_feed))
        .routes(routes!(feed_calendar))
        .routes(routes!(cancel_generation))
        .routes(routes!(regenerate))
        .routes(routes!(edit_cell))
        .routes(routes!(undo))
        .routes(routes!(publish))
        .routes(routes!(share, unshare))
        .routes(routes!(export_csv))
        .routes(routes!(export_xlsx))
        .routes(routes!(export_text))
        .routes(routes!(calendar))
        .routes(routes!(list_swaps, request_swap))
        .routes(routes!(accept_swap))
        .routes(routes!(approve_swap))
        .routes(routes!(decline_swap))
        .routes(routes!(cancel_swap))
        .routes(routes!(shared_roster))
        .routes(routes!(shared_calendar))
}

/// The caller's language for sentences built here (explanations, rule checks).
pub fn lang_of(locale: &str) -> core::Lang {
    if locale == "en" {
        core::Lang::En
    } else {
        core::Lang::Ko
    }
}

// ---------- setup ----------

#[derive(Serialize, ToSchema)]
pub struct ShiftTypeDto {
    pub id: Uuid,
    pub name: String,
    /// `HH:MM`
    pub start: String,
    /// `HH:MM` (may be the next day)
    pub end: String,
    pub colour: String,
    pub headcount: u32,
    /// Monday first, 7 entries, when the headcount differs by weekday.
    pub weekday_headcount: Option<Vec<u32>>,
    pub holiday_headcount: Option<u32>,
    /// User ids who may work it; empty = everyone.
    pub allowed: Vec<Uuid>,
}

fn shift_dto(s: &ShiftTypeDef) -> ShiftTypeDto {
    ShiftTypeDto {
        id: s.id,
        name: s.name.clone(),
        start: core::clock(s.start_minute),
        end: core::clock(s.start_minute + s.length_minutes),
        colour: s.colour.clone(),
        headcount: s.headcount,
        weekday_headcount: s.weekday_headcount.clone(),
        holiday_headcount: s.holiday_headcount,
        allowed: s.allowed.clone(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ConditionDto {
    pub id: Uuid,
    pub name: String,
    pub hard: bool,
    pub weight: i64,
    /// User ids; empty = everyone.
    pub members: Vec<Uuid>,
    /// The rule: `{"kind": "shift_count" | "hours" | "max_consecutive_work" | ..., ...}`.
    #[schema(value_type = Object)]
    pub rule: Rule,
    /// What it means, in Korean.
    pub sentence_ko: String,
    /// What it means, in English.
    pub sentence_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct LeaveDto {
    pub user_id: Uuid,
    pub date: String,
    /// `leave` or `unavailable`
    pub kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct RequestDto {
    pub id: Uuid,
    pub user_id: Uuid,
    pub date: String,
    pub shift_type_id: Option<Uuid>,
    /// true = wants to work, false = wants the day (or that shift) off
    pub want: bool,
    /// Cost of leaving it unmet (default 10).
    pub weight: i64,
}

#[derive(Serialize, ToSchema)]
pub struct HolidayDto {
    pub date: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct StaffDto {
    pub user_id: Uuid,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct PersonDto {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub nickname: Option<String>,
    pub position: String,
    /// The group member this row stands for; null for a roster-only person (rostered under `id`).
    pub user_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct SetupDto {
    /// People imported from CSV.
    pub people: Vec<PersonDto>,
    pub shift_types: Vec<ShiftTypeDto>,
    pub conditions: Vec<ConditionDto>,
    pub leave: Vec<LeaveDto>,
    pub requests: Vec<RequestDto>,
    pub holidays: Vec<HolidayDto>,
    pub swap_needs_approval: bool,
    /// Who will be rostered: active members, then roster-only people.
    pub members: Vec<StaffDto>,
    /// Counting rules use Monday-first weeks; a weekend is Saturday + Sunday.
    pub week_starts_on: String,
}

pub fn setup_dto(setup: &Setup, staff: &[core::Staff]) -> SetupDto {
    SetupDto {
        people: setup
            .people
            .iter()
            .map(|p| PersonDto {
                id: p.id,
                name: p.name.clone(),
                email: p.email.clone(),
                nickname: p.nickname.clone(),
                position: p.position.clone(),
                user_id: p.user,
            })
            .collect(),
        shift_types: setup.shift_types.iter().map(shift_dto).collect(),
        conditions: setup
            .conditions
            .iter()
            .map(|c| ConditionDto {
                id: c.id,
                name: c.name.clone(),
                hard: c.hard,
                weight: c.weight,
                members: c.members.clone(),
                rule: c.rule.clone(),
                sentence_ko: core::sentence(c, setup, core::Lang::Ko),
                sentence_en: core::sentence(c, setup, core::Lang::En),
            })
            .collect(),
        leave: setup
            .leave
            .iter()
            .map(|l| LeaveDto {
                user_id: l.user,
                date: l.date.to_string(),
                kind: l.kind.clone(),
            })
            .collect(),
        requests: setup
            .requests
            .iter()
            .map(|r| RequestDto {
                id: r.id,
                user_id: r.user,
                date: r.date.to_string(),
                shift_type_id: r.shift_type,
                want: r.want,
                weight: r.weight.unwrap_or(core::REQUEST_WEIGHT),
            })
            .collect(),
        holidays: setup
            .holidays()
            .into_iter()
            .map(|h| HolidayDto {
                date: h.date.to_string(),
                name: h.name,
            })
            .collect(),
        swap_needs_approval: setup.swap_needs_approval,
        members: staff
            .iter()
            .map(|s| StaffDto {
                user_id: s.user,
                name: s.name.clone(),
            })
            .collect(),
        week_starts_on: "monday".into(),
    }
}

async fn setup_reply(state: &AppState, group: Uuid, setup: &Setup) -> ApiResult<Json<SetupDto>> {
    let staff = flows::staff_of(state, group).await?;
    Ok(Json(setup_dto(setup, &staff)))
}

/// The group's roster setup (any member).
#[utoipa::path(get, path = "/groups/{id}/roster-setup", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = SetupDto), (status = 404, body = Problem)))]
async fn get_setup(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<SetupDto>> {
    let (_, setup) = flows::setup_for_member(&state, id, user.id).await?;
    setup_reply(&state, id, &setup).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftTypeBody {
    pub name: String,
    /// `HH:MM`
    pub start: String,
    /// `HH:MM`; earlier than `start` means the next morning.
    pub end: String,
    #[serde(default = "default_colour")]
    pub colour: String,
    pub headcount: u32,
    #[serde(default)]
    pub weekday_headcount: Option<Vec<u32>>,
    #[serde(default)]
    pub holiday_headcount: Option<u32>,
    #[serde(default)]
    pub allowed: Vec<Uuid>,
}

fn default_colour() -> String {
    "#5b7cfa".into()
}

impl ShiftTypeBody {
    fn parse(self, id: Uuid) -> Result<ShiftTypeDef, ApiError> {
        let mut v = crate::flows::Validator::default();
        let start = v.check(core::parse_clock("start", &self.start));
        let end = v.check(core::parse_clock("end", &self.end));
        v.finish()?;
        let (start, end) = (crate::flows::checked(start)?, crate::flows::checked(end)?);
        let length = if end > start {
            end - start
        } else {
            end + 24 * 60 - start
        };
        let s = ShiftTypeDef {
            id,
            name: self.name.trim().to_owned(),
            start_minute: start,
            length_minutes: length,
            colour: self.colour.to_lowercase(),
            headcount: self.headcount,
            weekday_headcount: self.weekday_headcount,
            holiday_headcount: self.holiday_headcount,
            allowed: self.allowed,
        };
        Setup::check_shift_type(&s)?;
        Ok(s)
    }
}

fn check_members(staff: &[core::Staff], ids: &[Uuid], field: &'static str) -> Result<(), ApiError> {
    if ids.iter().all(|u| staff.iter().any(|s| s.user == *u)) {
        Ok(())
    } else {
        Err(ApiError::field(field, "not_a_member"))
    }
}

/// Add a shift type (managers).
#[utoipa::path(post, path = "/groups/{id}/roster-setup/shift-types", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ShiftTypeBody,
    responses((status = 201, body = SetupDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn add_shift_type(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<ShiftTypeBody>,
) -> ApiResult<Response> {
    let staff = flows::staff_of(&state, id).await?;
    let s = b.parse(Uuid::now_v7())?;
    let (setup, _) = flows::edit_setup(&state, id, user.id, |setup| {
        check_members(&staff, &s.allowed, "allowed")?;
        if setup.shift_types.len() >= core::MAX_SHIFT_TYPES {
            return Err(ApiError::field("name", "too_many"));
        }
        setup.shift_types.push(s.clone());
        Ok(())
    })
    .await?;
    Ok(created(setup_dto(&setup, &staff)))
}

/// Replace a shift type (managers).
#[utoipa::path(put, path = "/groups/{id}/roster-setup/shift-types/{sid}", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("sid" = Uuid, Path)), request_body = ShiftTypeBody,
    responses((status = 200, body = SetupDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_shift_type(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, sid)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<ShiftTypeBody>,
) -> ApiResult<Json<SetupDto>> {
    let staff = flows::staff_of(&state, id).await?;
    let s = b.parse(sid)?;
    let (setup, _) = flows::edit_setup(&state, id, user.id, |setup| {
        check_members(&staff, &s.allowed, "allowed")?;
        let slot = setup
            .shift_types
            .iter_mut()
            .find(|x| x.id == sid)
            .ok_or_else(|| ApiError::not_found("shift_type_not_found"))?;
        *slot = s.clone();
        Ok(())
    })
    .await?;
    setup_reply(&state, id, &setup).await
}

/// Delete a shift type (managers); conditions and requests naming it go with it.
#[utoipa::path(delete, path = "/groups/{id}/roster-setup/shift-types/{sid}", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("sid" = Uuid, Path)),
    responses((status = 200, body = SetupDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_shift_type(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, sid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<SetupDto>> {
    let (setup, _) = flows::edit_setup(&state, id, user.id, |setup| {
        if !setup.remove_shift_type(sid) {
            return Err(ApiError::not_found("shift_type_not_found"));
        }
        Ok(())
    })
    .await?;
    setup_reply(&state, id, &setup).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionBody {
    #[serde(default)]
    pub name: String,
    pub hard: bool,
    /// 1–1000, for soft conditions.
    #[serde(default = "one")]
    pub weight: i64,
    /// Empty = everyone.
    #[serde(default)]
    pub members: Vec<Uuid>,
    /// `{"kind": "shift_count", "shift_types": [..], "period": "week"|"month"|"roster", "min": n?, "max": n?}`,
    /// `{"kind": "hours", "period", "min"?, "max"?}`, `{"kind": "max_consecutive_work", "max"}`,
    /// `{"kind": "min_consecutive_work", "min"}`, `{"kind": "min_consecutive_days_off", "min"}`,
    /// `{"kind": "forbidden_succession", "from", "to"}`, `{"kind": "min_rest", "hours"}`,
    /// `{"kind": "max_weekends", "max"}`, `{"kind": "fairness", "measure": "shifts"|"hours"|"weekends", "shift_types"?}`.
    #[schema(value_type = Object)]
    pub rule: Rule,
}

fn one() -> i64 {
    1
}

/// Add a condition (managers).
#[utoipa::path(post, path = "/groups/{id}/roster-setup/conditions", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ConditionBody,
    responses((status = 201, body = SetupDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn add_condition(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<ConditionBody>,
) -> ApiResult<Response> {
    let staff = flows::staff_of(&state, id).await?;
    let c = Condition {
        id: Uuid::now_v7(),
        name: b.name.trim().to_owned(),
        hard: b.hard,
        weight: b.weight,
        members: b.members,
        rule: b.rule,
    };
    let (setup, _) = flows::edit_setup(&state, id, user.id, |setup| {
        check_members(&staff, &c.members, "members")?;
        setup.check_condition(&c)?;
        if setup.conditions.len() >= core::MAX_CONDITIONS {
            return Err(ApiError::field("rule", "too_many"));
        }
        setup.conditions.push(c.clone());
        Ok(())
    })
    .await?;
    Ok(created(setup_dto(&setup, &staff)))
}

/// Replace a condition (managers).
#[utoipa::path(put, path = "/groups/{id}/roster-setup/conditions/{cid}", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("cid" = Uuid, Path)), request_body = ConditionBody,
    responses((status = 200, body = SetupDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_condition(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, cid)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<ConditionBody>,
) -> ApiResult<Json<SetupDto>> {
    let staff = flows::staff_of(&state, id).await?;
    let c = Condition {
        id: cid,
        name: b.name.trim().to_owned(),
        hard: b.hard,
        weight: b.weight,
        members: b.members,
        rule: b.rule,
    };
    let (setup, _) = flows::edit_setup(&state, id, user.id, |setup| {
        check_members(&staff, &c.members, "members")?;
        setup.check_condition(&c)?;
        let slot = setup
            .conditions
            .iter_mut()
            .find(|x| x.id == cid)
            .ok_or_else(|| ApiError::not_found("condition_not_found"))?;
        *slot = c.clone();
        Ok(())
    })
    .await?;
    setup_reply(&state, id, &setup).await
}

/// Delete a condition (managers).
#[utoipa::path(delete, path = "/groups/{id}/roster-setup/conditions/{cid}", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("cid" = Uuid, Path)),
    responses((status = 200, body = SetupDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_condition(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, cid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<SetupDto>> {
    let (setup, _) = flows::edit_setup(&state, id, user.id, |setup| {
        if !setup.remove_condition(cid) {
            return Err(ApiError::not_found("condition_not_found"));
        }
        Ok(())
    })
    .await?;
    setup_reply(&state, id, &setup).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveBody {
    /// Whose days; members may set only their own, managers anyone's.
    pub user_id: Uuid,
    /// Every leave / unavailable day of this member (`YYYY-MM-DD`), replacing the previous list.
    pub dates: Vec<String>,
    /// `leave` (default) or `unavailable`
    #[serde(default)]
    pub kind: Option<String>,
}

/// Set a member's leave / unavailable days (the member themself, or a manager).
#[utoipa::path(put, path = "/groups/{id}/roster-setup/leave", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = LeaveBody,
    responses((status = 200, body = SetupDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn set_leave(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<LeaveBody>,
) -> ApiResult<Json<SetupDto>> {
    let staff = flows::staff_of(&state, id).await?;
    let kind = b.kind.unwrap_or_else(|| "leave".into());
    if kind != "leave" && kind != "unavailable" {
        return Err(ApiError::field("kind", "invalid_value"));
    }
    let mut dates = Vec::new();
    for d in &b.dates {
        dates.push(
            d.trim()
                .parse::<jiff::civil::Date>()
                .map_err(|_| ApiError::field("dates", "invalid_date"))?,
        );
    }
    if dates.len() > 366 {
        return Err(ApiError::field("dates", "too_many"));
    }
    let (setup, _) = flows::edit_setup_as(&state, id, user.id, b.user_id == user.id, |setup| {
        check_members(&staff, &[b.user_id], "user_id")?;
        setup.leave.retain(|l| l.user != b.user_id);
        for d in &dates {
            setup.leave.push(Leave {
                user: b.user_id,
                date: *d,
                kind: kind.clone(),
            });
        }
        Ok(())
    })
    .await?;
    setup_reply(&state, id, &setup).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// Whose wish; members may only file their own, managers anyone's.
    pub user_id: Uuid,
    pub date: String,
    /// A shift type, or null for "any shift".
    #[serde(default)]
    pub shift_type_id: Option<Uuid>,
    pub want: bool,
    /// Cost of leaving it unmet, 1–1000 (default 10).
    #[serde(default)]
    pub weight: Option<i64>,
}

/// File a request: want / don't want a shift on a day.
#[utoipa::path(post, path = "/groups/{id}/roster-setup/requests", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = RequestBody,
    responses((status = 201, body = SetupDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn add_request(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<RequestBody>,
) -> ApiResult<Response> {
    let staff = flows::staff_of(&state, id).await?;
    let date = b
        .date
        .trim()
        .parse()
        .map_err(|_| ApiError::field("date", "invalid_date"))?;
    if b.weight.is_some_and(|w| !(1..=1000).contains(&w)) {
        return Err(ApiError::field("weight", "out_of_range"));
    }
    let (setup, _) = flows::edit_setup_as(&state, id, user.id, b.user_id == user.id, |setup| {
        check_members(&staff, &[b.user_id], "user_id")?;
        if let Some(s) = b.shift_type_id
            && setup.shift_index(s).is_none()
        {
            return Err(ApiError::field("shift_type_id", "unknown_shift_type"));
        }
        setup.requests.push(Request {
            id: Uuid::now_v7(),
            user: b.user_id,
            date,
            shift_type: b.shift_type_id,
            want: b.want,
            weight: b.weight,
        });
        Ok(())
    })
    .await?;
    Ok(created(setup_dto(&setup, &staff)))
}

/// Withdraw a request (its member, or a manager).
#[utoipa::path(delete, path = "/groups/{id}/roster-setup/requests/{rid}", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)),
    responses((status = 200, body = SetupDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_request(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<SetupDto>> {
    let (current, _) = flows::load_setup(&state, id).await?;
    let own = current
        .requests
        .iter()
        .any(|r| r.id == rid && r.user == user.id);
    let (setup, _) = flows::edit_setup_as(&state, id, user.id, own, |setup| {
        if !setup.remove_request(rid) {
            return Err(ApiError::not_found("request_not_found"));
        }
        Ok(())
    })
    .await?;
    setup_reply(&state, id, &setup).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayItem {
    pub date: String,
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidaysBody {
    /// The group's public-holiday table (replaces the default Korean one).
    pub holidays: Vec<HolidayItem>,
}

/// Replace the group's public-holiday table (managers).
#[utoipa::path(put, path = "/groups/{id}/roster-setup/holidays", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = HolidaysBody,
    responses((status = 200, body = SetupDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn set_holidays(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<HolidaysBody>,
) -> ApiResult<Json<SetupDto>> {
    let mut list = Vec::new();
    for h in b.holidays {
        let name = moim_core::accounts::parse_text("holidays.name", &h.name, 40, true)?;
        let date = h
            .date
            .trim()
            .parse()
            .map_err(|_| ApiError::field("holidays.date", "invalid_date"))?;
        list.push(Holiday { date, name });
    }
    if list.len() > 500 {
        return Err(ApiError::field("holidays", "too_many"));
    }
    let (setup, _) = flows::edit_setup(&state, id, user.id, |setup| {
        setup.holidays = Some(list.clone());
        Ok(())
    })
    .await?;
    setup_reply(&state, id, &setup).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionsBody {
    /// Whether a manager must approve an accepted swap.
    pub swap_needs_approval: bool,
}

/// Roster options of the group (managers).
#[utoipa::path(patch, path = "/groups/{id}/roster-setup", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = OptionsBody,
    responses((status = 200, body = SetupDto), (status = 403, body = Problem)))]
async fn set_options(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<OptionsBody>,
) -> ApiResult<Json<SetupDto>> {
    let (setup, _) = flows::edit_setup(&state, id, user.id, |setup| {
        setup.swap_needs_approval = b.swap_needs_approval;
        Ok(())
    })
    .await?;
    setup_reply(&state, id, &setup).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    /// CSV text: `name, e-mail or nickname, position` per line (comma- or tab-separated, an
    /// optional header line, `"..."` quoting).
    pub csv: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportedRow {
    pub line: usize,
    pub name: String,
    /// `linked` (matched a group member by e-mail or nickname), `added` (a roster-only person)
    /// or `updated` (already imported).
    pub action: String,
    /// The id the person is rostered under (a member's user id, or the person's id).
    pub roster_id: Uuid,
}

#[derive(Serialize, ToSchema)]
pub struct ImportDto {
    pub imported: Vec<ImportedRow>,
    pub setup: SetupDto,
}

/// Problem details for a failed import: one entry per bad line, `field` = `csv.line.{n}.{column}`.
pub fn import_problem(errors: &[core::import::RowError]) -> ApiError {
    let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
        .detail("some lines cannot be imported; nothing was stored");
    e.errors = errors
        .iter()
        .map(|r| crate::error::FieldIssue {
            field: format!("csv.line.{}.{}", r.line, r.column),
            code: r.code.to_owned(),
            message: if r.line == 0 {
                core::import::message(r.code, false).to_owned()
            } else {
                format!("Line {}: {}", r.line, core::import::message(r.code, false))
            },
        })
        .collect();
    e
}

/// Import members from CSV (managers). Rows whose e-mail or nickname belongs to a group member
/// give that member a roster name and position; other rows add roster-only people. All or
/// nothing: any bad line is a 422 listing every bad line.
#[utoipa::path(post, path = "/groups/{id}/roster-setup/people/import", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ImportBody,
    responses((status = 200, body = ImportDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn import_members(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<ImportBody>,
) -> ApiResult<Json<ImportDto>> {
    match flows::import_members(&state, id, user.id, &b.csv).await? {
        Ok((setup, out)) => {
            let staff = flows::staff_with(&state.db, id, &setup).await?;
            Ok(Json(ImportDto {
                imported: out
                    .into_iter()
                    .map(|o| ImportedRow {
                        line: o.line,
                        name: o.name,
                        action: o.action.to_owned(),
                        roster_id: o.roster_id,
                    })
                    .collect(),
                setup: setup_dto(&setup, &staff),
            }))
        }
        Err(rows) => Err(import_problem(&rows)),
    }
}

/// Remove an imported person (managers); a roster-only person's leave, requests and places in
/// conditions go with them.
#[utoipa::path(delete, path = "/groups/{id}/roster-setup/people/{pid}", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("pid" = Uuid, Path)),
    responses((status = 200, body = SetupDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_person(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, pid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<SetupDto>> {
    let setup = flows::remove_person(&state, id, user.id, pid).await?;
    setup_reply(&state, id, &setup).await
}

// ---------- rosters ----------

#[derive(Serialize, ToSchema)]
pub struct RosterSummaryDto {
    pub id: Uuid,
    pub name: String,
    pub starts_on: String,
    pub days: i64,
    /// generating, ready, failed
    pub status: String,
    pub published: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RosterList {
    pub items: Vec<RosterSummaryDto>,
}

/// The group's rosters, newest first (members).
#[utoipa::path(get, path = "/groups/{id}/rosters", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = RosterList), (status = 404, body = Problem)))]
async fn list_rosters(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<RosterList>> {
    crate::flows::groups::access(&state, id, user.id)
        .await?
        .member()?;
    let items = moim_store::rosters::list_rosters(&state.db, id)
        .await?
        .into_iter()
        .map(|r| RosterSummaryDto {
            id: r.id,
            name: r.name,
            starts_on: r.starts_on,
            days: r.days,
            status: r.status,
            published: r.published_at.is_some(),
        })
        .collect();
    Ok(Json(RosterList { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRosterBody {
    pub name: String,
    /// First day, `YYYY-MM-DD`.
    pub starts_on: String,
    /// Last day, `YYYY-MM-DD` (at most 62 days).
    pub ends_on: String,
    /// How long the solver may search, 1–30 s (default 3).
    #[serde(default)]
    pub time_limit_secs: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedRoster {
    pub id: Uuid,
    /// `generating`: follow `events_url` (SSE) or poll the roster.
    pub status: String,
    pub events_url: String,
}

/// Create a roster for a date range (managers). Generation runs in the background; the reply
/// comes at once.
#[utoipa::path(post, path = "/groups/{id}/rosters", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = NewRosterBody,
    responses((status = 202, body = CreatedRoster), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_roster(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<NewRosterBody>,
) -> ApiResult<Response> {
    let rid = flows::create(
        &state,
        id,
        user.id,
        &flows::NewRosterInput {
            name: b.name,
            starts_on: b.starts_on,
            ends_on: b.ends_on,
            time_limit_secs: b.time_limit_secs,
        },
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(CreatedRoster {
            id: rid,
            status: "generating".into(),
            events_url: format!("/api/v1/groups/{id}/rosters/{rid}/events"),
        }),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct DayDto {
    pub date: String,
    /// 0 = Monday … 6 = Sunday
    pub weekday: u8,
    pub weekend: bool,
    /// The public holiday's name, if any.
    pub holiday: Option<String>,
    pub today: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CellDto {
    pub user_id: Uuid,
    pub date: String,
    pub shift_type_id: Option<Uuid>,
    pub locked: bool,
    /// Differs from the published version.
    pub changed: bool,
    /// Hard rules this cell breaks, in words.
    pub problems: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RuleCostDto {
    pub label: String,
    pub hard: bool,
    pub cost: i64,
    pub hard_units: i64,
    /// The setting behind it.
    pub link: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberFiguresDto {
    pub user_id: Uuid,
    pub name: String,
    /// Soft cost attributable to this member (requests, personal rules).
    pub cost: i64,
    pub shifts: i64,
    pub nights: i64,
    pub weekend_days: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ViolationDto {
    pub user_id: Option<Uuid>,
    pub date: Option<String>,
    pub shift_type_id: Option<Uuid>,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct IssueDto {
    /// In the caller's language.
    pub message: String,
    pub message_ko: String,
    pub message_en: String,
    pub date: Option<String>,
    pub shift_type_id: Option<Uuid>,
    /// Settings to change (paths inside moim).
    pub links: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EvaluationDto {
    /// Soft cost (lower is better).
    pub cost: i64,
    pub hard_violations: i64,
    pub feasible: bool,
    pub by_rule: Vec<RuleCostDto>,
    pub by_member: Vec<MemberFiguresDto>,
    pub violations: Vec<ViolationDto>,
}

#[derive(Serialize, ToSchema)]
pub struct RosterDto {
    pub id: Uuid,
    pub group_id: Uuid,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    /// generating, ready, failed
    pub status: String,
    /// Send back with edits; a stale version is refused with 409.
    pub version: i64,
    pub published_at: Option<String>,
    /// `/r/{token}` when a public link exists (managers only).
    pub share_url: Option<String>,
    pub members: Vec<StaffDto>,
    pub shift_types: Vec<ShiftTypeDto>,
    pub days: Vec<DayDto>,
    pub cells: Vec<CellDto>,
    pub evaluation: Option<EvaluationDto>,
    /// Best cost over time while generating.
    pub progress: Vec<Point>,
    /// Why the rules cannot all hold, with links to the settings.
    pub issues: Vec<IssueDto>,
}

pub fn roster_dto(l: &Loaded, manager: bool, lang: core::Lang) -> RosterDto {
    let b = &l.built;
    let m = &b.model;
    let g = l.row.group_id;
    let today = moim_core::time::today_in(&l.time_zone);
    let eval = (l.row.status != "generating" || l.live).then(|| l.evaluation());
    let mut cells = Vec::new();
    for (e, s) in b.staff.iter().enumerate() {
        for d in 0..m.days() {
            let shift = l.roster.get(e, d);
            let problems: Vec<String> = eval
                .as_ref()
                .map(|ev| {
                    ev.violations
                        .iter()
                        .filter(|v| {
                            v.employee == Some(e)
                                && v.day.is_none_or(|vd| vd == d)
                                && (v.day.is_some() || shift.is_some())
                        })
                        .filter(|v| v.day == Some(d) || v.day.is_none() && d == first_worked(l, e))
                        .map(|v| core::words::violation_text(b, v, lang))
                        .collect()
                })
                .unwrap_or_default();
            if shift.is_none() && !l.locked(e, d) && !l.changed(e, d) && problems.is_empty() {
                continue;
            }
            cells.push(CellDto {
                user_id: s.user,
                date: b.date(d).to_string(),
                shift_type_id: shift.and_then(|i| b.shift_types.get(i)).map(|t| t.id),
                locked: l.locked(e, d),
                changed: l.changed(e, d),
                problems,
            });
        }
    }
    let evaluation = eval.map(|ev| {
        let figures = flows::fairness(l);
        EvaluationDto {
            cost: ev.cost,
            hard_violations: ev.hard_units,
            feasible: ev.feasible(),
            by_rule: ev
                .by_source
                .iter()
                .filter(|s| s.cost != 0 || s.hard_units != 0)
                .map(|s| RuleCostDto {
                    label: flows::source_label(l, s.source, lang),
                    hard: s.hard,
                    cost: s.cost,
                    hard_units: s.hard_units,
                    link: match s.source {
                        roster::eval::Source::Constraint(i) => flows::origin_link(g, b, i),
                        _ => Some(format!("/groups/{g}/rosters/setup#shift-types")),
                    },
                })
                .collect(),
            by_member: figures
                .into_iter()
                .map(|(e, shifts, nights, weekend_days)| MemberFiguresDto {
                    user_id: b.staff[e].user,
                    name: b.staff[e].name.clone(),
                    cost: ev.by_employee.get(e).copied().unwrap_or(0),
                    shifts,
                    nights,
                    weekend_days,
                })
                .collect(),
            violations: ev
                .violations
                .iter()
                .map(|v| ViolationDto {
                    user_id: v.employee.and_then(|e| b.staff.get(e)).map(|s| s.user),
                    date: v.day.map(|d| b.date(d).to_string()),
                    shift_type_id: v.shift.and_then(|s| b.shift_types.get(s)).map(|s| s.id),
                    message: v.message.clone(),
                })
                .collect(),
        }
    });
    let outcome: flows::Outcome = l
        .row
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default();
    RosterDto {
        id: l.row.id,
        group_id: g,
        name: l.row.name.clone(),
        starts_on: b.start.to_string(),
        ends_on: b.date(m.days().saturating_sub(1)).to_string(),
        status: l.row.status.clone(),
        version: l.row.version,
        published_at: l
            .row
            .published_at
            .map(|t| moim_core::time::timestamp(t).to_string()),
        share_url: l
            .row
            .share_token
            .as_ref()
            .filter(|_| manager)
            .map(|t| format!("/r/{t}")),
        members: b
            .staff
            .iter()
            .map(|s| StaffDto {
                user_id: s.user,
                name: s.name.clone(),
            })
            .collect(),
        shift_types: b.shift_types.iter().map(shift_dto).collect(),
        days: (0..m.days())
            .map(|d| {
                let date = b.date(d);
                DayDto {
                    date: date.to_string(),
                    weekday: m.horizon.weekday(d),
                    weekend: m.horizon.weekday(d) >= 5,
                    holiday: b
                        .holidays
                        .iter()
                        .find(|h| h.date == date)
                        .map(|h| h.name.clone()),
                    today: date == today,
                }
            })
            .collect(),
        cells,
        evaluation,
        progress: serde_json::from_str(&l.row.progress).unwrap_or_default(),
        issues: outcome
            .issues
            .iter()
            .map(|i| IssueDto {
                message: core::words::issue_text(b, i, lang),
                message_ko: core::words::issue_text(b, i, core::Lang::Ko),
                message_en: core::words::issue_text(b, i, core::Lang::En),
                date: i.day.map(|d| b.date(d).to_string()),
                shift_type_id: i.shift.and_then(|s| b.shift_types.get(s)).map(|s| s.id),
                links: flows::issue_links(g, b, i),
            })
            .collect(),
    }
}

/// Violations without a day (e.g. a weekly count) are shown on the member's first worked day.
fn first_worked(l: &Loaded, e: usize) -> usize {
    (0..l.built.model.days())
        .find(|&d| l.roster.get(e, d).is_some())
        .unwrap_or(0)
}

/// A roster with its evaluation (members).
#[utoipa::path(get, path = "/groups/{id}/rosters/{rid}", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)),
    responses((status = 200, body = RosterDto), (status = 404, body = Problem)))]
async fn get_roster(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<RosterDto>> {
    let (_, role, l) = flows::load_for_member(&state, id, rid, user.id).await?;
    Ok(Json(roster_dto(
        &l,
        role.can_manage(),
        lang_of(&user.locale),
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    /// The roster's new name (1–60 characters).
    pub name: String,
}

/// Rename a roster (managers); returns it.
#[utoipa::path(patch, path = "/groups/{id}/rosters/{rid}", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)), request_body = RenameBody,
    responses((status = 200, body = RosterDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn rename_roster(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<RenameBody>,
) -> ApiResult<Json<RosterDto>> {
    flows::rename(&state, id, rid, user.id, &b.name).await?;
    get_roster(State(state), ApiUser(user), ApiPath((id, rid))).await
}

/// Delete a roster (managers).
#[utoipa::path(delete, path = "/groups/{id}/rosters/{rid}", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_roster(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    flows::delete(&state, id, rid, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Live progress of a generation as Server-Sent Events: `progress` events carry
/// `{"status", "points": [{"secs", "cost", "hard"}]}`; a `roster` event
/// `{"status": "generating", "seq"}` says a better complete roster is ready (fetch it from
/// `.../live`); a final `done` event carries the status.
#[utoipa::path(get, path = "/groups/{id}/rosters/{rid}/events", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)),
    responses((status = 200, content_type = "text/event-stream", body = String), (status = 404, body = Problem)))]
async fn roster_events(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    flows::load_for_member(&state, id, rid, user.id).await?;
    Ok(progress_stream(state, id, rid).into_response())
}

/// The best complete roster of a running generation so far (the final roster once it is
/// done), with its evaluation; what a client fetches after a `roster` event. 409
/// `no_roster_yet` before the search has found one.
#[utoipa::path(get, path = "/groups/{id}/rosters/{rid}/live", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)),
    responses((status = 200, body = RosterDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn live_roster(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<RosterDto>> {
    let (role, l) = flows::live(&state, id, rid, user.id).await?;
    Ok(Json(roster_dto(
        &l,
        role.can_manage(),
        lang_of(&user.locale),
    )))
}

/// Where a progress stream is: the progress it sent last and the live roster it announced.
struct StreamAt {
    state: AppState,
    finished: bool,
    progress: String,
    seq: i64,
}

/// The SSE stream shared by the API and the page: polls the roster row (where the background
/// task writes) so it works whichever instance runs the solver.
pub fn progress_stream(
    state: AppState,
    group: Uuid,
    rid: Uuid,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    let at = StreamAt {
        state,
        finished: false,
        progress: String::new(),
        seq: 0,
    };
    let stream = futures_util::stream::unfold(at, move |mut at| async move {
        if at.finished {
            return None;
        }
        loop {
            let row = moim_store::rosters::progress_of(&at.state.db, group, rid)
                .await
                .ok()
                .flatten();
            let Some((status, progress, seq, has_live)) = row else {
                let ev = Event::default().event("done").data(r#"{"status":"gone"}"#);
                at.finished = true;
                return Some((Ok(ev), at));
            };
            if status != "generating" {
                let data = serde_json::json!({"status": status, "points": serde_json::from_str::<serde_json::Value>(&progress).unwrap_or_default()});
                let ev = Event::default().event("done").data(data.to_string());
                at.finished = true;
                return Some((Ok(ev), at));
            }
            if has_live && seq != at.seq {
                at.seq = seq;
                let data = serde_json::json!({"status": "generating", "seq": seq});
                let ev = Event::default().event("roster").data(data.to_string());
                return Some((Ok(ev), at));
            }
            if progress != at.progress {
                let data = format!(r#"{{"status":"generating","points":{progress}}}"#);
                at.progress = progress;
                let ev = Event::default().event("progress").data(data);
                return Some((Ok(ev), at));
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// Stop a running generation; the best roster so far is kept (managers).
#[utoipa::path(post, path = "/groups/{id}/rosters/{rid}/cancel", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)),
    responses((status = 202), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn cancel_generation(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    flows::cancel(&state, id, rid, user.id).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    /// The roster version you last saw.
    pub version: i64,
    #[serde(default)]
    pub time_limit_secs: Option<u64>,
}

/// Regenerate from the current setup, keeping locked cells and published assignments (managers).
#[utoipa::path(post, path = "/groups/{id}/rosters/{rid}/regenerate", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)), request_body = VersionBody,
    responses((status = 202), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn regenerate(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<VersionBody>,
) -> ApiResult<StatusCode> {
    flows::regenerate(&state, id, rid, user.id, b.version, b.time_limit_secs).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CellBody {
    pub user_id: Uuid,
    pub date: String,
    /// A shift type, or null for a day off.
    pub shift_type_id: Option<Uuid>,
    /// Lock (true) or unlock (false) the cell; omitted = unchanged.
    #[serde(default)]
    pub locked: Option<bool>,
    pub version: i64,
}

/// Change, add or remove one assignment (managers). The reply is the re-checked roster: every
/// cell lists the hard rules it breaks.
#[utoipa::path(put, path = "/groups/{id}/rosters/{rid}/cells", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)), request_body = CellBody,
    responses((status = 200, body = RosterDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn edit_cell(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<CellBody>,
) -> ApiResult<Json<RosterDto>> {
    let date = b
        .date
        .trim()
        .parse()
        .map_err(|_| ApiError::field("date", "invalid_date"))?;
    let l = flows::edit_cell(
        &state,
        id,
        rid,
        user.id,
        &flows::CellEdit {
            user: b.user_id,
            date,
            shift_type: b.shift_type_id,
            locked: b.locked,
            version: b.version,
        },
    )
    .await?;
    Ok(Json(roster_dto(&l, true, lang_of(&user.locale))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlainVersion {
    pub version: i64,
}

/// Undo the latest hand edit (managers).
#[utoipa::path(post, path = "/groups/{id}/rosters/{rid}/undo", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)), request_body = PlainVersion,
    responses((status = 200, body = RosterDto), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn undo(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<PlainVersion>,
) -> ApiResult<Json<RosterDto>> {
    let l = flows::undo(&state, id, rid, user.id, b.version).await?;
    Ok(Json(roster_dto(&l, true, lang_of(&user.locale))))
}

/// Publish (managers): members see it and later edits show as changes.
#[utoipa::path(post, path = "/groups/{id}/rosters/{rid}/publish", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)), request_body = PlainVersion,
    responses((status = 204), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn publish(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<PlainVersion>,
) -> ApiResult<StatusCode> {
    flows::publish(&state, id, rid, user.id, b.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ShareDto {
    /// The public read-only page.
    pub url: String,
    /// The whole roster as an iCalendar feed (add `?member=<user id>` for one person).
    pub calendar_url: String,
    pub token: String,
}

/// Create (or replace, revoking the old one) the public read-only link (managers).
#[utoipa::path(post, path = "/groups/{id}/rosters/{rid}/share", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)),
    responses((status = 200, body = ShareDto), (status = 403, body = Problem)))]
async fn share(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<ShareDto>> {
    let token = flows::share(&state, id, rid, user.id).await?;
    Ok(Json(ShareDto {
        url: format!("/r/{token}"),
        calendar_url: format!("/api/v1/shared/rosters/{token}/calendar.ics"),
        token,
    }))
}

/// Revoke the public link (managers).
#[utoipa::path(delete, path = "/groups/{id}/rosters/{rid}/share", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem)))]
async fn unshare(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    flows::unshare(&state, id, rid, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn attachment(content_type: &'static str, name: &str, body: Vec<u8>) -> Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// CSV export: one row per member, one column per day (members).
#[utoipa::path(get, path = "/groups/{id}/rosters/{rid}/export.csv", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem)))]
async fn export_csv(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let (_, _, l) = flows::load_for_member(&state, id, rid, user.id).await?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        "roster.csv",
        crate::flows::rosters::export::csv(&l).into_bytes(),
    ))
}

/// XLSX export: the same grid as the page, colours included (members).
#[utoipa::path(get, path = "/groups/{id}/rosters/{rid}/export.xlsx", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 404, body = Problem)))]
async fn export_xlsx(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let (_, _, l) = flows::load_for_member(&state, id, rid, user.id).await?;
    let bytes = tokio::task::spawn_blocking(move || crate::flows::rosters::export::xlsx(&l))
        .await
        .map_err(ApiError::internal)??;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "roster.xlsx",
        bytes,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TextDto {
    /// Formatted to paste into KakaoTalk: one line per day.
    pub text: String,
}

/// "Copy as text" for KakaoTalk (members).
#[utoipa::path(get, path = "/groups/{id}/rosters/{rid}/text", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)),
    responses((status = 200, body = TextDto), (status = 404, body = Problem)))]
async fn export_text(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<TextDto>> {
    let (_, _, l) = flows::load_for_member(&state, id, rid, user.id).await?;
    Ok(Json(TextDto {
        text: crate::flows::rosters::export::kakao_text(&l),
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct CalendarQuery {
    /// One member's shifts only (`me` for the caller).
    pub member: Option<String>,
    /// Time zone of the events (IANA), default the group's.
    pub tz: Option<String>,
}

/// iCalendar feed of a roster (members); `?member=me` for "my shifts".
#[utoipa::path(get, path = "/groups/{id}/rosters/{rid}/calendar.ics", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path), CalendarQuery),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem)))]
async fn calendar(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Response> {
    let (a, _, l) = flows::load_for_member(&state, id, rid, user.id).await?;
    let member = match q.member.as_deref() {
        Some("me") => Some(user.id),
        Some(s) => Some(
            s.parse()
                .map_err(|_| ApiError::field("member", "invalid_value"))?,
        ),
        None => None,
    };
    ics_reply(&l, member, &a.group.time_zone, q.tz)
}

fn ics_reply(
    l: &Loaded,
    member: Option<Uuid>,
    group_tz: &str,
    tz: Option<String>,
) -> ApiResult<Response> {
    let tz = moim_core::accounts::parse_time_zone(tz.as_deref().unwrap_or(group_tz))?;
    let body = crate::flows::rosters::export::ical(l, member, group_tz, &tz)?;
    ics_response(body)
}

fn ics_body(
    rosters: &[Loaded],
    name: &str,
    member: Option<Uuid>,
    group_tz: &str,
    tz: Option<String>,
) -> ApiResult<Response> {
    let tz = moim_core::accounts::parse_time_zone(tz.as_deref().unwrap_or(group_tz))?;
    let body = crate::flows::rosters::export::ical_many(rosters, name, member, group_tz, &tz)?;
    ics_response(body)
}

fn ics_response(body: String) -> ApiResult<Response> {
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response())
}

/// A shared roster, read-only, through its public link (no sign-in): the roster as last
/// published, never draft edits made since; 409 `not_published` before the first publish.
#[utoipa::path(get, path = "/shared/rosters/{token}", tag = "rosters", params(("token" = String, Path)),
    responses((status = 200, body = RosterDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn shared_roster(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> ApiResult<Json<RosterDto>> {
    let l = flows::shared(&state, &token)
        .await?
        .as_published()
        .ok_or_else(|| {
            ApiError::conflict("not_published").detail(
                "this roster has not been published yet; its share link shows it once it is",
            )
        })?;
    Ok(Json(roster_dto(&l, false, core::Lang::Ko)))
}

/// iCalendar feed through the public link (subscribe from Google / Apple Calendar): the
/// published roster; no events before the first publish, so a subscription fills in later.
#[utoipa::path(get, path = "/shared/rosters/{token}/calendar.ics", tag = "rosters", params(("token" = String, Path), CalendarQuery),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem)))]
async fn shared_calendar(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Response> {
    let l = flows::shared(&state, &token).await?;
    let member = match q.member.as_deref() {
        Some(s) => Some(
            s.parse()
                .map_err(|_| ApiError::field("member", "invalid_value"))?,
        ),
        None => None,
    };
    let group = moim_store::groups::get_group(&state.db, l.row.group_id)
        .await?
        .ok_or_else(|| ApiError::not_found("roster_not_found"))?;
    let name = l.row.name.clone();
    match l.as_published() {
        Some(l) => ics_reply(&l, member, &group.time_zone, q.tz),
        None => ics_body(&[], &name, member, &group.time_zone, q.tz),
    }
}

#[derive(Serialize, ToSchema)]
pub struct FeedDto {
    /// The personal feed token (secret: whoever has it sees your shifts).
    pub token: String,
    /// Subscribe to this from Google / Apple Calendar; no sign-in needed.
    pub calendar_url: String,
}

fn feed_dto(token: String) -> FeedDto {
    FeedDto {
        calendar_url: format!("/api/v1/feeds/rosters/{token}/calendar.ics"),
        token,
    }
}

/// Your personal calendar feed of this group's rosters (members): a URL with an unguessable
/// token that calendar apps can subscribe to without signing in. Made on first use.
#[utoipa::path(get, path = "/groups/{id}/roster-feed", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = FeedDto), (status = 404, body = Problem)))]
async fn get_feed(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<FeedDto>> {
    Ok(Json(feed_dto(
        flows::feed_token(&state, id, user.id).await?,
    )))
}

/// Replace your feed token: the old feed URL stops working at once (members).
#[utoipa::path(post, path = "/groups/{id}/roster-feed/rotate", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = FeedDto), (status = 404, body = Problem)))]
async fn rotate_feed(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<FeedDto>> {
    Ok(Json(feed_dto(
        flows::rotate_feed_token(&state, id, user.id).await?,
    )))
}

#[derive(Deserialize, IntoParams)]
pub struct FeedQuery {
    /// Time zone of the events (IANA), default the group's.
    pub tz: Option<String>,
}

/// A member's personal iCalendar feed (no sign-in; the token is the key): their shifts on
/// the group's published rosters, as published. 404 `feed_not_found` for a rotated token or
/// once the member has left the group.
#[utoipa::path(get, path = "/feeds/rosters/{token}/calendar.ics", tag = "rosters", params(("token" = String, Path), FeedQuery),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem)))]
async fn feed_calendar(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> ApiResult<Response> {
    let (rosters, member, group_name, group_tz) = flows::feed(&state, &token).await?;
    ics_body(&rosters, &group_name, Some(member), &group_tz, q.tz)
}

// ---------- swaps ----------

#[derive(Serialize, ToSchema)]
pub struct SwapDto {
    pub id: Uuid,
    pub requester: Uuid,
    pub date: String,
    pub target_user_id: Option<Uuid>,
    pub target_date: Option<String>,
    /// pending, accepted (awaiting a manager), applied, declined, cancelled
    pub status: String,
    pub accepted_by: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct SwapList {
    pub items: Vec<SwapDto>,
}

/// Swap requests of a roster (members).
#[utoipa::path(get, path = "/groups/{id}/rosters/{rid}/swaps", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)),
    responses((status = 200, body = SwapList), (status = 404, body = Problem)))]
async fn list_swaps(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<SwapList>> {
    let (_, _, l) = flows::load_for_member(&state, id, rid, user.id).await?;
    let items = moim_store::rosters::list_swaps(&state.db, rid)
        .await?
        .into_iter()
        .map(|s| SwapDto {
            id: s.id,
            requester: s.requester,
            date: l.built.date(s.day as usize).to_string(),
            target_user_id: s.target,
            target_date: s.target_day.map(|d| l.built.date(d as usize).to_string()),
            status: s.status,
            accepted_by: s.accepted_by,
        })
        .collect();
    Ok(Json(SwapList { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwapBody {
    /// The date of one of YOUR shifts.
    pub date: String,
    /// Ask this member; omit to offer the shift to anyone.
    #[serde(default)]
    pub target_user_id: Option<Uuid>,
    /// Their shift you take in exchange; omit for a hand-over.
    #[serde(default)]
    pub target_date: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SwapCreated {
    pub id: Uuid,
}

/// Offer one of your own shifts, or ask a member to swap (published rosters).
#[utoipa::path(post, path = "/groups/{id}/rosters/{rid}/swaps", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path)), request_body = SwapBody,
    responses((status = 201, body = SwapCreated), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn request_swap(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<SwapBody>,
) -> ApiResult<Response> {
    let date = b
        .date
        .trim()
        .parse()
        .map_err(|_| ApiError::field("date", "invalid_date"))?;
    let target_date = match b.target_date {
        Some(d) => Some(
            d.trim()
                .parse()
                .map_err(|_| ApiError::field("target_date", "invalid_date"))?,
        ),
        None => None,
    };
    let sid = flows::request_swap(
        &state,
        id,
        rid,
        user.id,
        &flows::SwapInput {
            date,
            target: b.target_user_id,
            target_date,
        },
    )
    .await?;
    Ok(created(SwapCreated { id: sid }))
}

#[derive(Serialize, ToSchema)]
pub struct SwapOutcome {
    /// accepted (awaiting a manager), applied or declined
    pub status: String,
}

/// Accept a swap addressed to you (or an open offer). Checked against every rule first.
#[utoipa::path(post, path = "/groups/{id}/rosters/{rid}/swaps/{sid}/accept", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path), ("sid" = Uuid, Path)),
    responses((status = 200, body = SwapOutcome), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn accept_swap(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid, sid)): ApiPath<(Uuid, Uuid, Uuid)>,
) -> ApiResult<Json<SwapOutcome>> {
    let status = flows::accept_swap(&state, id, rid, sid, user.id).await?;
    Ok(Json(SwapOutcome { status }))
}

/// Approve an accepted swap (managers); re-checked against the rules.
#[utoipa::path(post, path = "/groups/{id}/rosters/{rid}/swaps/{sid}/approve", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path), ("sid" = Uuid, Path)),
    responses((status = 200, body = SwapOutcome), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn approve_swap(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid, sid)): ApiPath<(Uuid, Uuid, Uuid)>,
) -> ApiResult<Json<SwapOutcome>> {
    let status = flows::decide_swap(&state, id, rid, sid, user.id, true).await?;
    Ok(Json(SwapOutcome { status }))
}

/// Decline a swap (managers).
#[utoipa::path(post, path = "/groups/{id}/rosters/{rid}/swaps/{sid}/decline", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path), ("sid" = Uuid, Path)),
    responses((status = 200, body = SwapOutcome), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn decline_swap(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid, sid)): ApiPath<(Uuid, Uuid, Uuid)>,
) -> ApiResult<Json<SwapOutcome>> {
    let status = flows::decide_swap(&state, id, rid, sid, user.id, false).await?;
    Ok(Json(SwapOutcome { status }))
}

/// Withdraw your own swap request.
#[utoipa::path(delete, path = "/groups/{id}/rosters/{rid}/swaps/{sid}", tag = "rosters", security(("bearer" = [])), params(("id" = Uuid, Path), ("rid" = Uuid, Path), ("sid" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn cancel_swap(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, rid, sid)): ApiPath<(Uuid, Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    flows::cancel_swap(&state, id, rid, sid, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
