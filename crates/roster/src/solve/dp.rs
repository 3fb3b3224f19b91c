//! Per-employee re-planning by dynamic programming (placeholder until implemented).

use super::rng::Rng;
use super::state::State;

pub(crate) fn best_row(
    _st: &State<'_>,
    _e: usize,
    _lambda: f64,
    _rng: &mut Rng,
) -> Option<Vec<u16>> {
    None
}
