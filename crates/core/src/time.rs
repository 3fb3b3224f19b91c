//! Instants are stored as milliseconds since the Unix epoch (UTC) in both backends.
//!
//! One integer type behaves identically in SQLite and PostgreSQL, sorts correctly, and keeps the
//! shared SQL free of dialect-specific date functions; conversion to a viewer's zone happens at the
//! edge with jiff.

use jiff::{Timestamp, tz::TimeZone};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

pub fn now_millis() -> Millis {
    Timestamp::now().as_millisecond()
}

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// Converts stored milliseconds to a timestamp; out-of-range values clamp to the epoch rather
/// than failing a page render.
pub fn timestamp(ms: Millis) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The zone named by an IANA id, falling back to Asia/Seoul (the product default) when unknown.
pub fn zone(name: &str) -> TimeZone {
    TimeZone::get(name)
        .or_else(|_| TimeZone::get(crate::accounts::DEFAULT_TIME_ZONE))
        .unwrap_or(TimeZone::UTC)
}

/// "2026-11-21 15:04" in the given zone.
pub fn format_local(ms: Millis, tz: &str) -> String {
    timestamp(ms)
        .to_zoned(zone(tz))
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// Today's civil date in a zone.
pub fn today_in(tz: &str) -> jiff::civil::Date {
    Timestamp::now().to_zoned(zone(tz)).date()
}
