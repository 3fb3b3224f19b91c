//! The engine's explanations and rule checks in the viewer's language.
//!
//! The engine keeps every [`Issue`] and [`Violation`] structured (kind, day, shift, people,
//! blockers, numbers) with an English `message` for the CLI; here they are rendered again from
//! that structure, in Korean or English, with the names of the group's members, shift types and
//! conditions (`Built::label`).

use super::{Built, Lang};
use roster::eval::{Source, Violation};
use roster::explain::{Blocker, Issue, IssueKind};

const WD_KO: [&str; 7] = ["월", "화", "수", "목", "금", "토", "일"];
const WD_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `12/3(목)` or `Thu 3 Dec`.
pub fn day_label(b: &Built, day: usize, lang: Lang) -> String {
    let d = b.date(day);
    let wd = d.weekday().to_monday_zero_offset() as usize;
    match lang {
        Lang::Ko => format!("{}/{}({})", d.month(), d.day(), WD_KO[wd]),
        Lang::En => format!(
            "{} {} {}",
            WD_EN[wd],
            d.day(),
            MONTHS[(d.month() as usize).clamp(1, 12) - 1]
        ),
    }
}

fn person(b: &Built, e: usize) -> String {
    b.staff
        .get(e)
        .map_or_else(|| "?".into(), |s| s.name.clone())
}

fn shift(b: &Built, s: usize) -> String {
    b.shift_types
        .get(s)
        .map_or_else(|| "?".into(), |t| t.name.clone())
}

fn people(b: &Built, es: &[usize], lang: Lang) -> String {
    let v: Vec<String> = es.iter().map(|&e| person(b, e)).collect();
    match (v.len(), lang) {
        (0, Lang::Ko) => "아무도 없음".into(),
        (0, Lang::En) => "nobody".into(),
        (n, Lang::Ko) if n > 6 => format!("{} 외 {}명", v[..5].join(", "), n - 5),
        (n, Lang::En) if n > 6 => format!("{} and {} others", v[..5].join(", "), n - 5),
        (_, Lang::Ko) => v.join(", "),
        (1, Lang::En) => v[0].clone(),
        (n, Lang::En) => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    }
}

fn blocker(b: &Built, x: &Blocker, lang: Lang) -> String {
    let who = person(b, x.employee);
    let ko = lang == Lang::Ko;
    match x.constraint {
        Some(i) => {
            let label = b.label(i, lang);
            let unavailable = matches!(
                b.model.constraints.get(i).map(|c| &c.rule),
                Some(roster::model::Rule::Unavailable { .. })
            );
            match (unavailable, ko) {
                (true, true) => format!("{who}: 휴가·근무 불가일"),
                (true, false) => format!("{who} is away that day"),
                (false, true) => format!("{who}: 「{label}」에 걸림"),
                (false, false) => format!("{who} is held back by \"{label}\""),
            }
        }
        None if x.reason.starts_with("does not work") => {
            if ko {
                format!("{who}: 이 근무를 할 수 없는 사람")
            } else {
                format!("{who} may not work this shift")
            }
        }
        None if x.reason.starts_with("is pinned") => {
            if ko {
                format!("{who}: 그날 다른 칸에 고정됨")
            } else {
                format!("{who} is locked to something else that day")
            }
        }
        None => {
            if ko {
                format!("{who}: 그날 다른 근무에 필요함")
            } else {
                format!("{who} is needed on another shift that day")
            }
        }
    }
}

