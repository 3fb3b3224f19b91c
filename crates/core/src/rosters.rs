//! Roster setup of a group and its one mapping onto the engine's model.
//!
//! A group's roster setup (shift types, conditions, leave, requests, public holidays, swap
//! policy) is one document, [`Setup`]. [`build_model`] is the only place that turns it, the
//! roster's members and a date range into a [`roster::model::Model`]; it also returns where
//! every engine constraint came from ([`Origin`]) so an explanation can link to the setting to
//! change. Conventions stated to users: weeks start on **Monday** for every counting rule, a
//! weekend is Saturday + Sunday.
//!
//! # Layout
//! - [`Setup`], [`ShiftTypeDef`], [`Condition`], [`Rule`], [`Leave`], [`Request`], [`Holiday`].
//! - [`Setup::validate`]: field-level checks (ids that must exist, ranges).
//! - [`build_model`], [`Built`], [`Origin`]: the mapping.
//! - [`sentence`]: what a condition means, in Korean or English.
//! - [`korean_holidays`]: the default public-holiday table (editable per group).
//! - [`import`]: member import from CSV; [`words`]: explanations in Korean or English.

use crate::FieldError;
use jiff::civil::Date;
use roster::model as m;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod import;
pub mod words;

pub const MAX_SHIFT_TYPES: usize = 12;
pub const MAX_CONDITIONS: usize = 50;
pub const MAX_DAYS: i64 = 62;
pub const NAME_MAX: usize = 30;

/// A kind of shift the group staffs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftTypeDef {
    pub id: Uuid,
    pub name: String,
    /// Minutes after midnight.
    pub start_minute: u32,
    pub length_minutes: u32,
    /// `#rrggbb`
    pub colour: String,
    /// People needed on every day…
    pub headcount: u32,
    /// …unless given per weekday (Monday first, 7 entries).
    #[serde(default)]
    pub weekday_headcount: Option<Vec<u32>>,
    /// People needed on a public holiday (default: the Sunday figure).
    #[serde(default)]
    pub holiday_headcount: Option<u32>,
    /// Who may work it (user ids); empty = everyone.
    #[serde(default)]
    pub allowed: Vec<Uuid>,
}

impl ShiftTypeDef {
    /// Headcount on a date.
    pub fn need(&self, weekday_mon0: usize, holiday: bool) -> u32 {
        let by_day = |wd: usize| {
            self.weekday_headcount
                .as_ref()
                .and_then(|v| v.get(wd).copied())
                .unwrap_or(self.headcount)
        };
        if holiday {
            self.holiday_headcount.unwrap_or_else(|| by_day(6))
        } else {
            by_day(weekday_mon0)
        }
    }
}

/// Counting window of a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Week,
    Month,
    /// The whole roster.
    Roster,
}

/// What a fairness condition evens out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Shifts,
    Hours,
    Weekends,
}

/// Every constraint kind of the engine that a group can set up as a condition. Leave and
/// requests are entered as such ([`Leave`], [`Request`]), not as conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// Shifts of these types (empty = any) per period between min and max.
    ShiftCount {
        #[serde(default)]
        shift_types: Vec<Uuid>,
        period: Period,
        #[serde(default)]
        min: Option<u32>,
        #[serde(default)]
        max: Option<u32>,
    },
    /// Hours worked per period between min and max.
    Hours {
        period: Period,
        #[serde(default)]
        min: Option<u32>,
        #[serde(default)]
        max: Option<u32>,
    },
    MaxConsecutiveWork {
        max: u32,
    },
    MinConsecutiveWork {
        min: u32,
    },
    MinConsecutiveDaysOff {
        min: u32,
    },
    /// `to` may not follow `from` on the next day.
    ForbiddenSuccession {
        from: Uuid,
        to: Uuid,
    },
    /// Hours of rest between the end of one shift and the next.
    MinRest {
        hours: u32,
    },
    MaxWeekends {
        max: u32,
    },
    /// Even out a measure across the members it applies to.
    Fairness {
        measure: Measure,
        #[serde(default)]
        shift_types: Vec<Uuid>,
    },
}

/// A condition (근무조건): a rule, how strict, and for whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub id: Uuid,
    #[serde(default)]
    pub name: String,
    /// Hard rules must hold; soft ones cost `weight` per unit of violation.
    pub hard: bool,
    #[serde(default = "one")]
    pub weight: i64,
    /// User ids; empty = everyone.
    #[serde(default)]
    pub members: Vec<Uuid>,
    pub rule: Rule,
}

fn one() -> i64 {
    1
}

/// A day a member cannot work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leave {
    pub user: Uuid,
    pub date: Date,
    /// `leave` (vacation) or `unavailable`.
    pub kind: String,
}

/// A wish: work (`want`) or do not work a shift (any shift when `shift_type` is none) on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: Uuid,
    pub user: Uuid,
    pub date: Date,
    #[serde(default)]
    pub shift_type: Option<Uuid>,
    pub want: bool,
    /// How much an unmet request costs (1–1000); none = [`REQUEST_WEIGHT`].
    #[serde(default)]
    pub weight: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: Date,
    pub name: String,
}

/// Someone on the group's rosters as imported from CSV: either a roster-only person without a
/// moim account (`user` is none; they are rostered under `id`), or a group member (`user`) with
/// the name and position the roster should show for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub position: String,
    /// The group member this row stands for, when the e-mail or nickname matched one.
    #[serde(default)]
    pub user: Option<Uuid>,
}

impl Person {
    /// The id the person is rostered under.
    pub fn roster_id(&self) -> Uuid {
        self.user.unwrap_or(self.id)
    }
}

/// Everything a group has set up for rostering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Setup {
    /// People imported from CSV (roster-only people and members' roster names / positions).
    #[serde(default)]
    pub people: Vec<Person>,
    #[serde(default)]
    pub shift_types: Vec<ShiftTypeDef>,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub leave: Vec<Leave>,
    #[serde(default)]
    pub requests: Vec<Request>,
    /// Public holidays; `None` until the group edits them, meaning Korea's table.
    #[serde(default)]
    pub holidays: Option<Vec<Holiday>>,
    /// Whether a manager must approve an accepted swap.
    #[serde(default)]
    pub swap_needs_approval: bool,
}

impl Setup {
    pub fn holidays(&self) -> Vec<Holiday> {
        self.holidays.clone().unwrap_or_else(korean_holidays)
    }

