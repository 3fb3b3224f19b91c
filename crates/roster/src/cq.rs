//! Reader for the Curtois & Qu shift-scheduling benchmark format (University of Nottingham,
//! 2014) and a plain-text solution format.
//!
//! The benchmark's semantics map onto the model exactly: every staff column becomes a hard
//! rule, days off become hard unavailability, requests are soft with their weights, and cover
//! is soft with `min = 0`, `preferred = requirement`, no maximum. `MaxShifts = 0` becomes "not
//! allowed to work that type" (the same hard rule, but it reads better in explanations).
//!
//! # Layout
//! - [`parse`]: instance text → [`Model`].
//! - [`write_solution`] / [`parse_solution`]: one line per employee, `ID,cell,cell,...`, where a
//!   cell is a shift id or `-` for a day off.

use std::collections::{BTreeMap, HashMap};

use crate::model::{
    Constraint, Cover, Employee, Horizon, Model, Period, Roster, Rule, Scope, ShiftType, Strength,
};

/// A malformed instance or solution file.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("line {line}: {msg}")]
    Line { line: usize, msg: String },
    #[error("missing section {0}")]
    MissingSection(&'static str),
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
}

fn err(line: usize, msg: impl Into<String>) -> FormatError {
    FormatError::Line {
        line,
        msg: msg.into(),
    }
}

fn num<T: std::str::FromStr>(line: usize, s: &str, what: &str) -> Result<T, FormatError> {
    s.trim()
        .parse()
        .map_err(|_| err(line, format!("{what}: not a number: {s:?}")))
}

/// Splits the file into sections of `(line number, fields)`.
fn sections(text: &str) -> BTreeMap<String, Vec<(usize, Vec<String>)>> {
    let mut out: BTreeMap<String, Vec<(usize, Vec<String>)>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            current = None;
            continue;
        }
        if line.starts_with("SECTION_") {
            current = Some(line.to_string());
            out.entry(line.to_string()).or_default();
            continue;
        }
        if let Some(c) = &current {
            let fields = line.split(',').map(|f| f.trim().to_string()).collect();
            out.entry(c.clone()).or_default().push((i + 1, fields));
        }
    }
    out
}

