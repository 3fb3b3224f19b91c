//! Group use cases. Every group-scoped action starts from [`access`]: the viewer's membership is
//! loaded first and every decision is taken from it, never from ids the client sends about who
//! is acting.

use super::{Validator, checked};
use crate::AppState;
use crate::error::ApiError;
use moim_core::FieldError;
use moim_core::accounts::{parse_text, parse_time_zone, parse_url};
use moim_core::groups::{self as rules, Category, JoinPolicy, Role, Visibility};
use moim_core::time::now_millis;
use moim_store::groups::{self as store, Group, GroupFields, JoinOutcome, Membership};
use uuid::Uuid;

/// Raw group input, shared by the JSON body and the HTML form.
#[derive(Debug, Default, Clone)]
pub struct GroupInput {
    pub name: String,
    pub category: String,
    pub description: String,
    pub pledge: String,
    pub image_url: String,
    pub visibility: String,
    pub join_policy: String,
    pub capacity: Option<i64>,
    pub rejoin_allowed: bool,
    pub starts_on: String,
    pub ends_on: String,
    pub time_zone: String,
}

impl GroupInput {
    pub fn from_group(g: &Group) -> Self {
        Self {
            name: g.name.clone(),
            category: g.category.clone(),
            description: g.description.clone(),
            pledge: g.pledge.clone(),
            image_url: g.image_url.clone().unwrap_or_default(),
            visibility: g.visibility.clone(),
            join_policy: g.join_policy.clone(),
            capacity: Some(g.capacity),
            rejoin_allowed: g.rejoin_allowed,
            starts_on: g.starts_on.clone().unwrap_or_default(),
            ends_on: g.ends_on.clone().unwrap_or_default(),
            time_zone: g.time_zone.clone(),
        }
    }

    /// Parses every field, collecting all errors.
    pub fn parse(&self) -> Result<GroupFields, ApiError> {
        let mut v = Validator::default();
        let name = v.check(rules::parse_name(&self.name));
        let category = v.check(Category::parse(&self.category));
        let description = v.check(parse_text(
            "description",
            &self.description,
            rules::DESCRIPTION_MAX,
            false,
        ));
        let pledge = v.check(parse_text("pledge", &self.pledge, rules::PLEDGE_MAX, false));
        let image_url = v.check(parse_url("image_url", &self.image_url));
        let visibility = v.check(Visibility::parse(&self.visibility));
        let join_policy = v.check(JoinPolicy::parse(&self.join_policy));
        let capacity = match self.capacity {
            Some(c) => v.check(rules::parse_capacity(c)),
            None => {
                v.push(FieldError::new("capacity", "required"));
                None
            }
        };
        let starts = v.check(rules::parse_date("starts_on", &self.starts_on));
        let ends = v.check(rules::parse_date("ends_on", &self.ends_on));
        if let (Some(s), Some(e)) = (starts, ends) {
            v.check(rules::check_period(s, e));
        }
        let tz = if self.time_zone.trim().is_empty() {
            Some(moim_core::accounts::DEFAULT_TIME_ZONE.to_owned())
        } else {
            v.check(parse_time_zone(&self.time_zone))
        };
        v.finish()?;
        Ok(GroupFields {
            name: checked(name)?,
            category: checked(category)?.as_str().to_owned(),
            description: checked(description)?,
            pledge: checked(pledge)?,
            image_url: checked(image_url)?,
            visibility: checked(visibility)?.as_str().to_owned(),
            join_policy: checked(join_policy)?.as_str().to_owned(),
            capacity: checked(capacity)? as i64,
            rejoin_allowed: self.rejoin_allowed,
            starts_on: checked(starts)?.map(|d| d.to_string()),
            ends_on: checked(ends)?.map(|d| d.to_string()),
            time_zone: checked(tz)?,
        })
    }
}

/// A group as seen by one viewer.
pub struct Access {
    pub group: Group,
    pub membership: Option<Membership>,
}

