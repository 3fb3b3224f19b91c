//! Roster use cases: setup, background generation with progress and cancel, views with the
//! engine's evaluation, hand edits with undo and locks, publish, swaps and sharing.
//!
//! Every action starts from [`crate::flows::groups::access`]: members read, managers (and the
//! owner) change. The solver never runs on a request thread: [`spawn_generation`] runs it on a
//! blocking thread and a small async loop writes its progress to the roster row every 300 ms
//! (which is also how a cancel request, stored in the row, reaches the solver — so progress and
//! cancel work from any server instance).

pub mod export;

use crate::AppState;
use crate::error::ApiError;
use crate::flows::groups::{Access, access};
use crate::flows::notify::{Notice, commit, notify_in};
use jiff::civil::Date;
use moim_core::FieldError;
use moim_core::rosters::{self as core, Built, Origin, Setup, Staff};
use moim_store::rosters::{self as store, RosterRow};
use roster::eval::{Evaluation, Source, evaluate};
use roster::explain::Issue;
use roster::model::{Lock, Roster};
use roster::solve::{Progress, SolveOptions, solve};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// The group's setup with its version.
pub async fn load_setup(state: &AppState, group_id: Uuid) -> Result<(Setup, i64), ApiError> {
    let (json, version) = store::get_setup(&state.db, group_id).await?;
    let setup = serde_json::from_str(&json).map_err(ApiError::internal)?;
    Ok((setup, version))
}

/// Applies `change` to the group's setup (managers only) and stores it; retries when another
/// manager saved in between, so edits are never lost.
pub async fn edit_setup<T>(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
    change: impl FnMut(&mut Setup) -> Result<T, ApiError>,
) -> Result<(Setup, T), ApiError> {
    edit_setup_as(state, group_id, viewer, false, change).await
}