/// Parses a benchmark instance.
pub fn parse(text: &str, name: &str) -> Result<Model, FormatError> {
    let secs = sections(text);
    let get = |k: &'static str| secs.get(k).ok_or(FormatError::MissingSection(k));
    let empty = Vec::new();
    let opt = |k: &str| secs.get(k).unwrap_or(&empty);

    let horizon = get("SECTION_HORIZON")?;
    let (hl, hf) = horizon
        .first()
        .ok_or(FormatError::MissingSection("SECTION_HORIZON"))?;
    let days: usize = num(*hl, &hf[0], "horizon")?;

    let mut shift_types = Vec::new();
    let mut shift_index = HashMap::new();
    let mut succ_raw = Vec::new();
    for (l, f) in get("SECTION_SHIFTS")? {
        if f.len() < 2 {
            return Err(err(*l, "shift line needs an id and a length"));
        }
        shift_index.insert(f[0].clone(), shift_types.len());
        shift_types.push(ShiftType {
            id: f[0].clone(),
            name: f[0].clone(),
            start_minute: 0,
            length_minutes: num(*l, &f[1], "shift length")?,
            colour: None,
        });
        succ_raw.push((*l, f.get(2).cloned().unwrap_or_default()));
    }
    let shift = |l: usize, s: &str| {
        shift_index
            .get(s.trim())
            .copied()
            .ok_or_else(|| err(l, format!("unknown shift {s:?}")))
    };

    let mut constraints = Vec::new();
    for (from, (l, list)) in succ_raw.iter().enumerate() {
        for to in list.split('|').filter(|t| !t.trim().is_empty()) {
            constraints.push(Constraint {
                name: None,
                scope: Scope::All,
                strength: Strength::Hard,
                rule: Rule::ForbiddenSuccession {
                    from,
                    to: shift(*l, to)?,
                },
            });
        }
    }

    // Staff rules are grouped by identical rule so a model with 150 staff stays readable.
    let mut employees = Vec::new();
    let mut emp_index = HashMap::new();
    let mut grouped: Vec<(Rule, Vec<usize>)> = Vec::new();
    let mut add = |rule: Rule, e: usize| match grouped.iter_mut().find(|(r, _)| *r == rule) {
        Some((_, v)) => v.push(e),
        None => grouped.push((rule, vec![e])),
    };
    for (l, f) in get("SECTION_STAFF")? {
        if f.len() < 8 {
            return Err(err(*l, "staff line needs 8 fields"));
        }
        let e = employees.len();
        emp_index.insert(f[0].clone(), e);
        // Types not mentioned are unrestricted in the format; `=0` means never.
        let mut forbidden = Vec::new();
        for item in f[1].split('|').filter(|t| !t.trim().is_empty()) {
            let (sid, max) = item
                .split_once('=')
                .ok_or_else(|| err(*l, format!("bad MaxShifts {item:?}")))?;
            let s = shift(*l, sid)?;
            let max: u32 = num(*l, max, "MaxShifts")?;
            if max == 0 {
                forbidden.push(s);
            } else if (max as usize) < days {
                add(
                    Rule::ShiftCount {
                        shifts: vec![s],
                        period: Period::Horizon,
                        min: None,
                        max: Some(max),
                    },
                    e,
                );
            }
        }
        let mut allowed: Vec<usize> = (0..shift_types.len())
            .filter(|s| !forbidden.contains(s))
            .collect();
        if allowed.is_empty() {
            // An empty allowed list means "everything" in the model, so say "never" explicitly.
            add(
                Rule::ShiftCount {
                    shifts: vec![],
                    period: Period::Horizon,
                    min: None,
                    max: Some(0),
                },
                e,
            );
        } else if allowed.len() == shift_types.len() {
            allowed.clear();
        }
        let max_min: u32 = num(*l, &f[2], "MaxTotalMinutes")?;
        let min_min: u32 = num(*l, &f[3], "MinTotalMinutes")?;
        add(
            Rule::TotalMinutes {
                period: Period::Horizon,
                min: Some(min_min),
                max: Some(max_min),
            },
            e,
        );
        let max_cons: u32 = num(*l, &f[4], "MaxConsecutiveShifts")?;
        if (max_cons as usize) < days {
            add(Rule::MaxConsecutiveWork { max: max_cons }, e);
        }
        let min_cons: u32 = num(*l, &f[5], "MinConsecutiveShifts")?;
        if min_cons > 1 {
            add(Rule::MinConsecutiveWork { min: min_cons }, e);
        }
        let min_off: u32 = num(*l, &f[6], "MinConsecutiveDaysOff")?;
        if min_off > 1 {
            add(Rule::MinConsecutiveDaysOff { min: min_off }, e);
        }
        let max_we: u32 = num(*l, &f[7], "MaxWeekends")?;
        add(Rule::MaxWeekends { max: max_we }, e);
        employees.push(Employee {
            id: f[0].clone(),
            name: f[0].clone(),
            allowed_shifts: allowed,
        });
    }
    for (rule, emps) in grouped {
        constraints.push(Constraint {
            name: None,
            scope: Scope::Employees(emps),
            strength: Strength::Hard,
            rule,
        });
    }
    let emp = |l: usize, s: &str| {
        emp_index
            .get(s.trim())
            .copied()
            .ok_or_else(|| err(l, format!("unknown employee {s:?}")))
    };

    for (l, f) in opt("SECTION_DAYS_OFF") {
        let e = emp(*l, &f[0])?;
        let mut ds = Vec::new();
        for d in &f[1..] {
            if !d.is_empty() {
                ds.push(num(*l, d, "day")?);
            }
        }
        if !ds.is_empty() {
            constraints.push(Constraint {
                name: None,
                scope: Scope::Employees(vec![e]),
                strength: Strength::Hard,
                rule: Rule::Unavailable {
                    days: ds,
                    shifts: vec![],
                },
            });
        }
    }
    for (sec, on) in [
        ("SECTION_SHIFT_ON_REQUESTS", true),
        ("SECTION_SHIFT_OFF_REQUESTS", false),
    ] {
        for (l, f) in opt(sec) {
            if f.len() < 4 {
                return Err(err(*l, "request needs 4 fields"));
            }
            let e = emp(*l, &f[0])?;
            let day: usize = num(*l, &f[1], "day")?;
            let s = Some(shift(*l, &f[2])?);
            let w: i64 = num(*l, &f[3], "weight")?;
            let rule = if on {
                Rule::ShiftOnRequest { day, shift: s }
            } else {
                Rule::ShiftOffRequest { day, shift: s }
            };
            constraints.push(Constraint {
                name: None,
                scope: Scope::Employees(vec![e]),
                strength: Strength::Soft(w),
                rule,
            });
        }
    }
    let mut cover = Vec::new();
    for (l, f) in get("SECTION_COVER")? {
        if f.len() < 5 {
            return Err(err(*l, "cover needs 5 fields"));
        }
        cover.push(Cover {
            day: num(*l, &f[0], "day")?,
            shift: shift(*l, &f[1])?,
            min: 0,
            preferred: num(*l, &f[2], "requirement")?,
            max: None,
            weight_under: num(*l, &f[3], "weight for under")?,
            weight_over: num(*l, &f[4], "weight for over")?,
        });
    }
    let model = Model {
        name: name.to_string(),
        horizon: Horizon {
            days,
            first_weekday: 0,
            start_date: None,
        },
        shift_types,
        employees,
        cover,
        constraints,
        locks: vec![],
    };
    model.validate()?;
    Ok(model)
}

/// Writes a roster as `ID,cell,...` lines (`-` = off).
pub fn write_solution(model: &Model, roster: &Roster) -> String {
    let mut out = String::from("# moim roster solution: one line per employee, '-' is a day off\n");
    for (e, emp) in model.employees.iter().enumerate() {
        out.push_str(&emp.id);
        for d in 0..model.days() {
            out.push(',');
            match roster.get(e, d) {
                Some(s) => out.push_str(&model.shift_types[s].id),
                None => out.push('-'),
            }
        }
        out.push('\n');
    }
    out
}

/// Reads a solution written by [`write_solution`]. Employees not listed are off every day.
pub fn parse_solution(model: &Model, text: &str) -> Result<Roster, FormatError> {
    let mut roster = Roster::empty(model.employees.len(), model.days());
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut it = line.split(',');
        let id = it.next().unwrap_or_default().trim();
        let e = model
            .employees
            .iter()
            .position(|x| x.id == id)
            .ok_or_else(|| err(i + 1, format!("unknown employee {id:?}")))?;
        for (d, cell) in it.enumerate() {
            if d >= model.days() {
                return Err(err(i + 1, "more cells than days"));
            }
            let cell = cell.trim();
            if cell.is_empty() || cell == "-" {
                continue;
            }
            let s = model
                .shift_types
                .iter()
                .position(|t| t.id == cell)
                .ok_or_else(|| err(i + 1, format!("unknown shift {cell:?}")))?;
            roster.set(e, d, Some(s));
        }
    }
    Ok(roster)
}
