//! Per-employee re-planning by dynamic programming, the large-neighbourhood move.
//!
//! With everyone else fixed, one employee's best row is a shortest path over days with state
//! (yesterday's value, length of the current work/off run, minutes worked so far). That state
//! scores exactly: per-cell rules, the marginal cover cost against the others, successions and
//! rest, consecutive-run rules (with the horizon-edge exemption) and one horizon-wide minutes
//! rule. Other windowed counts and the weekend limit are not in the state; they are priced
//! (a Lagrangian-style surcharge per use, raised while the plan breaks them) over a few
//! re-runs. The caller applies the row and accepts or rejects it on the true delta, so an
//! approximation here can cost time but never correctness.
//!
//! The state space is `days × values × run length × minute units`; when that exceeds a budget
//! the minutes dimension is dropped (the rule is then priced like the others), so memory and
//! time stay bounded on long horizons.

use super::rng::Rng;
use super::state::{Cost, OFF, RunKind, State};

/// Whether one shift-count limit joins the state. Exact, but measured slower overall on the
/// benchmark (instances 8 and 12 lost feasibility within 5 s: the larger state makes each DP
/// dearer and the search gets fewer of them), so counts are priced instead.
const TRACK_SHIFT_COUNT: bool = false;

/// Largest `days × states` table we are willing to fill (about 16 MB of back-pointers).
const STATE_BUDGET: usize = 4_000_000;

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}

pub(crate) fn best_row(st: &State<'_>, e: usize, lambda: f64, rng: &mut Rng) -> Option<Vec<u16>> {
    best_row_forced(st, e, lambda, rng, None)
}