impl Access {
    /// The group's page path with a suffix (`/members`, `/invite`, ...).
    pub fn url(&self, suffix: &str) -> String {
        format!("/groups/{}{}", self.group.id, suffix)
    }
    /// The viewer's role when they are an active member.
    pub fn role(&self) -> Option<Role> {
        self.membership
            .as_ref()
            .filter(|m| m.is_active())
            .and_then(|m| Role::parse(&m.role).ok())
    }
    pub fn is_pending(&self) -> bool {
        self.membership
            .as_ref()
            .is_some_and(|m| m.status == "pending")
    }
    pub fn is_public(&self) -> bool {
        self.group.visibility == "public"
    }
    pub fn disbanding(&self) -> bool {
        self.group.disband_at.is_some()
    }
    /// An active member, or 404 for anyone else (a private group's existence is not revealed).
    pub fn member(self) -> Result<(Self, Role), ApiError> {
        match self.role() {
            Some(r) => Ok((self, r)),
            None if self.is_public() => Err(ApiError::forbidden("not_a_member")),
            None => Err(ApiError::not_found("group_not_found")),
        }
    }
    pub fn manager(self) -> Result<(Self, Role), ApiError> {
        let (a, r) = self.member()?;
        if r.can_manage() {
            Ok((a, r))
        } else {
            Err(ApiError::forbidden("manager_only"))
        }
    }
    pub fn owner(self) -> Result<Self, ApiError> {
        let (a, r) = self.member()?;
        if r.is_owner() {
            Ok(a)
        } else {
            Err(ApiError::forbidden("owner_only"))
        }
    }
    /// Refuses changes while the group is being disbanded.
    pub fn writable(self) -> Result<Self, ApiError> {
        if self.disbanding() {
            Err(ApiError::conflict("group_disbanding")
                .detail("the group is being disbanded; cancel that first"))
        } else {
            Ok(self)
        }
    }
}

/// Loads a group with the viewer's membership. A group whose grace period has run out is gone.
/// Served from the read cache when it holds the pair (every write clears it, see
/// [`crate::cache`]); the disband deadline is checked on every call either way.
pub async fn access(state: &AppState, group_id: Uuid, viewer: Uuid) -> Result<Access, ApiError> {
    let view = match state.cache.group(group_id, viewer) {
        Some(v) => Some(v),
        None => {
            let ticket = state.cache.ticket();
            let v = store::group_for(&state.db, group_id, viewer).await?;
            if let Some(v) = &v {
                state.cache.put_group(ticket, viewer, v.clone());
            }
            v
        }
    };
    match view {
        Some((g, _)) if g.disband_at.is_some_and(|t| t <= now_millis()) => {
            Err(ApiError::not_found("group_not_found"))
        }
        Some((group, membership)) => Ok(Access { group, membership }),
        None => Err(ApiError::not_found("group_not_found")),
    }
}

pub async fn create(state: &AppState, owner: Uuid, input: &GroupInput) -> Result<Group, ApiError> {
    let fields = input.parse()?;
    let g = store::create_group(&state.db, owner, &fields).await?;
    metrics::counter!("moim_groups_created_total").increment(1);
    Ok(g)
}

pub async fn update(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
    input: &GroupInput,
) -> Result<Group, ApiError> {
    let (a, _) = access(state, group_id, viewer)
        .await?
        .writable()?
        .manager()?;
    let fields = input.parse()?;
    if fields.capacity < a.group.member_count {
        return Err(ApiError::field("capacity", "below_member_count"));
    }
    store::update_group(&state.db, group_id, &fields)
        .await
        .map_err(|e| match e {
            moim_store::Error::Conflict(_) => ApiError::field("capacity", "below_member_count"),
            e => e.into(),
        })?;
    if fields.time_zone != a.group.time_zone {
        // Recurring reminders in the group's zone move with it. The change is saved either way:
        // should this fail, the scheduler recomputes them before their next occurrence.
        if let Err(e) = super::notify::group_zone_changed(state, group_id).await {
            tracing::warn!(group = %group_id, code = e.code, "recurring reminders not moved to the new zone yet");
        }
    }
    store::get_group(&state.db, group_id)
        .await?
        .ok_or_else(|| ApiError::not_found("group_not_found"))
}

/// What joining led to, for the UI and the API.
pub fn outcome_result(o: JoinOutcome) -> Result<JoinOutcome, ApiError> {
    match o {
        JoinOutcome::Joined
        | JoinOutcome::Requested
        | JoinOutcome::AlreadyMember
        | JoinOutcome::AlreadyRequested => Ok(o),
        JoinOutcome::Full => {
            Err(ApiError::conflict("group_full").detail("the group has reached its capacity"))
        }
        JoinOutcome::NotAllowed => Err(ApiError::forbidden("rejoin_not_allowed")
            .detail("this group does not let you join again")),
        JoinOutcome::Disbanding => Err(ApiError::conflict("group_disbanding")),
    }
}

/// Joins with an invite code: the code admits directly unless the group requires approval.
pub async fn join_by_code(
    state: &AppState,
    code: &str,
    user: Uuid,
    message: &str,
) -> Result<(Group, JoinOutcome), ApiError> {
    let code = code.trim().to_ascii_uppercase();
    let group = store::group_by_invite(&state.db, &code)
        .await?
        .ok_or_else(|| ApiError::not_found("invite_not_found"))?;
    let message = parse_text("message", message, 200, false)?;
    let needs_approval = group.join_policy == JoinPolicy::Approval.as_str();
    let o =
        outcome_result(store::join(&state.db, group.id, user, needs_approval, &message).await?)?;
    Ok((group, o))
}

