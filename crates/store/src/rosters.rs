//! Roster setups, rosters, their undo history and swap requests.
//!
//! Lost updates are closed by the database: the setup document and every roster carry a
//! `version`, and each write is a conditional `UPDATE ... WHERE version = $expected`; a writer
//! that lost the race gets [`Error::Conflict`]`("version")` and re-reads. Swap requests move
//! between states with conditional updates on their status, so two people cannot accept the
//! same offer.

use crate::{Db, Error, Result, Tx, WritePool as _, dispatch, in_tx, unique_violation};
use moim_core::time::now_millis;
use uuid::Uuid;

/// The setup document of a group (JSON) and its version (0 = never saved).
pub async fn get_setup(db: &Db, group_id: Uuid) -> Result<(String, i64)> {
    let row: Option<(String, i64)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT setup, version FROM roster_setups WHERE group_id = $1")
        .bind(group_id).fetch_optional(pool).await?);
    Ok(row.unwrap_or_else(|| ("{}".to_owned(), 0)))
}

/// Stores the setup if nobody changed it since `expected` was read.
pub async fn put_setup(db: &Db, group_id: Uuid, setup: &str, expected: i64) -> Result<i64> {
    let now = now_millis();
    let n = dispatch!(db, pool => {
        if expected == 0 {
            sqlx::query("INSERT INTO roster_setups (group_id, setup, version, updated_at) VALUES ($1, $2, 1, $3) \
                         ON CONFLICT (group_id) DO NOTHING")
                .bind(group_id).bind(setup).bind(now).execute(pool).await?.rows_affected()
        } else {
            sqlx::query("UPDATE roster_setups SET setup = $2, version = version + 1, updated_at = $4 \
                         WHERE group_id = $1 AND version = $3")
                .bind(group_id).bind(setup).bind(expected).bind(now).execute(pool).await?.rows_affected()
        }
    });
    if n == 0 {
        return Err(Error::Conflict("version"));
    }
    Ok(expected + 1)
}

/// Active members' e-mail addresses and nicknames, for matching an imported member list.
pub async fn member_keys(db: &Db, group_id: Uuid) -> Result<Vec<(Uuid, String, String)>> {
    Ok(dispatch!(db, pool => sqlx::query_as(
        "SELECT u.id, u.email, u.nickname FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.group_id = $1 AND m.status = 'active' ORDER BY m.joined_at, u.id")
        .bind(group_id).fetch_all(pool).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RosterRow {
    pub id: Uuid,
    pub group_id: Uuid,
    pub name: String,
    pub starts_on: String,
    pub days: i64,
    pub status: String,
    pub built: String,
    pub cells: String,
    pub locks: String,
    pub published_cells: Option<String>,
    pub published_at: Option<i64>,
    pub progress: String,
    pub result: Option<String>,
    pub cancel_requested: bool,
    pub share_token: Option<String>,
    pub version: i64,
    /// The best complete roster of a running generation so far (none when not generating).
    pub live_cells: Option<String>,
    /// Bumped whenever `live_cells` changes.
    pub live_seq: i64,
    pub created_by: Uuid,
    pub created_at: i64,
    pub updated_at: i64,
}

macro_rules! roster_columns {
    () => {
        "id, group_id, name, starts_on, days, status, built, cells, locks, published_cells, \
         published_at, progress, result, cancel_requested, share_token, version, live_cells, live_seq, created_by, \
         created_at, updated_at"
    };
}

/// A roster summary for lists (no cells).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RosterSummary {
    pub id: Uuid,
    pub name: String,
    pub starts_on: String,
    pub days: i64,
    pub status: String,
    pub published_at: Option<i64>,
    pub created_at: i64,
}

pub struct NewRoster<'a> {
    pub group_id: Uuid,
    pub name: &'a str,
    pub starts_on: &'a str,
    pub days: i64,
    pub built: &'a str,
    pub cells: &'a str,
    pub created_by: Uuid,
}

pub async fn create_roster(db: &Db, r: &NewRoster<'_>) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let now = now_millis();
    dispatch!(db, pool => sqlx::query(
        "INSERT INTO rosters (id, group_id, name, starts_on, days, status, built, cells, locks, progress, \
         version, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'generating', $6, $7, '[]', '[]', 1, $8, $9, $9)")
        .bind(id).bind(r.group_id).bind(r.name).bind(r.starts_on).bind(r.days).bind(r.built)
        .bind(r.cells).bind(r.created_by).bind(now).execute(pool).await.map(|_| ())?);
    Ok(id)
}

pub async fn get_roster(db: &Db, group_id: Uuid, id: Uuid) -> Result<Option<RosterRow>> {
    let sql = concat!(
        "SELECT ",
        roster_columns!(),
        " FROM rosters WHERE id = $1 AND group_id = $2"
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, RosterRow>(sql).bind(id).bind(group_id).fetch_optional(pool).await?),
    )
}

