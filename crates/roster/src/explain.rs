//! Explanations a group leader can act on when the hard rules cannot all be met.
//!
//! [`precheck`] runs quick *necessary* conditions before solving (a failed check proves the
//! model infeasible; passing them proves nothing). [`explain`] takes the best roster found and
//! turns each remaining hard violation into an [`Issue`], and for a staffing gap asks, for
//! every person not on that shift, which of their rules would break if they took it.
//!
//! Every [`Issue`] keeps its structure (kind, day, shift, employees, rules, numbers) so the web
//! layer can render it in another language; `message` is the English sentence.
//!
//! # Layout
//! - [`Issue`], [`IssueKind`], [`Blocker`]: the structured result.
//! - [`precheck`]: cover vs. qualified/available staff per day and shift, per day, per shift
//!   type over the horizon, per weekend; per-employee minimum workload vs. availability.
//! - [`explain`]: post-solve explanations.

use serde::{Deserialize, Serialize};

use crate::eval::{Source, evaluate};
use crate::model::{Day, EmpIdx, Model, Roster, Rule, ShiftIdx, Strength};

/// What kind of impossibility an [`Issue`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// A shift on a day needs more people than can work it.
    CoverShortfall,
    /// A day needs more people in total than are available.
    DayShortfall,
    /// Over the horizon a shift type needs more shifts than everyone's limits allow.
    ShiftTypeCapacity,
    /// Weekends need more distinct people than the weekend limits allow.
    WeekendCapacity,
    /// One employee's minimum workload cannot be reached, or their limits contradict.
    EmployeeWorkload,
    /// A remaining hard violation in a solved roster.
    Violation,
}

/// Why one employee cannot help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    pub employee: EmpIdx,
    /// The rule that stops them: an index into `Model::constraints`, or `None` for
    /// qualification / pinned cells (see `reason`).
    pub constraint: Option<usize>,
    /// Short English reason, e.g. "is at the limit of at most 1 working weekends".
    pub reason: String,
}

/// One explained impossibility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub kind: IssueKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<Day>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<ShiftIdx>,
    /// People involved: those who can work it (shortfalls) or the one concerned.
    pub employees: Vec<EmpIdx>,
    /// People who could in principle but are stopped by a rule.
    pub blockers: Vec<Blocker>,
    /// Constraints involved (indices into `Model::constraints`).
    pub constraints: Vec<usize>,
    pub needed: i64,
    pub available: i64,
    pub message: String,
}

fn names(model: &Model, es: &[EmpIdx]) -> String {
    let v: Vec<&str> = es
        .iter()
        .map(|&e| model.employees[e].name.as_str())
        .collect();
    match v.len() {
        0 => "nobody".into(),
        1 => v[0].into(),
        n if n <= 6 => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
        n => format!("{} and {} others", v[..5].join(", "), n - 5),
    }
}

fn shift_name(model: &Model, s: ShiftIdx) -> String {
    let n = &model.shift_types[s].name;
    if n.to_lowercase().contains("shift") {
        n.clone()
    } else {
        format!("{n} shift")
    }
}

/// Per employee, the hard rules that block single cells (unavailability, a horizon limit of
/// 0), so checking a cell does not scan every rule of the model.
struct CellRules {
    by_emp: Vec<Vec<usize>>,
}

impl CellRules {
    fn new(model: &Model) -> CellRules {
        let ne = model.employees.len();
        let mut by_emp = vec![Vec::new(); ne];
        for (i, c) in model.constraints.iter().enumerate() {
            let blocks = matches!(
                c.rule,
                Rule::Unavailable { .. }
                    | Rule::ShiftCount {
                        period: crate::model::Period::Horizon,
                        max: Some(0),
                        ..
                    }
            );
            if c.strength.is_hard() && blocks {
                for e in c.scope.members(ne) {
                    by_emp[e].push(i);
                }
            }
        }
        CellRules { by_emp }
    }
}