/// Like [`edit_setup`], but a plain member may make the change when `own` (it concerns only
/// themself: their leave days, their requests).
pub async fn edit_setup_as<T>(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
    own: bool,
    mut change: impl FnMut(&mut Setup) -> Result<T, ApiError>,
) -> Result<(Setup, T), ApiError> {
    let a = access(state, group_id, viewer).await?.writable()?;
    if own {
        a.member()?;
    } else {
        a.manager()?;
    }
    for _ in 0..5 {
        let (mut setup, version) = load_setup(state, group_id).await?;
        let out = change(&mut setup)?;
        let json = serde_json::to_string(&setup).map_err(ApiError::internal)?;
        match store::put_setup(&state.db, group_id, &json, version).await {
            Ok(_) => return Ok((setup, out)),
            Err(moim_store::Error::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict("busy").detail("the setup changed meanwhile; try again"))
}

/// Reads the setup (any active member).
pub async fn setup_for_member(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
) -> Result<(Access, Setup), ApiError> {
    let (a, _) = access(state, group_id, viewer).await?.member()?;
    let (setup, _) = load_setup(state, group_id).await?;
    Ok((a, setup))
}

/// Who the group's rosters are made for: active members (oldest first, under the name an import
/// gave them) and then the setup's roster-only people.
pub async fn staff_of(state: &AppState, group_id: Uuid) -> Result<Vec<Staff>, ApiError> {
    let (setup, _) = load_setup(state, group_id).await?;
    staff_with(&state.db, group_id, &setup).await
}

pub async fn staff_with(
    db: &moim_store::Db,
    group_id: Uuid,
    setup: &Setup,
) -> Result<Vec<Staff>, ApiError> {
    let rows = moim_store::groups::members(db, group_id, "active", None, 1000).await?;
    Ok(core::roster_staff(
        rows.into_iter().map(|m| (m.user_id, m.nickname)).collect(),
        setup,
    ))
}

/// The group's active members with a moim account (roster-only people have none: they get no
/// notifications and cannot take part in swaps).
pub async fn account_holders(state: &AppState, group_id: Uuid) -> Result<Vec<Uuid>, ApiError> {
    Ok(
        moim_store::groups::members(&state.db, group_id, "active", None, 1000)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect(),
    )
}

/// Imports members from CSV text (managers). `Ok(Err(rows))` lists every bad line; then nothing
/// was stored.
pub async fn import_members(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
    text: &str,
) -> Result<Result<(Setup, Vec<core::import::Outcome>), Vec<core::import::RowError>>, ApiError> {
    access(state, group_id, viewer)
        .await?
        .writable()?
        .manager()?;
    let rows = match core::import::parse(text) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let keys: Vec<core::import::MemberKey> = store::member_keys(&state.db, group_id)
        .await?
        .into_iter()
        .map(|(user, email, nickname)| core::import::MemberKey {
            user,
            email,
            nickname,
        })
        .collect();
    let mut failed = None;
    let r = edit_setup(state, group_id, viewer, |setup| {
        let mut next = setup.clone();
        match core::import::apply(&mut next, &rows, &keys) {
            Ok(out) => {
                *setup = next;
                Ok(out)
            }
            Err(e) => {
                failed = Some(e);
                Err(ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "import_failed",
                ))
            }
        }
    })
    .await;
    match (r, failed) {
        (Ok(done), _) => Ok(Ok(done)),
        (Err(_), Some(rows)) => Ok(Err(rows)),
        (Err(e), None) => Err(e),
    }
}

/// Removes an imported person (managers). A roster-only person's leave, requests and places
/// in conditions and "who may work" go too; for a member only the roster name is dropped.
pub async fn remove_person(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
    person: Uuid,
) -> Result<Setup, ApiError> {
    let (setup, _) = edit_setup(state, group_id, viewer, |setup| {
        let p = setup
            .people
            .iter()
            .find(|p| p.id == person)
            .cloned()
            .ok_or_else(|| ApiError::not_found("person_not_found"))?;
        setup.people.retain(|x| x.id != person);
        if p.user.is_none() {
            setup.leave.retain(|l| l.user != p.id);
            setup.requests.retain(|r| r.user != p.id);
            for c in &mut setup.conditions {
                c.members.retain(|u| *u != p.id);
            }
            for s in &mut setup.shift_types {
                s.allowed.retain(|u| *u != p.id);
            }
        }
        Ok(())
    })
    .await?;
    Ok(setup)
}

/// A roster loaded for a viewer: the row, the model it was generated from, its cells and locks.
pub struct Loaded {
    pub row: RosterRow,
    pub built: Built,
    pub roster: Roster,
    pub locks: Vec<(usize, usize)>,
    pub published: Option<Roster>,
    /// The group's time zone ("today" on the page); Asia/Seoul until [`Loaded::in_zone`].
    pub time_zone: String,
    /// The best roster so far of a running generation ([`Loaded::as_live`]).
    pub live: bool,
}

impl Loaded {
    pub fn from_row(row: RosterRow) -> Result<Self, ApiError> {
        let built: Built = serde_json::from_str(&row.built).map_err(ApiError::internal)?;
        let roster: Roster = serde_json::from_str(&row.cells).map_err(ApiError::internal)?;
        let locks = serde_json::from_str(&row.locks).map_err(ApiError::internal)?;
        let published = match &row.published_cells {
            Some(p) => Some(serde_json::from_str(p).map_err(ApiError::internal)?),
            None => None,
        };
        Ok(Self {
            row,
            built,
            roster,
            locks,
            published,
            time_zone: moim_core::accounts::DEFAULT_TIME_ZONE.to_owned(),
            live: false,
        })
    }

    pub fn in_zone(mut self, tz: &str) -> Self {
        tz.clone_into(&mut self.time_zone);
        self
    }

    /// The model with this roster's locks pinned, as evaluated and regenerated.
    pub fn model(&self) -> roster::model::Model {
        let mut m = self.built.model.clone();
        m.locks = self
            .locks
            .iter()
            .map(|&(e, d)| Lock {
                employee: e,
                day: d,
                shift: self.roster.get(e, d),
            })
            .collect();
        m
    }

    pub fn evaluation(&self) -> Evaluation {
        evaluate(&self.model(), &self.roster)
    }

    pub fn locked(&self, e: usize, d: usize) -> bool {
        self.locks.contains(&(e, d))
    }

    /// The roster as last published, never the draft edits made since (what the share link
    /// and members' calendar feeds show); none before the first publish.
    pub fn as_published(self) -> Option<Self> {
        self.published.is_some().then(|| self.published_or_draft())
    }

    /// Like [`Loaded::as_published`], but hands the roster back unchanged when it was never
    /// published.
    pub fn published_or_draft(mut self) -> Self {
        if let Some(p) = self.published.clone() {
            self.roster = p;
            // A published roster is a finished one, also while a regeneration is running.
            "ready".clone_into(&mut self.row.status);
        }
        self
    }

    /// The best complete roster right now: while generating, the best one the search has
    /// found so far (none before the first); otherwise the roster itself.
    pub fn as_live(mut self) -> Result<Option<Self>, ApiError> {
        if self.row.status != "generating" {
            return Ok(Some(self));
        }
        let Some(live) = self.row.live_cells.as_deref() else {
            return Ok(None);
        };
        self.roster = serde_json::from_str(live).map_err(ApiError::internal)?;
        self.live = true;
        Ok(Some(self))
    }

    /// Whether a cell differs from the published version.
    pub fn changed(&self, e: usize, d: usize) -> bool {
        self.published
            .as_ref()
            .is_some_and(|p| p.get(e, d) != self.roster.get(e, d))
    }
}

/// Loads a roster of a group the viewer belongs to.
pub async fn load_for_member(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
) -> Result<(Access, moim_core::groups::Role, Loaded), ApiError> {
    let (a, role) = access(state, group_id, viewer).await?.member()?;
    let mut row = store::get_roster(&state.db, group_id, roster_id)
        .await?
        .ok_or_else(|| ApiError::not_found("roster_not_found"))?;
    // A running generation writes its progress every 300 ms; a minute of silence means the
    // process that ran it is gone (a restart), so nobody should wait on it any longer.
    let stale_before = moim_core::time::now_millis() - moim_core::time::MINUTE;
    if row.status == "generating" && row.updated_at < stale_before {
        store::fail_stale(&state.db, stale_before).await?;
        row = store::get_roster(&state.db, group_id, roster_id)
            .await?
            .ok_or_else(|| ApiError::not_found("roster_not_found"))?;
    }
    let l = Loaded::from_row(row)?.in_zone(&a.group.time_zone);
    Ok((a, role, l))
}

async fn load_for_manager(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
) -> Result<Loaded, ApiError> {
    let (a, role, l) = load_for_member(state, group_id, roster_id, viewer).await?;
    if !role.can_manage() {
        return Err(ApiError::forbidden("manager_only"));
    }
    a.writable()?;
    Ok(l)
}

/// Raw input for a new roster.
pub struct NewRosterInput {
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    /// Seconds the solver may search (1–30).
    pub time_limit_secs: Option<u64>,
}

fn parse_date(field: &'static str, s: &str) -> Result<Date, FieldError> {
    if s.trim().is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    s.trim()
        .parse()
        .map_err(|_| FieldError::new(field, "invalid_date"))
}

/// How long the solver searches unless asked otherwise: the final roster (precheck, search,
/// evaluation and the write) must arrive within 3 s of the request.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_millis(2500);

/// The first search round: it ends at the first complete roster without hard violations, or
/// after this long with the best complete roster so far, so the page has a roster to show
/// well within a second.
pub const FIRST_ROUND: Duration = Duration::from_millis(400);

fn time_limit(secs: Option<u64>) -> Result<Duration, ApiError> {
    match secs {
        None => Ok(DEFAULT_TIME_LIMIT),
        Some(n @ 1..=30) => Ok(Duration::from_secs(n)),
        Some(_) => Err(ApiError::field("time_limit_secs", "out_of_range")),
    }
}

/// Creates a roster for a date range and starts generating it in the background.
pub async fn create(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
    input: &NewRosterInput,
) -> Result<Uuid, ApiError> {
    let (a, _) = access(state, group_id, viewer)
        .await?
        .writable()?
        .manager()?;
    let mut v = crate::flows::Validator::default();
    let name = v.check(roster_name(&input.name));
    let start = v.check(parse_date("starts_on", &input.starts_on));
    let end = v.check(parse_date("ends_on", &input.ends_on));
    let limit = time_limit(input.time_limit_secs);
    v.finish()?;
    let limit = limit?;
    let (start, end, name) = (
        crate::flows::checked(start)?,
        crate::flows::checked(end)?,
        crate::flows::checked(name)?,
    );
    let days = i64::from((end - start).get_days()) + 1;
    if days < 1 {
        return Err(ApiError::field("ends_on", "before_start"));
    }
    if days > core::MAX_DAYS {
        return Err(ApiError::field("ends_on", "out_of_range"));
    }
    let (setup, _) = load_setup(state, group_id).await?;
    let staff = staff_of(state, group_id).await?;
    let built = core::build_model(&setup, &staff, start, days as usize, &name)?;
    let empty = Roster::empty(staff.len(), days as usize);
    let id = store::create_roster(
        &state.db,
        &store::NewRoster {
            group_id: a.group.id,
            name: &name,
            starts_on: &start.to_string(),
            days,
            built: &serde_json::to_string(&built).map_err(ApiError::internal)?,
            cells: &serde_json::to_string(&empty).map_err(ApiError::internal)?,
            created_by: viewer,
        },
    )
    .await?;
    spawn_generation(state.clone(), id, built.model, None, limit);
    Ok(id)
}

/// Regenerates a roster from the group's current setup, keeping locked cells and every
/// published assignment (they are pinned for the solver).
pub async fn regenerate(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
    version: i64,
    time_limit_secs: Option<u64>,
) -> Result<(), ApiError> {
    let limit = time_limit(time_limit_secs)?;
    let l = load_for_manager(state, group_id, roster_id, viewer).await?;
    let (setup, _) = load_setup(state, group_id).await?;
    // Same people and days as before, so cells, locks and the published version keep their meaning.
    let built = core::build_model(
        &setup,
        &l.built.staff,
        l.built.start,
        l.built.model.days(),
        &l.row.name,
    )?;
    let mut model = built.model.clone();
    let mut pinned = l.locks.clone();
    if let Some(p) = &l.published {
        for e in 0..l.built.staff.len() {
            for d in 0..model.days() {
                if p.get(e, d).is_some() && !pinned.contains(&(e, d)) {
                    pinned.push((e, d));
                }
            }
        }
    }
    model.locks = pinned
        .iter()
        .map(|&(e, d)| Lock {
            employee: e,
            day: d,
            shift: l
                .published
                .as_ref()
                .filter(|_| !l.locks.contains(&(e, d)))
                .map_or(l.roster.get(e, d), |p| p.get(e, d)),
        })
        .filter(|lk| lk.shift.is_none_or(|s| s < model.shift_types.len()))
        .collect();
    let json = serde_json::to_string(&built).map_err(ApiError::internal)?;
    store::restart_generation(&state.db, roster_id, version, &json)
        .await
        .map_err(version_conflict)?;
    let initial = Some(l.roster.clone());
    spawn_generation(state.clone(), roster_id, model, initial, limit);
    Ok(())
}

fn version_conflict(e: moim_store::Error) -> ApiError {
    match e {
        moim_store::Error::Conflict(_) => ApiError::conflict("stale_version")
            .detail("the roster changed since you loaded it; reload and try again"),
        e => e.into(),
    }
}

/// One point of the progress chart.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Point {
    pub secs: f64,
    pub cost: i64,
    pub hard: i64,
}

