//! Five-field cron expressions (`minute hour day-of-month month day-of-week`) evaluated in a
//! time zone.
//!
//! Each field takes `*`, a number, a range `a-b`, a step `*/n`, `a-b/n` or `a/n`, and comma
//! lists of those. Day of week is 0–7 (0 and 7 are Sunday). As in Vixie cron, when both day
//! fields are restricted a day matches if *either* does.
//!
//! Daylight-saving changes:
//! - a local time that does not exist (spring forward) fires at the same wall-clock distance
//!   after the gap (02:30 in a 02:00→03:00 gap fires at 03:30), the way people expect a
//!   "02:30 every day" job to behave;
//! - a local time that happens twice (fall back) fires once, at its first occurrence — unless
//!   the hour field is `*`, in which case the schedule is hourly or finer and fires in both
//!   passes of the repeated hour, so "every 15 minutes" stays every 15 minutes of real time.

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ToSpan as _};
use std::fmt;
use std::str::FromStr;

/// A parsed cron expression.
#[derive(Clone, PartialEq, Eq)]
pub struct Cron {
    source: String,
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// The day-of-month field starts with `*` (Vixie: then only the weekday field decides).
    days_star: bool,
    weekdays_star: bool,
    hours_star: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cron expression {expr:?}: {reason}")]
pub struct CronError {
    pub expr: String,
    pub reason: String,
}

impl fmt::Debug for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cron({:?})", self.source)
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Parses one field into a bit set of the values in `min..=max`.
fn field(src: &str, min: u32, max: u32) -> Result<u64, String> {
    let mut bits = 0u64;
    for part in src.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().map_err(|_| format!("bad step {s:?}"))?;
                if step == 0 {
                    return Err("a step must be at least 1".into());
                }
                (r, step)
            }
            None => (part, 1),
        };
        let num = |s: &str| -> Result<u32, String> {
            let n: u32 = s.parse().map_err(|_| format!("bad number {s:?}"))?;
            if n < min || n > max {
                return Err(format!("{n} is outside {min}-{max}"));
            }
            Ok(n)
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (num(a)?, num(b)?);
            if a > b {
                return Err(format!("range {a}-{b} runs backwards"));
            }
            (a, b)
        } else {
            let a = num(range)?;
            // `a/n` means from a to the end, every n.
            (a, if part.contains('/') { max } else { a })
        };
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

impl FromStr for Cron {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Self, CronError> {
        let err = |reason: String| CronError {
            expr: s.to_owned(),
            reason,
        };
        let parts: Vec<&str> = s.split_whitespace().collect();
        let [mi, h, dom, mon, dow] = parts[..] else {
            return Err(err(format!("expected 5 fields, found {}", parts.len())));
        };
        let mut weekdays = field(dow, 0, 7).map_err(|e| err(format!("day of week: {e}")))?;
        if weekdays & (1 << 7) != 0 {
            weekdays = (weekdays | 1) & 0x7f;
        }
        Ok(Cron {
            source: parts.join(" "),
            minutes: field(mi, 0, 59).map_err(|e| err(format!("minute: {e}")))?,
            hours: field(h, 0, 23).map_err(|e| err(format!("hour: {e}")))? as u32,
            days: field(dom, 1, 31).map_err(|e| err(format!("day of month: {e}")))? as u32,
            months: field(mon, 1, 12).map_err(|e| err(format!("month: {e}")))? as u16,
            weekdays: weekdays as u8,
            days_star: dom.starts_with('*'),
            weekdays_star: dow.starts_with('*'),
            hours_star: h == "*",
        })
    }
}

/// How far a civil time can be from the instant it maps to, beyond the zone's usual offset:
/// the longest transitions on record (Samoa skipped a whole day) stay under this.
const MARGIN_HOURS: i64 = 26;
/// A schedule that matches nothing in this many years (`0 0 30 2 *`) has no next occurrence.
const HORIZON_DAYS: i64 = 366 * 8;

impl Cron {
    pub fn parse(s: &str) -> Result<Self, CronError> {
        s.parse()
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Does the civil date match the month and day fields?
    pub fn matches_date(&self, d: Date) -> bool {
        if self.months & (1 << d.month()) == 0 {
            return false;
        }
        let dom = self.days & (1 << d.day()) != 0;
        let dow = self.weekdays & (1 << d.weekday().to_sunday_zero_offset()) != 0;
        match (self.days_star, self.weekdays_star) {
            (true, true) => true,
            (true, false) => dow,
            (false, true) => dom,
            (false, false) => dom || dow,
        }
    }

    /// Does the civil date-time (to the minute) match every field?
    pub fn matches(&self, dt: DateTime) -> bool {
        self.matches_date(dt.date())
            && self.hours & (1 << dt.hour()) != 0
            && self.minutes & (1 << dt.minute()) != 0
            && dt.second() == 0
            && dt.subsec_nanosecond() == 0
    }

    /// The instants at which the civil time `dt` fires in `tz` (see the module doc).
    fn instants(&self, dt: DateTime, tz: &TimeZone) -> [Option<Timestamp>; 2] {
        let at = |o: jiff::tz::Offset| o.to_timestamp(dt).ok();
        match tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => [at(offset), None],
            // The offset in force before the gap puts the time as far past the gap's start as
            // the wall clock said.
            AmbiguousOffset::Gap { before, .. } => [at(before), None],
            AmbiguousOffset::Fold { before, after } => {
                [at(before), self.hours_star.then(|| at(after)).flatten()]
            }
        }
    }