/// Hard per-cell reason why `e` cannot work `s` on `d` regardless of the rest of the roster.
fn cell_blocker(
    model: &Model,
    rules: &CellRules,
    e: EmpIdx,
    d: Day,
    s: ShiftIdx,
) -> Option<Blocker> {
    if !model.employees[e].may_work(s) {
        return Some(Blocker {
            employee: e,
            constraint: None,
            reason: format!("does not work {}s", shift_name(model, s)),
        });
    }
    if let Some(l) = model.locks.iter().find(|l| l.employee == e && l.day == d)
        && l.shift != Some(s)
    {
        return Some(Blocker {
            employee: e,
            constraint: None,
            reason: "is pinned to something else that day".into(),
        });
    }
    for &i in &rules.by_emp[e] {
        match &model.constraints[i].rule {
            Rule::Unavailable { days, shifts }
                if days.contains(&d) && (shifts.is_empty() || shifts.contains(&s)) =>
            {
                return Some(Blocker {
                    employee: e,
                    constraint: Some(i),
                    reason: "is unavailable that day".into(),
                });
            }
            Rule::ShiftCount {
                shifts,
                max: Some(0),
                ..
            } if shifts.is_empty() || shifts.contains(&s) => {
                return Some(Blocker {
                    employee: e,
                    constraint: Some(i),
                    reason: format!(
                        "may work no {}s ({})",
                        shift_name(model, s),
                        model.constraint_label(i)
                    ),
                });
            }
            _ => {}
        }
    }
    None
}

fn hard_min_cover(model: &Model) -> Vec<(Day, ShiftIdx, u32)> {
    model
        .cover
        .iter()
        .filter(|c| c.min > 0)
        .map(|c| (c.day, c.shift, c.min))
        .collect()
}