/// What a finished generation stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    pub cost: i64,
    pub hard_units: i64,
    pub stop: String,
    pub elapsed_secs: f64,
    pub time_to_best_secs: f64,
    /// Proven impossibilities (before search) or remaining hard violations (after).
    pub issues: Vec<Issue>,
}

/// Runs the solver on a blocking thread; an async loop mirrors its progress into the roster
/// row and relays a cancel request stored there.
pub fn spawn_generation(
    state: AppState,
    roster_id: Uuid,
    model: roster::model::Model,
    initial: Option<Roster>,
    limit: Duration,
) {
    tokio::spawn(async move {
        if let Err(e) = run_generation(&state, roster_id, model, initial, limit).await {
            tracing::error!(error = %e.detail.clone().unwrap_or_default(), roster = %roster_id, "roster generation failed");
            let _ =
                store::finish_generation(&state.db, roster_id, "failed", "null", "[]", "{}").await;
        }
    });
}

async fn run_generation(
    state: &AppState,
    roster_id: Uuid,
    model: roster::model::Model,
    initial: Option<Roster>,
    limit: Duration,
) -> Result<(), ApiError> {
    let pre = {
        let m = model.clone();
        tokio::task::spawn_blocking(move || roster::explain::precheck(&m))
            .await
            .map_err(ApiError::internal)?
    };
    if !pre.is_empty() {
        let out = Outcome {
            hard_units: pre.len() as i64,
            stop: "impossible".into(),
            issues: pre,
            ..Default::default()
        };
        let cells = initial.unwrap_or_else(|| Roster::for_model(&model));
        store::finish_generation(
            &state.db,
            roster_id,
            "failed",
            &serde_json::to_string(&cells).map_err(ApiError::internal)?,
            "[]",
            &serde_json::to_string(&out).map_err(ApiError::internal)?,
        )
        .await?;
        return Ok(());
    }
    // The search runs in rounds, each starting from the best roster so far: the first stops
    // at the first complete roster without hard violations (or after FIRST_ROUND), and every
    // improvement a round brings is stored as the live roster, so the page shows a complete
    // roster within a fraction of a second and updates it while the search goes on. Rounds
    // double in length, so there are few restarts and few writes (the live roster is
    // throttled by construction).
    let points: Arc<Mutex<Vec<Point>>> = Arc::default();
    let snapshot = |points: &Arc<Mutex<Vec<Point>>>| {
        let v = points.lock().map(|v| v.clone()).unwrap_or_default();
        serde_json::to_string(&v).unwrap_or_else(|_| "[]".into())
    };
    let started = std::time::Instant::now();
    let mut best: Option<roster::solve::SolveResult> = None;
    let mut best_at = 0.0;
    let mut initial = initial;
    let mut user_cancel = false;
    let mut round_len = FIRST_ROUND;
    let mut last_stop = roster::solve::StopReason::TimeLimit;
    for round in 0u64.. {
        let left = limit.saturating_sub(started.elapsed());
        if left < Duration::from_millis(20) && best.is_some() {
            break;
        }
        let first = best.is_none();
        let this = left.min(round_len);
        let cancel = Arc::new(AtomicBool::new(false));
        let sink = points.clone();
        let offset = started.elapsed().as_secs_f64();
        let stop_first = cancel.clone();
        let opts = SolveOptions {
            time_limit: this.max(Duration::from_millis(1)),
            seed: (roster_id.as_u128() as u64) ^ round,
            threads: 1,
            cancel: Some(cancel.clone()),
            progress: Some(Arc::new(move |p: Progress| {
                if first && p.hard_violations == 0 {
                    stop_first.store(true, Ordering::Relaxed);
                }
                if let Ok(mut v) = sink.lock() {
                    let secs = ((offset + p.elapsed_secs) * 1000.0).round() / 1000.0;
                    // A new round starts from the best so far: only real improvements count.
                    if v.last().is_some_and(|l: &Point| {
                        (l.hard, l.cost) <= (p.hard_violations, p.best_cost)
                    }) {
                        return;
                    }
                    if v.len() >= 400 {
                        v.remove(1);
                    }
                    v.push(Point {
                        secs,
                        cost: p.best_cost,
                        hard: p.hard_violations,
                    });
                }
            })),
            initial: initial.clone(),
            ..Default::default()
        };
        let m = model.clone();
        let mut task = tokio::task::spawn_blocking(move || solve(&m, &opts));
        let result = loop {
            tokio::select! {
                r = &mut task => break r.map_err(ApiError::internal)?,
                _ = tokio::time::sleep(Duration::from_millis(300)) => {
                    if store::set_progress(&state.db, roster_id, &snapshot(&points)).await? {
                        user_cancel = true;
                        cancel.store(true, Ordering::Relaxed);
                    }
                }
            }
        };
        let result = result.map_err(ApiError::internal)?;
        last_stop = result.stop;
        let better = best.as_ref().is_none_or(|b| {
            (result.evaluation.hard_units, result.evaluation.cost)
                < (b.evaluation.hard_units, b.evaluation.cost)
        });
        if better {
            best_at = offset + result.time_to_best_secs;
            initial = Some(result.roster.clone());
            // Shown at once: the page (any instance) learns of it through the progress stream.
            store::set_progress(&state.db, roster_id, &snapshot(&points)).await?;
            store::set_live(
                &state.db,
                roster_id,
                &serde_json::to_string(&result.roster).map_err(ApiError::internal)?,
            )
            .await?;
            best = Some(result);
        }
        if user_cancel
            || last_stop == roster::solve::StopReason::Optimal
            || started.elapsed() >= limit
        {
            break;
        }
        if !first {
            round_len *= 2;
        }
    }
    let Some(mut result) = best else {
        return Err(ApiError::internal("no round ran"));
    };
    result.elapsed_secs = started.elapsed().as_secs_f64();
    result.time_to_best_secs = best_at;
    result.stop = if user_cancel {
        roster::solve::StopReason::Cancelled
    } else {
        last_stop
    };
    let issues = if result.evaluation.feasible() {
        vec![]
    } else {
        roster::explain::explain(&model, &result.roster)
    };
    let out = Outcome {
        cost: result.evaluation.cost,
        hard_units: result.evaluation.hard_units,
        stop: serde_json::to_value(result.stop)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        elapsed_secs: result.elapsed_secs,
        time_to_best_secs: result.time_to_best_secs,
        issues,
    };
    store::finish_generation(
        &state.db,
        roster_id,
        "ready",
        &serde_json::to_string(&result.roster).map_err(ApiError::internal)?,
        &snapshot(&points),
        &serde_json::to_string(&out).map_err(ApiError::internal)?,
    )
    .await?;
    metrics::counter!("moim_rosters_generated_total").increment(1);
    Ok(())
}

