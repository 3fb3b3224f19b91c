//! Incremental evaluation: a compiled form of the model ([`Problem`]) and a mutable roster with
//! running totals ([`State`]).
//!
//! [`State::set`] changes one cell and updates the soft cost and hard units in time that
//! depends on the rules touching that cell and the runs around it, never on the horizon:
//! windowed sums are kept per (employee, rule, window), cover counts per (day, shift), weekend
//! counts per (employee, weekend), and consecutive-run rules re-score only the maximal runs that
//! touch the changed day and its neighbours. Moves are "apply, look, undo if rejected".
//!
//! The totals must always equal `eval::evaluate` on the same roster; `tests/incremental.rs`
//! property-tests that after random changes.
//!
//! # Layout
//! - [`Problem`]: per-employee rule lists, cover tables, cell cost tables, domains.
//! - [`State`]: cells (`u16`, [`OFF`] = day off), counters and totals.

use std::collections::HashMap;

use crate::eval::{cover_cost, minutes_units, range_excess, rest_minutes, window_of};
use crate::model::{Cover, FairnessMeasure, Model, Roster, Rule, Strength};

/// Cell value of a day off.
pub const OFF: u16 = u16::MAX;

/// (soft cost, hard units)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    pub soft: i64,
    pub hard: i64,
}

impl Cost {
    pub(crate) fn add(&mut self, strength: Strength, units: i64) {
        match strength {
            Strength::Hard => self.hard += units,
            Strength::Soft(w) => self.soft += w * units,
        }
    }
}

/// A windowed sum rule for one employee: shift counts or minutes per window.
#[derive(Debug, Clone)]
pub(crate) struct SumTerm {
    /// Amount per cell value; index `ns` is a day off (0).
    pub(crate) amount: Vec<i64>,
    /// Window per day; `None` for a single window.
    pub(crate) window: Option<Vec<u32>>,
    pub(crate) min: Option<u32>,
    pub(crate) max: Option<u32>,
    pub(crate) minutes: bool,
    pub(crate) strength: Strength,
    /// Offset of this term's windows in `State::sums`.
    pub(crate) offset: usize,
}