    /// Removes a shift type and what only made sense with it (conditions that no longer check,
    /// requests for it). False when there is no such shift type.
    pub fn remove_shift_type(&mut self, id: Uuid) -> bool {
        let n = self.shift_types.len();
        self.shift_types.retain(|s| s.id != id);
        if n == self.shift_types.len() {
            return false;
        }
        let probe = self.clone();
        self.conditions.retain(|c| probe.check_condition(c).is_ok());
        self.requests.retain(|r| r.shift_type != Some(id));
        true
    }

    /// Removes a condition; false when there is none with this id.
    pub fn remove_condition(&mut self, id: Uuid) -> bool {
        let n = self.conditions.len();
        self.conditions.retain(|c| c.id != id);
        n != self.conditions.len()
    }

    /// Removes a request; false when there is none with this id.
    pub fn remove_request(&mut self, id: Uuid) -> bool {
        let n = self.requests.len();
        self.requests.retain(|r| r.id != id);
        n != self.requests.len()
    }

    pub fn shift_index(&self, id: Uuid) -> Option<usize> {
        self.shift_types.iter().position(|s| s.id == id)
    }

    /// Checks a shift type before it is stored.
    pub fn check_shift_type(s: &ShiftTypeDef) -> Result<(), FieldError> {
        let name = s.name.trim();
        if name.is_empty() {
            return Err(FieldError::new("name", "required"));
        }
        if name.chars().count() > NAME_MAX {
            return Err(FieldError::new("name", "too_long"));
        }
        if s.start_minute >= 24 * 60 {
            return Err(FieldError::new("start", "invalid_time"));
        }
        if s.length_minutes == 0 || s.length_minutes > 24 * 60 {
            return Err(FieldError::new("end", "invalid_time"));
        }
        if !is_colour(&s.colour) {
            return Err(FieldError::new("colour", "invalid_colour"));
        }
        if s.headcount > 100 || s.holiday_headcount.is_some_and(|h| h > 100) {
            return Err(FieldError::new("headcount", "out_of_range"));
        }
        if let Some(w) = &s.weekday_headcount
            && (w.len() != 7 || w.iter().any(|&n| n > 100))
        {
            return Err(FieldError::new("weekday_headcount", "invalid_value"));
        }
        Ok(())
    }

    /// Checks a condition against this setup (the shift types it names must exist).
    pub fn check_condition(&self, c: &Condition) -> Result<(), FieldError> {
        if c.name.chars().count() > 60 {
            return Err(FieldError::new("name", "too_long"));
        }
        if !c.hard && !(1..=1000).contains(&c.weight) {
            return Err(FieldError::new("weight", "out_of_range"));
        }
        let known = |ids: &[Uuid]| ids.iter().all(|i| self.shift_index(*i).is_some());
        let range = |min: &Option<u32>, max: &Option<u32>| match (min, max) {
            (None, None) => Err(FieldError::new("rule.max", "required")),
            (Some(a), Some(b)) if a > b => Err(FieldError::new("rule.min", "above_max")),
            _ => Ok(()),
        };
        match &c.rule {
            Rule::ShiftCount {
                shift_types,
                min,
                max,
                ..
            } => {
                if !known(shift_types) {
                    return Err(FieldError::new("rule.shift_types", "unknown_shift_type"));
                }
                range(min, max)?;
            }
            Rule::Hours { min, max, .. } => range(min, max)?,
            Rule::MaxConsecutiveWork { max: n }
            | Rule::MinConsecutiveWork { min: n }
            | Rule::MinConsecutiveDaysOff { min: n } => {
                if *n == 0 || *n > 62 {
                    return Err(FieldError::new("rule.value", "out_of_range"));
                }
            }
            Rule::ForbiddenSuccession { from, to } => {
                if !known(&[*from, *to]) {
                    return Err(FieldError::new("rule.shift_types", "unknown_shift_type"));
                }
            }
            Rule::MinRest { hours } => {
                if *hours == 0 || *hours > 48 {
                    return Err(FieldError::new("rule.hours", "out_of_range"));
                }
            }
            Rule::MaxWeekends { max } => {
                if *max > 10 {
                    return Err(FieldError::new("rule.max", "out_of_range"));
                }
            }
            Rule::Fairness { shift_types, .. } => {
                if !known(shift_types) {
                    return Err(FieldError::new("rule.shift_types", "unknown_shift_type"));
                }
            }
        }
        Ok(())
    }
}

fn is_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// `HH:MM` → minutes after midnight.
pub fn parse_clock(field: &'static str, s: &str) -> Result<u32, FieldError> {
    let bad = || FieldError::new(field, "invalid_time");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

pub fn clock(minutes: u32) -> String {
    format!("{:02}:{:02}", (minutes / 60) % 24, minutes % 60)
}

/// A roster's member as the engine sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub user: Uuid,
    pub name: String,
}

/// Who a roster is made for: the group's active members (with the roster name an import gave
/// them) followed by the roster-only people of the setup.
pub fn roster_staff(members: Vec<(Uuid, String)>, setup: &Setup) -> Vec<Staff> {
    let mut out: Vec<Staff> = members
        .into_iter()
        .map(|(user, nickname)| Staff {
            user,
            name: setup
                .people
                .iter()
                .find(|p| p.user == Some(user))
                .map_or(nickname, |p| p.name.clone()),
        })
        .collect();
    out.extend(
        setup
            .people
            .iter()
            .filter(|p| p.user.is_none())
            .map(|p| Staff {
                user: p.id,
                name: p.name.clone(),
            }),
    );
    out
}

/// Where an engine constraint came from, so that explanations link to the right setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    Condition {
        id: Uuid,
    },
    Leave {
        user: Uuid,
    },
    Request {
        id: Uuid,
    },
    /// The built-in "spread shifts evenly" term every roster gets.
    Balance,
}

/// A model with the ids it was built from (engine indices ↔ moim ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Built {
    pub model: m::Model,
    pub staff: Vec<Staff>,
    pub shift_types: Vec<ShiftTypeDef>,
    /// One per `model.constraints` entry.
    pub origins: Vec<Origin>,
    pub start: Date,
    /// Holidays inside the range.
    pub holidays: Vec<Holiday>,
    /// English label of every `model.constraints` entry (the model's own names are Korean).
    #[serde(default)]
    pub labels_en: Vec<String>,
}

