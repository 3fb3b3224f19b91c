//! The roster model: what has to be scheduled and which rules apply.
//!
//! A [`Model`] is plain data (serde on everything) so the web layer can store it as JSON and
//! the benchmark reader can build it. Everything refers to shift types and employees by their
//! **index** in [`Model::shift_types`] / [`Model::employees`]; the string ids are for display and
//! file formats only. Days are indices `0..horizon.days`.
//!
//! # Layout
//! - [`Horizon`]: number of days, weekday of day 0, optional ISO start date (for month windows).
//! - [`ShiftType`], [`Employee`], [`Cover`]: the things being scheduled.
//! - [`Constraint`] = who it applies to ([`Scope`]) + how strict ([`Strength`]) + what ([`Rule`]).
//! - [`Lock`]: pinned cells the solver never changes.
//! - [`Roster`]: a solution, one `Option<shift>` per employee and day.
//!
//! Conventions, stated once so the UI can repeat them: weeks start on **Monday**; a weekend is a
//! Saturday and the following Sunday, worked when either day is worked; a calendar month is
//! taken from `Horizon::start_date` (without a date the whole horizon is one "month").

use serde::{Deserialize, Serialize};

/// Index of a shift type in [`Model::shift_types`].
pub type ShiftIdx = usize;
/// Index of an employee in [`Model::employees`].
pub type EmpIdx = usize;
/// Index of a day in the horizon (0-based).
pub type Day = usize;

/// The planning horizon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Horizon {
    pub days: usize,
    /// Weekday of day 0: 0 = Monday … 6 = Sunday.
    pub first_weekday: u8,
    /// ISO date (`YYYY-MM-DD`) of day 0, if the roster is tied to the calendar; needed only for
    /// [`Period::Month`] windows and for printing dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
}

impl Horizon {
    /// Weekday of `day`, 0 = Monday.
    pub fn weekday(&self, day: Day) -> u8 {
        ((self.first_weekday as usize + day) % 7) as u8
    }

    /// Index of the weekend that `day` belongs to, if it is a Saturday or Sunday. Weekend `k`
    /// groups a Saturday with the following Sunday; a horizon starting on a Sunday has that
    /// Sunday as a weekend of its own.
    pub fn weekend_of(&self, day: Day) -> Option<usize> {
        let wd = self.weekday(day);
        if wd < 5 {
            return None;
        }
        // Counting absolute weekdays from day 0's Monday, `a + 2` is a multiple of 7 exactly on
        // Saturdays, so `(a + 2) / 7` numbers weekends; the first one in any horizon gets 1.
        let a = self.first_weekday as usize + day;
        Some((a + 2) / 7 - 1)
    }

    /// Number of distinct weekend indices in the horizon.
    pub fn weekend_count(&self) -> usize {
        (0..self.days)
            .filter_map(|d| self.weekend_of(d))
            .max()
            .map_or(0, |k| k + 1)
    }

    /// Index of the Monday-based week containing `day` (week 0 contains day 0).
    pub fn week_of(&self, day: Day) -> usize {
        (day + self.first_weekday as usize) / 7
    }

    /// Index of the calendar month containing `day` (month 0 contains day 0). Without a start
    /// date the whole horizon is month 0.
    pub fn month_of(&self, day: Day) -> usize {
        match self.start_date.as_deref().and_then(parse_iso_date) {
            Some((y, m, d)) => {
                let (mut y, mut m, mut dom) = (y, m, d);
                let mut month = 0;
                for _ in 0..day {
                    dom += 1;
                    if dom > days_in_month(y, m) {
                        dom = 1;
                        month += 1;
                        m += 1;
                        if m > 12 {
                            m = 1;
                            y += 1;
                        }
                    }
                }
                month
            }
            None => 0,
        }
    }

    /// Short label for a day, e.g. `Sat 14` (day of month when a start date is known, else the
    /// 1-based day number).
    pub fn day_label(&self, day: Day) -> String {
        const NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let wd = NAMES[self.weekday(day) as usize];
        match self.start_date.as_deref().and_then(parse_iso_date) {
            Some((y, m, d)) => {
                let (_, mm, dd) = add_days(y, m, d, day);
                format!("{wd} {dd} {}", month_name(mm))
            }
            None => format!("{wd} day {}", day + 1),
        }
    }
}