/// Asks a running generation to stop; the best roster found so far is kept.
pub async fn cancel(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
) -> Result<(), ApiError> {
    load_for_manager(state, group_id, roster_id, viewer).await?;
    if !store::request_cancel(&state.db, roster_id).await? {
        return Err(ApiError::conflict("not_generating"));
    }
    Ok(())
}

/// A hand edit of one cell: a shift type or a day off, and optionally lock / unlock it.
pub struct CellEdit {
    pub user: Uuid,
    pub date: Date,
    pub shift_type: Option<Uuid>,
    pub locked: Option<bool>,
    pub version: i64,
}

/// Applies a hand edit; every rule is re-checked by the caller's view of the result.
pub async fn edit_cell(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
    edit: &CellEdit,
) -> Result<Loaded, ApiError> {
    let mut l = load_for_manager(state, group_id, roster_id, viewer).await?;
    if l.row.status != "ready" {
        return Err(ApiError::conflict("not_ready"));
    }
    let e = l
        .built
        .staff_index(edit.user)
        .ok_or_else(|| ApiError::field("user_id", "not_on_roster"))?;
    let d = l
        .built
        .day_of(edit.date)
        .ok_or_else(|| ApiError::field("date", "out_of_range"))?;
    let s = match edit.shift_type {
        Some(id) => Some(
            l.built
                .shift_index(id)
                .ok_or_else(|| ApiError::field("shift_type_id", "unknown_shift_type"))?,
        ),
        None => None,
    };
    l.roster.set(e, d, s);
    match edit.locked {
        Some(true) if !l.locks.contains(&(e, d)) => l.locks.push((e, d)),
        Some(false) => l.locks.retain(|c| *c != (e, d)),
        _ => {}
    }
    save(state, roster_id, edit.version, &l).await?;
    reload(state, group_id, roster_id).await
}

async fn save(state: &AppState, roster_id: Uuid, version: i64, l: &Loaded) -> Result<(), ApiError> {
    store::edit_cells(
        &state.db,
        roster_id,
        version,
        &serde_json::to_string(&l.roster).map_err(ApiError::internal)?,
        &serde_json::to_string(&l.locks).map_err(ApiError::internal)?,
    )
    .await
    .map_err(version_conflict)?;
    Ok(())
}

async fn reload(state: &AppState, group_id: Uuid, roster_id: Uuid) -> Result<Loaded, ApiError> {
    let row = store::get_roster(&state.db, group_id, roster_id)
        .await?
        .ok_or_else(|| ApiError::not_found("roster_not_found"))?;
    in_group_zone(state, Loaded::from_row(row)?).await
}

async fn in_group_zone(state: &AppState, l: Loaded) -> Result<Loaded, ApiError> {
    match moim_store::groups::get_group(&state.db, l.row.group_id).await? {
        Some(g) => Ok(l.in_zone(&g.time_zone)),
        None => Ok(l),
    }
}

pub async fn undo(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
    version: i64,
) -> Result<Loaded, ApiError> {
    load_for_manager(state, group_id, roster_id, viewer).await?;
    match store::undo(&state.db, roster_id, version)
        .await
        .map_err(version_conflict)?
    {
        store::Undone::Reverted(_) => reload(state, group_id, roster_id).await,
        store::Undone::Nothing => Err(ApiError::conflict("nothing_to_undo")),
        // Undo only reverts hand edits: reaching past a regeneration or an applied swap would
        // revert an older edit instead of the change the manager sees last.
        store::Undone::Blocked("swap") => Err(ApiError::conflict("undo_blocked_by_swap")
            .detail("the last change was an applied swap; change the cells by hand instead")),
        store::Undone::Blocked(_) => Err(ApiError::conflict("undo_blocked_by_regeneration")
            .detail("the last change was a regeneration; edit the cells or regenerate instead")),
    }
}

/// Publishes the roster. Members are notified in the app.
pub async fn publish(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
    version: i64,
) -> Result<(), ApiError> {
    let l = load_for_manager(state, group_id, roster_id, viewer).await?;
    let accounts = account_holders(state, group_id).await?;
    let mut tx = state.db.begin().await?;
    store::publish_in(&mut tx, roster_id, version)
        .await
        .map_err(version_conflict)?;
    // With the publication, in its transaction: every member on the roster hears about it.
    let link = format!("/groups/{group_id}/rosters/{roster_id}");
    let notices = l
        .built
        .staff
        .iter()
        .filter(|s| accounts.contains(&s.user))
        .map(|s| Notice {
            recipient: s.user,
            kind: "roster.published",
            params: vec![("name", l.row.name.clone())],
            link: link.clone(),
            group: Some(group_id),
            actor: Some(viewer),
        })
        .collect();
    notify_in(state, &mut tx, notices).await?;
    commit(state, tx).await
}

/// Creates (or replaces) the public share link; returns its token.
pub async fn share(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
) -> Result<String, ApiError> {
    load_for_manager(state, group_id, roster_id, viewer).await?;
    let token = moim_core::secrets::random_token();
    store::set_share_token(&state.db, roster_id, Some(&token)).await?;
    Ok(token)
}

pub async fn unshare(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
) -> Result<(), ApiError> {
    load_for_manager(state, group_id, roster_id, viewer).await?;
    store::set_share_token(&state.db, roster_id, None).await?;
    Ok(())
}

/// The best complete roster of a generation so far (members): what the page swaps in while
/// the search goes on. 409 `no_roster_yet` before the first one.
pub async fn live(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
) -> Result<(moim_core::groups::Role, Loaded), ApiError> {
    let (_, role, l) = load_for_member(state, group_id, roster_id, viewer).await?;
    let l = l.as_live()?.ok_or_else(|| {
        ApiError::conflict("no_roster_yet").detail("the search has not found a roster yet")
    })?;
    Ok((role, l))
}