/// Quick necessary checks before solving. An empty result does not prove feasibility.
pub fn precheck(model: &Model) -> Vec<Issue> {
    let mut out = Vec::new();
    if model.validate().is_err() {
        return out;
    }
    let ne = model.employees.len();
    let nd = model.days();
    let mins = hard_min_cover(model);
    let rules = CellRules::new(model);
    // 1. Per day and shift: enough people who may work it at all?
    for &(d, s, min) in &mins {
        let mut can = Vec::new();
        let mut blockers = Vec::new();
        for e in 0..ne {
            match cell_blocker(model, &rules, e, d, s) {
                None => can.push(e),
                Some(b) => blockers.push(b),
            }
        }
        if (can.len() as u32) < min {
            let why: Vec<String> = blockers
                .iter()
                .filter(|b| model.employees[b.employee].may_work(s))
                .take(6)
                .map(|b| format!("{} {}", model.employees[b.employee].name, b.reason))
                .collect();
            let mut message = format!(
                "{}: the {} needs {min}, but only {} can work it ({})",
                model.horizon.day_label(d),
                shift_name(model, s),
                can.len(),
                names(model, &can)
            );
            if !why.is_empty() {
                message.push_str(&format!("; {}", why.join("; ")));
            }
            message.push('.');
            out.push(Issue {
                kind: IssueKind::CoverShortfall,
                day: Some(d),
                shift: Some(s),
                constraints: blockers.iter().filter_map(|b| b.constraint).collect(),
                available: can.len() as i64,
                employees: can,
                blockers,
                needed: min as i64,
                message,
            });
        }
    }
    // 2. Per day: one shift per person, so the day's minimums together need that many people.
    for d in 0..nd {
        let need: u32 = mins.iter().filter(|x| x.0 == d).map(|x| x.2).sum();
        if need == 0 {
            continue;
        }
        let avail: Vec<EmpIdx> = (0..ne)
            .filter(|&e| {
                model
                    .shift_types
                    .iter()
                    .enumerate()
                    .any(|(s, _)| cell_blocker(model, &rules, e, d, s).is_none())
            })
            .collect();
        if (avail.len() as u32) < need {
            out.push(Issue {
                kind: IssueKind::DayShortfall,
                day: Some(d),
                shift: None,
                message: format!(
                    "{}: the shifts need {need} people together, but only {} are available ({}).",
                    model.horizon.day_label(d),
                    avail.len(),
                    names(model, &avail)
                ),
                available: avail.len() as i64,
                employees: avail,
                blockers: vec![],
                constraints: vec![],
                needed: need as i64,
            });
        }
    }
    // Hard horizon-wide limits per employee.
    let horizon_max = |e: EmpIdx, pred: &dyn Fn(&Rule) -> Option<u32>| -> Option<(u32, usize)> {
        model
            .constraints
            .iter()
            .enumerate()
            .filter(|(_, c)| c.strength == Strength::Hard && c.scope.members(ne).contains(&e))
            .filter_map(|(i, c)| pred(&c.rule).map(|m| (m, i)))
            .min()
    };
    // 3. Per shift type over the horizon.
    for s in 0..model.shift_types.len() {
        let need: u32 = mins.iter().filter(|x| x.1 == s).map(|x| x.2).sum();
        if need == 0 {
            continue;
        }
        let mut cap = 0u32;
        let mut limited = Vec::new();
        let mut cons = Vec::new();
        for e in 0..ne {
            if !model.employees[e].may_work(s) {
                continue;
            }
            let lim = horizon_max(e, &|r: &Rule| match r {
                Rule::ShiftCount {
                    shifts,
                    period: crate::model::Period::Horizon,
                    max: Some(m),
                    ..
                } if shifts.is_empty() || shifts.contains(&s) => Some(*m),
                _ => None,
            });
            let days_ok = (0..nd)
                .filter(|&d| cell_blocker(model, &rules, e, d, s).is_none())
                .count() as u32;
            match lim {
                Some((m, i)) if m < days_ok => {
                    cap += m;
                    limited.push(e);
                    cons.push(i);
                }
                _ => cap += days_ok,
            }
        }
        if cap < need {
            cons.sort_unstable();
            cons.dedup();
            out.push(Issue {
                kind: IssueKind::ShiftTypeCapacity,
                day: None,
                shift: Some(s),
                message: format!(
                    "The {}s need {need} people over the period, but everyone's limits together allow only {cap} (limited: {}).",
                    shift_name(model, s),
                    names(model, &limited)
                ),
                employees: limited,
                blockers: vec![],
                constraints: cons,
                needed: need as i64,
                available: cap as i64,
            });
        }
    }
    // 4. Weekends: each weekend needs as many distinct people as its busier day.
    let nw = model.horizon.weekend_count();
    if nw > 0 {
        let mut need = 0u32;
        for k in 0..nw {
            let mut best = 0;
            for d in (0..nd).filter(|&d| model.horizon.weekend_of(d) == Some(k)) {
                best = best.max(mins.iter().filter(|x| x.0 == d).map(|x| x.2).sum::<u32>());
            }
            need += best;
        }
        if need > 0 {
            let mut cap = 0u32;
            let mut cons = Vec::new();
            for e in 0..ne {
                match horizon_max(e, &|r: &Rule| match r {
                    Rule::MaxWeekends { max } => Some(*max),
                    _ => None,
                }) {
                    Some((m, i)) => {
                        cap += m.min(nw as u32);
                        cons.push(i);
                    }
                    None => cap += nw as u32,
                }
            }
            if cap < need {
                cons.sort_unstable();
                cons.dedup();
                out.push(Issue {
                    kind: IssueKind::WeekendCapacity,
                    day: None,
                    shift: None,
                    message: format!(
                        "The weekends need {need} people-weekends in total, but the weekend limits allow only {cap}."
                    ),
                    employees: vec![],
                    blockers: vec![],
                    constraints: cons,
                    needed: need as i64,
                    available: cap as i64,
                });
            }
        }
    }
    // 5. Per employee: minimum minutes vs. what their available days allow, and min > max.
    for e in 0..ne {
        for (i, c) in model.constraints.iter().enumerate() {
            if c.strength != Strength::Hard || !c.scope.members(ne).contains(&e) {
                continue;
            }
            if let Rule::TotalMinutes {
                period: crate::model::Period::Horizon,
                min: Some(min),
                max,
            } = &c.rule
            {
                let best: u64 = (0..nd)
                    .map(|d| {
                        (0..model.shift_types.len())
                            .filter(|&s| cell_blocker(model, &rules, e, d, s).is_none())
                            .map(|s| model.shift_types[s].length_minutes as u64)
                            .max()
                            .unwrap_or(0)
                    })
                    .sum();
                let name = &model.employees[e].name;
                if max.is_some_and(|m| m < *min) {
                    out.push(Issue {
                        kind: IssueKind::EmployeeWorkload,
                        day: None,
                        shift: None,
                        employees: vec![e],
                        blockers: vec![],
                        constraints: vec![i],
                        needed: *min as i64,
                        available: max.unwrap_or(0) as i64,
                        message: format!(
                            "{name} must work at least {} hours but at most {} hours.",
                            min / 60,
                            max.unwrap_or(0) / 60
                        ),
                    });
                } else if best < *min as u64 {
                    out.push(Issue {
                        kind: IssueKind::EmployeeWorkload,
                        day: None,
                        shift: None,
                        employees: vec![e],
                        blockers: vec![],
                        constraints: vec![i],
                        needed: *min as i64,
                        available: best as i64,
                        message: format!(
                            "{name} must work at least {} hours, but their available days allow at most {} hours.",
                            min / 60,
                            best / 60
                        ),
                    });
                }
            }
        }
    }
    out
}