/// Joins a public group from its page (no code): open groups admit, approval groups queue.
pub async fn join_public(
    state: &AppState,
    group_id: Uuid,
    user: Uuid,
    message: &str,
) -> Result<JoinOutcome, ApiError> {
    let a = access(state, group_id, user).await?;
    if !a.is_public() && a.role().is_none() {
        return Err(ApiError::not_found("group_not_found"));
    }
    let needs_approval = match JoinPolicy::parse(&a.group.join_policy) {
        Ok(JoinPolicy::Open) => false,
        Ok(JoinPolicy::Approval) => true,
        _ => {
            return Err(ApiError::forbidden("invite_required")
                .detail("this group is joined with an invite code"));
        }
    };
    let message = parse_text("message", message, 200, false)?;
    outcome_result(store::join(&state.db, group_id, user, needs_approval, &message).await?)
}

pub async fn approve(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
    target: Uuid,
) -> Result<(), ApiError> {
    access(state, group_id, viewer)
        .await?
        .writable()?
        .manager()?;
    outcome_result(store::approve(&state.db, group_id, target).await?)?;
    Ok(())
}

/// Removes a member or declines a pending request, within the viewer's role.
pub async fn remove(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
    target: Uuid,
) -> Result<(), ApiError> {
    let (_, role) = access(state, group_id, viewer).await?.manager()?;
    if target == viewer {
        return Err(ApiError::bad_request(
            "use_leave",
            "use leave to end your own membership",
        ));
    }
    let t = access(state, group_id, target).await?;
    let Some(m) = t.membership else {
        return Err(ApiError::not_found("member_not_found"));
    };
    let kind = if m.is_active() {
        let target_role = Role::parse(&m.role).map_err(|_| ApiError::internal("bad role in db"))?;
        if !role.can_remove(target_role) {
            return Err(ApiError::forbidden("cannot_remove_role"));
        }
        store::Departure::Removed
    } else {
        store::Departure::Left
    };
    store::depart(&state.db, group_id, target, kind).await?;
    Ok(())
}

pub async fn leave(state: &AppState, group_id: Uuid, viewer: Uuid) -> Result<(), ApiError> {
    let a = access(state, group_id, viewer).await?;
    if a.membership.is_none() {
        return Err(if a.is_public() {
            ApiError::forbidden("not_a_member")
        } else {
            ApiError::not_found("group_not_found")
        });
    }
    if a.role() == Some(Role::Owner) {
        return Err(ApiError::conflict("owner_cannot_leave")
            .detail("transfer ownership or disband the group first"));
    }
    store::depart(&state.db, group_id, viewer, store::Departure::Left).await?;
    Ok(())
}

pub async fn set_role(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
    target: Uuid,
    role: &str,
) -> Result<(), ApiError> {
    access(state, group_id, viewer).await?.writable()?.owner()?;
    let role = Role::parse(role)?;
    if role == Role::Owner {
        return Err(ApiError::field("role", "use_transfer"));
    }
    store::set_role(&state.db, group_id, target, role.as_str())
        .await
        .map_err(|e| match e {
            moim_store::Error::NotFound => ApiError::not_found("member_not_found"),
            e => e.into(),
        })
}

pub async fn transfer(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
    to: Uuid,
) -> Result<(), ApiError> {
    access(state, group_id, viewer).await?.writable()?.owner()?;
    if to == viewer {
        return Err(ApiError::field("user_id", "already_owner"));
    }
    store::transfer(&state.db, group_id, viewer, to)
        .await
        .map_err(|e| match e {
            moim_store::Error::NotFound => ApiError::not_found("member_not_found"),
            e => e.into(),
        })
}

pub async fn rotate_invite(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
) -> Result<String, ApiError> {
    access(state, group_id, viewer)
        .await?
        .writable()?
        .manager()?;
    Ok(store::rotate_invite(&state.db, group_id).await?)
}

/// Schedules deletion after the grace period; the owner can cancel until then.
pub async fn disband(state: &AppState, group_id: Uuid, viewer: Uuid) -> Result<i64, ApiError> {
    let a = access(state, group_id, viewer).await?.owner()?;
    if let Some(at) = a.group.disband_at {
        return Ok(at);
    }
    let at = now_millis() + rules::DISBAND_GRACE_MS;
    store::set_disband(&state.db, group_id, Some(at)).await?;
    Ok(at)
}

pub async fn cancel_disband(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
) -> Result<(), ApiError> {
    access(state, group_id, viewer).await?.owner()?;
    store::set_disband(&state.db, group_id, None).await?;
    Ok(())
}

pub use super::{decode_cursor, encode_cursor};