/// The viewer's personal calendar-feed token for the group's rosters (made on first use).
pub async fn feed_token(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
) -> Result<String, ApiError> {
    access(state, group_id, viewer).await?.member()?;
    Ok(store::feed_token(
        &state.db,
        group_id,
        viewer,
        &moim_core::secrets::random_token(),
    )
    .await?)
}

/// Replaces the viewer's feed token: the old feed URL stops working at once.
pub async fn rotate_feed_token(
    state: &AppState,
    group_id: Uuid,
    viewer: Uuid,
) -> Result<String, ApiError> {
    access(state, group_id, viewer).await?.member()?;
    let token = moim_core::secrets::random_token();
    store::rotate_feed_token(&state.db, group_id, viewer, &token).await?;
    Ok(token)
}

/// A member's personal feed through its token (no sign-in): that member's shifts on the
/// group's published rosters, as published. Returns the rosters, the member, the group's
/// name and time zone.
pub async fn feed(
    state: &AppState,
    token: &str,
) -> Result<(Vec<Loaded>, Uuid, String, String), ApiError> {
    let gone = || ApiError::not_found("feed_not_found");
    if token.len() < 20 {
        return Err(gone());
    }
    let (group_id, user) = store::feed_owner(&state.db, token)
        .await?
        .ok_or_else(gone)?;
    let group = moim_store::groups::get_group(&state.db, group_id)
        .await?
        .ok_or_else(gone)?;
    let mut out = Vec::new();
    for row in store::published_rosters(&state.db, group_id).await? {
        if let Some(l) = Loaded::from_row(row)?.as_published() {
            out.push(l.in_zone(&group.time_zone));
        }
    }
    Ok((out, user, group.name, group.time_zone))
}

/// A roster through its public link (read-only; never the group's other data).
pub async fn shared(state: &AppState, token: &str) -> Result<Loaded, ApiError> {
    if token.len() < 20 {
        return Err(ApiError::not_found("roster_not_found"));
    }
    let row = store::roster_by_token(&state.db, token)
        .await?
        .ok_or_else(|| ApiError::not_found("roster_not_found"))?;
    in_group_zone(state, Loaded::from_row(row)?).await
}

/// Renames a roster (managers); the same rules as a new roster's name.
pub async fn rename(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
    name: &str,
) -> Result<(), ApiError> {
    load_for_manager(state, group_id, roster_id, viewer).await?;
    let name = roster_name(name)?;
    store::rename_roster(&state.db, group_id, roster_id, &name).await?;
    Ok(())
}

fn roster_name(name: &str) -> Result<String, moim_core::FieldError> {
    moim_core::accounts::parse_text("name", name, core::NAME_MAX * 2, true)
}

pub async fn delete(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
) -> Result<(), ApiError> {
    load_for_manager(state, group_id, roster_id, viewer).await?;
    store::delete_roster(&state.db, group_id, roster_id).await?;
    Ok(())
}

/// A link to the setting behind an engine constraint.
pub fn origin_link(group_id: Uuid, built: &Built, constraint: usize) -> Option<String> {
    let base = format!("/groups/{group_id}/rosters/setup");
    Some(match built.origins.get(constraint)? {
        Origin::Condition { id } => format!("{base}#condition-{id}"),
        Origin::Leave { user } => format!("{base}#leave-{user}"),
        Origin::Request { id } => format!("{base}#request-{id}"),
        Origin::Balance => format!("{base}#conditions"),
    })
}

/// Links for one explained issue: its constraints, else its shift type's headcount.
pub fn issue_links(group_id: Uuid, built: &Built, issue: &Issue) -> Vec<String> {
    let mut v: Vec<String> = issue
        .constraints
        .iter()
        .chain(issue.blockers.iter().filter_map(|b| b.constraint.as_ref()))
        .filter_map(|&c| origin_link(group_id, built, c))
        .collect();
    if let Some(s) = issue.shift.and_then(|s| built.shift_types.get(s)) {
        v.push(format!("/groups/{group_id}/rosters/setup#shift-{}", s.id));
    }
    if v.is_empty() {
        v.push(format!("/groups/{group_id}/rosters/setup"));
    }
    v.sort();
    v.dedup();
    v
}

/// Per-member fairness figures: shifts, nights (shifts running past midnight) and weekend days.
pub fn fairness(l: &Loaded) -> Vec<(usize, i64, i64, i64)> {
    let m = &l.built.model;
    (0..l.built.staff.len())
        .map(|e| {
            let (mut shifts, mut nights, mut weekends) = (0, 0, 0);
            for d in 0..m.days() {
                if let Some(s) = l.roster.get(e, d) {
                    shifts += 1;
                    let t = &m.shift_types[s];
                    if t.start_minute + t.length_minutes > 24 * 60 || t.start_minute >= 22 * 60 {
                        nights += 1;
                    }
                    if m.horizon.weekday(d) >= 5 {
                        weekends += 1;
                    }
                }
            }
            (e, shifts, nights, weekends)
        })
        .collect()
}

/// The label of an evaluation source.
pub fn source_label(l: &Loaded, s: Source, lang: core::Lang) -> String {
    let ko = lang == core::Lang::Ko;
    match s {
        Source::Cover if ko => "인원 수".into(),
        Source::Cover => "Headcount".into(),
        Source::Qualification if ko => "근무 가능 유형".into(),
        Source::Qualification => "Who may work it".into(),
        Source::Lock if ko => "고정된 칸".into(),
        Source::Lock => "Locked cells".into(),
        Source::Constraint(i) => l.built.label(i, lang),
    }
}

// ---- swaps ----

pub struct SwapInput {
    /// The requester's own shift being offered.
    pub date: Date,
    /// Ask this member; `None` offers the shift to anyone.
    pub target: Option<Uuid>,
    /// The target's shift taken in exchange; `None` hands the shift over.
    pub target_date: Option<Date>,
}