/// Like [`best_row`], with cell `(day, value)` forced (the DP half of an ejection move).
pub(crate) fn best_row_forced(
    st: &State<'_>,
    e: usize,
    lambda: f64,
    rng: &mut Rng,
    forced: Option<(usize, u16)>,
) -> Option<Vec<u16>> {
    let p = st.p;
    let (nd, ns) = (p.nd, p.ns);
    let nv = ns + 1; // value index ns = off
    let w = |c: Cost| c.soft as f64 + lambda * c.hard as f64;
    let val = |i: usize| if i == ns { OFF } else { i as u16 };

    // Separable part: per-cell rules + marginal cover against everyone else.
    let mut sep = vec![f64::INFINITY; nd * nv];
    for d in 0..nd {
        let cur = st.get(e, d);
        for i in 0..nv {
            let v = val(i);
            if !p.can(e, d, v) {
                continue;
            }
            let mut c = w(p.cell_cost(e, d, v));
            if v != OFF {
                let n = st.cover_n[d * ns + i] as i64 - i64::from(cur == v);
                c += w(p.cover_delta(d, i, n, true));
            }
            // A little noise so repeated calls explore different optima.
            sep[d * nv + i] = c + rng.unit() * 1e-3;
        }
    }
    if let Some((fd, fv)) = forced {
        for i in 0..nv {
            if val(i) != fv {
                sep[fd * nv + i] = f64::INFINITY;
            }
        }
    }

    let runs = &p.runs[e];
    let bound = move |k: RunKind| {
        runs.iter()
            .filter(move |r| std::mem::discriminant(&r.kind) == std::mem::discriminant(&k))
    };
    let sums = &p.sums[e];
    let Dims {
        rcap,
        mdim,
        unit,
        res,
        wdim,
        cdim,
        cnt,
    } = dims(p, e)?;
    // Minutes, worked weekends and one shift count share one combined index
    // x = (m * wdim + weekends) * cdim + count.
    let mtot = mdim * wdim * cdim;
    let ccap = cdim - 1;
    let cnt_amount = |u: usize| cnt.map_or(0, |ti| sums[ti].amount[u].max(0) as usize);
    // Counting beyond the cap: every further shift is one more unit over the maximum.
    let cnt_over =
        |n: usize| cnt.map_or(0.0, |ti| lambda_units(sums[ti].strength, n as i64, lambda));
    let states = nv * rcap * mtot;
    let idx = |v: usize, r: usize, x: usize| (v * rcap + (r - 1)) * mtot + x;
    let wcap = wdim - 1;
    let we_rules = &p.weekend_rules[e];
    // Cost of one more worked weekend when `n` (capped at wcap) are worked already.
    let weekend_step = |n: usize| -> f64 {
        we_rules
            .iter()
            .filter(|(max, _)| n as i64 + 1 > *max)
            .map(|&(_, st)| lambda_units(st, 1, lambda))
            .sum()
    };
    let no_weekend = u32::MAX;

    // Tables for the inner loop (everything that does not depend on the day).
    let units = |s, n| lambda_units(s, n, lambda);
    let mut succ = vec![0.0f64; nv * nv];
    for v in 0..nv {
        for u in 0..nv {
            succ[v * nv + u] = w(p.succ_cost(e, val(v), val(u)));
        }
    }
    let start_work: f64 = bound(RunKind::MaxWork)
        .filter(|r| 1 > r.bound)
        .map(|r| units(r.strength, 1))
        .sum();
    let mut cont_work = vec![0.0f64; rcap + 1];
    let mut end_work = vec![0.0f64; rcap + 1];
    let mut end_off = vec![0.0f64; rcap + 1];
    for r in 1..=rcap {
        let ri = r as i64;
        cont_work[r] = bound(RunKind::MaxWork)
            .filter(|rr| ri + 1 > rr.bound)
            .map(|rr| units(rr.strength, 1))
            .sum();
        end_work[r] = bound(RunKind::MinWork)
            .map(|rr| units(rr.strength, (rr.bound - ri).max(0)))
            .sum();
        end_off[r] = bound(RunKind::MinOff)
            .map(|rr| units(rr.strength, (rr.bound - ri).max(0)))
            .sum();
    }
    let res_amt: Vec<usize> = (0..nv)
        .map(|u| res.map_or(0, |ti| (sums[ti].amount[u] / unit) as usize))
        .collect();
    let cnt_amt: Vec<usize> = (0..nv).map(cnt_amount).collect();
    let wstep: Vec<f64> = (0..wdim).map(weekend_step).collect();
    let mut su = vec![0.0f64; nv];

    // Surcharges per (day, value) for the priced rules, raised between rounds.
    let mut price = vec![0.0f64; nd * nv];
    let mut best: Option<(f64, Vec<u16>)> = None;
    let mut cur = vec![f64::INFINITY; states];
    let mut next = vec![f64::INFINITY; states];
    let mut back = vec![u32::MAX; nd * states];
    // Lower-bound pruning: with a hard minimum on the minutes in the state, a partial row that
    // cannot reach it even at the longest shift on every remaining day is dropped (about half
    // the states on the benchmark, whose minimums are close to their maximums). When no row
    // reaches the minimum at all, the round is redone without pruning, so the DP still returns
    // the least bad row.
    let need = res.and_then(|ti| {
        let t = &sums[ti];
        if t.strength != crate::model::Strength::Hard {
            return None;
        }
        t.min
            .map(|m| (m as i64 + unit - 1).div_euclid(unit).max(0) as usize)
    });
    let step_max = res_amt.iter().copied().max().unwrap_or(0);
    let mut prune = need.is_some();
    let mut round = 0;
    while round < 3 {
        let reach = |d: usize, m: usize| -> bool {
            !prune || need.is_none_or(|n| m + (nd - 1 - d) * step_max >= n)
        };
        cur.fill(f64::INFINITY);
        // Day 0, coming from the (exempt) days off before the horizon.
        for u in 0..nv {
            let c = sep[u] + price[u];
            if !c.is_finite() {
                continue;
            }
            let m = res.map_or(0, |ti| (sums[ti].amount[u] / unit) as usize);
            if m >= mdim || !reach(0, m) {
                continue;
            }
            let mut c = c;
            let mut wk = 0;
            if wdim > 1 && u != ns && p.weekend_of[0] != no_weekend {
                c += weekend_step(0);
                wk = 1.min(wcap);
            }
            let mut cc = cnt_amount(u);
            if cc > ccap {
                c += cnt_over(cc - ccap);
                cc = ccap;
            }
            let m = (m * wdim + wk) * cdim + cc;
            if u != ns {
                for r in bound(RunKind::MaxWork) {
                    if 1 > r.bound {
                        c += lambda_units(r.strength, 1, lambda);
                    }
                }
            }
            let k = idx(u, 1, m);
            if c < cur[k] {
                cur[k] = c;
                back[k] = u32::MAX;
            }
        }
        for d in 1..nd {
            next.fill(f64::INFINITY);
            let row = &mut back[d * states..(d + 1) * states];
            for (u, x) in su.iter_mut().enumerate() {
                let s = sep[d * nv + u];
                *x = if s.is_finite() {
                    s + price[d * nv + u]
                } else {
                    s
                };
            }
            let wday = p.weekend_of[d];
            let weekend_day = wdim > 1 && wday != no_weekend;
            let same_weekend = wday != no_weekend && p.weekend_of[d - 1] == wday;
            for v in 0..nv {
                let worked_v = v != ns;
                let succ_v = &succ[v * nv..(v + 1) * nv];
                for r in 1..=rcap {
                    // The run of v's kind ends at d-1 when u differs in kind; it touches the
                    // start when it began on day 0 (r == d and not capped).
                    let end_c = if r == d && r < rcap {
                        0.0
                    } else if worked_v {
                        end_work[r]
                    } else {
                        end_off[r]
                    };
                    let cont_c = if worked_v { cont_work[r] } else { 0.0 };
                    let r_same = (r + 1).min(rcap);
                    for x in 0..mtot {
                        let from = idx(v, r, x);
                        let base = cur[from];
                        if !base.is_finite() {
                            continue;
                        }
                        let (cc, rest) = (x % cdim, x / cdim);
                        let (m, wk) = (rest / wdim, rest % wdim);
                        for u in 0..nv {
                            let s = su[u];
                            if !s.is_finite() {
                                continue;
                            }
                            let worked_u = u != ns;
                            let mut c = base + s + succ_v[u];
                            let r2 = if worked_u == worked_v {
                                c += cont_c;
                                r_same
                            } else {
                                c += end_c;
                                if worked_u {
                                    c += start_work;
                                }
                                1
                            };
                            let m2 = m + res_amt[u];
                            if m2 >= mdim || !reach(d, m2) {
                                continue;
                            }
                            let mut wk2 = wk;
                            // A weekend counts once: Sunday after a worked Saturday is free.
                            if weekend_day && worked_u && !(worked_v && same_weekend) {
                                c += wstep[wk];
                                wk2 = (wk + 1).min(wcap);
                            }
                            let mut cc2 = cc + cnt_amt[u];
                            if cc2 > ccap {
                                c += cnt_over(cc2 - ccap);
                                cc2 = ccap;
                            }
                            let k = idx(u, r2, (m2 * wdim + wk2) * cdim + cc2);
                            if c < next[k] {
                                next[k] = c;
                                row[k] = from as u32;
                            }
                        }
                    }
                }
            }
            std::mem::swap(&mut cur, &mut next);
        }
        // Final: add the resource rule's cost; the last run touches the end (exempt).
        let mut end: Option<(f64, usize)> = None;
        for v in 0..nv {
            for r in 1..=rcap {
                for x in 0..mtot {
                    let m = x / cdim / wdim;
                    let cc = x % cdim;
                    let k = idx(v, r, x);
                    let mut c = cur[k];
                    if !c.is_finite() {
                        continue;
                    }
                    if let Some(ti) = cnt {
                        let t = &sums[ti];
                        c += lambda_units(t.strength, t.cost(cc as i64), lambda);
                    }
                    if let Some(ti) = res {
                        let t = &sums[ti];
                        c += lambda_units(t.strength, t.cost(m as i64 * unit), lambda);
                    }
                    if end.is_none_or(|x| c < x.0) {
                        end = Some((c, k));
                    }
                }
            }
        }
        let Some((c, mut k)) = end else {
            if prune {
                prune = false;
                continue;
            }
            return None;
        };
        round += 1;
        let mut row = vec![OFF; nd];
        for d in (0..nd).rev() {
            let v = k / (rcap * mtot);
            row[d] = val(v);
            if d > 0 {
                k = back[d * states + k] as usize;
            }
        }
        // Price the rules the state did not see, and stop when none is broken.
        let broken = surcharge(st, e, &row, lambda, [res, cnt], wdim > 1, &mut price);
        if best.as_ref().is_none_or(|b| c < b.0) || broken == 0 {
            best = Some((c, row));
        }
        if broken == 0 {
            break;
        }
    }
    best.map(|b| b.1)
}

