//! Meetup rules: field limits, the hosting lead time, the time-of-day slot, regions, route
//! distance and the ten host-rating reasons. Pure, so every rule is unit tested here.

use crate::FieldError;
use crate::time::{HOUR, MINUTE, Millis};

pub const TITLE_MIN: usize = 3;
pub const TITLE_MAX: usize = 28;
pub const DESCRIPTION_MAX: usize = 600;
pub const NOTE_MAX: usize = 40;
pub const ADDRESS_MAX: usize = 120;
pub const CAPACITY_MIN: i64 = 2;
pub const CAPACITY_MAX: i64 = 20;
pub const IMAGES_MAX: usize = 3;
pub const ROUTE_MAX_POINTS: usize = 500;
/// Default minimum time between hosting and the start (configurable per server).
pub const DEFAULT_MIN_LEAD: Millis = 6 * HOUR;
/// Attendance opens this long before the start.
pub const ATTENDANCE_OPENS: Millis = 30 * MINUTE;
/// Participants may rate the host from the start until this long after the end.
pub const RATING_WINDOW: Millis = 7 * 24 * HOUR;
/// Lists show a meetup as closed from this long before its start (applying stays open).
pub const LIST_CLOSES: Millis = 4 * HOUR;

pub const THEMES: &[&str] = &[
    "city", "park", "track", "river", "mountain", "beach", "study", "games", "other",
];
pub const LEVELS: &[&str] = &["any", "beginner", "intermediate", "advanced"];

/// How long a meetup lasts when the host does not say (and what meetups hosted before the
/// duration existed were given), in minutes.
pub const DEFAULT_DURATION_MIN: i64 = 120;
/// A meetup lasts 15 minutes to 24 hours.
pub const DURATION_MIN: i64 = 15;
pub const DURATION_MAX: i64 = 24 * 60;
/// The "how was it?" reminder goes this long after the end.
pub const AFTER_END: Millis = HOUR;
/// The "starting soon" reminder goes this long before the start (when attendance opens).
pub const BEFORE_START: Millis = 30 * MINUTE;

/// When the D-day reminder goes: 08:00 local time on the day of the start. A meetup starting
/// before 09:00 would get it too late to be useful, so it gets it at 20:00 local time the
/// evening before instead. Computed in the meetup's zone (DST-correct).
pub fn d_day_at(starts_at: Millis, tz: &str) -> Millis {
    let zone = crate::time::zone(tz);
    let start = crate::time::timestamp(starts_at).to_zoned(zone.clone());
    let at = |date: jiff::civil::Date, hour: i8| {
        date.at(hour, 0, 0, 0)
            .to_zoned(zone.clone())
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(starts_at - 12 * HOUR)
    };
    let morning = at(start.date(), 8);
    if morning > starts_at - HOUR {
        at(start.date().yesterday().unwrap_or(start.date()), 20)
    } else {
        morning
    }
}

/// Manner score every user starts with.
pub const MANNER_BASE: i64 = 50;

/// Title: 3–28 characters after trimming.
pub fn parse_title(raw: &str) -> Result<String, FieldError> {
    let t = raw.trim();
    let n = t.chars().count();
    if n < TITLE_MIN {
        return Err(FieldError::new("title", "too_short"));
    }
    if n > TITLE_MAX {
        return Err(FieldError::new("title", "too_long"));
    }
    Ok(t.to_owned())
}

/// Capacity includes the host: 2–20.
pub fn parse_capacity(c: i64) -> Result<i64, FieldError> {
    if (CAPACITY_MIN..=CAPACITY_MAX).contains(&c) {
        Ok(c)
    } else {
        Err(FieldError::new("capacity", "out_of_range"))
    }
}

pub fn parse_choice(
    field: &'static str,
    raw: &str,
    allowed: &[&'static str],
) -> Result<&'static str, FieldError> {
    allowed
        .iter()
        .find(|a| **a == raw.trim())
        .copied()
        .ok_or(FieldError::new(field, "invalid_choice"))
}

/// A pace like `5'30"` per km (minutes 2–15, seconds 0–59), or empty.
pub fn parse_pace(raw: &str) -> Result<String, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(String::new());
    }
    let bad = || FieldError::new("pace", "invalid");
    let (m, rest) = t.split_once('\'').ok_or_else(bad)?;
    let s = rest.trim_end_matches('"');
    let m: u32 = m.parse().map_err(|_| bad())?;
    let s: u32 = s.parse().map_err(|_| bad())?;
    if !(2..=15).contains(&m) || s > 59 {
        return Err(bad());
    }
    Ok(format!("{m}'{s:02}\""))
}