/// A member offers one of their own shifts (or asks to swap it with another member's).
pub async fn request_swap(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    viewer: Uuid,
    input: &SwapInput,
) -> Result<Uuid, ApiError> {
    let (a, _, l) = load_for_member(state, group_id, roster_id, viewer).await?;
    a.writable()?;
    if l.published.is_none() {
        return Err(ApiError::conflict("not_published"));
    }
    // Only the requester's own shifts: the acting user comes from the session, never the body.
    let e = l
        .built
        .staff_index(viewer)
        .ok_or_else(|| ApiError::forbidden("not_on_roster"))?;
    let d = l
        .built
        .day_of(input.date)
        .ok_or_else(|| ApiError::field("date", "out_of_range"))?;
    if l.roster.get(e, d).is_none() {
        return Err(ApiError::field("date", "not_your_shift"));
    }
    let target_day = match (input.target, input.target_date) {
        (Some(t), Some(td)) => {
            let te = l
                .built
                .staff_index(t)
                .ok_or_else(|| ApiError::field("target_user_id", "not_on_roster"))?;
            let td = l
                .built
                .day_of(td)
                .ok_or_else(|| ApiError::field("target_date", "out_of_range"))?;
            if l.roster.get(te, td).is_none() {
                return Err(ApiError::field("target_date", "no_shift_there"));
            }
            Some(td as i64)
        }
        (None, Some(_)) => return Err(ApiError::field("target_user_id", "required")),
        (t, None) => {
            if t == Some(viewer) {
                return Err(ApiError::field("target_user_id", "is_yourself"));
            }
            if let Some(t) = t {
                l.built
                    .staff_index(t)
                    .ok_or_else(|| ApiError::field("target_user_id", "not_on_roster"))?;
            }
            None
        }
    };
    if input.target == Some(viewer) {
        return Err(ApiError::field("target_user_id", "is_yourself"));
    }
    let accounts = account_holders(state, group_id).await?;
    if input.target.is_some_and(|t| !accounts.contains(&t)) {
        return Err(ApiError::field("target_user_id", "no_account"));
    }
    let mut tx = state.db.begin().await?;
    let id = store::create_swap_in(
        &mut tx,
        roster_id,
        viewer,
        d as i64,
        input.target,
        target_day,
    )
    .await?;
    let requester = l.built.staff[e].name.clone();
    let link = format!("/groups/{group_id}/rosters/{roster_id}#swaps");
    let notices = l
        .built
        .staff
        .iter()
        .filter(|s| input.target.is_none_or(|t| t == s.user) && accounts.contains(&s.user))
        .map(|s| Notice {
            recipient: s.user,
            kind: "roster.swap_requested",
            params: vec![("name", requester.clone())],
            link: link.clone(),
            group: Some(group_id),
            actor: Some(viewer),
        })
        .collect();
    notify_in(state, &mut tx, notices).await?;
    commit(state, tx).await?;
    Ok(id)
}

/// Applies a swap to a roster copy; `Err` names the hard rules it would break.
fn apply_swap(l: &Loaded, swap: &store::Swap, taker: usize) -> Result<Roster, ApiError> {
    let mut r = l.roster.clone();
    let e = l
        .built
        .staff_index(swap.requester)
        .ok_or_else(|| ApiError::conflict("swap_stale"))?;
    let d = swap.day as usize;
    let shift = r
        .get(e, d)
        .ok_or_else(|| ApiError::conflict("swap_stale"))?;
    match swap.target_day {
        Some(td) => {
            let td = td as usize;
            let theirs = r
                .get(taker, td)
                .ok_or_else(|| ApiError::conflict("swap_stale"))?;
            if r.get(taker, d).is_some() && td != d {
                return Err(ApiError::conflict("rule_violation")
                    .detail("the other member already works that day"));
            }
            r.set(e, d, None);
            r.set(taker, td, None);
            r.set(taker, d, Some(shift));
            if r.get(e, td).is_some() {
                return Err(
                    ApiError::conflict("rule_violation").detail("you already work that day")
                );
            }
            r.set(e, td, Some(theirs));
        }
        None => {
            if r.get(taker, d).is_some() {
                return Err(ApiError::conflict("rule_violation")
                    .detail("the other member already works that day"));
            }
            r.set(e, d, None);
            r.set(taker, d, Some(shift));
        }
    }
    // Rule check against everything: the swap may not add hard violations.
    let model =
        l.model_without_locks_on(&[(e, d), (taker, d)], swap.target_day.map(|t| t as usize));
    let before = evaluate(&model, &l.roster).hard_units;
    let after = evaluate(&model, &r);
    if after.hard_units > before {
        let why: Vec<String> = after
            .violations
            .iter()
            .filter(|v| v.employee == Some(e) || v.employee == Some(taker) || v.employee.is_none())
            .map(|v| v.message.clone())
            .take(5)
            .collect();
        return Err(ApiError::conflict("rule_violation").detail(why.join("; ")));
    }
    Ok(r)
}

impl Loaded {
    fn model_without_locks_on(
        &self,
        cells: &[(usize, usize)],
        day2: Option<usize>,
    ) -> roster::model::Model {
        let mut m = self.model();
        m.locks.retain(|lk| {
            !cells.contains(&(lk.employee, lk.day)) && day2.is_none_or(|d| lk.day != d)
        });
        m
    }
}

/// The target (or, for an open offer, any other member on the roster) accepts. With manager
/// approval required the swap waits; otherwise it is rule-checked and applied at once.
pub async fn accept_swap(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    swap_id: Uuid,
    viewer: Uuid,
) -> Result<String, ApiError> {
    let (a, _, l) = load_for_member(state, group_id, roster_id, viewer).await?;
    a.writable()?;
    let swap = store::get_swap(&state.db, roster_id, swap_id)
        .await?
        .ok_or_else(|| ApiError::not_found("swap_not_found"))?;
    if swap.requester == viewer || swap.target.is_some_and(|t| t != viewer) {
        return Err(ApiError::forbidden("not_your_swap"));
    }
    let taker = l
        .built
        .staff_index(viewer)
        .ok_or_else(|| ApiError::forbidden("not_on_roster"))?;
    let applied = apply_swap(&l, &swap, taker)?;
    let (setup, _) = load_setup(state, group_id).await?;
    if setup.swap_needs_approval {
        if !store::move_swap(&state.db, swap_id, "pending", "accepted", Some(viewer)).await? {
            return Err(ApiError::conflict("swap_taken"));
        }
        return Ok("accepted".into());
    }
    commit_swap(
        state,
        roster_id,
        &l,
        swap_id,
        "pending",
        Some(viewer),
        applied,
    )
    .await?;
    Ok("applied".into())
}

async fn commit_swap(
    state: &AppState,
    roster_id: Uuid,
    l: &Loaded,
    swap_id: Uuid,
    from: &str,
    accepted_by: Option<Uuid>,
    applied: Roster,
) -> Result<(), ApiError> {
    let cells = serde_json::to_string(&applied).map_err(ApiError::internal)?;
    let mut tx = state.db.begin().await?;
    let done = store::apply_swap_in(
        &mut tx,
        swap_id,
        from,
        accepted_by,
        roster_id,
        l.row.version,
        &cells,
    )
    .await
    .map_err(version_conflict)?;
    if !done {
        return Err(ApiError::conflict("swap_taken"));
    }
    // The swap as it stands: the requester is known; the taker is who accepted it now or before.
    let swap = store::get_swap(&state.db, roster_id, swap_id)
        .await?
        .map(|mut s| {
            s.accepted_by = accepted_by.or(s.accepted_by);
            s
        });
    if let Some(swap) = swap {
        let notices = [Some(swap.requester), swap.accepted_by]
            .into_iter()
            .flatten()
            .map(|u| Notice {
                recipient: u,
                kind: "roster.swap_applied",
                params: vec![("name", l.row.name.clone())],
                link: format!("/groups/{}/rosters/{roster_id}", l.row.group_id),
                group: Some(l.row.group_id),
                actor: None,
            })
            .collect();
        notify_in(state, &mut tx, notices).await?;
    }
    commit(state, tx).await
}