impl Built {
    pub fn date(&self, day: usize) -> Date {
        self.start
            .checked_add(jiff::Span::new().days(day as i64))
            .unwrap_or(self.start)
    }
    pub fn day_of(&self, date: Date) -> Option<usize> {
        let d = (date - self.start).get_days();
        (d >= 0 && (d as usize) < self.model.horizon.days).then_some(d as usize)
    }
    pub fn staff_index(&self, user: Uuid) -> Option<usize> {
        self.staff.iter().position(|s| s.user == user)
    }
    pub fn shift_index(&self, id: Uuid) -> Option<usize> {
        self.shift_types.iter().position(|s| s.id == id)
    }
    pub fn is_holiday(&self, day: usize) -> bool {
        let d = self.date(day);
        self.holidays.iter().any(|h| h.date == d)
    }
    /// A constraint's label in a language.
    pub fn label(&self, i: usize, lang: Lang) -> String {
        match lang {
            Lang::En => self
                .labels_en
                .get(i)
                .cloned()
                .unwrap_or_else(|| self.model.constraint_label(i)),
            Lang::Ko => self.model.constraint_label(i),
        }
    }
}

/// Weight of an unmet request and of the built-in balance term.
pub const REQUEST_WEIGHT: i64 = 10;
pub const BALANCE_WEIGHT: i64 = 3;