    /// The first occurrence strictly after `t`, in `tz`. `None` when the expression matches no
    /// date in the next years (e.g. February 30).
    pub fn next_after(&self, t: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let local = t.to_zoned(tz.clone()).datetime();
        // Civil times near `t` may map to instants on either side of it around a transition, so
        // the search starts a margin before and keeps the earliest instant after `t`.
        let start = local.checked_sub(MARGIN_HOURS.hours()).ok()?;
        let mut best: Option<Timestamp> = None;
        let mut stop: Option<DateTime> = None;
        let mut day = start.date();
        for _ in 0..HORIZON_DAYS {
            if stop.is_some_and(|s| day > s.date()) {
                break;
            }
            if self.matches_date(day) {
                for h in 0..24i8 {
                    if self.hours & (1 << h) == 0 {
                        continue;
                    }
                    for m in 0..60i8 {
                        if self.minutes & (1 << m) == 0 {
                            continue;
                        }
                        let dt = day.at(h, m, 0, 0);
                        if dt < start {
                            continue;
                        }
                        if stop.is_some_and(|s| dt > s) {
                            return best;
                        }
                        for inst in self.instants(dt, tz).into_iter().flatten() {
                            if inst > t && best.is_none_or(|b| inst < b) {
                                best = Some(inst);
                                if stop.is_none() {
                                    stop = inst
                                        .to_zoned(tz.clone())
                                        .datetime()
                                        .checked_add(MARGIN_HOURS.hours())
                                        .ok();
                                }
                            }
                        }
                    }
                }
            }
            day = day.tomorrow().ok()?;
        }
        best
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    fn next(c: &str, t: &str, tz: &TimeZone) -> String {
        Cron::parse(c)
            .unwrap()
            .next_after(ts(t), tz)
            .unwrap()
            .to_string()
    }

    #[test]
    fn parses_fields_and_refuses_nonsense() {
        let c = Cron::parse("*/15 9-17 * * 1-5").unwrap();
        assert!(c.matches("2026-11-23T09:45".parse().unwrap())); // Monday
        assert!(!c.matches("2026-11-22T09:45".parse().unwrap())); // Sunday
        assert!(!c.matches("2026-11-23T18:00".parse().unwrap()));
        let c = Cron::parse("0 0 * * 7").unwrap();
        assert!(
            c.matches("2026-11-22T00:00".parse().unwrap()),
            "7 is Sunday"
        );
        let c = Cron::parse("5,10-12,50/5 * * * *").unwrap();
        let mins: Vec<u32> = (0..60).filter(|m| c.minutes & (1 << m) != 0).collect();
        assert_eq!(mins, vec![5, 10, 11, 12, 50, 55]);
        for bad in [
            "",
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 8",
            "*/0 * * * *",
            "5-1 * * * *",
            "a * * * *",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn day_fields_match_either_when_both_are_restricted() {
        // The 13th, and every Friday.
        let c = Cron::parse("0 0 13 * 5").unwrap();
        assert!(c.matches_date("2026-11-13".parse().unwrap()));
        assert!(c.matches_date("2026-11-20".parse().unwrap()));
        assert!(!c.matches_date("2026-11-19".parse().unwrap()));
    }

    #[test]
    fn impossible_dates_have_no_next_occurrence() {
        let c = Cron::parse("0 0 30 2 *").unwrap();
        assert_eq!(c.next_after(ts("2026-01-01T00:00Z"), &TimeZone::UTC), None);
        // 29 February comes back.
        let c = Cron::parse("0 12 29 2 *").unwrap();
        assert_eq!(
            c.next_after(ts("2026-03-01T00:00Z"), &TimeZone::UTC),
            Some(ts("2028-02-29T12:00Z"))
        );
    }

    #[test]
    fn berlin_spring_forward_moves_a_missing_time_forward() {
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST.
        let tz = berlin();
        assert_eq!(
            next("30 2 * * *", "2026-03-28T02:00Z", &tz),
            "2026-03-29T01:30:00Z",
            "02:30 does not exist; it fires at 03:30 CEST"
        );
        assert_eq!(
            next("30 2 * * *", "2026-03-29T01:30Z", &tz),
            "2026-03-30T00:30:00Z",
            "then back to 02:30 CEST the next day, once"
        );
        assert_eq!(
            next("0 20 * * *", "2026-03-28T20:00Z", &tz),
            "2026-03-29T18:00:00Z"
        );
        assert_eq!(
            next("0 20 * * *", "2026-03-29T18:00Z", &tz),
            "2026-03-30T18:00:00Z"
        );
        // Every 15 minutes stays every 15 real minutes across the gap.
        let mut t = ts("2026-03-29T00:30Z");
        let mut got = vec![];
        for _ in 0..4 {
            t = Cron::parse("*/15 * * * *")
                .unwrap()
                .next_after(t, &tz)
                .unwrap();
            got.push(t.to_string());
        }
        assert_eq!(
            got,
            [
                "2026-03-29T00:45:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-29T01:15:00Z",
                "2026-03-29T01:30:00Z"
            ]
        );
    }

    #[test]
    fn berlin_fall_back_fires_an_ambiguous_time_once() {
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
        let tz = berlin();
        let c = Cron::parse("30 2 * * *").unwrap();
        let mut fired = vec![];
        let mut t = ts("2026-10-24T12:00Z");
        while t < ts("2026-10-27T00:00Z") {
            t = c.next_after(t, &tz).unwrap();
            fired.push(t.to_string());
        }
        assert_eq!(
            fired,
            [
                "2026-10-25T00:30:00Z", // 02:30 CEST, the first pass only
                "2026-10-26T01:30:00Z", // 02:30 CET
                "2026-10-27T01:30:00Z",
            ]
        );
        assert_eq!(
            next("0 20 * * *", "2026-10-24T18:00Z", &tz),
            "2026-10-25T19:00:00Z"
        );
        // Hourly schedules run in both passes of the repeated hour.
        let c = Cron::parse("0 * * * *").unwrap();
        let mut t = ts("2026-10-24T23:30Z");
        let mut got = vec![];
        for _ in 0..4 {
            t = c.next_after(t, &tz).unwrap();
            got.push(t.to_string());
        }
        assert_eq!(
            got,
            [
                "2026-10-25T00:00:00Z",
                "2026-10-25T01:00:00Z",
                "2026-10-25T02:00:00Z",
                "2026-10-25T03:00:00Z"
            ]
        );
    }

    fn expr() -> impl Strategy<Value = String> {
        let f = |max: u32, min: u32| {
            prop_oneof![
                Just("*".to_owned()),
                (min..=max).prop_map(|n| n.to_string()),
                (1..=max.max(2)).prop_map(|s| format!("*/{s}")),
                (min..=max, min..=max).prop_map(|(a, b)| format!("{}-{}", a.min(b), a.max(b))),
                prop::collection::vec(min..=max, 1..4).prop_map(|v| v
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")),
            ]
        };
        (f(59, 0), f(23, 0), f(28, 1), f(12, 1), f(6, 0))
            .prop_map(|(a, b, c, d, e)| format!("{a} {b} {c} {d} {e}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// In UTC (no transitions), the next occurrence is exactly the first matching minute
        /// after `t`, checked against a brute-force minute scan.
        #[test]
        fn next_is_the_first_matching_minute(e in expr(), mins in 28_000_000i64..31_000_000) {
            let c = Cron::parse(&e).unwrap();
            let t = Timestamp::from_second(mins * 60).unwrap();
            if let Some(n) = c.next_after(t, &TimeZone::UTC) {
                prop_assert!(n > t);
                prop_assert!(c.matches(n.to_zoned(TimeZone::UTC).datetime()));
                // No minute in between matches (scanning at most two days).
                let mut m = t + 1.minute();
                let mut scanned = 0;
                while m < n && scanned < 2880 {
                    prop_assert!(!c.matches(m.to_zoned(TimeZone::UTC).datetime()), "{m} matches before {n}");
                    m += 1.minute();
                    scanned += 1;
                }
            }
        }

        /// In a zone with DST, successive occurrences strictly increase, each is a matching
        /// local time (or a time pushed forward out of a gap), and no instant fires twice.
        #[test]
        fn occurrences_increase_in_berlin(e in expr(), secs in 1_774_000_000i64..1_775_500_000) {
            let tz = berlin();
            let c = Cron::parse(&e).unwrap();
            let mut t = Timestamp::from_second(secs).unwrap();
            for _ in 0..20 {
                let Some(n) = c.next_after(t, &tz) else { break };
                prop_assert!(n > t);
                let local = n.to_zoned(tz.clone()).datetime();
                let shifted = (local - 1.hour()).round(jiff::Unit::Minute).unwrap();
                prop_assert!(c.matches(local) || c.matches(shifted), "{n} ({local}) does not match {e}");
                t = n;
            }
        }
    }
}