/// A manager approves an accepted swap (re-checked against the rules now) or declines it.
pub async fn decide_swap(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    swap_id: Uuid,
    viewer: Uuid,
    approve: bool,
) -> Result<String, ApiError> {
    let l = load_for_manager(state, group_id, roster_id, viewer).await?;
    let swap = store::get_swap(&state.db, roster_id, swap_id)
        .await?
        .ok_or_else(|| ApiError::not_found("swap_not_found"))?;
    if !approve {
        if !store::close_swap(&state.db, swap_id, "declined").await? {
            return Err(ApiError::conflict("swap_closed"));
        }
        return Ok("declined".into());
    }
    let taker = swap
        .accepted_by
        .and_then(|u| l.built.staff_index(u))
        .ok_or_else(|| ApiError::conflict("not_accepted"))?;
    let applied = apply_swap(&l, &swap, taker)?;
    commit_swap(state, roster_id, &l, swap_id, "accepted", None, applied).await?;
    Ok("applied".into())
}

/// The requester withdraws a swap that has not been applied.
pub async fn cancel_swap(
    state: &AppState,
    group_id: Uuid,
    roster_id: Uuid,
    swap_id: Uuid,
    viewer: Uuid,
) -> Result<(), ApiError> {
    load_for_member(state, group_id, roster_id, viewer).await?;
    let swap = store::get_swap(&state.db, roster_id, swap_id)
        .await?
        .ok_or_else(|| ApiError::not_found("swap_not_found"))?;
    if swap.requester != viewer {
        return Err(ApiError::forbidden("not_your_swap"));
    }
    if !store::close_swap(&state.db, swap_id, "cancelled").await? {
        return Err(ApiError::conflict("swap_closed"));
    }
    Ok(())
}

// ---- demo data ----

/// Fills a group's setup with a hospital ward's day / evening / night shifts and a few rules
/// (the demo account calls this for its ward group).
pub fn demo_ward_setup() -> Setup {
    let st = |name: &str, start: u32, n: u32, colour: &str| core::ShiftTypeDef {
        id: Uuid::now_v7(),
        name: name.into(),
        start_minute: start,
        length_minutes: 8 * 60 + 30,
        colour: colour.into(),
        headcount: n,
        weekday_headcount: None,
        holiday_headcount: None,
        allowed: vec![],
    };
    let day = st("Day", 7 * 60, 2, "#f6c244");
    let eve = st("Evening", 15 * 60, 2, "#e67e22");
    let night = st("Night", 23 * 60, 1, "#34495e");
    let cond = |name: &str, hard: bool, rule: core::Rule| core::Condition {
        id: Uuid::now_v7(),
        name: name.into(),
        hard,
        weight: 5,
        members: vec![],
        rule,
    };
    Setup {
        conditions: vec![
            cond(
                "No day shift after a night",
                true,
                core::Rule::ForbiddenSuccession {
                    from: night.id,
                    to: day.id,
                },
            ),
            cond(
                "At most 5 days in a row",
                true,
                core::Rule::MaxConsecutiveWork { max: 5 },
            ),
            cond(
                "At most 2 nights a week",
                true,
                core::Rule::ShiftCount {
                    shift_types: vec![night.id],
                    period: core::Period::Week,
                    min: None,
                    max: Some(2),
                },
            ),
            cond(
                "Even weekends",
                false,
                core::Rule::Fairness {
                    measure: core::Measure::Weekends,
                    shift_types: vec![],
                },
            ),
        ],
        shift_types: vec![day, eve, night],
        ..Default::default()
    }
}

/// An office's on-call duty: one person on call every day, at most once a week, evenly.
pub fn demo_office_setup() -> Setup {
    let on_call = core::ShiftTypeDef {
        id: Uuid::now_v7(),
        name: "당직".into(),
        start_minute: 18 * 60,
        length_minutes: 14 * 60,
        colour: "#5b7cfa".into(),
        headcount: 1,
        weekday_headcount: None,
        holiday_headcount: None,
        allowed: vec![],
    };
    Setup {
        conditions: vec![core::Condition {
            id: Uuid::now_v7(),
            name: "주 1회 이하 당직".into(),
            hard: false,
            weight: 20,
            members: vec![],
            rule: core::Rule::ShiftCount {
                shift_types: vec![on_call.id],
                period: core::Period::Week,
                min: None,
                max: Some(1),
            },
        }],
        shift_types: vec![on_call],
        ..Default::default()
    }
}