fn month_name(m: u32) -> &'static str {
    const N: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    N[(m.clamp(1, 12) - 1) as usize]
}

/// Parses `YYYY-MM-DD`; `None` on anything else.
pub fn parse_iso_date(s: &str) -> Option<(i32, u32, u32)> {
    let mut it = s.trim().splitn(3, '-');
    let y = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)).then_some((y, m, d))
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn add_days(mut y: i32, mut m: u32, mut d: u32, n: usize) -> (i32, u32, u32) {
    for _ in 0..n {
        d += 1;
        if d > days_in_month(y, m) {
            d = 1;
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
        }
    }
    (y, m, d)
}

/// Weekday (0 = Monday) of an ISO date, by Sakamoto's method.
pub fn weekday_of_date(y: i32, m: u32, d: u32) -> u8 {
    const T: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if m < 3 { y - 1 } else { y };
    let sunday0 = (y + y / 4 - y / 100 + y / 400 + T[(m - 1) as usize] + d as i32).rem_euclid(7);
    ((sunday0 + 6) % 7) as u8
}

/// A kind of shift (day, late, night, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftType {
    pub id: String,
    pub name: String,
    /// Start, in minutes after midnight of the day the shift belongs to. Only rest-hour rules
    /// read it; the benchmark format has no start times and leaves it 0.
    #[serde(default)]
    pub start_minute: u32,
    pub length_minutes: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
}

/// A person who can be rostered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employee {
    pub id: String,
    pub name: String,
    /// Shift types this person may work at all (a hard rule). Empty means "all types".
    #[serde(default)]
    pub allowed_shifts: Vec<ShiftIdx>,
}

impl Employee {
    pub fn may_work(&self, s: ShiftIdx) -> bool {
        self.allowed_shifts.is_empty() || self.allowed_shifts.contains(&s)
    }
}

/// How many people a shift needs on a day. With `n` people on it the cost is
/// `weight_under·max(0, preferred−n) + weight_over·max(0, n−preferred)`; below `min` or above
/// `max` is a hard violation (one unit per missing or extra person).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cover {
    pub day: Day,
    pub shift: ShiftIdx,
    #[serde(default)]
    pub min: u32,
    pub preferred: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    pub weight_under: i64,
    pub weight_over: i64,
}

/// Whether a rule must hold or costs `weight` per unit of violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    Hard,
    Soft(i64),
}

impl Strength {
    pub fn is_hard(self) -> bool {
        matches!(self, Strength::Hard)
    }
}

/// Which employees a constraint binds. `All` means each employee separately (fairness terms
/// compare the employees in scope with each other).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    All,
    Employees(Vec<EmpIdx>),
}

impl Scope {
    pub fn members(&self, n_employees: usize) -> Vec<EmpIdx> {
        match self {
            Scope::All => (0..n_employees).collect(),
            Scope::Employees(v) => v.iter().copied().filter(|&e| e < n_employees).collect(),
        }
    }
}

/// Counting window of a limit. Weeks start on Monday; partial weeks/months at the ends of the
/// horizon are windows of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Horizon,
    Week,
    Month,
}

/// What a fairness term measures per employee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FairnessMeasure {
    /// Total minutes worked.
    Minutes,
    /// Number of shifts of these types (empty = any).
    Shifts(Vec<ShiftIdx>),
    /// Number of worked weekends.
    Weekends,
}