/// One explained impossibility, in a language.
pub fn issue_text(b: &Built, i: &Issue, lang: Lang) -> String {
    let ko = lang == Lang::Ko;
    let day = i.day.map(|d| day_label(b, d, lang)).unwrap_or_default();
    let sh = i.shift.map(|s| shift(b, s)).unwrap_or_default();
    let names = people(b, &i.employees, lang);
    let why: Vec<String> = i
        .blockers
        .iter()
        .take(6)
        .map(|x| blocker(b, x, lang))
        .collect();
    let why = if why.is_empty() {
        String::new()
    } else if ko {
        format!(" 이유: {}.", why.join("; "))
    } else {
        format!(" Why: {}.", why.join("; "))
    };
    let rules = || {
        i.constraints
            .iter()
            .map(|&c| b.label(c, lang))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (n, a) = (i.needed, i.available);
    match (i.kind, ko) {
        (IssueKind::CoverShortfall, true) => {
            format!("{day} {sh}: {n}명이 필요한데 일할 수 있는 사람은 {a}명({names})뿐이에요.{why}")
        }
        (IssueKind::CoverShortfall, false) => {
            format!("{day}, {sh}: needs {n}, but only {a} can work it ({names}).{why}")
        }
        (IssueKind::DayShortfall, true) => {
            format!(
                "{day}: 모든 근무에 합쳐 {n}명이 필요한데 일할 수 있는 사람은 {a}명이에요 ({names})."
            )
        }
        (IssueKind::DayShortfall, false) => {
            format!(
                "{day}: the shifts need {n} people together, but only {a} are available ({names})."
            )
        }
        (IssueKind::ShiftTypeCapacity, true) => format!(
            "{sh} 근무는 기간 동안 {n}번 필요한데 모두의 한도를 합쳐도 {a}번뿐이에요 (한도: {}).",
            rules()
        ),
        (IssueKind::ShiftTypeCapacity, false) => format!(
            "The {sh} shifts need {n} people over the period, but everyone's limits together allow only {a} (limits: {}).",
            rules()
        ),
        (IssueKind::WeekendCapacity, true) => format!(
            "주말에 모두 {n}명·주말이 필요한데 주말 한도로는 {a}뿐이에요 ({}).",
            rules()
        ),
        (IssueKind::WeekendCapacity, false) => format!(
            "The weekends need {n} people-weekends, but the weekend limits allow only {a} ({}).",
            rules()
        ),
        (IssueKind::EmployeeWorkload, true) => format!(
            "{names}: 「{}」을(를) 지킬 수 없어요 (필요 {}시간, 가능 {}시간).",
            rules(),
            n / 60,
            a / 60
        ),
        (IssueKind::EmployeeWorkload, false) => format!(
            "{names} cannot meet \"{}\" (needs {} hours, at most {} possible).",
            rules(),
            n / 60,
            a / 60
        ),
        (IssueKind::Violation, _) if i.shift.is_some() && i.day.is_some() && n > 0 => {
            if ko {
                format!("{day} {sh}: {n}명이 필요한데 {a}명만 배정됐어요 ({names}).{why}")
            } else {
                format!("{day}, {sh}: needs {n}, only {a} assigned ({names}).{why}")
            }
        }
        (IssueKind::Violation, _) => {
            let who = i
                .employees
                .first()
                .map(|&e| person(b, e))
                .unwrap_or_default();
            let what = if i.constraints.is_empty() {
                if ko {
                    "인원 수".to_owned()
                } else {
                    "headcount".to_owned()
                }
            } else {
                rules()
            };
            let at = [who, day, sh]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            if ko {
                format!("{at}: 「{what}」을(를) 어겨요.")
            } else {
                format!("{at}: breaks \"{what}\".")
            }
        }
    }
}

/// A hard violation of a checked roster, as a cell shows it.
pub fn violation_text(b: &Built, v: &Violation, lang: Lang) -> String {
    let ko = lang == Lang::Ko;
    match v.source {
        Source::Constraint(i) => {
            let label = b.label(i, lang);
            if ko {
                format!("「{label}」 위반")
            } else {
                format!("breaks \"{label}\"")
            }
        }
        Source::Qualification => {
            if ko {
                "이 근무를 할 수 없는 사람이에요".into()
            } else {
                "may not work this shift type".into()
            }
        }
        Source::Lock => {
            if ko {
                "고정된 칸이 바뀌었어요".into()
            } else {
                "a locked cell was changed".into()
            }
        }
        Source::Cover => {
            let sh = v.shift.map(|s| shift(b, s)).unwrap_or_default();
            if ko {
                format!("{sh} 인원 수가 맞지 않아요 ({}명 차이)", v.units)
            } else {
                format!("{sh} headcount is off by {}", v.units)
            }
        }
    }
}
