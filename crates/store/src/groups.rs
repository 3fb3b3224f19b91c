//! Groups, memberships, join requests and departures.
//!
//! Capacity is enforced by the database: joining increments `member_count` with a conditional
//! `UPDATE ... WHERE member_count < capacity` inside the joining transaction, and a CHECK
//! constraint backs it; the membership primary key makes a double join impossible.

use crate::{Db, Error, Result, WritePool as _, dispatch, unique_violation};
use moim_core::time::{Millis, now_millis};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Group {
    pub id: Uuid,
    pub name: String,
    pub category: String,
    pub description: String,
    pub pledge: String,
    pub image_url: Option<String>,
    pub visibility: String,
    pub join_policy: String,
    pub capacity: i64,
    pub member_count: i64,
    pub rejoin_allowed: bool,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub time_zone: String,
    pub invite_code: String,
    pub owner_id: Uuid,
    pub disband_at: Option<i64>,
    pub created_at: i64,
}

macro_rules! group_columns {
    ($p:literal) => {
        concat!(
            $p,
            ".id, ",
            $p,
            ".name, ",
            $p,
            ".category, ",
            $p,
            ".description, ",
            $p,
            ".pledge, ",
            $p,
            ".image_url, ",
            $p,
            ".visibility, ",
            $p,
            ".join_policy, ",
            $p,
            ".capacity, ",
            $p,
            ".member_count, ",
            $p,
            ".rejoin_allowed, ",
            $p,
            ".starts_on, ",
            $p,
            ".ends_on, ",
            $p,
            ".time_zone, ",
            $p,
            ".invite_code, ",
            $p,
            ".owner_id, ",
            $p,
            ".disband_at, ",
            $p,
            ".created_at"
        )
    };
}

/// The editable fields of a group.
#[derive(Debug, Clone)]
pub struct GroupFields {
    pub name: String,
    pub category: String,
    pub description: String,
    pub pledge: String,
    pub image_url: Option<String>,
    pub visibility: String,
    pub join_policy: String,
    pub capacity: i64,
    pub rejoin_allowed: bool,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub time_zone: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    pub group_id: Uuid,
    pub user_id: Uuid,
    pub role: String,
    pub status: String,
    pub joined_at: i64,
}

impl Membership {
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// A member row for lists: the membership with the member's public profile.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub user_id: Uuid,
    pub nickname: String,
    pub avatar_url: Option<String>,
    pub role: String,
    pub status: String,
    pub message: String,
    pub joined_at: i64,
}

/// A group in "my groups", with the viewer's role.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MyGroup {
    #[sqlx(flatten)]
    pub group: Group,
    pub role: String,
    pub status: String,
    pub joined_at: i64,
}

/// A page position: the sort key and the id of the last row seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: Uuid,
}