/// The DP's state dimensions for one employee.
struct Dims {
    /// Run lengths tracked: 1..=rcap.
    rcap: usize,
    /// Minute units tracked: 0..mdim (1 when no minutes rule is in the state).
    mdim: usize,
    /// Minutes per unit.
    unit: i64,
    /// Index in `p.sums[e]` of the minutes rule in the state.
    res: Option<usize>,
    /// Worked weekends tracked: 0..wdim (capped at the largest limit + 1; 1 = not tracked).
    wdim: usize,
    /// Shifts counted by rule `p.sums[e][cnt]`: 0..cdim (capped at its maximum + 1).
    cdim: usize,
    cnt: Option<usize>,
}

fn dims(p: &super::state::Problem, e: usize) -> Option<Dims> {
    let (nd, ns) = (p.nd, p.ns);
    let nv = ns + 1;
    let rcap = p.runs[e]
        .iter()
        .map(|r| match r.kind {
            RunKind::MaxWork => r.bound + 1,
            _ => r.bound,
        })
        .max()
        .unwrap_or(1)
        .clamp(1, nd as i64) as usize;
    // The resource dimension: the first horizon-wide minutes rule, if it fits the budget.
    let sums = &p.sums[e];
    let mut res = sums.iter().position(|t| t.minutes && t.window.is_none());
    let mut unit = 1i64;
    let mut mdim = 1usize;
    if let Some(ti) = res {
        let t = &sums[ti];
        unit = (0..ns)
            .filter(|&s| t.amount[s] > 0)
            .fold(0, |g, s| gcd(g, t.amount[s]))
            .max(1);
        let maxlen = (0..ns).map(|s| t.amount[s]).max().unwrap_or(0);
        let top = t
            .max
            .map_or(nd as i64 * maxlen, |m| m as i64 + maxlen)
            .min(nd as i64 * maxlen);
        mdim = (top / unit) as usize + 1;
        if nd * nv * rcap * mdim > STATE_BUDGET {
            res = None;
            mdim = 1;
        }
    }
    let mut wdim = 1usize;
    if p.n_weekends > 0
        && let Some(m) = p.weekend_rules[e].iter().map(|x| x.0).max()
    {
        wdim = ((m.max(0) as usize) + 2).min(p.n_weekends + 1);
        if nd * nv * rcap * mdim * wdim > STATE_BUDGET {
            wdim = 1;
        }
    }
    // One horizon-wide shift-count limit (the tightest) can join the state too.
    let mut cnt = None;
    let mut cdim = 1usize;
    let tight = sums
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.minutes && t.window.is_none() && t.min.is_none())
        .filter_map(|(i, t)| t.max.map(|m| (m as usize, i)))
        .filter(|&(m, _)| m > 0 && m < nd)
        .min();
    if let Some((m, i)) = tight
        && nd * nv * rcap * mdim * wdim * (m + 2) <= STATE_BUDGET
        && TRACK_SHIFT_COUNT
    {
        cnt = Some(i);
        cdim = m + 2;
    }
    (nd * nv * rcap * mdim <= STATE_BUDGET).then_some(Dims {
        cdim,
        cnt,
        wdim,
        rcap,
        mdim,
        unit,
        res,
    })
}