/// A coordinate pair on Earth.
pub fn check_point(field: &'static str, lat: f64, lng: f64) -> Result<(), FieldError> {
    if lat.is_finite()
        && lng.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lng)
    {
        Ok(())
    } else {
        Err(FieldError::new(field, "invalid_coordinates"))
    }
}

/// Great-circle distance in metres (haversine).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6_371_000.0;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

/// Length of a route drawn as points, in whole metres.
pub fn route_length_m(points: &[(f64, f64)]) -> i64 {
    points
        .windows(2)
        .map(|w| distance_m(w[0], w[1]))
        .sum::<f64>()
        .round() as i64
}

/// The time-of-day slot of a local start hour: 00–04 → 1, 04–08 → 2, …, 20–24 → 6
/// (floor(hour / 4) + 1, so 04:00 is in the 04–08 slot).
pub fn time_slot(hour: i64) -> i64 {
    hour.clamp(0, 23) / 4 + 1
}

/// Distance band k covers 5k−5 to 5k km; band 4 is "15 km and more", with no upper cap.
/// Returns the range in metres (upper bound exclusive, `None` = open).
pub fn distance_band(k: i64) -> Option<(i64, Option<i64>)> {
    match k {
        1..=3 => Some(((k - 1) * 5_000, Some(k * 5_000))),
        4 => Some((15_000, None)),
        _ => None,
    }
}

/// Region code (1–9) from the first word of a Korean address; 0 when unknown. 대전 is region 5
/// (the original left it at 0).
pub fn region_of(address: &str) -> i64 {
    let first = address.split_whitespace().next().unwrap_or("");
    let table: &[(&str, i64)] = &[
        ("서울", 1),
        ("경기", 2),
        ("인천", 3),
        ("강원", 4),
        ("충남", 5),
        ("충북", 5),
        ("세종", 5),
        ("대전", 5),
        ("충청", 5),
        ("경북", 6),
        ("대구", 6),
        ("경남", 7),
        ("부산", 7),
        ("울산", 7),
        ("전남", 8),
        ("전북", 8),
        ("광주", 8),
        ("전라", 8),
        ("제주", 9),
    ];
    for (prefix, code) in table {
        if first.starts_with(prefix) {
            return *code;
        }
    }
    if first.starts_with("경상북") {
        return 6;
    }
    if first.starts_with("경상남") {
        return 7;
    }
    0
}

/// Duration in minutes: 15 min to 24 h, in whole 5-minute steps.
pub fn parse_duration(minutes: i64) -> Result<i64, FieldError> {
    if !(DURATION_MIN..=DURATION_MAX).contains(&minutes) {
        return Err(FieldError::new("duration_min", "out_of_range"));
    }
    if minutes % 5 != 0 {
        return Err(FieldError::new("duration_min", "invalid"));
    }
    Ok(minutes)
}

/// The end of a meetup: its start plus its duration.
pub fn ends_at(starts_at: Millis, duration_min: i64) -> Millis {
    starts_at + duration_min * MINUTE
}

/// When the host may take attendance: from 30 minutes before the start until participants can
/// no longer rate (attendance decides who may rate, so it has no use after that).
pub fn attendance_open(now: Millis, starts_at: Millis, duration_min: i64) -> bool {
    now >= starts_at - ATTENDANCE_OPENS && now <= ends_at(starts_at, duration_min) + RATING_WINDOW
}

/// Where a participant stands with rating the host at `now`: not yet (before the start), open
/// (from the start until 7 days after the end) or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatingWindow {
    NotYet,
    Open,
    Closed,
}

pub fn rating_window(now: Millis, starts_at: Millis, duration_min: i64) -> RatingWindow {
    if now < starts_at {
        RatingWindow::NotYet
    } else if now <= ends_at(starts_at, duration_min) + RATING_WINDOW {
        RatingWindow::Open
    } else {
        RatingWindow::Closed
    }
}