pub async fn roster_by_token(db: &Db, token: &str) -> Result<Option<RosterRow>> {
    let sql = concat!(
        "SELECT ",
        roster_columns!(),
        " FROM rosters WHERE share_token = $1"
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, RosterRow>(sql).bind(token).fetch_optional(pool).await?),
    )
}

pub async fn list_rosters(db: &Db, group_id: Uuid) -> Result<Vec<RosterSummary>> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, RosterSummary>(
        "SELECT id, name, starts_on, days, status, published_at, created_at FROM rosters \
         WHERE group_id = $1 ORDER BY created_at DESC LIMIT 200")
        .bind(group_id).fetch_all(pool).await?))
}

/// Progress of a running generation (JSON array of points) — written by the background task.
pub async fn set_progress(db: &Db, id: Uuid, progress: &str) -> Result<bool> {
    let cancel: Option<(bool,)> = dispatch!(db, pool => sqlx::query_as(
        "UPDATE rosters SET progress = $2, updated_at = $3 WHERE id = $1 AND status = 'generating' RETURNING cancel_requested")
        .bind(id).bind(progress).bind(now_millis()).fetch_optional(pool).await?);
    Ok(cancel.is_some_and(|(c,)| c))
}

/// Stores the best complete roster a running generation has found so far; false when the
/// generation is over (the final cells are written by [`finish_generation`]).
pub async fn set_live(db: &Db, id: Uuid, cells: &str) -> Result<bool> {
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE rosters SET live_cells = $2, live_seq = live_seq + 1, updated_at = $3 \
         WHERE id = $1 AND status = 'generating'")
        .bind(id).bind(cells).bind(now_millis()).execute(pool).await?.rows_affected());
    Ok(n > 0)
}

/// What a progress stream polls: status, progress points, the live roster's sequence number
/// and whether there is one (without the large model and cells columns).
pub async fn progress_of(
    db: &Db,
    group_id: Uuid,
    id: Uuid,
) -> Result<Option<(String, String, i64, bool)>> {
    Ok(dispatch!(db, pool => sqlx::query_as(
        "SELECT status, progress, live_seq, live_cells IS NOT NULL FROM rosters WHERE id = $1 AND group_id = $2")
        .bind(id).bind(group_id).fetch_optional(pool).await?))
}

/// Stores a generation's outcome. A regeneration (the roster was generated before) also
/// records an undo barrier holding the cells it replaced, so undo does not reach past it.
pub async fn finish_generation(
    db: &Db,
    id: Uuid,
    status: &str,
    cells: &str,
    progress: &str,
    result: &str,
) -> Result<()> {
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let old: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT version, cells, locks FROM rosters WHERE id = $1 AND status = 'generating'")
            .bind(id).fetch_optional(&mut *tx).await?;
        let Some((version, old_cells, old_locks)) = old else { return Ok(()) };
        let n = sqlx::query(
            "UPDATE rosters SET status = $2, cells = $3, progress = $4, result = $5, version = version + 1, \
             cancel_requested = FALSE, live_cells = NULL, updated_at = $6 WHERE id = $1 AND version = $7")
            .bind(id).bind(status).bind(cells).bind(progress).bind(result).bind(now_millis()).bind(version)
            .execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Ok(());
        }
        // Version 1 is the first generation: there is nothing before it to protect.
        if version > 1 {
            sqlx::query("INSERT INTO roster_history (roster_id, seq, cells, locks, kind) \
                         VALUES ($1, $2, $3, $4, 'generate')")
                .bind(id).bind(version).bind(&old_cells).bind(&old_locks).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    })
}

/// Asks a running generation to stop (it keeps the best roster so far).
pub async fn request_cancel(db: &Db, id: Uuid) -> Result<bool> {
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE rosters SET cancel_requested = TRUE WHERE id = $1 AND status = 'generating'")
        .bind(id).execute(pool).await?.rows_affected());
    Ok(n > 0)
}