/// The demo ward: 25 nurses (roster-only people with positions) on day / evening / night, with
/// weekday headcounts, the usual succession and stretch rules, fair nights and weekends, a few
/// leave days and requests in `month` (its first day). `head`: the account that is the head
/// nurse (the group's owner), or none for 25 roster-only people.
pub fn demo_ward_full(month: Date, head: Option<Uuid>) -> Setup {
    let st = |name: &str, start: u32, n: u32, colour: &str| core::ShiftTypeDef {
        id: Uuid::now_v7(),
        name: name.into(),
        start_minute: start,
        length_minutes: 8 * 60 + 30,
        colour: colour.into(),
        headcount: n,
        weekday_headcount: None,
        holiday_headcount: None,
        allowed: vec![],
    };
    let mut day = st("데이", 7 * 60, 5, "#f6c244");
    day.weekday_headcount = Some(vec![5, 5, 5, 5, 5, 4, 4]);
    day.holiday_headcount = Some(4);
    let eve = st("이브닝", 15 * 60, 4, "#e67e22");
    let night = st("나이트", 23 * 60, 3, "#34495e");
    const NAMES: [&str; 25] = [
        "김민지",
        "이서연",
        "박지우",
        "최수아",
        "정하은",
        "강지민",
        "조윤서",
        "윤채원",
        "장서현",
        "임지아",
        "한예은",
        "오수빈",
        "서다은",
        "신유진",
        "권소율",
        "황지유",
        "안하린",
        "송민서",
        "전서윤",
        "홍예린",
        "유지원",
        "고은서",
        "문채은",
        "양시은",
        "배수민",
    ];
    let people: Vec<core::Person> = NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| core::Person {
            id: Uuid::now_v7(),
            name: (*n).into(),
            email: None,
            nickname: None,
            position: match i {
                0 => "수간호사",
                1..=4 => "책임간호사",
                _ => "간호사",
            }
            .into(),
            user: if i == 0 { head } else { None },
        })
        .collect();
    // The head nurse works days only; the newest two do not work nights.
    let head = people[0].roster_id();
    let mut night = night;
    night.allowed = people[1..23].iter().map(|p| p.roster_id()).collect();
    let eve_allowed: Vec<Uuid> = people[1..].iter().map(|p| p.roster_id()).collect();
    let mut eve = eve;
    eve.allowed = eve_allowed;
    let cond = |name: &str, hard: bool, weight: i64, rule: core::Rule| core::Condition {
        id: Uuid::now_v7(),
        name: name.into(),
        hard,
        weight,
        members: vec![],
        rule,
    };
    let on = |d: i8| {
        month
            .checked_add(jiff::Span::new().days(i64::from(d) - 1))
            .unwrap_or(month)
    };
    let mut conditions = vec![
        cond(
            "나이트 다음 날 데이 금지",
            true,
            1,
            core::Rule::ForbiddenSuccession {
                from: night.id,
                to: day.id,
            },
        ),
        cond(
            "나이트 다음 날 이브닝 금지",
            true,
            1,
            core::Rule::ForbiddenSuccession {
                from: night.id,
                to: eve.id,
            },
        ),
        cond(
            "이브닝 다음 날 데이는 되도록 피하기",
            false,
            5,
            core::Rule::ForbiddenSuccession {
                from: eve.id,
                to: day.id,
            },
        ),
        cond(
            "연속 근무 최대 5일",
            true,
            1,
            core::Rule::MaxConsecutiveWork { max: 5 },
        ),
        cond(
            "주당 나이트 최대 2회",
            true,
            1,
            core::Rule::ShiftCount {
                shift_types: vec![night.id],
                period: core::Period::Week,
                min: None,
                max: Some(2),
            },
        ),
        cond(
            "나이트 고르게",
            false,
            3,
            core::Rule::Fairness {
                measure: core::Measure::Shifts,
                shift_types: vec![night.id],
            },
        ),
        cond(
            "주말 근무 고르게",
            false,
            3,
            core::Rule::Fairness {
                measure: core::Measure::Weekends,
                shift_types: vec![],
            },
        ),
    ];
    conditions.push(core::Condition {
        members: vec![head],
        ..cond(
            "수간호사는 주말 근무 최대 1번",
            false,
            10,
            core::Rule::MaxWeekends { max: 1 },
        )
    });
    let leave = [(3, 10), (3, 11), (3, 12), (7, 20), (7, 21), (12, 5)]
        .iter()
        .map(|&(p, d)| core::Leave {
            user: people[p].roster_id(),
            date: on(d),
            kind: "leave".into(),
        })
        .collect();
    let requests = vec![
        core::Request {
            id: Uuid::now_v7(),
            user: people[5].roster_id(),
            date: on(14),
            shift_type: None,
            want: false,
            weight: None,
        },
        core::Request {
            id: Uuid::now_v7(),
            user: people[9].roster_id(),
            date: on(24),
            shift_type: Some(night.id),
            want: true,
            weight: Some(20),
        },
    ];
    Setup {
        people,
        conditions,
        leave,
        requests,
        shift_types: vec![day, eve, night],
        ..Default::default()
    }
}

/// The office: seven colleagues taking the on-call duty in turns; `lead` (the owner's
/// account) is the first of them.
pub fn demo_office_full(lead: Option<Uuid>) -> Setup {
    let mut s = demo_office_setup();
    const NAMES: [&str; 7] = [
        "김도윤",
        "이준호",
        "박서준",
        "최유나",
        "정민재",
        "강하늘",
        "조은비",
    ];
    s.people = NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| core::Person {
            id: Uuid::now_v7(),
            name: (*n).into(),
            email: None,
            nickname: None,
            position: if i == 0 { "팀장" } else { "매니저" }.into(),
            user: if i == 0 { lead } else { None },
        })
        .collect();
    s
}

/// Loads the demo groups for `owner`: the ward "데모 병동" and the office "데모 사무실". Runs
/// again without duplicating anything: the owner's groups of those names get fresh setups.
/// Returns (group id, name) of both.
pub async fn seed_demo_groups(
    db: &moim_store::Db,
    owner: Uuid,
    month: Date,
) -> Result<Vec<(Uuid, String)>, ApiError> {
    let mine = moim_store::groups::my_groups(db, owner, None, 1000).await?;
    let mut out = Vec::new();
    for (name, setup, description) in [
        (
            "데모 병동",
            demo_ward_full(month, Some(owner)),
            "7병동 간호사 25명의 3교대 근무표 (데모)",
        ),
        (
            "데모 사무실",
            demo_office_full(Some(owner)),
            "사무실 7명의 당직 순번 (데모)",
        ),
    ] {
        let id = match mine
            .iter()
            .find(|g| g.group.name == name && g.group.owner_id == owner && g.role == "owner")
        {
            Some(g) => g.group.id,
            None => {
                moim_store::groups::create_group(
                    db,
                    owner,
                    &moim_store::groups::GroupFields {
                        name: name.into(),
                        category: "work".into(),
                        description: description.into(),
                        pledge: String::new(),
                        image_url: None,
                        visibility: "private".into(),
                        join_policy: "invite".into(),
                        capacity: 50,
                        rejoin_allowed: true,
                        starts_on: None,
                        ends_on: None,
                        time_zone: moim_core::accounts::DEFAULT_TIME_ZONE.into(),
                    },
                )
                .await?
                .id
            }
        };
        let json = serde_json::to_string(&setup).map_err(ApiError::internal)?;
        let mut done = false;
        for _ in 0..5 {
            let (_, version) = store::get_setup(db, id).await?;
            match store::put_setup(db, id, &json, version).await {
                Ok(_) => {
                    done = true;
                    break;
                }
                Err(moim_store::Error::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        if !done {
            return Err(ApiError::conflict("busy"));
        }
        out.push((id, name.to_owned()));
    }
    Ok(out)
}

/// Stores a demo setup for a group (replacing what was there).
pub async fn seed_demo(state: &AppState, group_id: Uuid, setup: &Setup) -> Result<(), ApiError> {
    let (_, version) = store::get_setup(&state.db, group_id).await?;
    let json = serde_json::to_string(setup).map_err(ApiError::internal)?;
    store::put_setup(&state.db, group_id, &json, version).await?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The demo setups map onto the engine and solve to rosters that keep every hard rule.
    #[test]
    fn demo_setups_generate_feasible_rosters() {
        let month: Date = "2026-12-01".parse().unwrap();
        for (setup, people) in [
            (demo_ward_setup(), 12),
            (demo_office_setup(), 7),
            (demo_ward_full(month, None), 0),
            (demo_office_full(None), 0),
        ] {
            let mut staff: Vec<Staff> = (0..people)
                .map(|i| Staff {
                    user: Uuid::now_v7(),
                    name: format!("p{i}"),
                })
                .collect();
            staff.extend(core::roster_staff(vec![], &setup));
            let b = core::build_model(&setup, &staff, "2026-12-01".parse().unwrap(), 31, "demo")
                .unwrap();
            assert!(roster::explain::precheck(&b.model).is_empty());
            let r = solve(
                &b.model,
                &SolveOptions {
                    time_limit: Duration::from_secs(5),
                    max_moves: Some(200_000),
                    ..Default::default()
                },
            )
            .unwrap();
            assert!(r.evaluation.feasible(), "{:?}", r.evaluation.violations);
        }
    }
}