/// Rough number of inner-loop steps of one [`best_row`] call, averaged over employees; the
/// search uses it to give the DP moves a bounded share of the time.
pub(crate) fn ops_estimate(p: &super::state::Problem) -> u64 {
    let nv = (p.ns + 1) as u64;
    let total: u64 = (0..p.ne)
        .filter_map(|e| dims(p, e))
        .map(|d| {
            p.nd as u64
                * nv
                * nv
                * d.rcap as u64
                * d.mdim as u64
                * d.wdim as u64
                * d.cdim as u64
                * 2
        })
        .sum();
    total / p.ne.max(1) as u64
}

fn lambda_units(s: crate::model::Strength, units: i64, lambda: f64) -> f64 {
    match s {
        crate::model::Strength::Hard => lambda * units as f64,
        crate::model::Strength::Soft(w) => (w * units) as f64,
    }
}

/// Adds surcharges for windowed sums (other than the one in the state) and weekend limits the
/// planned row breaks; returns how many such rules it breaks.
fn surcharge(
    st: &State<'_>,
    e: usize,
    row: &[u16],
    lambda: f64,
    exact: [Option<usize>; 2],
    weekends_exact: bool,
    price: &mut [f64],
) -> usize {
    let p = st.p;
    let (nd, ns) = (p.nd, p.ns);
    let nv = ns + 1;
    let mut broken = 0;
    for (ti, t) in p.sums[e].iter().enumerate() {
        if exact.contains(&Some(ti)) {
            continue;
        }
        let win = |d: usize| t.window.as_ref().map_or(0, |w| w[d] as usize);
        let nwin = (0..nd).map(win).max().unwrap_or(0) + 1;
        let mut tot = vec![0i64; nwin];
        for (d, &v) in row.iter().enumerate() {
            tot[win(d)] += t.amount[p.vi(v)];
        }
        for (k, &x) in tot.iter().enumerate() {
            let over = t.max.is_some_and(|m| x > m as i64);
            let under = t.min.is_some_and(|m| x < m as i64);
            if !over && !under {
                continue;
            }
            broken += 1;
            let per = lambda_units(t.strength, 1, lambda) * if t.minutes { 0.5 } else { 0.6 };
            for d in (0..nd).filter(|&d| win(d) == k) {
                for i in 0..ns {
                    if t.amount[i] > 0 {
                        let scale = if t.minutes {
                            t.amount[i] as f64 / 60.0
                        } else {
                            1.0
                        };
                        price[d * nv + i] += if over { per * scale } else { -per * scale };
                    }
                }
            }
        }
    }
    if !weekends_exact && !p.weekend_rules[e].is_empty() && p.n_weekends > 0 {
        let mut worked = vec![false; p.n_weekends];
        for (d, &v) in row.iter().enumerate() {
            let k = p.weekend_of[d];
            if v != OFF && k != u32::MAX {
                worked[k as usize] = true;
            }
        }
        let n = worked.iter().filter(|&&x| x).count() as i64;
        for &(max, s) in &p.weekend_rules[e] {
            if n > max {
                broken += 1;
                let per = lambda_units(s, 1, lambda) * 0.6;
                for d in (0..nd).filter(|&d| p.weekend_of[d] != u32::MAX) {
                    for i in 0..ns {
                        price[d * nv + i] += per;
                    }
                }
            }
        }
    }
    broken
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::solve::state::Problem;

    /// A random benchmark-like model using only rules the DP state scores exactly.
    fn model(rng: &mut Rng, ne: usize, nd: usize, ns: usize) -> Model {
        let mut constraints = Vec::new();
        let hard = Strength::Hard;
        let c = |rule| Constraint {
            name: None,
            scope: Scope::All,
            strength: hard,
            rule,
        };
        constraints.push(c(Rule::MaxConsecutiveWork {
            max: 2 + rng.below(3) as u32,
        }));
        constraints.push(c(Rule::MinConsecutiveWork {
            min: 1 + rng.below(3) as u32,
        }));
        constraints.push(c(Rule::MinConsecutiveDaysOff {
            min: 1 + rng.below(3) as u32,
        }));
        constraints.push(c(Rule::TotalMinutes {
            period: Period::Horizon,
            min: Some(480 * rng.below(3) as u32),
            max: Some(480 * (2 + rng.below(3)) as u32),
        }));
        constraints.push(c(Rule::ForbiddenSuccession {
            from: ns - 1,
            to: 0,
        }));
        for _ in 0..4 {
            constraints.push(Constraint {
                name: None,
                scope: Scope::Employees(vec![rng.below(ne)]),
                strength: Strength::Soft(1 + rng.below(3) as i64),
                rule: Rule::ShiftOnRequest {
                    day: rng.below(nd),
                    shift: Some(rng.below(ns)),
                },
            });
        }
        let cover = (0..nd)
            .flat_map(|d| (0..ns).map(move |s| (d, s)))
            .map(|(day, shift)| Cover {
                day,
                shift,
                min: 0,
                preferred: rng.below(3) as u32,
                max: None,
                weight_under: 100,
                weight_over: 1,
            })
            .collect();
        Model {
            name: "dp".into(),
            horizon: Horizon {
                days: nd,
                first_weekday: 0,
                start_date: None,
            },
            shift_types: (0..ns)
                .map(|i| ShiftType {
                    id: format!("S{i}"),
                    name: format!("S{i}"),
                    start_minute: 0,
                    length_minutes: 480,
                    colour: None,
                })
                .collect(),
            employees: (0..ne)
                .map(|i| Employee {
                    id: format!("{i}"),
                    name: format!("{i}"),
                    allowed_shifts: vec![],
                })
                .collect(),
            cover,
            constraints,
            locks: vec![],
        }
    }

    #[test]
    fn dp_row_is_the_best_single_employee_row() {
        let mut rng = Rng::new(5);
        for _case in 0..60 {
            let (ne, nd, ns) = (3, 8, 2);
            let m = model(&mut rng, ne, nd, ns);
            let p = Problem::new(&m);
            let mut start = Roster::empty(ne, nd);
            for c in start.cells.iter_mut() {
                let v = rng.below(ns + 1);
                *c = (v < ns).then_some(v);
            }
            let mut st = State::new(&p, &m, Some(&start));
            let e = rng.below(ne);
            let lambda = 1000.0;
            let obj = |c: Cost| c.soft as f64 + lambda * c.hard as f64;
            // Brute force over e's rows.
            let mut best = f64::INFINITY;
            for code in 0..(ns + 1).pow(nd as u32) {
                let mut x = code;
                for d in 0..nd {
                    let v = x % (ns + 1);
                    x /= ns + 1;
                    st.set(e, d, if v == ns { OFF } else { v as u16 });
                }
                best = best.min(obj(st.cost));
            }
            let row = best_row(&st, e, lambda, &mut rng).expect("a row");
            for (d, v) in row.into_iter().enumerate() {
                st.set(e, d, v);
            }
            assert_eq!(obj(st.cost), best, "case {_case}");
        }
    }
}