/// One rule. Units of violation (what a soft weight multiplies, what a hard violation counts)
/// are given per variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Per window of `period`, the number of shifts of `shifts` (empty = any) lies in
    /// `min..=max`. Unit: one shift.
    ShiftCount {
        shifts: Vec<ShiftIdx>,
        period: Period,
        #[serde(default)]
        min: Option<u32>,
        #[serde(default)]
        max: Option<u32>,
    },
    /// Per window, minutes worked lie in `min..=max`. Unit: one started hour of deviation.
    TotalMinutes {
        period: Period,
        #[serde(default)]
        min: Option<u32>,
        #[serde(default)]
        max: Option<u32>,
    },
    /// Every maximal run of worked days is at most `max` long (days outside the horizon are
    /// off). Unit: one day too many.
    MaxConsecutiveWork { max: u32 },
    /// Every maximal run of worked days is at least `min` long, except a run touching the
    /// first or last day. Unit: one day too few.
    MinConsecutiveWork { min: u32 },
    /// Every maximal run of days off is at least `min` long, except a run touching the first or
    /// last day. Unit: one day too few.
    MinConsecutiveDaysOff { min: u32 },
    /// Shift `to` may not be worked the day after shift `from`. Unit: one occurrence.
    ForbiddenSuccession { from: ShiftIdx, to: ShiftIdx },
    /// At least `minutes` between the end of a shift and the start of the next day's shift,
    /// from start times and lengths. Unit: one occurrence.
    MinRest { minutes: u32 },
    /// At most `max` worked weekends. Unit: one weekend too many.
    MaxWeekends { max: u32 },
    /// No work on these days (holidays, leave). With `shifts` non-empty only those shift types
    /// are excluded. Unit: one day.
    Unavailable {
        days: Vec<Day>,
        #[serde(default)]
        shifts: Vec<ShiftIdx>,
    },
    /// Wants to work `shift` (or any shift when `None`) on `day`. Unit: one unmet request.
    ShiftOnRequest { day: Day, shift: Option<ShiftIdx> },
    /// Does not want `shift` (or any shift when `None`) on `day`. Unit: one unmet request.
    ShiftOffRequest { day: Day, shift: Option<ShiftIdx> },
    /// The spread (max − min) of `history + this period's value` over the employees in scope.
    /// `history` is indexed like the scope's member list (missing entries are 0). Unit: one
    /// unit of the measure (minutes count in started hours).
    Fairness {
        measure: FairnessMeasure,
        #[serde(default)]
        history: Vec<i64>,
    },
}

/// A rule, who it applies to and how strictly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    /// Optional display name chosen by the group leader ("No more than 2 nights a week").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub scope: Scope,
    pub strength: Strength,
    pub rule: Rule,
}

/// A pinned cell: the solver keeps it as given (a hard rule for the evaluator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub employee: EmpIdx,
    pub day: Day,
    /// `None` pins a day off.
    pub shift: Option<ShiftIdx>,
}

/// A complete scheduling problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    #[serde(default)]
    pub name: String,
    pub horizon: Horizon,
    pub shift_types: Vec<ShiftType>,
    pub employees: Vec<Employee>,
    pub cover: Vec<Cover>,
    pub constraints: Vec<Constraint>,
    #[serde(default)]
    pub locks: Vec<Lock>,
}

/// Problems that make a model unusable (bad indices), found by [`Model::validate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("model has no days")]
    NoDays,
    #[error("{what} refers to shift type {index}, but there are only {count}")]
    BadShift {
        what: String,
        index: usize,
        count: usize,
    },
    #[error("{what} refers to employee {index}, but there are only {count}")]
    BadEmployee {
        what: String,
        index: usize,
        count: usize,
    },
    #[error("{what} refers to day {index}, but the horizon has {count} days")]
    BadDay {
        what: String,
        index: usize,
        count: usize,
    },
    #[error("too many shift types ({0}); at most 65000 are supported")]
    TooManyShifts(usize),
    #[error("first_weekday must be 0..=6, got {0}")]
    BadWeekday(u8),
    #[error("start_date {0:?} is not a YYYY-MM-DD date")]
    BadDate(String),
    #[error("start_date {date} is weekday {actual} (0 = Monday), but first_weekday says {given}")]
    WeekdayMismatch { date: String, actual: u8, given: u8 },
}

impl Model {
    pub fn days(&self) -> usize {
        self.horizon.days
    }

