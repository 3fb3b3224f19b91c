//! A roster in other formats: CSV, XLSX, text for KakaoTalk, iCalendar.
//!
//! All four read the same [`Loaded`] roster as the page, so they cannot disagree with it. Shift
//! times are wall-clock times of the group's zone; the iCalendar feed writes them with a `TZID`
//! (computed with jiff) and the zone's `VTIMEZONE` (its offsets and transitions over the roster's
//! dates), so calendar apps show the same local times on both sides of a DST change.

use super::Loaded;
use crate::error::ApiError;
use icalendar::{Calendar, Component, Event, Property};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use uuid::Uuid;

const WEEKDAYS_KO: [&str; 7] = ["월", "화", "수", "목", "금", "토", "일"];

fn csv_field(s: &str) -> String {
    // Cells starting with a formula character are prefixed so spreadsheets do not run them.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn shift_name(l: &Loaded, e: usize, d: usize) -> String {
    l.roster
        .get(e, d)
        .and_then(|s| l.built.shift_types.get(s))
        .map(|s| s.name.clone())
        .unwrap_or_default()
}

/// Header `member, 2026-12-01, ...`; one row per member; empty = off.
pub fn csv(l: &Loaded) -> String {
    let days = l.built.model.days();
    let mut out = String::from("\u{feff}member");
    for d in 0..days {
        out.push(',');
        out.push_str(&l.built.date(d).to_string());
    }
    out.push_str("\r\n");
    for (e, s) in l.built.staff.iter().enumerate() {
        out.push_str(&csv_field(&s.name));
        for d in 0..days {
            out.push(',');
            out.push_str(&csv_field(&shift_name(l, e, d)));
        }
        out.push_str("\r\n");
    }
    out
}

/// The grid as a workbook: members down, dates across, shift cells in their colour.
pub fn xlsx(l: &Loaded) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Color, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Roster").map_err(ApiError::internal)?;
    let bold = Format::new().set_bold();
    let days = l.built.model.days();
    ws.write_string_with_format(0, 0, "member", &bold)
        .map_err(ApiError::internal)?;
    for d in 0..days {
        let date = l.built.date(d);
        ws.write_string_with_format(0, (d + 1) as u16, date.to_string(), &bold)
            .map_err(ApiError::internal)?;
    }
    let formats: Vec<Format> = l
        .built
        .shift_types
        .iter()
        .map(|s| {
            let hex = u32::from_str_radix(s.colour.trim_start_matches('#'), 16).unwrap_or(0xdddddd);
            Format::new().set_background_color(Color::RGB(hex))
        })
        .collect();
    for (e, s) in l.built.staff.iter().enumerate() {
        let row = (e + 1) as u32;
        ws.write_string(row, 0, &s.name)
            .map_err(ApiError::internal)?;
        for d in 0..days {
            if let Some(t) = l.roster.get(e, d) {
                let name = l.built.shift_types.get(t).map_or("", |x| x.name.as_str());
                match formats.get(t) {
                    Some(f) => ws.write_string_with_format(row, (d + 1) as u16, name, f),
                    None => ws.write_string(row, (d + 1) as u16, name),
                }
                .map_err(ApiError::internal)?;
            }
        }
    }
    ws.set_column_width(0, 16).map_err(ApiError::internal)?;
    wb.save_to_buffer().map_err(ApiError::internal)
}

/// One line per day, shift types in order, names joined: pastes well into KakaoTalk.
pub fn kakao_text(l: &Loaded) -> String {
    let b = &l.built;
    let m = &b.model;
    let mut out = format!(
        "📅 {} ({} ~ {})\n",
        l.row.name,
        b.start,
        b.date(m.days().saturating_sub(1))
    );
    for d in 0..m.days() {
        let date = b.date(d);
        let wd = WEEKDAYS_KO[m.horizon.weekday(d) as usize];
        let mut parts = Vec::new();
        for (s, t) in b.shift_types.iter().enumerate() {
            let names: Vec<&str> = (0..b.staff.len())
                .filter(|&e| l.roster.get(e, d) == Some(s))
                .map(|e| b.staff[e].name.as_str())
                .collect();
            if !names.is_empty() {
                parts.push(format!("{} {}", t.name, names.join(", ")));
            }
        }
        let holiday = b
            .holidays
            .iter()
            .find(|h| h.date == date)
            .map(|h| format!(" 🎌{}", h.name))
            .unwrap_or_default();
        out.push_str(&format!(
            "{}/{}({wd}){holiday} {}\n",
            date.month(),
            date.day(),
            if parts.is_empty() {
                "-".to_owned()
            } else {
                parts.join(" / ")
            }
        ));
    }
    out
}

fn ical_local(dt: DateTime) -> String {
    dt.strftime("%Y%m%dT%H%M%S").to_string()
}

