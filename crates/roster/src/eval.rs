//! The exact evaluator: cost of a roster, broken down per rule, per employee and per day, and
//! the list of hard violations.
//!
//! This is the reference implementation of the model's semantics and is written for clarity,
//! not speed: every rule is recomputed from the whole roster. The solver keeps its own
//! incremental state (`solve::state`) and is property-tested against this module.
//!
//! # Layout
//! - [`evaluate`]: the entry point.
//! - [`Evaluation`], [`SourceCost`], [`Violation`], [`Source`]: the result.
//! - Unit helpers ([`minutes_units`]) shared with the incremental state so both agree exactly.

use serde::{Deserialize, Serialize};

use crate::model::{Day, EmpIdx, FairnessMeasure, Model, Period, Roster, Rule, ShiftIdx, Strength};

/// Where a cost or violation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Staffing levels ([`crate::model::Cover`]).
    Cover,
    /// An employee works a shift type they are not allowed to.
    Qualification,
    /// A pinned cell was changed.
    Lock,
    /// `Model::constraints[i]`.
    Constraint(usize),
}

/// Cost and hard-violation units of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCost {
    pub source: Source,
    pub label: String,
    pub hard: bool,
    /// Soft cost (0 for hard rules).
    pub cost: i64,
    /// Units of hard violation (0 for soft rules).
    pub hard_units: i64,
}

/// One broken hard rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee: Option<EmpIdx>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<Day>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<ShiftIdx>,
    pub units: i64,
    pub message: String,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Soft cost: the objective. Meaningful as "the" cost only when `hard_units == 0`.
    pub cost: i64,
    /// Total units of hard violation.
    pub hard_units: i64,
    pub by_source: Vec<SourceCost>,
    /// Soft cost attributable to one employee (requests, their soft rules). Cover and fairness
    /// costs belong to the group and are not in here.
    pub by_employee: Vec<i64>,
    /// Soft cost attributable to a day (cover, requests, runs by their first day).
    pub by_day: Vec<i64>,
    pub violations: Vec<Violation>,
}

impl Evaluation {
    pub fn feasible(&self) -> bool {
        self.hard_units == 0
    }
}

/// Minutes are counted in started hours, so a 30-minute overrun is one unit.
pub fn minutes_units(m: i64) -> i64 {
    (m + 59).div_euclid(60)
}

/// `(below min) + (above max)` for a value and optional bounds.
pub fn range_excess(v: i64, min: Option<u32>, max: Option<u32>) -> i64 {
    let lo = min.map_or(0, |m| (m as i64 - v).max(0));
    let hi = max.map_or(0, |m| (v - m as i64).max(0));
    lo + hi
}

/// Window index of `day` for a period.
pub fn window_of(model: &Model, period: Period, day: Day) -> usize {
    match period {
        Period::Horizon => 0,
        Period::Week => model.horizon.week_of(day),
        Period::Month => model.horizon.month_of(day),
    }
}

/// Cost of `n` people on a cover entry: (soft, hard units).
pub fn cover_cost(c: &crate::model::Cover, n: i64) -> (i64, i64) {
    let p = c.preferred as i64;
    let soft = c.weight_under * (p - n).max(0) + c.weight_over * (n - p).max(0);
    let hard = (c.min as i64 - n).max(0) + c.max.map_or(0, |m| (n - m as i64).max(0));
    (soft, hard)
}

/// Rest in minutes between shift `a` on one day and shift `b` on the next.
pub fn rest_minutes(model: &Model, a: ShiftIdx, b: ShiftIdx) -> i64 {
    let (ta, tb) = (&model.shift_types[a], &model.shift_types[b]);
    1440 + tb.start_minute as i64 - (ta.start_minute as i64 + ta.length_minutes as i64)
}