pub async fn create_group(db: &Db, owner: Uuid, f: &GroupFields) -> Result<Group> {
    let now = now_millis();
    let id = Uuid::now_v7();
    // An invite code collision is astronomically rare, but a retry costs nothing.
    for _ in 0..5 {
        let code = moim_core::secrets::invite_code();
        let res: Result<()> = dispatch!(db, pool => {
            let mut tx = pool.begin_write().await?;
            let ins = sqlx::query(
                "INSERT INTO groups (id, name, category, description, pledge, image_url, visibility, \
                 join_policy, capacity, member_count, rejoin_allowed, starts_on, ends_on, time_zone, \
                 invite_code, owner_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12, $13, $14, $15, $16, $16)")
                .bind(id).bind(&f.name).bind(&f.category).bind(&f.description).bind(&f.pledge)
                .bind(f.image_url.as_deref()).bind(&f.visibility).bind(&f.join_policy).bind(f.capacity)
                .bind(f.rejoin_allowed).bind(f.starts_on.as_deref()).bind(f.ends_on.as_deref())
                .bind(&f.time_zone).bind(&code).bind(owner).bind(now)
                .execute(&mut *tx).await
                .map_err(|e| unique_violation(e, &[("groups_invite_code_key", "groups.invite_code", "invite_code")]));
            match ins {
                Ok(_) => {
                    sqlx::query("INSERT INTO memberships (group_id, user_id, role, status, joined_at) VALUES ($1, $2, 'owner', 'active', $3)")
                        .bind(id).bind(owner).bind(now).execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }
                Err(e) => Err(e),
            }
        });
        match res {
            Ok(()) => return get_group(db, id).await?.ok_or(Error::NotFound),
            Err(Error::Conflict("invite_code")) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict("invite_code"))
}

pub async fn get_group(db: &Db, id: Uuid) -> Result<Option<Group>> {
    let sql = concat!(
        "SELECT ",
        group_columns!("g"),
        " FROM groups g WHERE g.id = $1"
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Group>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn group_by_invite(db: &Db, code: &str) -> Result<Option<Group>> {
    let sql = concat!(
        "SELECT ",
        group_columns!("g"),
        " FROM groups g WHERE g.invite_code = $1"
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, Group>(sql).bind(code).fetch_optional(pool).await?),
    )
}

/// A group with the viewer's membership, in one round trip: the shape of every group-scoped
/// request (load membership first, then decide).
pub async fn group_for(
    db: &Db,
    id: Uuid,
    viewer: Uuid,
) -> Result<Option<(Group, Option<Membership>)>> {
    let sql = concat!(
        "SELECT ",
        group_columns!("g"),
        ", m.role AS m_role, m.status AS m_status, m.joined_at AS m_joined_at \
         FROM groups g LEFT JOIN memberships m ON m.group_id = g.id AND m.user_id = $2 WHERE g.id = $1"
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        group: Group,
        m_role: Option<String>,
        m_status: Option<String>,
        m_joined_at: Option<i64>,
    }
    let row: Option<Row> = dispatch!(db, pool => sqlx::query_as(sql).bind(id).bind(viewer).fetch_optional(pool).await?);
    Ok(row.map(|r| {
        let m = match (r.m_role, r.m_status, r.m_joined_at) {
            (Some(role), Some(status), Some(joined_at)) => Some(Membership {
                group_id: r.group.id,
                user_id: viewer,
                role,
                status,
                joined_at,
            }),
            _ => None,
        };
        (r.group, m)
    }))
}

/// Updates the editable fields. A capacity below the current member count is refused.
pub async fn update_group(db: &Db, id: Uuid, f: &GroupFields) -> Result<()> {
    let now = now_millis();
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE groups SET name = $2, category = $3, description = $4, pledge = $5, image_url = $6, \
         visibility = $7, join_policy = $8, capacity = $9, rejoin_allowed = $10, starts_on = $11, \
         ends_on = $12, time_zone = $13, updated_at = $14 WHERE id = $1 AND member_count <= $9")
        .bind(id).bind(&f.name).bind(&f.category).bind(&f.description).bind(&f.pledge)
        .bind(f.image_url.as_deref()).bind(&f.visibility).bind(&f.join_policy).bind(f.capacity)
        .bind(f.rejoin_allowed).bind(f.starts_on.as_deref()).bind(f.ends_on.as_deref())
        .bind(&f.time_zone).bind(now)
        .execute(pool).await?.rows_affected());
    if n == 0 {
        return Err(Error::Conflict("capacity"));
    }
    Ok(())
}

pub async fn rotate_invite(db: &Db, id: Uuid) -> Result<String> {
    for _ in 0..5 {
        let code = moim_core::secrets::invite_code();
        let res = dispatch!(db, pool => sqlx::query("UPDATE groups SET invite_code = $2, updated_at = $3 WHERE id = $1")
            .bind(id).bind(&code).bind(now_millis()).execute(pool).await.map(|_| ())
            .map_err(|e| unique_violation(e, &[("groups_invite_code_key", "groups.invite_code", "invite_code")])));
        match res {
            Ok(_) => return Ok(code),
            Err(Error::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict("invite_code"))
}

/// The viewer's groups, newest membership first, including pending requests.
pub async fn my_groups(
    db: &Db,
    user_id: Uuid,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Vec<MyGroup>> {
    let sql = concat!(
        "SELECT ",
        group_columns!("g"),
        ", m.role, m.status, m.joined_at FROM memberships m \
         JOIN groups g ON g.id = m.group_id WHERE m.user_id = $1 \
         AND (m.joined_at < $2 OR (m.joined_at = $2 AND m.group_id < $3)) \
         ORDER BY m.joined_at DESC, m.group_id DESC LIMIT CAST($4 AS BIGINT)"
    );
    let (at, id) = after.map_or((i64::MAX, Uuid::max()), |c| (c.at, c.id));
    Ok(dispatch!(db, pool => sqlx::query_as::<_, MyGroup>(sql)
        .bind(user_id).bind(at).bind(id).bind(limit).fetch_all(pool).await?))
}

/// Members of a group with the given status, oldest first.
pub async fn members(
    db: &Db,
    group_id: Uuid,
    status: &str,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Vec<Member>> {
    let (at, id) = after.map_or((i64::MIN, Uuid::nil()), |c| (c.at, c.id));
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Member>(
        "SELECT m.user_id, u.nickname, u.avatar_url, m.role, m.status, m.message, m.joined_at \
         FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.group_id = $1 AND m.status = $2 \
         AND (m.joined_at > $3 OR (m.joined_at = $3 AND m.user_id > $4)) \
         ORDER BY m.joined_at, m.user_id LIMIT CAST($5 AS BIGINT)")
        .bind(group_id).bind(status).bind(at).bind(id).bind(limit).fetch_all(pool).await?))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOutcome {
    Joined,
    /// Waiting for a manager's approval.
    Requested,
    AlreadyMember,
    AlreadyRequested,
    Full,
    /// Removed by a manager, or left a group that does not let people back in.
    NotAllowed,
    Disbanding,
}

/// Joins (or asks to join, when `needs_approval`) a group. Capacity is checked by a conditional
/// update in the same transaction, so concurrent joins can never overfill it.
pub async fn join(
    db: &Db,
    group_id: Uuid,
    user_id: Uuid,
    needs_approval: bool,
    message: &str,
) -> Result<JoinOutcome> {
    let now = now_millis();
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let group: Option<(bool, Option<i64>)> = sqlx::query_as(
            "SELECT rejoin_allowed, disband_at FROM groups WHERE id = $1")
            .bind(group_id).fetch_optional(&mut *tx).await?;
        let Some((rejoin_allowed, disband_at)) = group else { return Err(Error::NotFound) };
        if disband_at.is_some() {
            return Ok(JoinOutcome::Disbanding);
        }
        let existing: Option<(String,)> = sqlx::query_as(
            "SELECT status FROM memberships WHERE group_id = $1 AND user_id = $2")
            .bind(group_id).bind(user_id).fetch_optional(&mut *tx).await?;
        match existing.as_ref().map(|(s,)| s.as_str()) {
            Some("active") => return Ok(JoinOutcome::AlreadyMember),
            Some(_) => return Ok(JoinOutcome::AlreadyRequested),
            None => {}
        }
        let departed: Option<(String,)> = sqlx::query_as(
            "SELECT kind FROM group_departures WHERE group_id = $1 AND user_id = $2")
            .bind(group_id).bind(user_id).fetch_optional(&mut *tx).await?;
        match departed.as_ref().map(|(k,)| k.as_str()) {
            Some("removed") => return Ok(JoinOutcome::NotAllowed),
            Some(_) if !rejoin_allowed => return Ok(JoinOutcome::NotAllowed),
            _ => {}
        }
        let status = if needs_approval { "pending" } else { "active" };
        if !needs_approval {
            let took = sqlx::query("UPDATE groups SET member_count = member_count + 1 WHERE id = $1 AND member_count < capacity")
                .bind(group_id).execute(&mut *tx).await?.rows_affected();
            if took == 0 {
                return Ok(JoinOutcome::Full);
            }
        }
        let ins = sqlx::query("INSERT INTO memberships (group_id, user_id, role, status, message, joined_at) VALUES ($1, $2, 'member', $3, $4, $5)")
            .bind(group_id).bind(user_id).bind(status).bind(message).bind(now).execute(&mut *tx).await;
        if let Err(e) = ins {
            // A concurrent join of the same user won the primary key: drop our count increment.
            return match unique_violation(e, &[("memberships_pkey", "memberships.group_id", "membership")]) {
                Error::Conflict(_) => Ok(JoinOutcome::AlreadyMember),
                e => Err(e),
            };
        }
        sqlx::query("DELETE FROM group_departures WHERE group_id = $1 AND user_id = $2")
            .bind(group_id).bind(user_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(if needs_approval { JoinOutcome::Requested } else { JoinOutcome::Joined })
    })
}

/// Approves a pending request; capacity is checked like a join.
pub async fn approve(db: &Db, group_id: Uuid, user_id: Uuid) -> Result<JoinOutcome> {
    let now = now_millis();
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let pending: Option<(String,)> = sqlx::query_as(
            "SELECT status FROM memberships WHERE group_id = $1 AND user_id = $2")
            .bind(group_id).bind(user_id).fetch_optional(&mut *tx).await?;
        match pending.as_ref().map(|(s,)| s.as_str()) {
            None => return Err(Error::NotFound),
            Some("active") => return Ok(JoinOutcome::AlreadyMember),
            _ => {}
        }
        let took = sqlx::query("UPDATE groups SET member_count = member_count + 1 WHERE id = $1 AND member_count < capacity")
            .bind(group_id).execute(&mut *tx).await?.rows_affected();
        if took == 0 {
            return Ok(JoinOutcome::Full);
        }
        sqlx::query("UPDATE memberships SET status = 'active', joined_at = $3 WHERE group_id = $1 AND user_id = $2 AND status = 'pending'")
            .bind(group_id).bind(user_id).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(JoinOutcome::Joined)
    })
}

/// Ends a membership (or withdraws / declines a pending request). The owner cannot leave: they
/// hand the group over or disband it first.
pub async fn depart(db: &Db, group_id: Uuid, user_id: Uuid, kind: Departure) -> Result<()> {
    let now = now_millis();
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT role, status FROM memberships WHERE group_id = $1 AND user_id = $2")
            .bind(group_id).bind(user_id).fetch_optional(&mut *tx).await?;
        let Some((role, status)) = row else { return Err(Error::NotFound) };
        if role == "owner" {
            return Err(Error::Conflict("owner"));
        }
        sqlx::query("DELETE FROM memberships WHERE group_id = $1 AND user_id = $2")
            .bind(group_id).bind(user_id).execute(&mut *tx).await?;
        if status == "active" {
            sqlx::query("UPDATE groups SET member_count = member_count - 1 WHERE id = $1")
                .bind(group_id).execute(&mut *tx).await?;
            let kind = match kind { Departure::Left => "left", Departure::Removed => "removed" };
            sqlx::query("INSERT INTO group_departures (group_id, user_id, kind, at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (group_id, user_id) DO UPDATE SET kind = excluded.kind, at = excluded.at")
                .bind(group_id).bind(user_id).bind(kind).bind(now).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    Left,
    Removed,
}

/// Lets a removed member join again.
pub async fn forgive(db: &Db, group_id: Uuid, user_id: Uuid) -> Result<()> {
    dispatch!(db, pool => sqlx::query("DELETE FROM group_departures WHERE group_id = $1 AND user_id = $2")
        .bind(group_id).bind(user_id).execute(pool).await.map(|_| ())?);
    Ok(())
}

/// Sets a member's role to manager or member (the owner changes only through a transfer).
pub async fn set_role(db: &Db, group_id: Uuid, user_id: Uuid, role: &str) -> Result<()> {
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE memberships SET role = $3 WHERE group_id = $1 AND user_id = $2 AND status = 'active' AND role <> 'owner'")
        .bind(group_id).bind(user_id).bind(role).execute(pool).await?.rows_affected());
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Hands the group to another active member; the old owner stays as a manager.
pub async fn transfer(db: &Db, group_id: Uuid, from: Uuid, to: Uuid) -> Result<()> {
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let n = sqlx::query("UPDATE memberships SET role = 'owner' WHERE group_id = $1 AND user_id = $2 AND status = 'active' AND role <> 'owner'")
            .bind(group_id).bind(to).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(Error::NotFound);
        }
        let n = sqlx::query("UPDATE memberships SET role = 'manager' WHERE group_id = $1 AND user_id = $2 AND role = 'owner'")
            .bind(group_id).bind(from).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(Error::Conflict("owner"));
        }
        sqlx::query("UPDATE groups SET owner_id = $2, updated_at = $3 WHERE id = $1")
            .bind(group_id).bind(to).bind(now_millis()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Schedules (or, with `None`, cancels) the deletion of a group.
pub async fn set_disband(db: &Db, group_id: Uuid, at: Option<Millis>) -> Result<()> {
    dispatch!(db, pool => sqlx::query("UPDATE groups SET disband_at = $2, updated_at = $3 WHERE id = $1")
        .bind(group_id).bind(at).bind(now_millis()).execute(pool).await.map(|_| ())?);
    Ok(())
}

/// Deletes groups whose grace period is over; returns how many.
pub async fn purge_disbanded(db: &Db, now: Millis) -> Result<u64> {
    Ok(
        dispatch!(db, pool => sqlx::query("DELETE FROM groups WHERE disband_at IS NOT NULL AND disband_at <= $1")
        .bind(now).execute(pool).await?.rows_affected()),
    )
}