    /// Checks every index in the model so that the evaluator and solver can index freely.
    pub fn validate(&self) -> Result<(), ModelError> {
        let (ns, ne, nd) = (self.shift_types.len(), self.employees.len(), self.days());
        if nd == 0 {
            return Err(ModelError::NoDays);
        }
        if ns >= 65000 {
            return Err(ModelError::TooManyShifts(ns));
        }
        if self.horizon.first_weekday > 6 {
            return Err(ModelError::BadWeekday(self.horizon.first_weekday));
        }
        if let Some(date) = &self.horizon.start_date {
            let (y, m, d) =
                parse_iso_date(date).ok_or_else(|| ModelError::BadDate(date.clone()))?;
            let actual = weekday_of_date(y, m, d);
            if actual != self.horizon.first_weekday {
                return Err(ModelError::WeekdayMismatch {
                    date: date.clone(),
                    actual,
                    given: self.horizon.first_weekday,
                });
            }
        }
        let shift = |what: &str, s: usize| {
            if s >= ns {
                Err(ModelError::BadShift {
                    what: what.into(),
                    index: s,
                    count: ns,
                })
            } else {
                Ok(())
            }
        };
        let emp = |what: &str, e: usize| {
            if e >= ne {
                Err(ModelError::BadEmployee {
                    what: what.into(),
                    index: e,
                    count: ne,
                })
            } else {
                Ok(())
            }
        };
        let day = |what: &str, d: usize| {
            if d >= nd {
                Err(ModelError::BadDay {
                    what: what.into(),
                    index: d,
                    count: nd,
                })
            } else {
                Ok(())
            }
        };
        for e in &self.employees {
            for &s in &e.allowed_shifts {
                shift(&format!("employee {}", e.id), s)?;
            }
        }
        for c in &self.cover {
            shift("cover", c.shift)?;
            day("cover", c.day)?;
        }
        for l in &self.locks {
            emp("lock", l.employee)?;
            day("lock", l.day)?;
            if let Some(s) = l.shift {
                shift("lock", s)?;
            }
        }
        for (i, c) in self.constraints.iter().enumerate() {
            let what = format!("constraint {i}");
            if let Scope::Employees(v) = &c.scope {
                for &e in v {
                    emp(&what, e)?;
                }
            }
            match &c.rule {
                Rule::ShiftCount { shifts, .. } => {
                    for &s in shifts {
                        shift(&what, s)?;
                    }
                }
                Rule::ForbiddenSuccession { from, to } => {
                    shift(&what, *from)?;
                    shift(&what, *to)?;
                }
                Rule::Unavailable { days, shifts } => {
                    for &d in days {
                        day(&what, d)?;
                    }
                    for &s in shifts {
                        shift(&what, s)?;
                    }
                }
                Rule::ShiftOnRequest { day: d, shift: s }
                | Rule::ShiftOffRequest { day: d, shift: s } => {
                    day(&what, *d)?;
                    if let Some(s) = s {
                        shift(&what, *s)?;
                    }
                }
                Rule::Fairness {
                    measure: FairnessMeasure::Shifts(v),
                    ..
                } => {
                    for &s in v {
                        shift(&what, s)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Short human name of a rule kind, used in breakdowns and explanations.
    pub fn constraint_label(&self, i: usize) -> String {
        let c = &self.constraints[i];
        if let Some(n) = &c.name {
            return n.clone();
        }
        let sn = |s: usize| {
            self.shift_types
                .get(s)
                .map_or("?", |t| t.name.as_str())
                .to_string()
        };
        let list = |v: &[ShiftIdx]| {
            if v.is_empty() {
                "any".to_string()
            } else {
                v.iter().map(|&s| sn(s)).collect::<Vec<_>>().join("/")
            }
        };
        let range = |min: &Option<u32>, max: &Option<u32>| match (min, max) {
            (Some(a), Some(b)) => format!("{a}..{b}"),
            (Some(a), None) => format!("at least {a}"),
            (None, Some(b)) => format!("at most {b}"),
            (None, None) => "any".into(),
        };
        match &c.rule {
            Rule::ShiftCount {
                shifts,
                period,
                min,
                max,
            } => format!(
                "{} {} shifts per {:?}",
                range(min, max),
                list(shifts),
                period
            )
            .to_lowercase(),
            Rule::TotalMinutes { period, min, max } => {
                format!("{} minutes per {:?}", range(min, max), period).to_lowercase()
            }
            Rule::MaxConsecutiveWork { max } => format!("at most {max} working days in a row"),
            Rule::MinConsecutiveWork { min } => format!("at least {min} working days in a row"),
            Rule::MinConsecutiveDaysOff { min } => format!("at least {min} days off in a row"),
            Rule::ForbiddenSuccession { from, to } => format!("no {} after {}", sn(*to), sn(*from)),
            Rule::MinRest { minutes } => {
                format!("at least {} hours rest between shifts", minutes / 60)
            }
            Rule::MaxWeekends { max } => format!("at most {max} working weekends"),
            Rule::Unavailable { .. } => "unavailable days".into(),
            Rule::ShiftOnRequest { .. } => "shift request".into(),
            Rule::ShiftOffRequest { .. } => "day-off request".into(),
            Rule::Fairness { measure, .. } => match measure {
                FairnessMeasure::Minutes => "fair spread of working time".into(),
                FairnessMeasure::Shifts(v) => format!("fair spread of {} shifts", list(v)),
                FairnessMeasure::Weekends => "fair spread of weekends".into(),
            },
        }
    }
}

/// A solution: for every employee and day either a shift type or a day off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub days: usize,
    /// Row-major: `cells[e * days + d]`.
    pub cells: Vec<Option<ShiftIdx>>,
}

impl Roster {
    /// Everyone off.
    pub fn empty(employees: usize, days: usize) -> Self {
        Roster {
            days,
            cells: vec![None; employees * days],
        }
    }

    pub fn for_model(model: &Model) -> Self {
        let mut r = Self::empty(model.employees.len(), model.days());
        for l in &model.locks {
            r.set(l.employee, l.day, l.shift);
        }
        r
    }

    pub fn employees(&self) -> usize {
        self.cells.len().checked_div(self.days).unwrap_or(0)
    }

    pub fn get(&self, e: EmpIdx, d: Day) -> Option<ShiftIdx> {
        self.cells[e * self.days + d]
    }

    pub fn set(&mut self, e: EmpIdx, d: Day, s: Option<ShiftIdx>) {
        self.cells[e * self.days + d] = s;
    }

    pub fn row(&self, e: EmpIdx) -> &[Option<ShiftIdx>] {
        &self.cells[e * self.days..(e + 1) * self.days]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekends_from_monday_and_sunday_starts() {
        let h = Horizon {
            days: 14,
            first_weekday: 0,
            start_date: None,
        };
        assert_eq!(h.weekend_of(5), Some(0));
        assert_eq!(h.weekend_of(6), Some(0));
        assert_eq!(h.weekend_of(12), Some(1));
        assert_eq!(h.weekend_of(4), None);
        assert_eq!(h.weekend_count(), 2);
        let h = Horizon {
            days: 8,
            first_weekday: 6,
            start_date: None,
        };
        assert_eq!(h.weekend_of(0), Some(0), "a lone Sunday is its own weekend");
        assert_eq!(h.weekend_of(6), Some(1));
        assert_eq!(h.weekend_of(7), Some(1));
        let h = Horizon {
            days: 3,
            first_weekday: 5,
            start_date: None,
        };
        assert_eq!(h.weekend_of(0), Some(0));
        assert_eq!(h.weekend_of(1), Some(0));
    }

    #[test]
    fn months_and_weekdays_follow_the_calendar() {
        assert_eq!(
            weekday_of_date(2026, 11, 21),
            5,
            "21 Nov 2026 is a Saturday"
        );
        let h = Horizon {
            days: 40,
            first_weekday: 6,
            start_date: Some("2026-11-01".into()),
        };
        assert_eq!(h.month_of(29), 0);
        assert_eq!(h.month_of(30), 1);
        assert_eq!(h.week_of(0), 0);
        assert_eq!(h.week_of(1), 1, "Monday starts a new week");
        assert_eq!(h.day_label(13), "Sat 14 Nov");
    }
}