/// Starts a regeneration of a ready roster (conditional on its version).
pub async fn restart_generation(db: &Db, id: Uuid, expected: i64, built: &str) -> Result<()> {
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE rosters SET status = 'generating', built = $3, progress = '[]', cancel_requested = FALSE, \
         live_cells = NULL, version = version + 1, updated_at = $4 WHERE id = $1 AND version = $2 AND status <> 'generating'")
        .bind(id).bind(expected).bind(built).bind(now_millis()).execute(pool).await?.rows_affected());
    if n == 0 {
        return Err(Error::Conflict("version"));
    }
    Ok(())
}

/// Replaces cells and locks if the roster is still at `expected`, keeping the previous state for
/// undo. Returns the new version.
pub async fn edit_cells(db: &Db, id: Uuid, expected: i64, cells: &str, locks: &str) -> Result<i64> {
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let old: Option<(String, String)> = sqlx::query_as(
            "SELECT cells, locks FROM rosters WHERE id = $1 AND version = $2 AND status = 'ready'")
            .bind(id).bind(expected).fetch_optional(&mut *tx).await?;
        let Some((old_cells, old_locks)) = old else { return Err(Error::Conflict("version")) };
        let n = sqlx::query("UPDATE rosters SET cells = $3, locks = $4, version = version + 1, updated_at = $5 \
                             WHERE id = $1 AND version = $2")
            .bind(id).bind(expected).bind(cells).bind(locks).bind(now_millis())
            .execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(Error::Conflict("version"));
        }
        sqlx::query("INSERT INTO roster_history (roster_id, seq, cells, locks) VALUES ($1, $2, $3, $4)")
            .bind(id).bind(expected).bind(&old_cells).bind(&old_locks).execute(&mut *tx).await
            .map_err(|e| unique_violation(e, &[("roster_history_pkey", "roster_history.roster_id", "version")]))?;
        tx.commit().await?;
        Ok(expected + 1)
    })
}

/// What [`undo`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undone {
    /// The latest hand edit was reverted; the roster's new version.
    Reverted(i64),
    /// There is no history.
    Nothing,
    /// The latest change was not a hand edit (`"generate"` or `"swap"`), so undo refuses
    /// rather than reverting an older edit past it.
    Blocked(&'static str),
}

/// Restores the state before the latest hand edit, if the latest change was one.
pub async fn undo(db: &Db, id: Uuid, expected: i64) -> Result<Undone> {
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let last: Option<(i64, String, String, String)> = sqlx::query_as(
            "SELECT seq, cells, locks, kind FROM roster_history WHERE roster_id = $1 ORDER BY seq DESC LIMIT 1")
            .bind(id).fetch_optional(&mut *tx).await?;
        let Some((seq, cells, locks, kind)) = last else { return Ok(Undone::Nothing) };
        match kind.as_str() {
            "edit" => {}
            "swap" => return Ok(Undone::Blocked("swap")),
            _ => return Ok(Undone::Blocked("generate")),
        }
        let n = sqlx::query("UPDATE rosters SET cells = $3, locks = $4, version = version + 1, updated_at = $5 \
                             WHERE id = $1 AND version = $2 AND status = 'ready'")
            .bind(id).bind(expected).bind(&cells).bind(&locks).bind(now_millis())
            .execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(Error::Conflict("version"));
        }
        sqlx::query("DELETE FROM roster_history WHERE roster_id = $1 AND seq = $2")
            .bind(id).bind(seq).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Undone::Reverted(expected + 1))
    })
}

/// Publishes the current cells (members see later edits as changes against these).
///
/// Runs inside the caller's transaction (the members' notifications commit with it).
pub async fn publish_in(tx: &mut Tx, id: Uuid, expected: i64) -> Result<()> {
    let n = in_tx!(tx, tx => sqlx::query(
        "UPDATE rosters SET published_cells = cells, published_at = $3, version = version + 1, updated_at = $3 \
         WHERE id = $1 AND version = $2 AND status = 'ready'")
        .bind(id).bind(expected).bind(now_millis()).execute(&mut *tx).await?.rows_affected());
    if n == 0 {
        return Err(Error::Conflict("version"));
    }
    Ok(())
}

/// Sets (a fresh token) or clears (`None`) the public share link.
pub async fn set_share_token(db: &Db, id: Uuid, token: Option<&str>) -> Result<()> {
    dispatch!(db, pool => sqlx::query("UPDATE rosters SET share_token = $2, updated_at = $3 WHERE id = $1")
        .bind(id).bind(token).bind(now_millis()).execute(pool).await.map(|_| ())
        .map_err(|e| unique_violation(e, &[("rosters_share_token_key", "rosters.share_token", "share_token")]))?);
    Ok(())
}