/// Maps a setup, the members to roster and a date range onto the engine's model.
pub fn build_model(
    setup: &Setup,
    staff: &[Staff],
    start: Date,
    days: usize,
    name: &str,
) -> Result<Built, FieldError> {
    if days == 0 || days as i64 > MAX_DAYS {
        return Err(FieldError::new("end", "out_of_range"));
    }
    if setup.shift_types.is_empty() {
        return Err(FieldError::new("shift_types", "required"));
    }
    if staff.is_empty() {
        return Err(FieldError::new("members", "required"));
    }
    let end = start
        .checked_add(jiff::Span::new().days(days as i64 - 1))
        .map_err(|_| FieldError::new("end", "out_of_range"))?;
    let in_range = |d: Date| d >= start && d <= end;
    let day_of = |d: Date| (d - start).get_days() as usize;
    let emp = |u: Uuid| staff.iter().position(|s| s.user == u);
    let sidx = |id: Uuid| setup.shift_index(id);
    let holidays: Vec<Holiday> = setup
        .holidays()
        .into_iter()
        .filter(|h| in_range(h.date))
        .collect();
    let first_weekday = start.weekday().to_monday_zero_offset() as u8;
    let horizon = m::Horizon {
        days,
        first_weekday,
        start_date: Some(start.to_string()),
    };
    let shift_types = setup
        .shift_types
        .iter()
        .map(|s| m::ShiftType {
            id: s.id.to_string(),
            name: s.name.clone(),
            start_minute: s.start_minute,
            length_minutes: s.length_minutes,
            colour: Some(s.colour.clone()),
        })
        .collect();
    let employees = staff
        .iter()
        .map(|p| m::Employee {
            id: p.user.to_string(),
            name: p.name.clone(),
            allowed_shifts: setup
                .shift_types
                .iter()
                .enumerate()
                .filter(|(_, s)| s.allowed.is_empty() || s.allowed.contains(&p.user))
                .map(|(i, _)| i)
                .collect(),
        })
        .collect::<Vec<_>>();
    let mut cover = Vec::new();
    for d in 0..days {
        let wd = horizon.weekday(d) as usize;
        let date = start
            .checked_add(jiff::Span::new().days(d as i64))
            .unwrap_or(start);
        let holiday = holidays.iter().any(|h| h.date == date);
        for (i, s) in setup.shift_types.iter().enumerate() {
            let n = s.need(wd, holiday);
            cover.push(m::Cover {
                day: d,
                shift: i,
                min: n,
                preferred: n,
                max: Some(n),
                weight_under: 100,
                weight_over: 100,
            });
        }
    }
    let mut constraints = Vec::new();
    let mut origins = Vec::new();
    let mut labels_en = Vec::new();
    let strength = |c: &Condition| {
        if c.hard {
            m::Strength::Hard
        } else {
            m::Strength::Soft(c.weight)
        }
    };
    let ids = |v: &[Uuid]| v.iter().filter_map(|i| sidx(*i)).collect::<Vec<_>>();
    let period = |p: Period| match p {
        Period::Week => m::Period::Week,
        Period::Month => m::Period::Month,
        Period::Roster => m::Period::Horizon,
    };
    let mut has_balance = false;
    for c in &setup.conditions {
        let scope = if c.members.is_empty() {
            m::Scope::All
        } else {
            let v: Vec<usize> = c.members.iter().filter_map(|u| emp(*u)).collect();
            if v.is_empty() {
                continue; // none of its members is on this roster
            }
            m::Scope::Employees(v)
        };
        let rule = match &c.rule {
            Rule::ShiftCount {
                shift_types,
                period: p,
                min,
                max,
            } => m::Rule::ShiftCount {
                shifts: ids(shift_types),
                period: period(*p),
                min: *min,
                max: *max,
            },
            Rule::Hours {
                period: p,
                min,
                max,
            } => m::Rule::TotalMinutes {
                period: period(*p),
                min: min.map(|h| h * 60),
                max: max.map(|h| h * 60),
            },
            Rule::MaxConsecutiveWork { max } => m::Rule::MaxConsecutiveWork { max: *max },
            Rule::MinConsecutiveWork { min } => m::Rule::MinConsecutiveWork { min: *min },
            Rule::MinConsecutiveDaysOff { min } => m::Rule::MinConsecutiveDaysOff { min: *min },
            Rule::ForbiddenSuccession { from, to } => match (sidx(*from), sidx(*to)) {
                (Some(from), Some(to)) => m::Rule::ForbiddenSuccession { from, to },
                _ => continue,
            },
            Rule::MinRest { hours } => m::Rule::MinRest {
                minutes: hours * 60,
            },
            Rule::MaxWeekends { max } => m::Rule::MaxWeekends { max: *max },
            Rule::Fairness {
                measure,
                shift_types,
            } => {
                has_balance = true;
                m::Rule::Fairness {
                    measure: match measure {
                        Measure::Shifts => m::FairnessMeasure::Shifts(ids(shift_types)),
                        Measure::Hours => m::FairnessMeasure::Minutes,
                        Measure::Weekends => m::FairnessMeasure::Weekends,
                    },
                    history: vec![],
                }
            }
        };
        labels_en.push(if c.name.trim().is_empty() {
            sentence(c, setup, Lang::En)
        } else {
            c.name.clone()
        });
        constraints.push(m::Constraint {
            name: Some(if c.name.trim().is_empty() {
                sentence(c, setup, Lang::Ko)
            } else {
                c.name.clone()
            }),
            scope,
            strength: strength(c),
            rule,
        });
        origins.push(Origin::Condition { id: c.id });
    }
    // Leave: one hard rule per member with every day they are away.
    for (e, p) in staff.iter().enumerate() {
        let days: Vec<usize> = setup
            .leave
            .iter()
            .filter(|l| l.user == p.user && in_range(l.date))
            .map(|l| day_of(l.date))
            .collect();
        if !days.is_empty() {
            labels_en.push(format!("{}'s leave / unavailable days", p.name));
            constraints.push(m::Constraint {
                name: Some(format!("{} 휴가/불가일", p.name)),
                scope: m::Scope::Employees(vec![e]),
                strength: m::Strength::Hard,
                rule: m::Rule::Unavailable {
                    days,
                    shifts: vec![],
                },
            });
            origins.push(Origin::Leave { user: p.user });
        }
    }
    for r in &setup.requests {
        let (Some(e), true) = (emp(r.user), in_range(r.date)) else {
            continue;
        };
        let shift = match r.shift_type {
            Some(id) => match sidx(id) {
                Some(s) => Some(s),
                None => continue,
            },
            None => None,
        };
        let day = day_of(r.date);
        labels_en.push(format!(
            "{} {} {}",
            staff[e].name,
            r.date,
            if r.want {
                "wants to work"
            } else {
                "wants the day off"
            }
        ));
        constraints.push(m::Constraint {
            name: Some(format!(
                "{} {} {}",
                staff[e].name,
                r.date,
                if r.want {
                    "근무 희망"
                } else {
                    "휴무 희망"
                }
            )),
            scope: m::Scope::Employees(vec![e]),
            strength: m::Strength::Soft(r.weight.unwrap_or(REQUEST_WEIGHT).clamp(1, 1000)),
            rule: if r.want {
                m::Rule::ShiftOnRequest { day, shift }
            } else {
                m::Rule::ShiftOffRequest { day, shift }
            },
        });
        origins.push(Origin::Request { id: r.id });
    }
    if !has_balance {
        labels_en.push("Spread shifts evenly".into());
        constraints.push(m::Constraint {
            name: Some("근무 횟수 균등 배분".into()),
            scope: m::Scope::All,
            strength: m::Strength::Soft(BALANCE_WEIGHT),
            rule: m::Rule::Fairness {
                measure: m::FairnessMeasure::Shifts(vec![]),
                history: vec![],
            },
        });
        origins.push(Origin::Balance);
    }
    let model = m::Model {
        name: name.to_owned(),
        horizon,
        shift_types,
        employees,
        cover,
        constraints,
        locks: vec![],
    };
    model
        .validate()
        .map_err(|_| FieldError::new("setup", "invalid"))?;
    Ok(Built {
        model,
        staff: staff.to_vec(),
        shift_types: setup.shift_types.clone(),
        origins,
        start,
        holidays,
        labels_en,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ko,
    En,
}

/// What a condition means, as one sentence shown under it.
pub fn sentence(c: &Condition, setup: &Setup, lang: Lang) -> String {
    let ko = lang == Lang::Ko;
    let names = |ids: &[Uuid]| -> String {
        if ids.is_empty() {
            return if ko {
                "모든 근무".into()
            } else {
                "any".into()
            };
        }
        ids.iter()
            .map(|i| {
                setup
                    .shift_types
                    .iter()
                    .find(|s| s.id == *i)
                    .map_or("?".to_owned(), |s| s.name.clone())
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let who = if c.members.is_empty() {
        if ko { "모든 인원" } else { "Everyone" }.to_owned()
    } else if ko {
        format!("선택한 {}명", c.members.len())
    } else {
        format!("The {} chosen members", c.members.len())
    };
    let per = |p: Period| match (p, ko) {
        (Period::Week, true) => "매주(월요일 시작)",
        (Period::Month, true) => "매달",
        (Period::Roster, true) => "근무표 기간 동안",
        (Period::Week, false) => "per week (weeks start on Monday)",
        (Period::Month, false) => "per month",
        (Period::Roster, false) => "over the whole roster",
    };
    let range =
        |min: &Option<u32>, max: &Option<u32>, unit_ko: &str, unit_en: &str| match (min, max, ko) {
            (Some(a), Some(b), true) => format!("{a}~{b}{unit_ko}"),
            (Some(a), None, true) => format!("최소 {a}{unit_ko}"),
            (None, Some(b), true) => format!("최대 {b}{unit_ko}"),
            (Some(a), Some(b), false) => format!("between {a} and {b} {unit_en}"),
            (Some(a), None, false) => format!("at least {a} {unit_en}"),
            (None, Some(b), false) => format!("at most {b} {unit_en}"),
            (None, None, _) => String::new(),
        };
    let body = match (&c.rule, ko) {
        (
            Rule::ShiftCount {
                shift_types,
                period,
                min,
                max,
            },
            true,
        ) => format!(
            "{who}은(는) {} {} 근무를 {} 합니다",
            per(*period),
            names(shift_types),
            range(min, max, "회", "")
        ),
        (
            Rule::ShiftCount {
                shift_types,
                period,
                min,
                max,
            },
            false,
        ) => format!(
            "{who} works {} {} shifts {}",
            range(min, max, "", "times"),
            names(shift_types),
            per(*period)
        ),
        (Rule::Hours { period, min, max }, true) => format!(
            "{who}은(는) {} {} 근무합니다",
            per(*period),
            range(min, max, "시간", "")
        ),
        (Rule::Hours { period, min, max }, false) => format!(
            "{who} works {} {}",
            range(min, max, "", "hours"),
            per(*period)
        ),
        (Rule::MaxConsecutiveWork { max }, true) => {
            format!("{who}은(는) 최대 {max}일까지 연속 근무합니다")
        }
        (Rule::MaxConsecutiveWork { max }, false) => {
            format!("{who} works at most {max} days in a row")
        }
        (Rule::MinConsecutiveWork { min }, true) => {
            format!("{who}은(는) 한 번 근무하면 최소 {min}일 연속 근무합니다")
        }
        (Rule::MinConsecutiveWork { min }, false) => {
            format!("{who} works stretches of at least {min} days")
        }
        (Rule::MinConsecutiveDaysOff { min }, true) => {
            format!("{who}은(는) 쉴 때 최소 {min}일 연속으로 쉽니다")
        }
        (Rule::MinConsecutiveDaysOff { min }, false) => {
            format!("{who} gets at least {min} days off in a row")
        }
        (Rule::ForbiddenSuccession { from, to }, true) => format!(
            "{who}은(는) {} 근무 다음 날 {} 근무를 하지 않습니다",
            names(&[*from]),
            names(&[*to])
        ),
        (Rule::ForbiddenSuccession { from, to }, false) => format!(
            "{who} never works {} the day after {}",
            names(&[*to]),
            names(&[*from])
        ),
        (Rule::MinRest { hours }, true) => {
            format!("{who}은(는) 근무 사이에 최소 {hours}시간 쉽니다")
        }
        (Rule::MinRest { hours }, false) => {
            format!("{who} rests at least {hours} hours between shifts")
        }
        (Rule::MaxWeekends { max }, true) => {
            format!("{who}은(는) 주말(토·일)에 최대 {max}번 근무합니다")
        }
        (Rule::MaxWeekends { max }, false) => {
            format!("{who} works at most {max} weekends (Saturday + Sunday)")
        }
        (
            Rule::Fairness {
                measure,
                shift_types,
            },
            true,
        ) => match measure {
            Measure::Shifts => {
                format!("{who}의 {} 근무 횟수를 고르게 나눕니다", names(shift_types))
            }
            Measure::Hours => format!("{who}의 근무 시간을 고르게 나눕니다"),
            Measure::Weekends => format!("{who}의 주말 근무를 고르게 나눕니다"),
        },
        (
            Rule::Fairness {
                measure,
                shift_types,
            },
            false,
        ) => match measure {
            Measure::Shifts => format!(
                "{} shifts are spread evenly over {}",
                names(shift_types),
                who.to_lowercase()
            ),
            Measure::Hours => format!("Hours are spread evenly over {}", who.to_lowercase()),
            Measure::Weekends => {
                format!("Weekend work is spread evenly over {}", who.to_lowercase())
            }
        },
    };
    let strict = match (c.hard, ko) {
        (true, true) => " (반드시 지킴)".to_owned(),
        (true, false) => " (always).".to_owned(),
        (false, true) => format!(" (가능하면 지킴, 가중치 {})", c.weight),
        (false, false) => format!(" (when possible, weight {}).", c.weight),
    };
    format!("{body}{strict}")
}

/// Korean public holidays 2024–2035 (관공서의 공휴일에 관한 규정): solar holidays, the lunar ones
/// (설날 and its eve and morrow, 부처님오신날, 추석 and its eve and morrow) resolved to dates,
/// substitute holidays (대체공휴일) as the rules apply them — for 설날 and 추석 when one of
/// their days falls on a Sunday or on another holiday, for 삼일절, 어린이날, 부처님오신날, 광복절,
/// 개천절, 한글날 and 성탄절 (and 노동절 and 제헌절, holidays again from 2026) when they fall on
/// a Saturday, a Sunday or another holiday — scheduled election days, and the one-off days declared in 2024
/// and 2025. Generated from the `holidays` Python package (0.109) with every lunar date checked
/// against KASI's lunar calendar (`korean_lunar_calendar`); see `docs/ARCHITECTURE.md`.
/// Groups edit their own copy (for example when a new one-off holiday is declared).
pub fn korean_holidays() -> Vec<Holiday> {
    const T: &[(&str, &str)] = &[
        ("2024-01-01", "신정"),
        ("2024-02-09", "설날 연휴"),
        ("2024-02-10", "설날"),
        ("2024-02-11", "설날 연휴"),
        ("2024-02-12", "대체공휴일(설날)"),
        ("2024-03-01", "삼일절"),
        ("2024-04-10", "국회의원 선거일"),
        ("2024-05-05", "어린이날"),
        ("2024-05-06", "대체공휴일(어린이날)"),
        ("2024-05-15", "부처님오신날"),
        ("2024-06-06", "현충일"),
        ("2024-08-15", "광복절"),
        ("2024-09-16", "추석 연휴"),
        ("2024-09-17", "추석"),
        ("2024-09-18", "추석 연휴"),
        ("2024-10-01", "국군의 날"),
        ("2024-10-03", "개천절"),
        ("2024-10-09", "한글날"),
        ("2024-12-25", "성탄절"),
        ("2025-01-01", "신정"),
        ("2025-01-27", "임시공휴일"),
        ("2025-01-28", "설날 연휴"),
        ("2025-01-29", "설날"),
        ("2025-01-30", "설날 연휴"),
        ("2025-03-01", "삼일절"),
        ("2025-03-03", "대체공휴일(삼일절)"),
        ("2025-05-05", "부처님오신날·어린이날"),
        ("2025-05-06", "대체공휴일(부처님오신날·어린이날)"),
        ("2025-06-03", "대통령 선거일"),
        ("2025-06-06", "현충일"),
        ("2025-08-15", "광복절"),
        ("2025-10-03", "개천절"),
        ("2025-10-05", "추석 연휴"),
        ("2025-10-06", "추석"),
        ("2025-10-07", "추석 연휴"),
        ("2025-10-08", "대체공휴일(추석)"),
        ("2025-10-09", "한글날"),
        ("2025-12-25", "성탄절"),
        ("2026-01-01", "신정"),
        ("2026-02-16", "설날 연휴"),
        ("2026-02-17", "설날"),
        ("2026-02-18", "설날 연휴"),
        ("2026-03-01", "삼일절"),
        ("2026-03-02", "대체공휴일(삼일절)"),
        ("2026-05-01", "노동절"),
        ("2026-05-05", "어린이날"),
        ("2026-05-24", "부처님오신날"),
        ("2026-05-25", "대체공휴일(부처님오신날)"),
        ("2026-06-03", "지방선거일"),
        ("2026-06-06", "현충일"),
        ("2026-07-17", "제헌절"),
        ("2026-08-15", "광복절"),
        ("2026-08-17", "대체공휴일(광복절)"),
        ("2026-09-24", "추석 연휴"),
        ("2026-09-25", "추석"),
        ("2026-09-26", "추석 연휴"),
        ("2026-10-03", "개천절"),
        ("2026-10-05", "대체공휴일(개천절)"),
        ("2026-10-09", "한글날"),
        ("2026-12-25", "성탄절"),
        ("2027-01-01", "신정"),
        ("2027-02-06", "설날 연휴"),
        ("2027-02-07", "설날"),
        ("2027-02-08", "설날 연휴"),
        ("2027-02-09", "대체공휴일(설날)"),
        ("2027-03-01", "삼일절"),
        ("2027-05-01", "노동절"),
        ("2027-05-03", "대체공휴일(노동절)"),
        ("2027-05-05", "어린이날"),
        ("2027-05-13", "부처님오신날"),
        ("2027-06-06", "현충일"),
        ("2027-07-17", "제헌절"),
        ("2027-07-19", "대체공휴일(제헌절)"),
        ("2027-08-15", "광복절"),
        ("2027-08-16", "대체공휴일(광복절)"),
        ("2027-09-14", "추석 연휴"),
        ("2027-09-15", "추석"),
        ("2027-09-16", "추석 연휴"),
        ("2027-10-03", "개천절"),
        ("2027-10-04", "대체공휴일(개천절)"),
        ("2027-10-09", "한글날"),
        ("2027-10-11", "대체공휴일(한글날)"),
        ("2027-12-25", "성탄절"),
        ("2027-12-27", "대체공휴일(성탄절)"),
        ("2028-01-01", "신정"),
        ("2028-01-26", "설날 연휴"),
        ("2028-01-27", "설날"),
        ("2028-01-28", "설날 연휴"),
        ("2028-03-01", "삼일절"),
        ("2028-04-12", "국회의원 선거일"),
        ("2028-05-01", "노동절"),
        ("2028-05-02", "부처님오신날"),
        ("2028-05-05", "어린이날"),
        ("2028-06-06", "현충일"),
        ("2028-07-17", "제헌절"),
        ("2028-08-15", "광복절"),
        ("2028-10-02", "추석 연휴"),
        ("2028-10-03", "개천절·추석"),
        ("2028-10-04", "추석 연휴"),
        ("2028-10-05", "대체공휴일(추석)"),
        ("2028-10-09", "한글날"),
        ("2028-12-25", "성탄절"),
        ("2029-01-01", "신정"),
        ("2029-02-12", "설날 연휴"),
        ("2029-02-13", "설날"),
        ("2029-02-14", "설날 연휴"),
        ("2029-03-01", "삼일절"),
        ("2029-05-01", "노동절"),
        ("2029-05-05", "어린이날"),
        ("2029-05-07", "대체공휴일(어린이날)"),
        ("2029-05-20", "부처님오신날"),
        ("2029-05-21", "대체공휴일(부처님오신날)"),
        ("2029-06-06", "현충일"),
        ("2029-07-17", "제헌절"),
        ("2029-08-15", "광복절"),
        ("2029-09-21", "추석 연휴"),
        ("2029-09-22", "추석"),
        ("2029-09-23", "추석 연휴"),
        ("2029-09-24", "대체공휴일(추석)"),
        ("2029-10-03", "개천절"),
        ("2029-10-09", "한글날"),
        ("2029-12-25", "성탄절"),
        ("2030-01-01", "신정"),
        ("2030-02-02", "설날 연휴"),
        ("2030-02-03", "설날"),
        ("2030-02-04", "설날 연휴"),
        ("2030-02-05", "대체공휴일(설날)"),
        ("2030-03-01", "삼일절"),
        ("2030-03-27", "대통령 선거일"),
        ("2030-05-01", "노동절"),
        ("2030-05-05", "어린이날"),
        ("2030-05-06", "대체공휴일(어린이날)"),
        ("2030-05-09", "부처님오신날"),
        ("2030-06-06", "현충일"),
        ("2030-06-12", "지방선거일"),
        ("2030-07-17", "제헌절"),
        ("2030-08-15", "광복절"),
        ("2030-09-11", "추석 연휴"),
        ("2030-09-12", "추석"),
        ("2030-09-13", "추석 연휴"),
        ("2030-10-03", "개천절"),
        ("2030-10-09", "한글날"),
        ("2030-12-25", "성탄절"),
        ("2031-01-01", "신정"),
        ("2031-01-22", "설날 연휴"),
        ("2031-01-23", "설날"),
        ("2031-01-24", "설날 연휴"),
        ("2031-03-01", "삼일절"),
        ("2031-03-03", "대체공휴일(삼일절)"),
        ("2031-05-01", "노동절"),
        ("2031-05-05", "어린이날"),
        ("2031-05-28", "부처님오신날"),
        ("2031-06-06", "현충일"),
        ("2031-07-17", "제헌절"),
        ("2031-08-15", "광복절"),
        ("2031-09-30", "추석 연휴"),
        ("2031-10-01", "추석"),
        ("2031-10-02", "추석 연휴"),
        ("2031-10-03", "개천절"),
        ("2031-10-09", "한글날"),
        ("2031-12-25", "성탄절"),
        ("2032-01-01", "신정"),
        ("2032-02-10", "설날 연휴"),
        ("2032-02-11", "설날"),
        ("2032-02-12", "설날 연휴"),
        ("2032-03-01", "삼일절"),
        ("2032-04-14", "국회의원 선거일"),
        ("2032-05-01", "노동절"),
        ("2032-05-03", "대체공휴일(노동절)"),
        ("2032-05-05", "어린이날"),
        ("2032-05-16", "부처님오신날"),
        ("2032-05-17", "대체공휴일(부처님오신날)"),
        ("2032-06-06", "현충일"),
        ("2032-07-17", "제헌절"),
        ("2032-07-19", "대체공휴일(제헌절)"),
        ("2032-08-15", "광복절"),
        ("2032-08-16", "대체공휴일(광복절)"),
        ("2032-09-18", "추석 연휴"),
        ("2032-09-19", "추석"),
        ("2032-09-20", "추석 연휴"),
        ("2032-09-21", "대체공휴일(추석)"),
        ("2032-10-03", "개천절"),
        ("2032-10-04", "대체공휴일(개천절)"),
        ("2032-10-09", "한글날"),
        ("2032-10-11", "대체공휴일(한글날)"),
        ("2032-12-25", "성탄절"),
        ("2032-12-27", "대체공휴일(성탄절)"),
        ("2033-01-01", "신정"),
        ("2033-01-30", "설날 연휴"),
        ("2033-01-31", "설날"),
        ("2033-02-01", "설날 연휴"),
        ("2033-02-02", "대체공휴일(설날)"),
        ("2033-03-01", "삼일절"),
        ("2033-05-01", "노동절"),
        ("2033-05-02", "대체공휴일(노동절)"),
        ("2033-05-05", "어린이날"),
        ("2033-05-06", "부처님오신날"),
        ("2033-06-06", "현충일"),
        ("2033-07-17", "제헌절"),
        ("2033-07-18", "대체공휴일(제헌절)"),
        ("2033-08-15", "광복절"),
        ("2033-09-07", "추석 연휴"),
        ("2033-09-08", "추석"),
        ("2033-09-09", "추석 연휴"),
        ("2033-10-03", "개천절"),
        ("2033-10-09", "한글날"),
        ("2033-10-10", "대체공휴일(한글날)"),
        ("2033-12-25", "성탄절"),
        ("2033-12-26", "대체공휴일(성탄절)"),
        ("2034-01-01", "신정"),
        ("2034-02-18", "설날 연휴"),
        ("2034-02-19", "설날"),
        ("2034-02-20", "설날 연휴"),
        ("2034-02-21", "대체공휴일(설날)"),
        ("2034-03-01", "삼일절"),
        ("2034-05-01", "노동절"),
        ("2034-05-05", "어린이날"),
        ("2034-05-25", "부처님오신날"),
        ("2034-05-31", "지방선거일"),
        ("2034-06-06", "현충일"),
        ("2034-07-17", "제헌절"),
        ("2034-08-15", "광복절"),
        ("2034-09-26", "추석 연휴"),
        ("2034-09-27", "추석"),
        ("2034-09-28", "추석 연휴"),
        ("2034-10-03", "개천절"),
        ("2034-10-09", "한글날"),
        ("2034-12-25", "성탄절"),
        ("2035-01-01", "신정"),
        ("2035-02-07", "설날 연휴"),
        ("2035-02-08", "설날"),
        ("2035-02-09", "설날 연휴"),
        ("2035-03-01", "삼일절"),
        ("2035-03-28", "대통령 선거일"),
        ("2035-05-01", "노동절"),
        ("2035-05-05", "어린이날"),
        ("2035-05-07", "대체공휴일(어린이날)"),
        ("2035-05-15", "부처님오신날"),
        ("2035-06-06", "현충일"),
        ("2035-07-17", "제헌절"),
        ("2035-08-15", "광복절"),
        ("2035-09-15", "추석 연휴"),
        ("2035-09-16", "추석"),
        ("2035-09-17", "추석 연휴"),
        ("2035-09-18", "대체공휴일(추석)"),
        ("2035-10-03", "개천절"),
        ("2035-10-09", "한글날"),
        ("2035-12-25", "성탄절"),
    ];
    T.iter()
        .filter_map(|(d, n)| {
            Some(Holiday {
                date: d.parse().ok()?,
                name: (*n).to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn st(name: &str, start: u32, n: u32) -> ShiftTypeDef {
        ShiftTypeDef {
            id: Uuid::now_v7(),
            name: name.into(),
            start_minute: start,
            length_minutes: 480,
            colour: "#336699".into(),
            headcount: n,
            weekday_headcount: None,
            holiday_headcount: None,
            allowed: vec![],
        }
    }

    #[test]
    fn the_mapping_carries_every_setting_to_the_engine() {
        let staff: Vec<Staff> = (0..4)
            .map(|i| Staff {
                user: Uuid::now_v7(),
                name: format!("p{i}"),
            })
            .collect();
        let mut day = st("주간", 7 * 60, 1);
        day.weekday_headcount = Some(vec![1, 1, 1, 1, 1, 2, 2]);
        let mut night = st("야간", 23 * 60, 1);
        night.allowed = vec![staff[0].user, staff[1].user];
        let setup = Setup {
            conditions: vec![
                Condition {
                    id: Uuid::now_v7(),
                    name: String::new(),
                    hard: true,
                    weight: 1,
                    members: vec![],
                    rule: Rule::ShiftCount {
                        shift_types: vec![night.id],
                        period: Period::Week,
                        min: None,
                        max: Some(2),
                    },
                },
                Condition {
                    id: Uuid::now_v7(),
                    name: "no day after night".into(),
                    hard: false,
                    weight: 7,
                    members: vec![staff[3].user],
                    rule: Rule::ForbiddenSuccession {
                        from: night.id,
                        to: day.id,
                    },
                },
            ],
            leave: vec![Leave {
                user: staff[2].user,
                date: "2026-05-06".parse().unwrap(),
                kind: "leave".into(),
            }],
            requests: vec![Request {
                id: Uuid::now_v7(),
                user: staff[1].user,
                date: "2026-05-07".parse().unwrap(),
                shift_type: Some(night.id),
                want: true,
                weight: None,
            }],
            shift_types: vec![day.clone(), night.clone()],
            ..Default::default()
        };
        let b = build_model(&setup, &staff, "2026-05-04".parse().unwrap(), 7, "w").unwrap();
        let m = &b.model;
        assert_eq!(m.horizon.first_weekday, 0, "4 May 2026 is a Monday");
        assert_eq!(
            m.employees[2].allowed_shifts,
            vec![0],
            "only listed people work nights"
        );
        assert_eq!(m.employees[0].allowed_shifts, vec![0, 1]);
        // Saturday needs 2 on days; 5 May is Children's Day: the Sunday figure (2) applies.
        let need = |d: usize, s: usize| {
            m.cover
                .iter()
                .find(|c| c.day == d && c.shift == s)
                .unwrap()
                .min
        };
        assert_eq!(need(5, 0), 2);
        assert_eq!(need(1, 0), 2, "holiday uses the Sunday headcount");
        assert_eq!(need(2, 0), 1);
        assert!(b.is_holiday(1));
        assert_eq!(m.constraints[0].strength, m::Strength::Hard);
        assert_eq!(
            m.constraints[0].rule,
            m::Rule::ShiftCount {
                shifts: vec![1],
                period: m::Period::Week,
                min: None,
                max: Some(2)
            }
        );
        assert_eq!(m.constraints[1].scope, m::Scope::Employees(vec![3]));
        assert_eq!(m.constraints[1].strength, m::Strength::Soft(7));
        assert_eq!(
            m.constraints[2].rule,
            m::Rule::Unavailable {
                days: vec![2],
                shifts: vec![]
            }
        );
        assert_eq!(
            b.origins[2],
            Origin::Leave {
                user: staff[2].user
            }
        );
        assert_eq!(m.constraints[3].strength, m::Strength::Soft(REQUEST_WEIGHT));
        assert_eq!(
            m.constraints[3].rule,
            m::Rule::ShiftOnRequest {
                day: 3,
                shift: Some(1)
            }
        );
        assert_eq!(b.origins[4], Origin::Balance);
        assert_eq!(b.day_of("2026-05-10".parse().unwrap()), Some(6));
        assert_eq!(b.day_of("2026-05-11".parse().unwrap()), None);
        let s = sentence(&setup.conditions[0], &setup, Lang::Ko);
        assert!(
            s.contains("매주") && s.contains("야간") && s.contains("최대 2회"),
            "{s}"
        );
        let s = sentence(&setup.conditions[1], &setup, Lang::En);
        assert!(s.contains("never works 주간 the day after 야간"), "{s}");
    }

    #[test]
    fn explanations_read_in_korean_and_english() {
        let staff: Vec<Staff> = ["민지", "서연"]
            .iter()
            .map(|n| Staff {
                user: Uuid::now_v7(),
                name: (*n).into(),
            })
            .collect();
        let setup = Setup {
            shift_types: vec![st("야간", 22 * 60, 2)],
            leave: vec![Leave {
                user: staff[1].user,
                date: "2026-05-05".parse().unwrap(),
                kind: "leave".into(),
            }],
            ..Default::default()
        };
        let b = build_model(&setup, &staff, "2026-05-04".parse().unwrap(), 3, "x").unwrap();
        let issues = roster::explain::precheck(&b.model);
        let i = issues
            .iter()
            .find(|i| i.kind == roster::explain::IssueKind::CoverShortfall)
            .unwrap();
        let ko = words::issue_text(&b, i, Lang::Ko);
        let en = words::issue_text(&b, i, Lang::En);
        assert!(ko.starts_with("5/5(화) 야간: 2명이 필요한데"), "{ko}");
        assert!(ko.contains("서연: 휴가·근무 불가일"), "{ko}");
        assert!(
            en.starts_with("Tue 5 May, 야간: needs 2, but only 1"),
            "{en}"
        );
        assert!(en.contains("서연 is away that day"), "{en}");
        assert_eq!(b.label(0, Lang::En), "서연's leave / unavailable days");
    }

    #[test]
    fn removing_a_shift_type_takes_its_conditions_and_requests_along() {
        let (day, night) = (st("D", 7 * 60, 1), st("N", 23 * 60, 1));
        let cond = |rule| Condition {
            id: Uuid::now_v7(),
            name: String::new(),
            hard: true,
            weight: 1,
            members: vec![],
            rule,
        };
        let req = |shift_type| Request {
            id: Uuid::now_v7(),
            user: Uuid::now_v7(),
            date: "2026-05-07".parse().unwrap(),
            shift_type,
            want: true,
            weight: None,
        };
        let count = |ids: Vec<Uuid>| Rule::ShiftCount {
            shift_types: ids,
            period: Period::Week,
            min: None,
            max: Some(2),
        };
        let mut setup = Setup {
            shift_types: vec![day.clone(), night.clone()],
            conditions: vec![cond(count(vec![night.id])), cond(count(vec![day.id]))],
            requests: vec![req(Some(night.id)), req(Some(day.id)), req(None)],
            ..Default::default()
        };
        assert!(!setup.remove_shift_type(Uuid::now_v7()));
        assert_eq!(setup.shift_types.len(), 2);
        assert!(setup.remove_shift_type(night.id));
        assert_eq!(setup.shift_types, vec![day.clone()]);
        assert_eq!(
            setup.conditions.len(),
            1,
            "the night condition went with it"
        );
        assert!(setup.check_condition(&setup.conditions[0]).is_ok());
        assert_eq!(
            setup
                .requests
                .iter()
                .map(|r| r.shift_type)
                .collect::<Vec<_>>(),
            vec![Some(day.id), None]
        );
        let (c, r) = (setup.conditions[0].id, setup.requests[0].id);
        assert!(setup.remove_condition(c) && !setup.remove_condition(c));
        assert!(setup.remove_request(r) && !setup.remove_request(r));
        assert_eq!(setup.requests.len(), 1);
    }

    #[test]
    fn the_holiday_table_covers_2024_to_2035_with_lunar_and_substitute_days() {
        let t = korean_holidays();
        let on = |d: &str| -> Vec<String> {
            let d: Date = d.parse().unwrap();
            t.iter()
                .filter(|h| h.date == d)
                .map(|h| h.name.clone())
                .collect()
        };
        // Lunar holidays (checked against KASI's calendar).
        assert_eq!(on("2030-02-03"), ["설날"]);
        assert_eq!(on("2030-02-02"), ["설날 연휴"]);
        assert_eq!(on("2033-09-08"), ["추석"]);
        assert_eq!(on("2024-02-10"), ["설날"]);
        assert_eq!(on("2035-05-15"), ["부처님오신날"]);
        // Substitute holidays: 설날 on a Sunday (2030) gives the next free weekday after the
        // three days; 추석 on 개천절 (2028) gives one too; 삼일절 on a Saturday (2031) gives
        // Monday; 성탄절 on a Saturday (2027) gives Monday.
        assert_eq!(on("2030-02-05"), ["대체공휴일(설날)"]);
        assert!(on("2030-02-06").is_empty());
        assert_eq!(on("2028-10-03"), ["개천절·추석"]);
        assert_eq!(on("2028-10-05"), ["대체공휴일(추석)"]);
        assert_eq!(on("2031-03-03"), ["대체공휴일(삼일절)"]);
        assert_eq!(on("2027-12-27"), ["대체공휴일(성탄절)"]);
        // No substitute when the holiday falls on a weekday.
        assert!(on("2033-09-10").is_empty() && on("2033-09-12").is_empty());
        // Every year 2024–2035 has each fixed holiday, one 설날 and one 추석, and the dates are
        // unique and sorted.
        for y in 2024..=2035 {
            for (md, name) in [
                ("01-01", "신정"),
                ("03-01", "삼일절"),
                ("06-06", "현충일"),
                ("08-15", "광복절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ] {
                assert!(
                    on(&format!("{y}-{md}")).iter().any(|n| n.contains(name)),
                    "{y} {name}"
                );
            }
            let of_year = |name: &str| {
                t.iter()
                    .filter(|h| h.date.year() == y as i16 && h.name.split('·').any(|n| n == name))
                    .count()
            };
            assert_eq!(of_year("설날"), 1, "{y}");
            assert_eq!(of_year("추석"), 1, "{y}");
            assert_eq!(of_year("부처님오신날"), 1, "{y}");
        }
        assert!(t.windows(2).all(|w| w[0].date < w[1].date));
        assert_eq!(
            t.first().unwrap().date,
            "2024-01-01".parse::<Date>().unwrap()
        );
        assert_eq!(
            t.last().unwrap().date,
            "2035-12-25".parse::<Date>().unwrap()
        );
    }

    #[test]
    fn bad_settings_are_refused_with_a_field() {
        let setup = Setup {
            shift_types: vec![st("D", 0, 1)],
            ..Default::default()
        };
        let c = Condition {
            id: Uuid::now_v7(),
            name: String::new(),
            hard: true,
            weight: 1,
            members: vec![],
            rule: Rule::ForbiddenSuccession {
                from: Uuid::now_v7(),
                to: setup.shift_types[0].id,
            },
        };
        assert_eq!(
            setup.check_condition(&c).unwrap_err().code,
            "unknown_shift_type"
        );
        let mut bad = st("", 0, 1);
        assert_eq!(Setup::check_shift_type(&bad).unwrap_err().field, "name");
        bad.name = "x".into();
        bad.colour = "red".into();
        assert_eq!(Setup::check_shift_type(&bad).unwrap_err().field, "colour");
        assert_eq!(parse_clock("start", "23:30").unwrap(), 1410);
        assert!(parse_clock("start", "24:00").is_err());
        assert_eq!(
            build_model(&setup, &[], "2026-01-01".parse().unwrap(), 3, "x")
                .unwrap_err()
                .field,
            "members"
        );
    }
}