fn ical_offset(o: jiff::tz::Offset) -> String {
    let s = o.seconds();
    let (sign, a) = if s < 0 { ('-', -s) } else { ('+', s) };
    let (h, m, sec) = (a / 3600, (a % 3600) / 60, a % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

/// A `VTIMEZONE` for `name` covering `from..to`: one STANDARD / DAYLIGHT observance per
/// transition in the range (plus the one in force at its start), taken from jiff's copy of the
/// tz database, so a client that does not know the zone id still gets every offset right.
pub fn vtimezone(
    name: &str,
    zone: &TimeZone,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> String {
    let mut transitions: Vec<_> = zone.preceding(from).take(1).collect();
    transitions.extend(zone.following(from).take_while(|t| t.timestamp() <= to));
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{name}\r\n");
    if transitions.is_empty() {
        let o = zone.to_offset(from);
        let off = ical_offset(o);
        out.push_str(&format!(
            "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:{off}\r\nTZOFFSETTO:{off}\r\nEND:STANDARD\r\n"
        ));
    }
    for t in transitions {
        let before = zone.to_offset(t.timestamp() - jiff::SignedDuration::from_secs(1));
        let kind = if t.dst().is_dst() {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        let onset = before.to_datetime(t.timestamp());
        out.push_str(&format!(
            "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n",
            ical_local(onset),
            ical_offset(before),
            ical_offset(t.offset()),
        ));
        let abbr = t.abbreviation();
        if !abbr.is_empty()
            && abbr
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
        {
            out.push_str(&format!("TZNAME:{abbr}\r\n"));
        }
        out.push_str(&format!("END:{kind}\r\n"));
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

/// iCalendar: one event per shift (of one member when given), times in `tz` with a TZID.
pub fn ical(
    l: &Loaded,
    member: Option<Uuid>,
    group_tz: &str,
    tz: &str,
) -> Result<String, ApiError> {
    if let Some(u) = member
        && l.built.staff_index(u).is_none()
    {
        return Err(ApiError::not_found("member_not_on_roster"));
    }
    ical_many(std::slice::from_ref(l), &l.row.name, member, group_tz, tz)
}

/// iCalendar over several rosters (a member's personal feed): one event per shift of
/// `member` (everyone when none) on each roster; rosters the member is not on add nothing.
pub fn ical_many(
    rosters: &[Loaded],
    name: &str,
    member: Option<Uuid>,
    group_tz: &str,
    tz: &str,
) -> Result<String, ApiError> {
    let zone = TimeZone::get(tz).map_err(|_| ApiError::field("tz", "unknown_time_zone"))?;
    // Shift times are wall-clock times where the group is; show them in the feed's zone.
    let group_zone = moim_core::time::zone(group_tz);
    let mut cal = Calendar::new();
    cal.name(name);
    cal.timezone(tz);
    let mut span: Option<(jiff::civil::Date, jiff::civil::Date)> = None;
    for l in rosters {
        let b = &l.built;
        let only = match member {
            Some(u) => match b.staff_index(u) {
                Some(e) => Some(e),
                None => continue,
            },
            None => None,
        };
        let (first, last) = (b.start, b.date(b.model.days()));
        span = Some(span.map_or((first, last), |(a, z)| (a.min(first), z.max(last))));
        let stamp = moim_core::time::timestamp(l.row.updated_at)
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string();
        for (e, person) in b.staff.iter().enumerate() {
            if only.is_some_and(|o| o != e) {
                continue;
            }
            for d in 0..b.model.days() {
                let Some(s) = l.roster.get(e, d) else {
                    continue;
                };
                let Some(t) = b.shift_types.get(s) else {
                    continue;
                };
                let date = b.date(d);
                let start = date.to_datetime(jiff::civil::Time::midnight())
                    + jiff::Span::new().minutes(t.start_minute as i64);
                let end = start + jiff::Span::new().minutes(t.length_minutes as i64);
                let start_z = group_zone
                    .to_zoned(start)
                    .map_err(ApiError::internal)?
                    .with_time_zone(zone.clone());
                let end_z = group_zone
                    .to_zoned(end)
                    .map_err(ApiError::internal)?
                    .with_time_zone(zone.clone());
                let summary = if only.is_some() {
                    t.name.clone()
                } else {
                    format!("{} {}", t.name, person.name)
                };
                let mut ev = Event::new();
                ev.uid(&format!("{}-{}-{}@moim", l.row.id, person.user, date))
                    .summary(&summary)
                    .description(&l.row.name)
                    .append_property(Property::new("DTSTAMP", stamp.as_str()))
                    .append_property(
                        Property::new("DTSTART", ical_local(start_z.datetime()))
                            .add_parameter("TZID", tz)
                            .done(),
                    )
                    .append_property(
                        Property::new("DTEND", ical_local(end_z.datetime()))
                            .add_parameter("TZID", tz)
                            .done(),
                    );
                cal.push(ev.done());
            }
        }
    }
    // The VTIMEZONE goes before the events (the builder has no component for it).
    let today = jiff::Zoned::now().with_time_zone(zone.clone()).date();
    let (first, last) = span.unwrap_or((today, today));
    let from = first
        .yesterday()
        .unwrap_or(first)
        .to_zoned(zone.clone())
        .map_err(ApiError::internal)?
        .timestamp();
    let to = last
        .tomorrow()
        .unwrap_or(last)
        .to_zoned(zone.clone())
        .map_err(ApiError::internal)?
        .timestamp();
    let vtz = vtimezone(tz, &zone, from, to);
    let text = cal.done().to_string();
    let at = text
        .find("BEGIN:VEVENT")
        .or_else(|| text.find("END:VCALENDAR"))
        .unwrap_or(text.len());
    Ok(format!("{}{vtz}{}", &text[..at], &text[at..]))
}