impl SumTerm {
    pub(crate) fn cost(&self, v: i64) -> i64 {
        let x = range_excess(v, self.min, self.max);
        if self.minutes { minutes_units(x) } else { x }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum RunKind {
    MaxWork,
    MinWork,
    MinOff,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct RunRule {
    pub(crate) kind: RunKind,
    pub(crate) bound: i64,
    pub(crate) strength: Strength,
}

#[derive(Debug, Clone)]
struct FairTerm {
    history: Vec<i64>,
    measure: FairnessMeasure,
    strength: Strength,
}

/// The model compiled for fast incremental evaluation.
#[derive(Debug, Clone)]
pub struct Problem {
    pub ne: usize,
    pub nd: usize,
    pub ns: usize,
    /// Cover entries per `d * ns + s`.
    pub(crate) cover: Vec<Vec<Cover>>,
    /// Index into `cell_tables` per `e * nd + d`, `u32::MAX` when nothing applies.
    cell_index: Vec<u32>,
    /// Per table: cost per value (index `ns` = off).
    cell_tables: Vec<Vec<Cost>>,
    /// Qualification per `e * ns + s`.
    pub(crate) qualified: Vec<bool>,
    /// Pinned value per cell, if any.
    pub locked: Vec<Option<u16>>,
    pub(crate) sums: Vec<Vec<SumTerm>>,
    sums_len: usize,
    pub(crate) runs: Vec<Vec<RunRule>>,
    /// Scan limits per employee for work / off runs (see `State::run_cost_at`).
    run_cap_work: Vec<usize>,
    run_cap_off: Vec<usize>,
    /// Succession matrix index per employee (`usize::MAX` = none).
    succ_index: Vec<usize>,
    /// Per matrix: cost per `(a, b)` with `a, b < ns`.
    succ_tables: Vec<Vec<Cost>>,
    pub(crate) weekend_of: Vec<u32>,
    pub(crate) n_weekends: usize,
    pub(crate) weekend_rules: Vec<Vec<(i64, Strength)>>,
    fair: Vec<FairTerm>,
    /// Per employee: (fair term, position in its member list).
    fair_of: Vec<Vec<(usize, usize)>>,
    pub lengths: Vec<i64>,
    /// Values (shifts, then possibly OFF) an employee may take at all, for move generation.
    pub domain: Vec<Vec<u16>>,
    /// Preferred cover per `d * ns + s` (summed over its entries), [`NO_PREF`] when the cell
    /// has no cover entry; the cover-gap lists of [`State`] are kept against it.
    pref: Vec<i32>,
}

/// `Problem::pref` of a (day, shift) without cover entries: never a gap.
const NO_PREF: i32 = i32::MIN;
/// `State::gap_pos` of a (day, shift) on neither gap list.
const NO_GAP: u32 = u32::MAX;

const NO_WEEKEND: u32 = u32::MAX;

impl Problem {
    pub fn new(model: &Model) -> Problem {
        let (ne, nd, ns) = (model.employees.len(), model.days(), model.shift_types.len());
        let mut cover = vec![Vec::new(); nd * ns];
        for c in &model.cover {
            cover[c.day * ns + c.shift].push(c.clone());
        }
        let mut qualified = vec![false; ne * ns];
        for (e, emp) in model.employees.iter().enumerate() {
            for s in 0..ns {
                qualified[e * ns + s] = emp.may_work(s);
            }
        }
        let mut locked = vec![None; ne * nd];
        for l in &model.locks {
            locked[l.employee * nd + l.day] = Some(l.shift.map_or(OFF, |s| s as u16));
        }
        // Cell tables are built per (e, d) lazily in a map, then flattened.
        let mut cells: HashMap<usize, Vec<Cost>> = HashMap::new();
        macro_rules! cell {
            ($e:expr, $d:expr) => {
                cells
                    .entry($e * nd + $d)
                    .or_insert_with(|| vec![Cost::default(); ns + 1])
            };
        }
        for (e, emp) in model.employees.iter().enumerate() {
            for d in 0..nd {
                for s in 0..ns {
                    if !emp.may_work(s) {
                        cell!(e, d)[s].hard += 1;
                    }
                }
            }
        }
        for l in &model.locks {
            let t = cell!(l.employee, l.day);
            let want = l.shift.unwrap_or(ns);
            for (v, c) in t.iter_mut().enumerate() {
                if v != want {
                    c.hard += 1;
                }
            }
        }
        let mut sums: Vec<Vec<SumTerm>> = vec![Vec::new(); ne];
        let mut sums_len = 0;
        let mut runs: Vec<Vec<RunRule>> = vec![Vec::new(); ne];
        let mut succ: Vec<Option<Vec<Cost>>> = vec![None; ne];
        let mut weekend_rules: Vec<Vec<(i64, Strength)>> = vec![Vec::new(); ne];
        let mut fair = Vec::new();
        let mut fair_of = vec![Vec::new(); ne];
        let lengths: Vec<i64> = model
            .shift_types
            .iter()
            .map(|t| t.length_minutes as i64)
            .collect();
        let windows = |period| -> (Option<Vec<u32>>, usize) {
            let w: Vec<u32> = (0..nd)
                .map(|d| window_of(model, period, d) as u32)
                .collect();
            let n = w.iter().max().map_or(1, |m| *m as usize + 1);
            if n == 1 { (None, 1) } else { (Some(w), n) }
        };
        for c in &model.constraints {
            let members = c.scope.members(ne);
            let st = c.strength;
            match &c.rule {
                Rule::ShiftCount {
                    shifts,
                    period,
                    min,
                    max,
                } => {
                    let (w, n) = windows(*period);
                    let mut amount = vec![0; ns + 1];
                    for (s, a) in amount.iter_mut().enumerate().take(ns) {
                        *a = i64::from(shifts.is_empty() || shifts.contains(&s));
                    }
                    for &e in &members {
                        sums[e].push(SumTerm {
                            amount: amount.clone(),
                            window: w.clone(),
                            min: *min,
                            max: *max,
                            minutes: false,
                            strength: st,
                            offset: sums_len,
                        });
                        sums_len += n;
                    }
                }
                Rule::TotalMinutes { period, min, max } => {
                    let (w, n) = windows(*period);
                    let mut amount = lengths.clone();
                    amount.push(0);
                    for &e in &members {
                        sums[e].push(SumTerm {
                            amount: amount.clone(),
                            window: w.clone(),
                            min: *min,
                            max: *max,
                            minutes: true,
                            strength: st,
                            offset: sums_len,
                        });
                        sums_len += n;
                    }
                }
                Rule::MaxConsecutiveWork { max } => {
                    for &e in &members {
                        runs[e].push(RunRule {
                            kind: RunKind::MaxWork,
                            bound: *max as i64,
                            strength: st,
                        });
                    }
                }
                Rule::MinConsecutiveWork { min } => {
                    for &e in &members {
                        runs[e].push(RunRule {
                            kind: RunKind::MinWork,
                            bound: *min as i64,
                            strength: st,
                        });
                    }
                }
                Rule::MinConsecutiveDaysOff { min } => {
                    for &e in &members {
                        runs[e].push(RunRule {
                            kind: RunKind::MinOff,
                            bound: *min as i64,
                            strength: st,
                        });
                    }
                }
                Rule::ForbiddenSuccession { from, to } => {
                    for &e in &members {
                        let m = succ[e].get_or_insert_with(|| vec![Cost::default(); ns * ns]);
                        m[from * ns + to].add(st, 1);
                    }
                }
                Rule::MinRest { minutes } => {
                    for &e in &members {
                        let m = succ[e].get_or_insert_with(|| vec![Cost::default(); ns * ns]);
                        for a in 0..ns {
                            for b in 0..ns {
                                if rest_minutes(model, a, b) < *minutes as i64 {
                                    m[a * ns + b].add(st, 1);
                                }
                            }
                        }
                    }
                }
                Rule::MaxWeekends { max } => {
                    for &e in &members {
                        weekend_rules[e].push((*max as i64, st));
                    }
                }
                Rule::Unavailable { days, shifts } => {
                    for &e in &members {
                        for &d in days {
                            let t = cell!(e, d);
                            for (s, c) in t.iter_mut().enumerate().take(ns) {
                                if shifts.is_empty() || shifts.contains(&s) {
                                    c.add(st, 1);
                                }
                            }
                        }
                    }
                }
                Rule::ShiftOnRequest { day, shift } => {
                    for &e in &members {
                        let t = cell!(e, *day);
                        for (v, c) in t.iter_mut().enumerate() {
                            let unmet = match shift {
                                Some(s) => v != *s,
                                None => v == ns,
                            };
                            if unmet {
                                c.add(st, 1);
                            }
                        }
                    }
                }
                Rule::ShiftOffRequest { day, shift } => {
                    for &e in &members {
                        let t = cell!(e, *day);
                        for (v, c) in t.iter_mut().enumerate() {
                            let unmet = match shift {
                                Some(s) => v == *s,
                                None => v != ns,
                            };
                            if unmet {
                                c.add(st, 1);
                            }
                        }
                    }
                }
                Rule::Fairness { measure, history } => {
                    if members.is_empty() {
                        continue;
                    }
                    let f = fair.len();
                    for (i, &e) in members.iter().enumerate() {
                        fair_of[e].push((f, i));
                    }
                    let history = (0..members.len())
                        .map(|i| history.get(i).copied().unwrap_or(0))
                        .collect();
                    fair.push(FairTerm {
                        history,
                        measure: measure.clone(),
                        strength: st,
                    });
                }
            }
        }
        let mut cell_index = vec![u32::MAX; ne * nd];
        let mut keys: Vec<usize> = cells.keys().copied().collect();
        keys.sort_unstable();
        let mut cell_tables = Vec::with_capacity(keys.len());
        for k in keys {
            cell_index[k] = cell_tables.len() as u32;
            cell_tables.push(cells.remove(&k).unwrap_or_default());
        }
        let mut succ_tables: Vec<Vec<Cost>> = Vec::new();
        let mut succ_index = vec![usize::MAX; ne];
        for (e, m) in succ.into_iter().enumerate() {
            if let Some(m) = m {
                succ_index[e] = match succ_tables.iter().position(|t| *t == m) {
                    Some(i) => i,
                    None => {
                        succ_tables.push(m);
                        succ_tables.len() - 1
                    }
                };
            }
        }
        let weekend_of: Vec<u32> = (0..nd)
            .map(|d| model.horizon.weekend_of(d).map_or(NO_WEEKEND, |k| k as u32))
            .collect();
        let n_weekends = model.horizon.weekend_count();

        // A shift type whose every count limit is a hard 0 is out of the domain too.
        let mut domain = Vec::with_capacity(ne);
        for e in 0..ne {
            let mut dom: Vec<u16> = (0..ns)
                .filter(|&s| qualified[e * ns + s])
                .filter(|&s| {
                    !sums[e].iter().any(|t| {
                        t.strength.is_hard()
                            && !t.minutes
                            && t.max == Some(0)
                            && t.amount[s] > 0
                            && t.window.is_none()
                    })
                })
                .map(|s| s as u16)
                .collect();
            dom.push(OFF);
            domain.push(dom);
        }
        let cap = |e: usize, kinds: &[fn(RunKind) -> bool]| -> usize {
            let mut c = 0usize;
            for r in &runs[e] {
                if kinds.iter().any(|k| k(r.kind)) {
                    c = c.max(r.bound.max(0) as usize);
                }
            }
            c
        };
        let mut run_cap_work = Vec::with_capacity(ne);
        let mut run_cap_off = Vec::with_capacity(ne);
        for (e, rules) in runs.iter().enumerate() {
            let has_max = rules.iter().any(|r| matches!(r.kind, RunKind::MaxWork));
            run_cap_work.push(if has_max {
                usize::MAX
            } else {
                cap(e, &[|k| matches!(k, RunKind::MinWork)])
            });
            run_cap_off.push(cap(e, &[|k| matches!(k, RunKind::MinOff)]));
        }
        let pref = (0..nd * ns)
            .map(|i| {
                let v = &cover[i];
                if v.is_empty() {
                    NO_PREF
                } else {
                    v.iter().map(|c| c.preferred as i32).sum()
                }
            })
            .collect();
        Problem {
            pref,
            run_cap_work,
            run_cap_off,
            ne,
            nd,
            ns,
            cover,
            cell_index,
            cell_tables,
            qualified,
            locked,
            sums,
            sums_len,
            runs,
            succ_index,
            succ_tables,
            weekend_of,
            n_weekends,
            weekend_rules,
            fair,
            fair_of,
            lengths,
            domain,
        }
    }

    #[inline]
    pub(crate) fn vi(&self, v: u16) -> usize {
        if v == OFF { self.ns } else { v as usize }
    }

    /// Cost of value `v` in cell (e, d) from per-cell rules (requests, availability, locks,
    /// qualification).
    #[inline]
    pub fn cell_cost(&self, e: usize, d: usize, v: u16) -> Cost {
        let i = self.cell_index[e * self.nd + d];
        if i == u32::MAX {
            Cost::default()
        } else {
            self.cell_tables[i as usize][self.vi(v)]
        }
    }

    /// Whether the solver may put `v` in cell (e, d): not pinned elsewhere, no hard per-cell
    /// cost (qualification, unavailability).
    #[inline]
    pub fn can(&self, e: usize, d: usize, v: u16) -> bool {
        if let Some(l) = self.locked[e * self.nd + d] {
            return l == v;
        }
        if v != OFF && !self.qualified[e * self.ns + v as usize] {
            return false;
        }
        self.cell_cost(e, d, v).hard == 0
    }

    fn cover_cost_at(&self, d: usize, s: usize, n: i64) -> Cost {
        let mut c = Cost::default();
        for cv in &self.cover[d * self.ns + s] {
            let (soft, hard) = cover_cost(cv, n);
            c.soft += soft;
            c.hard += hard;
        }
        c
    }

    /// Marginal cover cost of one more (+1) person on (d, s) given `n` now.
    #[inline]
    pub fn cover_delta(&self, d: usize, s: usize, n: i64, plus: bool) -> Cost {
        let a = self.cover_cost_at(d, s, n);
        let b = self.cover_cost_at(d, s, if plus { n + 1 } else { n - 1 });
        Cost {
            soft: b.soft - a.soft,
            hard: b.hard - a.hard,
        }
    }

    pub(crate) fn succ_cost(&self, e: usize, a: u16, b: u16) -> Cost {
        let t = self.succ_index[e];
        if t == usize::MAX || a == OFF || b == OFF {
            return Cost::default();
        }
        self.succ_tables[t][a as usize * self.ns + b as usize]
    }

    fn weekend_cost(&self, e: usize, n: i64) -> Cost {
        let mut c = Cost::default();
        for &(max, st) in &self.weekend_rules[e] {
            c.add(st, (n - max).max(0));
        }
        c
    }

    /// Preferred cover of (d, s) summed over its entries, if any entry exists.
    pub fn preferred(&self, d: usize, s: usize) -> Option<i64> {
        let v = &self.cover[d * self.ns + s];
        (!v.is_empty()).then(|| v.iter().map(|c| c.preferred as i64).sum())
    }

    pub fn has_runs(&self, e: usize) -> bool {
        !self.runs[e].is_empty()
    }
}

/// A roster under incremental evaluation.
#[derive(Debug, Clone)]
pub struct State<'p> {
    pub p: &'p Problem,
    pub cells: Vec<u16>,
    pub cover_n: Vec<i32>,
    pub(crate) sums: Vec<i64>,
    pub(crate) we_days: Vec<u8>,
    pub(crate) we_count: Vec<i32>,
    fair_vals: Vec<Vec<i64>>,
    pub cost: Cost,
    /// (day, shift) indices (`d * ns + s`) below / above their preferred cover, in no order,
    /// so the cover-driven moves can pick a gap in O(1) whatever the horizon; `gap_pos` is
    /// each index's position in its list ([`NO_GAP`] when on neither).
    under: Vec<u32>,
    over: Vec<u32>,
    gap_pos: Vec<u32>,
}

impl<'p> State<'p> {
    /// Starts from everyone off, then applies `roster` (or the locks when none is given).
    pub fn new(p: &'p Problem, model: &Model, roster: Option<&Roster>) -> State<'p> {
        let mut st = State {
            p,
            cells: vec![OFF; p.ne * p.nd],
            cover_n: vec![0; p.nd * p.ns],
            sums: vec![0; p.sums_len],
            we_days: vec![0; p.ne * p.n_weekends.max(1)],
            we_count: vec![0; p.ne],
            fair_vals: p.fair.iter().map(|f| f.history.clone()).collect(),
            cost: Cost::default(),
            under: Vec::new(),
            over: Vec::new(),
            gap_pos: vec![NO_GAP; p.nd * p.ns],
        };
        for i in 0..p.nd * p.ns {
            st.regap(i);
        }
        st.cost = st.full_cost(model);
        let start = roster.cloned().unwrap_or_else(|| Roster::for_model(model));
        for e in 0..p.ne {
            for d in 0..p.nd {
                let v = if start.days == p.nd {
                    start
                        .cells
                        .get(e * p.nd + d)
                        .copied()
                        .flatten()
                        .filter(|&s| s < p.ns)
                } else {
                    None
                };
                if let Some(s) = v {
                    st.set(e, d, s as u16);
                }
            }
        }
        st
    }

    /// Cost of the all-off roster computed from scratch (the base the increments start from).
    fn full_cost(&self, model: &Model) -> Cost {
        let ev = crate::eval::evaluate(model, &Roster::empty(self.p.ne, self.p.nd));
        Cost {
            soft: ev.cost,
            hard: ev.hard_units,
        }
    }

    pub fn roster(&self) -> Roster {
        Roster {
            days: self.p.nd,
            cells: self
                .cells
                .iter()
                .map(|&v| (v != OFF).then_some(v as usize))
                .collect(),
        }
    }

    /// Puts (day, shift) index `i` on the right gap list after its cover count changed.
    fn regap(&mut self, i: usize) {
        let pref = self.p.pref[i];
        let n = self.cover_n[i];
        let want: u8 = if pref == NO_PREF || n == pref {
            0
        } else if n < pref {
            1
        } else {
            2
        };
        let pos = self.gap_pos[i];
        let have: u8 = if pos == NO_GAP {
            0
        } else if self.under.get(pos as usize) == Some(&(i as u32)) {
            1
        } else {
            2
        };
        if want == have {
            return;
        }
        if have != 0 {
            let list = if have == 1 {
                &mut self.under
            } else {
                &mut self.over
            };
            list.swap_remove(pos as usize);
            if let Some(&moved) = list.get(pos as usize) {
                self.gap_pos[moved as usize] = pos;
            }
            self.gap_pos[i] = NO_GAP;
        }
        if want != 0 {
            let list = if want == 1 {
                &mut self.under
            } else {
                &mut self.over
            };
            self.gap_pos[i] = list.len() as u32;
            list.push(i as u32);
        }
    }

    /// (day, shift) indices (`d * ns + s`) below their preferred cover.
    pub fn under_cover(&self) -> &[u32] {
        &self.under
    }

    /// (day, shift) indices (`d * ns + s`) above their preferred cover.
    pub fn over_cover(&self) -> &[u32] {
        &self.over
    }

    #[inline]
    pub fn get(&self, e: usize, d: usize) -> u16 {
        self.cells[e * self.p.nd + d]
    }

    #[inline]
    fn worked(&self, e: usize, d: usize) -> bool {
        self.cells[e * self.p.nd + d] != OFF
    }

    /// Cost of the maximal run containing `pos`. Scanning stops after `cap` days of the run's
    /// kind: a longer run satisfies every minimum, so only a maximum needs its exact length
    /// (`cap` is unbounded for work runs when a maximum exists). This keeps a move's cost
    /// independent of the horizon even for long stretches off.
    fn run_cost_at(&self, e: usize, pos: usize) -> Cost {
        let p = self.p;
        let w = self.worked(e, pos);
        let cap = if w {
            p.run_cap_work[e]
        } else {
            p.run_cap_off[e]
        };
        let mut c = Cost::default();
        if cap == 0 {
            return c;
        }
        let mut l = pos;
        let mut len = 1usize;
        while l > 0 && len < cap && self.worked(e, l - 1) == w {
            l -= 1;
            len += 1;
        }
        let mut r = pos;
        while r + 1 < p.nd && len < cap && self.worked(e, r + 1) == w {
            r += 1;
            len += 1;
        }
        // When the scan stopped at the cap, the edge flags may be wrong, but then the run is
        // at least `cap` long and no minimum applies.
        let inner = l > 0 && r + 1 < p.nd;
        let len = len as i64;
        for rr in &p.runs[e] {
            let units = match (rr.kind, w) {
                (RunKind::MaxWork, true) => (len - rr.bound).max(0),
                (RunKind::MinWork, true) if inner => (rr.bound - len).max(0),
                (RunKind::MinOff, false) if inner => (rr.bound - len).max(0),
                _ => 0,
            };
            c.add(rr.strength, units);
        }
        c
    }

    /// Cost of the distinct runs containing `d - 1`, `d` and `d + 1`: the only runs a change of
    /// day `d` can create, merge, split or resize.
    fn runs_around(&self, e: usize, d: usize) -> Cost {
        let nd = self.p.nd;
        let wd = self.worked(e, d);
        let mut c = self.run_cost_at(e, d);
        let mut add = |x: Cost| {
            c.soft += x.soft;
            c.hard += x.hard;
        };
        if d > 0 && self.worked(e, d - 1) != wd {
            add(self.run_cost_at(e, d - 1));
        }
        if d + 1 < nd && self.worked(e, d + 1) != wd {
            add(self.run_cost_at(e, d + 1));
        }
        c
    }

    fn fair_cost(&self, f: usize) -> Cost {
        let t = &self.p.fair[f];
        let v = &self.fair_vals[f];
        let spread = v.iter().max().copied().unwrap_or(0) - v.iter().min().copied().unwrap_or(0);
        let units = match t.measure {
            FairnessMeasure::Minutes => minutes_units(spread),
            _ => spread,
        };
        let mut c = Cost::default();
        c.add(t.strength, units);
        c
    }

    /// Sets cell (e, d) to `v` and updates the totals. Returns the change in cost.
    pub fn set(&mut self, e: usize, d: usize, v: u16) -> Cost {
        let p = self.p;
        let nd = p.nd;
        let old = self.cells[e * nd + d];
        if old == v {
            return Cost::default();
        }
        let mut delta = Cost::default();
        let mut acc = |c: Cost, sign: i64| {
            delta.soft += sign * c.soft;
            delta.hard += sign * c.hard;
        };
        // Per-cell rules.
        acc(p.cell_cost(e, d, old), -1);
        acc(p.cell_cost(e, d, v), 1);
        // Cover.
        if old != OFF {
            let i = d * p.ns + old as usize;
            acc(
                p.cover_delta(d, old as usize, self.cover_n[i] as i64, false),
                1,
            );
            self.cover_n[i] -= 1;
            self.regap(i);
        }
        if v != OFF {
            let i = d * p.ns + v as usize;
            acc(
                p.cover_delta(d, v as usize, self.cover_n[i] as i64, true),
                1,
            );
            self.cover_n[i] += 1;
            self.regap(i);
        }
        // Windowed sums.
        let (oi, vi) = (p.vi(old), p.vi(v));
        for t in &p.sums[e] {
            let diff = t.amount[vi] - t.amount[oi];
            if diff != 0 {
                let k = t.offset + t.window.as_ref().map_or(0, |w| w[d] as usize);
                let before = self.sums[k];
                let after = before + diff;
                self.sums[k] = after;
                let u = t.cost(after) - t.cost(before);
                let mut c = Cost::default();
                c.add(t.strength, u);
                acc(c, 1);
            }
        }
        // Successions with the neighbours.
        if d > 0 {
            let prev = self.cells[e * nd + d - 1];
            acc(p.succ_cost(e, prev, old), -1);
            acc(p.succ_cost(e, prev, v), 1);
        }
        if d + 1 < nd {
            let next = self.cells[e * nd + d + 1];
            acc(p.succ_cost(e, old, next), -1);
            acc(p.succ_cost(e, v, next), 1);
        }
        let status_changes = (old == OFF) != (v == OFF);
        if status_changes && !p.runs[e].is_empty() {
            acc(self.runs_around(e, d), -1);
            self.cells[e * nd + d] = v;
            acc(self.runs_around(e, d), 1);
        } else {
            self.cells[e * nd + d] = v;
        }
        if status_changes {
            let k = p.weekend_of[d];
            if k != NO_WEEKEND {
                let i = e * p.n_weekends + k as usize;
                let before = self.we_days[i];
                let after = if v == OFF { before - 1 } else { before + 1 };
                self.we_days[i] = after;
                if (before == 0) != (after == 0) {
                    let n = self.we_count[e] as i64;
                    let m = if after == 0 { n - 1 } else { n + 1 };
                    acc(p.weekend_cost(e, n), -1);
                    acc(p.weekend_cost(e, m), 1);
                    self.we_count[e] = m as i32;
                    for &(f, pos) in &p.fair_of[e] {
                        if p.fair[f].measure == FairnessMeasure::Weekends {
                            acc(self.fair_cost(f), -1);
                            self.fair_vals[f][pos] += m - n;
                            acc(self.fair_cost(f), 1);
                        }
                    }
                }
            }
        }
        for &(f, pos) in &p.fair_of[e] {
            let diff = match &p.fair[f].measure {
                FairnessMeasure::Weekends => continue,
                FairnessMeasure::Minutes => {
                    let l = |x: u16| if x == OFF { 0 } else { p.lengths[x as usize] };
                    l(v) - l(old)
                }
                FairnessMeasure::Shifts(set) => {
                    let m = |x: u16| {
                        i64::from(x != OFF && (set.is_empty() || set.contains(&(x as usize))))
                    };
                    m(v) - m(old)
                }
            };
            if diff != 0 {
                acc(self.fair_cost(f), -1);
                self.fair_vals[f][pos] += diff;
                acc(self.fair_cost(f), 1);
            }
        }
        self.cost.soft += delta.soft;
        self.cost.hard += delta.hard;
        delta
    }
}