/// Renames a roster. The name is not part of what a hand edit checks, so the version stays
/// (an edit form open meanwhile still applies).
pub async fn rename_roster(db: &Db, group_id: Uuid, id: Uuid, name: &str) -> Result<()> {
    let n = dispatch!(db, pool => sqlx::query("UPDATE rosters SET name = $1 WHERE id = $2 AND group_id = $3")
        .bind(name).bind(id).bind(group_id).execute(pool).await?.rows_affected());
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

pub async fn delete_roster(db: &Db, group_id: Uuid, id: Uuid) -> Result<()> {
    let n = dispatch!(db, pool => sqlx::query("DELETE FROM rosters WHERE id = $1 AND group_id = $2")
        .bind(id).bind(group_id).execute(pool).await?.rows_affected());
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Generations left `generating` by a process that stopped (no heartbeat for `stale_ms`) are
/// marked failed so nobody waits on them forever.
pub async fn fail_stale(db: &Db, stale_before: i64) -> Result<u64> {
    Ok(dispatch!(db, pool => sqlx::query(
        "UPDATE rosters SET status = CASE WHEN version > 1 THEN 'ready' ELSE 'failed' END, live_cells = NULL, \
         version = version + 1 \
         WHERE status = 'generating' AND updated_at < $1")
        .bind(stale_before).execute(pool).await?.rows_affected()))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Swap {
    pub id: Uuid,
    pub roster_id: Uuid,
    pub requester: Uuid,
    pub day: i64,
    pub target: Option<Uuid>,
    pub target_day: Option<i64>,
    pub status: String,
    pub accepted_by: Option<Uuid>,
    pub created_at: i64,
}

/// Runs inside the caller's transaction (the notifications commit with it).
pub async fn create_swap_in(
    tx: &mut Tx,
    roster_id: Uuid,
    requester: Uuid,
    day: i64,
    target: Option<Uuid>,
    target_day: Option<i64>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let now = now_millis();
    in_tx!(tx, tx => sqlx::query(
        "INSERT INTO roster_swaps (id, roster_id, requester, day, target, target_day, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)")
        .bind(id).bind(roster_id).bind(requester).bind(day).bind(target).bind(target_day).bind(now)
        .execute(&mut *tx).await.map(|_| ())?);
    Ok(id)
}

pub async fn get_swap(db: &Db, roster_id: Uuid, id: Uuid) -> Result<Option<Swap>> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Swap>(
        "SELECT id, roster_id, requester, day, target, target_day, status, accepted_by, created_at \
         FROM roster_swaps WHERE id = $1 AND roster_id = $2")
        .bind(id).bind(roster_id).fetch_optional(pool).await?))
}

pub async fn list_swaps(db: &Db, roster_id: Uuid) -> Result<Vec<Swap>> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Swap>(
        "SELECT id, roster_id, requester, day, target, target_day, status, accepted_by, created_at \
         FROM roster_swaps WHERE roster_id = $1 ORDER BY created_at DESC LIMIT 200")
        .bind(roster_id).fetch_all(pool).await?))
}

/// Moves a swap from `from` to `to` status; false when someone else moved it first.
pub async fn move_swap(
    db: &Db,
    id: Uuid,
    from: &str,
    to: &str,
    accepted_by: Option<Uuid>,
) -> Result<bool> {
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE roster_swaps SET status = $3, accepted_by = COALESCE($4, accepted_by), updated_at = $5 \
         WHERE id = $1 AND status = $2")
        .bind(id).bind(from).bind(to).bind(accepted_by).bind(now_millis())
        .execute(pool).await?.rows_affected());
    Ok(n > 0)
}

/// Closes a swap that is still open (`pending` or `accepted`) as `to` (`cancelled` or
/// `declined`). The status check is part of the update, so an applied or already closed swap
/// never changes state, also when an accept races it; false when the swap was not open.
pub async fn close_swap(db: &Db, id: Uuid, to: &str) -> Result<bool> {
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE roster_swaps SET status = $2, updated_at = $3 \
         WHERE id = $1 AND status IN ('pending', 'accepted')")
        .bind(id).bind(to).bind(now_millis())
        .execute(pool).await?.rows_affected());
    Ok(n > 0)
}