/// Value of a fairness measure for one employee's row.
pub fn fairness_value(model: &Model, measure: &FairnessMeasure, row: &[Option<ShiftIdx>]) -> i64 {
    match measure {
        FairnessMeasure::Minutes => row
            .iter()
            .flatten()
            .map(|&s| model.shift_types[s].length_minutes as i64)
            .sum(),
        FairnessMeasure::Shifts(v) => row
            .iter()
            .flatten()
            .filter(|s| v.is_empty() || v.contains(s))
            .count() as i64,
        FairnessMeasure::Weekends => {
            let mut worked = vec![false; model.horizon.weekend_count()];
            for (d, s) in row.iter().enumerate() {
                if let (Some(_), Some(k)) = (s, model.horizon.weekend_of(d)) {
                    worked[k] = true;
                }
            }
            worked.iter().filter(|&&w| w).count() as i64
        }
    }
}

/// Maximal runs `(start, len, worked)` of a row.
fn runs(row: &[Option<ShiftIdx>]) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    let mut start = 0;
    for d in 1..=row.len() {
        if d == row.len() || row[d].is_some() != row[start].is_some() {
            out.push((start, d - start, row[start].is_some()));
            start = d;
        }
    }
    out
}

struct Acc<'a> {
    model: &'a Model,
    eval: Evaluation,
}

impl Acc<'_> {
    /// Records `units` of violation of a source with the given strength.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        idx: usize,
        strength: Strength,
        units: i64,
        employee: Option<EmpIdx>,
        day: Option<Day>,
        shift: Option<ShiftIdx>,
        what: impl FnOnce() -> String,
    ) {
        if units == 0 {
            return;
        }
        let sc = &mut self.eval.by_source[idx];
        match strength {
            Strength::Hard => {
                sc.hard_units += units;
                self.eval.hard_units += units;
                let who = employee.map(|e| self.model.employees[e].name.clone());
                let when = day.map(|d| self.model.horizon.day_label(d));
                let mut msg = String::new();
                if let Some(w) = when {
                    msg.push_str(&w);
                    msg.push_str(": ");
                }
                if let Some(w) = who {
                    msg.push_str(&w);
                    msg.push_str(": ");
                }
                msg.push_str(&what());
                self.eval.violations.push(Violation {
                    source: sc.source,
                    employee,
                    day,
                    shift,
                    units,
                    message: msg,
                });
            }
            Strength::Soft(w) => {
                let c = w * units;
                sc.cost += c;
                self.eval.cost += c;
                if let Some(e) = employee {
                    self.eval.by_employee[e] += c;
                }
                if let Some(d) = day {
                    self.eval.by_day[d] += c;
                }
            }
        }
    }
}