/// Host-rating reasons 1–10: 1–5 are good (+1), 6–10 bad (−1). The sign comes from the
/// reason, never from the client.
pub fn rating_delta(reason: i64) -> Result<i64, FieldError> {
    match reason {
        1..=5 => Ok(1),
        6..=10 => Ok(-1),
        _ => Err(FieldError::new("reason", "out_of_range")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn time_slots_follow_the_four_hour_boundaries() {
        assert_eq!(time_slot(0), 1);
        assert_eq!(time_slot(3), 1);
        assert_eq!(time_slot(4), 2);
        assert_eq!(time_slot(8), 3);
        assert_eq!(time_slot(20), 6);
        assert_eq!(time_slot(23), 6);
    }

    #[test]
    fn bands_and_regions() {
        assert_eq!(distance_band(2), Some((5_000, Some(10_000))));
        assert_eq!(distance_band(4), Some((15_000, None)));
        assert_eq!(distance_band(0), None);
        assert_eq!(region_of("대전 유성구 대학로 99"), 5);
        assert_eq!(region_of("서울특별시 마포구"), 1);
        assert_eq!(region_of("Berlin"), 0);
    }

    #[test]
    fn route_length_is_haversine() {
        // One degree of latitude is about 111.2 km.
        let d = route_length_m(&[(37.0, 127.0), (38.0, 127.0)]);
        assert!((111_000..111_400).contains(&d), "{d}");
        assert_eq!(route_length_m(&[(37.0, 127.0)]), 0);
    }

    #[test]
    fn d_day_is_eight_in_the_morning_local_or_the_evening_before_an_early_start() {
        let ms = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_millisecond();
        // 19:00 KST on 2026-05-02 → 08:00 KST (23:00 UTC the day before).
        assert_eq!(
            d_day_at(ms("2026-05-02T10:00:00Z"), "Asia/Seoul"),
            ms("2026-05-01T23:00:00Z")
        );
        // 09:00 KST: still 08:00 that morning.
        assert_eq!(
            d_day_at(ms("2026-05-02T00:00:00Z"), "Asia/Seoul"),
            ms("2026-05-01T23:00:00Z")
        );
        // 06:30 KST: 20:00 KST the evening before.
        assert_eq!(
            d_day_at(ms("2026-05-01T21:30:00Z"), "Asia/Seoul"),
            ms("2026-05-01T11:00:00Z")
        );
        // Berlin across the spring DST change (2026-03-29): 08:00 CEST is 06:00 UTC.
        assert_eq!(
            d_day_at(ms("2026-03-29T16:00:00Z"), "Europe/Berlin"),
            ms("2026-03-29T06:00:00Z")
        );
    }

    #[test]
    fn duration_end_and_windows() {
        assert!(parse_duration(10).is_err());
        assert!(parse_duration(1445).is_err());
        assert!(parse_duration(92).is_err());
        assert_eq!(parse_duration(90), Ok(90));
        assert_eq!(parse_duration(1440), Ok(1440));
        let start = 1_000 * HOUR;
        assert_eq!(ends_at(start, 90), start + 90 * MINUTE);
        // Attendance: from 30 min before the start to 7 days after the end.
        assert!(!attendance_open(start - 31 * MINUTE, start, 90));
        assert!(attendance_open(start - 30 * MINUTE, start, 90));
        assert!(attendance_open(
            start + 90 * MINUTE + RATING_WINDOW,
            start,
            90
        ));
        assert!(!attendance_open(
            start + 91 * MINUTE + RATING_WINDOW,
            start,
            90
        ));
        // Rating: from the start to 7 days after the end.
        assert_eq!(rating_window(start - 1, start, 90), RatingWindow::NotYet);
        assert_eq!(rating_window(start, start, 90), RatingWindow::Open);
        assert_eq!(
            rating_window(start + 90 * MINUTE + RATING_WINDOW, start, 90),
            RatingWindow::Open
        );
        assert_eq!(
            rating_window(start + 90 * MINUTE + RATING_WINDOW + 1, start, 90),
            RatingWindow::Closed
        );
    }

    #[test]
    fn fields() {
        assert!(parse_title("ab").is_err());
        assert!(parse_title(&"가".repeat(29)).is_err());
        assert_eq!(parse_title(" 한강 러닝 ").unwrap(), "한강 러닝");
        assert!(parse_capacity(1).is_err());
        assert!(parse_capacity(21).is_err());
        assert_eq!(parse_pace("5'30\"").unwrap(), "5'30\"");
        assert!(parse_pace("fast").is_err());
        assert_eq!(rating_delta(5), Ok(1));
        assert_eq!(rating_delta(6), Ok(-1));
        assert!(rating_delta(11).is_err());
        assert!(check_point("lat", 91.0, 0.0).is_err());
    }
}