/// Explains the hard violations left in `roster` (typically the solver's best). Staffing gaps
/// list, for each person not on that shift, the rule that would break if they took it.
pub fn explain(model: &Model, roster: &Roster) -> Vec<Issue> {
    if model.validate().is_err() {
        return Vec::new();
    }
    let ev = evaluate(model, roster);
    let rules = CellRules::new(model);
    let mut out = Vec::new();
    // Checking each candidate costs a full evaluation, so explain a bounded number of gaps and
    // try a bounded number of candidates overall (large models stay responsive).
    let mut budget = 20usize;
    let mut evals_left = 300usize;
    for v in &ev.violations {
        let on_shift = |d: Day, s: ShiftIdx| {
            (0..model.employees.len())
                .filter(|&e| roster.get(e, d) == Some(s))
                .collect::<Vec<_>>()
        };
        let needed_at = |d: Day, s: ShiftIdx| {
            model
                .cover
                .iter()
                .filter(|c| c.day == d && c.shift == s)
                .map(|c| c.min)
                .max()
                .unwrap_or(0)
        };
        if v.source == Source::Cover
            && let (Some(d), Some(s)) = (v.day, v.shift)
            && (on_shift(d, s).len() as u32) < needed_at(d, s)
            && budget > 0
        {
            budget -= 1;
            let on = on_shift(d, s);
            let needed = needed_at(d, s);
            let mut blockers = Vec::new();
            let mut free = Vec::new();
            for e in 0..model.employees.len() {
                if on.contains(&e) {
                    continue;
                }
                if let Some(b) = cell_blocker(model, &rules, e, d, s) {
                    if model.employees[e].may_work(s) {
                        blockers.push(b);
                    }
                    continue;
                }
                if evals_left == 0 {
                    break;
                }
                evals_left -= 1;
                // What would break if e took this shift (leaving whatever they do that day)?
                let mut r = roster.clone();
                r.set(e, d, Some(s));
                let after = evaluate(model, &r);
                let mut new: Vec<Blocker> = Vec::new();
                for src in &after.by_source {
                    let before = ev
                        .by_source
                        .iter()
                        .find(|x| x.source == src.source)
                        .map_or(0, |x| x.hard_units);
                    if src.hard_units > before
                        && let Source::Constraint(i) = src.source
                    {
                        new.push(Blocker {
                            employee: e,
                            constraint: Some(i),
                            reason: format!("is at the limit of \"{}\"", model.constraint_label(i)),
                        });
                    }
                }
                let cover_hard = |x: &crate::eval::Evaluation| {
                    x.by_source
                        .iter()
                        .find(|c| c.source == Source::Cover)
                        .map_or(0, |c| c.hard_units)
                };
                if let Some(prev) = roster.get(e, d)
                    && cover_hard(&after) >= cover_hard(&ev)
                    && new.is_empty()
                    && after.hard_units >= ev.hard_units
                {
                    new.push(Blocker {
                        employee: e,
                        constraint: None,
                        reason: format!("is needed on the {}", shift_name(model, prev)),
                    });
                }
                if new.is_empty() {
                    free.push(e);
                }
                blockers.extend(new);
            }
            let mut message = format!(
                "{}: the {} needs {needed}, only {} {} on it",
                model.horizon.day_label(d),
                shift_name(model, s),
                on.len(),
                if on.len() == 1 { "is" } else { "are" }
            );
            if !on.is_empty() {
                message.push_str(&format!(" ({})", names(model, &on)));
            }
            let mut by_emp: Vec<String> = Vec::new();
            for b in blockers.iter().take(8) {
                by_emp.push(format!("{} {}", model.employees[b.employee].name, b.reason));
            }
            if !by_emp.is_empty() {
                message.push_str(&format!("; {}", by_emp.join("; ")));
            }
            if !free.is_empty() {
                message.push_str(&format!(
                    "; {} could take it only by breaking rules elsewhere in the roster",
                    names(model, &free)
                ));
            }
            message.push('.');
            let mut constraints: Vec<usize> =
                blockers.iter().filter_map(|b| b.constraint).collect();
            constraints.sort_unstable();
            constraints.dedup();
            out.push(Issue {
                kind: IssueKind::Violation,
                day: Some(d),
                shift: Some(s),
                available: on.len() as i64,
                employees: on,
                blockers,
                constraints,
                needed: needed as i64,
                message,
            });
            continue;
        }
        let constraints = match v.source {
            Source::Constraint(i) => vec![i],
            _ => vec![],
        };
        let rule = match v.source {
            Source::Constraint(i) => format!(" (rule: {})", model.constraint_label(i)),
            Source::Qualification => " (rule: allowed shift types)".into(),
            Source::Lock => " (rule: pinned cell)".into(),
            Source::Cover => String::new(),
        };
        out.push(Issue {
            kind: IssueKind::Violation,
            day: v.day,
            shift: v.shift,
            employees: v.employee.into_iter().collect(),
            blockers: vec![],
            constraints,
            needed: 0,
            available: 0,
            message: format!("{}{rule}.", v.message),
        });
    }
    out
}