/// Marks a swap applied and writes the swapped cells in one transaction: both happen, or
/// neither (someone else moved the swap: `Ok(false)`; the roster changed: `Conflict`).
///
/// Runs inside the caller's transaction (what it causes, e.g. notifications, commits with it).
pub async fn apply_swap_in(
    tx: &mut Tx,
    swap_id: Uuid,
    from: &str,
    accepted_by: Option<Uuid>,
    roster_id: Uuid,
    expected: i64,
    cells: &str,
) -> Result<bool> {
    let now = now_millis();
    in_tx!(tx, tx => {
        let n = sqlx::query(
            "UPDATE roster_swaps SET status = 'applied', accepted_by = COALESCE($3, accepted_by), updated_at = $4 \
             WHERE id = $1 AND status = $2")
            .bind(swap_id).bind(from).bind(accepted_by).bind(now).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Ok(false);
        }
        let old: Option<(String, String)> = sqlx::query_as(
            "SELECT cells, locks FROM rosters WHERE id = $1 AND version = $2 AND status = 'ready'")
            .bind(roster_id).bind(expected).fetch_optional(&mut *tx).await?;
        let Some((old_cells, old_locks)) = old else { return Err(Error::Conflict("version")) };
        let n = sqlx::query("UPDATE rosters SET cells = $3, version = version + 1, updated_at = $4 \
                             WHERE id = $1 AND version = $2 AND status = 'ready'")
            .bind(roster_id).bind(expected).bind(cells).bind(now).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(Error::Conflict("version"));
        }
        // An undo barrier: undo must not revert the swapped cells while the swap stays applied.
        sqlx::query("INSERT INTO roster_history (roster_id, seq, cells, locks, kind) VALUES ($1, $2, $3, $4, 'swap')")
            .bind(roster_id).bind(expected).bind(&old_cells).bind(&old_locks).execute(&mut *tx).await
            .map_err(|e| unique_violation(e, &[("roster_history_pkey", "roster_history.roster_id", "version")]))?;
        Ok(true)
    })
}

/// The member's personal feed token in a group, made on first use.
pub async fn feed_token(db: &Db, group_id: Uuid, user_id: Uuid, fresh: &str) -> Result<String> {
    let now = now_millis();
    dispatch!(db, pool => {
        sqlx::query("INSERT INTO roster_feeds (group_id, user_id, token, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (group_id, user_id) DO NOTHING")
            .bind(group_id).bind(user_id).bind(fresh).bind(now).execute(pool).await?;
        let (t,): (String,) = sqlx::query_as("SELECT token FROM roster_feeds WHERE group_id = $1 AND user_id = $2")
            .bind(group_id).bind(user_id).fetch_one(pool).await?;
        Ok(t)
    })
}

/// Replaces the member's feed token (the old URL stops working at once).
pub async fn rotate_feed_token(db: &Db, group_id: Uuid, user_id: Uuid, fresh: &str) -> Result<()> {
    let now = now_millis();
    dispatch!(db, pool => sqlx::query(
        "INSERT INTO roster_feeds (group_id, user_id, token, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (group_id, user_id) DO UPDATE SET token = excluded.token, created_at = excluded.created_at")
        .bind(group_id).bind(user_id).bind(fresh).bind(now).execute(pool).await.map(|_| ())
        .map_err(|e| unique_violation(e, &[("roster_feeds_token_key", "roster_feeds.token", "token")]))?);
    Ok(())
}

/// Whose feed a token opens: (group, member), only while that member is an active member
/// whose membership began before the token was made (a removed member's token is dead, also
/// after rejoining).
pub async fn feed_owner(db: &Db, token: &str) -> Result<Option<(Uuid, Uuid)>> {
    Ok(dispatch!(db, pool => sqlx::query_as(
        "SELECT f.group_id, f.user_id FROM roster_feeds f \
         JOIN memberships m ON m.group_id = f.group_id AND m.user_id = f.user_id \
         WHERE f.token = $1 AND m.status = 'active' AND m.joined_at <= f.created_at")
        .bind(token).fetch_optional(pool).await?))
}

/// Published rosters of a group, newest first (what a member's feed shows).
pub async fn published_rosters(db: &Db, group_id: Uuid) -> Result<Vec<RosterRow>> {
    let sql = concat!(
        "SELECT ",
        roster_columns!(),
        " FROM rosters WHERE group_id = $1 AND published_at IS NOT NULL ORDER BY starts_on DESC LIMIT 24"
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, RosterRow>(sql).bind(group_id).fetch_all(pool).await?),
    )
}
