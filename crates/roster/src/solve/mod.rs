//! The solver: greedy construction, then simulated annealing over a penalised objective
//! (`soft + λ·hard`, λ adapting to how long the search stays infeasible) with single-cell,
//! same-day swap and block moves, plus a per-employee dynamic-programming re-optimisation as a
//! large-neighbourhood move. Anytime: the best roster so far is always kept, lexicographically
//! by (hard units, soft cost).
//!
//! Determinism: one thread + a `max_moves` budget gives the same roster for the same seed on
//! every run (time is then only a safety stop). With more threads, each runs its own search
//! with its own seed and they share the best roster at restarts.
//!
//! # Layout
//! - [`SolveOptions`], [`Progress`], [`SolveResult`], [`solve`]: the public API.
//! - `state`: incremental evaluation (public for tests and benchmarks).
//! - `search`: one search thread.
//! - `rng`: the seeded generator.

mod dp;
pub mod rng;
mod search;
pub mod state;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::eval::{Evaluation, evaluate};
use crate::model::{Model, ModelError, Roster};

/// Progress report: sent whenever the best roster improves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Seconds since the solve started.
    pub elapsed_secs: f64,
    /// Soft cost of the best roster.
    pub best_cost: i64,
    /// Hard-violation units of the best roster (0 = feasible).
    pub hard_violations: i64,
    /// Moves tried so far by the thread that found it.
    pub moves: u64,
}

/// Callback receiving [`Progress`]; called from solver threads.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// How to solve.
#[derive(Clone)]
pub struct SolveOptions {
    /// Wall-clock limit (always honoured).
    pub time_limit: Duration,
    /// Per-thread move budget; with one thread it makes the run reproducible.
    pub max_moves: Option<u64>,
    pub seed: u64,
    /// Search threads (at least 1).
    pub threads: usize,
    /// Set to `true` to stop early; the best roster so far is returned.
    pub cancel: Option<Arc<AtomicBool>>,
    pub progress: Option<ProgressFn>,
    /// Start from this roster (e.g. last month's edited plan) instead of constructing one.
    pub initial: Option<Roster>,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            time_limit: Duration::from_secs(10),
            max_moves: None,
            seed: 1,
            threads: 1,
            cancel: None,
            progress: None,
            initial: None,
        }
    }
}

impl std::fmt::Debug for SolveOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SolveOptions")
            .field("time_limit", &self.time_limit)
            .field("max_moves", &self.max_moves)
            .field("seed", &self.seed)
            .field("threads", &self.threads)
            .field("cancel", &self.cancel.is_some())
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Why the search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    TimeLimit,
    MoveBudget,
    Cancelled,
    /// A roster with cost 0 and no violations cannot be improved.
    Optimal,
}

/// The outcome of [`solve`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SolveResult {
    pub roster: Roster,
    /// Exact evaluation of `roster` by [`crate::eval::evaluate`].
    pub evaluation: Evaluation,
    pub elapsed_secs: f64,
    /// When the returned roster was first found.
    pub time_to_best_secs: f64,
    /// Moves tried over all threads.
    pub moves: u64,
    pub stop: StopReason,
}

/// Failure to start a solve.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    #[error("invalid model: {0}")]
    Model(#[from] ModelError),
}

/// What threads share: the best roster and the means to report it.
pub(crate) struct Shared {
    pub start: Instant,
    pub best: Mutex<Best>,
    pub stop: AtomicBool,
    pub progress: Option<ProgressFn>,
}

#[derive(Clone)]
pub(crate) struct Best {
    pub hard: i64,
    pub soft: i64,
    pub cells: Vec<u16>,
    pub found_at: Duration,
    /// Bumped on every improvement so threads can tell whether to adopt it.
    pub version: u64,
}

impl Shared {
    /// Offers a roster; returns true when it became the shared best.
    pub fn offer(&self, hard: i64, soft: i64, cells: &[u16], moves: u64) -> bool {
        let Ok(mut b) = self.best.lock() else {
            return false;
        };
        if (hard, soft) >= (b.hard, b.soft) {
            return false;
        }
        b.hard = hard;
        b.soft = soft;
        b.cells.clear();
        b.cells.extend_from_slice(cells);
        b.found_at = self.start.elapsed();
        b.version += 1;
        if let Some(p) = &self.progress {
            p(Progress {
                elapsed_secs: b.found_at.as_secs_f64(),
                best_cost: soft,
                hard_violations: hard,
                moves,
            });
        }
        true
    }
}

/// Solves `model` within the limits of `opts` and returns the best roster found with its exact
/// evaluation. Never fails on an infeasible model: the best roster comes back with its
/// remaining violations (see [`crate::explain`]).
pub fn solve(model: &Model, opts: &SolveOptions) -> Result<SolveResult, SolveError> {
    model.validate()?;
    let problem = state::Problem::new(model);
    let start = Instant::now();
    let shared = Shared {
        start,
        best: Mutex::new(Best {
            hard: i64::MAX,
            soft: i64::MAX,
            cells: Vec::new(),
            found_at: Duration::ZERO,
            version: 0,
        }),
        stop: AtomicBool::new(false),
        progress: opts.progress.clone(),
    };
    let threads = opts.threads.max(1);
    let mut outcomes = Vec::new();
    if threads == 1 {
        outcomes.push(search::run(model, &problem, opts, 0, &shared));
    } else {
        std::thread::scope(|sc| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    sc.spawn({
                        let (p, s) = (&problem, &shared);
                        move || search::run(model, p, opts, t, s)
                    })
                })
                .collect();
            for h in handles {
                if let Ok(o) = h.join() {
                    outcomes.push(o);
                }
            }
        });
    }
    let moves = outcomes.iter().map(|o| o.moves).sum();
    let stop = outcomes.first().map_or(StopReason::TimeLimit, |o| o.stop);
    let best = shared.best.into_inner().unwrap_or_else(|e| e.into_inner());
    let roster = if best.cells.is_empty() {
        Roster::for_model(model)
    } else {
        Roster {
            days: problem.nd,
            cells: best
                .cells
                .iter()
                .map(|&v| (v != state::OFF).then_some(v as usize))
                .collect(),
        }
    };
    let evaluation = evaluate(model, &roster);
    Ok(SolveResult {
        roster,
        evaluation,
        elapsed_secs: start.elapsed().as_secs_f64(),
        time_to_best_secs: best.found_at.as_secs_f64(),
        moves,
        stop,
    })
}

pub(crate) fn cancelled(opts: &SolveOptions) -> bool {
    opts.cancel
        .as_ref()
        .is_some_and(|c| c.load(Ordering::Relaxed))
}