/// Evaluates `roster` against every rule of `model`. The model must be valid
/// ([`Model::validate`]) and the roster must have the model's shape; cells naming unknown shift
/// types are treated as days off.
pub fn evaluate(model: &Model, roster: &Roster) -> Evaluation {
    let (ne, nd, ns) = (model.employees.len(), model.days(), model.shift_types.len());
    let mut by_source = vec![
        SourceCost {
            source: Source::Cover,
            label: "staffing levels".into(),
            hard: false,
            cost: 0,
            hard_units: 0,
        },
        SourceCost {
            source: Source::Qualification,
            label: "allowed shift types".into(),
            hard: true,
            cost: 0,
            hard_units: 0,
        },
        SourceCost {
            source: Source::Lock,
            label: "pinned cells".into(),
            hard: true,
            cost: 0,
            hard_units: 0,
        },
    ];
    for (i, c) in model.constraints.iter().enumerate() {
        by_source.push(SourceCost {
            source: Source::Constraint(i),
            label: model.constraint_label(i),
            hard: c.strength.is_hard(),
            cost: 0,
            hard_units: 0,
        });
    }
    let mut acc = Acc {
        model,
        eval: Evaluation {
            cost: 0,
            hard_units: 0,
            by_source,
            by_employee: vec![0; ne],
            by_day: vec![0; nd],
            violations: Vec::new(),
        },
    };
    // Normalise the roster: unknown shift types and a wrong shape become days off.
    let cell = |e: usize, d: usize| -> Option<ShiftIdx> {
        if roster.days != nd {
            return None;
        }
        roster
            .cells
            .get(e * nd + d)
            .copied()
            .flatten()
            .filter(|&s| s < ns)
    };
    let rows: Vec<Vec<Option<ShiftIdx>>> = (0..ne)
        .map(|e| (0..nd).map(|d| cell(e, d)).collect())
        .collect();
    let sname = |s: ShiftIdx| model.shift_types[s].name.clone();

    // Cover: soft part and hard min/max, one entry at a time.
    let mut count = vec![0i64; nd * ns];
    for row in &rows {
        for (d, s) in row.iter().enumerate() {
            if let Some(s) = s {
                count[d * ns + s] += 1;
            }
        }
    }
    for c in &model.cover {
        let n = count[c.day * ns + c.shift];
        let (soft, hard) = cover_cost(c, n);
        acc.eval.by_source[0].cost += soft;
        acc.eval.cost += soft;
        acc.eval.by_day[c.day] += soft;
        if hard > 0 {
            acc.eval.by_source[0].hard = true;
            acc.add(
                0,
                Strength::Hard,
                hard,
                None,
                Some(c.day),
                Some(c.shift),
                || {
                    if (n as u32) < c.min {
                        format!(
                            "{} has {n} people, needs at least {}",
                            sname(c.shift),
                            c.min
                        )
                    } else {
                        format!(
                            "{} has {n} people, allows at most {}",
                            sname(c.shift),
                            c.max.unwrap_or(0)
                        )
                    }
                },
            );
        }
    }

    // Qualifications and locks.
    for (e, row) in rows.iter().enumerate() {
        for (d, s) in row.iter().enumerate() {
            if let Some(s) = *s
                && !model.employees[e].may_work(s)
            {
                acc.add(1, Strength::Hard, 1, Some(e), Some(d), Some(s), || {
                    format!("is not allowed to work {}", sname(s))
                });
            }
        }
    }
    for l in &model.locks {
        let got = rows[l.employee][l.day];
        if got != l.shift {
            acc.add(
                2,
                Strength::Hard,
                1,
                Some(l.employee),
                Some(l.day),
                l.shift,
                || {
                    format!(
                        "pinned to {}",
                        l.shift.map_or("a day off".to_string(), sname)
                    )
                },
            );
        }
    }

    for (ci, c) in model.constraints.iter().enumerate() {
        let idx = ci + 3;
        let st = c.strength;
        let members = c.scope.members(ne);
        if let Rule::Fairness { measure, history } = &c.rule {
            if members.is_empty() {
                continue;
            }
            let vals: Vec<i64> = members
                .iter()
                .enumerate()
                .map(|(i, &e)| {
                    history.get(i).copied().unwrap_or(0) + fairness_value(model, measure, &rows[e])
                })
                .collect();
            let spread =
                vals.iter().max().copied().unwrap_or(0) - vals.iter().min().copied().unwrap_or(0);
            let units = match measure {
                FairnessMeasure::Minutes => minutes_units(spread),
                _ => spread,
            };
            acc.add(idx, st, units, None, None, None, || {
                format!("spread between employees is {spread}")
            });
            continue;
        }
        for &e in &members {
            let row = &rows[e];
            match &c.rule {
                Rule::ShiftCount {
                    shifts,
                    period,
                    min,
                    max,
                } => {
                    let mut windows: Vec<(usize, i64)> = Vec::new();
                    for (d, s) in row.iter().enumerate() {
                        let w = window_of(model, *period, d);
                        if windows.last().is_none_or(|x| x.0 != w) {
                            windows.push((w, 0));
                        }
                        if let Some(s) = s
                            && (shifts.is_empty() || shifts.contains(s))
                            && let Some(last) = windows.last_mut()
                        {
                            last.1 += 1;
                        }
                    }
                    for (w, n) in windows {
                        let units = range_excess(n, *min, *max);
                        acc.add(idx, st, units, Some(e), None, None, || {
                            format!("works {n} such shifts in {period:?} window {w}")
                        });
                    }
                }
                Rule::TotalMinutes { period, min, max } => {
                    let mut windows: Vec<(usize, i64)> = Vec::new();
                    for (d, s) in row.iter().enumerate() {
                        let w = window_of(model, *period, d);
                        if windows.last().is_none_or(|x| x.0 != w) {
                            windows.push((w, 0));
                        }
                        if let (Some(s), Some(last)) = (s, windows.last_mut()) {
                            last.1 += model.shift_types[*s].length_minutes as i64;
                        }
                    }
                    for (w, m) in windows {
                        let units = minutes_units(range_excess(m, *min, *max));
                        acc.add(idx, st, units, Some(e), None, None, || {
                            format!("works {m} minutes in {period:?} window {w}")
                        });
                    }
                }
                Rule::MaxConsecutiveWork { max } => {
                    for (start, len, worked) in runs(row) {
                        if worked {
                            let units = (len as i64 - *max as i64).max(0);
                            acc.add(idx, st, units, Some(e), Some(start), None, || {
                                format!("works {len} days in a row (max {max})")
                            });
                        }
                    }
                }
                Rule::MinConsecutiveWork { min } | Rule::MinConsecutiveDaysOff { min } => {
                    let want_worked = matches!(c.rule, Rule::MinConsecutiveWork { .. });
                    for (start, len, worked) in runs(row) {
                        if worked == want_worked && start > 0 && start + len < nd {
                            let units = (*min as i64 - len as i64).max(0);
                            acc.add(idx, st, units, Some(e), Some(start), None, || {
                                let what = if worked { "working days" } else { "days off" };
                                format!("has only {len} {what} in a row (min {min})")
                            });
                        }
                    }
                }
                Rule::ForbiddenSuccession { from, to } => {
                    for d in 0..nd.saturating_sub(1) {
                        if row[d] == Some(*from) && row[d + 1] == Some(*to) {
                            acc.add(idx, st, 1, Some(e), Some(d + 1), Some(*to), || {
                                format!("{} follows {}", sname(*to), sname(*from))
                            });
                        }
                    }
                }
                Rule::MinRest { minutes } => {
                    for d in 0..nd.saturating_sub(1) {
                        if let (Some(a), Some(b)) = (row[d], row[d + 1]) {
                            let rest = rest_minutes(model, a, b);
                            if rest < *minutes as i64 {
                                acc.add(idx, st, 1, Some(e), Some(d + 1), Some(b), || {
                                    format!(
                                        "only {} h rest between {} and {}",
                                        rest / 60,
                                        sname(a),
                                        sname(b)
                                    )
                                });
                            }
                        }
                    }
                }
                Rule::MaxWeekends { max } => {
                    let n = fairness_value(model, &FairnessMeasure::Weekends, row);
                    let units = (n - *max as i64).max(0);
                    acc.add(idx, st, units, Some(e), None, None, || {
                        format!("works {n} weekends (max {max})")
                    });
                }
                Rule::Unavailable { days, shifts } => {
                    for &d in days {
                        if let Some(s) = row[d]
                            && (shifts.is_empty() || shifts.contains(&s))
                        {
                            acc.add(idx, st, 1, Some(e), Some(d), Some(s), || {
                                format!("works {} on a day they are unavailable", sname(s))
                            });
                        }
                    }
                }
                Rule::ShiftOnRequest { day, shift } => {
                    let unmet = match shift {
                        Some(s) => row[*day] != Some(*s),
                        None => row[*day].is_none(),
                    };
                    if unmet {
                        acc.add(idx, st, 1, Some(e), Some(*day), *shift, || {
                            "shift request not met".into()
                        });
                    }
                }
                Rule::ShiftOffRequest { day, shift } => {
                    let unmet = match shift {
                        Some(s) => row[*day] == Some(*s),
                        None => row[*day].is_some(),
                    };
                    if unmet {
                        acc.add(idx, st, 1, Some(e), Some(*day), *shift, || {
                            "day-off request not met".into()
                        });
                    }
                }
                Rule::Fairness { .. } => {}
            }
        }
    }
    acc.eval
}
